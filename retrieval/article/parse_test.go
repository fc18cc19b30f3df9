package article

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// want describes the fields of one parsed article a test checks; empty
// fields are not checked, except that Text must never contain notText.
type want struct {
	id, title, source, url, author string
	published                      time.Time
	text                           string   // exact Text when non-empty
	contains                       []string // substrings Text must have
	notText                        []string // substrings Text must not have
}

func checkArticle(t *testing.T, got Article, w want) {
	t.Helper()
	check := func(field, got, want string) {
		t.Helper()
		if want != "" && got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	check("ID", got.ID, w.id)
	check("Title", got.Title, w.title)
	check("Source", got.Source, w.source)
	check("URL", got.URL, w.url)
	check("Author", got.Author, w.author)
	check("Text", got.Text, w.text)
	if !w.published.IsZero() && !got.Published.Equal(w.published) {
		t.Errorf("Published = %v, want %v", got.Published, w.published)
	}
	for _, s := range w.contains {
		if !strings.Contains(got.Text, s) {
			t.Errorf("Text lacks %q; Text:\n%s", s, got.Text)
		}
	}
	for _, s := range w.notText {
		if strings.Contains(got.Text, s) {
			t.Errorf("Text contains %q; Text:\n%s", s, got.Text)
		}
	}
	if len(got.Hash) != 64 {
		t.Errorf("Hash = %q, want 64 hex digits", got.Hash)
	}
	if got.Hash != computeHash(got) {
		t.Errorf("Hash does not match the fields")
	}
}

func TestParseFormats(t *testing.T) {
	page, err := os.ReadFile("testdata/page.html")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		data string
		want []want
	}{
		{
			name: "plain text",
			file: "bbc/sport/12.txt",
			data: "Chelsea sack Mutu\n\nChelsea have sacked Adrian Mutu after he failed a drugs test.\n\nThe 25-year-old tested positive.\nA second line of the same paragraph.\n",
			want: []want{{
				id:    "bbc/sport/12",
				title: "Chelsea sack Mutu",
				text:  "Chelsea have sacked Adrian Mutu after he failed a drugs test.\n\nThe 25-year-old tested positive.\nA second line of the same paragraph.",
			}},
		},
		{
			name: "markdown with front matter",
			file: "notes/deal.MD",
			data: "---\ntitle: \"Ministers agree: a deal\"\nsource: 'Example Times'\nurl: https://example.com/deal\npublished: 2021-03-04T05:06:07Z\nauthor: Jane Doe\ntags: [a, b]\n---\n# Ministers agree: a deal\n\nThe **deal** was [agreed](https://example.com) on Tuesday.\n\n![chart](chart.png)\n\n## Reaction\n\nMarkets were calm.\n",
			want: []want{{
				id:        "notes/deal",
				title:     "Ministers agree: a deal",
				source:    "Example Times",
				url:       "https://example.com/deal",
				author:    "Jane Doe",
				published: time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC),
				text:      "The deal was agreed on Tuesday.\n\nReaction\n\nMarkets were calm.",
			}},
		},
		{
			name: "text with front matter and a long date",
			file: "a.txt",
			data: "---\ntitle: Front title\npublished: January 2, 2006\n---\nFirst body paragraph, which is not a title.\n",
			want: []want{{
				title:     "Front title",
				published: time.Date(2006, 1, 2, 0, 0, 0, 0, time.UTC),
				text:      "First body paragraph, which is not a title.",
			}},
		},
		{
			name: "html with nav, scripts and share widgets",
			file: "web/budget.html",
			data: string(page),
			want: []want{{
				id:        "web/budget",
				title:     "Ministers agree budget deal",
				source:    "The Example Times",
				url:       "https://example.com/news/budget-deal",
				author:    "Jane Doe",
				published: time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC),
				contains: []string{
					"Ministers agreed on Tuesday a budget deal",
					"cuts the deficit to 2.5% of national income, according to a copy of the text seen by reporters.\n\n“We did it,” the finance minister said.\n\nOpposition parties",
					"bond yields unchanged from the previous close.",
				},
				notText: []string{"SHOULD-NOT-APPEAR", "window.tracker", "Tweet", "Home"},
			}},
		},
		{
			name: "json object",
			file: "feed/one.json",
			data: `{"id": "tasnim-1", "title": "Headline", "body": "First paragraph.\n\nSecond paragraph.", "source": "Tasnim News Agency", "url": "https://tasnim.example/1", "published": "2 Jan 2006", "author": {"name": "Staff"}}`,
			want: []want{{
				id:        "tasnim-1",
				title:     "Headline",
				source:    "Tasnim News Agency",
				url:       "https://tasnim.example/1",
				author:    "Staff",
				published: time.Date(2006, 1, 2, 0, 0, 0, 0, time.UTC),
				text:      "First paragraph.\n\nSecond paragraph.",
			}},
		},
		{
			name: "json array with default IDs and HTML content",
			file: "feed/many.json",
			data: `[{"title": "A", "text": "Alpha text."}, {"id": 42, "title": "B", "content": "<p>Beta <b>bold</b> text.</p><p>Second.</p>"}, {"title": "C", "text": "Gamma text.", "published": 1136214245}]`,
			want: []want{
				{id: "feed/many/0", title: "A", text: "Alpha text."},
				{id: "42", title: "B", text: "Beta bold text.\n\nSecond."},
				{id: "feed/many/2", title: "C", text: "Gamma text.", published: time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)},
			},
		},
		{
			name: "jsonl",
			file: "feed/lines.jsonl",
			data: "{\"title\": \"One\", \"text\": \"First.\"}\n\n{\"id\": \"x2\", \"title\": \"Two\", \"text\": \"Second.\"}\r\n",
			want: []want{
				{id: "feed/lines/1", title: "One", text: "First."},
				{id: "x2", title: "Two", text: "Second."},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, problems, err := Parse(tc.file, []byte(tc.data), Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(problems) != 0 {
				t.Errorf("problems = %v, want none", problems)
			}
			if len(arts) != len(tc.want) {
				t.Fatalf("got %d articles, want %d: %+v", len(arts), len(tc.want), arts)
			}
			for i, w := range tc.want {
				if arts[i].Path != tc.file {
					t.Errorf("Path = %q, want %q", arts[i].Path, tc.file)
				}
				checkArticle(t, arts[i], w)
			}
		})
	}
}

