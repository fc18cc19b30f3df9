package main

import (
	"regexp"
	"strconv"
	"strings"
)

// spanKind is what a masked span is, which decides the question word.
type spanKind int

const (
	kindPerson  spanKind = iota // who
	kindCompany                 // which company
	kindOther                   // a place, team, event: never asked, but counted for ambiguity
	kindMoney                   // how much
	kindCount                   // how many <noun>
	kindDate                    // when: "27 January", "October 2002"
	kindYear                    // what year: "1337"
)

// span is a candidate answer in a clause, as token positions.
type span struct {
	kind spanKind
	// start and end delimit the answer itself; cut extends it to what the
	// question drops (a qualifier such as "more than", the preposition
	// before a date, the noun after a count, a currency conversion in
	// brackets).
	start, end       int
	cutStart, cutEnd int
	prep             string   // "on", "in", "since", "until", "by" before a date
	noun             string   // the counted noun phrase: "power leads"
	titled           bool     // a person named with a title ("Mr Raskin")
	titleStart       int      // where a title or role before a name starts
	answers          []string // the span, then shorter variants
	surname          string   // a person's surname, lower-case
}

// orgSuffixes end company names.
var orgSuffixes = set("plc", "inc", "corp", "corporation", "group", "ltd", "llc", "co", "holdings",
	"airways", "airlines", "motors", "motor", "telecom", "telecommunications", "communications",
	"systems", "networks", "electronics", "entertainment", "records", "pictures", "studios",
	"technologies", "technology", "industries", "partners", "capital", "insurance", "petroleum",
	"energy", "foods", "steel", "pharmaceuticals", "software", "securities", "investments", "stores",
	"brands", "bank", "ag", "sa", "nv", "gmbh", "media", "interactive", "games", "labs", "mobile",
	"oil", "chemicals", "mining", "resources", "finance", "financial", "computers", "computer")

// strongSuffixes end nothing but company names.
var strongSuffixes = set("plc", "inc", "corp", "corporation", "ltd", "llc", "holdings", "ag", "gmbh")

// notPerson words never appear in a person's name.
var notPerson = set("league", "cup", "party", "council", "united", "city", "street", "road", "house",
	"office", "commission", "committee", "association", "championship", "championships", "games",
	"awards", "award", "festival", "club", "court", "parliament", "assembly", "department", "ministry",
	"union", "federation", "institute", "university", "college", "school", "hospital", "airport",
	"stadium", "museum", "theatre", "gallery", "times", "news", "post", "mail", "review", "magazine",
	"service", "agency", "police", "army", "navy", "force", "prize", "trophy", "day", "week",
	"christmas", "olympics", "open", "series", "tour", "show", "radio", "tv", "channel", "film",
	"centre", "center", "fund", "trust", "society", "board", "authority", "group", "bank", "north",
	"south", "east", "west", "northern", "southern", "eastern", "western", "new", "royal", "national",
	"international", "world", "european", "british", "american", "english", "scottish", "welsh",
	"irish", "french", "german", "spanish", "italian", "chinese", "japanese", "indian", "republic",
	"kingdom", "states", "state", "county", "island", "islands", "valley", "park", "square", "bay",
	"lake", "river", "hill", "church", "cathedral", "palace", "castle", "hall", "arena", "square",
	"centre", "academy", "orchestra", "band", "lottery", "bill", "act", "budget", "treaty",
	"conference", "summit", "exchange", "index", "market", "awards", "grand", "prix", "formula",
	"premiership", "division", "bowl", "final", "finals", "classic", "marathon", "internet", "web",
	"online", "digital", "apple", "google", "microsoft", "sony", "nintendo", "yahoo", "ebay", "intel",
	"dvd", "cd", "pc", "xbox", "playstation", "windows", "labour", "tory", "tories", "conservative",
	"conservatives", "liberal", "democrats", "commons", "lords", "senate", "congress", "whitehall",
	"downing", "england", "scotland", "wales", "ireland", "britain", "france", "germany", "spain",
	"italy", "china", "japan", "india", "america", "europe", "africa", "asia", "australia", "russia",
	"london", "paris", "york", "chelsea", "arsenal", "liverpool", "everton", "madrid", "milan",
	"barcelona", "munich", "tokyo", "washington", "brussels", "edinburgh", "cardiff", "dublin",
	"belfast", "manchester", "birmingham", "glasgow", "leeds", "newcastle", "oscar", "oscars",
	"bafta", "baftas", "grammy", "grammys", "brit", "brits", "emmy", "globe", "globes", "academy",
	"i", "ii", "iii", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"january", "february", "march", "april", "june", "july", "august", "september", "october",
	"november", "december", "christian", "muslim", "jewish", "catholic", "islamic", "iraqi",
	"american", "israeli", "palestinian", "korean", "university", "mps", "mp", "bbc", "itv", "uk",
	"us", "eu", "un", "nato", "fifa", "uefa", "iaaf", "rfu", "wru", "fa", "ecb", "gp", "villa",
	"rovers", "wanderers", "athletic", "albion", "hotspur", "rangers", "celtic", "town", "forest",
	"argyle", "saints", "harlequins", "wasps", "tigers", "sharks", "bulls", "blues", "reds", "dragons",
	"ospreys", "scarlets", "falcons", "sale", "bath", "gloucester", "leicester", "northampton",
	"munster", "leinster", "ulster", "connacht", "real", "inter", "juventus", "ajax", "porto",
	"benfica", "lazio", "roma", "valencia", "bayern", "dynamo", "spartak", "zenit")

