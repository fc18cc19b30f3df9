package commands

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	words := strings.Repeat("alpha beta gamma delta ", 150) // 3,450 characters
	url := "https://example.com/" + strings.Repeat("a", 120)
	code := "Intro.\n```go\n" + strings.Repeat("fmt.Println(\"hello\")\n", 150) + "```\nOutro."
	tests := []struct {
		name  string
		text  string
		limit int
		check func(t *testing.T, parts []string)
	}{
		{"short text is unchanged", "  Hello [1].  ", 2000, func(t *testing.T, parts []string) {
			if len(parts) != 1 || parts[0] != "  Hello [1].  " {
				t.Errorf("parts = %q", parts)
			}
		}},
		{"keeps an escape with its character", "x" + strings.Repeat(`\*`, 100), 64, func(t *testing.T, parts []string) {
			for i, p := range parts {
				if trailingBackslashes(p)%2 == 1 {
					t.Errorf("part %d ends in a lone escape: %q", i, p)
				}
			}
		}},
		{"empty gives nothing", " \n\t ", 2000, func(t *testing.T, parts []string) {
			if len(parts) != 0 {
				t.Errorf("parts = %q", parts)
			}
		}},
		{"cuts between words", words, 2000, func(t *testing.T, parts []string) {
			if len(parts) != 2 {
				t.Fatalf("%d parts", len(parts))
			}
			for _, p := range parts {
				for _, w := range strings.Fields(p) {
					if w != "alpha" && w != "beta" && w != "gamma" && w != "delta" {
						t.Errorf("broken word %q", w)
					}
				}
			}
		}},
		{"prefers a paragraph break", strings.Repeat("x ", 600) + "\n\n" + strings.Repeat("y ", 600), 2000, func(t *testing.T, parts []string) {
			if len(parts) != 2 || strings.Contains(parts[0], "y") || strings.Contains(parts[1], "x") {
				t.Errorf("parts = %q", parts)
			}
		}},
		{"keeps URLs whole", strings.Repeat(url+" ", 20), 500, func(t *testing.T, parts []string) {
			for _, p := range parts {
				for _, w := range strings.Fields(p) {
					if w != url {
						t.Errorf("broken URL %q", w)
					}
				}
			}
		}},
		{"keeps citation marks whole and with their sentence", strings.Repeat("A claim [12] and [3]. ", 200), 300, func(t *testing.T, parts []string) {
			for _, p := range parts {
				if strings.HasPrefix(p, "[") {
					t.Errorf("part starts with a mark: %q", p[:20])
				}
				if strings.Count(p, "[") != strings.Count(p, "]") {
					t.Errorf("unbalanced marks in %q", p)
				}
			}
		}},
		{"closes and reopens code fences", code, 2000, func(t *testing.T, parts []string) {
			if len(parts) < 2 {
				t.Fatalf("%d parts", len(parts))
			}
			if !strings.HasSuffix(parts[0], "\n```") {
				t.Errorf("first part doesn't close its fence: ...%q", parts[0][len(parts[0])-30:])
			}
			if !strings.HasPrefix(parts[1], "```go\n") {
				t.Errorf("second part doesn't reopen the fence: %q...", parts[1][:30])
			}
			for _, p := range parts {
				if strings.Count(p, "```")%2 != 0 {
					t.Errorf("odd fences in a part")
				}
			}
		}},
		{"hard-cuts a giant word but not a mark", strings.Repeat("x", 97) + "[123]" + strings.Repeat("y", 100), 100, func(t *testing.T, parts []string) {
			if !strings.HasPrefix(parts[1], "[123]") {
				t.Errorf("parts = %q", parts)
			}
		}},
		{"counts emoji as two", strings.Repeat("😀", 1500), 2000, func(t *testing.T, parts []string) {
			if len(parts) != 2 || utf8.RuneCountInString(parts[0]) != 1000 {
				t.Errorf("%d parts, first has %d runes", len(parts), utf8.RuneCountInString(parts[0]))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := Split(tt.text, tt.limit)
			checkSplit(t, tt.text, tt.limit, parts)
			tt.check(t, parts)
		})
	}
}

var (
	markRE    = regexp.MustCompile(`\[[0-9]{1,3}\]`)
	mentionRE = regexp.MustCompile(`<@[!&]?[0-9]+>|<#[0-9]+>`)
)

