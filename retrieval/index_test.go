package retrieval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countingEmbedder wraps an embedder (the local one), counting the
// passages it embeds and failing on demand. It holds it as an Embedder, so
// that it is no WordEmbedder: the index calls its Embed.
type countingEmbedder struct {
	Embedder
	n    atomic.Int64
	fail atomic.Bool
}

func (e *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if e.fail.Load() {
		return nil, errors.New("embeddings endpoint: HTTP 503")
	}
	if len(texts) > 1 { // queries embed one text; count passages only
		e.n.Add(int64(len(texts)))
	}
	return e.Embedder.Embed(ctx, texts)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixtureCorpus writes a small corpus of distinct stories.
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

func openTest(t *testing.T, dir string, emb Embedder) *Index {
	t.Helper()
	ix, err := Open(Options{Dir: dir, Embedder: emb})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(ix.Close)
	return ix
}

func search(t *testing.T, ix *Index, q string, k int) []Result {
	t.Helper()
	res, err := ix.Search(context.Background(), Query{Text: q, K: k})
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	return res
}

func TestSearchFindsTheRightStory(t *testing.T) {
	corpus := fixtureCorpus(t)
	ix := openTest(t, t.TempDir(), nil)
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ query, want string }{
		{"Will Iran allow inspections of its military sites?", "world/iran"},
		{"humpback whale sightings", "world/whales"},
		{"who scored the winning goal in the final", "sport/final"},
		{"how many jobs at the new processor plant", "tech/chips"},
		{"petrol price rise", "business/oil"},
		{"missiles", "world/iran"}, // plural finds singular: stemming
		{"programmes", "world/iran"},
	}
	for _, tc := range tests {
		res := search(t, ix, tc.query, 3)
		if len(res) == 0 || res[0].ArticleID != tc.want {
			t.Errorf("Search(%q): top result %v, want %s", tc.query, ids(res), tc.want)
		}
	}
}

