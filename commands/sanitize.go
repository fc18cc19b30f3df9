package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxQuestionRunes is the longest question /ask takes, in characters.
const MaxQuestionRunes = 500

// SanitizeQuestion cleans a question typed by a user: invalid UTF-8,
// zero-width and bidirectional control characters and other invisible
// controls are removed, runs of whitespace become one space and the ends
// are trimmed. A question that is empty afterwards, or longer than
// MaxQuestionRunes, is refused with a message for the user rather than
// silently changed. Mentions are left as written: they are neutralised
// where the question is shown (see quoteQuestion).
func SanitizeQuestion(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	var prev rune
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n <= 1:
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case invisible(r) && !(isJoiner(r) && joinsScript(prev)):
			continue
		}
		prev = r
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	q := b.String()
	if q == "" {
		return "", userErrorf("Please type a question, for example: /ask question: Will Iran allow inspections of its military sites?")
	}
	if n := utf8.RuneCountInString(q); n > MaxQuestionRunes {
		return "", userErrorf("Your question is %d characters long; please keep it under %d.", n, MaxQuestionRunes)
	}
	return q, nil
}

// invisible reports whether r shows nothing but can change how text reads
// or compares: zero-width characters, bidirectional controls, and the other
// control (Cc) and format (Cf) characters.
func invisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', // zero-width space, word joiner, BOM
		'\u200e', '\u200f', '\u061c', // bidi marks
		'\u00ad', '\u034f', '\u180e': // soft hyphen, combining grapheme joiner, Mongolian vowel separator
		return true
	}
	switch {
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069': // bidi embeddings and isolates
		return true
	case r >= '\u2061' && r <= '\u2064': // invisible operators
		return true
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// isJoiner reports whether r is the zero-width non-joiner or joiner.
func isJoiner(r rune) bool { return r == '\u200c' || r == '\u200d' }

// joinsScript reports whether a zero-width (non-)joiner after r is spelling
// rather than noise: Persian, Arabic and the Indic scripts write with them
// ("می‌خواهم"); after a Latin letter or a space they only hide text.
func joinsScript(r rune) bool {
	return unicode.In(r, unicode.Arabic, unicode.Syriac, unicode.Devanagari, unicode.Bengali,
		unicode.Gurmukhi, unicode.Gujarati, unicode.Oriya, unicode.Tamil, unicode.Telugu,
		unicode.Kannada, unicode.Malayalam, unicode.Sinhala)
}

// quoteQuestion shows a question at the top of an answer as a Markdown
// quote, neutralised (a question must not make the bot post a masked link,
// a code fence that swallows the answer, a heading or a ping), so that the
// message itself says what was asked (buttons and follow-ups read it back
// with unquoteQuestion).
func quoteQuestion(q string) string {
	return "> " + neutralise(q)
}

// unquoteQuestion reads back a question quoted by quoteQuestion, without
// its "> " prefix.
func unquoteQuestion(s string) string { return readBack(s) }
