package retrieval

import (
	"github.com/newsbot/newsbot/retrieval/text"
	"sort"
	"strconv"
)

// What the answer side needs to judge whether retrieved passages answer a
// question, measured the way Search measures: coverage of arbitrary text
// (a sentence, a window of two), whole articles, and the years the corpus
// was written in.

// Matcher measures how much of one query a text holds, by the measure
// Search uses for Result.Coverage (variants and alternatives included). It
// is bound to the snapshot live when it was made.
type Matcher struct {
	ix *Index
	s  *snapshot
	qi *queryInfo
}

// Matcher analyses query once for repeated measurements.
func (ix *Index) Matcher(query string) *Matcher {
	s := ix.cur.Load()
	return &Matcher{ix: ix, s: s, qi: ix.analyze(s, query)}
}

// Coverage returns the share of the query's known content words that text
// holds, from 0 to 1, with the query terms found in it.
func (m *Matcher) Coverage(text string) (float64, []string) {
	return m.qi.coverage(countTerms(m.ix.stem.Terms(text)))
}

// InArticle reports whether an article holds term (an index term of the
// query), its spelling variant or one of its alternatives anywhere: in its
// title or any of its passages, not only the ones retrieved.
func (m *Matcher) InArticle(articleID, term string) bool {
	var alts []Alternative
	for _, w := range m.qi.words {
		if w.term == term {
			alts = w.alts
		}
	}
	i, ok := m.s.byID[articleID+"#1"]
	if !ok {
		return false
	}
	for ; i < len(m.s.passages) && m.s.passages[i].ArticleID == articleID; i++ {
		terms := m.s.passageTerms(i)
		if hasTerm(terms, term) || hasVariant(terms, term) {
			return true
		}
		for _, a := range alts {
			if hasAll(terms, a.Terms) {
				return true
			}
		}
	}
	return false
}

// ArticlePassages returns the passages of an article in reading order, or
// nil when the index doesn't hold it.
func (ix *Index) ArticlePassages(articleID string) []Passage {
	lp := ix.cur.Load().articlePassages(articleID)
	out := make([]Passage, len(lp))
	for i := range lp {
		out[i] = lp[i].Passage
	}
	return out
}

// YearSpan is the years the articles of an index were written in.
type YearSpan struct {
	// First and Last bound the years of the undated articles, judged by
	// the years their text mentions most (0 when there are none).
	First, Last int
}

// Present returns the year an article was written in: its publication
// year, or for an undated article the last year the undated articles
// cover. 0 when unknown.
func (ix *Index) Present(articleID string) int {
	s := ix.cur.Load()
	i := sort.Search(len(s.articles), func(i int) bool { return s.articles[i].ID >= articleID })
	if i < len(s.articles) && s.articles[i].ID == articleID && !s.articles[i].Published.IsZero() {
		return s.articles[i].Published.Year()
	}
	return s.yearSpan().Last
}

// Years returns the span of years the index's articles were written in:
// publication years where articles have them, and for undated ones the
// years that at least half as many articles mention as the most mentioned
// year (news mentions the current and the previous year most; a year many
// articles look ahead to stays below that).
func (ix *Index) Years() YearSpan {
	s := ix.cur.Load()
	span := s.yearSpan()
	for _, a := range s.articles {
		if a.Published.IsZero() {
			continue
		}
		y := a.Published.Year()
		if span.First == 0 || y < span.First {
			span.First = y
		}
		span.Last = max(span.Last, y)
	}
	return span
}

// yearSpan computes the span of the undated articles once per snapshot.
func (s *snapshot) yearSpan() YearSpan {
	s.yearsOnce.Do(func() {
		dated := map[string]bool{}
		for _, a := range s.articles {
			if !a.Published.IsZero() {
				dated[a.ID] = true
			}
		}
		mentions := map[int]map[string]bool{} // year -> articles
		for i := range s.passages {
			p := &s.passages[i]
			if dated[p.ArticleID] {
				continue
			}
			for _, tc := range s.passageTerms(i) {
				if tc.Term[0] > '9' {
					break // digits sort first
				}
				if text.IsYear(tc.Term) {
					y, _ := strconv.Atoi(tc.Term)
					if mentions[y] == nil {
						mentions[y] = map[string]bool{}
					}
					mentions[y][p.ArticleID] = true
				}
			}
		}
		most := 0
		for _, arts := range mentions {
			most = max(most, len(arts))
		}
		for y, arts := range mentions {
			if most < 3 || 2*len(arts) < most {
				continue
			}
			if s.years.First == 0 || y < s.years.First {
				s.years.First = y
			}
			s.years.Last = max(s.years.Last, y)
		}
	})
	return s.years
}