func ids(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestSearchKLargerThanCorpus(t *testing.T) {
	ix := openTest(t, t.TempDir(), nil)
	if _, err := ix.Reindex(context.Background(), fixtureCorpus(t), nil); err != nil {
		t.Fatal(err)
	}
	res := search(t, ix, "prices", 1000)
	if len(res) == 0 || len(res) > ix.Stats().Passages {
		t.Fatalf("k=1000 on %d passages gave %d results", ix.Stats().Passages, len(res))
	}
	// An empty index answers with nothing, not an error.
	empty := openTest(t, t.TempDir(), nil)
	if res := search(t, empty, "prices", 10); len(res) != 0 {
		t.Fatalf("empty index returned %d results", len(res))
	}
}

func TestSearchFilters(t *testing.T) {
	corpus := t.TempDir()
	writeFile(t, filepath.Join(corpus, "a.md"), "---\ntitle: Missile test\nsource: Press TV\npublished: 2017-10-01\n---\nIran tested a ballistic missile, Press TV reported.")
	writeFile(t, filepath.Join(corpus, "b.md"), "---\ntitle: Missile sanctions\nsource: Reuters\npublished: 2018-03-01\n---\nThe United States imposed sanctions over the ballistic missile programme.")
	ix := openTest(t, t.TempDir(), nil)
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    Query
		want []string
	}{
		{"no filter", Query{Text: "ballistic missile"}, []string{"a#1", "b#1"}},
		{"source", Query{Text: "ballistic missile", Source: "press tv"}, []string{"a#1"}},
		{"after", Query{Text: "ballistic missile", After: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{"b#1"}},
		{"before", Query{Text: "ballistic missile", Before: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{"a#1"}},
	} {
		res, err := ix.Search(context.Background(), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		got := ids(res)
		if strings.Join(sorted(got), ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSearchPrefersArticles(t *testing.T) {
	corpus := fixtureCorpus(t)
	writeFile(t, filepath.Join(corpus, "business/food.txt"), "Food prices climb\n\nFood prices rose after a poor harvest.\n\nAnalysts expect bread prices to follow within weeks.")
	ix := openTest(t, t.TempDir(), nil)
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}
	// Both stories say what analysts expect: the one under discussion
	// comes first, whichever it is.
	for _, want := range []string{"business/oil", "business/food"} {
		res, err := ix.Search(context.Background(), Query{Text: "what do analysts expect?", K: 3, Prefer: []string{want}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) == 0 || res[0].ArticleID != want {
			t.Errorf("Prefer %s: results %v, want it first", want, ids(res))
		}
	}
	// A preferred article is a candidate even when the question's words
	// don't find it, but it doesn't push out what they do find.
	res, err := ix.Search(context.Background(), Query{Text: "humpback whales", K: 3, Prefer: []string{"sport/final"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 || res[0].ArticleID != "world/whales" {
		t.Errorf("results %v, want the whales first", ids(res))
	}
	// Filters still apply to preferred articles.
	res, err = ix.Search(context.Background(), Query{Text: "analysts", K: 5, Prefer: []string{"business/food"}, After: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 0 {
		t.Errorf("a filter that keeps nothing returned %v", ids(res))
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestReopenKeepsEveryPassage(t *testing.T) {
	data := t.TempDir()
	ix := openTest(t, data, nil)
	if _, err := ix.Reindex(context.Background(), fixtureCorpus(t), nil); err != nil {
		t.Fatal(err)
	}
	again := openTest(t, data, nil)
	if again.Stale() != "" {
		t.Fatalf("reopened index is stale: %s", again.Stale())
	}
	assertSameIndex(t, ix, again)
}

func assertSameIndex(t *testing.T, a, b *Index) {
	t.Helper()
	sa, sb := a.cur.Load(), b.cur.Load()
	if len(sa.passages) != len(sb.passages) || sb.scan().rows != len(sa.passages) {
		t.Fatalf("passages: %d before, %d after (%d vectors)", len(sa.passages), len(sb.passages), sb.scan().rows)
	}
	for i := range sa.passages {
		p, q := sa.passages[i], sb.passages[i]
		if p.ID != q.ID || p.Text != q.Text || len(p.vec) != len(q.vec) {
			t.Fatalf("passage %d: %s before, %s after", i, p.ID, q.ID)
		}
		if dot(p.vec, q.vec) < 0.9999 {
			t.Fatalf("passage %s: vector changed on reload", p.ID)
		}
	}
}

func TestIncrementalReindex(t *testing.T) {
	corpus := fixtureCorpus(t)
	emb := &countingEmbedder{Embedder: NewLocalEmbedder(0)}
	ix := openTest(t, t.TempDir(), emb)
	ctx := context.Background()

	first, err := ix.Reindex(ctx, corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Added) != 5 || first.Embedded != first.Passages || emb.n.Load() != int64(first.Passages) {
		t.Fatalf("first reindex: added %d, embedded %d of %d passages", len(first.Added), emb.n.Load(), first.Passages)
	}
	oilID := search(t, ix, "oil prices", 1)[0].ID

	// Unchanged: nothing embedded.
	emb.n.Store(0)
	again, err := ix.Reindex(ctx, corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	if emb.n.Load() != 0 || again.Unchanged != 5 || len(again.Added)+len(again.Changed)+len(again.Removed) != 0 {
		t.Fatalf("unchanged reindex embedded %d passages, summary %+v", emb.n.Load(), again)
	}

	// One changed, one removed, one added: only the changed and added are
	// embedded; the removed disappears from results; others keep their IDs.
	writeFile(t, filepath.Join(corpus, "world/whales.txt"), "Whales return to the bay\n\nHumpback whales and dolphins were seen in the bay, marine biologists said.")
	os.Remove(filepath.Join(corpus, "sport/final.txt"))
	writeFile(t, filepath.Join(corpus, "world/volcano.txt"), "Volcano erupts\n\nA volcano erupted in Iceland, grounding flights across Europe.")
	emb.n.Store(0)
	sum, err := ix.Reindex(ctx, corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sum.Added, sum.Changed, sum.Removed) != "[world/volcano] [world/whales] [sport/final]" {
		t.Fatalf("summary: added %v changed %v removed %v", sum.Added, sum.Changed, sum.Removed)
	}
	if emb.n.Load() != 2 {
		t.Fatalf("embedded %d passages, want 2 (the changed and the added article)", emb.n.Load())
	}
	for _, r := range search(t, ix, "cup final Wembley goal", 5) {
		if r.ArticleID == "sport/final" {
			t.Fatalf("removed article still found: %s", r.ID)
		}
	}
	if got := search(t, ix, "oil prices", 1)[0].ID; got != oilID {
		t.Fatalf("unchanged article's passage ID changed from %s to %s", oilID, got)
	}
	if got := search(t, ix, "dolphins", 1); len(got) == 0 || got[0].ArticleID != "world/whales" {
		t.Fatalf("changed article not searchable by its new text: %v", ids(got))
	}
}

func TestFailedReindexKeepsServingTheOldIndex(t *testing.T) {
	corpus := fixtureCorpus(t)
	data := t.TempDir()
	emb := &countingEmbedder{Embedder: NewLocalEmbedder(0)}
	ix := openTest(t, data, emb)
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(data, indexFileName))

	writeFile(t, filepath.Join(corpus, "world/new.txt"), "A new story\n\nSomething new happened in the capital today.")
	emb.fail.Store(true)
	_, err := ix.Reindex(context.Background(), corpus, nil)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("reindex with a failing embedder: err = %v, want the embedder's error", err)
	}
	emb.fail.Store(false)
	if res := search(t, ix, "humpback whales", 1); len(res) == 0 || res[0].ArticleID != "world/whales" {
		t.Fatalf("old index no longer serves: %v", ids(res))
	}
	after, _ := os.ReadFile(filepath.Join(data, indexFileName))
	if string(before) != string(after) {
		t.Fatal("a failed reindex changed the saved index")
	}
}

func TestOnlyOneReindexAtATime(t *testing.T) {
	corpus := fixtureCorpus(t)
	ix := openTest(t, t.TempDir(), nil)
	started := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ix.Reindex(context.Background(), corpus, func(p Progress) {
			if p.Stage == "loading" {
				close(started)
				<-release
			}
		})
	}()
	<-started
	_, err := ix.Reindex(context.Background(), corpus, nil)
	close(release)
	wg.Wait()
	if !errors.Is(err, ErrReindexRunning) {
		t.Fatalf("second reindex: err = %v, want ErrReindexRunning", err)
	}
}

func TestSearchDuringReindex(t *testing.T) {
	corpus := fixtureCorpus(t)
	ix := openTest(t, t.TempDir(), nil)
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(corpus, "world/whales.txt"), "Whales leave the bay\n\nThe humpback whales left the bay again.")
	ctx, cancel := context.WithCancel(context.Background())
	var failures atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				res, err := ix.Search(context.Background(), Query{Text: "humpback whales", K: 3})
				if err != nil || len(res) == 0 || res[0].ArticleID != "world/whales" {
					failures.Add(1)
				}
			}
		}()
	}
	for i := 0; i < 5; i++ {
		if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
			t.Error(err)
		}
		writeFile(t, filepath.Join(corpus, "world/whales.txt"), fmt.Sprintf("Whales leave the bay\n\nThe humpback whales left the bay again, take %d.", i))
	}
	cancel()
	wg.Wait()
	if failures.Load() > 0 {
		t.Fatalf("%d searches failed during reindexes", failures.Load())
	}
}

func TestDamagedIndexIsDetectedAndRebuilt(t *testing.T) {
	corpus := fixtureCorpus(t)
	for _, tc := range []struct {
		name   string
		damage func(path string)
	}{
		{"truncated", func(p string) {
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}},
		{"corrupted", func(p string) {
			b, _ := os.ReadFile(p)
			b[len(b)-100] ^= 0xff
			os.WriteFile(p, b, 0o644)
		}},
		{"not an index", func(p string) { os.WriteFile(p, []byte("hello"), 0o644) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			ix := openTest(t, data, nil)
			if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
				t.Fatal(err)
			}
			tc.damage(filepath.Join(data, indexFileName))
			again := openTest(t, data, nil)
			if !strings.Contains(again.Stale(), "damaged") || !strings.Contains(again.Stale(), "reindex") {
				t.Fatalf("Stale() = %q, want it to say the index is damaged and to reindex", again.Stale())
			}
			// Damage after the manifest leaves the corpus folder known, so the
			// rebuild reads the same articles without being told where.
			if abs, _ := filepath.Abs(corpus); tc.name != "not an index" && again.Corpus() != abs {
				t.Errorf("Corpus() = %q after %s damage, want %q", again.Corpus(), tc.name, abs)
			}
			if _, err := again.Reindex(context.Background(), corpus, nil); err != nil {
				t.Fatal(err)
			}
			if again.Stale() != "" || len(search(t, again, "whales", 1)) == 0 {
				t.Fatal("rebuilt index does not serve")
			}
		})
	}
}

func TestOtherEmbedderReembedsEverything(t *testing.T) {
	corpus := fixtureCorpus(t)
	data := t.TempDir()
	ix := openTest(t, data, NewLocalEmbedder(256))
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}
	emb := &countingEmbedder{Embedder: NewLocalEmbedder(128)}
	other := openTest(t, data, emb)
	if !strings.Contains(other.Stale(), "embedder") {
		t.Fatalf("Stale() = %q, want it to name the embedder change", other.Stale())
	}
	sum, err := other.Reindex(context.Background(), corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	if emb.n.Load() != int64(sum.Passages) {
		t.Fatalf("re-embedded %d of %d passages", emb.n.Load(), sum.Passages)
	}
	if len(other.cur.Load().passages[0].vec) != 128 {
		t.Fatal("vectors of the old embedder kept")
	}
}

// TestKilledReindexLeavesTheIndexIntact kills a child process (SIGKILL) in
// the middle of a reindex and checks that the saved index still opens and
// serves the previous state.
func TestKilledReindexLeavesTheIndexIntact(t *testing.T) {
	if os.Getenv("NEWSBOT_KILL_CHILD") != "" {
		return // the child's work is in TestMain
	}
	corpus := fixtureCorpus(t)
	data := t.TempDir()
	ix := openTest(t, data, nil)
	first, err := ix.Reindex(context.Background(), corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		writeFile(t, filepath.Join(corpus, fmt.Sprintf("more/%02d.txt", i)), fmt.Sprintf("Story %d\n\nA story about topic number %d with some words.", i, i))
	}
	for _, stage := range []string{"embedding", "saving"} {
		t.Run(stage, func(t *testing.T) {
			ready := filepath.Join(t.TempDir(), "ready")
			cmd := exec.Command(os.Args[0], "-test.run=^TestKilledReindexLeavesTheIndexIntact$")
			cmd.Env = append(os.Environ(), "NEWSBOT_KILL_CHILD="+stage, "NEWSBOT_KILL_DATA="+data, "NEWSBOT_KILL_CORPUS="+corpus, "NEWSBOT_KILL_READY="+ready)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				if _, err := os.Stat(ready); err == nil {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("child never reached the stage")
				}
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()

			again := openTest(t, data, nil)
			if again.Stale() != "" {
				t.Fatalf("after the kill the index is stale: %s", again.Stale())
			}
			if got := again.Stats().Passages; got != first.Passages {
				t.Fatalf("after the kill: %d passages, want the previous %d", got, first.Passages)
			}
			if res := search(t, again, "humpback whales", 1); len(res) == 0 {
				t.Fatal("index does not serve after the kill")
			}
			entries, _ := os.ReadDir(data)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left behind after reopening", e.Name())
				}
			}
		})
	}
}

// blockingEmbedder signals that embedding started and then never returns.
// Like countingEmbedder, it holds the embedder it wraps as an Embedder.
type blockingEmbedder struct {
	Embedder
	ready string
}

func (e blockingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) > 1 {
		os.WriteFile(e.ready, nil, 0o644)
		select {}
	}
	return e.Embedder.Embed(ctx, texts)
}

func TestMain(m *testing.M) {
	if stage := os.Getenv("NEWSBOT_KILL_CHILD"); stage != "" {
		killChild(stage)
		return
	}
	os.Exit(m.Run())
}

// killChild runs a reindex that stops at stage until it is killed.
func killChild(stage string) {
	data, corpus, ready := os.Getenv("NEWSBOT_KILL_DATA"), os.Getenv("NEWSBOT_KILL_CORPUS"), os.Getenv("NEWSBOT_KILL_READY")
	var emb Embedder = NewLocalEmbedder(0)
	if stage == "embedding" {
		emb = blockingEmbedder{NewLocalEmbedder(0), ready}
	}
	ix, err := Open(Options{Dir: data, Embedder: emb})
	if err != nil {
		os.Exit(3)
	}
	if stage == "saving" {
		// Write a partial temporary file as a killed save would, then hang.
		ix.saveHook = func(tmp string) {
			os.WriteFile(ready, nil, 0o644)
			select {}
		}
	}
	ix.Reindex(context.Background(), corpus, nil)
	os.Exit(4)
}

// TestDiskFullKeepsThePreviousIndex fills a small tmpfs during a save: the
// reindex fails with a clear error, the previous index keeps serving, and
// the file on disk still opens to the previous state. Needs root to mount;
// skipped otherwise.
func TestDiskFullKeepsThePreviousIndex(t *testing.T) {
	data := t.TempDir()
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", data).Run(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v)", err)
	}
	t.Cleanup(func() { exec.Command("umount", data).Run() })
	corpus := fixtureCorpus(t)
	ix := openTest(t, data, nil)
	first, err := ix.Reindex(context.Background(), corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		writeFile(t, filepath.Join(corpus, fmt.Sprintf("bulk/%03d.txt", i)), fmt.Sprintf("Bulk story %d\n\n%s", i, strings.Repeat(fmt.Sprintf("Sentence %d about topic %d. ", i, i), 40)))
	}
	_, err = ix.Reindex(context.Background(), corpus, nil)
	if err == nil || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "save index") {
		t.Fatalf("reindex on a full disk: err = %v, want a save error naming the full disk", err)
	}
	if got := ix.Stats().Passages; got != first.Passages {
		t.Fatalf("live index has %d passages, want the previous %d", got, first.Passages)
	}
	again := openTest(t, data, nil)
	if again.Stale() != "" || again.Stats().Passages != first.Passages {
		t.Fatalf("saved index after the failed save: stale %q, %d passages", again.Stale(), again.Stats().Passages)
	}
	entries, _ := os.ReadDir(data)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left on the full disk", e.Name())
		}
	}
}

