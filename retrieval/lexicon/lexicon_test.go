package lexicon

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kljensen/snowball/english"
)

// indexTerm mirrors the keyword index's term for a single folded word
// (retrieval/token.go): short words and words with digits stay whole,
// others are stemmed.
func indexTerm(w string) string {
	if len(w) <= 3 || strings.ContainsAny(w, "0123456789") {
		return w
	}
	if t := english.Stem(w, true); t != "" {
		return t
	}
	return w
}

func TestBase(t *testing.T) {
	l := New()
	for _, tc := range []struct{ form, base string }{
		{"won", "win"},
		{"paid", "pay"},
		{"bought", "buy"},
		{"children", "child"},
		{"mice", "mouse"},
		{"better", "good"},
		{"best", "good"},
		{"went", "go"},
		{"ran", "run"},
		{"feet", "foot"},
		{"men", "man"},
		{"thought", "think"}, // the noun "thought" is derived from "think": not a rival meaning
		// From WordNet's -man/-men rule, not from noun.exc.
		{"women", "woman"},
		{"chairmen", "chairman"},
		{"spokeswomen", "spokeswoman"},
		// Kept on purpose: WordNet's counts put the rival meanings far
		// behind (the verb "to found" has 15 tags, "find" 705; "saw", the
		// tool, 1 against "see"'s 1211), and "founded", "founding",
		// "founder" are other surface forms, untouched by this mapping.
		{"found", "find"},
		{"saw", "see"},
	} {
		got, ok := l.Base(tc.form)
		if !ok || got != tc.base {
			t.Errorf("Base(%q) = %q, %v; want %q", tc.form, got, ok, tc.base)
		}
	}
	// The guard: forms that are also frequent words of another meaning.
	for _, form := range []string{"left", "lay", "ground", "bound", "wound", "shot", "rent", "stove"} {
		if got, ok := l.Base(form); ok {
			t.Errorf("Base(%q) = %q; the guard should drop it", form, got)
		}
	}
	// Regular forms are the stemmer's, and stop words are never looked up.
	for _, form := range []string{"walked", "abetted", "cities", "was", "had", "win", "mouse"} {
		if got, ok := l.Base(form); ok {
			t.Errorf("Base(%q) = %q; want no entry", form, got)
		}
	}
}

// bridged reports whether the keyword index can match a with b: the table
// relates them, or the stemmer already gives them one term.
func bridged(related []string, a, b string) bool {
	return indexTerm(a) == indexTerm(b) || slices.Contains(related, b)
}

func TestFamily(t *testing.T) {
	l := New()
	for _, tc := range []struct{ word, relative string }{
		{"french", "france"},
		{"france", "french"},
		{"spanish", "spain"},
		{"spain", "spanish"},
		{"chinese", "china"},
		{"vietnamese", "vietnam"},
		{"european", "europe"},
		{"presidential", "president"},
		{"president", "presidential"},
		{"presidential", "presidency"},
		{"economic", "economy"},
		{"economist", "economy"},
		{"electoral", "election"},
		{"psychologist", "psychology"},
		{"trader", "trade"},
		{"crucifixion", "crucify"},
	} {
		if got := l.Family(tc.word); !slices.Contains(got, tc.relative) {
			t.Errorf("Family(%q) = %q; want it to hold %q", tc.word, got, tc.relative)
		}
	}
	// Pairs the stemmer conflates are left out of the table but bridged.
	for _, tc := range []struct{ word, relative string }{
		{"national", "nation"},
		{"election", "elect"},
	} {
		got := l.Family(tc.word)
		if !bridged(got, tc.word, tc.relative) {
			t.Errorf("%q and %q are not bridged: Family = %q, terms %q and %q",
				tc.word, tc.relative, got, indexTerm(tc.word), indexTerm(tc.relative))
		}
		if slices.Contains(got, tc.relative) {
			t.Errorf("Family(%q) holds %q, which the stemmer already conflates", tc.word, tc.relative)
		}
	}
	// The minor spelling of a word does not lead its family: "polish" is
	// mostly the verb, not Poland's adjective.
	if got := l.Family("polish"); slices.Contains(got, "poland") {
		t.Errorf("Family(%q) = %q; want no %q", "polish", got, "poland")
	}
	// Derivationally related forms need a shared stem.
	if got := l.Family("elect"); slices.Contains(got, "eligible") {
		t.Errorf("Family(%q) = %q; want no %q", "elect", got, "eligible")
	}
}

