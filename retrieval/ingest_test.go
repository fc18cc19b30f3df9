package retrieval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"story.txt", "story.txt"},
		{"../../etc/passwd.txt", "passwd.txt"},
		{`..\..\windows\evil.md`, "evil.md"},
		{"..", "article.txt"},
		{".hidden.json", "hidden.json"},
		{"a..b.HTML", "a.b.html"},
		{"news\u202egnp.txt", "newsgnp.txt"},
		{"line\nbreak\x00.txt", "linebreak.txt"},
		{"spaces and (parens).jsonl", "spaces_and_parens.jsonl"},
		{"ایران.txt", "ایران.txt"},
		{"noext", "noext.txt"},
		{"page.php", "page.php.txt"},
		{strings.Repeat("x", 300) + ".txt", strings.Repeat("x", maxFileStem) + ".txt"},
	}
	for _, tt := range tests {
		if got := FileName(tt.in); got != tt.want {
			t.Errorf("FileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// ingestEnv is an index of a small corpus, ready to ingest into.
func ingestEnv(t *testing.T) (*Index, string) {
	t.Helper()
	corpus := fixtureCorpus(t)
	ix := openTest(t, t.TempDir(), nil)
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}
	return ix, corpus
}

const zorblax = "Quimper hosts the first Zorblax festival\n\nThe Breton town of Quimper held the first Zorblax festival on Saturday, drawing twelve thousand visitors."

func TestIngestSavesIndexesAndReports(t *testing.T) {
	ix, corpus := ingestEnv(t)
	var stages []string
	res, err := ix.Ingest(context.Background(), corpus, "../Zorblax Story.txt", []byte(zorblax), func(p Progress) {
		stages = append(stages, p.Stage)
		if p.Stage == StageSaved && p.Path != "ingested/Zorblax_Story.txt" {
			t.Errorf("saved at %q", p.Path)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != "ingested/Zorblax_Story.txt" || res.Existed || len(res.Articles) != 1 || res.Articles[0].Passages == 0 || res.Reindexed <= 0 {
		t.Errorf("result %+v", res)
	}
	if len(stages) < 2 || stages[0] != StageSaved || stages[len(stages)-1] != "done" {
		t.Errorf("stages %v, want saved first and the reindex's after", stages)
	}
	if got := search(t, ix, "Zorblax festival visitors", 1); len(got) == 0 || got[0].ArticleID != res.Articles[0].ID {
		t.Errorf("the ingested article is not found: %+v", got)
	}

	again, err := ix.Ingest(context.Background(), corpus, "Zorblax Story.txt", []byte(zorblax), nil)
	if err != nil || !again.Existed || again.Path != res.Path {
		t.Errorf("the same file again: %+v, %v", again, err)
	}
	other, err := ix.Ingest(context.Background(), corpus, "Zorblax Story.txt", []byte("Another story\n\nSomething else happened in Brest on Sunday."), nil)
	if err != nil || other.Path != "ingested/Zorblax_Story-2.txt" {
		t.Errorf("another file of that name: %+v, %v", other, err)
	}
}

func TestIngestRejects(t *testing.T) {
	ix, corpus := ingestEnv(t)
	tests := []struct {
		name, data string
		reason     RejectReason
		line       int
	}{
		{"empty.txt", "", RejectEmpty, 0},
		{"photo.txt", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", RejectBinary, 0},
		{"story.json", "{\n\"title\": \"x\",\n\"text\": \"y\"", RejectInvalidJSON, 3},
		{"nothing.html", "<html><body><script>x()</script></body></html>", RejectNoText, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ix.Ingest(context.Background(), corpus, tt.name, []byte(tt.data), nil)
			var rj *Rejection
			if !errors.As(err, &rj) || rj.Reason != tt.reason || rj.Line != tt.line {
				t.Fatalf("error %v (%+v), want reason %d at line %d", err, rj, tt.reason, tt.line)
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Join(corpus, IngestDir)); len(entries) != 0 {
		t.Errorf("refused files were saved: %v", entries)
	}
}

// TestIngestRemovesInterruptedTemps: the temporary files of an ingest that
// was killed mid-write go; the articles stay.
func TestIngestRemovesInterruptedTemps(t *testing.T) {
	ix, corpus := ingestEnv(t)
	dir := filepath.Join(corpus, IngestDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(dir, ".ingest-123.tmp")
	kept := filepath.Join(dir, "story.txt")
	os.WriteFile(leftover, []byte("half an artic"), 0o644)
	os.WriteFile(kept, []byte("Story\n\nWhole."), 0o644)
	if _, err := ix.Ingest(context.Background(), corpus, "zorblax.txt", []byte(zorblax), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("temporary file left: %v", err)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("an ingested article was removed: %v", err)
	}
}

// TestIngestWaitsForARunningReindex: the file is saved at once, the ingest
// says it waits, and indexes the file once the other reindex ends; a
// context that ends first stops the wait with its cause.
func TestIngestWaitsForARunningReindex(t *testing.T) {
	ix, corpus := ingestEnv(t)
	ix.reindexMu.Lock()
	go func() {
		time.Sleep(100 * time.Millisecond)
		ix.reindexMu.Unlock()
	}()
	var stages []string
	res, err := ix.Ingest(context.Background(), corpus, "zorblax.txt", []byte(zorblax), func(p Progress) { stages = append(stages, p.Stage) })
	if err != nil || len(res.Articles) != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	if len(stages) < 3 || stages[0] != StageSaved || stages[1] != StageWaiting {
		t.Errorf("stages %v, want saved, waiting, then the reindex's", stages)
	}

	ix.reindexMu.Lock()
	defer ix.reindexMu.Unlock()
	ctx, cancel := context.WithTimeoutCause(context.Background(), 50*time.Millisecond, errors.New("interaction over"))
	defer cancel()
	_, err = ix.Ingest(ctx, corpus, "other.txt", []byte("Another story\n\nSomething else happened in Brest on Sunday."), nil)
	if err == nil || !strings.Contains(err.Error(), "interaction over") {
		t.Errorf("wait cut by its context: %v", err)
	}
}
