package pgvector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newsbot/newsbot/retrieval"
)

// The pgvector store is tested against a real PostgreSQL: PGlite
// (PostgreSQL compiled to WebAssembly, with pgvector) served over the wire
// protocol by its npm socket server. The packages are installed with
//
//	npm install --prefix DIR --no-audit --no-fund @electric-sql/pglite@0.5.14 \
//	    @electric-sql/pglite-socket@0.2.17 @electric-sql/pglite-pgvector@0.0.15
//
// and found through NEWSBOT_PGLITE_DIR=DIR (.ci/run does both). Without it
// the tests are skipped, except under CI=true, where they fail.
//
// Starting PGlite on an empty data folder runs initdb (~8 s of CPU); the
// tests do it once, keep the result in DIR/pgdata-template, and start each
// server from a copy of it (~1.5 s).

const pgliteInstall = "npm install --prefix DIR --no-audit --no-fund @electric-sql/pglite@0.5.14 @electric-sql/pglite-socket@0.2.17 @electric-sql/pglite-pgvector@0.0.15; export NEWSBOT_PGLITE_DIR=DIR"

// pglite is a PGlite server started by a test.
type pglite struct {
	dsn  string // key=value connection string, simple protocol
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  string        // its output
	stop func()
}

// startPGlite starts a PGlite server on a free loopback port and waits
// until it accepts connections; t.Cleanup kills it.
func startPGlite(t *testing.T) *pglite {
	t.Helper()
	dir := os.Getenv("NEWSBOT_PGLITE_DIR")
	server := filepath.Join(dir, "node_modules", ".bin", "pglite-server")
	if _, err := os.Stat(server); dir == "" || err != nil {
		msg := fmt.Sprintf("PGlite not found (NEWSBOT_PGLITE_DIR=%q); to run the pgvector tests: %s", dir, pgliteInstall)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	template := filepath.Join(dir, "pgdata-template")
	if _, err := os.Stat(filepath.Join(template, "PG_VERSION")); err != nil {
		makeTemplate(t, server, dir, template)
	}
	data := filepath.Join(t.TempDir(), "pgdata")
	if err := copyDir(template, data); err != nil {
		t.Fatalf("copy the PGlite template %s (delete it to have it rebuilt): %v", template, err)
	}
	p := launchPGlite(t, server, dir, data)
	t.Cleanup(p.stop)
	return p
}

// launchPGlite starts the server on data and waits for it.
func launchPGlite(t *testing.T, server, dir, data string) *pglite {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logPath := filepath.Join(t.TempDir(), "pglite.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(server, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-d", data,
		"-e", "@electric-sql/pglite-pgvector:vector", "-m", "16")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", server, err)
	}
	p := &pglite{
		dsn:  fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable connect_timeout=5 default_query_exec_mode=simple_protocol", port),
		cmd:  cmd,
		done: make(chan struct{}),
		log:  logPath,
	}
	go func() { cmd.Wait(); close(p.done) }()
	var once sync.Once
	p.stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			<-p.done
		})
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, p.dsn)
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			break
		}
		select {
		case <-p.done:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("PGlite exited before accepting connections:\n%s", out)
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			out, _ := os.ReadFile(logPath)
			t.Fatalf("PGlite not ready after 90 s (%v):\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("PGlite ready on port %d in %v", port, time.Since(start).Round(time.Millisecond))
	return p
}

// makeTemplate initialises a PGlite data folder with the vector extension
// and moves it into place once the server has shut down cleanly.
func makeTemplate(t *testing.T, server, dir, template string) {
	t.Helper()
	tmp, err := os.MkdirTemp(dir, "pgdata-template.tmp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	p := launchPGlite(t, server, dir, tmp)
	defer p.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.dsn)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector")
	conn.Close(ctx)
	if err != nil {
		t.Fatalf("create extension vector in PGlite: %v", err)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("PGlite did not shut down within 30 s")
	}
	if !p.cmd.ProcessState.Success() {
		out, _ := os.ReadFile(p.log)
		t.Fatalf("PGlite shut down with %v:\n%s", p.cmd.ProcessState, out)
	}
	if err := os.Rename(tmp, template); err != nil && !errors.Is(err, fs.ErrExist) {
		// Another test run may have won the race: use its template.
		if _, serr := os.Stat(filepath.Join(template, "PG_VERSION")); serr != nil {
			t.Fatalf("keep the PGlite template: %v", err)
		}
	}
}

func copyDir(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, src); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// logBuffer collects an index's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) warnings() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, "level=WARN") {
			out = append(out, line)
		}
	}
	return out
}

