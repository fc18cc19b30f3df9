package answer

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsbot/newsbot/retrieval/text"
)

// The citation marks a model writes take many shapes. These are recognised,
// with any of them written back as "[n]":
//
//	[3]  [3, 4]  [3,4]  [3; 4]  [3][4]  [3] [4]  [3-5]  [3–5]  [^3]
//	【3】  ［3］  【3，4】  [Passage 3]  [passages 3, 4]  [Source 3]  [source: 3]
//
// Digits may be ASCII, full-width or Arabic-Indic. Not marks, and left as
// they are: "(3)", bracketed words such as "[sic]" or "[country’s]",
// markdown links "[3](https://…)", numbers of more than maxCiteDigits digits
// ("[2024]"), and ranges wider than maxRangeWidth or backwards
// ("[1990-2020]").
const (
	// maxCiteDigits is the most digits a passage number has: larger
	// bracketed numbers ("[2024]") are years or figures, not citations.
	maxCiteDigits = 3
	// maxRangeWidth is the widest range "[a-b]" read as citing passages a..b.
	maxRangeWidth = 10
)

// Citations is the outcome of checking an answer's citation marks against n
// passages.
type Citations struct {
	// Text is the answer with marks pointing at no passage removed, the
	// others written as "[n]", repeated adjacent marks collapsed ("[1][1]"
	// becomes "[1]", "[1, 2]" becomes "[1][2]"), the whitespace around a
	// removed mark tidied, and leading and trailing space trimmed.
	Text string
	// Order lists the valid passage numbers in order of first citation,
	// without repeats. Renumber(Text, Order) numbers them 1..len(Order).
	Order []int
	// Invalid lists the numbers that pointed at no passage (below 1 or above
	// n), in the order seen, without repeats.
	Invalid []int
	// Unsupported counts sentences whose only citations were invalid, and so
	// are left with none.
	Unsupported int
	// Uncited counts sentences that had no citation at all. Headings,
	// lead-in lines ending in ':' and text without letters or digits are not
	// counted as sentences.
	Uncited int
}

// ParseCitations finds the citation marks in an answer written from n
// numbered passages, removes those that point at no passage, normalises the
// rest and counts the sentences left without support. It is idempotent:
// parsing its Text again gives the same Text and no Invalid numbers.
func ParseCitations(text string, n int) Citations {
	var c Citations
	groups := scanGroups(text)
	c.Unsupported, c.Uncited = countSentences(text, groups, n)

	valid := func(p int) (int, bool) { return p, p >= 1 && p <= n }
	seenInvalid := make(map[int]bool)
	cur := text
	// Removing a mark can join the text around it into a new mark
	// ("[[7]1]" becomes "[1]"), so rewrite until nothing changes. Real
	// answers need one or two passes; each pass that removes a mark makes
	// the text shorter, and the bound on passes is only a safety net.
	for pass := 0; pass <= len(text); pass++ {
		out, dropped := rewrite(cur, groups, valid)
		for _, p := range dropped {
			if !seenInvalid[p] {
				seenInvalid[p] = true
				c.Invalid = append(c.Invalid, p)
			}
		}
		out = strings.TrimSpace(out)
		if out == cur {
			break
		}
		cur = out
		groups = scanGroups(cur)
	}
	c.Text = cur

	seen := make(map[int]bool)
	for _, g := range groups {
		for _, p := range g.nums {
			if p >= 1 && p <= n && !seen[p] {
				seen[p] = true
				c.Order = append(c.Order, p)
			}
		}
	}
	return c
}

// Renumber rewrites the citation marks in text so that passage order[i] is
// cited as [i+1], all at once, so the answer's marks match a sources list
// printed in that order. Marks citing a passage not in order are removed.
// Use it on the Text and Order from ParseCitations.
func Renumber(text string, order []int) string {
	to := make(map[int]int, len(order))
	for _, p := range order {
		if _, ok := to[p]; !ok {
			to[p] = len(to) + 1
		}
	}
	out, _ := rewrite(text, scanGroups(text), func(p int) (int, bool) {
		q, ok := to[p]
		return q, ok
	})
	return out
}

// markGroup is a run of adjacent citation marks ("[1] [2, 3]"), separated by
// nothing or by horizontal space.
type markGroup struct {
	start, end int   // byte offsets of the run in the text
	nums       []int // numbers as written, repeats and invalid ones included
}

