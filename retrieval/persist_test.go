package retrieval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSaveLoadRoundTrip: a reopened index is the saved one, field for
// field — articles, passages with their terms and vectors, the keyword
// index — and answers the same.
func TestSaveLoadRoundTrip(t *testing.T) {
	corpus := fixtureCorpus(t)
	writeFile(t, filepath.Join(corpus, "dated.md"), "---\ntitle: Dated story\nsource: Press TV\ndate: 2015-07-14T09:30:00+04:30\nurl: https://example.com/x\n---\nA dated story about missiles and whales.\n\nA second paragraph, long enough to be its own passage perhaps.")
	data := t.TempDir()
	ix := openTest(t, data, nil)
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}
	again := openTest(t, data, nil)
	if again.Stale() != "" {
		t.Fatalf("stale: %s", again.Stale())
	}
	a, b := ix.cur.Load(), again.cur.Load()
	if b.mapping == nil && mapFileMaps {
		t.Fatal("the reopened index was not mapped")
	}
	if !reflect.DeepEqual(a.articles, b.articles) {
		t.Fatalf("articles differ:\n%+v\n%+v", a.articles, b.articles)
	}
	for i := range a.passages {
		p, q := a.passages[i], b.passages[i]
		if !reflect.DeepEqual(p.storedPassage, q.storedPassage) || !slices.Equal(p.vec, q.vec) ||
			!reflect.DeepEqual(a.passageTerms(i), b.passageTerms(i)) || len(a.passageTerms(i)) == 0 {
			t.Fatalf("passage %d differs:\n%+v %v\n%+v %v", i, p, a.passageTerms(i), q, b.passageTerms(i))
		}
	}
	ka, kb := a.kw, b.kw
	for name, eq := range map[string]bool{
		"terms":  slices.Equal(ka.terms, kb.terms),
		"start":  slices.Equal(ka.start, kb.start),
		"docs":   slices.Equal(ka.docs, kb.docs),
		"tfs":    slices.Equal(ka.tfs, kb.tfs),
		"impact": slices.Equal(ka.impact, kb.impact),
		"docLen": slices.Equal(ka.docLen, kb.docLen),
		"norm":   slices.Equal(ka.norm, kb.norm),
	} {
		if !eq {
			t.Errorf("keyword index %s differs after reload", name)
		}
	}
	if !reflect.DeepEqual(a.sources, b.sources) || a.manifest.Passages != b.manifest.Passages {
		t.Errorf("sources or counts differ: %v %v", a.sources, b.sources)
	}
	for _, q := range []Query{{Text: "whales in the bay"}, {Text: "missile", Source: "press tv"}, {Text: "dated missiles", After: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)}} {
		ra, err := ix.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := again.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ra) != fmt.Sprint(rb) {
			t.Fatalf("query %q: results differ after reload:\n%v\n%v", q.Text, ra, rb)
		}
	}
}

// mapFileMaps is whether mapFile maps files here (Unix) rather than
// reading them.
var mapFileMaps = func() bool {
	f, err := os.Open(os.Args[0])
	if err != nil {
		return false
	}
	defer f.Close()
	_, unmap, err := mapFile(f, 1)
	return err == nil && unmap != nil
}()

// TestResultsOutliveTheMapping: what a loaded index returned stays valid
// after Close unmaps its file, and a mapping nothing holds any more goes
// by itself.
func TestResultsOutliveTheMapping(t *testing.T) {
	data := t.TempDir()
	ix := openTest(t, data, nil)
	if _, err := ix.Reindex(context.Background(), fixtureCorpus(t), nil); err != nil {
		t.Fatal(err)
	}
	again, err := Open(Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	res, err := again.Search(context.Background(), Query{Text: "whales"})
	if err != nil || len(res) == 0 {
		t.Fatalf("search: %v, %d results", err, len(res))
	}
	p, _ := again.Passage(res[0].ID)
	arts := again.Articles()
	state := again.cur.Load().mapping.state
	again.Close()
	again.Close() // twice is fine
	if state.data != nil {
		t.Fatal("Close left the file mapped")
	}
	if !strings.Contains(res[0].Text+p.Text, "whales") || arts[0].ID == "" || len(res[0].Matched) == 0 || res[0].Matched[0] == "" {
		t.Fatal("results changed after Close")
	}

	// A snapshot replaced by a reindex, held by nothing: its mapping is
	// released by the garbage collector.
	third, err := Open(Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	state = third.cur.Load().mapping.state
	writeFile(t, filepath.Join(third.Corpus(), "new.txt"), "New story\n\nSomething new happened.")
	if _, err := third.Reindex(context.Background(), third.Corpus(), nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		runtime.GC()
		state.mu.Lock()
		gone := state.data == nil
		state.mu.Unlock()
		if gone {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the replaced snapshot's mapping was never released")
}

// FuzzIndexTable: a table section, however damaged, decodes to an error or
// to records, never a panic; run bounds are checked the same way.
func FuzzIndexTable(f *testing.F) {
	s := &snapshot{
		articles: []ArticleInfo{{ID: "a", Title: "T", Published: time.Date(2015, 1, 2, 3, 4, 5, 0, time.UTC), Passages: 1}},
		passages: []livePassage{{storedPassage: storedPassage{Passage: Passage{ID: "a#1", ArticleID: "a", Title: "T", Ordinal: 1, Text: "text"}, ArticleHash: "h"}}},
	}
	s.kw, s.terms = newBM25([][]termCount{countTerms([]string{"text", "t"})})
	f.Add(s.table(), []byte{0, 0, 0, 0, 1, 0, 0, 0})
	f.Add([]byte{1, 2, 3}, []byte{})
	f.Fuzz(func(t *testing.T, table, runs []byte) {
		d := &decoder{s: string(table)}
		d.decode()
		u, err := viewLE[uint32](runs[:len(runs)/4*4])
		if err != nil {
			t.Fatal(err)
		}
		if len(u) > 0 {
			checkRuns(u[:len(u)/2+1], u[len(u)/2+1:], 100)
		}
	})
}
