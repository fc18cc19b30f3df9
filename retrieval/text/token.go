// Package text is the text analysis every part of the bot shares, written
// once: the tokeniser and stemmer the keyword index and the local embedder
// use (folding, acronyms, compounds, irregular forms from the WordNet
// lexicon), sentence segmentation with its one list of abbreviations, the
// rule for what counts as a spelling or derivation variant of a word, and
// ASCII case-folding. It knows nothing of indexes, answers or Discord.
package text

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/unicode/norm"

	"github.com/newsbot/newsbot/retrieval/lexicon"
)

// Version names the tokenisation rules below. Index terms and
// vectors depend on them, so it is part of the chunker ID saved with an
// index: changing the rules must bump it, and indexes built under the old
// rules are rebuilt.
const Version = "a5"

// Kind says how a word relates to the hyphenated compounds of a text.
type Kind uint8

const (
	Plain    Kind = iota
	Compound      // "fourth-quarter": its parts follow it
	Part          // "fourth", "quarter": a part of the compound before it
)

// A Word is one token of running text as the keyword index sees it: its
// surface form (for highlighting) and its index term (folded, stemmed).
type Word struct {
	Surface string // as written, e.g. "Iran’s"
	Term    string // folded and stemmed, e.g. "iran"
	Start   int    // byte offset of Surface in the text
	Kind    Kind
}

// Lemmatizer maps an irregular inflection to its base form ("won" ->
// "win", "children" -> "child"), which stemming cannot do. The lexicon
// package implements it from WordNet.
type Lemmatizer interface {
	Base(word string) (string, bool)
}

// Analyzer folds and stems words with a cache: news text repeats its
// vocabulary, and snowball is the slowest step of tokenising.
type Analyzer struct {
	lem Lemmatizer // nil: no irregular forms

	mu    sync.RWMutex
	cache map[string]string
}

func New() *Analyzer {
	return &Analyzer{lem: lexicon.New(), cache: make(map[string]string, 1<<15)}
}

// term maps a folded lower-case word to its index term. Irregular forms
// take their base form first ("bought" -> "buy"). Numbers and words with
// digits stay whole ("p5+1", "2015", "423"); short words are not stemmed,
// so names and acronyms are not mangled.
func (s *Analyzer) term(folded string) string {
	if strings.ContainsAny(folded, "0123456789") {
		return folded
	}
	s.mu.RLock()
	t, ok := s.cache[folded]
	s.mu.RUnlock()
	if ok {
		return t
	}
	w := folded
	if s.lem != nil {
		if b, ok := s.lem.Base(w); ok && !strings.Contains(b, " ") {
			w = b
		}
	}
	t = w
	if len(w) > 3 {
		if t = english.Stem(w, true); t == "" {
			t = w
		}
	}
	s.mu.Lock()
	if len(s.cache) < 1<<20 {
		s.cache[folded] = t
	}
	s.mu.Unlock()
	return t
}

// Token is a run of word characters before analysis, as written.
type Token struct {
	Surface string
	Start   int
	Dotted  bool // an acronym written with periods: "U.S."
}

// scan splits text into raw tokens: runs of letters and digits, joined
// across inner apostrophes, periods and commas between digits ("1,000",
// "2.5"), and hyphens ("second-in-command"). Acronyms written with periods
// ("U.S.", "U.N.", "u.k.") are one token.
func Scan(text string) []Token {
	var out []Token
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		if end := dottedAcronym(text, i); end > 0 {
			out = append(out, Token{Surface: text[i:end], Start: i, Dotted: true})
			i = end
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
		out = append(out, Token{Surface: text[start:end], Start: start})
		i = end
	}
	return out
}

// dottedAcronym returns the end of an acronym written with periods that
// starts at i ("U.S." or "U.S.A.": single ASCII letters each followed by a
// period, at least two), or 0. The token must not continue into a word
// ("U.S.based" is not one).
func dottedAcronym(text string, i int) int {
	if i > 0 {
		if prev, _ := utf8.DecodeLastRuneInString(text[:i]); isWordRune(prev) {
			return 0
		}
	}
	j, n := i, 0
	for j+1 < len(text) && isASCIILetter(text[j]) && text[j+1] == '.' {
		j += 2
		n++
	}
	if n < 2 {
		return 0
	}
	if j < len(text) {
		if next, _ := utf8.DecodeRuneInString(text[j:]); isWordRune(next) {
			return 0
		}
	}
	return j
}

func isASCIILetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

// words analyses text into words. A trailing possessive "'s" is dropped
// from the term; "U.S." becomes "us". Stop words are kept out when dropStop
// is set, except acronyms written in capitals ("US", "IT", "WHO"), which
// are names, not function words — unless the text around them is all
// capitals too (a shouted headline). A hyphenated compound
// ("fourth-quarter") is one word followed by its parts ("fourth",
// "quarter"), so that it matches both its spellings; compounds with a
// one-letter part or only very short parts ("e-mail", "x-ray", "wi-fi")
// stay one word, spelt without the hyphen ("email"), and so do compounds
// with digits ("5-0", "f-16").
func (s *Analyzer) Words(text string, dropStop bool) []Word {
	toks := Scan(text)
	var out []Word
	for k, tk := range toks {
		surface := tk.Surface
		if tk.Dotted {
			t := strings.ToLower(strings.ReplaceAll(surface, ".", ""))
			if dropStop && stopWords[t] && !isAcronym(surface) {
				continue // "e.g.", "a.m."
			}
			out = append(out, Word{Surface: surface, Term: t, Start: tk.Start})
			continue
		}
		folded := Fold(surface)
		if folded == "" {
			continue
		}
		if y1, y2, ok := yearRange(folded); ok {
			// "2004-05", a season: the range, and each year in it.
			out = append(out, Word{Surface: surface, Term: folded, Start: tk.Start, Kind: Compound},
				Word{Surface: surface, Term: y1, Start: tk.Start, Kind: Part},
				Word{Surface: surface, Term: y2, Start: tk.Start, Kind: Part})
			continue
		}
		if !strings.Contains(folded, "-") || strings.ContainsAny(folded, "0123456789") {
			if dropStop && stopWords[folded] && !(isAcronym(surface) && !shouted(toks, k)) {
				continue
			}
			out = append(out, Word{Surface: surface, Term: s.term(folded), Start: tk.Start})
			continue
		}
		out = s.compound(out, surface, folded, tk.Start, dropStop)
	}
	return out
}