// indexFile is the index's file in its data folder.
const indexFile = "index.bin"

// writeFile writes content to path, creating its folder.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixtureCorpus writes a small corpus of distinct stories (those of
// retrieval's own tests).
func fixtureCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	stories := map[string]string{
		"world/iran.txt":   "Iran rejects missile talks\n\nTEHRAN (Tasnim) – Iran's missile programme is not negotiable, a senior commander said on Saturday.\n\nHe said no inspection of military sites would be allowed.",
		"world/whales.txt": "Whales return to the bay\n\nHumpback whales were seen in the bay for the first time in a decade, marine biologists said.\n\nThe whales feed on krill that has returned with cleaner water.",
		"sport/final.txt":  "Rovers win the cup final\n\nRovers beat United 2-1 in the cup final at Wembley on Sunday.\n\nThe winning goal came in the last minute of extra time.",
		"tech/chips.txt":   "Chip maker opens factory\n\nA chip maker opened a new factory that will make processors for phones.\n\nThe factory will employ 2,000 people.",
		"business/oil.txt": "Oil prices climb\n\nOil prices rose sharply after producers agreed to cut output.\n\nAnalysts expect petrol prices to follow within weeks.",
	}
	for name, text := range stories {
		writeFile(t, filepath.Join(dir, name), text)
	}
	return dir
}

// openTest opens an index in dir with no shared table.
func openTest(t *testing.T, dir string, emb retrieval.Embedder) *retrieval.Index {
	t.Helper()
	ix, err := retrieval.Open(retrieval.Options{Dir: dir, Embedder: emb})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(ix.Close)
	return ix
}

// countingEmbedder wraps an embedder, counting the passages it embeds. It
// holds it as an Embedder, so that it is no retrieval.WordEmbedder: the
// index calls its Embed.
type countingEmbedder struct {
	retrieval.Embedder
	n atomic.Int64
}

func (e *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) > 1 { // queries embed one text; count passages only
		e.n.Add(int64(len(texts)))
	}
	return e.Embedder.Embed(ctx, texts)
}

