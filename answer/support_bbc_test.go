package answer

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsbot/newsbot/internal/testkit"
	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/text"
)

// TestSupportCheckOnBBC measures the support check on what the model is
// sent for the BBC dev questions: every sentence of every context passage
// (six words or more), cited to its own passage, must pass; cited to a
// passage of another article, it should be cited back to its own. It runs
// when NEWSBOT_SUPPORT_EVAL is set and the BBC corpus is present (indexing
// it and checking ~3,000 sentences takes about 20 s):
//
//	NEWSBOT_SUPPORT_EVAL=1 go test -run TestSupportCheckOnBBC -v ./answer/
func TestSupportCheckOnBBC(t *testing.T) {
	if os.Getenv("NEWSBOT_SUPPORT_EVAL") == "" {
		t.Skip("set NEWSBOT_SUPPORT_EVAL=1 to measure the support check on the BBC corpus")
	}
	bbc := testkit.BBC(t)
	questions := filepath.Join(filepath.Dir(bbc), "..", "eval", "bbc-dev.jsonl")
	f, err := os.Open(questions)
	if err != nil {
		t.Skipf("no BBC dev questions: %v", err)
	}
	defer f.Close()
	ix, err := retrieval.Open(retrieval.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Reindex(context.Background(), bbc, nil); err != nil {
		t.Fatal(err)
	}
	eng, err := New(ix, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var sentences, flagged, miscited, back, elsewhere, kept int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var q struct{ Question string }
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatal(err)
		}
		res, err := eng.Answer(context.Background(), Question{Text: q.Question}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range res.Context {
			other := -1
			for j := range res.Context {
				if res.Context[j].ArticleID != p.ArticleID {
					other = j
					break
				}
			}
			for _, sp := range text.SentenceSpans(p.Text) {
				s := strings.TrimRight(strings.TrimSpace(p.Text[sp[0]:sp[1]]), ".")
				if len(strings.Fields(s)) < 6 || strings.ContainsAny(s, "[]") {
					continue
				}
				sentences++
				if got := eng.checkSupport(fmt.Sprintf("%s [%d].", s, i+1), res.Context); got.recited+got.unsupported > 0 {
					flagged++
					t.Logf("flagged though cited to its own passage: %s", s)
				}
				if other < 0 {
					continue
				}
				miscited++
				got := eng.checkSupport(fmt.Sprintf("%s [%d].", s, other+1), res.Context)
				switch {
				case got.recited > 0 && strings.Contains(got.text, fmt.Sprintf("[%d]", i+1)):
					back++
				case got.recited > 0:
					elsewhere++
				case got.unsupported == 0:
					kept++
				}
			}
		}
	}
	t.Logf("%d sentences: %d flagged when cited right; %d cited to another article: %d cited back, %d to a third passage, %d kept as cited, %d flagged",
		sentences, flagged, miscited, back, elsewhere, kept, miscited-back-elsewhere-kept)
	if flagged > 0 {
		t.Errorf("%d of %d correctly cited sentences were flagged", flagged, sentences)
	}
	if share := float64(back) / float64(max(miscited, 1)); share < 0.9 {
		t.Errorf("only %.3f of the miscited sentences were cited back to their passage", share)
	}
}
