package answer

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsbot/newsbot/retrieval/text"
)

// A span is a stretch of a sentence that may be the answer to a question of
// some type: a name, a number, a date, a reason clause, a quotation.
type span struct {
	start, end int     // byte offsets in the sentence
	spec       float64 // how specific an answer it is, in (0, 1]: "5 January" beats "on Sunday"
}

// token is one word of a sentence with its offsets.
type token struct {
	start, end int
	text       string
}

// tokenize splits s into words as the index does (text.Scan), with their
// offsets and as written.
func tokenize(s string) []token {
	toks := text.Scan(s)
	out := make([]token, len(toks))
	for i, t := range toks {
		out[i] = token{start: t.Start, end: t.Start + len(t.Surface), text: t.Surface}
	}
	return out
}

var (
	monthRE   = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`
	weekdayRE = `(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)`
	dateSpan  = regexp.MustCompile(`(?i)\b(?:` +
		`\d{1,2}(?:st|nd|rd|th)?\s+` + monthRE + `\.?(?:,?\s+\d{4})?` +
		`|` + monthRE + `\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?` +
		`|(?:early|mid|late|end of|beginning of)?\s*` + monthRE + `\s+\d{4}` +
		`|(?:until|till|by|since|in|from)\s+(?:1\d|20)\d\d` +
		`|(?:the\s+)?(?:(?:early|mid|late)[- ])?(?:1\d|20)\d0s` +
		`|(?:1\d|20)\d\d` +
		`|(?:next|last|this)\s+(?:week|month|year|spring|summer|autumn|winter|season|` + weekdayRE + `)` +
		`|(?:on\s+)?` + weekdayRE +
		`)\b`)
	moneySpan = regexp.MustCompile(`(?i)(?:[£$€]|\b(?:us|au|c)\$)\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:m|bn|k|million|billion|trillion|thousand)\b)?` +
		`|\b\d[\d,]*(?:\.\d+)?\s?(?:m|bn|k|million|billion|thousand)?\s(?:pounds|dollars|euros|pence|cents|yen|francs|roubles|rupees|lira)\b`)
	numberSpan = regexp.MustCompile(`(?i)\b\d{1,3}/\d{1,3}\b|(?:[£$€]\s?)?\b\d[\d,]*(?:\.\d+)?(?:\s?(?:%|per cent|percent|m|bn|k|million|billion|trillion|thousand|hundred)\b)?` +
		`|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|a dozen|dozens|hundreds|thousands|millions|half|a third|a quarter)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?(?:\s(?:hundred|thousand|million|billion))?\b`)
	ageSpan    = regexp.MustCompile(`(?i)\baged\s+\d{1,3}\b|\b\d{1,3}-year-old\b|\b\d{1,3}\s+years?\s+old\b|,\s\d{1,3},|\b\d{1,3}\s+years?\s+ago\b|\bat\s+(?:the\s+)?age\s+(?:of\s+)?\d{1,3}\b`)
	reasonSpan = regexp.MustCompile(`(?i)\b(?:because(?: of)?|due to (?:the|a|an|his|her|its|their|this|that|these|those|lack|poor|high|low|rising|falling|concerns?|fears?|problems?|[a-z]+(?:ion|ness|ment|ity|ies|ure|nce))\b|owing to|as (?:it|they|he|she|we)\b|as a result of|after|following|amid|over|citing|in protest|to protest|blam(?:e|ed|ing)\b[^,.;]*\bon|saying|since|so that|in order to|for fear|fearing|wants?|wanted|calling for|demand(?:s|ing)?|urg(?:e|ed|ing)\b[^,.;]{0,60}?\bto|asking for|(?:needed|designed|intended|meant|aimed|trying|seeking|want(?:s|ed)?)? ?to (?:secure|get|avoid|help|make|allow|stop|prevent|cut|boost|raise|fund|pay for|finance|save|reduce|protect|meet|cover|replace|ensure|keep|win|force)` +
		`|on the grounds|(?:[a-z]+ed|off|down|through|apart) when|for (?:having|being|[a-z]{3,}ing)|(?:is|are|was|were) to blame|blamed (?:for|on)|on suspicion of|suspected of|accused of|charged with|convicted of|in protest (?:at|against)|in response to|in the wake of|as part of|against a background of|on the back of|thanks to|the reason)\b[^.;:!?]*`)
	// causeSpan is a cause told before what it did: "An injury crisis
	// in the squad led to Donnelly being entered".
	causeSpan = regexp.MustCompile(`(?i)\b[a-z][^.;:!?"“”]{3,80}?\b(?:led to|leads to|prompted|caused|causes|forced|triggered|sparked|resulted in|was behind|were behind|is behind|are behind)\b`)
	quoteSpan = regexp.MustCompile(`“[^”]{3,}”|"[^"]{3,}"|‘[^’]{8,}’`)
)