func TestSynonyms(t *testing.T) {
	l := New()
	for _, tc := range []struct {
		word, synonym string
		weight        float64
	}{
		{"fire", "sack", 1 / math.Sqrt(8)}, // dismiss: fire's 4th sense, sack's 2nd
		{"sack", "fire", 1 / math.Sqrt(8)},
		{"fire", "give the axe", 0.5},
		{"quit", "resign", 0.5},
		{"resign", "step down", 1 / math.Sqrt(2)},
		{"boss", "chief", 1 / math.Sqrt(2)},
		{"boss", "foreman", 1},
		{"film", "movie", 1},
		{"movie", "film", 1},
		{"movie", "motion picture", 1},
		{"pupil", "student", 1},
		{"child", "kid", 1},
		{"firm", "business firm", 1},
		{"car", "automobile", 1},
		{"buy", "purchase", 1},
		{"murder", "slaying", 1},
	} {
		got := l.Synonyms(tc.word)
		i := slices.IndexFunc(got, func(s Synonym) bool { return s.Word == tc.synonym })
		if i < 0 {
			t.Errorf("Synonyms(%q) = %v; want it to hold %q", tc.word, got, tc.synonym)
			continue
		}
		if math.Abs(got[i].Weight-tc.weight) > 1e-9 {
			t.Errorf("Synonyms(%q): %q has weight %v, want %v", tc.word, tc.synonym, got[i].Weight, tc.weight)
		}
	}
	// WordNet does not link these: "firm" and "company" are separate
	// synsets, and "pupil" shares one with "student", not "child".
	for _, tc := range []struct{ word, notSynonym string }{
		{"firm", "company"},
		{"pupil", "child"},
		{"house", "firm"},    // house's "firm" sense has 2 of its 181 noun tags
		{"head", "chief"},    // 6 of 254 tags
		{"cop", "thieve"},    // the verb "cop" is untagged, the noun is not
		{"like", "the like"}, // "the" is a stop word: same index terms
	} {
		for _, s := range l.Synonyms(tc.word) {
			if s.Word == tc.notSynonym {
				t.Errorf("Synonyms(%q) holds %q", tc.word, tc.notSynonym)
			}
		}
	}
	got := l.Synonyms("film")
	for i := 1; i < len(got); i++ {
		if got[i-1].Weight < got[i].Weight || (got[i-1].Weight == got[i].Weight && got[i-1].Word > got[i].Word) {
			t.Errorf("Synonyms(%q) out of order at %d: %v", "film", i, got)
		}
	}
}

func TestNotFound(t *testing.T) {
	l := New()
	for _, w := range []string{"", "zzzz", "Won", "a", "\t", "b\twon"} {
		if b, ok := l.Base(w); ok {
			t.Errorf("Base(%q) = %q", w, b)
		}
		if f := l.Family(w); f != nil {
			t.Errorf("Family(%q) = %q", w, f)
		}
		if s := l.Synonyms(w); s != nil {
			t.Errorf("Synonyms(%q) = %v", w, s)
		}
	}
	var none *Lexicon
	if _, ok := none.Base("won"); ok || none.Family("french") != nil || none.Synonyms("film") != nil {
		t.Error("a nil *Lexicon found something")
	}
}

// TestFamilyResultIsCopy checks that callers may change what they get.
func TestFamilyResultIsCopy(t *testing.T) {
	l := New()
	f := l.Family("economy")
	if len(f) == 0 {
		t.Fatal("no family for economy")
	}
	f[0] = "changed"
	if l.Family("economy")[0] == "changed" {
		t.Error("Family returned shared storage")
	}
}

