package retrieval

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/pgtest"
)

// inquiry is an article about word of paras paragraphs, each a passage
// of its own (longer than the chunker's smallest), variant telling one
// version from another.
func inquiry(word string, paras, variant int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "The %s inquiry, part %d\n\n", word, variant)
	topics := []string{"harbour", "council", "ferry", "budget", "storm", "archive", "bridge", "tariff", "railway", "museum"}
	for p := range paras {
		for s := range 3 + (p*7+variant*3+len(word))%6 { // passages of several lengths
			fmt.Fprintf(&b, "Witnesses told the %s inquiry that the %s and the %s were raised again on day %d, in session %d of version %d. ",
				word, topics[(p+s+variant)%len(topics)], topics[(p*3+s)%len(topics)], p+1, s+1, variant)
		}
		b.WriteString("\n\n")
	}
	return []byte(b.String())
}

// deltaQueries are searched in the snapshots being compared.
var deltaQueries = []Query{
	{Text: "harbour inquiry witnesses", K: 8},
	{Text: "Quillon budget", K: 5},
	{Text: "Abbotsfen ferry storm", K: 5, PerArticle: -1},
	{Text: "Zephyrine railway", K: 10, Mode: ModeVector},
	{Text: "tariff museum session", K: 10, Mode: ModeKeyword},
	{Text: "Marrowby bridge", K: 5, Source: "Delta Gazette"},
}

// searchAll runs deltaQueries in snapshot s and renders the results.
func searchAll(t *testing.T, ix *Index, s *snapshot) []string {
	t.Helper()
	var out []string
	for _, q := range deltaQueries {
		res, err := ix.searchIn(context.Background(), s, q)
		if err != nil {
			t.Errorf("search %q: %v", q.Text, err)
			return nil
		}
		var b strings.Builder
		for _, r := range res {
			fmt.Fprintf(&b, "%s %.9g %.9g %.9g %.9g %v|", r.ID, r.Score, r.Similarity, r.Keyword, r.Coverage, r.Matched)
		}
		out = append(out, b.String())
	}
	return out
}

// checkSnapshot reports what is inconsistent in s: what a reader holding a
// torn snapshot (one change half applied, or a later change written into
// it) would see.
func checkSnapshot(s *snapshot, dim int) error {
	n := len(s.passages)
	switch {
	case !slices.IsSortedFunc(s.passages, comparePassages):
		return fmt.Errorf("passages out of order")
	case len(s.byID) != n || s.manifest.Passages != n || s.kw.n != n || len(s.kw.docLen) != n || len(s.terms.start) != n+1:
		return fmt.Errorf("%d passages, %d IDs, %d in the manifest, %d in the keyword index, %d term lists",
			n, len(s.byID), s.manifest.Passages, s.kw.n, len(s.terms.start)-1)
	case !rowsOf(s.chunks, s.passages, dim) || s.scan() == nil || s.scan().rows != n:
		return fmt.Errorf("the vectors are not the passages' rows")
	case !slices.IsSortedFunc(s.articles, compareArticles) || s.manifest.Articles != len(s.articles):
		return fmt.Errorf("articles out of order or miscounted")
	}
	for i, p := range s.passages {
		if s.byID[p.ID] != i {
			return fmt.Errorf("passage %s at %d, its ID says %d", p.ID, i, s.byID[p.ID])
		}
	}
	total := 0
	for _, a := range s.articles {
		if got := len(s.articleRange(a.ID)); got != a.Passages || got == 0 {
			return fmt.Errorf("article %s: %d passages, its info says %d", a.ID, got, a.Passages)
		}
		total += a.Passages
	}
	if total != n {
		return fmt.Errorf("the articles have %d passages, the snapshot %d", total, n)
	}
	return nil
}