// openPG opens an index on the shared table, returning its handle on the
// table too; its logs go to the returned buffer.
func openPG(t *testing.T, srv *pglite, dir string, emb retrieval.Embedder) (*retrieval.Index, *pgShared, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	var sh *pgShared
	open := func(info retrieval.StoreInfo) (retrieval.ExternalStore, error) {
		s, err := openShared(srv.dsn+" pool_max_conns=2", info)
		if err != nil {
			return nil, err
		}
		sh = s
		return s, nil
	}
	ix, err := retrieval.Open(retrieval.Options{Dir: dir, Embedder: emb, Vectors: open,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatalf("Open(pgvector): %v", err)
	}
	t.Cleanup(ix.Close)
	return ix, sh, logs
}

// searchesTable reports whether a vector search of ix queries the shared
// table sh, rather than the replica's own vectors.
func searchesTable(t *testing.T, ix *retrieval.Index, sh *pgShared) bool {
	t.Helper()
	before := sh.queries.Load()
	searchQ(t, ix, retrieval.Query{Text: "humpback whales", K: 1, Mode: retrieval.ModeVector})
	return sh.queries.Load() > before
}

// inspect connects to the server the way an operator's psql would.
func inspect(t *testing.T, srv *pglite) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, srv.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustExec(t *testing.T, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func dropShared(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	mustExec(t, conn, "DROP TABLE IF EXISTS newsbot_passages, newsbot_meta")
}

// rowVersions maps each row's passage ID to its xmin, the transaction that
// wrote it: a row rewritten by a sync gets a new one.
func rowVersions(t *testing.T, conn *pgx.Conn) map[string]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT id, xmin::text FROM newsbot_passages")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for rows.Next() {
		var id, x string
		if err := rows.Scan(&id, &x); err != nil {
			t.Fatal(err)
		}
		out[id] = x
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func tableGeneration(t *testing.T, conn *pgx.Conn) int64 {
	t.Helper()
	var g int64
	if err := conn.QueryRow(context.Background(), "SELECT generation FROM newsbot_meta").Scan(&g); err != nil {
		t.Fatal(err)
	}
	return g
}

func reindex(t *testing.T, ix *retrieval.Index, corpus string) retrieval.Summary {
	t.Helper()
	sum, err := ix.Reindex(context.Background(), corpus, nil)
	if err != nil {
		t.Fatalf("Reindex: %v", err)
	}
	return sum
}

// searchQ runs q and renders the results as "id sim" lines, similarities
// rounded so that float32 and PostgreSQL's float8 arithmetic agree.
func searchQ(t *testing.T, ix *retrieval.Index, q retrieval.Query) []string {
	t.Helper()
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%q): %v", q.Text, err)
	}
	var out []string
	for _, r := range res {
		out = append(out, fmt.Sprintf("%s %.4f", r.ID, r.Similarity))
	}
	return out
}

func articleOf(passageID string) string { return passageID[:strings.LastIndex(passageID, "#")] }

