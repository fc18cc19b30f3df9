package retrieval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newsbot/newsbot/internal/pgtest"
	"github.com/newsbot/newsbot/internal/testkit"
)

// replica is one process's Shared in a test, following the store.
type replica struct {
	*Shared
	dir  string
	logs *testkit.Buffer
	stop func()
}

type replicaOptions struct {
	dim       int           // of the local embedder (256 when 0)
	dir       string        // data folder (a new one when empty)
	degrade   bool          // start without PostgreSQL
	poll      time.Duration // 2s when 0
	noRun     bool          // Load only, no Run
	dsn       string        // the server's when empty
	timeout   time.Duration
	saveEvery time.Duration
	chunkRows int  // vectors a chunk holds (the index's default when 0)
	quantize  bool // the scan reads int8 codes first, whatever the size
}

// openReplica opens a Shared on pg with its own data folder, loads the
// store and follows it until the test ends.
func openReplica(t *testing.T, pg *pgtest.Server, o replicaOptions) *replica {
	t.Helper()
	if o.dir == "" {
		o.dir = t.TempDir()
	}
	logs := &testkit.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dsn := o.dsn
	if dsn == "" {
		dsn = pg.DSN
	}
	sh, err := OpenShared(context.Background(), Options{Dir: o.dir, Embedder: NewLocalEmbedder(o.dim), Logger: log, Owner: t.Name()},
		SharedOptions{Postgres: dsn, Poll: o.poll, Degrade: o.degrade, Timeout: o.timeout, SaveEvery: o.saveEvery})
	if err != nil {
		t.Fatalf("open shared: %v", err)
	}
	if o.chunkRows > 0 {
		sh.ix.chunkRows = o.chunkRows
	}
	if o.quantize {
		sh.ix.quantizeAbove = 0
	}
	r := &replica{Shared: sh, dir: o.dir, logs: logs}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if !o.noRun {
		if !o.degrade {
			if err := sh.Load(ctx); err != nil {
				t.Fatalf("load: %v", err)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sh.Run(ctx); err != nil {
				t.Errorf("run: %v", err)
			}
		}()
	}
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			sh.Close()
		})
	}
	t.Cleanup(r.stop)
	return r
}

// story is an article file about a made-up word, so that a search finds
// it and nothing else.
func story(word string) []byte {
	return []byte(fmt.Sprintf("The %s festival opens\n\nThe town of %s held its first %s festival on Saturday, officials said. "+
		"Thousands came to see the %s parade along the harbour.", word, word, word, word))
}

