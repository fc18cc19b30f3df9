package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MessageLimit is the most characters Discord accepts in a message's content.
const MessageLimit = 2000

// Split cuts text into parts of at most limit characters, counted as
// Discord counts them (UTF-16 code units, so an emoji outside the Basic
// Multilingual Plane counts as two). It cuts at a paragraph break, else a
// line break, else a space, so no word, URL or citation mark such as [12]
// is split, and it avoids starting a part with a citation mark. Only a
// "word" longer than a whole part is cut inside, and then never inside a
// citation mark, a run of backticks or a combining sequence. The
// whitespace at a cut is dropped. A cut inside a ``` code block closes the
// block at the end of the part and reopens it, with its language, at the
// start of the next. Invalid UTF-8 becomes U+FFFD.
//
// Text that fits is returned unchanged as the only part; text that is
// empty or only whitespace gives no parts. limit is raised to 64 when
// smaller, so that a reopened fence always leaves room for text.
func Split(text string, limit int) []string {
	chunks := splitChunks(text, limit)
	out := make([]string, len(chunks))
	for i, c := range chunks {
		out[i] = c.String()
	}
	return out
}

// chunk is one part of a split: a piece of the input with the fence
// markers added around it.
type chunk struct {
	open  string // a reopened fence, "```go\n", or ""
	body  string // a substring of the input
	close bool   // closeFence follows the body
}

// closeFence closes a code block the part ends inside.
const closeFence = "\n```"

const (
	minSplitLimit = 64
	maxLangLen    = 16 // longer info strings are not carried to the next part
)

func (c chunk) String() string {
	s := c.open + c.body
	if c.close {
		s += closeFence
	}
	return s
}

func splitChunks(text string, limit int) []chunk {
	limit = max(limit, minSplitLimit)
	text = strings.ToValidUTF8(text, "\uFFFD")
	if strings.TrimSpace(text) == "" {
		return nil
	}
	if width(text) <= limit {
		return []chunk{{body: text}}
	}
	rest := strings.TrimSpace(text)
	inFence, lang := false, ""
	var out []chunk
	for rest != "" {
		open := ""
		if inFence {
			open = "```" + lang + "\n"
		}
		avail := limit - width(open)
		if width(rest) <= avail {
			out = append(out, chunk{open: open, body: rest})
			break
		}
		reserve := 0 // room to close a code block, when there may be one
		if inFence || strings.Contains(rest, "```") {
			reserve = len(closeFence)
		}
		maxEnd := prefixWithin(rest, avail-reserve)
		cut, atSpace := chooseCut(rest, maxEnd)
		endFence, endLang := fenceState(rest, cut, inFence, lang)
		var body, next string
		switch {
		case !atSpace:
			body, next = rest[:cut], rest[cut:]
		case endFence:
			// Inside code, whitespace is content: drop only the one
			// character cut at, keeping the next line's indentation.
			_, n := utf8.DecodeRuneInString(rest[cut:])
			body, next = rest[:cut], rest[cut+n:]
		default:
			body, next = strings.TrimRightFunc(rest[:cut], unicode.IsSpace), strings.TrimLeftFunc(rest[cut:], unicode.IsSpace)
		}
		if body != "" {
			out = append(out, chunk{open: open, body: body, close: endFence})
			inFence, lang = endFence, endLang
		}
		rest = next
	}
	return out
}

