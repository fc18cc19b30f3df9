package article

import (
	"strings"
	"testing"
)

// body is a realistic paragraph that no rule should touch.
const body = "The talks in Vienna ended on Friday without an agreement, and the delegations said they would meet again next month to discuss the remaining issues."

func TestCleanBoilerplate(t *testing.T) {
	tests := []struct {
		name        string
		in          string // a .txt file
		wantTitle   string
		wantText    string
		wantSource  string
		wantAuthor  string
		wantMissing []string
	}{
		{
			name:      "share buttons after the title and at the end",
			in:        "Talks end\nShare\nTweet\n\n" + body + "\n\nFacebook Twitter Email\nSHARE THIS ARTICLE\n",
			wantTitle: "Talks end",
			wantText:  body,
		},
		{
			name:      "breadcrumbs before the title",
			in:        "Home » World » Middle East\n\nTalks end\n\n" + body,
			wantTitle: "Talks end",
			wantText:  body,
		},
		{
			// A caption is content (who is pictured, where, when): only its
			// credit goes. A line that is only a credit goes whole.
			name:      "photo caption and inline credit",
			in:        "Talks end\n\nDelegates leave the hall in Vienna on Friday. (Photo by Reuters)\n\nPhoto: AFP\n\n" + body + "\n\nDelegates met in Vienna (AP Photo/John Doe) before the vote.\n\nThe room (pictured) was small.\n\nA view of the hall (File photo)\n\n(AFP/Getty Images)",
			wantTitle: "Talks end",
			wantText:  "Delegates leave the hall in Vienna on Friday.\n\n" + body + "\n\nDelegates met in Vienna before the vote.\n\nThe room (pictured) was small.\n\nA view of the hall",
		},
		{
			name:       "mirror footer, bare domains and app lines",
			in:         "Talks end\n\n" + body + "\n\nExample TV’s website can also be accessed at the following alternate addresses:\n\nwww.example.tv\n\nhttps://example.tv/en\n\nDownload our app\nGet it on Google Play\nExample TV News Roku",
			wantTitle:  "Talks end",
			wantText:   body,
			wantSource: "Example TV",
		},
		{
			name:       "signature at the end glued to the last paragraph",
			in:         "Talks end\n\nVIENNA (Reuters) - " + body + "\n\nBy Example News Agency",
			wantTitle:  "Talks end",
			wantText:   "VIENNA (Reuters) - " + body,
			wantSource: "Example News Agency",
		},
		{
			name:       "byline and date under the title",
			in:         "Talks end\nBy Jane Doe\nOctober 29, 2017\n\n" + body,
			wantTitle:  "Talks end",
			wantText:   body,
			wantAuthor: "Jane Doe",
		},
		{
			name:       "personal signature at the end",
			in:         "Talks end\n\n" + body + "\n\nBy John Smith",
			wantTitle:  "Talks end",
			wantText:   body,
			wantAuthor: "John Smith",
		},
		{
			name:       "copyright footer",
			in:         "Talks end\n\n" + body + "\n\n© 2021 Example Times. All rights reserved.",
			wantTitle:  "Talks end",
			wantText:   body,
			wantSource: "Example Times",
		},
		{
			name:      "short real paragraphs are kept",
			in:        "Talks end\n\n“No.”\n\n" + body + "\n\nHe said no.\n\n“We will be back”\n\nReferee: K Clark\n\nCharlton v Yeovil",
			wantTitle: "Talks end",
			wantText:  "“No.”\n\n" + body + "\n\nHe said no.\n\n“We will be back”\n\nReferee: K Clark\n\nCharlton v Yeovil",
		},
		{
			name:      "a sentence about access is kept",
			in:        "Archive opens\n\nThe files can also be accessed online by researchers.\n\n" + body,
			wantTitle: "Archive opens",
			wantText:  "The files can also be accessed online by researchers.\n\n" + body,
		},
		{
			name:      "lists and slashes in the body are kept",
			in:        "Scores\n\nArsenal 2, Chelsea 1\nAC/DC play tonight\nUK/US talks resume\n\n" + body,
			wantTitle: "Scores",
			wantText:  "Arsenal 2, Chelsea 1\nAC/DC play tonight\nUK/US talks resume\n\n" + body,
		},
		{
			name:      "a sentence mentioning an app is kept",
			in:        "Streaming\n\nRoku shares rose 5% on Tuesday.\n\n" + body,
			wantTitle: "Streaming",
			wantText:  "Roku shares rose 5% on Tuesday.\n\n" + body,
		},
		{
			name:      "a first line that is a paragraph is not a title",
			in:        body + "\n\nMore text follows here.",
			wantTitle: "",
			wantText:  body + "\n\nMore text follows here.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, _, err := Parse("t.txt", []byte(tc.in), Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			a := arts[0]
			if a.Title != tc.wantTitle {
				t.Errorf("Title = %q, want %q", a.Title, tc.wantTitle)
			}
			if a.Text != tc.wantText {
				t.Errorf("Text =\n%s\nwant\n%s", a.Text, tc.wantText)
			}
			if a.Source != tc.wantSource {
				t.Errorf("Source = %q, want %q", a.Source, tc.wantSource)
			}
			if a.Author != tc.wantAuthor {
				t.Errorf("Author = %q, want %q", a.Author, tc.wantAuthor)
			}
		})
	}
}