// wellFormedWord reports whether w is a lower-case entry: words of ASCII
// letters with inner hyphens or apostrophes, joined by single spaces.
func wellFormedWord(w string) bool {
	if w == "" {
		return false
	}
	for _, part := range strings.Split(w, " ") {
		if part == "" || !isLower(part[0]) || !isLower(part[len(part)-1]) {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !isLower(c) && c != '-' && c != '\'' {
				return false
			}
		}
	}
	return true
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// TestWellFormed checks every line of the embedded table: known kinds,
// lower-case words, sorted unique heads and entries, valid ranks, and
// family and synonym pairs written under both words.
func TestWellFormed(t *testing.T) {
	type pair struct{ kind, a, b, ranks string }
	pairs := map[pair]bool{}
	counts := map[byte]int{}
	var prevKind byte
	prevHead := ""
	for n, line := range strings.Split(strings.TrimSuffix(table, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			if prevKind != 0 {
				t.Fatalf("line %d: comment after data", n+1)
			}
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 3 || len(f[0]) != 1 {
			t.Fatalf("line %d: malformed %q", n+1, line)
		}
		kind, head := f[0][0], f[1]
		if !wellFormedWord(head) {
			t.Errorf("line %d: head %q is not a lower-case word", n+1, head)
		}
		if kind < prevKind || (kind == prevKind && head <= prevHead) {
			t.Errorf("line %d: %c %q out of order after %c %q", n+1, kind, head, prevKind, prevHead)
		}
		prevKind, prevHead = kind, head
		counts[kind]++
		entries := f[2:]
		if !slices.IsSorted(entries) || len(slices.Compact(slices.Clone(entries))) != len(entries) {
			t.Errorf("line %d: entries not sorted and unique: %q", n+1, entries)
		}
		switch kind {
		case kindBase:
			if len(entries) != 1 || !wellFormedWord(entries[0]) || entries[0] == head || strings.Contains(head, " ") {
				t.Errorf("line %d: bad inflection %q", n+1, line)
			}
		case kindFamily:
			for _, e := range entries {
				if !wellFormedWord(e) || e == head || strings.Contains(e, " ") {
					t.Errorf("line %d: bad relative %q", n+1, e)
				}
				pairs[pair{"f", head, e, ""}] = true
			}
		case kindSynonyms:
			for _, e := range entries {
				w, r2, _ := cutLast(e, ':')
				w, r1, _ := cutLast(w, ':')
				n1, err1 := strconv.Atoi(r1)
				n2, err2 := strconv.Atoi(r2)
				if !wellFormedWord(w) || w == head || err1 != nil || err2 != nil || n1 < 1 || n2 < 1 || strings.Count(w, " ") > 2 {
					t.Errorf("line %d: bad synonym entry %q", n+1, e)
				}
				pairs[pair{"s", head, w, r1 + ":" + r2}] = true
			}
		case kindWord:
			if n, err := strconv.Atoi(entries[0]); strings.Contains(head, " ") || len(entries) != 1 || err != nil || n < 0 {
				t.Errorf("line %d: bad vocabulary entry %q", n+1, line)
			}
		default:
			t.Errorf("line %d: unknown kind %q", n+1, kind)
		}
	}
	for p := range pairs {
		back := pair{p.kind, p.b, p.a, ""}
		if p.kind == "s" {
			r1, r2, _ := strings.Cut(p.ranks, ":")
			back.ranks = r2 + ":" + r1
		}
		if !pairs[back] {
			t.Errorf("%s pair %q → %q (%s) has no reverse entry", p.kind, p.a, p.b, p.ranks)
		}
	}
	for _, k := range []byte{kindBase, kindFamily, kindSynonyms, kindWord} {
		if counts[k] == 0 {
			t.Errorf("no %c lines", k)
		}
	}
}

// TestEveryHeadFound looks up every head word of the table through the
// public API, which exercises the binary search on the whole file.
func TestEveryHeadFound(t *testing.T) {
	l := New()
	n := 0
	for _, line := range strings.Split(table[l.start:], "\n") {
		if line == "" {
			continue
		}
		n++
		kind, head := key(line)
		var ok bool
		switch kind {
		case kindBase:
			_, ok = l.Base(head)
		case kindFamily:
			ok = len(l.Family(head)) > 0
		case kindSynonyms:
			ok = len(l.Synonyms(head)) > 0
		case kindWord:
			ok = l.Known(head)
		}
		if !ok {
			t.Errorf("%c %q: not found", kind, head)
		}
	}
	if n < 10000 {
		t.Errorf("only %d data lines", n)
	}
}

// TestSmallTables runs lookups on hand-made tables: empty, comments only,
// one line, no final newline.
func TestSmallTables(t *testing.T) {
	for _, data := range []string{"", "# c\n", "b\twon\twin", "# c\nb\twon\twin\n", "b\tbought\tbuy\nb\twon\twin\nf\tfrench\tfrance\n"} {
		l := newLexicon(data)
		want := strings.Contains(data, "won")
		if got, ok := l.Base("won"); ok != want || (ok && got != "win") {
			t.Errorf("table %q: Base(won) = %q, %v", data, got, ok)
		}
		for _, w := range []string{"a", "bought", "zzz", "french"} {
			_, ok := l.Base(w)
			if want := w == "bought" && strings.Contains(data, "bought"); ok != want {
				t.Errorf("table %q: Base(%q) found = %v", data, w, ok)
			}
		}
		if strings.Contains(data, "french") && len(l.Family("french")) != 1 {
			t.Errorf("table %q: Family(french) = %q", data, l.Family("french"))
		}
	}
}

func TestParseSynonym(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Synonym
		ok   bool
	}{
		{"sack:4:2", Synonym{"sack", 1 / math.Sqrt(8)}, true},
		{"chief executive:1:1", Synonym{"chief executive", 1}, true},
		{"sack:0:2", Synonym{}, false},
		{"sack:4", Synonym{}, false},
		{":1:1", Synonym{}, false},
		{"sack:x:1", Synonym{}, false},
	} {
		got, ok := parseSynonym(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseSynonym(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		New()
	}
}

func BenchmarkLookup(b *testing.B) {
	l := New()
	words := []string{"won", "french", "fire", "film", "zzzz", "economy", "chief"}
	for b.Loop() {
		for _, w := range words {
			l.Base(w)
			l.Family(w)
			l.Synonyms(w)
		}
	}
}

func TestKnown(t *testing.T) {
	l := New()
	tests := []struct {
		word string
		want bool
	}{
		{"manure", true}, {"bloke", true}, {"octopus", true}, {"starving", true}, {"chucked", true},
		{"torched", true}, {"tallest", true}, {"churches", true}, {"children", true}, {"won", true},
		{"kazakhstan", false}, {"raskin", false}, {"iphone", false}, {"zvyagintsev", false}, {"", false},
	}
	for _, tc := range tests {
		if got := l.Known(tc.word); got != tc.want {
			t.Errorf("Known(%q) = %v, want %v", tc.word, got, tc.want)
		}
	}
	var nilLex *Lexicon
	if nilLex.Known("manure") {
		t.Error("a nil lexicon knows a word")
	}
}

func TestLemmas(t *testing.T) {
	l := New()
	tests := []struct {
		word string
		want []string
	}{
		{"fired", []string{"fire"}}, {"sacked", []string{"sack"}}, {"kids", []string{"kid"}},
		{"bought", []string{"buy"}}, {"news", []string{"news"}}, {"starving", []string{"starve"}},
		{"boss", []string{"boss"}}, {"zvyagintsev", nil},
	}
	for _, tc := range tests {
		if got := l.Lemmas(tc.word); !slices.Equal(got, tc.want) {
			t.Errorf("Lemmas(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestFrequency(t *testing.T) {
	l := New()
	common, _ := l.Frequency("thinking")
	rare, ok := l.Frequency("octopuses")
	if common < 100 || !ok || rare > 5 {
		t.Errorf("Frequency: thinking %d, octopuses %d (%v); want a common word far above a rare one", common, rare, ok)
	}
	if _, ok := l.Frequency("kazakhstan"); ok {
		t.Error("a name has a frequency")
	}
}