// roles are capitalised words that precede a name without being part of it
// ("Chancellor Gordon Brown", "Prime Minister Tony Blair").
var roles = set("chancellor", "president", "prime", "minister", "secretary", "foreign", "home",
	"chief", "executive", "judge", "coach", "manager", "captain", "senator", "governor", "king",
	"queen", "prince", "princess", "pope", "general", "colonel", "ambassador", "commissioner",
	"chairman", "director", "mayor", "archbishop", "bishop", "detective", "inspector", "sergeant",
	"deputy", "leader", "speaker", "vice", "shadow", "culture", "health", "education", "defence",
	"trade", "industry", "transport", "environment", "justice", "attorney", "solicitor", "lieutenant",
	"major", "admiral", "cardinal", "rev", "reverend", "father", "brother", "sister", "saint", "st",
	"agent", "officer", "professor", "prof", "dr", "mr", "mrs", "ms", "miss", "sir", "lord", "lady",
	"baroness", "dame", "former", "economic", "economics", "legendary", "star", "singer", "actor",
	"actress", "striker", "midfielder", "defender", "goalkeeper", "winger", "boss", "veteran",
	"rock", "pop", "rapper", "film", "director", "founder", "analyst", "economist", "spokesman",
	"spokeswoman", "lawyer", "presenter", "comedian", "author", "writer", "designer", "producer")

// nationalities describe a name ("Californian Thomas Slattery").
var nationalities = set("american", "british", "english", "scottish", "welsh", "irish", "french",
	"german", "spanish", "italian", "australian", "canadian", "dutch", "belgian", "swiss", "swedish",
	"norwegian", "danish", "finnish", "russian", "chinese", "japanese", "indian", "pakistani",
	"iraqi", "iranian", "israeli", "brazilian", "argentine", "argentinian", "mexican", "african",
	"kenyan", "nigerian", "egyptian", "turkish", "greek", "polish", "czech", "portuguese",
	"austrian", "hungarian", "korean", "californian", "texan", "croatian", "serbian", "ukrainian",
	"jamaican", "ethiopian", "moroccan", "algerian", "saudi", "afghan", "ghanaian", "scots",
	"european", "asian", "latin", "south", "north", "us", "uk", "new")

// institutional words open names of public bodies, not companies.
var institutional = set("world", "central", "european", "national", "international", "federal",
	"asian", "african", "development", "reserve", "royal", "state", "united", "inter-american")

// personalTitles make the word after them a person's surname.
var personalTitles = set("mr", "mrs", "ms", "miss", "dr", "sir", "lord", "lady", "baroness", "dame",
	"professor", "prof")

var months = set("january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december")

