package retrieval

import (
	"context"
	"path/filepath"
	"testing"
)

// TestYearConstraint checks that a year in a question is a constraint: of
// two reports alike but for their year, the one naming the asked year
// ranks first whichever year is asked, and a passage naming only other
// years ranks below one naming none.
func TestYearConstraint(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Profits at Acme\n\nAcme reported record profits for 2004, its chairman said, as sales of its phones rose in Europe and Asia.")
	writeFile(t, filepath.Join(dir, "b.txt"), "Profits at Acme\n\nAcme reported record profits for 2005, its chairman said, as sales of its phones rose in Europe and Asia.")
	writeFile(t, filepath.Join(dir, "c.txt"), "Acme outlook\n\nAcme expects record profits as sales of its phones rise in Europe and Asia, its chairman said.")
	ix := openTest(t, t.TempDir(), nil)
	if _, err := ix.Reindex(context.Background(), dir, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  []string // article IDs, best first
	}{
		{"what profits did acme report for 2004?", []string{"a", "c", "b"}},
		{"what profits did acme report for 2005?", []string{"b", "c", "a"}},
	}
	for _, tc := range tests {
		res := search(t, ix, tc.query, 3)
		var got []string
		for _, r := range res {
			got = append(got, r.ArticleID)
		}
		if len(got) != 3 || got[0] != tc.want[0] || got[1] != tc.want[1] || got[2] != tc.want[2] {
			t.Errorf("Search(%q) = %v, want %v", tc.query, got, tc.want)
		}
	}
}

// TestYears checks the span of years an index's undated articles cover:
// the years at least half as many articles mention as the most mentioned
// one, not a year a few articles look ahead to.
func TestYears(t *testing.T) {
	dir := t.TempDir()
	for i, y := range []string{"2004", "2004", "2005", "2004 2005", "2005", "2004", "2004 and the 2006 World Cup"} {
		writeFile(t, filepath.Join(dir, string(rune('a'+i))+".txt"), "Story\n\nSomething happened in "+y+" that people discussed at length.")
	}
	writeFile(t, filepath.Join(dir, "dated.md"), "---\ntitle: Later\npublished: 2017-07-22\n---\nSomething happened in 2017 that people discussed.")
	ix := openTest(t, t.TempDir(), nil)
	if _, err := ix.Reindex(context.Background(), dir, nil); err != nil {
		t.Fatal(err)
	}
	if got := ix.Years(); got.First != 2004 || got.Last != 2017 {
		t.Errorf("Years() = %+v, want 2004–2017 (undated 2004–05, one article of 2017)", got)
	}
	if got := ix.Present("a"); got != 2005 {
		t.Errorf("Present(undated) = %d, want 2005", got)
	}
	if got := ix.Present("dated"); got != 2017 {
		t.Errorf("Present(dated) = %d, want 2017", got)
	}
}

// TestMetaAndFillerWords checks which question words count as no content:
// words about the articles, and chat fillers written in lower case ("the
// bloke who", "what stuff"), but not a capitalised filler, which may be a
// name ("Guy Ritchie").
func TestMetaAndFillerWords(t *testing.T) {
	ix := openTest(t, t.TempDir(), nil)
	tests := []struct {
		query string
		meta  map[string]bool // surface word → want Meta
	}{
		{"what did the article say the bloke threw?", map[string]bool{"article": true, "bloke": true, "threw": false}},
		{"what banned stuff was in her sample?", map[string]bool{"stuff": true, "banned": false, "sample": false}},
		{"which film did Guy Ritchie direct?", map[string]bool{"Guy": false, "Ritchie": false, "film": false}},
		{"the guy who actually sold the things", map[string]bool{"guy": true, "actually": true, "things": true, "sold": false}},
		{"why did china stop 30 projects incl. the xiluodu dam btw", map[string]bool{"incl": true, "btw": true, "xiluodu": false, "projects": false}},
		{"whats the name of the dam, dont know it", map[string]bool{"whats": true, "dont": true, "dam": false}},
	}
	for _, tc := range tests {
		got := map[string]bool{}
		for _, qt := range ix.Analyze(tc.query) {
			got[qt.Word] = qt.Meta
		}
		for w, want := range tc.meta {
			if m, ok := got[w]; !ok || m != want {
				t.Errorf("%q: %q meta=%v (analysed: %v), want %v", tc.query, w, m, ok, want)
			}
		}
	}
}

// TestPhrasalVerbAlternatives checks that a phrasal verb the question
// types gets the one-word synonyms articles use: "stepped down" ~
// "resign", "pull in" ~ "earn"; the verb without its particle does not.
func TestPhrasalVerbAlternatives(t *testing.T) {
	ix := openTest(t, t.TempDir(), nil)
	tests := []struct {
		query, verb, want string
		has               bool
	}{
		{"who stepped down as chief executive?", "stepped", "resign", true},
		{"how much did prince pull in during 2004?", "pull", "earn", true},
		{"who pulled the plug?", "pulled", "earn", false},
	}
	for _, tc := range tests {
		want := ix.Terms(tc.want)[0]
		found := false
		for _, qt := range ix.Analyze(tc.query) {
			if qt.Word != tc.verb {
				continue
			}
			for _, a := range qt.Alternatives {
				if len(a.Terms) == 1 && a.Terms[0] == want {
					found = true
				}
			}
		}
		if found != tc.has {
			t.Errorf("%q: %q has alternative %q: %v, want %v", tc.query, tc.verb, tc.want, found, tc.has)
		}
	}
}

func TestNumberShorthand(t *testing.T) {
	for term, want := range map[string]string{
		"150k": "150000", "2.5k": "2500", "7610s": "7610", "1990s": "1990", "150": "", "k": "", "q1": "", "2.0005k": "",
	} {
		if got := numberShorthand(term); got != want {
			t.Errorf("numberShorthand(%q) = %q, want %q", term, got, want)
		}
	}
}
