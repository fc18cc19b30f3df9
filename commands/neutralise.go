package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is the one place where text from outside the bot is made safe
// to show. Every such text (a model's answer, sentences quoted from an
// article, titles, outlet names, a user's question or search words, the
// reasons a file was skipped) passes neutralise once, when a message is
// rendered; the renderers then add the bot's own formatting around it (the
// question quote, the bullets and bold, the Sources embed's links), which
// is the only Markdown that reaches Discord. Nothing is neutralised earlier,
// so nothing is escaped twice.

// neutralise makes untrusted text show as written where Discord renders
// Markdown (message content, embed titles and descriptions):
//
//   - Emphasis, spoilers, code and link syntax are escaped wherever they
//     are: * _ ~ | ` [ ] < and the backslash itself. So masked links
//     ([x](https://evil)) show literally, inline code and code fences
//     don't open, ||spoilers|| don't hide, and custom emoji, timestamps
//     and every other <...> markup (<:name:id>, <t:123:R>, </cmd:id>,
//     <https://...>) show as typed.
//   - Headings (# ## ###), subtext (-#), block quotes (> and >>>) and
//     list items (- * + and 1.) are escaped at the start of a line.
//   - Links don't link, so nothing is previewed: the colon of "://" is
//     escaped (https\://evil shows as https://evil, as text).
//   - Mentions (@everyone, @here, <@id>, <@!id>, <@&id>, <#id>) get a
//     zero-width space after the @ or #, so that they don't even look
//     like pings; e-mail addresses such as press@here.com are left alone.
//     (Every message is also sent with empty allowed mentions.)
//   - Invalid UTF-8 becomes U+FFFD.
//
// The bot's own citation marks, [n] with up to three digits, are kept as
// they are ([1][3] too), but a parenthesis right after one is escaped, so
// that a fake citation link such as [1](https://evil) is inert as well.
// The highlight markers of /source (markOpen, markClose) pass through.
//
// Escaping is not idempotent: apply it once, at render. readBack undoes it
// for the buttons that read a question or an answer back from a message.
func neutralise(s string) string {
	s = defuseMentions(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	lineStart := true // only whitespace or invisible characters since the line began
	afterMark := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == '[' && startsWithMark(s[i:]) {
			end := i + strings.IndexByte(s[i:], ']') + 1
			b.WriteString(s[i:end])
			i, lineStart, afterMark = end, false, true
			continue
		}
		switch {
		case strings.ContainsRune(`\*_~|`+"`"+`[]<`, r):
			b.WriteByte('\\')
		case r == '(' && afterMark:
			b.WriteByte('\\')
		case r == ':' && strings.HasPrefix(s[i+1:], "//"):
			b.WriteByte('\\')
		case lineStart && strings.ContainsRune("#>-+", r):
			b.WriteByte('\\')
		case lineStart && isDigit(byte(r)) && r < utf8.RuneSelf:
			// "1. " starts an ordered list: escape the full stop.
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '.' {
				b.WriteString(s[i:j])
				b.WriteString(`\.`)
				i, lineStart, afterMark = j+1, false, false
				continue
			}
		}
		b.WriteRune(r) // writes U+FFFD for an invalid byte
		i += n
		afterMark = false
		switch {
		case r == '\n' || r == '\r':
			lineStart = true
		case unicode.IsSpace(r) || invisible(r):
		default:
			lineStart = false
		}
	}
	return b.String()
}

// neutraliseFooter makes untrusted text safe for the places where Discord
// shows text as it is, without Markdown (embed footers and author names):
// escaping there would show the backslashes, so only the mentions are
// defused, and control characters dropped.
func neutraliseFooter(s string) string {
	return defuseMentions(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD")))
}

// readBack undoes neutralise: it removes the escaping backslashes and the
// zero-width spaces (all of them: neutralise's, and any the text had), so
// that a question or an answer read back from a message is the text that
// was rendered.
func readBack(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	escaped := false
	for _, r := range s {
		switch {
		case r == '\u200b':
			continue
		case r == '\\' && !escaped:
			escaped = true
			continue
		}
		escaped = false
		b.WriteRune(r)
	}
	return b.String()
}

// defuseMentions puts a zero-width space after the '@' or '#' of Discord
// mentions: @everyone, @here, <@123>, <@!123>, <@&123> and <#123>. E-mail
// addresses such as press@here.com are left intact.
func defuseMentions(s string) string {
	const zwsp = "\u200b"
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '@':
			kw := mentionKeyword(s[i+1:])
			if kw == 0 || isEmail(s, i, kw) {
				continue
			}
		case '<':
			j := i + 1
			if j >= len(s) || (s[j] != '@' && s[j] != '#') {
				continue
			}
			k := j + 1
			if s[j] == '@' && k < len(s) && (s[k] == '!' || s[k] == '&') {
				k++
			}
			d := k
			for d < len(s) && '0' <= s[d] && s[d] <= '9' {
				d++
			}
			if d == k || d >= len(s) || s[d] != '>' {
				continue
			}
			i = j // insert after the '@' or '#'
		default:
			continue
		}
		b.WriteString(s[last : i+1])
		b.WriteString(zwsp)
		last = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// mentionKeyword returns the length of "everyone" or "here" (any case) at
// the start of rest, or 0.
func mentionKeyword(rest string) int {
	for _, kw := range [...]string{"everyone", "here"} {
		if len(rest) >= len(kw) && strings.EqualFold(rest[:len(kw)], kw) {
			return len(kw)
		}
	}
	return 0
}

// isEmail reports whether the '@' at s[at], followed by a keyword of kwLen
// bytes, is inside an e-mail address: a local part before it and a domain
// ("here.com") after it.
func isEmail(s string, at, kwLen int) bool {
	if at == 0 || !isLocalPartByte(s[at-1]) {
		return false
	}
	rest := s[at+1+kwLen:]
	return len(rest) >= 2 && rest[0] == '.' && isAlnumByte(rest[1])
}

func isLocalPartByte(c byte) bool {
	return isAlnumByte(c) || strings.IndexByte("._%+-", c) >= 0
}

func isAlnumByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