// finds reports whether a search for word in r's index finds the article id.
func finds(r *replica, word, id string) bool {
	res, err := r.Index().Search(context.Background(), Query{Text: word + " festival", K: 3})
	if err != nil {
		return false
	}
	for _, p := range res {
		if p.ArticleID == id {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds or d passes, and returns how long it took.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// TestSharedIngestConverges ingests a file on one replica and finds it on
// another within 5 s, without the second embedding anything: its vectors
// come from the store. A second file shows the notification path; then,
// with notifications lost (the second replica listening on nothing), the
// poll still brings the change.
func TestSharedIngestConverges(t *testing.T) {
	pg := pgtest.Start(t)
	a := openReplica(t, pg, replicaOptions{})
	b := openReplica(t, pg, replicaOptions{poll: 500 * time.Millisecond})

	res, err := a.Ingest(context.Background(), "quimper.txt", story("Zorblax"), "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != "ingested/quimper.txt" || len(res.Articles) != 1 || res.Articles[0].Passages == 0 {
		t.Fatalf("ingest result %+v", res)
	}
	if !finds(a, "Zorblax", "ingested/quimper") {
		t.Fatal("the writer doesn't find its own ingest once Ingest returned")
	}
	took := waitFor(t, 5*time.Second, "the ingest reaches the other replica", func() bool { return finds(b, "Zorblax", "ingested/quimper") })
	t.Logf("ingest on A answerable on B after %v", took)

	// The same bytes again: recognised, nothing written.
	gen := b.State().Generation
	again, err := a.Ingest(context.Background(), "quimper.txt", story("Zorblax"), "alice", nil)
	if err != nil || !again.Existed {
		t.Fatalf("same file again: %+v, %v", again, err)
	}
	// Another file under the same name: suffixed.
	other, err := a.Ingest(context.Background(), "quimper.txt", story("Wumbleton"), "bob", nil)
	if err != nil || other.Path != "ingested/quimper-2.txt" {
		t.Fatalf("another file of the same name: %+v, %v", other, err)
	}
	waitFor(t, 5*time.Second, "the second ingest reaches B", func() bool { return finds(b, "Wumbleton", "ingested/quimper-2") })
	if g := b.State().Generation; g != gen+1 {
		t.Errorf("B's generation %d, want %d (one per change)", g, gen+1)
	}
	if st := b.Index().Stats(); st.Articles != 2 {
		t.Errorf("B holds %d articles, want 2", st.Articles)
	}
	var by string
	admin, err := pgx.Connect(context.Background(), pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if err := admin.QueryRow(context.Background(), "SELECT added_by FROM newsbot_corpus_articles WHERE id = 'ingested/quimper-2'").Scan(&by); err != nil || by != "bob" {
		t.Errorf("added_by = %q, %v; want bob", by, err)
	}
}

// writeFiles writes articles into a new folder: name -> word.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, word := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, story(word), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSharedImportNeverRemoves imports two folders and an ingest: an
// import adds and updates its own folder's articles, never removes one,
// skips an ID another origin has, and lists what its folder lost; only
// Prune and Remove remove, saying what went.
func TestSharedImportNeverRemoves(t *testing.T) {
	pg := pgtest.Start(t)
	a := openReplica(t, pg, replicaOptions{})
	b := openReplica(t, pg, replicaOptions{})
	x := writeFiles(t, map[string]string{"one.txt": "Alderny", "two.txt": "Brisket"})
	y := writeFiles(t, map[string]string{"three.txt": "Corvane", "two.txt": "Dunmore"})

	if sum, err := a.Import(context.Background(), x, nil); err != nil || len(sum.Added) != 2 {
		t.Fatalf("import x: %+v, %v", sum, err)
	}
	if _, err := a.Ingest(context.Background(), "extra.txt", story("Esperon"), "alice", nil); err != nil {
		t.Fatal(err)
	}
	// B imports y, which lacks x's files and A's ingest, and has an ID
	// ("two") that x has.
	sum, err := b.Import(context.Background(), y, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Added) != 1 || sum.Added[0] != "three" || len(sum.Removed) != 0 {
		t.Errorf("import y: added %v removed %v, want three only", sum.Added, sum.Removed)
	}
	if len(sum.Skipped) != 1 || !strings.Contains(sum.Skipped[0].Reason, "already in the corpus from "+x) {
		t.Errorf("import y skipped %+v, want two.txt as another folder's", sum.Skipped)
	}
	if sum.Articles != 4 {
		t.Errorf("the store holds %d articles after importing y, want 4", sum.Articles)
	}
	waitFor(t, 5*time.Second, "A sees y's article", func() bool { return finds(a, "Corvane", "three") })
	for _, id := range []string{"one", "two", "ingested/extra"} {
		if _, ok := b.Index().Passage(id + "#1"); !ok {
			t.Errorf("%s is gone from B after B imported y", id)
		}
	}

	// x changes: one.txt rewritten, two.txt gone.
	if err := os.WriteFile(filepath.Join(x, "one.txt"), story("Fennick"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(x, "two.txt")); err != nil {
		t.Fatal(err)
	}
	sum, err = a.Import(context.Background(), x, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Changed) != 1 || len(sum.Removed) != 0 || strings.Join(sum.Missing, ",") != "two" {
		t.Errorf("re-import x: changed %v removed %v missing %v; want one changed, two missing and kept", sum.Changed, sum.Removed, sum.Missing)
	}
	waitFor(t, 5*time.Second, "B sees the changed article", func() bool { return finds(b, "Fennick", "one") })
	if _, ok := b.Index().Passage("two#1"); !ok {
		t.Error("an import removed an article its folder lost")
	}
	sum, err = a.Prune(context.Background(), x, nil)
	if err != nil || strings.Join(sum.Removed, ",") != "two" {
		t.Fatalf("prune x: removed %v, %v; want two", sum.Removed, err)
	}
	waitFor(t, 5*time.Second, "B drops the pruned article", func() bool { _, ok := b.Index().Passage("two#1"); return !ok })

	// Remove by file and by ID.
	gone, err := b.Remove(context.Background(), "ingested/extra.txt", "bob")
	if err != nil || len(gone) != 1 || gone[0].ID != "ingested/extra" {
		t.Fatalf("remove by file: %+v, %v", gone, err)
	}
	if _, err := b.Remove(context.Background(), "three", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Remove(context.Background(), "three", "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing it again: %v, want ErrNotFound", err)
	}
	waitFor(t, 5*time.Second, "A drops the removed articles", func() bool { return len(a.Index().Articles()) == 1 })
	if got := a.Index().Articles()[0].ID; got != "one" {
		t.Errorf("A holds %s, want one", got)
	}
}

// TestSharedRefusesAnotherEmbedder opens a store made by a 256-dimension
// embedder with a 128-dimension one: refused, naming both. A rebuild with
// the new embedder then moves the store to it; the replica still on the
// old one keeps serving its snapshot, read-only, and says why.
func TestSharedRefusesAnotherEmbedder(t *testing.T) {
	pg := pgtest.Start(t)
	a := openReplica(t, pg, replicaOptions{})
	if _, err := a.Ingest(context.Background(), "one.txt", story("Gallow"), "alice", nil); err != nil {
		t.Fatal(err)
	}
	_, err := OpenShared(context.Background(), Options{Dir: t.TempDir(), Embedder: NewLocalEmbedder(128)}, SharedOptions{Postgres: pg.DSN})
	var mm *MismatchError
	if !errors.As(err, &mm) || !strings.Contains(err.Error(), "local/hash-v1 (256 dims)") || !strings.Contains(err.Error(), "local/hash-v1 (128 dims)") {
		t.Fatalf("another embedder: %v, want a refusal naming both", err)
	}
	t.Logf("refusal: %v", err)

	re, err := OpenShared(context.Background(), Options{Dir: t.TempDir(), Embedder: NewLocalEmbedder(128)}, SharedOptions{Postgres: pg.DSN, Rebuild: true})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := re.Rebuild(context.Background(), nil)
	re.Close()
	if err != nil || sum.Articles != 1 || sum.Embedded == 0 {
		t.Fatalf("rebuild: %+v, %v", sum, err)
	}
	waitFor(t, 5*time.Second, "the old replica notices", func() bool { ok, _ := a.Writable(); return !ok })
	_, why := a.Writable()
	if !strings.Contains(why, "128 dims") {
		t.Errorf("the old replica says %q", why)
	}
	if !finds(a, "Gallow", "ingested/one") {
		t.Error("the old replica stopped serving its snapshot")
	}
	if _, err := a.Ingest(context.Background(), "two.txt", story("Harrow"), "alice", nil); !errors.As(err, &mm) {
		t.Errorf("the old replica wrote into the rebuilt store: %v", err)
	}
	c := openReplica(t, pg, replicaOptions{dim: 128})
	if !finds(c, "Gallow", "ingested/one") {
		t.Error("a replica with the new embedder doesn't find the rebuilt article")
	}
}

// TestSharedDegrades starts a replica with PostgreSQL down: it serves the
// snapshot saved in its data folder, read-only (writes fail at once), and
// once PostgreSQL is back it reconnects, catches up and takes writes.
// Without a saved snapshot it waits instead.
func TestSharedDegrades(t *testing.T) {
	pg := pgtest.Start(t)
	dir := t.TempDir()
	a := openReplica(t, pg, replicaOptions{dir: dir})
	if _, err := a.Ingest(context.Background(), "one.txt", story("Ivelle"), "alice", nil); err != nil {
		t.Fatal(err)
	}
	a.stop() // saves the snapshot
	w := openReplica(t, pg, replicaOptions{})
	pg.Stop(t)

	b := openReplica(t, pg, replicaOptions{dir: dir, degrade: true})
	if !b.Serving() || !finds(b, "Ivelle", "ingested/one") {
		t.Fatal("with PostgreSQL down, the replica doesn't serve its saved snapshot")
	}
	if ok, why := b.Writable(); ok || !strings.Contains(why, "PostgreSQL unreachable") {
		t.Errorf("writable %v (%q) with PostgreSQL down", ok, why)
	}
	start := time.Now()
	if _, err := b.Ingest(context.Background(), "two.txt", story("Jorvik"), "alice", nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("ingest with PostgreSQL down: %v, want ErrReadOnly", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("a refused write took %v: the breaker should refuse at once", d)
	}
	empty := openReplica(t, pg, replicaOptions{degrade: true})
	if empty.Serving() {
		t.Error("a replica with no snapshot claims to serve")
	}

	pg.Restart(t)
	waitFor(t, 40*time.Second, "writable again", func() bool { ok, _ := b.Writable(); return ok })
	// The writer saw the outage too: it writes once its own breaker has
	// let a call through again.
	waitFor(t, 40*time.Second, "the writer writable again", func() bool { ok, _ := w.Writable(); return ok })
	if _, err := w.Ingest(context.Background(), "two.txt", story("Jorvik"), "alice", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the recovered replica converges", func() bool { return finds(b, "Jorvik", "ingested/two") })
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	if err := empty.WaitServing(ctx); err != nil {
		t.Fatalf("the replica without a snapshot never loaded: %v", err)
	}
	// Its load may have begun just before the ingest committed (its
	// reconnections are on a backoff of their own): the article then
	// comes with the next change it applies, told by the notification.
	waitFor(t, 10*time.Second, "the replica without a snapshot has the article", func() bool { return finds(empty, "Jorvik", "ingested/two") })
}

// TestSharedStartsFromItsSnapshot restarts a replica after changes: it
// reads only what changed since the snapshot in its data folder.
func TestSharedStartsFromItsSnapshot(t *testing.T) {
	pg := pgtest.Start(t)
	dir := t.TempDir()
	a := openReplica(t, pg, replicaOptions{dir: dir})
	w := openReplica(t, pg, replicaOptions{})
	for _, word := range []string{"Kestrel", "Lumen"} {
		if _, err := w.Ingest(context.Background(), strings.ToLower(word)+".txt", story(word), "alice", nil); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "A converges", func() bool { return len(a.Index().Articles()) == 2 })
	a.stop()
	if _, err := w.Remove(context.Background(), "ingested/kestrel", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Ingest(context.Background(), "mirth.txt", story("Mirth"), "alice", nil); err != nil {
		t.Fatal(err)
	}
	b := openReplica(t, pg, replicaOptions{dir: dir})
	if got := b.logs.String(); !strings.Contains(got, "applied changes of the shared corpus") || strings.Contains(got, "loaded the shared corpus") {
		t.Errorf("the restart did not start from its snapshot:\n%s", got)
	}
	var ids []string
	for _, a := range b.Index().Articles() {
		ids = append(ids, a.ID)
	}
	if got := strings.Join(ids, ","); got != "ingested/lumen,ingested/mirth" {
		t.Errorf("after the restart: %s", got)
	}
}

// stallProxy forwards TCP connections to a server until Stall, after which
// it stops forwarding bytes (the connections stay open, silent), as a
// stuck server would; Resume lets new connections through again.
type stallProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	stall  bool
	conns  []net.Conn
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			for _, pair := range [][2]net.Conn{{c, up}, {up, c}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer pair[1].Close()
					p.copy(pair[1], pair[0])
				}()
			}
		}
	}()
	return p
}

// copy forwards src to dst while not stalled; stalled, it drops what it
// reads.
func (p *stallProxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			stalled := p.stall
			p.mu.Unlock()
			if !stalled {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

func (p *stallProxy) set(stall bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stall = stall
	if !stall {
		for _, c := range p.conns {
			c.Close() // the stalled connections are out of step: drop them
		}
		p.conns = nil
	}
}

func (p *stallProxy) dsn(pg *pgtest.Server) string {
	return strings.Replace(pg.DSN, fmt.Sprintf("port=%d", pg.Port), "port="+fmt.Sprint(p.ln.Addr().(*net.TCPAddr).Port), 1)
}

// TestSharedStallTripsBreaker stalls PostgreSQL under a running replica:
// searches go on from memory at once, the polls time out and open the
// breaker, and from then on a write fails at once instead of waiting out
// a timeout; when PostgreSQL answers again, writes go through.
func TestSharedStallTripsBreaker(t *testing.T) {
	pg := pgtest.Start(t)
	proxy := newStallProxy(t, fmt.Sprintf("127.0.0.1:%d", pg.Port))
	r := openReplica(t, pg, replicaOptions{dsn: proxy.dsn(pg), poll: 200 * time.Millisecond, timeout: time.Second})
	if _, err := r.Ingest(context.Background(), "one.txt", story("Nimbus"), "alice", nil); err != nil {
		t.Fatal(err)
	}
	proxy.set(true)
	waitFor(t, 10*time.Second, "the breaker opens", func() bool { ok, _ := r.Writable(); return !ok })
	start := time.Now()
	if !finds(r, "Nimbus", "ingested/one") {
		t.Error("searches stopped with PostgreSQL stalled")
	}
	if _, err := r.Ingest(context.Background(), "two.txt", story("Ostrel"), "alice", nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("ingest into a stalled store: %v, want ErrReadOnly", err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("a search and a refused write took %v with the breaker open", d)
	}
	proxy.set(false)
	waitFor(t, 40*time.Second, "writable again", func() bool { ok, _ := r.Writable(); return ok })
	if _, err := r.Ingest(context.Background(), "two.txt", story("Ostrel"), "alice", nil); err != nil {
		t.Fatalf("ingest after the stall: %v", err)
	}
}

// TestSharedOneWriter ingests files of the same name from two replicas at
// once: the advisory lock lets one writer in at a time, so each gets a
// name of its own and every one is indexed; a writer that waits says for
// whom.
func TestSharedOneWriter(t *testing.T) {
	pg := pgtest.Start(t)
	reps := []*replica{openReplica(t, pg, replicaOptions{}), openReplica(t, pg, replicaOptions{})}
	const each = 4
	var wg sync.WaitGroup
	var mu sync.Mutex
	paths := map[string]bool{}
	var holders []string
	for r := range reps {
		for k := range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				word := fmt.Sprintf("Quorvane%d%d", r, k)
				res, err := reps[r].Ingest(context.Background(), "story.txt", story(word), "alice", func(p Progress) {
					if p.Stage == StageWaiting && p.Holder != "" {
						mu.Lock()
						holders = append(holders, p.Holder)
						mu.Unlock()
					}
				})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("ingest %s: %v", word, err)
					return
				}
				if paths[res.Path] {
					t.Errorf("two ingests saved as %s", res.Path)
				}
				paths[res.Path] = true
			}()
		}
	}
	wg.Wait()
	if len(paths) != 2*each {
		t.Fatalf("%d distinct files, want %d: %v", len(paths), 2*each, paths)
	}
	for _, r := range reps {
		waitFor(t, 5*time.Second, "both replicas hold every ingest", func() bool { return len(r.Index().Articles()) == 2*each })
	}
	if len(holders) == 0 || !strings.Contains(holders[0], "newsbot: TestSharedOneWriter on ") {
		t.Errorf("waiting writers were told %q, want the holder's name", holders)
	}
}
