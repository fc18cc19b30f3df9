package retrieval

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/newsbot/newsbot/retrieval/article"
	"github.com/newsbot/newsbot/retrieval/text"
)

// Progress reports how far a reindex has come.
type Progress struct {
	Stage string // "loading", "embedding", "saving", "done"; Ingest adds StageSaved and StageWaiting
	Done  int    // articles processed in this stage
	Total int    // articles to process in this stage
	Path  string // for StageSaved: the file saved, relative to the corpus
	// Holder, for StageWaiting in Reindex, is the other process writing
	// the data folder ("process 1234 (bot index) on HOST since ...").
	Holder string
}

// Summary is the outcome of a reindex.
type Summary struct {
	Articles int      `json:"articles"`
	Passages int      `json:"passages"`
	Added    []string `json:"added"`
	Changed  []string `json:"changed"`
	Removed  []string `json:"removed"`
	// Missing, for an import into a shared store, are the articles of the
	// folder's earlier imports that it no longer holds: kept, until
	// removed explicitly (Shared.Remove, Shared.Prune).
	Missing   []string          `json:"missing,omitempty"`
	Unchanged int               `json:"unchanged"`
	Embedded  int               `json:"embedded_passages"`
	Skipped   []article.Problem `json:"skipped"`
	Duration  time.Duration     `json:"duration_ns"`
}

// embedBatch is how many passages go to the embedder at once; progress is
// reported between batches.
const embedBatch = 256

