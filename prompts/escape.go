package prompts

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsbot/newsbot/retrieval/text"
)

// maxAttrRunes bounds a tag attribute (title, source, ...) so that one odd
// article can't fill the prompt with its headline.
const maxAttrRunes = 200

// citationMarkPattern matches the citation marks the model writes ([3],
// [1, 2], [2-4], [^3], [Passage 3], 【3】) with the space before them.
const citationMarkPattern = `[ \t]*(?:\[\s*(?:\^|(?i:passages?|sources?)\s*)?\d{1,3}(?:\s*[,;\-–—]\s*\d{1,3})*\s*\]|【\s*\d{1,3}(?:\s*[,，、\-–—]\s*\d{1,3})*\s*】)`

// fence prepares untrusted text (an article passage, the user's question)
// to sit between the prompt's tags: it repairs invalid UTF-8, drops control
// characters other than newline and tab, and neutralises anything that could
// open or close one of the prompt's tags or a model's special tokens.
func fence(s string) string {
	return strings.TrimSpace(neutralise(clean(s)))
}

// attr prepares untrusted text to be a tag attribute value: one line, no
// double quotes (they become single quotes), no angle brackets, at most
// maxAttrRunes runes.
func attr(s string) string {
	s = clean(s)
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if n == maxAttrRunes {
			b.WriteRune('…')
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		switch r {
		case '"':
			r = '\''
		case '<', '＜':
			r = '‹'
		case '>', '＞':
			r = '›'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// clean repairs invalid UTF-8, turns CRLF and lone CR into LF, and drops
// control characters other than newline and tab.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\n' || r == '\t':
			return r
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// neutralise replaces the '<' of every sequence that could be read as one of
// the prompt's own tags (<article, </articles, <passage, </passage,
// <question, <earlier_…, <history, <message, <claim, matched case-insensitively and with spaces allowed
// after '<' and '/') or as a model's special token (<|eot_id|>, </s>) with
// '‹', which reads the same to a person but is not a tag.
func neutralise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == '<' || r == '＜') && forgesTag(s[i+size:]) {
			b.WriteRune('‹')
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// forgesTag reports whether rest, the text after a '<', would make that '<'
// start a reserved tag or special token.
func forgesTag(rest string) bool {
	rest = strings.TrimLeft(rest, " \t\n")
	if strings.HasPrefix(rest, "/") {
		rest = strings.TrimLeft(rest[1:], " \t\n")
	}
	if strings.HasPrefix(rest, "|") || strings.HasPrefix(rest, "s>") {
		return true
	}
	for _, name := range [...]string{"article", "passage", "question", "earlier_", "history", "message", "claim"} {
		if text.HasPrefixFold(rest, name) {
			return true
		}
	}
	return false
}

// dropMarks removes citation marks from an earlier answer, whose numbers
// refer to passages the model no longer sees.
func dropMarks(marks *regexp.Regexp, s string) string {
	return marks.ReplaceAllString(s, "")
}