// TestScanMatchesChromem: the contiguous scan and chromem-go's
// QueryEmbedding rank the same passages for the same queries, filters
// included, exact or quantised.
func TestScanMatchesChromem(t *testing.T) {
	corpus := fixtureCorpus(t)
	writeFile(t, filepath.Join(corpus, "x.md"), "---\ntitle: Missile test\nsource: Press TV\n---\nIran tested a ballistic missile, Press TV reported.")
	for _, quantize := range []bool{false, true} {
		ix, err := Open(Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if quantize {
			ix.quantizeAbove = 0
		}
		if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
			t.Fatal(err)
		}
		if got := ix.cur.Load().vectors.(*flatStore).quantized; got != quantize {
			t.Fatalf("quantised scan = %v, want %v", got, quantize)
		}
		results := map[string][]string{}
		for name, ix := range map[string]*Index{"scan": ix, "chromem-go": withChromemQueries(ix)} {
			for _, q := range []Query{{Text: "whales in the bay", K: 3}, {Text: "missile", K: 3, Source: "Press TV"}, {Text: "prices", K: 10, Mode: ModeVector}} {
				res, err := ix.Search(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				results[name] = append(results[name], fmt.Sprint(ids(res)))
			}
		}
		if fmt.Sprint(results["scan"]) != fmt.Sprint(results["chromem-go"]) {
			t.Fatalf("quantised %v: the paths disagree:\nscan       %v\nchromem-go %v", quantize, results["scan"], results["chromem-go"])
		}
	}
}

func TestCoverageCountsVariants(t *testing.T) {
	passage := countTerms([]string{"advisor", "coordin", "iranian", "syria"})
	q := &queryInfo{weights: map[string]float64{"advis": 1, "syrian": 1, "iranian": 1, "troop": 1}, total: 4}
	for _, t := range []string{"advis", "syrian", "iranian", "troop"} {
		q.words = append(q.words, qword{term: t})
	}
	got, matched := q.coverage(passage)
	// iranian exact (1), advis~advisor and syrian~syria variants (0.7 each), troop absent.
	if want := (1 + 2*variantWeight) / 4; got < want-1e-9 || got > want+1e-9 || fmt.Sprint(matched) != "[iranian]" {
		t.Fatalf("coverage = %v (matched %v), want %v", got, matched, want)
	}
	if hasVariant(countTerms([]string{"cooper"}), "coordin") || hasVariant(countTerms([]string{"state"}), "statement") {
		t.Fatal("words sharing only a short prefix counted as variants")
	}
}