// Reindex brings the index in line with the articles under corpus: new and
// changed articles are chunked and embedded, removed ones dropped, unchanged
// ones reused as they are (vectors included). Searches go on against the
// previous snapshot throughout; the new one replaces it only once it is
// complete and saved. On any error — embedder down, disk full, context
// cancelled — the previous index stays live and on disk, untouched.
//
// Only one reindex runs at a time: a second call returns ErrReindexRunning.
// Across processes, a reindex holds the data folder's lock (lock.go): while
// another process holds it, Reindex reports StageWaiting and waits, up to
// Options.LockWait and while ctx lasts, then returns a *LockedError. Once
// it has the lock, it first loads the index another process may have
// saved meanwhile.
// progress, when not nil, is called from this goroutine.
func (ix *Index) Reindex(ctx context.Context, corpus string, progress func(Progress)) (Summary, error) {
	if ix.shared != nil {
		return Summary{}, errShared
	}
	if !ix.reindexMu.TryLock() {
		return Summary{}, ErrReindexRunning
	}
	defer ix.reindexMu.Unlock()
	report := func(p Progress) {
		if progress != nil {
			progress(p)
		}
	}
	lock, err := ix.lockData(ctx, report)
	if err != nil {
		return Summary{}, fmt.Errorf("reindex: %w", err)
	}
	defer lock.unlock()
	start := time.Now() // the wait for the lock is not the reindex's time

	report(Progress{Stage: "loading"})
	arts, problems, err := article.LoadDir(ctx, corpus, ix.load)
	if err != nil {
		return Summary{}, fmt.Errorf("reindex %s: %w", corpus, err)
	}
	old := ix.cur.Load()
	reuse := ix.Stale() == "" // a stale snapshot's vectors must not be mixed in
	oldByArticle := map[string]ArticleInfo{}
	if reuse {
		for _, a := range old.articles {
			oldByArticle[a.ID] = a
		}
	}
	arts, chunks, over := ix.budget(arts, oldByArticle)
	sum := Summary{Skipped: append(problems, over...)}
	sort.SliceStable(sum.Skipped, func(i, j int) bool { return sum.Skipped[i].Path < sum.Skipped[j].Path })
	if len(arts) == 0 {
		return sum, fmt.Errorf("reindex %s: %w (supported: %s)", corpus, ErrEmptyCorpus, strings.Join(article.Extensions(), " "))
	}

	var (
		keep    []livePassage
		infos   = make([]ArticleInfo, 0, len(arts))
		fresh   []livePassage
		freshOf []int // index into infos of each fresh passage's article
		seen    = make(map[string]bool, len(arts))
	)
	for _, a := range arts {
		seen[a.ID] = true
		info := ArticleInfo{ID: a.ID, Path: a.Path, Title: a.Title, Source: a.Source, URL: a.URL, Published: a.Published, Hash: a.Hash}
		if prev, ok := oldByArticle[a.ID]; ok && prev.Hash == a.Hash {
			keep = old.appendKept(keep, a.ID)
			info.Passages = prev.Passages
			infos = append(infos, info)
			sum.Unchanged++
			continue
		}
		if _, ok := oldByArticle[a.ID]; ok {
			sum.Changed = append(sum.Changed, a.ID)
		} else {
			sum.Added = append(sum.Added, a.ID)
		}
		ps := chunks[a.ID]
		info.Passages = len(ps)
		for _, p := range ps {
			fresh = append(fresh, livePassage{storedPassage: storedPassage{Passage: p, ArticleHash: a.Hash}})
			freshOf = append(freshOf, len(infos))
		}
		infos = append(infos, info)
	}
	for id := range oldByArticle {
		if !seen[id] {
			sum.Removed = append(sum.Removed, id)
		}
	}
	sum.Articles = len(infos)

	if len(fresh) == 0 && len(sum.Removed) == 0 && reuse && len(old.passages) > 0 && ix.onDisk(old) && ix.storeCurrent(ctx, old) {
		// Nothing changed: the live snapshot is already right.
		sum.Passages = len(old.passages)
		sum.Duration = time.Since(start)
		report(Progress{Stage: "done", Done: len(arts), Total: len(arts)})
		return sum, nil
	}

	// Embed new and changed passages in batches, reporting articles done.
	toEmbed := len(sum.Added) + len(sum.Changed)
	report(Progress{Stage: "embedding", Done: 0, Total: toEmbed})
	articlesDone := 0
	lastArticle := -1
	err = ix.embedPassages(ctx, fresh, func(from, to int) {
		for i := from; i < to; i++ {
			if freshOf[i] != lastArticle {
				lastArticle = freshOf[i]
				articlesDone++
			}
		}
		report(Progress{Stage: "embedding", Done: min(articlesDone, toEmbed), Total: toEmbed})
	})
	if err != nil {
		return sum, fmt.Errorf("reindex: %w", err)
	}
	sum.Embedded = len(fresh)

	report(Progress{Stage: "saving"})
	all := append(keep, fresh...)
	m := ix.newManifest()
	if abs, err := filepath.Abs(corpus); err == nil {
		m.Corpus = abs
	}
	snap, err := ix.buildSnapshot(m, all, infos, snapshotParts{})
	if err != nil {
		return sum, fmt.Errorf("reindex: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("reindex cancelled: %w", err)
	}
	// The outside vector store (Options.Vectors) is written in a
	// transaction that commits only once the file is saved: any failure
	// leaves both as they were. (A failed commit after the save leaves the
	// file ahead of the store; Open notices and the next reindex repairs
	// it.)
	outside, err := ix.syncStore(ctx, snap)
	if err != nil {
		return sum, fmt.Errorf("reindex: %w", err)
	}
	defer outside.Rollback()
	if err := snap.save(ix.dir, ix.saveHook); err != nil {
		return sum, fmt.Errorf("reindex: save index in %s: %w", ix.dir, err)
	}
	if err := outside.Commit(ctx); err != nil {
		return sum, fmt.Errorf("reindex: %w", err)
	}
	ix.cur.Store(snap)
	ix.filler.fill(snap, ix.log)
	ix.stale.Store(nil)
	sum.Passages = len(all)
	sum.Duration = time.Since(start)
	report(Progress{Stage: "done", Done: len(arts), Total: len(arts)})
	ix.log.Info("reindexed", "articles", sum.Articles, "passages", sum.Passages, "added", len(sum.Added),
		"changed", len(sum.Changed), "removed", len(sum.Removed), "skipped", len(sum.Skipped), "embedded", sum.Embedded,
		"seconds", sum.Duration.Seconds())
	return sum, nil
}

// articlePassages returns the passages of one article, in order.
func (s *snapshot) articlePassages(id string) []livePassage {
	i, ok := s.byID[id+"#1"]
	if !ok {
		return nil
	}
	j := i
	for j < len(s.passages) && s.passages[j].ArticleID == id {
		j++
	}
	return s.passages[i:j]
}

// articleRange returns the indexes of an article's passages, in order;
// none when the snapshot doesn't hold it.
func (s *snapshot) articleRange(id string) []int {
	i, ok := s.byID[id+"#1"]
	if !ok {
		return nil
	}
	var out []int
	for ; i < len(s.passages) && s.passages[i].ArticleID == id; i++ {
		out = append(out, i)
	}
	return out
}

// appendKept appends the passages of one article, in order, with their
// term counts, to reuse them in the next snapshot.
func (s *snapshot) appendKept(dst []livePassage, id string) []livePassage {
	i, ok := s.byID[id+"#1"]
	if !ok {
		return dst
	}
	for ; i < len(s.passages) && s.passages[i].ArticleID == id; i++ {
		p := s.passages[i]
		p.Terms = s.passageTerms(i)
		dst = append(dst, p)
	}
	return dst
}

// usableVector returns v normalised, or a fixed unit vector when v is zero
// (a passage with no content words): chromem-go would divide by zero.
func usableVector(v []float32) []float32 {
	Normalize(v)
	for _, x := range v {
		if x != 0 {
			return v
		}
	}
	v[0] = 1
	return v
}

// embedPassages sets the term counts and the vectors of ps, embedding them
// in batches of embedBatch; after each batch, done is told which passages
// it held ([from, to)). The offline embedders take the words the keyword
// index has already tokenised: each passage is tokenised once.
func (ix *Index) embedPassages(ctx context.Context, ps []livePassage, done func(from, to int)) error {
	byWords, ok := ix.emb.(WordEmbedder)
	dim := ix.emb.Info().Dim
	for b := 0; b < len(ps); b += embedBatch {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("cancelled: %w", err)
		}
		end := min(b+embedBatch, len(ps))
		texts := make([]string, end-b)
		words := make([][]text.Word, end-b)
		parallel(min(runtime.GOMAXPROCS(0), max(1, (end-b)/32)), end-b, func(_, lo, hi int) {
			for j := lo; j < hi; j++ {
				texts[j] = embedText(ps[b+j].Passage)
				words[j] = ix.stem.Words(texts[j], true)
				terms := make([]string, len(words[j]))
				for k, w := range words[j] {
					terms[k] = w.Term
				}
				ps[b+j].Terms = countTerms(terms)
			}
		})
		var vecs [][]float32
		var err error
		if ok {
			vecs, err = byWords.EmbedWords(ctx, words)
		} else {
			vecs, err = ix.emb.Embed(ctx, texts)
		}
		if err != nil {
			return fmt.Errorf("embed passages %s to %s: %w", ps[b].ID, ps[end-1].ID, err)
		}
		if len(vecs) != len(texts) {
			return fmt.Errorf("embedder returned %d vectors for %d passages", len(vecs), len(texts))
		}
		for i, v := range vecs {
			if len(v) != dim {
				return fmt.Errorf("embedder returned %d dims, expected %d", len(v), dim)
			}
			ps[b+i].vec = usableVector(v)
		}
		if done != nil {
			done(b, end)
		}
	}
	return nil
}

// termsOf tokenises the passages of ps as the keyword index does, setting
// their term counts, on up to workers cores: what a snapshot built from stored
// passages (with their vectors) needs besides.
func (ix *Index) termsOf(ps []livePassage, workers int) {
	parallel(min(workers, max(1, len(ps)/64)), len(ps), func(_, lo, hi int) {
		for j := lo; j < hi; j++ {
			words := ix.stem.Words(embedText(ps[j].Passage), true)
			terms := make([]string, len(words))
			for k, w := range words {
				terms[k] = w.Term
			}
			ps[j].Terms = countTerms(terms)
		}
	})
}
