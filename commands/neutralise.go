package commands

import "strings"

// neutralise makes text from outside the bot (articles, model output,
// questions) unable to look like a ping: it neutralises Discord mentions in text the bot shows (model
// output, article excerpts) by putting a zero-width space after the '@' or
// '#': @everyone, @here, <@123>, <@!123>, <@&123> and <#123>. E-mail
// addresses such as press@here.com are left intact. The bot also sends every
// message with no allowed mentions; this keeps the text from even looking
// like a ping. It is idempotent, and applied once, when a message is
// rendered.
func neutralise(s string) string {
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
