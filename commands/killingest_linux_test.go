package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/bot/adapt"
	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/retrieval"
)

// Environment of the child process of TestKilledIngestLeavesCorpusConsistent.
const (
	killChildEnv  = "NEWSBOT_INGEST_KILL_CHILD"
	killCorpusEnv = "NEWSBOT_INGEST_KILL_CORPUS"
	killDataEnv   = "NEWSBOT_INGEST_KILL_DATA"
	killSizeEnv   = "NEWSBOT_INGEST_KILL_SIZE"
)

// bigArticle is an article of about size bytes, the same on every call.
func bigArticle(size int) []byte {
	var b bytes.Buffer
	b.WriteString("The Vellmoor archive opens to the public\n\n")
	for n := 0; b.Len() < size; n++ {
		fmt.Fprintf(&b, "VELLMOOR (Coastal Herald) – Archivists catalogued box %d of the Vellmoor papers on day %d, finding letters about harbour tolls, grain prices and a dispute over fishing rights number %d. ", n, n%365, n*7)
		fmt.Fprintf(&b, "The curator said item %d would be shown in the spring exhibition, beside the ledger of the ferry company.\n\n", n)
	}
	return b.Bytes()
}

// TestKilledIngestLeavesCorpusConsistent kills (SIGKILL) a child process
// that handles an /ingest of a large article through the router and a fake
// Discord, at the moment a file first appears in the ingest folder, at the
// moment the article is in place, and while the index is being saved. A
// restart (open the index, reindex the corpus, as bot serve -corpus does)
// must then find the saved index intact, and the article either absent or
// complete and indexed: no half-written article, and no temporary file
// loaded as one.
func TestKilledIngestLeavesCorpusConsistent(t *testing.T) {
	if os.Getenv(killChildEnv) != "" {
		killedIngestChild(t)
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	tests := []struct {
		stage string
		// size is the article's size: large where the kill must land in
		// the middle of writing it, small where the restart indexes it.
		size int
		// watch is the folder watched, relative to the test's folder.
		watch string
		// hit reports whether a created file name is the moment to kill.
		hit func(name string) bool
	}{
		{"first file in the ingest folder", 4 << 20, "corpus/ingested", func(string) bool { return true }},
		{"article in place", 256 << 10, "corpus/ingested", func(name string) bool { return name == "big.txt" }},
		{"index being saved", 256 << 10, "data", func(name string) bool { return strings.Contains(name, "tmp") }},
	}
	for _, tt := range tests {
		t.Run(tt.stage, func(t *testing.T) {
			t.Parallel()
			data := bigArticle(tt.size)
			root := t.TempDir()
			corpus := copyCorpus(t, nil)
			if err := os.Rename(corpus, filepath.Join(root, "corpus")); err != nil {
				t.Fatal(err)
			}
			corpus = filepath.Join(root, "corpus")
			dataDir := filepath.Join(root, "data")
			if err := os.MkdirAll(filepath.Join(corpus, ingestDir), 0o755); err != nil {
				t.Fatal(err)
			}
			ix, err := retrieval.Open(retrieval.Options{Dir: dataDir})
			if err != nil {
				t.Fatal(err)
			}
			first, err := ix.Reindex(context.Background(), corpus, nil)
			if err != nil {
				t.Fatal(err)
			}

			w, err := newWatcher(filepath.Join(root, tt.watch))
			if err != nil {
				t.Fatal(err)
			}
			defer w.close()
			cmd := exec.Command(os.Args[0], "-test.run=^TestKilledIngestLeavesCorpusConsistent$")
			cmd.Env = append(os.Environ(), killChildEnv+"=1", killCorpusEnv+"="+corpus, killDataEnv+"="+dataDir, fmt.Sprintf("%s=%d", killSizeEnv, tt.size))
			var childOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &childOut, &childOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			killedAt, err := w.waitFor(tt.hit, exited, 60*time.Second)
			if err != nil {
				cmd.Process.Kill()
				<-exited
				t.Fatalf("the child never reached the stage: %v\n%s", err, childOut.String())
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-exited

			// Restart.
			again, err := retrieval.Open(retrieval.Options{Dir: dataDir})
			if err != nil {
				t.Fatal(err)
			}
			if s := again.Stale(); s != "" {
				t.Fatalf("after the kill the saved index is not usable: %s", s)
			}
			// The saved index is the previous one, or (when the kill came
			// after its rename) the new one holding the whole article.
			savedNew := false
			for _, a := range again.Articles() {
				savedNew = savedNew || a.ID == "ingested/big"
			}
			if got := again.Stats().Passages; got != first.Passages && !savedNew {
				t.Errorf("after the kill the saved index has %d passages, want the previous %d", got, first.Passages)
			}
			sum, err := again.Reindex(context.Background(), corpus, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(sum.Skipped) > 0 {
				t.Errorf("the reindex after the kill skipped files: %+v", sum.Skipped)
			}
			entries, err := os.ReadDir(filepath.Join(corpus, ingestDir))
			if err != nil {
				t.Fatal(err)
			}
			present, temps := false, 0
			for _, e := range entries {
				switch {
				case strings.HasPrefix(e.Name(), "."):
					temps++
				case e.Name() == "big.txt":
					present = true
					got, err := os.ReadFile(filepath.Join(corpus, ingestDir, e.Name()))
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, data) {
						t.Errorf("big.txt holds %d bytes of the %d: a partial article is in the corpus", len(got), len(data))
					}
				default:
					t.Errorf("unexpected file in the ingest folder: %s", e.Name())
				}
			}
			var big *retrieval.ArticleInfo
			for _, a := range again.Articles() {
				if strings.Contains(a.Path, ".ingest-") || strings.HasSuffix(a.Path, ".tmp") {
					t.Errorf("a temporary file was loaded as an article: %s", a.Path)
				}
				if a.ID == "ingested/big" {
					big = &a
				}
			}
			switch {
			case present && (big == nil || big.Passages == 0):
				t.Error("big.txt is in the corpus but not indexed after the restart")
			case !present && big != nil:
				t.Error("the article is indexed but its file is gone")
			case !present && len(again.Articles()) != first.Articles:
				t.Errorf("%d articles indexed, want the %d from before", len(again.Articles()), first.Articles)
			}
			if present {
				res, err := again.Search(context.Background(), retrieval.Query{Text: "Vellmoor papers harbour tolls", K: 1})
				if err != nil || len(res) == 0 || res[0].ArticleID != "ingested/big" {
					t.Errorf("the ingested article is not found after the restart: %v %+v", err, res)
				}
			}
			t.Logf("killed %v after the child started (on %s): article present %v, new index already saved %v, temporary files left %d",
				killedAt.Round(time.Millisecond), tt.stage, present, savedNew, temps)
		})
	}
}

// killedIngestChild runs in the child process: it opens the index, wires a
// router to a fake Discord and handles one /ingest of the big article,
// then waits to be killed.
func killedIngestChild(t *testing.T) {
	corpus, dataDir := os.Getenv(killCorpusEnv), os.Getenv(killDataEnv)
	size, err := strconv.Atoi(os.Getenv(killSizeEnv))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := retrieval.Open(retrieval.Options{Dir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := answer.New(ix, answer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	index := adapt.Index{Index: ix, Corpus: corpus}
	router, err := New(Config{Answerer: adapt.Engine{Engine: eng}, Searcher: index, Catalogue: index, Indexer: index, Ingester: index, UserHashKey: []byte("k"),
		AdminGuildIDs: []string{fakediscord.GuildID}})
	if err != nil {
		t.Fatal(err)
	}
	fake := fakediscord.New(t)
	ds := fake.Session(testToken)
	file := fake.NewAttachment("big.txt", bigArticle(size))
	i := fakediscord.CommandInteraction("ingest", map[string]any{"file": file}, admin)
	e := &env{t: t, fake: fake, ds: ds, router: router}
	e.handle(i)
	t.Logf("ingest finished: %q", e.response(i).Content)
	time.Sleep(time.Minute) // the parent kills the process before this ends
}

// watcher reports files created in (or moved into) one folder, with
// inotify, so that a kill lands within microseconds of the event.
type watcher struct {
	f *os.File
}

func newWatcher(dir string) (*watcher, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE|syscall.IN_MOVED_TO); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("inotify watch %s: %w", dir, err)
	}
	return &watcher{f: os.NewFile(uintptr(fd), "inotify")}, nil
}

func (w *watcher) close() { w.f.Close() }

// waitFor returns how long it waited once a created name satisfies hit;
// it fails when the child exits first or the timeout passes.
func (w *watcher) waitFor(hit func(string) bool, exited <-chan error, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	found := make(chan struct{})
	failed := make(chan error, 1)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := w.f.Read(buf)
			if err != nil {
				failed <- err
				return
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				nameBytes := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
				name := string(bytes.TrimRight(nameBytes, "\x00"))
				off += syscall.SizeofInotifyEvent + int(ev.Len)
				if hit(name) {
					close(found)
					return
				}
			}
		}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-found:
		return time.Since(start), nil
	case err := <-failed:
		return 0, err
	case err := <-exited:
		return 0, fmt.Errorf("the child exited first (%v)", err)
	case <-timer.C:
		return 0, errors.New("timed out")
	}
}

// TestIngestDiskFull ingests an article larger than the free space of the
// ingest folder (a small tmpfs): the user is told it failed, and nothing is
// left behind, neither a partial article nor a temporary file. Needs root
// to mount; skipped otherwise.
func TestIngestDiskFull(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := filepath.Join(e.corpus, ingestDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).Run(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v)", err)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	articles := len(e.ix.Articles())

	i := fakediscord.CommandInteraction("ingest", map[string]any{"file": e.fake.NewAttachment("big.txt", bigArticle(1<<20))}, admin)
	e.handle(i)
	if m := e.response(i); !isEphemeral(m) || strings.Contains(m.Content, "Saved") {
		t.Errorf("reply = %q, want an ephemeral failure", m.Content)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range entries {
		t.Errorf("left behind on the full disk: %s", f.Name())
	}
	if !strings.Contains(e.log.String(), "no space left on device") {
		t.Errorf("the log doesn't name the full disk:\n%s", e.log.String())
	}
	e.unaffected(t, articles)
}