// scanGroups finds every run of citation marks in s, in order.
func scanGroups(s string) []markGroup {
	var groups []markGroup
	for i := 0; i < len(s); {
		end, nums, ok := scanMark(s, i)
		if !ok {
			i++ // marks start at an ASCII byte or a rune's first byte
			continue
		}
		g := markGroup{start: i, end: end, nums: nums}
		for {
			end, nums, ok := scanMark(s, skipHSpace(s, g.end))
			if !ok {
				break
			}
			g.end = end
			g.nums = append(g.nums, nums...)
		}
		groups = append(groups, g)
		i = g.end
	}
	return groups
}

// scanMark reads one citation mark starting at s[i]. It returns the offset
// just after the mark and the numbers it cites.
func scanMark(s string, i int) (end int, nums []int, ok bool) {
	if i >= len(s) {
		return 0, nil, false
	}
	var closer rune
	switch c := s[i]; c {
	case '[':
		closer = ']'
	case 0xE3, 0xEF: // first byte of 【 and ［
		switch r, _ := utf8.DecodeRuneInString(s[i:]); r {
		case '【':
			closer = '】'
		case '［':
			closer = '］'
		default:
			return 0, nil, false
		}
	default:
		return 0, nil, false
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	j := skipHSpace(s, i+size)
	if j < len(s) && s[j] == '^' {
		j++
	} else {
		j = skipLabel(s, j)
	}
	for {
		a, next, ok := readNumber(s, j)
		if !ok {
			return 0, nil, false
		}
		j = skipHSpace(s, next)
		if dash := dashLen(s, j); dash > 0 {
			b, next, ok := readNumber(s, skipHSpace(s, j+dash))
			if !ok || b < a || b-a+1 > maxRangeWidth {
				return 0, nil, false
			}
			for p := a; p <= b; p++ {
				nums = append(nums, p)
			}
			j = skipHSpace(s, next)
		} else {
			nums = append(nums, a)
		}
		sep := separatorLen(s, j)
		if sep == 0 {
			break
		}
		j = skipLabel(s, skipHSpace(s, j+sep))
	}
	r, size := utf8.DecodeRuneInString(s[j:])
	if r != closer {
		return 0, nil, false
	}
	end = j + size
	if end < len(s) && s[end] == '(' {
		return 0, nil, false // a markdown link: [3](https://…)
	}
	return end, nums, true
}

// skipLabel returns the offset after a "Passage", "passages:", "Source" or
// similar label at s[i] and the space after it, or i if there is none.
func skipLabel(s string, i int) int {
	j := i
	switch {
	case text.HasPrefixFold(s[j:], "passage"):
		j += len("passage")
	case text.HasPrefixFold(s[j:], "source"):
		j += len("source")
	default:
		return i
	}
	if j < len(s) && (s[j] == 's' || s[j] == 'S') {
		j++
	}
	if j < len(s) && s[j] == ':' {
		j++
	}
	return skipHSpace(s, j)
}

// readNumber reads 1 to 3 decimal digits at s[i]. More digits mean the
// brackets hold a year or a figure, not a passage number.
func readNumber(s string, i int) (n, end int, ok bool) {
	digits := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		d, isDigit := digitValue(r)
		if !isDigit {
			break
		}
		digits++
		if digits > maxCiteDigits {
			return 0, 0, false
		}
		n = n*10 + d
		i += size
	}
	return n, i, digits > 0
}

// digitValue reads ASCII, full-width and Arabic-Indic (Arabic and Persian)
// digits.
func digitValue(r rune) (int, bool) {
	for _, zero := range [...]rune{'0', '０', '٠', '۰'} {
		if zero <= r && r <= zero+9 {
			return int(r - zero), true
		}
	}
	return 0, false
}

// dashLen returns the byte length of a range dash at s[i], or 0.
func dashLen(s string, i int) int {
	r, size := utf8.DecodeRuneInString(s[i:])
	switch r {
	case '-', '–', '—', '‒', '－':
		return size
	}
	return 0
}

// separatorLen returns the byte length of a list separator at s[i], or 0.
func separatorLen(s string, i int) int {
	r, size := utf8.DecodeRuneInString(s[i:])
	switch r {
	case ',', ';', '，', '、', '；':
		return size
	}
	return 0
}

