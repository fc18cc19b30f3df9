package retrieval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests below run two writers in one process: flock locks belong to
// open files, so two Index values on one folder exclude each other as two
// processes do.

func skipWithoutLocks(t *testing.T) {
	t.Helper()
	if !locksWork {
		t.Skip("no flock on this system")
	}
}

func articleIDs(ix *Index) []string {
	var out []string
	for _, a := range ix.Articles() {
		out = append(out, a.ID)
	}
	sort.Strings(out)
	return out
}

// TestTwoReindexesNeverLoseAnUpdate runs two writers on one data folder:
// A reads the corpus with one new article and is held before it embeds;
// meanwhile a second article is added and B starts. Without the lock B
// finishes first and A, saving last, drops B's article. With it, B waits
// for A, then reads the corpus again: the index saved last holds both
// articles, which is what the later writer saw.
func TestTwoReindexesNeverLoseAnUpdate(t *testing.T) {
	skipWithoutLocks(t)
	corpus, data := fixtureCorpus(t), t.TempDir()
	if _, err := openTest(t, data, nil).Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}
	a, err := Open(Options{Dir: data, Owner: "writer A"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(Options{Dir: data, Owner: "writer B"})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(corpus, "first.txt"), "Ferries return to Brest\n\nThe ferries of Brest sailed again on Monday, the harbour master said.")

	aLoaded := make(chan struct{})
	bWaitsOrEnded := make(chan struct{})
	var bHolder string
	var wg sync.WaitGroup
	var errA, errB error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, errA = a.Reindex(context.Background(), corpus, func(p Progress) {
			if p.Stage == "embedding" && p.Done == 0 {
				close(aLoaded)
				select {
				case <-bWaitsOrEnded:
				case <-time.After(30 * time.Second):
				}
			}
		})
	}()
	<-aLoaded
	writeFile(t, filepath.Join(corpus, "second.txt"), "Quimper opens a library\n\nThe town of Quimper opened a new public library on Tuesday, the mayor said.")
	var once sync.Once
	signal := func() { once.Do(func() { close(bWaitsOrEnded) }) }
	_, errB = b.Reindex(context.Background(), corpus, func(p Progress) {
		if p.Stage == StageWaiting {
			bHolder = p.Holder
			signal()
		}
	})
	signal()
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("reindexes: A %v, B %v", errA, errB)
	}
	if !strings.Contains(bHolder, "writer A") || !strings.Contains(bHolder, fmt.Sprint(os.Getpid())) {
		t.Errorf("B waited for %q, want writer A and its process ID", bHolder)
	}
	got := articleIDs(openTest(t, data, nil))
	want := articleIDs(b) // what the later writer saw
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("saved index holds %v, the later writer saw %v", got, want)
	}
	for _, id := range []string{"first", "second"} {
		if !contains(got, id) {
			t.Errorf("the saved index lost article %q: %v", id, got)
		}
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// TestOpenLeavesAWritersTempAlone opens the index while another writer is
// halfway through saving: the open must not delete the writer's temporary
// file, and the writer's save then succeeds.
func TestOpenLeavesAWritersTempAlone(t *testing.T) {
	skipWithoutLocks(t)
	corpus, data := fixtureCorpus(t), t.TempDir()
	w := openTest(t, data, nil)
	var tmpSeen, tmpKept bool
	w.saveHook = func(tmp string) {
		_, err := os.Stat(tmp)
		tmpSeen = err == nil
		if _, err := Open(Options{Dir: data}); err != nil {
			t.Errorf("open during a save: %v", err)
		}
		_, err = os.Stat(tmp)
		tmpKept = err == nil
	}
	if _, err := w.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatalf("the writer's reindex failed: %v", err)
	}
	if !tmpSeen || !tmpKept {
		t.Fatalf("temporary file before the open: %v, after: %v", tmpSeen, tmpKept)
	}
	if again := openTest(t, data, nil); again.Stale() != "" || len(again.Articles()) == 0 {
		t.Fatalf("saved index: stale %q, %d articles", again.Stale(), len(again.Articles()))
	}
}

