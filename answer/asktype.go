package answer

import (
	"regexp"
	"strings"
	"unicode"
)

// answerType is what kind of thing a question asks for: the reader looks
// for spans of that kind in the passages, near the question's words.
type answerType uint8

const (
	askNone   answerType = iota
	askPerson            // who, whose, which company: a person or an organisation
	askName              // which X, what is X called: a name
	askNumber            // how many, how much, what share
	askMoney             // how much did it cost / pay / fetch
	askAge               // how old
	askDate              // when, which year, what day
	askReason            // why, what caused, what did X want
	askQuote             // what did X say / call / shout
	askSource            // which article says ...: a claim to find, no span
)

func (t answerType) String() string {
	return [...]string{"none", "person", "name", "number", "money", "age", "date", "reason", "quote", "source"}[t]
}

// Question shapes, on the lower-case question. The shape whose match
// starts first decides (the question word usually leads: "what did Brando
// say when he threw ..." asks for a quote, not a date); among shapes
// matching at one place the earlier rule wins, which puts the specific
// before the general ("how much did it cost" before "how much").
// Interrogative "who" and "which" must open the question or a clause, and
// "when" be followed by an auxiliary: "the guy who spied", "when the wage
// rise came out, what did ..." are not what is asked.
const (
	clause = `(?:^|[-–,;:?.!(]\s*|\b(?:and|so|but|then|ok|okay)\s+)`
	aux    = `(?:did|does|do|is|are|was|were|will|has|have|had|can|could|would|should|'s|’s)`
)

var askRules = []struct {
	re *regexp.Regexp
	t  answerType
}{
	// "Which article says ..." asks for the source of a claim: the
	// sentence that says it is the answer, whatever it holds.
	{regexp.MustCompile(`\b(which|what|any) (article|articles|story|stories|report|reports|piece|source|sources)\b|\bis it true\b|\bdid (any|the) (article|story|report)`), askSource},
	{regexp.MustCompile(`\bhow old\b|\bwhat age\b|\bat what age\b`), askAge},
	{regexp.MustCompile(`\bhow much\b.*\b(` + moneyWords + `|go for|went for|set .* back|put up|lost|lose|losing|make|made|making|owe|owed|owes|owing)\b` +
		`|\b(` + moneyWords + `)\b.*\band how much\b` +
		`|\bwhat(?:'s|’s| is| was| were| are| will be| would be)\b[^?]*\b(fee|fees|salary|wage|wages|price|cost|bill|fine|payout|pay|prize money|budget|damages|compensation|ransom|bonus|valuation|transfer fee|asking price)\b`), askMoney},
	{regexp.MustCompile(`\bhow (many|much)\b|\bwhat (share|percentage|proportion|fraction|number|odds)\b|\bwhat are the odds\b|\bhow (far|big|large|tall|long is|high|fast)\b`), askNumber},
	{regexp.MustCompile(`\bwhen\s*` + aux + `\b|\bwhen\s*\?|\b(what|which) (year|month|day|date|time|season)\b|\b(till|until|since) when\b|\bhow long (can|will|until|till)\b`), askDate},
	{regexp.MustCompile(`\bwhy\b|\bwhat (caused|causes|dragged|drove|prompted|led to|made)\b|\breason\b|\bblame[sd]?\b.*\bfor\b|\bwhat (does|did|do) .* want\b`), askReason},
	{regexp.MustCompile(clause + `who(m|se|'s|’s)?\b`), askPerson},
	{regexp.MustCompile(`\b(which|what) (company|firm|group|team|club|band|party|channel|network|bank|studio|organisation|organization|agency|outfit|airline|carmaker|brand|label|business|retailer|newspaper|magazine|broadcaster|player|manager|coach|man|woman|person|singer|actor|actress|director|minister|leader)\b`), askPerson},
	{regexp.MustCompile(`\bwhat (did|does|do|has|had|was|is|were) .*\b(say|said|says|call|shout|shouted|tell|told|describe|described|sum up|reckon|claim|claimed|warn|warned|admit|admitted|comeback|reply|replied|respond|responded)\b|\bhow did .* (sum up|describe|put it|react|respond)\b|\bwhat (was|is|were|are|'s)\b.*\b(comeback|reply|response|message|warning|excuse|explanation|defence|defense|justification|verdict|advice)\b`), askQuote},
	{regexp.MustCompile(`\bcalled\b|\bthe name of\b|\bwhat('s| is| was) the name\b|` + clause + `which\b|\bwhat (game|film|movie|show|album|song|book|play|drug|substance|treatment|style|product|model|town|city|country|place|plant|factory|studio|stadium)\b`), askName},
}

// moneyWords are the words of a "how much" question that asks for an
// amount of money, in their forms.
const moneyWords = `cost|costs|costing|pay|paid|pays|paying|price|priced|worth|money|spend|spends|spending|spent|fetch|fetched|fetching|` +
	`sell|sold|selling|earn|earned|earns|earning|raise|raised|raising|offer|offering|offered|bill|billed|fine|fined|charge|charged|charging|` +
	`pull in|pulled in|prize|fee|fees|salary|wage|wages|budget|invest|invested|investing|bid|value|valued|damages|compensation|ransom|bonus|payout`

// pastRE and lookingAheadRE tell a question about what happened ("how
// much did it go for") from one about what was expected ("how much is it
// expected to fetch", "what did they say it would cost").
var (
	pastRE         = regexp.MustCompile(`\b(did|was|were|had)\b`)
	lookingAheadRE = regexp.MustCompile(`\b(will|would|going to|expect|expected|expects|predict|predicted|forecast|estimate|estimated|plan|planned|plans|hope|hoped|want|wanted|say|said|think|thought|claim|claimed|reckon|offer|offering|offered|bid|due|set to)\b`)
)