// sameSnapshot reports how got differs from want, a snapshot of the same
// generation loaded whole.
func sameSnapshot(got, want *snapshot) error {
	if got.manifest.Generation != want.manifest.Generation || got.manifest.Build != want.manifest.Build {
		return fmt.Errorf("generation %d (build %d), want %d (build %d)", got.manifest.Generation, got.manifest.Build, want.manifest.Generation, want.manifest.Build)
	}
	if len(got.articles) != len(want.articles) || len(got.passages) != len(want.passages) {
		return fmt.Errorf("%d articles, %d passages; want %d, %d", len(got.articles), len(got.passages), len(want.articles), len(want.passages))
	}
	for i, a := range got.articles {
		w := want.articles[i]
		if a.ID != w.ID || a.Path != w.Path || a.Title != w.Title || a.Source != w.Source || a.URL != w.URL || a.Hash != w.Hash ||
			a.Passages != w.Passages || !a.Published.Equal(w.Published) {
			return fmt.Errorf("article %d: %+v, want %+v", i, a, w)
		}
	}
	for i, p := range got.passages {
		w := want.passages[i]
		if p.ID != w.ID || p.ArticleID != w.ArticleID || p.Title != w.Title || p.Source != w.Source || p.URL != w.URL ||
			p.Ordinal != w.Ordinal || p.Text != w.Text || p.ArticleHash != w.ArticleHash || !p.Published.Equal(w.Published) {
			return fmt.Errorf("passage %d: %s, want %s", i, p.ID, w.ID)
		}
		if !slices.Equal(p.vec, w.vec) {
			return fmt.Errorf("passage %s: another vector", p.ID)
		}
	}
	if !maps.Equal(got.byID, want.byID) || !slices.Equal(got.sources, want.sources) {
		return fmt.Errorf("passage IDs or sources differ")
	}
	g, w := got.terms, want.terms
	if !slices.Equal(g.vocab, w.vocab) || !slices.Equal(g.start, w.start) || !slices.Equal(g.ids, w.ids) || !slices.Equal(g.counts, w.counts) {
		return fmt.Errorf("term lists differ")
	}
	gk, wk := got.kw, want.kw
	if !slices.Equal(gk.terms, wk.terms) || !slices.Equal(gk.start, wk.start) || !slices.Equal(gk.docs, wk.docs) || !slices.Equal(gk.tfs, wk.tfs) ||
		!slices.Equal(gk.impact, wk.impact) || !slices.Equal(gk.docLen, wk.docLen) || !slices.Equal(gk.norm, wk.norm) || gk.n != wk.n {
		return fmt.Errorf("keyword indexes differ")
	}
	if gs, ws := got.scan(), want.scan(); gs.rows != ws.rows {
		return fmt.Errorf("scans differ: %d rows, want %d", gs.rows, ws.rows)
	}
	return nil
}

// heldSnapshot is a snapshot a reader took, with what it saw in it.
type heldSnapshot struct {
	s       *snapshot
	results []string
	crc     uint32
}

// TestSharedDeltasMatchAFreshLoad writes a series of changes (ingests at
// both ends of the passage order and in its middle, an update of an
// imported article, removals, and the removal and re-ingest of one article
// ID) while readers search a following replica's snapshots. After each
// step, and after several steps applied as one delta, the follower's
// snapshot must be the one a fresh replica loads whole: the same articles,
// passages, vectors (bit for bit), keyword index and search results, with
// no change lost or applied twice. Every snapshot a reader held must stay
// as it was when the reader took it (same vectors, same results), and
// never be inconsistent; and the follower must have shared vector chunks
// rather than copied them all. It runs with the exact scan and with the
// quantised one, whose codes are kept with the chunks.
func TestSharedDeltasMatchAFreshLoad(t *testing.T) {
	for _, quantize := range []bool{false, true} {
		t.Run(fmt.Sprintf("quantised=%v", quantize), func(t *testing.T) { testSharedDeltas(t, quantize) })
	}
}