// TestStaleTempsGoOnceTheirWriterIsGone: a temporary file whose writer
// holds no lock (it was killed) is removed by the next open.
func TestStaleTempsGoOnceTheirWriterIsGone(t *testing.T) {
	skipWithoutLocks(t)
	data := t.TempDir()
	stale := filepath.Join(data, indexFileName+".tmp-999999-123")
	writeFile(t, stale, "half an index")

	held, err := lockFolder(context.Background(), data, dataLockName, "a live writer", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	openTest(t, data, nil)
	if _, err := os.Stat(stale); err != nil {
		t.Fatalf("an open removed a temporary file while its folder was locked: %v", err)
	}
	held.unlock()
	openTest(t, data, nil)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the temporary file of a writer that is gone was kept: %v", err)
	}
}

// TestReindexGivesUpNamingTheOtherWriter: a reindex waits for the other
// writer, says so, and gives up after the wait with an error naming the
// folder and the writer, matching ErrReindexRunning.
func TestReindexGivesUpNamingTheOtherWriter(t *testing.T) {
	skipWithoutLocks(t)
	corpus, data := fixtureCorpus(t), t.TempDir()
	held, err := lockFolder(context.Background(), data, dataLockName, "bot index", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.unlock()
	ix, err := Open(Options{Dir: data, LockWait: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var waiting []Progress
	start := time.Now()
	_, err = ix.Reindex(context.Background(), corpus, func(p Progress) {
		if p.Stage == StageWaiting {
			waiting = append(waiting, p)
		}
	})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrReindexRunning) {
		t.Fatalf("reindex while another writer holds the folder: %v", err)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Errorf("gave up after %v, before the wait", time.Since(start))
	}
	for _, want := range []string{data, "bot index", fmt.Sprintf("process %d", os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if len(waiting) != 1 || !strings.Contains(waiting[0].Holder, "bot index") {
		t.Errorf("waiting reported as %+v", waiting)
	}

	ctx, cancel := context.WithTimeoutCause(context.Background(), 50*time.Millisecond, errors.New("interaction over"))
	defer cancel()
	ix.lockWait = time.Hour
	if _, err := ix.Reindex(ctx, corpus, nil); err == nil || !strings.Contains(err.Error(), "interaction over") {
		t.Errorf("wait cut by its context: %v", err)
	}
	if len(ix.Articles()) != 0 {
		t.Error("a reindex that never got the lock changed the index")
	}
}

// TestIngestLeavesAnotherWritersTempAlone: while another process writes a
// file into the ingest folder (it holds the folder's lock and has a
// temporary file there), an ingest waits, and deletes nothing of it; once
// the other writer is done, the ingest goes ahead.
func TestIngestLeavesAnotherWritersTempAlone(t *testing.T) {
	skipWithoutLocks(t)
	corpus := fixtureCorpus(t)
	dir := filepath.Join(corpus, IngestDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	held, err := lockFolder(context.Background(), corpus, ingestLockName, "another bot", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(dir, ".ingest-999999-42.tmp")
	writeFile(t, theirs, "half of their artic")

	waiting := make(chan struct{})
	ix, err := Open(Options{Dir: t.TempDir(), Logger: slog.New(signalHandler{msg: "waiting for another process to finish adding a file", ch: waiting})})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ix.Ingest(context.Background(), corpus, "zorblax.txt", []byte(zorblax), nil)
		done <- err
	}()
	select {
	case <-waiting:
	case err := <-done:
		_, statErr := os.Stat(theirs)
		t.Fatalf("the ingest did not wait for the other writer (err %v; their temporary file: %v)", err, statErr)
	case <-time.After(20 * time.Second):
		t.Fatal("the ingest neither waited nor finished")
	}
	if _, err := os.Stat(theirs); err != nil {
		t.Fatalf("the other writer's temporary file was deleted: %v", err)
	}
	// The other writer finishes: its file in place, its temp gone.
	if err := os.Rename(theirs, filepath.Join(dir, "theirs.txt")); err != nil {
		t.Fatal(err)
	}
	held.unlock()
	if err := <-done; err != nil {
		t.Fatalf("ingest after the other writer: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "theirs.txt")); err != nil {
		t.Errorf("the other writer's file: %v", err)
	}
}

// signalHandler is a slog handler that closes ch at the first record with
// message msg (records come from one goroutine).
type signalHandler struct {
	msg string
	ch  chan struct{}
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case <-h.ch:
		default:
			close(h.ch)
		}
	}
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }
