package retrieval

import (
	"context"
	"fmt"
	"sort"

	"github.com/newsbot/newsbot/retrieval/article"
)

// Caps on passages, beside the loader's caps on files, bytes and articles
// (article.Options): what one index run, and so one upload, may cost. The
// index's memory, its file, the time to open it and to embed grow with its
// passages.
const (
	// DefaultMaxPassagesPerArticle is the most passages one article may be
	// cut into: about 6 MiB of text, some 850,000 words. A news article
	// has a few; the cap matters for files far longer than articles (the
	// per-file byte cap already stops one article at ~8,700 passages).
	DefaultMaxPassagesPerArticle = 5_000
	// DefaultMaxPassages is the most passages one index may hold: about
	// 1.5 GB of memory with the local embedder (docs/scaling.md), 40 times
	// the BBC corpus.
	DefaultMaxPassages = 250_000
)

// budget applies the passage caps to the articles of a reindex, file by
// file in path order: a file with an article of more than
// maxPassagesPerArticle passages, or whose passages would take the index
// past maxPassages, is left out whole and reported. Articles found in
// reusable with the same hash count the passages they already have; the
// others are chunked, and their passages returned by ID for the reindex to
// embed.
func (ix *Index) budget(arts []article.Article, reusable map[string]ArticleInfo) ([]article.Article, map[string][]Passage, []article.Problem) {
	return ix.budgetFrom(arts, reusable, 0)
}

// budgetFrom is budget for an index that already holds base passages
// besides those of arts (a shared store's other articles).
func (ix *Index) budgetFrom(arts []article.Article, reusable map[string]ArticleInfo, base int) ([]article.Article, map[string][]Passage, []article.Problem) {
	byPath := map[string][]int{}
	var paths []string
	for i, a := range arts {
		if _, ok := byPath[a.Path]; !ok {
			paths = append(paths, a.Path)
		}
		byPath[a.Path] = append(byPath[a.Path], i)
	}
	sort.Strings(paths)
	chunks := make(map[string][]Passage, len(arts))
	dropped := map[string]bool{}
	var problems []article.Problem
	total := base
	for _, p := range paths {
		n := 0
		var over error
		for _, i := range byPath[p] {
			a := arts[i]
			count := 0
			if prev, ok := reusable[a.ID]; ok && prev.Hash == a.Hash {
				count = prev.Passages
			} else {
				chunks[a.ID] = Chunk(a, ix.chunk)
				count = len(chunks[a.ID])
			}
			if count > ix.maxPassagesPerArticle {
				over = ix.tooManyPassages(a.ID, count)
				break
			}
			n += count
		}
		if over == nil && total+n > ix.maxPassages {
			over = ix.indexFull(n, total+n)
		}
		if over != nil {
			dropped[p] = true
			problems = append(problems, article.Problem{Path: p, Reason: over.Error()})
			for _, i := range byPath[p] {
				delete(chunks, arts[i].ID)
			}
			continue
		}
		total += n
	}
	if len(dropped) == 0 {
		return arts, chunks, nil
	}
	kept := make([]article.Article, 0, len(arts))
	for _, a := range arts {
		if !dropped[a.Path] {
			kept = append(kept, a)
		}
	}
	return kept, chunks, problems
}

func (ix *Index) tooManyPassages(id string, n int) error {
	return &article.LimitError{Limit: article.FormatCount(int64(ix.maxPassagesPerArticle)) + " passages per article",
		Found: fmt.Sprintf("article %s has %s", id, article.FormatCount(int64(n)))}
}

func (ix *Index) indexFull(n, total int) error {
	return &article.LimitError{Limit: article.FormatCount(int64(ix.maxPassages)) + " passages in the index",
		Found: fmt.Sprintf("its %s passages would take the index to %s", article.FormatCount(int64(n)), article.FormatCount(int64(total)))}
}

// admit checks a file Ingest is about to save against the caps a reindex
// would apply, so that a file the reindex would leave out is refused
// rather than saved: its articles' passages, and the corpus's articles,
// passages and bytes with it added (counted from the live index and the
// corpus folder). The error, a *article.LimitError, names the cap.
func (ix *Index) admit(ctx context.Context, corpus string, data []byte, arts []article.Article) error {
	cur := ix.cur.Load()
	return ix.admitInto(arts, int64(len(data)), len(cur.articles), len(cur.passages), func() (int64, error) {
		size, err := article.CorpusBytes(ctx, corpus)
		if err != nil {
			return 0, fmt.Errorf("ingest: %w", err)
		}
		return size, nil
	})
}

// admitInto is admit against a corpus of the given articles, passages and
// bytes (counted by corpusBytes, last, as it may be slow).
func (ix *Index) admitInto(arts []article.Article, size int64, articles, passages int, corpusBytes func() (int64, error)) error {
	added := 0
	for _, a := range arts {
		n := len(Chunk(a, ix.chunk))
		if n > ix.maxPassagesPerArticle {
			return ix.tooManyPassages(a.ID, n)
		}
		added += n
	}
	lim := ix.load.Limits()
	if total := articles + len(arts); total > lim.MaxTotalArticles {
		return &article.LimitError{Limit: article.FormatCount(int64(lim.MaxTotalArticles)) + " articles in the corpus",
			Found: "it would take the corpus to " + article.FormatCount(int64(total))}
	}
	if total := passages + added; total > ix.maxPassages {
		return ix.indexFull(added, total)
	}
	have, err := corpusBytes()
	if err != nil {
		return err
	}
	if total := have + size; total > lim.MaxTotalBytes {
		return &article.LimitError{Limit: article.FormatSize(lim.MaxTotalBytes) + " in the corpus",
			Found: "it would take the corpus to " + article.FormatCount(total) + " bytes"}
	}
	return nil
}
