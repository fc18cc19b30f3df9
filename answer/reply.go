package answer

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/newsbot/newsbot/prompts"
)

// A model declines in one of two ways: with the NOT_IN_ARTICLES sentinel
// it was asked for, or in words ("The passages do not mention …"). The
// sentinel declines only when it is the whole reply: a partial answer may
// mention it ("… [1]. NOT_IN_ARTICLES for the date."), and then the answer
// is kept and the sentinel dropped. A refusal in words declines when it
// opens the reply and nothing in the reply is cited; a reply that says what
// the passages lack and then answers the rest, citing it, is a partial
// answer.

// refusal matches the opening of a reply that says the passages don't
// answer: "The passages do not mention …", "The provided articles don't
// explicitly say …", "The sources contain no …", "None of the passages …",
// "There is no information about …", "I cannot find …", also after
// "Unfortunately," or "Based on the passages,".
var refusal = regexp.MustCompile(`(?i)^\W*` + strings.ReplaceAll(
	`(?:(?:unfortunately|sorry|i'?m sorry|i am sorry),? (?:but )?)?`+
		`(?:(?:based on|according to|from|in) (?:the |these )?(?:provided |given )?(?:passages?|articles?|sources?|excerpts?|texts?),? )?`+
		`(?:`+
		refusalSubject+` (?:do|does|did)(?: not|n['’]t)(?: \w+){0,3}? `+refusalVerb+
		`|`+refusalSubject+` (?:contain|include|provide|give|offer|make|have|hold|say|mention)s? (?:no|nothing)\b`+
		`|none of the (?:passages?|articles?|sources?|excerpts?)\b`+
		`|there (?:is|are|was) no (?:information|mention|details?|data|reference|indication)\b`+
		`|no (?:information|mention|details?|data)\b`+
		`|i (?:cannot|can ?not|can['’]t|could not|couldn['’]t|am unable to|['’]m unable to|was unable to|was not able to|do not|don['’]t|did not|didn['’]t) (?:find|locate|see|determine|answer|tell|know)\b`+
		`)`, " ", `\s+`))

const (
	refusalSubject = `(?:(?:the|these|those) )?(?:(?:provided|given|available|retrieved|above|quoted) )?` +
		`(?:passages?|articles?|sources?|excerpts?|texts?|documents?|search results|context)` +
		`(?: (?:provided|given|above|shown|here|available))?`
	refusalVerb = `(?:mention|say|contain|cover|provide|include|discuss|address|specify|state|answer|give|offer|` +
		`indicate|describe|report|tell|reveal|explain|name|identify|detail|list|refer|touch)\w*`
)

// refusesInWords reports whether a reply written from n passages is a
// refusal in words: it opens like one and cites no passage.
func refusesInWords(reply string, n int) bool {
	if !refusal.MatchString(strings.TrimSpace(reply)) {
		return false
	}
	return len(ParseCitations(reply, n).Order) == 0
}

// isNotCovered reports whether a reply is the sentinel alone (perhaps in
// quotes, backticks or bold, or with a full stop).
func isNotCovered(reply string) bool {
	return strings.Trim(reply, " \t\r\n.!`*\"'“”") == prompts.NotCovered
}

// sentinel matches NOT_IN_ARTICLES with what a model wraps it in, and the
// space before it.
var sentinel = regexp.MustCompile(`[ \t]*[(\[]?[` + "`" + `*"'“”]*` + regexp.QuoteMeta(prompts.NotCovered) + `[` + "`" + `*"'“”]*[)\]]?`)

// dropSentinel removes the sentinel from a reply that is more than it, and
// lines left without a letter or digit. The full stop after it goes too
// when it stood as a sentence of its own ("… [1]. NOT_IN_ARTICLES.").
func dropSentinel(reply string) string {
	if !strings.Contains(reply, prompts.NotCovered) {
		return reply
	}
	// Removing one can join the text around it into another
	// ("NOT_IN_NOT_IN_ARTICLESARTICLES"); each pass shortens the reply.
	for strings.Contains(reply, prompts.NotCovered) {
		reply = dropSentinelOnce(reply)
	}
	return reply
}

func dropSentinelOnce(reply string) string {
	var b strings.Builder
	last := 0
	for _, m := range sentinel.FindAllStringIndex(reply, -1) {
		b.WriteString(reply[last:m[0]])
		last = m[1]
		before := strings.TrimRight(b.String(), " \t")
		prev, _ := utf8.DecodeLastRuneInString(before)
		if before == "" || prev == '\n' || isSentenceEnd(prev) {
			if last < len(reply) && strings.ContainsRune(".!;:,", rune(reply[last])) {
				last++
			}
		}
	}
	b.WriteString(reply[last:])
	lines := strings.Split(b.String(), "\n")
	kept := lines[:0]
	for _, l := range lines {
		if strings.TrimSpace(l) == "" || strings.IndexFunc(l, isWordRune) >= 0 {
			kept = append(kept, strings.TrimRight(l, " \t"))
		}
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
}

// streamable returns the part of a streamed reply that may be shown: the
// sentinel dropped, and held back while the end could still become it.
func streamable(partial string) string {
	s := dropSentinel(partial)
	for k := len(prompts.NotCovered) - 1; k >= 2; k-- {
		if strings.HasSuffix(s, prompts.NotCovered[:k]) {
			return strings.TrimRight(s[:len(s)-k], " \t`*\"'“(")
		}
	}
	return s
}