// width is the length of s in UTF-16 code units.
func width(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// prefixWithin returns the largest rune boundary b with width(s[:b]) <= w.
func prefixWithin(s string, w int) int {
	n := 0
	for i, r := range s {
		rw := 1
		if r >= 0x10000 {
			rw = 2
		}
		if n+rw > w {
			return i
		}
		n += rw
	}
	return len(s)
}

// chooseCut picks where to cut s, at most at byte maxEnd (< len(s)). It
// returns the cut and whether it is at a whitespace character, which is
// then dropped. Preference, among cuts past the first half: a paragraph
// break, a line break; then any space not followed by a citation mark; then
// any space; then a hard cut.
func chooseCut(s string, maxEnd int) (int, bool) {
	lastPara, lastLine, lastSpace, lastAnySpace := -1, -1, -1, -1
	for i, r := range s {
		if i > maxEnd {
			break
		}
		if i == 0 || !unicode.IsSpace(r) {
			continue
		}
		lastAnySpace = i
		if startsWithMark(strings.TrimLeftFunc(s[i:], unicode.IsSpace)) {
			continue
		}
		lastSpace = i
		if r == '\n' {
			lastLine = i
			if i+1 < len(s) && s[i+1] == '\n' {
				lastPara = i
			}
		}
	}
	half := maxEnd / 2
	switch {
	case lastPara >= half && lastPara > 0:
		return lastPara, true
	case lastLine >= half && lastLine > 0:
		return lastLine, true
	case lastSpace > 0:
		return lastSpace, true
	case lastAnySpace > 0:
		return lastAnySpace, true
	}
	return hardCut(s, maxEnd), false
}

// hardCut moves a cut inside a word back so that it splits no citation
// mark, run of backticks, backslash escape or combining sequence; it keeps
// maxEnd when moving back would leave nothing.
func hardCut(s string, maxEnd int) int {
	c := maxEnd
	if start := markAround(s, c); start >= 0 {
		c = start
	}
	for c > 0 && s[c-1] == '`' && s[c] == '`' {
		c--
	}
	if trailingBackslashes(s[:c])%2 == 1 {
		c-- // keep an escape with the character it escapes
	}
	for steps := 0; c > 0 && steps < 8; steps++ {
		r, _ := utf8.DecodeRuneInString(s[c:])
		prev, _ := utf8.DecodeLastRuneInString(s[:c])
		if !isJoining(r) && prev != '\u200d' {
			break
		}
		_, n := utf8.DecodeLastRuneInString(s[:c])
		c -= n
	}
	if c <= 0 {
		return maxEnd
	}
	return c
}

// trailingBackslashes counts the backslashes that end s.
func trailingBackslashes(s string) int {
	n := 0
	for n < len(s) && s[len(s)-1-n] == '\\' {
		n++
	}
	return n
}

// isJoining reports whether r belongs with the rune before it: a combining
// mark, a variation selector, a zero-width joiner or an emoji modifier.
func isJoining(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) ||
		r == '\u200d' || (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0x1F3FB && r <= 0x1F3FF) ||
		(r >= 0xE0100 && r <= 0xE01EF)
}

// maxMarkDigits is the most digits of a citation mark the splitter keeps
// whole (the answer engine cites at most 999 passages).
const maxMarkDigits = 3

// startsWithMark reports whether s begins with a citation mark "[n]".
func startsWithMark(s string) bool {
	if len(s) < 3 || s[0] != '[' {
		return false
	}
	i := 1
	for i < len(s) && i <= maxMarkDigits && isDigit(s[i]) {
		i++
	}
	return i > 1 && i < len(s) && s[i] == ']'
}

// markAround returns the start of the citation mark that the byte offset c
// falls strictly inside, or -1.
func markAround(s string, c int) int {
	for start := c - 1; start >= 0 && start >= c-maxMarkDigits-1; start-- {
		if s[start] == '[' {
			if startsWithMark(s[start:]) {
				end := strings.IndexByte(s[start:], ']') + start + 1
				if c < end {
					return start
				}
			}
			return -1
		}
		if !isDigit(s[start]) {
			return -1
		}
	}
	return -1
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// fenceState follows the ``` markers of s before byte cut, starting inside a
// code block (of language lang) when inFence is set, and returns whether the
// cut is inside one and its language. Discord opens and closes a block at
// every ```, at the start of a line or not.
func fenceState(s string, cut int, inFence bool, lang string) (bool, string) {
	i := 0
	for {
		j := strings.Index(s[i:], "```")
		if j < 0 || i+j >= cut {
			return inFence, lang
		}
		pos := i + j
		inFence = !inFence
		lang = ""
		if inFence {
			lang = fenceLang(s[pos+3:])
		}
		i = pos + 3
	}
}

// fenceLang returns the language of a code block opened just before s:
// a short info string ending the line.
func fenceLang(s string) string {
	n := 0
	for n < len(s) && n <= maxLangLen {
		b := s[n]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || isDigit(b) || strings.IndexByte("_+-.#", b) >= 0) {
			break
		}
		n++
	}
	if n == 0 || n > maxLangLen || n >= len(s) || s[n] != '\n' {
		return ""
	}
	return s[:n]
}
