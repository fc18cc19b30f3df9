package answer

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsbot/newsbot/retrieval"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run go test -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s", name, path, got, want)
	}
}

// articleRetriever is a Retriever that knows only its articles' passages:
// enough for ModelContext, which reads the neighbours of what was
// retrieved. Any other method panics (the embedded interface is nil).
type articleRetriever struct {
	Retriever
	articles map[string][]retrieval.Passage
}

func (r articleRetriever) ArticlePassages(id string) []retrieval.Passage { return r.articles[id] }

// makeArticle makes an article of n passages whose texts name their position.
func makeArticle(id, title, source string, n, words int) []retrieval.Passage {
	ps := make([]retrieval.Passage, n)
	for i := range ps {
		text := fmt.Sprintf("Passage %d of %s.", i+1, id)
		if words > 0 {
			text += strings.Repeat(" word", words)
		}
		ps[i] = retrieval.Passage{ID: fmt.Sprintf("%s#%d", id, i+1), ArticleID: id, Title: title, Source: source,
			Ordinal: i + 1, Text: text}
	}
	return ps
}

// hit is passage n (from 1) of an article, retrieved with score.
func hit(ps []retrieval.Passage, n int, score float64) retrieval.Result {
	return retrieval.Result{Passage: ps[n-1], Score: score}
}

func contextEngine(t *testing.T, cfg Config, arts ...[]retrieval.Passage) *Engine {
	t.Helper()
	r := articleRetriever{articles: map[string][]retrieval.Passage{}}
	for _, a := range arts {
		r.articles[a[0].ArticleID] = a
	}
	e, err := New(r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func ids(ps []retrieval.Passage) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.ID)
	}
	return strings.Join(s, " ")
}

func TestModelContext(t *testing.T) {
	a := makeArticle("a", "Article A", "Press TV", 6, 0)
	b := makeArticle("b", "Article B", "", 3, 0)
	c := makeArticle("c", "Article C", "Tasnim", 3, 0)
	long := makeArticle("long", "Long", "", 3, 2000)
	tests := []struct {
		name   string
		tokens int
		arts   [][]retrieval.Passage
		hits   []retrieval.Result
		want   string
	}{
		{
			name: "grouped by article in reading order, with neighbours",
			arts: [][]retrieval.Passage{a, b},
			hits: []retrieval.Result{hit(a, 4, 2.0), hit(b, 1, 1.8), hit(a, 2, 1.5)},
			want: "a#1 a#2 a#3 a#4 a#5 b#1 b#2",
		},
		{
			name: "a passage far below the best is left out, neighbours and all",
			arts: [][]retrieval.Passage{a, b},
			hits: []retrieval.Result{hit(a, 1, 2.0), hit(b, 2, 0.9)},
			want: "a#1 a#2",
		},
		{
			name: "neighbours of the two best articles only",
			arts: [][]retrieval.Passage{a, b, c},
			hits: []retrieval.Result{hit(a, 3, 2.0), hit(b, 2, 1.9), hit(c, 2, 1.8)},
			want: "a#2 a#3 a#4 b#1 b#2 b#3 c#2",
		},
		{
			name:   "the budget comes first: the next passages before the previous ones",
			tokens: 40,
			arts:   [][]retrieval.Passage{a},
			hits:   []retrieval.Result{hit(a, 3, 2.0)},
			want:   "a#3 a#4",
		},
		{
			name:   "a passage longer than the budget is sent cut",
			tokens: 100,
			arts:   [][]retrieval.Passage{long},
			hits:   []retrieval.Result{hit(long, 2, 2.0)},
			want:   "long#2",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := contextEngine(t, Config{ContextTokens: tc.tokens}, tc.arts...)
			got := e.ModelContext(tc.hits)
			if ids(got) != tc.want {
				t.Errorf("context %s, want %s", ids(got), tc.want)
			}
			size := 0
			for _, p := range got {
				size += len(p.Text)
			}
			if size > e.cfg.ContextTokens*4 {
				t.Errorf("context of %d bytes exceeds the budget of %d tokens", size, e.cfg.ContextTokens)
			}
		})
	}
}

// TestPromptLeavesOutLowScores renders what generate sends for a retrieval
// whose third passage scores far below the best: it is not in the prompt,
// the first article's passages are grouped in order with the one after the
// best, and the article without an outlet is shown as such.
func TestPromptLeavesOutLowScores(t *testing.T) {
	published := time.Date(2017, 7, 29, 0, 0, 0, 0, time.UTC)
	tehran := []retrieval.Passage{
		{ID: "presstv/1#1", ArticleID: "presstv/1", Ordinal: 1, Title: "Iran’s missile might not up for negotiations: Army commander", Source: "Press TV", Published: published,
			Text: "A senior Iranian military commander says the Islamic Republic will never allow any inspection of its military sites."},
		{ID: "presstv/1#2", ArticleID: "presstv/1", Ordinal: 2, Title: "Iran’s missile might not up for negotiations: Army commander", Source: "Press TV", Published: published,
			Text: "“Our missile might is not negotiable at all,” Brigadier General Ahmad Reza Pourdastan said on Saturday."},
		{ID: "presstv/1#3", ArticleID: "presstv/1", Ordinal: 3, Title: "Iran’s missile might not up for negotiations: Army commander", Source: "Press TV", Published: published,
			Text: "He emphasized that the General Staff had already defined Iran's stance."},
	}
	house := []retrieval.Passage{
		{ID: "bbc/politics/001#1", ArticleID: "bbc/politics/001", Ordinal: 1, Title: "US House votes on sanctions",
			Text: "The US House of Representatives voted to impose new sanctions against Iran's missile program."},
	}
	football := []retrieval.Passage{
		{ID: "bbc/sport/002#1", ArticleID: "bbc/sport/002", Ordinal: 1, Title: "Cup draw", Text: "The missile of a free kick won the cup tie."},
	}
	e := contextEngine(t, Config{Now: func() time.Time { return time.Date(2017, 8, 1, 12, 0, 0, 0, time.UTC) }}, tehran, house, football)
	hits := []retrieval.Result{hit(tehran, 2, 2.4), hit(house, 1, 1.6), hit(football, 1, 0.7)}
	q := Question{Text: "What did Iranian commanders say about missiles?"}
	got, err := e.prompts.Answer(e.promptInput(q, e.ModelContext(hits)))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "prompt_low_score_left_out", got)
	for _, bad := range []string{"free kick", "Cup draw"} {
		if strings.Contains(got, bad) {
			t.Errorf("the low-scoring passage is in the prompt (%q)", bad)
		}
	}
	for _, want := range []string{`<passage n="1">` + "\nA senior", `<passage n="3">` + "\nHe emphasized", `source="unknown"`, "Today's date: 2017-08-01"} {
		if !strings.Contains(got, want) {
			t.Errorf("prompt lacks %q", want)
		}
	}
}
