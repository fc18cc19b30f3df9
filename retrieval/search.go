package retrieval

import (
	"context"
	"fmt"
	"github.com/newsbot/newsbot/retrieval/text"
	"sort"
	"strings"
	"time"
)

// Query is a search request.
type Query struct {
	Text string
	// K is the number of results wanted (5 when <= 0). Asking for more than
	// the index holds returns what there is.
	K int
	// PerArticle caps the passages of one article among the results (3 when
	// 0; negative means no cap), so one long article can't crowd out others.
	PerArticle int
	// Source keeps only passages from this outlet (case-insensitive).
	Source string
	// After and Before keep only articles published in [After, Before).
	// Articles with no known date are excluded when either is set.
	After, Before time.Time
	// Mode selects the ranking: "" (hybrid), ModeKeyword (BM25 alone) or
	// ModeVector (vector similarity alone). The single modes exist to
	// measure what each signal contributes (`bot eval -mode`).
	Mode string
	// Prefer names articles whose passages rank higher (preferWeight on
	// the fused score) and are candidates even when neither list found
	// them: the articles a conversation has cited so far, for a
	// follow-up question ("who else was there?"). Hybrid ranking only.
	Prefer []string
}

// Ranking modes for Query.Mode.
const (
	ModeHybrid  = ""
	ModeKeyword = "keyword"
	ModeVector  = "vector"
)

// Result is one passage found by Search.
type Result struct {
	Passage
	// Score is the fused rank score (higher is better); comparable within
	// one search only.
	Score float64 `json:"score"`
	// Similarity is the cosine similarity of the query and passage vectors.
	Similarity float64 `json:"similarity"`
	// Keyword is the passage's BM25 score for the query.
	Keyword float64 `json:"keyword"`
	// Coverage is the share of the query's information (its terms weighted
	// by rarity) that the passage contains, from 0 to 1. Unlike Score it
	// means the same across queries, which makes it usable for deciding
	// that the index doesn't cover a question.
	Coverage float64 `json:"coverage"`
	// Matched are the query's index terms found in the passage.
	Matched []string `json:"-"`
}

// Fusion weights and depths. The keyword list is weighted above the vector
// one because the default hashing embedder is lexical too, only fuzzier;
// with a semantic embedder equal weights do better (tune with `bot eval`).
const (
	rrfK           = 60
	vectorWeight   = 1.0
	keywordWeight  = 1.0
	coverageWeight = 1.0
	candidates     = 60
	// preferWeight is what being in a preferred article adds to a
	// passage's fused score (each of the three fused signals ranges over
	// [0, 1]): enough to lift a passage of the story under discussion
	// over an equally matching one of another story, not to keep a
	// passage that matches nothing of the question on top.
	preferWeight = 0.3
)

// Search returns the passages that best match q: the vector and keyword
// result lists fused by reciprocal rank, near-duplicates collapsed, at most
// q.PerArticle per article.
func (ix *Index) Search(ctx context.Context, q Query) ([]Result, error) {
	return ix.searchIn(ctx, ix.cur.Load(), q)
}