// skipHSpace returns the offset of the first rune at or after s[i] that is
// not horizontal space.
func skipHSpace(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isHSpace(r) {
			break
		}
		i += size
	}
	return i
}

// isHSpace reports whether r is a space within a line.
func isHSpace(r rune) bool {
	return r == '\t' || unicode.Is(unicode.Zs, r)
}

// rewrite writes s with every mark group replaced by its kept numbers as
// "[a][b]", repeats dropped. keep maps a cited number to the number to write
// and reports whether to keep it. A group left with no number is removed
// together with the space that only it needed. rewrite returns the new text
// and the numbers not kept, in order.
func rewrite(s string, groups []markGroup, keep func(int) (int, bool)) (string, []int) {
	b := make([]byte, 0, len(s))
	var dropped []int
	last := 0
	for _, g := range groups {
		b = append(b, s[last:g.start]...)
		last = g.end

		var kept []int
		for _, p := range g.nums {
			q, ok := keep(p)
			if !ok {
				dropped = append(dropped, p)
				continue
			}
			if !containsInt(kept, q) {
				kept = append(kept, q)
			}
		}
		if len(kept) > 0 {
			for _, q := range kept {
				b = append(b, '[')
				b = strconv.AppendInt(b, int64(q), 10)
				b = append(b, ']')
			}
			continue
		}

		// Remove the group and tidy the space around it, taking brackets
		// left empty with it ("said ([7])." becomes "said.").
		end := g.end
		for {
			b = trimRightHSpace(b)
			prev, _ := utf8.DecodeLastRune(b)
			k := skipHSpace(s, end)
			next, size := utf8.DecodeRuneInString(s[k:])
			if prev == '(' && next == ')' || prev == '[' && next == ']' {
				b = b[:len(b)-1]
				end = k + size
				continue
			}
			break
		}
		after := skipHSpace(s, end)
		next, _ := utf8.DecodeRuneInString(s[after:])
		prev, _ := utf8.DecodeLastRune(b)
		lineStart := len(b) == 0 || prev == '\n'
		last = after
		switch {
		case lineStart && (next == '.' || next == ',' || next == ';' || next == ':'):
			// "[7]. Next" at the start of a line loses the stray full stop.
			last = skipHSpace(s, after+1)
		case lineStart || after == len(s) || next == '\n' || next == '\r':
			// At the start or end of a line no space is needed.
		case strings.ContainsRune("([{“‘«\"'", prev):
			// "([7] Press TV)" loses the space after the bracket.
		case isSentenceEnd(prev) && (next == '.' || next == ','):
			// "said so. [7]. Next" keeps one full stop.
			last = after + 1
		case isPunctuationAfter(next):
			// "said so [7]." loses the space before the full stop.
		case end == after && (isWordRune(prev) || isSentenceEnd(prev)) && isWordRune(next):
			// "word[7]word" keeps the words apart.
			b = append(b, ' ')
		default:
			// "said [7] so" keeps the space after the mark.
			last = end
		}
	}
	b = append(b, s[last:]...)
	return string(b), dropped
}

