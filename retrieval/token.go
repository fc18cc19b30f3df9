package retrieval

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/unicode/norm"
)

// A word is one token of running text as the keyword index sees it: its
// surface form (for highlighting) and its index term (folded, stemmed).
type word struct {
	surface string // as written, e.g. "Iran’s"
	term    string // folded and stemmed, e.g. "iran"
	start   int    // byte offset of surface in the text
}

// stemmer folds and stems words with a cache: news text repeats its
// vocabulary, and snowball is the slowest step of tokenising.
type stemmer struct {
	mu    sync.RWMutex
	cache map[string]string
}

func newStemmer() *stemmer { return &stemmer{cache: make(map[string]string, 1<<15)} }

// term maps a folded lower-case word to its index term. Numbers and words
// with digits stay whole ("p5+1", "2015", "423"); short words are not
// stemmed, so names and acronyms are not mangled.
func (s *stemmer) term(folded string) string {
	if len(folded) <= 3 || strings.ContainsAny(folded, "0123456789") {
		return folded
	}
	s.mu.RLock()
	t, ok := s.cache[folded]
	s.mu.RUnlock()
	if ok {
		return t
	}
	t = english.Stem(folded, true)
	if t == "" {
		t = folded
	}
	s.mu.Lock()
	if len(s.cache) < 1<<20 {
		s.cache[folded] = t
	}
	s.mu.Unlock()
	return t
}

// words splits text into words: runs of letters and digits, joined across
// inner apostrophes, periods and commas between digits ("1,000", "2.5"), and
// hyphens ("second-in-command"). A trailing possessive "'s" is dropped from
// the term. Stop words are kept out when dropStop is set.
func (s *stemmer) words(text string, dropStop bool) []word {
	var out []word
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		start := i
		end := i + size
		for end < len(text) {
			r, size := utf8.DecodeRuneInString(text[end:])
			if isWordRune(r) {
				end += size
				continue
			}
			if isJoiner(r) && end+size < len(text) {
				prev, _ := utf8.DecodeLastRuneInString(text[:end])
				next, _ := utf8.DecodeRuneInString(text[end+size:])
				digits := unicode.IsDigit(prev) && unicode.IsDigit(next)
				if (r == '.' || r == ',') && !digits {
					break
				}
				if isWordRune(next) {
					end += size
					continue
				}
			}
			break
		}
		surface := text[start:end]
		i = end
		folded := foldWord(surface)
		if folded == "" {
			continue
		}
		if dropStop && stopWords[folded] {
			continue
		}
		out = append(out, word{surface: surface, term: s.term(folded), start: start})
	}
	return out
}

// terms returns the index terms of text, in order, stop words dropped.
func (s *stemmer) terms(text string) []string {
	ws := s.words(text, true)
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.term
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func isJoiner(r rune) bool {
	switch r {
	case '\'', '’', '‘', '-', '‐', '‑', '.', ',', '+':
		return true
	}
	return false
}

// foldWord lower-cases a word, removes diacritics, folds curly apostrophes
// and dashes, drops a possessive "'s" and thousands separators in numbers.
func foldWord(s string) string {
	if isPlainASCII(s) {
		w := strings.ToLower(s)
		w = strings.TrimSuffix(w, "'s")
		if strings.IndexByte(w, ',') >= 0 {
			w = strings.ReplaceAll(w, ",", "")
		}
		return strings.TrimRight(w, "'+.-")
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '’' || r == '‘':
			b.WriteByte('\'')
		case r == '‐' || r == '‑':
			b.WriteByte('-')
		case r == ',':
			// Only inside numbers ("1,000"): drop it.
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	w := b.String()
	w = strings.TrimSuffix(w, "'s")
	w = strings.TrimRight(w, "'+.-")
	return w
}

// stopWords are function words that carry no topic. Kept short on purpose:
// "not", "no" and "never" stay searchable, they matter in news claims.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be been being but by can could did do does
	for from had has have having he her hers him his how i if in into is it its me my of on or our
	ours she so than that the their theirs them then there these they this those to too us was we
	were what when where which while who whom why will with would you your yours also about after
	before over under again further once here all any both each few more most other some such only
	own same very just should now said says say whatever whichever however whoever many much get gets
	got getting make makes made let lets may might must shall am ever yet either neither nor per via
	upon onto within without among whether`) {
		m[w] = true
	}
	return m
}()

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