// searchIn is Search in snapshot s.
func (ix *Index) searchIn(ctx context.Context, s *snapshot, q Query) ([]Result, error) {
	k := q.K
	if k <= 0 {
		k = 5
	}
	per := q.PerArticle
	if per == 0 {
		per = 3
	}
	text := strings.TrimSpace(q.Text)
	if text == "" || len(s.passages) == 0 {
		return nil, nil
	}
	qi := ix.analyze(s, text)
	keep := s.filter(q)

	// Keyword list. scores holds the BM25 score of every candidate: the
	// keyword list's here, the vector list's below.
	depth := max(candidates, k*4)
	kwq := s.kw.query(qi.bm25)
	kwHits := kwq.top(depth, keep)
	kwList := make([]int, len(kwHits))
	scores := make(map[int]float32, 2*depth)
	for j, h := range kwHits {
		kwList[j] = h.Doc
		scores[h.Doc] = h.Score
	}

	// Vector list.
	qvec, err := ix.embedQuery(ctx, s, text, qi)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		// The embeddings endpoint is down: answer from the keyword index
		// rather than not at all.
		ix.log.Warn("query embedding failed; searching by keywords only", "err", err)
		q.Mode = ModeKeyword
		qvec = nil
	}
	var vecList []int
	sims := map[int]float64{}
	if qvec != nil && q.Mode != ModeKeyword {
		// The stores filter by source and date through keep.
		hits, err := s.vectors.Nearest(ctx, qvec, depth, keep)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		for _, h := range hits {
			vecList = append(vecList, h.Index)
			sims[h.Index] = float64(h.Similarity)
			if _, ok := scores[h.Index]; !ok {
				scores[h.Index] = kwq.score(h.Index)
			}
		}
	}

	// Fuse the candidates of both lists by a weighted sum of three
	// normalised signals: BM25 (relative to the best), cosine similarity
	// (relative to the best), and coverage, the share of the question's
	// information a passage holds. Coverage favours the passage that
	// matches every distinct term of a question over one that repeats a
	// few of them; scores rather than ranks are fused so that a passage far
	// ahead on one signal keeps its lead (rank fusion flattens it).
	cand := map[int]bool{}
	if q.Mode != ModeKeyword {
		for _, i := range vecList {
			cand[i] = true
		}
	}
	if q.Mode != ModeVector {
		for _, i := range kwList {
			cand[i] = true
		}
	}
	preferred := map[string]bool{}
	if q.Mode == ModeHybrid {
		for _, id := range q.Prefer {
			for _, i := range s.articleRange(id) {
				if keep == nil || keep(i) {
					cand[i] = true
					preferred[id] = true
					if _, ok := scores[i]; !ok {
						scores[i] = kwq.score(i)
					}
				}
			}
		}
	}
	terms, done := s.unpackTerms(cand)
	defer done()
	var maxKw, maxSim float64
	for i := range cand {
		if _, ok := sims[i]; !ok && qvec != nil {
			sims[i] = float64(dot(qvec, s.passages[i].vec))
		}
		maxKw = max(maxKw, float64(scores[i]))
		maxSim = max(maxSim, sims[i])
	}
	fused := make(map[int]float64, len(cand))
	covs := make(map[int]float64, len(cand))
	order := make([]int, 0, len(cand))
	for i := range cand {
		covs[i], _ = qi.coverage(terms[i])
		switch q.Mode {
		case ModeKeyword:
			fused[i] = float64(scores[i])
		case ModeVector:
			fused[i] = sims[i]
		default:
			// A year the question asks about is a constraint, not one more
			// word: passages naming it rise, passages naming only other
			// years sink.
			f := coverageWeight*covs[i] + yearWeight*qi.yearFit(terms[i])
			if maxKw > 0 {
				f += keywordWeight * float64(scores[i]) / maxKw
			}
			if maxSim > 0 {
				f += vectorWeight * max(sims[i], 0) / maxSim
			}
			if preferred[s.passages[i].ArticleID] {
				f += preferWeight
			}
			fused[i] = f
		}
		order = append(order, i)
	}
	sort.Slice(order, func(a, b int) bool {
		if fused[order[a]] != fused[order[b]] {
			return fused[order[a]] > fused[order[b]]
		}
		return s.passages[order[a]].ID < s.passages[order[b]].ID
	})

	var out []Result
	perArticle := map[string]int{}
	var kept [][]termCount
	for _, i := range order {
		if len(out) >= k {
			break
		}
		p := &s.passages[i]
		if per > 0 && perArticle[p.ArticleID] >= per {
			continue
		}
		if isNearDuplicate(terms[i], kept) {
			continue
		}
		perArticle[p.ArticleID]++
		kept = append(kept, terms[i])
		sim := sims[i]
		cov, matched := qi.coverage(terms[i])
		out = append(out, Result{
			Passage:    p.Passage,
			Score:      fused[i],
			Similarity: sim,
			Keyword:    float64(scores[i]),
			Coverage:   cov,
			Matched:    matched,
		})
	}
	return out, nil
}

// embedQuery embeds the query text. With the local embedder, the query's
// words are weighted by their idf in this snapshot.
func (ix *Index) embedQuery(ctx context.Context, s *snapshot, text string, qi *queryInfo) ([]float32, error) {
	if le, ok := ix.emb.(*LocalEmbedder); ok {
		return usableVector(le.weightedVector(text, qi.weightFor(s))), nil
	}
	vecs, err := ix.emb.Embed(ctx, []string{text})
	if err != nil {
		return nil, fmt.Errorf("search: embed query: %w", err)
	}
	if len(vecs) != 1 {
		return nil, fmt.Errorf("search: embed query: got %d vectors", len(vecs))
	}
	return usableVector(vecs[0]), nil
}