func TestDetectSource(t *testing.T) {
	tests := []struct {
		name  string
		first string // first body paragraph
		want  string
	}{
		{"Tasnim dateline", "TEHRAN (Tasnim) – " + body, "Tasnim News Agency"},
		{"Reuters dateline", "LONDON (Reuters) - " + body, "Reuters"},
		{"AP dateline with region", "BEIRUT, Lebanon (AP) — " + body, "AP"},
		{"dateline without place", "(AFP) - " + body, "AFP"},
		{"capitalised place and known outlet", "Tehran (Fars) - " + body, "Fars News Agency"},
		{"acronym after a sentence start", "One member of the Bank's Monetary Policy Committee (MPC) - Paul Tucker - voted to raise rates.", ""},
		{"acronym after capitalised words", "Monetary Policy Committee (MPC) - Paul Tucker voted to raise rates.", ""},
		{"no dateline", body, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, _, err := Parse("t.txt", []byte("Title\n\n"+tc.first+"\n"), Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if arts[0].Source != tc.want {
				t.Errorf("Source = %q, want %q", arts[0].Source, tc.want)
			}
			if !strings.HasPrefix(arts[0].Text, tc.first[:10]) {
				t.Errorf("dateline removed from text: %q", arts[0].Text)
			}
		})
	}
}

func TestSourceFromMetadataWins(t *testing.T) {
	in := "---\nsource: Given Outlet\n---\nTitle\n\nTEHRAN (Tasnim) – " + body + "\n\nBy Tasnim News Agency\n"
	arts, _, err := Parse("t.md", []byte(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := arts[0]
	if a.Source != "Given Outlet" {
		t.Errorf("Source = %q, want the front matter's", a.Source)
	}
	if strings.Contains(a.Text, "By Tasnim") {
		t.Errorf("signature kept: %q", a.Text)
	}
}

func TestRemoveRepeatedLines(t *testing.T) {
	const footer = "Subscribe to Example Daily for more news"
	mk := func(id, source, text string) Article {
		a := Article{ID: id, Path: id + ".txt", Source: source, Text: text}
		a.Hash = computeHash(a)
		return a
	}
	arts := []Article{
		mk("a", "Example Daily", "Alpha body.\n\n"+footer),
		mk("b", "Example Daily", "Beta body.\n\n"+footer),
		mk("c", "Example Daily", "Gamma body.\nGamma second line.\n\n"+"Subscribe to Example Daily for more news "),
		mk("d", "Example Daily", "Delta body."),
		mk("e", "Other", "Epsilon body.\n\n"+footer),
		mk("f", "Other", "Zeta body.\n\nShared by two"),
		mk("g", "Other", "Eta body.\n\nShared by two"),
		mk("h", "Example Daily", footer),
	}
	out, problems := removeRepeated(arts)
	got := map[string]Article{}
	for _, a := range out {
		got[a.ID] = a
	}
	tests := []struct {
		id, wantText string
		changed      bool
	}{
		{"a", "Alpha body.", true},
		{"b", "Beta body.", true},
		{"c", "Gamma body.\nGamma second line.", true},
		{"d", "Delta body.", false},
		{"e", "Epsilon body.\n\n" + footer, false}, // other outlet: 1 of 3
		{"f", "Zeta body.\n\nShared by two", false},
		{"g", "Eta body.\n\nShared by two", false},
	}
	for _, tc := range tests {
		a, ok := got[tc.id]
		if !ok {
			t.Errorf("article %s dropped", tc.id)
			continue
		}
		if a.Text != tc.wantText {
			t.Errorf("%s: Text = %q, want %q", tc.id, a.Text, tc.wantText)
		}
		if a.Hash != computeHash(a) {
			t.Errorf("%s: hash not recomputed", tc.id)
		}
		orig := arts[strings.Index("abcdefgh", tc.id)]
		if changed := a.Hash != orig.Hash; changed != tc.changed {
			t.Errorf("%s: hash changed = %v, want %v", tc.id, changed, tc.changed)
		}
	}
	if _, ok := got["h"]; ok || len(problems) != 1 || problems[0].Path != "h.txt" {
		t.Errorf("article made only of boilerplate: kept=%v problems=%v", ok, problems)
	}
	if arts[0].Text != "Alpha body.\n\n"+footer {
		t.Errorf("input modified")
	}
}

// TestLeadingDateline checks that a date opening the text is read as the
// publication date and removed from the text, so that its year is not
// indexed as content; a date inside a sentence stays.
func TestLeadingDateline(t *testing.T) {
	tests := []struct {
		name     string
		first    string // first body paragraph
		wantText string
		wantDate string // "" when no date is read
	}{
		{"month day, year and a dash", "Sep 11, 2021 - " + body, body, "2021-09-11"},
		{"full month and a colon", "September 11, 2021: " + body, body, "2021-09-11"},
		{"day month year", "11 September 2021 – " + body, body, "2021-09-11"},
		{"weekday and time", "Saturday, Sep 11, 2021 10:42 GMT — " + body, body, "2021-09-11"},
		{"ISO date", "2021-09-11 " + body, body, "2021-09-11"},
		{"a sentence that starts with a month name", "May 2021 was wet. " + body, "May 2021 was wet. " + body, ""},
		{"a date inside the text", "The talks began on Sep 11, 2021. " + body, "The talks began on Sep 11, 2021. " + body, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, _, err := Parse("t.txt", []byte("Talks end\n\n"+tc.first+"\n\nMore text follows here."), Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			a := arts[0]
			if want := tc.wantText + "\n\nMore text follows here."; a.Text != want {
				t.Errorf("Text = %q, want %q", a.Text, want)
			}
			got := ""
			if !a.Published.IsZero() {
				got = a.Published.Format("2006-01-02")
			}
			if got != tc.wantDate {
				t.Errorf("Published = %q, want %q", got, tc.wantDate)
			}
		})
	}
}
