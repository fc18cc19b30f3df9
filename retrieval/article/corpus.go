package article

import (
	"strings"
	"unicode/utf8"
)

// Thresholds of the corpus-level boilerplate rule: a line is boilerplate
// when it appears in at least repeatMinArticles articles and in at least
// repeatMinShare of the articles of the same Source. Lines longer than
// repeatMaxRunes are never removed, so that background paragraphs an outlet
// reuses across its stories stay searchable. Changing these re-embeds the
// articles whose text changes.
const (
	repeatMinArticles = 3
	repeatMinShare    = 0.30
	repeatMaxRunes    = 300
)

// RemoveRepeatedLines removes corpus-level boilerplate: a line that appears
// verbatim (after Fold and trimming) in at least 3 articles and in at least
// 30% of the articles with the same Source, such as a footer every article
// of an outlet carries. Hashes of changed articles are recomputed. Articles
// left with no text are dropped. LoadDir calls it; callers that assemble a
// corpus from Parse results can call it themselves. The input slice is not
// modified.
func RemoveRepeatedLines(arts []Article) []Article {
	out, _ := removeRepeated(arts)
	return out
}

// removeRepeated is RemoveRepeatedLines that also reports the articles it
// dropped because nothing was left of them.
func removeRepeated(arts []Article) ([]Article, []Problem) {
	perSource := map[string]int{}
	counts := map[string]map[string]int{} // source -> folded line -> articles
	for _, a := range arts {
		perSource[a.Source]++
		seen := map[string]bool{}
		for _, l := range strings.Split(a.Text, "\n") {
			key := repeatKey(l)
			if key == "" || seen[key] {
				continue
			}
			seen[key] = true
			m := counts[a.Source]
			if m == nil {
				m = map[string]int{}
				counts[a.Source] = m
			}
			m[key]++
		}
	}
	isRepeated := func(source, key string) bool {
		n := counts[source][key]
		return n >= repeatMinArticles && float64(n) >= repeatMinShare*float64(perSource[source])
	}
	anyRepeated := false
	for source, m := range counts {
		for key := range m {
			if isRepeated(source, key) {
				anyRepeated = true
				break
			}
		}
	}
	out := make([]Article, 0, len(arts))
	if !anyRepeated {
		return append(out, arts...), nil
	}
	var problems []Problem
	for _, a := range arts {
		text, changed := dropLines(a.Text, func(l string) bool {
			key := repeatKey(l)
			return key != "" && isRepeated(a.Source, key)
		})
		if !changed {
			out = append(out, a)
			continue
		}
		if text == "" {
			problems = append(problems, Problem{Path: a.Path, Reason: "no article text left after removing lines repeated across the corpus"})
			continue
		}
		a.Text = text
		a.Hash = computeHash(a)
		out = append(out, a)
	}
	return out, problems
}

func repeatKey(l string) string {
	key := strings.TrimSpace(Fold(l))
	if utf8.RuneCountInString(key) > repeatMaxRunes {
		return ""
	}
	return key
}

// dropLines removes the lines for which drop is true, keeping the paragraph
// structure ("\n" inside a paragraph, "\n\n" between paragraphs).
func dropLines(text string, drop func(string) bool) (string, bool) {
	changed := false
	var paras []string
	for _, p := range strings.Split(text, "\n\n") {
		var kept []string
		for _, l := range strings.Split(p, "\n") {
			if drop(l) {
				changed = true
				continue
			}
			kept = append(kept, l)
		}
		if len(kept) > 0 {
			paras = append(paras, strings.Join(kept, "\n"))
		}
	}
	return strings.Join(paras, "\n\n"), changed
}