// trimRightHSpace drops horizontal space from the end of b.
func trimRightHSpace(b []byte) []byte {
	for len(b) > 0 {
		r, size := utf8.DecodeLastRune(b)
		if !isHSpace(r) {
			break
		}
		b = b[:len(b)-size]
	}
	return b
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// isSentenceEnd reports whether r ends a sentence or clause.
func isSentenceEnd(r rune) bool {
	return strings.ContainsRune(".!?;:,…。！？؟۔", r)
}

// isPunctuationAfter reports whether r is punctuation that sits directly
// after a word, with no space before it.
func isPunctuationAfter(r rune) bool {
	return strings.ContainsRune(".!?;:,…)]}”’»。！？،؟۔", r)
}

// sentence is a span of an answer and the citation mark groups that belong
// to it (those inside it and those just after its full stop).
type sentence struct {
	start, end int
	groups     []int // indexes into the answer's mark groups
}

// splitSentences splits s into sentences that hold a letter or digit
// outside marks, with the mark groups of each. Marks after the full stop
// ("… stability. [2]") or alone on the next line belong to the sentence
// before them.
func splitSentences(s string, groups []markGroup) []sentence {
	var sentences []sentence
	cur := sentence{}
	content := false
	gi := 0
	flush := func(end, next int) {
		cur.end = end
		if content {
			sentences = append(sentences, cur)
		} else if len(cur.groups) > 0 && len(sentences) > 0 {
			last := &sentences[len(sentences)-1]
			last.groups = append(last.groups, cur.groups...)
		}
		cur = sentence{start: next}
		content = false
	}
	for i := 0; i < len(s); {
		if gi < len(groups) && i == groups[gi].start {
			cur.groups = append(cur.groups, gi)
			i = groups[gi].end
			gi++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n':
			flush(i, i+size)
		case isWordRune(r):
			content = true
		case strings.ContainsRune(".!?…。！？؟۔", r):
			j := i + size
			for j < len(s) {
				c, size := utf8.DecodeRuneInString(s[j:])
				if !strings.ContainsRune(`"'”’»)*_`, c) {
					break
				}
				j += size
			}
			if !endsSentence(s, i, r, j, groups, gi) {
				break
			}
			if k := skipHSpace(s, j); gi < len(groups) && groups[gi].start == k {
				cur.groups = append(cur.groups, gi)
				j = groups[gi].end
				gi++
			}
			flush(j, j)
			i = j
			continue
		}
		i += size
	}
	flush(len(s), len(s))
	return sentences
}

// countSentences counts the sentences of s whose citation marks are all
// invalid and those with no marks at all.
func countSentences(s string, groups []markGroup, n int) (unsupported, uncited int) {
	for _, st := range splitSentences(s, groups) {
		if isHeading(s, st.start, st.end) {
			continue
		}
		valid, invalid := 0, 0
		for _, gi := range st.groups {
			for _, p := range groups[gi].nums {
				if p >= 1 && p <= n {
					valid++
				} else {
					invalid++
				}
			}
		}
		switch {
		case valid > 0:
		case invalid > 0:
			unsupported++
		default:
			uncited++
		}
	}
	return unsupported, uncited
}

// endsSentence reports whether the terminator r at s[i], with closing quotes
// and brackets up to s[j], ends a sentence.
func endsSentence(s string, i int, r rune, j int, groups []markGroup, gi int) bool {
	if strings.ContainsRune("。！？", r) {
		return true // CJK text puts no space after a full stop
	}
	atMark := gi < len(groups) && groups[gi].start == j
	if j < len(s) && !atMark {
		next, _ := utf8.DecodeRuneInString(s[j:])
		if !unicode.IsSpace(next) {
			return false // "3.5", "example.com", "U.S.-led"
		}
	}
	if r != '.' {
		return true
	}
	// The word before the full stop: an initial ("U.S.", "J. Smith") or a
	// known abbreviation ("Gen.", "Dr.") doesn't end the sentence.
	w := i
	for w > 0 {
		c, size := utf8.DecodeLastRuneInString(s[:w])
		if !unicode.IsLetter(c) {
			break
		}
		w -= size
	}
	word := strings.ToLower(s[w:i])
	k := skipHSpace(s, j)
	next, _ := utf8.DecodeRuneInString(s[k:])
	switch {
	case utf8.RuneCountInString(word) == 1 || text.IsAbbreviation(word):
		return false
	case word == "no" || word == "nos":
		// "No. 5" is a number; "said no." ends a sentence.
		_, isDigit := digitValue(next)
		return !isDigit
	case unicode.IsLower(next):
		// A lower-case word after the full stop continues the sentence
		// ("approx. five").
		return false
	}
	return true
}

// isHeading reports whether the sentence s[start:end] is, or sits on, a line
// that is a heading ("# Summary", "**Summary**") or a lead-in ending in ':'.
func isHeading(s string, start, end int) bool {
	lineStart := strings.LastIndexByte(s[:start], '\n') + 1
	lineEnd := len(s)
	if k := strings.IndexByte(s[end:], '\n'); k >= 0 {
		lineEnd = end + k
	}
	line := strings.TrimSpace(s[lineStart:lineEnd])
	if strings.HasPrefix(line, "#") {
		return true
	}
	if len(line) > 4 && strings.HasPrefix(line, "**") && strings.HasSuffix(line, "**") {
		return true
	}
	return strings.HasSuffix(strings.TrimSpace(s[start:end]), ":")
}