func testSharedDeltas(t *testing.T, quantize bool) {
	pg := pgtest.Start(t)
	const dim, per = 64, 8
	opts := replicaOptions{dim: dim, chunkRows: per, quantize: quantize}
	writer := openReplica(t, pg, opts)
	fo := opts
	fo.poll = 200 * time.Millisecond
	follower := openReplica(t, pg, fo)
	// manual applies changes only when told (Load), several at once.
	mo := opts
	mo.noRun = true
	manual := openReplica(t, pg, mo)

	folder := t.TempDir()
	write := func(rel string, data []byte) {
		t.Helper()
		p := filepath.Join(folder, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	words := []string{"Abbotsfen", "Marrowby", "Quillon", "Tessaly", "Zephyrine"}
	for i, w := range words {
		for k := range 4 {
			write(fmt.Sprintf("%c/%s-%d.md", 'b'+i*5, strings.ToLower(w), k),
				append([]byte("---\nsource: Delta Gazette\n---\n"), inquiry(w, 1+(i+k)%4, 0)...))
		}
	}
	if _, err := writer.Import(context.Background(), folder, nil); err != nil {
		t.Fatal(err)
	}
	if err := manual.Load(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Readers take the follower's snapshots as they come, check each, and
	// keep some to check again at the end.
	var (
		stop  atomic.Bool
		mu    sync.Mutex
		held  []heldSnapshot
		seen  = map[*snapshot]bool{}
		wg    sync.WaitGroup
		torn  atomic.Pointer[string]
		reads atomic.Int64
	)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				s := follower.Index().cur.Load()
				if err := checkSnapshot(s, dim); err != nil {
					msg := fmt.Sprintf("generation %d: %v", s.manifest.Generation, err)
					torn.CompareAndSwap(nil, &msg)
					return
				}
				results := searchAll(t, follower.Index(), s)
				reads.Add(1)
				mu.Lock()
				if !seen[s] {
					seen[s] = true
					held = append(held, heldSnapshot{s, results, vectorsCRC(s.chunks)})
				}
				mu.Unlock()
			}
		}()
	}

	// fresh loads the store whole into a new replica.
	fresh := func() *snapshot {
		t.Helper()
		r := openReplica(t, pg, mo)
		defer r.stop()
		if err := r.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		return r.Index().cur.Load()
	}
	// converged waits for the follower to reach the writer's generation,
	// and compares its snapshot with a whole load.
	converged := func(step string) {
		t.Helper()
		gen := writer.Index().Generation()
		waitFor(t, 5*time.Second, step+": the follower converges", func() bool { return follower.Index().Generation() >= gen })
		want := fresh()
		if err := sameSnapshot(follower.Index().cur.Load(), want); err != nil {
			t.Fatalf("%s: the follower's snapshot differs from a whole load: %v", step, err)
		}
		if got := follower.Index().cur.Load().scan().quantized; got != quantize || want.scan().quantized != quantize {
			t.Fatalf("%s: quantised scan %v, a whole load's %v; want %v", step, got, want.scan().quantized, quantize)
		}
		if got, exp := searchAll(t, follower.Index(), follower.Index().cur.Load()), searchAll(t, writer.Index(), want); !slices.Equal(got, exp) {
			t.Fatalf("%s: the follower's searches differ from a whole load's:\n%q\n%q", step, got, exp)
		}
		if err := sameSnapshot(writer.Index().cur.Load(), want); err != nil {
			t.Fatalf("%s: the writer's snapshot differs from a whole load: %v", step, err)
		}
	}
	ingest := func(name string, data []byte) {
		t.Helper()
		if _, err := writer.Ingest(context.Background(), name, data, "test", nil); err != nil {
			t.Fatalf("ingest %s: %v", name, err)
		}
	}
	remove := func(id string) {
		t.Helper()
		if _, err := writer.Remove(context.Background(), id, "test"); err != nil {
			t.Fatalf("remove %s: %v", id, err)
		}
	}
	// The ingested articles (ingested/...) sort between the folder's b/ to
	// l/ and its q/ to v/.
	steps := []struct {
		name string
		do   func()
	}{
		{"ingest in the middle", func() { ingest("kestrel.txt", inquiry("Kestrel", 3, 1)) }},
		{"ingest a second", func() { ingest("lumen.txt", inquiry("Lumen", 1, 1)) }},
		{"remove an article", func() { remove("ingested/kestrel") }},
		{"re-ingest the removed ID", func() { ingest("kestrel.txt", inquiry("Kestrel", 2, 2)) }},
		{"update an imported article", func() {
			write("l/quillon-2.md", inquiry("Quillon", 5, 3))
			if _, err := writer.Import(context.Background(), folder, nil); err != nil {
				t.Fatal(err)
			}
		}},
		{"add at both ends", func() {
			write("a/abbotsfen-first.md", inquiry("Abbotsfen", 2, 4))
			write("z/zephyrine-last.md", inquiry("Zephyrine", 2, 4))
			if _, err := writer.Import(context.Background(), folder, nil); err != nil {
				t.Fatal(err)
			}
		}},
		{"remove the first and the last", func() { remove("a/abbotsfen-first"); remove("z/zephyrine-last") }},
		{"remove and re-ingest at once", func() {
			remove("ingested/kestrel")
			ingest("kestrel.txt", inquiry("Kestrel", 4, 5))
			remove("ingested/lumen")
		}},
	}
	for _, step := range steps {
		step.do()
		converged(step.name)
	}

	// Several changes in one delta: the manual replica applies everything
	// since its load at once, then the same again after a burst.
	if err := manual.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := sameSnapshot(manual.Index().cur.Load(), fresh()); err != nil {
		t.Fatalf("all changes in one delta: %v", err)
	}
	before := manual.Index().cur.Load()
	remove("ingested/kestrel")
	ingest("kestrel.txt", inquiry("Kestrel", 2, 6))
	ingest("mirth.txt", inquiry("Mirth", 2, 6))
	remove("g/marrowby-1")
	if err := manual.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := manual.Index().cur.Load()
	if err := sameSnapshot(after, fresh()); err != nil {
		t.Fatalf("a burst of changes in one delta: %v", err)
	}
	shared := 0
	for _, c := range after.chunks {
		if slices.Contains(before.chunks, c) {
			shared++
		}
	}
	t.Logf("the burst's delta shared %d of %d vector chunks", shared, len(after.chunks))
	if shared == 0 {
		t.Error("the delta shared no vector chunk with the snapshot it was applied to")
	}
	converged("the burst")

	stop.Store(true)
	wg.Wait()
	if msg := torn.Load(); msg != nil {
		t.Fatalf("a reader saw an inconsistent snapshot: %s", *msg)
	}
	for _, h := range held {
		if err := checkSnapshot(h.s, dim); err != nil {
			t.Fatalf("a held snapshot of generation %d became inconsistent: %v", h.s.manifest.Generation, err)
		}
		if vectorsCRC(h.s.chunks) != h.crc {
			t.Fatalf("a held snapshot's vectors (generation %d) changed after it was taken", h.s.manifest.Generation)
		}
		if got := searchAll(t, follower.Index(), h.s); !slices.Equal(got, h.results) {
			t.Fatalf("a held snapshot (generation %d) answers differently now:\n%q\n%q", h.s.manifest.Generation, got, h.results)
		}
	}
	t.Logf("%d reads over %d snapshots", reads.Load(), len(held))
	if len(held) < 3 {
		t.Errorf("the readers saw %d snapshots", len(held))
	}

	// The follower's snapshot, saved and opened again, is still the same.
	follower.stop()
	ao := mo
	ao.dir = follower.dir
	again := openReplica(t, pg, ao)
	if err := sameSnapshot(again.Index().cur.Load(), fresh()); err != nil {
		t.Fatalf("the follower's saved snapshot: %v", err)
	}
}
