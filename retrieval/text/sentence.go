package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SentenceSpans returns the byte spans [start, end) of the sentences of
// text. Every byte of text is in exactly one span.
func SentenceSpans(text string) [][2]int {
	var spans [][2]int
	start := 0
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if r == '\n' {
			// A blank line ends a paragraph, and a line break before a
			// list item ends the line before it: a bullet list has no
			// full stops, and run together its items would make one
			// "sentence" of the list and the paragraph after it.
			if m, ok := lineBreakEnd(text, i); ok && strings.TrimSpace(text[start:i]) != "" {
				spans = append(spans, [2]int{start, m})
				start, i = m, m
			}
			continue
		}
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		// Absorb closing quotes/brackets and further terminators.
		j := i
		for j < len(text) {
			r2, s2 := utf8.DecodeRuneInString(text[j:])
			if strings.ContainsRune(`"'”’)]».!?`, r2) {
				j += s2
				continue
			}
			break
		}
		// Absorb citation marks like " [2]" that belong to this sentence.
		k := j
		for {
			m := k
			for m < len(text) && text[m] == ' ' {
				m++
			}
			if m < len(text) && text[m] == '[' {
				end := strings.IndexByte(text[m:min(len(text), m+13)], ']')
				if end > 0 && end <= 12 && isCitationBody(text[m+1:m+end]) {
					k = m + end + 1
					continue
				}
			}
			break
		}
		if k > j {
			j = k
		}
		if j >= len(text) {
			break
		}
		nr, _ := utf8.DecodeRuneInString(text[j:])
		if !unicode.IsSpace(nr) {
			i = j
			continue
		}
		// Look at the next word.
		m := j
		for m < len(text) {
			r3, s3 := utf8.DecodeRuneInString(text[m:])
			if !unicode.IsSpace(r3) {
				break
			}
			m += s3
		}
		if m >= len(text) {
			break
		}
		next, _ := utf8.DecodeRuneInString(text[m:])
		if r == '.' && (isAbbreviationBefore(text[start:i-1]) || (unicode.IsDigit(next) && isNumberAbbrev(text[max(start, i-4):i-1]))) {
			i = j
			continue
		}
		if unicode.IsUpper(next) || unicode.IsDigit(next) || strings.ContainsRune(`"“‘'([`, next) {
			spans = append(spans, [2]int{start, m})
			start, i = m, m
			continue
		}
		i = j // a line break before the next word may end the sentence yet
	}
	if start < len(text) {
		spans = append(spans, [2]int{start, len(text)})
	}
	return spans
}

// lineBreakEnd reports whether the line break just before text[i] ends a
// sentence: it is followed by a blank line, or by a list item ("- ", "* ",
// "• ", "– "). m is where the next sentence starts (its first non-space
// byte, or the end of text).
func lineBreakEnd(text string, i int) (m int, ok bool) {
	m = i
	blank := false
	for ; m < len(text); m++ {
		c := text[m]
		if c == '\n' {
			blank = true
			continue
		}
		if c != ' ' && c != '\t' && c != '\r' {
			break
		}
	}
	if blank || m >= len(text) {
		return m, true
	}
	rest := text[m:]
	for _, marker := range []string{"- ", "* ", "• ", "– ", "— "} {
		if strings.HasPrefix(rest, marker) {
			return m, true
		}
	}
	return m, false
}

// isNumberAbbrev reports whether the text before a period is the word
// "No" (as in "No. 10"), looking at the last few bytes only.
func isNumberAbbrev(before string) bool {
	return strings.EqualFold(before, " no") || strings.EqualFold(before, "no")
}

func isCitationBody(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(unicode.IsDigit(r) || r == ',' || r == ' ' || r == '-') {
			return false
		}
	}
	return true
}

// isAbbreviationBefore reports whether the text before a period ends with a
// common abbreviation or an initial ("Gen", "U.S", "Mr", "J").
func isAbbreviationBefore(before string) bool {
	if len(before) > 16 {
		// Abbreviations are short: look at the last few bytes only, so that
		// a long run without spaces costs linear time, not quadratic.
		cut := len(before) - 16
		for cut < len(before) && !utf8.RuneStart(before[cut]) {
			cut++
		}
		before = before[cut:]
	}
	k := len(before)
	for k > 0 {
		r, s := utf8.DecodeLastRuneInString(before[:k])
		if unicode.IsSpace(r) || r == '(' || r == '"' || r == '“' {
			break
		}
		k -= s
	}
	w := before[k:]
	if w == "" {
		return false
	}
	if utf8.RuneCountInString(w) == 1 && unicode.IsUpper([]rune(w)[0]) {
		return true // an initial: "George W. Bush"
	}
	if strings.Contains(w, ".") {
		return true // "U.S", "e.g"
	}
	return IsAbbreviation(strings.ToLower(w))
}

// IsAbbreviation reports whether word (lower case, without its full stop)
// is a common abbreviation in English news text: a title, a rank, a
// company form, a month. It is the one list: passages are cut into
// sentences and a model's answer is checked sentence by sentence with it.
func IsAbbreviation(word string) bool {
	switch word {
	case "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "cmdr", "adm",
		"brig", "sgt", "sen", "rep", "gov", "pres", "amb", "rev", "hon", "st", "jr", "sr",
		"inc", "ltd", "corp", "co", "vs", "vol", "approx", "est", "dept",
		"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec":
		return true
	}
	return false
}