// compound appends a hyphenated word: whole when its parts are too short
// to stand alone, else the compound and then its parts.
func (s *Analyzer) compound(out []Word, surface, folded string, start int, dropStop bool) []Word {
	parts := strings.Split(folded, "-")
	short := true
	for _, p := range parts {
		n := utf8.RuneCountInString(p)
		if n == 1 || p == "" {
			return append(out, Word{Surface: surface, Term: s.term(strings.ReplaceAll(folded, "-", "")), Start: start})
		}
		if n > 2 {
			short = false
		}
	}
	if short {
		return append(out, Word{Surface: surface, Term: s.term(strings.ReplaceAll(folded, "-", "")), Start: start})
	}
	terms := make([]string, len(parts))
	for i, p := range parts {
		terms[i] = s.term(p)
	}
	out = append(out, Word{Surface: surface, Term: strings.Join(terms, "-"), Start: start, Kind: Compound})
	spans := hyphenSpans(surface)
	if len(spans) != len(parts) {
		return out // folding changed the shape: keep the compound alone
	}
	for i, sp := range spans {
		if dropStop && stopWords[parts[i]] {
			continue
		}
		out = append(out, Word{Surface: surface[sp[0]:sp[1]], Term: terms[i], Start: start + sp[0], Kind: Part})
	}
	return out
}

// hyphenSpans returns the byte spans of the pieces of s between hyphens.
func hyphenSpans(s string) [][2]int {
	var out [][2]int
	from := 0
	for i, r := range s {
		if r == '-' || r == '‐' || r == '‑' {
			out = append(out, [2]int{from, i})
			from = i + utf8.RuneLen(r)
		}
	}
	return append(out, [2]int{from, len(s)})
}

// yearRange reads a span of years written "2004-05" or "2004-2005": both
// years, in full.
func yearRange(folded string) (string, string, bool) {
	a, b, ok := strings.Cut(folded, "-")
	if !ok || !IsYear(a) {
		return "", "", false
	}
	switch {
	case len(b) == 2 && b[0] >= '0' && b[0] <= '9' && b[1] >= '0' && b[1] <= '9':
		b = a[:2] + b
	case !IsYear(b):
		return "", "", false
	}
	if b <= a {
		return "", "", false
	}
	return a, b, true
}

// isAcronym reports whether a surface word is written in capitals: at
// least two letters, no lower-case letter ("US", "WHO", "G8").
func isAcronym(surface string) bool {
	letters := 0
	for _, r := range surface {
		switch {
		case unicode.IsLower(r):
			return false
		case unicode.IsUpper(r):
			letters++
		}
	}
	return letters >= 2
}

// shouted reports whether token k sits in a run of capitals: the words on
// both sides of it (or the one side it has) are written in capitals too,
// as in "IRAN SAYS IT WILL". There "IT" is the pronoun.
func shouted(toks []Token, k int) bool {
	caps := func(j int) bool { return j >= 0 && j < len(toks) && isAcronym(toks[j].Surface) }
	hasPrev, hasNext := k > 0, k < len(toks)-1
	switch {
	case hasPrev && hasNext:
		return caps(k-1) && caps(k+1)
	case hasPrev:
		return caps(k - 1)
	case hasNext:
		return caps(k + 1)
	}
	return false
}

// terms returns the index terms of text, in order, stop words dropped.
// A compound's parts follow it (see words).
func (s *Analyzer) Terms(text string) []string {
	ws := s.Words(text, true)
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Term
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
// and dashes, drops a possessive "'s", the endings of contractions ("that'd",
// "they're", "we've", "I'm", "you'll"; "didn't" is "not") and thousands
// separators in numbers.
func Fold(s string) string {
	w := foldRaw(s)
	if i := strings.LastIndexByte(w, '\''); i > 0 {
		switch w[i:] {
		case "'d", "'re", "'ve", "'m", "'ll":
			w = w[:i]
		case "'t":
			if strings.HasSuffix(w[:i], "n") {
				w = "not"
			}
		}
	}
	return w
}

func foldRaw(s string) string {
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

// StopWord reports whether a lower-case word is a stop word of the index:
// dropped from passages and queries alike (unless written as an acronym).
func StopWord(w string) bool { return stopWords[w] }

// Stem returns the index term of a lower-case word without the lexicon's
// irregular forms: words with digits and words of three letters or fewer
// whole, others stemmed with snowball English. The lexicon's generator
// uses it to leave out pairs the index conflates already.
func Stem(w string) string {
	if strings.ContainsAny(w, "0123456789") || len(w) <= 3 {
		return w
	}
	if t := english.Stem(w, true); t != "" {
		return t
	}
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
	upon onto within without among whether eg ie pm`) {
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

// IsYear reports whether an index term is a year between 1800 and 2099.
func IsYear(t string) bool {
	if len(t) != 4 || (t[:2] != "18" && t[:2] != "19" && t[:2] != "20") {
		return false
	}
	return t[2] >= '0' && t[2] <= '9' && t[3] >= '0' && t[3] <= '9'
}
