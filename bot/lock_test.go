package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/fakeopenai"
	"github.com/newsbot/newsbot/internal/testkit"
)

// TestTwoIndexRunsNeverLoseAnUpdate runs `bot index` twice at once on one
// data folder, as two terminals would. Run A starts after one article is
// added and is held while its passages are embedded; a second article is
// added and run B starts. B must wait for A (saying who it waits for),
// then index the corpus as it is by then, so that a third run finds the
// index up to date: nothing either run saw is lost, whichever finishes
// last. Without the data folder's lock, B finishes first and A, saving
// last, drops the second article.
func TestTwoIndexRunsNeverLoseAnUpdate(t *testing.T) {
	embed := fakeopenai.New(t)
	corpus, data := copySeeds(t), t.TempDir()
	env := map[string]string{
		"NEWSBOT_DATA":           data,
		"NEWSBOT_CORPUS":         corpus,
		"NEWSBOT_EMBED_MODEL":    "fake-embed",
		"NEWSBOT_EMBED_BASE_URL": embed.URL,
	}
	if _, errs, err := runBot(t, env, "index"); err != nil {
		t.Fatalf("first index: %v\n%s", err, errs)
	}

	// A's embedding of the first new article waits until B has said it
	// waits, or has finished.
	const firstMarker = "ferries of Brest"
	aEmbedding := make(chan struct{})
	release := make(chan struct{})
	var held atomic.Bool
	embed.ReplyEmbeddings(func(req fakeopenai.EmbeddingRequest) fakeopenai.EmbedResponse {
		for _, in := range req.Input {
			if strings.Contains(in, firstMarker) && held.CompareAndSwap(false, true) {
				close(aEmbedding)
				select {
				case <-release:
				case <-time.After(60 * time.Second):
				}
				break
			}
		}
		return fakeopenai.EmbedResponse{}
	})
	writeFile(t, filepath.Join(corpus, "first.txt"), []byte("Ferries return\n\nThe "+firstMarker+" sailed again on Monday, the harbour master said."))

	type result struct {
		stdout string
		err    error
	}
	runAsync := func(stderr *testkit.Buffer) chan result {
		ch := make(chan result, 1)
		go func() {
			var out testkit.Buffer
			err := run(context.Background(), []string{"bot", "index"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, stderr)
			ch <- result{out.String(), err}
		}()
		return ch
	}
	var stderrA, stderrB testkit.Buffer
	a := runAsync(&stderrA)
	select {
	case <-aEmbedding:
	case r := <-a:
		t.Fatalf("run A ended before embedding: %v\n%s", r.err, stderrA.String())
	}
	writeFile(t, filepath.Join(corpus, "second.txt"), []byte("Quimper opens a library\n\nThe town of Quimper opened a new public library on Tuesday, the mayor said."))
	b := runAsync(&stderrB)

	var rb result
	bDone := false
	deadline := time.After(60 * time.Second)
wait:
	for {
		select {
		case rb = <-b:
			bDone = true
			break wait
		case <-deadline:
			t.Fatal("run B neither waited nor finished")
		case <-time.After(10 * time.Millisecond):
			if strings.Contains(stderrB.String(), "Waiting for") {
				break wait
			}
		}
	}
	close(release)
	ra := <-a
	if !bDone {
		rb = <-b
	}
	if ra.err != nil || rb.err != nil {
		t.Fatalf("runs: A %v, B %v\nA's stderr:\n%s\nB's stderr:\n%s", ra.err, rb.err, stderrA.String(), stderrB.String())
	}
	wantWait := fmt.Sprintf("Waiting for process %d (bot index)", os.Getpid())
	if msg := stderrB.String(); !strings.Contains(msg, wantWait) || !strings.Contains(msg, data) {
		t.Errorf("B's message does not name the other process (%q) and the data folder:\n%s", wantWait, msg)
	}

	// A third run finds nothing to do: the saved index holds every article
	// of the corpus, both new ones included.
	out, errs, err := runBot(t, env, "index")
	if err != nil {
		t.Fatalf("third index: %v\n%s", err, errs)
	}
	if !strings.Contains(out, "added 0, changed 0, removed 0") {
		t.Errorf("after both runs the saved index lacks an update:\nA: %sB: %sthird: %s", ra.stdout, rb.stdout, out)
	}
}
