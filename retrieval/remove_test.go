package retrieval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveEmbedded removes articles from an embedded index: by ID (its
// file goes, the reindex drops it), by file (all its articles), never one
// article of a file holding others, and nothing for an unknown ID.
func TestRemoveEmbedded(t *testing.T) {
	corpus := writeFiles(t, map[string]string{"one.txt": "Alderny", "two.txt": "Brisket"})
	feed := `[{"id": "feed-a", "title": "Corvane", "text": "The Corvane fair opened on Monday, officials said, with stalls along the quay."},
		{"id": "feed-b", "title": "Dunmore", "text": "The Dunmore ferry resumed on Tuesday after the storm, its operator said."}]`
	if err := os.WriteFile(filepath.Join(corpus, "feed.json"), []byte(feed), 0o644); err != nil {
		t.Fatal(err)
	}
	ix, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}

	gone, sum, err := ix.Remove(context.Background(), corpus, "one", nil)
	if err != nil || len(gone) != 1 || gone[0].ID != "one" || len(sum.Removed) != 1 {
		t.Fatalf("remove one: %+v %+v %v", gone, sum, err)
	}
	if _, err := os.Stat(filepath.Join(corpus, "one.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("one.txt is still in the corpus: %v", err)
	}
	var sf *SharesFileError
	if _, _, err := ix.Remove(context.Background(), corpus, "feed-a", nil); !errors.As(err, &sf) || sf.Path != "feed.json" || sf.Articles != 2 {
		t.Errorf("remove one article of feed.json: %v, want a SharesFileError", err)
	}
	gone, _, err = ix.Remove(context.Background(), corpus, "feed.json", nil)
	if err != nil || len(gone) != 2 {
		t.Fatalf("remove feed.json: %+v %v", gone, err)
	}
	if _, _, err := ix.Remove(context.Background(), corpus, "nothing", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove an unknown ID: %v", err)
	}
	if arts := ix.Articles(); len(arts) != 1 || arts[0].ID != "two" {
		t.Errorf("left: %+v", arts)
	}
}
