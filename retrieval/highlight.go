package retrieval

import "strings"

// Highlight wraps the words of text that match a term of query (after
// folding and stemming, stop words aside) in open and close, e.g. "**" and
// "**" for Discord, so a reader sees why a passage was found.
func (ix *Index) Highlight(text, query, open, close string) string {
	want := map[string]bool{}
	for _, t := range ix.stem.Terms(query) {
		want[t] = true
	}
	if len(want) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for _, w := range ix.stem.Words(text, true) {
		// A compound comes before its parts: when it matches, its parts
		// are inside the highlighted span already.
		if !want[w.Term] || w.Start < last {
			continue
		}
		b.WriteString(text[last:w.Start])
		b.WriteString(open)
		b.WriteString(w.Surface)
		b.WriteString(close)
		last = w.Start + len(w.Surface)
	}
	b.WriteString(text[last:])
	return b.String()
}