var (
	moneyRe = regexp.MustCompile(`^[£$€]\d[\d,]*(\.\d+)?(m|bn|k|tn|billion|million)?$`)
	numRe   = regexp.MustCompile(`^\d[\d,]*(\.\d+)?$`)
	yearRe  = regexp.MustCompile(`^(1[0-9]{3}|20[0-3][0-9])$`)
	dayRe   = regexp.MustCompile(`^([1-9]|[12][0-9]|3[01])(st|nd|rd|th)?$`)
)

// spelled numbers may be counted ("six operations").
var spelled = set("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
	"twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "hundred")

// multipliers follow a number ("14 million").
var multipliers = set("million", "billion", "trillion", "thousand", "hundred", "m", "bn")

// qualifiers before an amount are dropped with it ("more than 900 jobs").
var qualifiers = [][]string{
	{"more", "than"}, {"less", "than"}, {"fewer", "than"}, {"up", "to"}, {"at", "least"},
	{"an", "estimated"}, {"just", "over"}, {"just", "under"}, {"as", "many", "as"}, {"as", "much", "as"},
	{"about"}, {"around"}, {"nearly"}, {"almost"}, {"some"}, {"over"}, {"roughly"}, {"approximately"},
	{"only"}, {"just"}, {"a", "further"}, {"another"}, {"a", "record"}, {"under"},
}

// irregularPlurals are plural nouns without an -s.
var irregularPlurals = set("people", "men", "women", "children", "staff", "police", "cattle", "feet",
	"teeth", "mice", "personnel", "crew", "livestock")

// countless nouns are plural-looking words a count never measures in a
// question ("per cent", "times").
var countless = set("times", "per", "percent", "cent", "points", "odds", "plus", "minus", "pence",
	"runs", "yards", "metres", "kilometres", "miles", "seconds", "minutes", "hours", "mph", "kg")

func set(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// isPlural reports whether a lower-case word is a plural noun.
func (c *corpus) isPlural(w string) bool {
	if irregularPlurals[w] {
		return true
	}
	if len(w) < 4 || !strings.HasSuffix(w, "s") || strings.HasSuffix(w, "ss") ||
		strings.HasSuffix(w, "us") || strings.HasSuffix(w, "is") || strings.HasSuffix(w, "'s") {
		return false
	}
	stem := w[:len(w)-1]
	if c.words[stem] > 0 {
		return true
	}
	if strings.HasSuffix(w, "ies") && c.words[w[:len(w)-3]+"y"] > 0 {
		return true
	}
	return strings.HasSuffix(w, "es") && c.words[w[:len(w)-2]] > 0
}

// isPlainWord reports whether a token is an ordinary lower-case word.
func isPlainWord(t tok) bool {
	if t.punct || t.s == "" {
		return false
	}
	for _, r := range t.s {
		if !(r >= 'a' && r <= 'z' || r == '-') {
			return false
		}
	}
	return true
}

// findSpans returns every candidate span in a clause. first is the index
// of the clause's first word, whose capital may only mark the start of the
// sentence.
func (c *corpus) findSpans(t []tok, first int) []span {
	var out []span
	out = append(out, c.findNames(t, first)...)
	for i := 0; i < len(t); i++ {
		if sp, ok := c.amountAt(t, i); ok {
			out = append(out, sp)
			i = sp.end - 1
			continue
		}
		if sp, ok := dateAt(t, i); ok {
			out = append(out, sp)
			i = sp.end - 1
		}
	}
	return out
}

// findNames finds runs of capitalised words and classifies them.
func (c *corpus) findNames(t []tok, first int) []span {
	var out []span
	for i := 0; i < len(t); i++ {
		if !t[i].isCap() {
			continue
		}
		if i == first && !c.proper(t[i].s) && !roles[t[i].lower()] {
			continue
		}
		j := i
		for j < len(t) {
			if t[j].isCap() {
				j++
				if strings.HasSuffix(t[j-1].s, "'s") || strings.HasSuffix(t[j-1].s, "'") {
					break
				}
				continue
			}
			w := t[j].lower()
			if (w == "of" || w == "and" || w == "&" || w == "de" || w == "van" || w == "von" || w == "der" || w == "du" || w == "da") &&
				j+1 < len(t) && t[j+1].isCap() && j > i {
				j++
				continue
			}
			break
		}
		// "and" joins two names unless the whole is a company name
		// ("Toshiba Elevator and Building Systems").
		// ... but not when the part before "and" is a company name
		// already ("Sony Pictures Entertainment and MGM Studios").
		if k := indexWord(t[i:j], "and", "&"); k >= 0 && (!orgSuffixes[bare(t[j-1].lower())] || k > 0 && orgSuffixes[t[i+k-1].lower()]) {
			j = i + k
		}
		if j <= i {
			continue
		}
		out = append(out, c.classifyName(t, i, j))
		i = j - 1
	}
	return out
}

// commonWord reports whether a name is also a common lower-case word
// ("Short", "Love", "Law"), which an answer check would find anywhere.
func (c *corpus) commonWord(w string) bool {
	w = strings.ToLower(w)
	return c.lowMid[w] > 0 && c.lowMid[w]*3 >= c.capMid[w]
}

// hyphenRole reports a capitalised compound such as "Oscar-winner" or
// "London-based", which describes a name without being part of it.
func hyphenRole(s string) bool {
	i := strings.LastIndexByte(s, '-')
	return i > 0 && i+1 < len(s) && s[i+1] >= 'a' && s[i+1] <= 'z'
}

func indexWord(t []tok, ws ...string) int {
	for i, x := range t {
		for _, w := range ws {
			if x.lower() == w {
				return i
			}
		}
	}
	return -1
}

// classifyName decides whether t[i:j] names a person, a company or
// something else, and fills its answers.
func (c *corpus) classifyName(t []tok, i, j int) span {
	sp := span{kind: kindOther, start: i, end: j, cutStart: i, cutEnd: j, titleStart: i}
	if w := t[i].lower(); w == "st" || w == "saint" || w == "mount" || w == "lake" || w == "cape" {
		return sp // "St Thomas" is a place
	}
	// Strip titles and roles in front of the name.
	k := i
	for k < j-1 && (roles[t[k].lower()] || hyphenRole(t[k].s) || nationalities[t[k].lower()]) {
		if personalTitles[t[k].lower()] {
			sp.titled = true
		}
		k++
	}
	if k == j-1 && personalTitles[t[j-1].lower()] {
		return sp
	}
	sp.start = k
	name := t[k:j]
	var words []string
	for _, x := range name {
		words = append(words, x.s)
	}
	words[len(words)-1] = bare(words[len(words)-1])
	last := strings.ToLower(words[len(words)-1])
	key := strings.ToLower(strings.Join(words, " "))
	if strings.Contains(key, " of ") {
		return sp // "Bank of England", "Guinness Book of Records"
	}
	if institutional[strings.ToLower(words[0])] {
		return sp // "World Bank", "Central Bank" are no companies
	}
	if len(words) >= 2 && firstNameSet[strings.ToLower(words[0])] && !strongSuffixes[last] {
		orgOK := c.companies[key] >= 2
		if !orgOK && orgSuffixes[last] {
			return sp // "Rob Da Bank" is a DJ
		}
	}
	isOrg := orgSuffixes[last] && len(words) >= 2 || c.companies[key] >= 2 && len(words) >= 2 ||
		c.companies[key] >= 4 && c.proper(words[0])
	if isOrg {
		sp.kind = kindCompany
		sp.answers = []string{strings.Join(words, " ")}
		if len(words) >= 2 && orgSuffixes[last] {
			short := strings.Join(words[:len(words)-1], " ")
			if c.proper(words[0]) && !notPerson[strings.ToLower(short)] && c.df[strings.ToLower(short)] < 200 {
				sp.answers = append(sp.answers, short)
			}
		}
		return sp
	}
	for _, w := range words {
		lw := strings.ToLower(w)
		if notPerson[lw] || months[lw] || orgSuffixes[lw] || !c.proper(w) && !sp.titled {
			return sp
		}
	}
	person := false
	switch {
	case sp.titled && k > i && personalTitles[t[k-1].lower()]:
		person = len(words) <= 3
	case len(words) >= 2 && len(words) <= 3:
		person = c.surnames[last] >= 1 || c.firstNames[strings.ToLower(words[0])] >= 2 || firstNameSet[strings.ToLower(words[0])]
	}
	if !person {
		return sp
	}
	sp.kind = kindPerson
	sp.surname = last
	full := strings.Join(words, " ")
	sp.answers = []string{full}
	if len(words) >= 2 {
		sp.answers = append(sp.answers, words[len(words)-1])
	}
	return sp
}

// amountAt finds an amount of money or a count of things at t[i].
func (c *corpus) amountAt(t []tok, i int) (span, bool) {
	w := t[i].lower()
	sp := span{start: i, end: i + 1}
	switch {
	case moneyRe.MatchString(t[i].s):
		sp.kind = kindMoney
		if i+1 < len(t) && multipliers[t[i+1].lower()] && !strings.HasSuffix(w, "m") && !strings.HasSuffix(w, "bn") {
			sp.end++
		}
	case numRe.MatchString(w) || spelled[w]:
		if i > 0 && (t[i-1].lower() == "aged" || t[i-1].lower() == "no" || t[i-1].lower() == "number" || t[i-1].s == "-") {
			return sp, false
		}
		if i > 0 && (moneyRe.MatchString(t[i-1].s) || numRe.MatchString(t[i-1].lower())) {
			return sp, false
		}
		if yearRe.MatchString(w) && !strings.Contains(w, ",") {
			return sp, false
		}
		e := i + 1
		if e < len(t) && multipliers[t[e].lower()] && !spelled[w] {
			e++
		}
		// The counted noun phrase: up to two modifiers and a plural noun.
		head := -1
		for k := e; k < len(t) && k < e+3; k++ {
			if !isPlainWord(t[k]) || stopwords[t[k].lower()] || countless[t[k].lower()] {
				break
			}
			if c.isPlural(t[k].lower()) {
				head = k
				break
			}
		}
		if head < 0 {
			return sp, false
		}
		for head+1 < len(t) && head+1 < e+3 && isPlainWord(t[head+1]) && c.isPlural(t[head+1].lower()) && !stopwords[t[head+1].lower()] {
			head++ // "two cosmetics brands"
		}
		nounEnd := head + 1
		if nounEnd+1 < len(t) && t[nounEnd].lower() == "of" && isPlainWord(t[nounEnd+1]) && !stopwords[t[nounEnd+1].lower()] &&
			(nounEnd+2 >= len(t) || !isPlainWord(t[nounEnd+2]) || stopwords[t[nounEnd+2].lower()]) {
			nounEnd += 2
		}
		if nounEnd == head+1 && nounEnd+1 < len(t) && t[nounEnd].lower() == "of" && t[nounEnd+1].isCap() {
			// "two ex-senior executives of Columbia Distributor".
			k := nounEnd + 1
			for k < len(t) && k < nounEnd+4 && t[k].isCap() && !strings.HasSuffix(t[k].s, "'s") {
				k++
			}
			if k == len(t) || t[k].punct || stopwords[t[k].lower()] {
				nounEnd = k // not "two breaches of FA rules"
			}
		}
		var noun []string
		for _, x := range t[e:nounEnd] {
			noun = append(noun, x.lower())
		}
		sp.kind = kindCount
		sp.noun = strings.Join(noun, " ")
		sp.end = e
		sp.cutEnd = nounEnd
		if nounEnd+1 < len(t) && t[nounEnd].s == "-" {
			return sp, false
		}
		full := joinToks(t[i : head+1])
		sp.answers = []string{full}
		if !spelled[w] {
			sp.answers = append(sp.answers, joinToks(t[i:e]))
		}
		if n, err := strconv.Atoi(strings.ReplaceAll(w, ",", "")); err == nil && n < 10 && e == i+1 {
			sp.answers = sp.answers[:1]
		}
	default:
		return sp, false
	}
	if sp.cutEnd == 0 {
		sp.cutEnd = sp.end
	}
	if sp.kind == kindMoney {
		if sp.end < len(t) && t[sp.end].lower() == "of" {
			return sp, false // "for £35bn of cuts" leaves "for of cuts"
		}
		sp.answers = []string{joinToks(t[sp.start:sp.end])}
		// A conversion in brackets is another answer: "$56.5m (£30.4m)".
		if sp.end+2 < len(t) && t[sp.end].s == "(" && moneyRe.MatchString(t[sp.end+1].s) && t[sp.end+2].s == ")" {
			sp.answers = append(sp.answers, t[sp.end+1].s)
			sp.cutEnd = sp.end + 3
		}
	}
	sp.cutStart = sp.start
	for _, q := range qualifiers {
		if s := sp.start - len(q); s >= 0 && wordsEqual(t[s:sp.start], q) {
			sp.cutStart = s
			break
		}
	}
	return sp, true
}

func wordsEqual(t []tok, ws []string) bool {
	for i, w := range ws {
		if t[i].lower() != w {
			return false
		}
	}
	return true
}

func joinToks(t []tok) string {
	var parts []string
	for _, x := range t {
		parts = append(parts, x.s)
	}
	return strings.Join(parts, " ")
}

// datePreps are the prepositions a date question can drop or ask with.
var datePreps = set("on", "in", "since", "until", "till", "by")

// dateAt finds a date at t[i]: "27 January", "1 February 1995", "October
// 2002", "1 May, 2002", or a bare year after a preposition ("in 1337").
func dateAt(t []tok, i int) (span, bool) {
	sp := span{start: i}
	w := t[i].lower()
	at := func(k int) string {
		if k < len(t) {
			return t[k].lower()
		}
		return ""
	}
	switch {
	case dayRe.MatchString(w) && months[at(i+1)] && t[i+1].isCap():
		sp.kind, sp.end = kindDate, i+2
		if yearRe.MatchString(at(i + 2)) {
			sp.end = i + 3
		} else if at(i+2) == "," && yearRe.MatchString(at(i+3)) {
			sp.end = i + 4
		}
	case months[w] && t[i].isCap() && yearRe.MatchString(at(i+1)):
		sp.kind, sp.end = kindDate, i+2
	case yearRe.MatchString(w):
		if i == 0 || !datePreps[t[i-1].lower()] {
			return sp, false
		}
		sp.kind, sp.end = kindYear, i+1
	default:
		return sp, false
	}
	// A range ("from 2004 to 2006", "2004-05") is not one date.
	if n := at(sp.end); n == "to" || n == "-" || n == "and" || strings.HasPrefix(n, "-") {
		return sp, false
	}
	if i > 0 && (t[i-1].lower() == "between" || t[i-1].lower() == "from") {
		return sp, false
	}
	sp.answers = []string{joinToks(t[sp.start:sp.end])}
	sp.answers[0] = strings.ReplaceAll(sp.answers[0], " ,", ",")
	if sp.kind == kindDate && sp.end-sp.start >= 3 {
		sp.answers = append(sp.answers, joinToks(t[sp.start:sp.start+2]))
	}
	sp.cutStart, sp.cutEnd = sp.start, sp.end
	if i > 0 && datePreps[t[i-1].lower()] {
		sp.prep = t[i-1].lower()
		sp.cutStart = i - 1
	}
	return sp, true
}

// stopwords are function words, never counted as content.
var stopwords = set("a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with",
	"by", "from", "as", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had",
	"do", "does", "did", "will", "would", "can", "could", "may", "might", "shall", "should", "must",
	"it", "its", "he", "she", "they", "them", "his", "her", "their", "we", "our", "you", "your", "i",
	"me", "my", "this", "that", "these", "those", "there", "here", "which", "who", "whom", "whose",
	"what", "when", "where", "why", "how", "not", "no", "so", "if", "than", "then", "also", "into",
	"about", "over", "after", "before", "up", "down", "out", "off", "more", "most", "such", "said",
	"says", "say", "just", "now", "still", "only", "very", "all", "any", "some", "other", "new",
	"one", "two", "year", "years", "last", "first", "s", "mr", "mrs", "ms", "while", "because",
	"against", "between", "under", "during", "being", "own", "same", "much", "many", "per", "cent",
	"like", "well", "even", "back", "get", "got", "set", "way", "made", "make", "told", "around",
	"since", "until", "through", "across", "both", "each", "few", "further", "however", "among",
	"already", "yet", "least", "less", "whether", "although", "though", "too", "again", "ever")