// looseReason opens a reason span that may only say when ("after the
// match", "over the weekend", "since 2001", "amid"): a weaker answer to
// "why" than "because" or "due to".
var looseReason = regexp.MustCompile(`(?i)^(?:after|following|over|amid|since|as (?:it|they|he|she|we)|saying|wants?|wanted)\b`)

// looseReasonSpec is how specific a loose reason span is.
const looseReasonSpec = 0.7

// shareSpan is a number span that is a share, not a count; yearOnly one
// that may be a year, which it is after datePreposition.
var (
	shareSpan       = regexp.MustCompile(`(?i)^[\d,.]+\s?(%|per ?cent\b)`)
	yearOnly        = regexp.MustCompile(`^(1[89]|20)\d\d$`)
	datePreposition = regexp.MustCompile(`(?i)\b(in|since|until|till|by|from|before|after|during|of|between|and)\s+$`)
)

// moneyAt reports whether a money amount starts at or just before start
// (a number span may leave out its currency sign: "$11.5bn").
func moneyAt(sentence string, start int) bool {
	from := max(0, start-4)
	for _, m := range moneySpan.FindAllStringIndex(sentence[from:], 2) {
		if m[0] <= start-from && m[1] > start-from {
			return true
		}
	}
	return false
}

// hedgeRE ends the text before an amount that was expected, not paid:
// "expected to fetch up to $1m", "could cost £5bn". An estimate of what
// happened ("an estimated 10,000 people died", "a deal valued at $2bn") is
// no hedge: it is what is reported.
var hedgeRE = regexp.MustCompile(`(?i)\b(?:expected|expects|set to|due to|likely to|forecasts?|forecast to|predicted|predicts|projected|hopes?|aims?|aiming|plans?|planning|could|would|will|may|might|to fetch)\b[^.;:!?]{0,30}$`)

// hedged reports whether the span starting at start is an amount expected
// rather than one that was paid or counted.
func hedged(sentence string, start int) bool {
	return hedgeRE.MatchString(sentence[:start])
}

// findSpans returns the spans of sentence that could answer a question of
// type t.
func findSpans(sentence string, t answerType) []span {
	var res []*regexp.Regexp
	switch t {
	case askPerson, askName:
		out := nameSpans(sentence)
		if t == askName {
			for _, m := range quoteSpan.FindAllStringIndex(sentence, -1) {
				if m[1]-m[0] <= 80 {
					out = append(out, span{m[0], m[1], 1})
				}
			}
		}
		return out
	case askNumber:
		res = []*regexp.Regexp{numberSpan}
	case askMoney:
		res = []*regexp.Regexp{moneySpan}
	case askAge:
		res = []*regexp.Regexp{ageSpan}
	case askDate:
		res = []*regexp.Regexp{dateSpan}
	case askReason:
		res = []*regexp.Regexp{reasonSpan, causeSpan}
	case askQuote:
		res = []*regexp.Regexp{quoteSpan}
	default:
		return nil
	}
	var out []span
	for _, re := range res {
		for _, m := range re.FindAllStringIndex(sentence, -1) {
			if t == askNumber && isBareYear(sentence[m[0]:m[1]]) {
				continue // a year is a date, not a count
			}
			spec := 1.0
			switch t {
			case askDate:
				spec = dateSpecificity(sentence[m[0]:m[1]])
			case askReason:
				if looseReason.MatchString(sentence[m[0]:m[1]]) {
					spec = looseReasonSpec
				}
			}
			out = append(out, span{m[0], m[1], spec})
		}
	}
	return out
}

