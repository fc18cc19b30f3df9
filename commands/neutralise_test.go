package commands

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNeutraliseMentions(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello @everyone", "hello @\u200beveryone"},
		{"@here now", "@\u200bhere now"},
		{"@Everyone and @HERE", "@\u200bEveryone and @\u200bHERE"},
		{"ping <@123456> <@!42> <@&7> <#99>", `ping \<@` + "\u200b" + `123456> \<@` + "\u200b" + `!42> \<@` + "\u200b" + `&7> \<#` + "\u200b" + `99>`},
		{"write to press@here.com or info@everyone.org", "write to press@here.com or info@everyone.org"},
		{"foo@everyone", "foo@\u200beveryone"},
		{"not a mention: <@abc> <@> <#> @someone #general", `not a mention: \<@abc> \<@> \<#> @someone #general`},
		{"@everyone\u200b ایران <@1>", "@\u200beveryone\u200b ایران \\<@\u200b1>"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := neutralise(tt.in); got != tt.want {
			t.Errorf("neutralise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestNeutraliseKeepsPlainText checks that text with nothing to defuse,
// the bot's own citation marks among it, is shown unchanged.
func TestNeutraliseKeepsPlainText(t *testing.T) {
	for _, s := range []string{
		"Press TV reports that Iran will not allow inspections [1]. Tasnim says so too [2][3].",
		"Quoted from the indexed articles (no model is configured):\n• Press TV: “Iran will never allow it” [1]",
		"ایران چه گفت؟ 2017. The year 1999 was #1 in sales - said a spokesman.",
		"",
	} {
		if got := neutralise(s); got != s {
			t.Errorf("neutralise(%q) = %q, want it unchanged", s, got)
		}
	}
}

// TestNeutraliseGolden shows, one golden file per construct, what each
// kind of Markdown and markup in untrusted text becomes
// (testdata/neutralise_*.golden).
func TestNeutraliseGolden(t *testing.T) {
	tests := []struct{ name, in string }{
		{"masked_link", "See [the report](https://evil.example/phish) for details."},
		{"masked_link_no_preview", "See [x](<https://evil.example/>) now."},
		{"fake_citation_link", "Iran agreed [1](https://evil.example/1) and denied it [2]."},
		{"bare_url", "Read https://evil.example/a_b and http://x.example."},
		{"autolink", "Read <https://evil.example/> now."},
		{"heading", "# Breaking\n## Also\n### Small\n  # indented"},
		{"subtext", "-# small print"},
		{"block_quote", "> quoted line\n>>> the rest is quoted"},
		{"list", "- one\n* two\n+ three\n1. first\n12. twelfth"},
		{"spoiler", "The winner is ||Iran||."},
		{"code_fence", "```go\nfmt.Println(\"hi\")\n```"},
		{"inline_code", "Run `rm -rf /` now."},
		{"emphasis", "**bold** *italic* __underline__ ~~struck~~ _under_ ***all***"},
		{"backslash", `already \*escaped\* and C:\path`},
		{"mentions", "@everyone @here <@123> <@!123> <@&456> <#789> press@here.com"},
		{"custom_emoji", "<:pepe:123456789> <a:dance:987654321>"},
		{"timestamp", "<t:1700000000:R> and </ask:123>"},
		{"citation_marks", "Two claims [1][2], a bracket [draft] and [1234]."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := neutralise(tt.in)
			golden(t, "neutralise_"+tt.name, struct {
				In  string `json:"in"`
				Out string `json:"out"`
			}{tt.in, out})
			checkNeutralised(t, tt.in)
		})
	}
}

// leftMention matches a Discord user, role or channel mention.
var leftMention = regexp.MustCompile(`<(@[!&]?|#)[0-9]+>`)

// everyoneRE finds @everyone and @here.
var everyoneRE = regexp.MustCompile(`(?i)@(everyone|here)`)

// checkNeutralised checks what neutralise must do for any text: give
// valid UTF-8, leave nothing Discord would render as Markdown or markup
// (liveMarkup) and no mention, and let readBack recover the text. The fuzz
// target of SanitizeQuestion (FuzzSanitize) runs it on every input, seeded
// among others with testdata/fuzz/FuzzSanitize/neutralise_*.
func checkNeutralised(t *testing.T, text string) {
	t.Helper()
	s := neutralise(text)
	if !utf8.ValidString(s) {
		t.Fatalf("neutralise(%q) = %q is not valid UTF-8", text, s)
	}
	if live := liveMarkup(s); live != "" {
		t.Fatalf("neutralise(%q) = %q leaves %s", text, s, live)
	}
	if leftMention.MatchString(s) {
		t.Fatalf("neutralise(%q) = %q left a mention", text, s)
	}
	for _, loc := range everyoneRE.FindAllStringIndex(s, -1) {
		if !isEmail(s, loc[0], loc[1]-loc[0]-1) {
			t.Fatalf("neutralise(%q) = %q left %s", text, s, s[loc[0]:loc[1]])
		}
	}
	if utf8.ValidString(text) && !strings.Contains(text, "\u200b") {
		if back := readBack(s); back != text {
			t.Fatalf("readBack(neutralise(%q)) = %q", text, back)
		}
	}
	if footer := neutraliseFooter(text); leftMention.MatchString(footer) || !utf8.ValidString(footer) {
		t.Fatalf("neutraliseFooter(%q) = %q", text, footer)
	}
}

// liveMarkup reads s as Discord would and names the first construct that
// would render as formatting or markup rather than as text: emphasis,
// spoiler, code or link syntax, any <...> markup, a link, a parenthesis
// right after a citation mark, or a heading, subtext, quote or list marker
// at the start of a line. Escaped characters (\*) are text; the citation
// marks [n] are allowed. It returns "" when there is none.
func liveMarkup(s string) string {
	lineStart, escaped, afterMark := true, false, false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case escaped:
			escaped, lineStart, afterMark = false, false, false
			i += n
			continue
		case r == '\\':
			escaped = true
			i += n
			continue
		case r == '[' && startsWithMark(s[i:]):
			i += strings.IndexByte(s[i:], ']') + 1
			lineStart, afterMark = false, true
			continue
		case strings.ContainsRune("*_~|`[]<", r):
			return "a live " + string(r) + " at byte " + strconv.Itoa(i)
		case r == '(' && afterMark:
			return "a link after a citation mark at byte " + strconv.Itoa(i)
		case r == ':' && strings.HasPrefix(s[i+1:], "//"):
			return "a live link at byte " + strconv.Itoa(i)
		case lineStart && strings.ContainsRune("#>-+", r):
			return "a line starting with " + string(r)
		case lineStart && r >= '0' && r <= '9':
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '.' {
				return "a numbered list item"
			}
		}
		afterMark = false
		switch {
		case r == '\n' || r == '\r':
			lineStart = true
		case unicode.IsSpace(r) || invisible(r):
		default:
			lineStart = false
		}
		i += n
	}
	return ""
}