// checkSplit asserts the splitter's invariants: every part within the
// limit and valid UTF-8; the parts, without the fences added, are the
// input in order with only whitespace left out at the cuts; no citation
// mark is split; a cut inside a word happens only when the word is longer
// than a part; fences are balanced in every part but the last.
func checkSplit(t *testing.T, text string, limit int, parts []string) {
	t.Helper()
	chunks := splitChunks(text, limit)
	if len(chunks) != len(parts) {
		t.Fatalf("Split gave %d parts, splitChunks %d", len(parts), len(chunks))
	}
	limit = max(limit, minSplitLimit)
	valid := strings.ToValidUTF8(text, "\uFFFD")
	if len(parts) == 0 {
		if strings.TrimSpace(valid) != "" {
			t.Fatalf("no parts for %q", text)
		}
		return
	}
	for i, p := range parts {
		if w := width(p); w > limit {
			t.Errorf("part %d has %d characters, limit %d", i, w, limit)
		}
		if !utf8.ValidString(p) {
			t.Errorf("part %d is not valid UTF-8", i)
		}
		if strings.TrimSpace(p) == "" {
			t.Errorf("part %d is blank", i)
		}
	}
	if len(chunks) == 1 && chunks[0].open == "" && !chunks[0].close {
		if chunks[0].body != valid && chunks[0].body != strings.TrimSpace(valid) {
			t.Errorf("single part %q differs from the input", chunks[0].body)
		}
		return
	}
	pos := 0
	marks := 0
	for i, c := range chunks {
		at := strings.Index(valid[pos:], c.body)
		if at < 0 {
			t.Fatalf("part %d body not found in order", i)
		}
		gap := valid[pos : pos+at]
		if strings.TrimSpace(gap) != "" {
			t.Fatalf("part %d: non-space text %q left out before it", i, gap)
		}
		if i > 0 && gap == "" {
			// A cut inside a word: the previous part had no space to cut at.
			prev := chunks[i-1].body
			_, n := utf8.DecodeRuneInString(prev)
			if strings.IndexFunc(prev[n:], unicode.IsSpace) >= 0 && chunks[i-1].close == false {
				t.Errorf("part %d was cut inside a word although part %d had spaces", i, i-1)
			}
		}
		pos += at + len(c.body)
		marks += len(markRE.FindAllString(c.body, -1))
	}
	if rest := valid[pos:]; strings.TrimSpace(rest) != "" {
		t.Fatalf("text %q left out at the end", rest)
	}
	if want := len(markRE.FindAllString(valid, -1)); marks != want {
		t.Errorf("%d citation marks in the parts, %d in the input", marks, want)
	}
	for i, p := range parts[:len(parts)-1] {
		if strings.Count(p, "```")%2 != 0 && !strings.Contains(p, "````") {
			t.Errorf("part %d leaves a code block open", i)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("Iran said [1] it would not allow inspections [2].\n\nThe US imposed sanctions [3].", 64)
	f.Add(strings.Repeat("word ", 500), 2000)
	f.Add("```py\n"+strings.Repeat("x = 1\n", 400)+"```", 2000)
	f.Add(strings.Repeat("😀a", 100), 64)
	f.Add(strings.Repeat("[1]", 100), 64)
	f.Add("\xff\xfe"+strings.Repeat("é", 100), 70)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if limit < -4000 || limit > 4000 || len(text) > 8000 {
			t.Skip()
		}
		checkSplit(t, text, limit, Split(text, limit))
	})
}

func TestSanitizeQuestion(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        string
	}{
		{"trims and collapses", "  Will\tIran \n\n allow   inspections?  ", "Will Iran allow inspections?", ""},
		{"removes zero-width and bidi", "Who\u200b won\u202e the\u2066 vote\ufeff?", "Who won the vote?", ""},
		{"keeps the Persian zero-width non-joiner", "موشک\u200cها چیست؟", "موشک\u200cها چیست؟", ""},
		{"removes controls", "a\x00b\x07c", "abc", ""},
		{"drops invalid UTF-8", "ok\xffay", "okay", ""},
		{"keeps other scripts", "  ایران  چه گفت؟ ", "ایران چه گفت؟", ""},
		{"keeps mentions as typed", "what about @everyone?", "what about @everyone?", ""},
		{"empty", "", "", "Please type a question"},
		{"only invisible", " \u200b\u200f \t", "", "Please type a question"},
		{"too long", strings.Repeat("why ", 200), "", "799 characters long"},
		{"exactly the limit", strings.Repeat("a", MaxQuestionRunes), strings.Repeat("a", MaxQuestionRunes), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SanitizeQuestion(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(userText(err, ""), tt.wantErr) {
					t.Fatalf("SanitizeQuestion(%q) = %q, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("SanitizeQuestion(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"Will Iran allow inspections?", " \u200b ", "a\u202eb", "@everyone <@123>", strings.Repeat("x", 600), "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// Any text from outside, question or not, is neutralised the
		// same way when it is shown.
		checkNeutralised(t, in)
		out, err := SanitizeQuestion(in)
		if err != nil {
			var ue *userError
			if !errors.As(err, &ue) || ue.msg == "" {
				t.Fatalf("error %v is not a message for the user", err)
			}
			return
		}
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 in %q", out)
		}
		if out == "" || out != strings.TrimSpace(out) || strings.Contains(out, "  ") {
			t.Fatalf("not trimmed and collapsed: %q", out)
		}
		if n := utf8.RuneCountInString(out); n > MaxQuestionRunes {
			t.Fatalf("%d characters", n)
		}
		var prev rune
		for _, r := range out {
			joiner := isJoiner(r) && joinsScript(prev)
			if (invisible(r) && !joiner) || (unicode.IsSpace(r) && r != ' ') {
				t.Fatalf("kept %U in %q", r, out)
			}
			if r != ' ' {
				prev = r
			}
		}
		if again, err := SanitizeQuestion(out); err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q, %v", out, again, err)
		}
		if q := questionOf(quoteQuestion(out) + "\n\nanswer"); q != out {
			t.Fatalf("question %q read back as %q", out, q)
		}
		if m := mentionRE.FindString(quoteQuestion(out)); m != "" {
			t.Fatalf("mention %q not neutralised in %q", m, quoteQuestion(out))
		}
	})
}