func TestParseItemProblems(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		data    string
		wantIDs []string
		want    []Problem
	}{
		{
			name:    "jsonl with a malformed line and a line without text",
			file:    "feed/x.jsonl",
			data:    "{\"title\": \"Good\", \"text\": \"Kept.\"}\n{\"title\": \"Broken\", \"text\": \n{\"title\": \"No text\"}\n[1, 2]\n{\"title\": \"Also good\", \"text\": \"Kept too.\"}\n",
			wantIDs: []string{"feed/x/1", "feed/x/5"},
			want: []Problem{
				{Path: "feed/x.jsonl", Line: 2, Reason: "invalid JSON"},
				{Path: "feed/x.jsonl", Line: 3, Reason: "no text"},
				{Path: "feed/x.jsonl", Line: 4, Reason: "not a JSON object"},
			},
		},
		{
			name:    "json array with bad items",
			file:    "feed/y.json",
			data:    `[{"title": "No text"}, "just a string", {"title": "Good", "text": "Kept."}]`,
			wantIDs: []string{"feed/y/2"},
			want: []Problem{
				{Path: "feed/y.json", Reason: "item 0: no text"},
				{Path: "feed/y.json", Reason: "item 1: not a JSON object"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, problems, err := Parse(tc.file, []byte(tc.data), Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var ids []string
			for _, a := range arts {
				ids = append(ids, a.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tc.wantIDs, ",") {
				t.Errorf("IDs = %v, want %v", ids, tc.wantIDs)
			}
			if len(problems) != len(tc.want) {
				t.Fatalf("problems = %v, want %v", problems, tc.want)
			}
			for i, w := range tc.want {
				p := problems[i]
				if p.Path != w.Path || p.Line != w.Line || !strings.HasPrefix(p.Reason, w.Reason) {
					t.Errorf("problem %d = %+v, want %+v (reason prefix)", i, p, w)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		data    []byte
		opts    Options
		kind    error
		message string
	}{
		{"empty", "a.txt", nil, Options{}, ErrEmpty, "empty file"},
		{"whitespace only", "a.md", []byte(" \n\t\r\n  "), Options{}, ErrEmpty, "empty file"},
		{"BOM only", "a.txt", []byte("\xEF\xBB\xBF\n"), Options{}, ErrEmpty, "empty file"},
		{"NUL bytes", "a.txt", []byte("title\n\x00\x00body"), Options{}, ErrBinary, "binary content"},
		{"control characters", "a.html", []byte(strings.Repeat("ab\x01\x02\x03\x04", 50)), Options{}, ErrBinary, "binary content"},
		{"too large", "a.txt", []byte(strings.Repeat("x", 101)), Options{MaxFileBytes: 100}, ErrTooLarge, "larger than 100 bytes limit (101 bytes)"},
		{"too large MiB", "a.txt", make([]byte, 2<<20+1), Options{MaxFileBytes: 2 << 20}, ErrTooLarge, "larger than 2 MiB limit (2097153 bytes)"},
		{"invalid JSON", "a.json", []byte("{\n\"title\": \"x\",\n}"), Options{}, ErrInvalidJSON, "invalid JSON at line 3: invalid character '}' looking for beginning of object key string"},
		{"JSON scalar", "a.json", []byte(`"just text"`), Options{}, ErrInvalidJSON, "invalid JSON: expected an article object or an array of them"},
		{"JSON object without text", "a.json", []byte(`{"title": "x"}`), Options{}, ErrNoText, `no text (expected a "text", "body" or "content" field)`},
		{"empty JSON array", "a.json", []byte(`[]`), Options{}, ErrNoText, "no articles (empty JSON array)"},
		{"unsupported extension", "a.pdf", []byte("%PDF-1.4"), Options{}, ErrUnsupported, `unsupported extension ".pdf"`},
		{"title only", "a.txt", []byte("Just a title\n"), Options{}, ErrNoText, "no article text"},
		{"only boilerplate", "a.txt", []byte("News / Defense\nSHARE THIS ARTICLE\nwww.example.com\n"), Options{}, ErrNoText, "no article text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, _, err := Parse(tc.file, tc.data, tc.opts)
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want error %q", arts, tc.message)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %v is not %v", err, tc.kind)
			}
			if err.Error() != tc.message {
				t.Errorf("error = %q, want %q", err.Error(), tc.message)
			}
		})
	}
}

func TestParseEncoding(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		wantTitle string
		wantText  string
	}{
		{
			name:      "Windows-1252 pound sign and curly quotes",
			data:      []byte("Mutu \x93sacked\x94\n\nA \xa315.8m signing \x96 Chelsea\x92s loss.\n"),
			wantTitle: "Mutu “sacked”",
			wantText:  "A £15.8m signing – Chelsea’s loss.",
		},
		{
			name:      "UTF-8 BOM and CRLF",
			data:      []byte("\xEF\xBB\xBFTitle here\r\n\r\nLine one.\r\nLine two.\rLine three.\r\n"),
			wantTitle: "Title here",
			wantText:  "Line one.\nLine two.\nLine three.",
		},
		{
			name:      "UTF-16 little endian with BOM",
			data:      []byte("\xFF\xFET\x00i\x00\n\x00\n\x00\xA3\x005\x00.\x00"),
			wantTitle: "Ti",
			wantText:  "£5.",
		},
		{
			name:      "valid UTF-8 is left alone",
			data:      []byte("Café “quoted”\n\nNaïve text — kept.\n"),
			wantTitle: "Café “quoted”",
			wantText:  "Naïve text — kept.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, _, err := Parse("x.txt", tc.data, Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			a := arts[0]
			if a.Title != tc.wantTitle || a.Text != tc.wantText {
				t.Errorf("got title %q text %q, want %q %q", a.Title, a.Text, tc.wantTitle, tc.wantText)
			}
			if !utf8.ValidString(a.Text) || !utf8.ValidString(a.Title) {
				t.Errorf("output is not valid UTF-8")
			}
		})
	}
}

func TestParseBBCLatin1(t *testing.T) {
	root := findBBC(t)
	data, err := os.ReadFile(root + "/sport/199.txt")
	if err != nil {
		t.Skipf("BBC corpus file absent: %v", err)
	}
	if utf8.Valid(data) {
		t.Skip("sport/199.txt is already UTF-8 here; nothing to test")
	}
	arts, _, err := Parse("bbc/sport/199.txt", data, Options{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !strings.Contains(arts[0].Text, "a £15.8m signing from Parma") {
		t.Errorf("pound sign not decoded; text starts %q", arts[0].Text[:200])
	}
	if strings.ContainsRune(arts[0].Text, utf8.RuneError) {
		t.Errorf("text contains U+FFFD")
	}
}

func TestHash(t *testing.T) {
	base := "Title\n\nFirst paragraph.\n\nSecond paragraph.\n"
	parse := func(name, data string) Article {
		t.Helper()
		arts, _, err := Parse(name, []byte(data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return arts[0]
	}
	a := parse("x/a.txt", base)
	tests := []struct {
		name     string
		other    Article
		wantSame bool
	}{
		{"same input", parse("x/a.txt", base), true},
		{"same content with CRLF and trailing spaces", parse("x/a.txt", "Title\r\n\r\nFirst paragraph.  \r\n\r\nSecond paragraph.\r\n"), true},
		{"boilerplate added", parse("x/a.txt", base+"\nSHARE THIS ARTICLE\n"), true},
		{"changed paragraph", parse("x/a.txt", "Title\n\nFirst paragraph.\n\nSecond paragraph, changed.\n"), false},
		{"changed title", parse("x/a.txt", "Title 2\n\nFirst paragraph.\n\nSecond paragraph.\n"), false},
		{"other ID", parse("x/b.txt", base), false},
		{"paragraph break moved", parse("x/a.txt", "Title\n\nFirst paragraph.\nSecond paragraph.\n"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if same := a.Hash == tc.other.Hash; same != tc.wantSame {
				t.Errorf("hash equal = %v, want %v (%s vs %s)", same, tc.wantSame, a.Hash, tc.other.Hash)
			}
		})
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain ASCII", "plain ASCII"},
		{"Iran’s ‘missile’ “might”", `Iran's 'missile' "might"`},
		{"a – b — c − d ‐ e", "a - b - c - d - e"},
		{"News\u00a0 /\u2009Defense\u3000x", "News  / Defense x"},
		{"zero\u200bwidth\u00ad\ufeff", "zerowidth"},
		{"wait…", "wait..."},
		{"«quoted»", `"quoted"`},
		{"Café", "Café"},
	}
	for _, tc := range tests {
		if got := Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSupported(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"a.txt", true}, {"A.TXT", true}, {"b.md", true}, {"c.html", true}, {"c.HTM", true},
		{"d.json", true}, {"e.jsonl", true}, {"dir/f.Jsonl", true},
		{"g.pdf", false}, {"txt", false}, {"h.txt.bak", false}, {"i.markdown", false}, {"", false},
	}
	for _, tc := range tests {
		if got := Supported(tc.name); got != tc.want {
			t.Errorf("Supported(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2017-10-29T10:11:12Z", time.Date(2017, 10, 29, 10, 11, 12, 0, time.UTC)},
		{"2017-10-29T10:11:12+03:30", time.Date(2017, 10, 29, 6, 41, 12, 0, time.UTC)},
		{"2017-10-29", time.Date(2017, 10, 29, 0, 0, 0, 0, time.UTC)},
		{"October 29, 2017", time.Date(2017, 10, 29, 0, 0, 0, 0, time.UTC)},
		{"29 Oct 2017", time.Date(2017, 10, 29, 0, 0, 0, 0, time.UTC)},
		{"Sun, 29 Oct 2017 10:11:12 +0000", time.Date(2017, 10, 29, 10, 11, 12, 0, time.UTC)},
		{"not a date", time.Time{}},
		{"", time.Time{}},
	}
	for _, tc := range tests {
		got, ok := parseDate(tc.in)
		if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
}

func TestParseNamesAndDuplicates(t *testing.T) {
	tests := []struct {
		name   string
		wantID string
	}{
		{"/abs/path/a.txt", "abs/path/a"},
		{"./rel/b.md", "rel/b"},
		{`win\dir\c.txt`, "win/dir/c"},
		{"../up/d.txt", "up/d"},
	}
	for _, tc := range tests {
		arts, _, err := Parse(tc.name, []byte("T\n\nBody.\n"), Options{})
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.name, err)
		}
		if arts[0].ID != tc.wantID {
			t.Errorf("Parse(%q) ID = %q, want %q", tc.name, arts[0].ID, tc.wantID)
		}
	}

	arts, problems, err := Parse("f.jsonl", []byte("{\"id\":\"x\",\"text\":\"one\"}\n{\"id\":\"x\",\"text\":\"two\"}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].Text != "one" {
		t.Errorf("articles = %+v, want the first x only", arts)
	}
	if len(problems) != 1 || problems[0].Line != 2 || !strings.Contains(problems[0].Reason, `duplicate ID "x"`) {
		t.Errorf("problems = %+v", problems)
	}
}

// TestParseHostileHTML checks that pages built to be slow (deep nesting,
// huge element counts) are read by the linear fallback and still give
// their text.
func TestParseHostileHTML(t *testing.T) {
	tests := []struct {
		name string
		page string
	}{
		{"deep nesting", strings.Repeat("<div>", 500_000) + "<p>Deep text here.</p>"},
		{"many elements", "<title>T</title>" + strings.Repeat("<span>x</span>", 100_000) + "<p>Deep text here.</p>"},
		{"unclosed formatting", strings.Repeat("<b><i><a>", 50_000) + "<p>Deep text here.</p>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			arts, _, err := Parse("x.html", []byte(tc.page), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(arts[0].Text, "Deep text here.") {
				t.Errorf("text lost: %.200q", arts[0].Text)
			}
			// A guard against a parser that goes quadratic (minutes), not a
			// speed target: the machines are shared, and -race is slow.
			if d := time.Since(start); d > time.Minute {
				t.Errorf("took %v", d)
			}
		})
	}
}
