package commands

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares v, as indented JSON, with testdata/NAME.golden.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run go test -update if the change is intended):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

var (
	pub1 = time.Date(2017, 7, 29, 0, 0, 0, 0, time.UTC)
	pub2 = time.Date(2017, 8, 2, 0, 0, 0, 0, time.UTC)
	p1   = seam.Passage{ID: "000_e22c96a855d117b2#1", ArticleID: "000_e22c96a855d117b2", Title: "Iran’s missile might not up for negotiations: Army commander",
		Source: "Press TV", URL: "https://www.presstv.com/Detail/2017/07/29/530059/Iran-missile", Published: pub1,
		Text: "A senior Iranian military commander says the Islamic Republic will never allow any inspection of its military sites, stressing that the country’s missile capabilities are not up for negotiations."}
	p2 = seam.Passage{ID: "004_8dd51ad8917eaa10#2", ArticleID: "004_8dd51ad8917eaa10", Title: "Iran’s defense programs not influenced by diplomatic ties: Commander",
		Source: "Tasnim", Published: pub2,
		Text: "The remarks came after the US Treasury Department on Sunday imposed fresh financial sanctions over Iran’s missile program, which Tehran insists is rightful. Ask @everyone and <@123456789> about *it*."}
)

func TestRenderGolden(t *testing.T) {
	cited := seam.Answer{
		Text:      "Press TV reports that Iran will not allow inspections of its military sites [1]. Tasnim says new US sanctions targeted the missile program [2].",
		Citations: []seam.Citation{{N: 1, Passage: p1}, {N: 2, Passage: p2}},
		Mode:      "llm",
	}
	declined := seam.Answer{
		Text:     "The indexed articles don't cover this question, so I won't guess. The closest articles are: “a”; “b”.",
		Declined: true,
		Passages: []seam.Passage{p1, p1, p2},
	}
	long := seam.Answer{
		Text:      strings.Repeat("A long sentence about sanctions that keeps going [1]. ", 60),
		Citations: []seam.Citation{{N: 1, Passage: p1}},
	}
	var many []seam.Citation
	for n := 1; n <= 30; n++ {
		p := p1
		p.ID = fmt.Sprintf("article-%02d#1", n)
		p.Text = strings.Repeat("Lengthy passage text. ", 40)
		many = append(many, seam.Citation{N: n, Passage: p})
	}
	// Citations that fit no single Sources embed, even plain: 40 with long
	// passage IDs.
	var longIDs []seam.Citation
	for n := 1; n <= 40; n++ {
		p := p1
		p.ID = fmt.Sprintf("ingested/%s-%02d#%d", strings.Repeat("very-long-file-name-", 5), n, n)
		longIDs = append(longIDs, seam.Citation{N: n, Passage: p})
	}
	hl := func(s string) string {
		return strings.NewReplacer("missile", markOpen+"missile"+markClose, "sanctions", markOpen+"sanctions"+markClose).Replace(s)
	}
	var arts []seam.Article
	for n := 1; n <= 23; n++ {
		arts = append(arts, seam.Article{ID: fmt.Sprintf("a%02d", n), Title: fmt.Sprintf("Article %d [draft]", n), Source: "BBC",
			URL: "https://bbc.co.uk/" + fmt.Sprint(n), Published: pub1.AddDate(0, 0, n), Passages: 3})
	}
	// The longest entries /articles can show: 200-character titles, full
	// of Markdown to escape, with 500-character URLs and long outlets.
	var longArts []seam.Article
	for n := 1; n <= 12; n++ {
		longArts = append(longArts, seam.Article{ID: fmt.Sprintf("l%02d", n),
			Title:     strings.Repeat("*Breaking* [news] ", 15),
			Source:    strings.Repeat("_Outlet_ ", 10),
			URL:       "https://example.com/" + strings.Repeat("a", 470) + fmt.Sprint(n),
			Published: pub1.AddDate(0, 0, n)})
	}
	var outlets []string
	for n := 1; n <= 40; n++ {
		outlets = append(outlets, fmt.Sprintf("%s %d", strings.Repeat("_*", 30), n)) // 60 characters, 120 escaped
	}
	sum := seam.Summary{Articles: 40, Passages: 300, Added: []string{"ingested/new-story"}, Changed: []string{"bbc/01"},
		Removed: []string{"old`name"}, Unchanged: 37, Duration: 1500 * time.Millisecond,
		Skipped: []seam.Problem{{Path: "bad.json", Line: 3, Reason: "invalid JSON at line 3: @everyone"}}}
	var bigSum seam.Summary
	for n := range 500 {
		bigSum.Added = append(bigSum.Added, fmt.Sprintf("bbc/business/%03d", n))
		bigSum.Skipped = append(bigSum.Skipped, seam.Problem{Path: fmt.Sprintf("junk/%03d.txt", n), Reason: "empty file"})
	}
	tests := []struct {
		name string
		v    any
	}{
		{"answer_cited", renderAnswer("Will Iran allow inspections? @everyone", cited)},
		{"answer_declined", renderAnswer("Who won the 2022 World Cup?", declined)},
		{"answer_long", renderAnswer("Tell me everything", long)},
		{"answer_many_sources", renderAnswer("Everything?", seam.Answer{Text: "See [1].", Citations: many})},
		{"answer_partial", renderPartial("Will Iran allow inspections?", "Press TV reports [1]")},
		{"source", renderSource("missile sanctions", seam.Filter{}, []seam.Passage{p1, p2}, hl)},
		{"source_none", renderSource("ibuprofen", seam.Filter{}, nil, hl)},
		{"full_sources", renderSourcesPage([]seam.Citation{{N: 1, Passage: p1}, {N: 2, Passage: p2}, {N: 3, Passage: seam.Passage{ID: "gone#1"}}}, 0)},
		{"full_sources_page2", renderSourcesPage(many, 1)},
		{"answer_long_ids", renderAnswer("Everything?", seam.Answer{Text: "See [1].", Citations: longIDs})},
		{"articles_page2", renderArticles(arts, "", seam.Filter{}, 1)},
		{"articles_search", renderArticles(arts, "article 2", seam.Filter{}, 0)},
		{"articles_none", renderArticles(arts, "zebra", seam.Filter{}, 0)},
		{"articles_long", renderArticles(longArts, "", seam.Filter{}, 0)},
		{"reindex_summary", renderSummary(sum)},
		{"reindex_summary_truncated", renderSummary(bigSum)},
		{"reindex_progress", renderProgress(seam.Progress{Stage: "embedding", Done: 12, Total: 40})},
		{"help", renderHelp(seam.Stats{Articles: 2, Passages: 5, Sources: []string{"Press TV", "Tasnim"}, Oldest: pub1, Newest: pub2}, false, true)},
		{"help_empty", renderHelp(seam.Stats{}, true, false)},
		{"help_many_outlets", renderHelp(seam.Stats{Articles: 12000, Passages: 99000, Sources: outlets, Oldest: pub1, Newest: pub2}, true, false)},
		{"reindex_summary_missing", renderSummary(seam.Summary{Articles: 3, Passages: 9, Added: []string{"news/new"}, Unchanged: 2,
			Missing: []string{"news/old"}, Duration: 1500 * time.Millisecond})},
		{"removed", renderRemoved(seam.Removed{Articles: []seam.Article{
			{ID: "ingested/story", Title: "A story @everyone", Origin: "ingest"},
			{ID: "bbc/tech/001", Title: "Chips", Origin: "/corpus"}}})},
		{"ingested", renderIngested(seam.Ingested{Path: "ingested/story.txt",
			Articles: []seam.Article{{ID: "ingested/story", Path: "ingested/story.txt", Title: "A story", Source: "BBC", Passages: 4}}})},
		{"ingested_skipped", renderIngested(seam.Ingested{Path: "ingested/x.json",
			Skipped: []seam.Problem{{Path: "ingested/x.json", Reason: `duplicate ID "dup"`}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, tt.v)
			checkLimits(t, tt.v)
		})
	}
}

// checkLimits asserts Discord's limits on rendered messages.
func checkLimits(t *testing.T, v any) {
	t.Helper()
	var msgs []message
	switch v := v.(type) {
	case message:
		msgs = []message{v}
	case []message:
		msgs = v
	}
	for i, m := range msgs {
		if w := width(m.Content); w > MessageLimit {
			t.Errorf("message %d: %d characters of content", i, w)
		}
		if len(m.Embeds) > maxEmbedsPerMessage {
			t.Errorf("message %d: %d embeds", i, len(m.Embeds))
		}
		total := 0
		for _, e := range m.Embeds {
			total += embedSize(e)
			if width(e.Title) > maxEmbedTitle || width(e.Description) > maxEmbedDescription {
				t.Errorf("message %d: embed title %d or description %d too long", i, width(e.Title), width(e.Description))
			}
		}
		if total > maxEmbedTotal {
			t.Errorf("message %d: %d characters of embeds", i, total)
		}
		if strings.Contains(m.Content, "@everyone") || mentionRE.MatchString(m.Content) {
			t.Errorf("message %d: a live mention in %q", i, m.Content)
		}
		if len(m.Components) > 5 {
			t.Errorf("message %d: %d component rows", i, len(m.Components))
		}
		ids := map[string]bool{}
		for _, c := range m.Components {
			row, ok := c.(discordgo.ActionsRow)
			if !ok || len(row.Components) < 1 || len(row.Components) > 5 {
				t.Errorf("message %d: component row %+v, want 1-5 components", i, c)
				continue
			}
			for _, b := range row.Components {
				btn, ok := b.(discordgo.Button)
				if !ok {
					continue
				}
				if n := width(btn.CustomID); n < 1 || n > 100 || ids[btn.CustomID] {
					t.Errorf("message %d: button custom ID %q (%d characters, or repeated)", i, btn.CustomID, n)
				}
				ids[btn.CustomID] = true
				if width(btn.Label) > 80 {
					t.Errorf("message %d: button label %q", i, btn.Label)
				}
			}
		}
	}
}

func TestSourcesRoundTrip(t *testing.T) {
	// The buttons read the citations back from the rendered Sources embed.
	msgs := renderAnswer("q", seam.Answer{Text: "x [1] y [2]", Citations: []seam.Citation{{N: 1, Passage: p1}, {N: 2, Passage: p2}}})
	m := toMessage(msgs[0])
	got := citationsOf(m)
	want := []citedPassage{{N: 1, ID: p1.ID}, {N: 2, ID: p2.ID}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("citationsOf = %v, want %v", got, want)
	}
	if q := questionOf(m.Content); q != "q" {
		t.Errorf("questionOf = %q", q)
	}
	if a := answerOf(m.Content); a != "x [1] y [2]" {
		t.Errorf("answerOf = %q", a)
	}

	// However many citations, each is listed, however plainly, for the
	// buttons to read back: 40 with IDs of 130 characters take two embeds.
	for _, n := range []int{1, 10, 25, 40} {
		var cites []seam.Citation
		for k := 1; k <= n; k++ {
			p := p1
			p.ID = fmt.Sprintf("ingested/%s-%02d#%d", strings.Repeat("very-long-file-name-", 5), k, k)
			p.Title = strings.Repeat("*Long* title ", 20)
			p.URL = "https://example.com/" + strings.Repeat("x", 480)
			cites = append(cites, seam.Citation{N: k, Passage: p})
		}
		msgs := renderAnswer("q", seam.Answer{Text: "x [1]", Citations: cites})
		checkLimits(t, msgs)
		got := citationsOf(toMessage(msgs[0]))
		if len(got) != n {
			t.Errorf("%d citations: %d read back", n, len(got))
			continue
		}
		for k, c := range got {
			if c.N != k+1 || c.ID != cites[k].ID {
				t.Errorf("%d citations: read back %v as [%d] %s", n, c, k+1, cites[k].ID)
			}
		}
		// A page of Show sources lists them all too, beside a passage,
		// up to some 30 citations with such long IDs (the engine cites
		// far fewer).
		page := renderSourcesPage(cites, 0)
		checkLimits(t, page)
		if got := citationsOf(toMessage(page)); len(got) != n && n <= 25 {
			t.Errorf("%d citations: a page of Show sources lists %d", n, len(got))
		}
	}
}

func TestUserText(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x: %w", seam.ErrReindexRunning), "already running"},
		{fmt.Errorf("ingest: %w", &seam.Rejection{Reason: seam.Empty}), "empty"},
		{&seam.Rejection{Reason: seam.InvalidJSON, Line: 3}, "on line 3"},
		{&seam.Rejection{Reason: seam.Unsupported}, "only add .txt and .md files"},
		{fmt.Errorf("disk on fire: /secret/path"), genericFailure},
		{userErrorf("exact words"), "exact words"},
		{fmt.Errorf("save: %w", &os.PathError{Op: "write", Path: "/data/x", Err: syscall.ENOSPC}), "disk is full"},
	}
	for _, tt := range tests {
		if got := userText(tt.err, ".txt and .md"); !strings.Contains(got, tt.want) {
			t.Errorf("userText(%v) = %q, want it to contain %q", tt.err, got, tt.want)
		}
	}
}