var monthWord = regexp.MustCompile(`(?i)\b` + monthRE + `\b`)

// dateSpecificity ranks a date span: a day of a month (1) over a month of a
// year (0.9) over a year (0.8) over a weekday (0.6) over "next month" (0.5).
func dateSpecificity(s string) float64 {
	month := monthWord.MatchString(s)
	digits := strings.ContainsAny(s, "0123456789")
	switch {
	case month && digits:
		if y := strings.Fields(s); len(y) > 0 && isBareYear(y[len(y)-1]) && len(y) == 2 {
			return 0.9 // "October 2002"
		}
		return 1
	case digits:
		return 0.8
	case strings.Contains(strings.ToLower(s), "next") || strings.Contains(strings.ToLower(s), "last") || strings.Contains(strings.ToLower(s), "this"):
		return 0.5
	}
	return 0.6
}

func isBareYear(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) != 4 {
		return false
	}
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s[:2] == "18" || s[:2] == "19" || s[:2] == "20"
}

// nameParticles may sit inside a name ("Bank of England", "Vincent van
// Gogh"); nameTitles open one ("Mr Raskin", "Lord Scarman").
var (
	nameParticles = map[string]bool{"of": true, "de": true, "van": true, "von": true, "der": true, "da": true, "di": true,
		"le": true, "la": true, "del": true, "al": true, "bin": true, "&": true, "and": false}
	notNames = map[string]bool{
		"the": true, "a": true, "an": true, "but": true, "and": true, "in": true, "on": true, "at": true, "it": true,
		"he": true, "she": true, "they": true, "this": true, "that": true, "these": true, "those": true, "his": true,
		"her": true, "their": true, "its": true, "we": true, "i": true, "you": true, "there": true, "if": true,
		"when": true, "while": true, "as": true, "after": true, "before": true, "for": true, "with": true, "by": true,
		"from": true, "to": true, "of": true, "so": true, "yet": true, "or": true, "not": true, "no": true, "some": true,
		"many": true, "most": true, "one": true, "two": true, "all": true, "what": true, "who": true, "which": true,
		"however": true, "although": true, "meanwhile": true, "now": true, "last": true, "next": true, "earlier": true,
		"mr": false, "mrs": false, "ms": false, "dr": false, "sir": false, "lord": false, "lady": false,
		"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
		"january": true, "february": true, "march": true, "april": true, "june": true, "july": true,
		"august": true, "september": true, "october": true, "november": true, "december": true,
	}
)

// nameSpans returns runs of capitalised words: people, organisations,
// places, titles. A capitalised function word opening the sentence ("The",
// "But") is not part of a name; months and weekdays are not names.
func nameSpans(s string) []span {
	toks := tokenize(s)
	var out []span
	i := 0
	for i < len(toks) {
		if !capitalised(toks[i].text) || notNames[strings.ToLower(toks[i].text)] {
			i++
			continue
		}
		j := i + 1
		for j < len(toks) {
			w := toks[j].text
			if capitalised(w) && !notNames[strings.ToLower(w)] {
				j++
				continue
			}
			if nameParticles[strings.ToLower(w)] && j+1 < len(toks) && capitalised(toks[j+1].text) {
				j += 2
				continue
			}
			break
		}
		// A name of several words ("Dave Jones", "Toshiba Elevator and
		// Building Systems") is a surer answer than one capitalised word,
		// which may be a place, a team or an adjective ("Wolves", "Indian").
		spec := 1.0
		if j == i+1 {
			spec = 0.85
		}
		out = append(out, span{toks[i].start, toks[j-1].end, spec})
		i = j
	}
	return out
}

// capitalised reports whether a word starts with an upper-case letter or is
// an acronym with digits ("2d3" is not; "BMW", "V8" are).
func capitalised(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}
