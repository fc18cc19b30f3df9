package article

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold returns s with typographic characters folded to ASCII for matching:
// curly quotes and apostrophes become ' and ", en and em dashes and minus
// signs become '-', non-breaking and other Unicode spaces become ' ', the
// ellipsis becomes "...", and zero-width characters and soft hyphens are
// removed. The rune count may change. Article.Text keeps the original
// characters; Fold is for comparing and searching only.
func Fold(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch r {
		case '\u2018', '\u2019', '\u201A', '\u201B', '\u2032', '\u02BC', '\uFF07':
			b.WriteByte('\'')
		case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033', '\u00AB', '\u00BB', '\uFF02':
			b.WriteByte('"')
		case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\uFE58', '\uFE63', '\uFF0D':
			b.WriteByte('-')
		case '\u2026':
			b.WriteString("...")
		case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD':
			// Zero-width characters and soft hyphens carry no text.
		default:
			if r > unicode.MaxASCII && unicode.Is(unicode.Zs, r) {
				b.WriteByte(' ')
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// sanitize removes control characters other than newline and tab, so that
// output strings are plain printable text.
func sanitize(s string) string {
	if !hasJunkControl(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isJunkControl(r) {
			return -1
		}
		return r
	}, s)
}

// hasJunkControl is a byte-level test for C0 controls other than newline
// and tab, DEL, and C1 controls (encoded as 0xC2 0x80-0x9F in UTF-8).
func hasJunkControl(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 && c != '\n' && c != '\t', c == 0x7F:
			return true
		case c == 0xC2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9F:
			return true
		}
	}
	return false
}

func isJunkControl(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.IsControl(r)
}

// oneLine collapses all whitespace runs in s to single spaces and trims it;
// used for metadata fields such as titles.
func oneLine(s string) string {
	return strings.Join(strings.Fields(sanitize(s)), " ")
}