// asksWhatHappened reports whether a question asks about what happened,
// in the past tense, rather than what was expected or said.
func asksWhatHappened(question string) bool {
	q := strings.ToLower(question)
	return pastRE.MatchString(q) && !lookingAheadRE.MatchString(q)
}

// whRE finds a question word opening a clause; "when" asks only with an
// auxiliary after it ("when the wage rise came out, what did ..." is
// context, "when's the auction" a question).
var whRE = regexp.MustCompile(`(?:^|[-–,;:?.!(]\s*)(?:who|whom|whose|what|which|where|why|how|when\s*` + aux + `)\b`)

// clauseEnd ends the clause a question word opens: its question mark, or
// a dash before a remark ("- heard it's shutting").
var clauseEnd = regexp.MustCompile(`\?|\s[-–]\s`)

// questionClause returns the part of a question that asks, when the rest
// describes what it is about: "the nebraska guy selling ad space on his
// forehead - what's he going to spend the money on?" asks "what's he
// going to spend the money on?"; the description picks the story out,
// and the clause what is wanted of it. The clause is lower case; it is ""
// when the question asks in one piece.
func questionClause(question string) string {
	q := strings.ToLower(question)
	for _, loc := range whRE.FindAllStringIndex(q, -1) {
		start := loc[0]
		for start < len(q) && !isWordByte(q[start]) {
			start++
		}
		end := len(q)
		if m := clauseEnd.FindStringIndex(q[start:]); m != nil {
			end = start + m[0]
		}
		// Offsets are into the lower-cased question, which may differ in
		// length from the question as typed.
		clause := strings.TrimSpace(q[start:end])
		if wordCount(clause) < 2 {
			continue
		}
		if wordCount(q[:start])+wordCount(q[end:]) < 3 {
			return "" // in one piece, or nearly
		}
		return clause
	}
	return ""
}

// wordCount counts the words of s, leaving out punctuation.
func wordCount(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			n++
		}
	}
	return n
}

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// askFormRE matches the words that only say what kind of answer is asked
// for: an answer to "how old" says "aged 59", not "old"; one to "what year"
// says "1981", not "year".
var askFormRE = regexp.MustCompile(`(?i)\b(how|what|which|at what)\s+(old|age|year|month|day|date|time|season)\b`)

// withoutAskForm returns the question without those words, for weighing
// the evidence that the articles cover it.
func withoutAskForm(question string) string {
	return askFormRE.ReplaceAllString(question, "$1")
}

// personRE matches a question that asks for a person, not an organisation.
var personRE = regexp.MustCompile(clause + `who(m|se|'s|’s)?\b|\b(which|what) (player|manager|coach|man|woman|person|singer|actor|actress|director|minister|leader|politician|boss|chief|captain|striker|winner)\b`)

// asksPerson reports whether the question asks for a person.
func asksPerson(question string) bool { return personRE.MatchString(strings.ToLower(question)) }

// askTypeOf detects the answer type of a question.
func askTypeOf(question string) answerType {
	q := strings.ToLower(question)
	best, at := askNone, len(q)+1
	date := false
	for _, r := range askRules {
		loc := r.re.FindStringIndex(q)
		if loc == nil {
			continue
		}
		date = date || r.t == askDate
		if loc[0] < at {
			best, at = r.t, loc[0]
		}
	}
	if best == askAge && date {
		// "How old is the duchy - what year was it created?": the year is
		// the answer asked for.
		return askDate
	}
	return best
}

// relationRE finds the verb of a question that asks who did something:
// "who directed the film", "who actually scored".
var relationRE = regexp.MustCompile(clause + `who\s+(?:(?:actually|really|exactly|first|originally|just|eventually|finally|ever|else|then|now|also)\s+)*([a-z]+)`)

// vagueRelations are verbs after "who" that say nothing about what was
// done: auxiliaries, and verbs any story has ("who got", "who said").
var vagueRelations = map[string]bool{
	"is": true, "was": true, "are": true, "were": true, "be": true, "been": true, "has": true, "had": true, "have": true,
	"did": true, "does": true, "do": true, "will": true, "would": true, "could": true, "should": true, "can": true,
	"may": true, "might": true, "must": true, "shall": true, "got": true, "gets": true, "get": true, "made": true,
	"makes": true, "make": true, "took": true, "takes": true, "take": true, "went": true, "goes": true, "came": true,
	"comes": true, "said": true, "says": true, "say": true, "the": true, "a": true, "an": true, "he": true, "she": true,
	"they": true, "it": true, "you": true, "we": true, "i": true, "to": true, "in": true, "of": true, "on": true,
	"for": true, "and": true, "or": true, "not": true, "isn": true, "wasn": true, "didn": true, "doesn": true,
}

// askedRelation returns the verb of a "who did it" question ("directed"
// in "who directed the 1964 film that Jim Morrison acted in?"), or "".
// The person asked for stands next to it in the articles ("directed by",
// "its director,"), whoever else the sentence names.
func askedRelation(question string) string {
	m := relationRE.FindStringSubmatch(strings.ToLower(question))
	if m == nil || vagueRelations[m[1]] || len(m[1]) < 3 {
		return ""
	}
	return m[1]
}

// countRE matches a question that asks how many, not what share.
var (
	countRE    = regexp.MustCompile(`\bhow many\b`)
	notCountRE = regexp.MustCompile(`\b(per ?cent|percent|percentage|share|proportion|fraction|rate)\b|%`)
)

// asksCount reports whether a question asks for a count ("how many votes
// did he get"), which a share does not answer.
func asksCount(question string) bool {
	q := strings.ToLower(question)
	return countRE.MatchString(q) && !notCountRE.MatchString(q)
}
