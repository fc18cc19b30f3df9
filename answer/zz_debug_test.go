package answer

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/newsbot/newsbot/retrieval"
)

func TestDebugReader(t *testing.T) {
	qs := os.Getenv("DBG_Q")
	if qs == "" {
		t.Skip()
	}
	ix, err := retrieval.Open(retrieval.Options{Dir: "/tmp/dbgidx"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Reindex(context.Background(), "/tmp/mixed", nil); err != nil {
		t.Fatal(err)
	}
	e, _ := New(ix, Config{})
	for _, q := range strings.Split(qs, "|") {
		ps, _ := ix.Search(context.Background(), retrieval.Query{Text: q, K: 6})
		rd := e.read(q, q, ps)
		fmt.Printf("Q %s [%s] answer=%.2f\n", q, rd.kind, rd.answer)
		for _, p := range ps {
			fmt.Printf("   P %s cov=%.2f\n", p.ID, p.Coverage)
		}
		for k, i := range rd.order {
			if k >= 8 {
				break
			}
			u := rd.units[i]
			fmt.Printf("  %.3f ov=%.2f sp=%.2f %s nb=%v ref=%v | %s\n", u.score, u.overlap, u.span, rd.passages[u.p].ID, u.neighbour, u.refers, u.text)
		}
	}
}