func TestPGVectorStore(t *testing.T) {
	srv := startPGlite(t)
	admin := inspect(t, srv)
	vq := func(text string, k int) retrieval.Query {
		return retrieval.Query{Text: text, K: k, Mode: retrieval.ModeVector}
	}

	t.Run("searches match the in-process store", func(t *testing.T) {
		dropShared(t, admin)
		corpus := fixtureCorpus(t)
		writeFile(t, filepath.Join(corpus, "x.md"), "---\ntitle: Missile test\nsource: Press TV\n---\nIran tested a ballistic missile, Press TV reported.")
		local := openTest(t, t.TempDir(), nil)
		reindex(t, local, corpus)
		ix, sh, logs := openPG(t, srv, t.TempDir(), nil)
		reindex(t, ix, corpus)
		if !searchesTable(t, ix, sh) {
			t.Fatal("the live snapshot searches its own vectors, not the shared table")
		}
		for _, q := range []retrieval.Query{
			vq("Will Iran allow inspections of its military sites?", 3),
			vq("prices", 10),
			vq("humpback whales in the bay", 20),
			{Text: "whales in the bay", K: 3},
			{Text: "who scored the winning goal in the final", K: 3},
			{Text: "missile", K: 3, Source: "Press TV"},
			{Text: "missile", K: 5, Source: "Press TV", Mode: retrieval.ModeVector},
		} {
			want, got := searchQ(t, local, q), searchQ(t, ix, q)
			if len(want) == 0 || strings.Join(got, ", ") != strings.Join(want, ", ") {
				t.Errorf("%q (mode %q, source %q):\npgvector %v\nchromem  %v", q.Text, q.Mode, q.Source, got, want)
			}
		}
		if w := logs.warnings(); len(w) > 0 {
			t.Errorf("searches fell back to in-process vectors: %v", w)
		}
		// On a table this small the planner scans; the HNSW index must be
		// usable by the store's query once it is worth it.
		tx, err := admin.Begin(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(context.Background())
		if _, err := tx.Exec(context.Background(), "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		q, err := retrieval.NewLocalEmbedder(0).Embed(context.Background(), []string{"humpback whales"})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := tx.Query(context.Background(), "EXPLAIN "+pgNearestSQL, vectorText(q[0]), 5, sh.embedder, sh.chunker)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			rows.Scan(&line)
			plan.WriteString(line + "\n")
		}
		if rows.Err() != nil || !strings.Contains(plan.String(), "newsbot_passages_embedding") {
			t.Errorf("the nearest-passage query does not use the HNSW index (%v):\n%s", rows.Err(), plan.String())
		}
	})

	t.Run("incremental reindex rewrites only changed articles", func(t *testing.T) {
		dropShared(t, admin)
		corpus := fixtureCorpus(t)
		emb := &countingEmbedder{Embedder: retrieval.NewLocalEmbedder(0)}
		ix, _, logs := openPG(t, srv, t.TempDir(), emb)
		first := reindex(t, ix, corpus)
		before, gen := rowVersions(t, admin), tableGeneration(t, admin)
		if len(before) != first.Passages {
			t.Fatalf("table holds %d rows for %d passages", len(before), first.Passages)
		}

		reindex(t, ix, corpus) // nothing changed
		if again := rowVersions(t, admin); fmt.Sprint(again) != fmt.Sprint(before) || tableGeneration(t, admin) != gen {
			t.Fatalf("an unchanged reindex rewrote rows or bumped the generation")
		}

		writeFile(t, filepath.Join(corpus, "world/whales.txt"), "Whales return to the bay\n\nHumpback whales and dolphins were seen in the bay, marine biologists said.")
		os.Remove(filepath.Join(corpus, "sport/final.txt"))
		writeFile(t, filepath.Join(corpus, "world/volcano.txt"), "Volcano erupts\n\nA volcano erupted in Iceland, grounding flights across Europe.")
		sum := reindex(t, ix, corpus)
		after := rowVersions(t, admin)
		if len(after) != sum.Passages {
			t.Fatalf("table holds %d rows for %d passages", len(after), sum.Passages)
		}
		if g := tableGeneration(t, admin); g != gen+1 {
			t.Errorf("generation %d after the reindex, want %d", g, gen+1)
		}
		for id, x := range before {
			switch art := articleOf(id); art {
			case "sport/final":
				if _, ok := after[id]; ok {
					t.Errorf("removed article's row %s is still in the table", id)
				}
			case "world/whales":
				if after[id] == x {
					t.Errorf("changed article's row %s was not rewritten", id)
				}
			default:
				if after[id] != x {
					t.Errorf("unchanged article's row %s was rewritten (xmin %s -> %s)", id, x, after[id])
				}
			}
		}
		if _, ok := after["world/volcano#1"]; !ok {
			t.Errorf("new article's row is missing: %v", after)
		}
		for _, tc := range []struct{ query, want string }{
			{"dolphins in the bay", "world/whales"},
			{"volcano erupted in Iceland", "world/volcano"},
			{"oil prices", "business/oil"},
		} {
			if got := searchQ(t, ix, vq(tc.query, 3)); len(got) == 0 || articleOf(strings.Fields(got[0])[0]) != tc.want {
				t.Errorf("%q: got %v, want %s first", tc.query, got, tc.want)
			}
		}
		for _, r := range searchQ(t, ix, vq("cup final Wembley goal", 10)) {
			if strings.HasPrefix(r, "sport/final") {
				t.Errorf("removed article still found: %s", r)
			}
		}
		if w := logs.warnings(); len(w) > 0 {
			t.Errorf("searches fell back to in-process vectors: %v", w)
		}
	})

	t.Run("a failed sync leaves the table and the live index as they were", func(t *testing.T) {
		dropShared(t, admin)
		corpus := fixtureCorpus(t)
		data := t.TempDir()
		ix, sh, logs := openPG(t, srv, data, nil)
		reindex(t, ix, corpus)
		rows, gen := rowVersions(t, admin), tableGeneration(t, admin)
		file, _ := os.ReadFile(filepath.Join(data, indexFile))
		old := searchQ(t, ix, vq("humpback whales", 3))

		writeFile(t, filepath.Join(corpus, "world/whales.txt"), "Whales return to the bay\n\nHumpback whales and dolphins were seen in the bay.")
		writeFile(t, filepath.Join(corpus, "world/volcano.txt"), "Volcano erupts\n\nA volcano erupted in Iceland, grounding flights across Europe.")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sh.syncHook = cancel // after the whales rows are deleted, before the inserts
		_, err := ix.Reindex(ctx, corpus, nil)
		sh.syncHook = nil
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "sync shared vectors") {
			t.Fatalf("reindex cancelled mid-sync: err = %v", err)
		}
		if got := rowVersions(t, admin); fmt.Sprint(got) != fmt.Sprint(rows) || tableGeneration(t, admin) != gen {
			t.Fatalf("the failed sync changed the table:\nbefore %v\nafter  %v", rows, got)
		}
		if now, _ := os.ReadFile(filepath.Join(data, indexFile)); !bytes.Equal(now, file) {
			t.Fatal("the failed sync changed the saved index")
		}
		if got := searchQ(t, ix, vq("humpback whales", 3)); fmt.Sprint(got) != fmt.Sprint(old) {
			t.Fatalf("after the failed sync: %v, want the previous %v", got, old)
		}
		if w := logs.warnings(); len(w) > 0 {
			t.Errorf("searches fell back to in-process vectors: %v", w)
		}
		reindex(t, ix, corpus)
		// The changes are in the shared table: the changed article's row
		// was rewritten, the new article's added and found by its vector.
		after := rowVersions(t, admin)
		if after["world/whales#1"] == "" || after["world/whales#1"] == rows["world/whales#1"] || after["world/volcano#1"] == "" {
			t.Fatalf("the next reindex did not bring the change in: rows before %v, after %v", rows, after)
		}
		if got := searchQ(t, ix, vq("volcano erupted in Iceland grounding flights", 1)); len(got) == 0 || !strings.HasPrefix(got[0], "world/volcano") {
			t.Fatalf("the new article's vector is not searched: %v", got)
		}
	})

	t.Run("replicas share the table", func(t *testing.T) {
		dropShared(t, admin)
		corpus := fixtureCorpus(t)
		a, _, _ := openPG(t, srv, t.TempDir(), nil)
		reindex(t, a, corpus)
		rows, gen := rowVersions(t, admin), tableGeneration(t, admin)

		// A second replica with its own data folder builds its passages and
		// keyword index, and finds the vectors already in the table.
		b, _, bLogs := openPG(t, srv, t.TempDir(), nil)
		if b.Stale() == "" {
			t.Fatal("a replica with no index file of its own claims to be ready")
		}
		reindex(t, b, corpus)
		if got := rowVersions(t, admin); fmt.Sprint(got) != fmt.Sprint(rows) || tableGeneration(t, admin) != gen {
			t.Fatal("the second replica's reindex of the same corpus rewrote the table")
		}
		queries := []retrieval.Query{vq("humpback whales", 5), vq("Will Iran allow inspections?", 5), {Text: "oil prices", K: 3}}
		for _, q := range queries {
			if ra, rb := searchQ(t, a, q), searchQ(t, b, q); len(ra) == 0 || fmt.Sprint(ra) != fmt.Sprint(rb) {
				t.Errorf("%q: replicas disagree:\nA %v\nB %v", q.Text, ra, rb)
			}
		}

		// A reindexes a changed article. Until B reindexes too, B never
		// scores its own old text with A's new vector: it skips the row.
		writeFile(t, filepath.Join(corpus, "world/whales.txt"), "Whales return to the bay\n\nHumpback whales and dolphins were seen in the bay.")
		reindex(t, a, corpus)
		if tableGeneration(t, admin) != gen+1 {
			t.Fatal("generation not bumped by A's reindex")
		}
		if got := searchQ(t, b, vq("humpback whales", 5)); len(got) > 0 && strings.HasPrefix(got[0], "world/whales") {
			t.Errorf("B used the row A rewrote for its old version of the article: %v", got)
		}
		if !strings.HasPrefix(searchQ(t, a, vq("humpback whales", 5))[0], "world/whales") {
			t.Error("A does not find the article it rewrote")
		}
		rows = rowVersions(t, admin)
		sum := reindex(t, b, corpus) // B notices the generation and catches up
		if fmt.Sprint(sum.Changed) != "[world/whales]" {
			t.Errorf("B's reindex: changed %v", sum.Changed)
		}
		if got := rowVersions(t, admin); fmt.Sprint(got) != fmt.Sprint(rows) || tableGeneration(t, admin) != gen+1 {
			t.Error("B's catch-up reindex rewrote rows A had already written")
		}
		for _, q := range queries {
			if ra, rb := searchQ(t, a, q), searchQ(t, b, q); fmt.Sprint(ra) != fmt.Sprint(rb) {
				t.Errorf("%q after B caught up: replicas disagree:\nA %v\nB %v", q.Text, ra, rb)
			}
		}

		// Both search the one table: a row deleted there is gone for both.
		top := strings.Fields(searchQ(t, a, vq("oil prices", 1))[0])[0]
		mustExec(t, admin, "DELETE FROM newsbot_passages WHERE id = $1", top)
		for name, ix := range map[string]*retrieval.Index{"A": a, "B": b} {
			for _, r := range searchQ(t, ix, vq("oil prices", 5)) {
				if strings.HasPrefix(r, top+" ") {
					t.Errorf("replica %s still finds %s after its row was deleted", name, top)
				}
			}
		}
		if w := bLogs.warnings(); len(w) > 0 {
			t.Errorf("B fell back to in-process vectors: %v", w)
		}
	})

	t.Run("an existing index moves to the table without re-embedding", func(t *testing.T) {
		dropShared(t, admin)
		corpus := fixtureCorpus(t)
		data := t.TempDir()
		emb := &countingEmbedder{Embedder: retrieval.NewLocalEmbedder(0)}
		first := reindex(t, openTest(t, data, emb), corpus)
		emb.n.Store(0)

		ix, sh, logs := openPG(t, srv, data, emb)
		if ix.Stale() != "" {
			t.Fatalf("switching stores made the index stale: %s", ix.Stale())
		}
		if got := searchQ(t, ix, vq("humpback whales", 1)); len(got) == 0 || !strings.HasPrefix(got[0], "world/whales") {
			t.Fatalf("before the table is filled: %v", got)
		}
		if w := logs.warnings(); len(w) != 1 || !strings.Contains(w[0], "differs from this replica's saved index") {
			t.Fatalf("want one warning that the table is behind, got %v", w)
		}
		if searchesTable(t, ix, sh) {
			t.Fatal("the index searches the table before the table holds its passages")
		}
		reindex(t, ix, corpus)
		if emb.n.Load() != 0 || len(rowVersions(t, admin)) != first.Passages {
			t.Fatalf("filling the table embedded %d passages and wrote %d rows (want 0 and %d)", emb.n.Load(), len(rowVersions(t, admin)), first.Passages)
		}
		if !searchesTable(t, ix, sh) {
			t.Fatal("after the reindex the index still searches its own vectors")
		}
	})

	t.Run("another embedder's table is rebuilt, never mixed", func(t *testing.T) {
		dropShared(t, admin)
		corpus := fixtureCorpus(t)
		a, _, aLogs := openPG(t, srv, t.TempDir(), nil)
		reindex(t, a, corpus)
		want := searchQ(t, a, vq("humpback whales", 3))
		gen := tableGeneration(t, admin)

		// Replica C has an index file made by a 64-dimension embedder.
		data := t.TempDir()
		reindex(t, openTest(t, data, retrieval.NewLocalEmbedder(64)), corpus)
		c, _, _ := openPG(t, srv, data, retrieval.NewLocalEmbedder(64))
		if !strings.Contains(c.Stale(), "shared vector table was built by embedder") {
			t.Fatalf("C's stale reason: %q", c.Stale())
		}
		reindex(t, c, corpus)
		var dim int
		if err := admin.QueryRow(context.Background(), "SELECT dim FROM newsbot_meta").Scan(&dim); err != nil || dim != 64 {
			t.Fatalf("meta dim after C's rebuild: %d (%v)", dim, err)
		}
		if g := tableGeneration(t, admin); g != gen+1 {
			t.Errorf("generation %d after the rebuild, want %d", g, gen+1)
		}
		var indexes int
		if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_indexes WHERE indexname = 'newsbot_passages_embedding'").Scan(&indexes); err != nil || indexes != 1 {
			t.Errorf("HNSW index after the rebuild: %d (%v)", indexes, err)
		}
		if got := searchQ(t, c, vq("humpback whales", 1)); len(got) == 0 || !strings.HasPrefix(got[0], "world/whales") {
			t.Errorf("C after its rebuild: %v", got)
		}
		// A keeps answering from its own vectors, and says so.
		if got := searchQ(t, a, vq("humpback whales", 3)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("A after C's rebuild: %v, want %v", got, want)
		}
		if w := aLogs.warnings(); len(w) == 0 || !strings.Contains(w[0], errSharedMismatch.Error()) {
			t.Errorf("A did not warn that the table holds another embedder's vectors: %v", w)
		}
	})

	t.Run("PostgreSQL down: reindex fails, searches go on", func(t *testing.T) {
		dropShared(t, admin)
		corpus := fixtureCorpus(t)
		ix, _, logs := openPG(t, srv, t.TempDir(), nil)
		first := reindex(t, ix, corpus)
		old := searchQ(t, ix, vq("humpback whales", 3))

		srv.stop()
		writeFile(t, filepath.Join(corpus, "world/whales.txt"), "Whales return to the bay\n\nHumpback whales and dolphins were seen in the bay.")
		_, err := ix.Reindex(context.Background(), corpus, nil)
		if err == nil || !strings.Contains(err.Error(), "sync shared vectors") {
			t.Fatalf("reindex with PostgreSQL down: err = %v", err)
		}
		if got := searchQ(t, ix, vq("humpback whales", 3)); fmt.Sprint(got) != fmt.Sprint(old) {
			t.Errorf("with PostgreSQL down: %v, want the previous %v", got, old)
		}
		if ix.Stats().Passages != first.Passages {
			t.Errorf("live index has %d passages, want %d", ix.Stats().Passages, first.Passages)
		}
		if w := logs.warnings(); len(w) == 0 || !strings.Contains(w[len(w)-1], "searching this replica's own vectors") {
			t.Errorf("no warning that searches use the replica's own vectors: %v", w)
		}
	})
}

// TestPGVectorOpenErrors needs no server: a missing or unreachable
// database fails retrieval.Open with a clear error.
func TestPGVectorOpenErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	for _, tc := range []struct {
		name, dsn, want string
	}{
		{"no connection string", "", "needs a PostgreSQL connection string"},
		{"bad connection string", "postgres://%zz", "postgres connection string"},
		{"nothing listening", fmt.Sprintf("host=127.0.0.1 port=%d user=postgres sslmode=disable connect_timeout=2", closed), "postgres"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := retrieval.Open(retrieval.Options{Dir: t.TempDir(), Vectors: Opener(tc.dsn)})
			if err == nil {
				ix.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestVectorText(t *testing.T) {
	v := []float32{0.1, -0.25, 1e-8, 0, float32(math.Pi)}
	got := vectorText(v)
	if got != "[0.1,-0.25,1e-08,0,3.1415927]" {
		t.Fatalf("vectorText = %s", got)
	}
	for i, s := range strings.Split(strings.Trim(got, "[]"), ",") {
		f, err := strconv.ParseFloat(s, 32)
		if err != nil || float32(f) != v[i] {
			t.Errorf("element %d: %s reads back as %v, want %v", i, s, f, v[i])
		}
	}
}
