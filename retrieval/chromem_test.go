package retrieval

import (
	"context"
	"testing"
	"time"
)

// filled waits until the filler has nothing left to do.
func filled(t *testing.T, f *collectionFiller) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		f.mu.Lock()
		idle := !f.running
		f.mu.Unlock()
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the chromem-go filler is still busy after 10 s")
		}
	}
}

// TestLiveSnapshotsAreInChromem: chromem-go holds the vectors of the
// snapshot the index serves, after a reindex and after a reopen, once the
// filler is done; the documents are the passages'.
func TestLiveSnapshotsAreInChromem(t *testing.T) {
	data := t.TempDir()
	check := func(name string, ix *Index) {
		t.Helper()
		filled(t, &ix.filler)
		s := ix.cur.Load()
		defer ix.Close()
		if s.col == nil || s.colErr != nil {
			t.Fatalf("%s: no chromem-go collection for the live snapshot (err %v)", name, s.colErr)
		}
		if got := s.col.Count(); got != len(s.passages) || got == 0 {
			t.Fatalf("%s: the collection holds %d documents, the snapshot %d passages", name, got, len(s.passages))
		}
		doc, err := s.col.GetByID(context.Background(), s.passages[0].ID)
		if err != nil || len(doc.Embedding) != len(s.passages[0].vec) {
			t.Fatalf("%s: passage %s in the collection: %v (%d dims)", name, s.passages[0].ID, err, len(doc.Embedding))
		}
	}
	ix := openTest(t, data, nil)
	if _, err := ix.Reindex(context.Background(), fixtureCorpus(t), nil); err != nil {
		t.Fatal(err)
	}
	check("after a reindex", ix)
	check("after a reopen", openTest(t, data, nil))
}