// filter returns a predicate over passage indexes for q's filters, or nil
// when q has none.
func (s *snapshot) filter(q Query) func(int) bool {
	if q.Source == "" && q.After.IsZero() && q.Before.IsZero() {
		return nil
	}
	src := foldKey(q.Source)
	return func(i int) bool {
		p := &s.passages[i]
		if src != "" && foldKey(p.Source) != src {
			return false
		}
		if !q.After.IsZero() && (p.Published.IsZero() || p.Published.Before(q.After)) {
			return false
		}
		if !q.Before.IsZero() && (p.Published.IsZero() || !p.Published.Before(q.Before)) {
			return false
		}
		return true
	}
}

// variantWeight is what a spelling or derivation variant of a query term
// counts for in coverage, against 1 for the term itself.
const variantWeight = 0.7

// hasVariant reports whether the sorted passage terms hold a variant of
// term (text.IsVariant): the candidates are one contiguous run of the
// sorted terms, those sharing its first text.VariantPrefix letters.
func hasVariant(terms []termCount, term string) bool {
	if len(term) < text.VariantPrefix {
		return false
	}
	p := term[:text.VariantPrefix]
	j := sort.Search(len(terms), func(j int) bool { return terms[j].Term >= p })
	for ; j < len(terms) && strings.HasPrefix(terms[j].Term, p); j++ {
		if text.IsVariant(terms[j].Term, term) {
			return true
		}
	}
	return false
}

// isNearDuplicate reports whether a passage's term set overlaps one already
// kept by 90% or more (Jaccard): syndicated copies of one story.
func isNearDuplicate(terms []termCount, kept [][]termCount) bool {
	for _, k := range kept {
		inter, i, j := 0, 0, 0
		for i < len(terms) && j < len(k) {
			switch {
			case terms[i].Term == k[j].Term:
				inter++
				i++
				j++
			case terms[i].Term < k[j].Term:
				i++
			default:
				j++
			}
		}
		union := len(terms) + len(k) - inter
		if union > 0 && float64(inter)/float64(union) >= 0.9 {
			return true
		}
	}
	return false
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		if i < len(b) {
			s += a[i] * b[i]
		}
	}
	return s
}

// Terms returns the index terms of text (folded, stemmed, stop words
// dropped), as the keyword index sees them.
func (ix *Index) Terms(text string) []string { return ix.stem.Terms(text) }

// QueryTerm is one distinct content word of a query as the index sees it.
type QueryTerm struct {
	Word   string  // as written in the query
	Term   string  // index term (folded, stemmed)
	Weight float64 // idf in the live index (rare terms weigh more); a word no passage holds gets the mean of the others
	DF     int     // passages holding the term
	Known  bool    // some passage contains the term
	// Rare is set for a term that at most a handful of passages contain
	// (none, or at most 3 and at most 1% of the index): a year, a name, a
	// technical word. A passage that answers the question must contain it.
	Rare bool
	// Year is set for a year (1800–2099): a constraint on the answer.
	Year bool
	// Vocabulary is set for an ordinary English word (the lexicon knows
	// it), as opposed to a name or a number: a passage may say it in other
	// words. Tags is how common it is in English (lexicon.Frequency).
	Vocabulary bool
	Tags       int
	// Meta is set for words about the articles rather than their content
	// ("article", "reported", "according"): nothing a passage must hold.
	Meta bool
	// Alternatives are other ways of writing the word's meaning, as index
	// terms (derivations, synonyms), each with what a match counts for.
	Alternatives []Alternative
}

// Analyze returns the distinct content words of text with their weight in
// the live index, in query order. Hyphenated compounds appear as their
// parts.
func (ix *Index) Analyze(query string) []QueryTerm {
	s := ix.cur.Load()
	qi := ix.analyze(s, query)
	out := make([]QueryTerm, 0, len(qi.words))
	for _, w := range qi.words {
		out = append(out, QueryTerm{Word: w.surface, Term: w.term, Weight: w.idf, DF: w.df, Known: w.df > 0,
			Rare: w.df <= min(3, s.kw.n/100), Year: text.IsYear(w.term), Meta: w.meta, Vocabulary: w.vocab, Tags: w.tags, Alternatives: w.alts})
	}
	return out
}
