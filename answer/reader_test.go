package answer

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestPickQuotesTheBestAnswerInContext checks the choice of quotes on a
// reading whose best-scoring sentences restate the question: the sentence
// with the best answer span in context is quoted too, even below the score
// cut-off or past the quota for its passage, when the question asks for a
// kind of answer.
func TestPickQuotesTheBestAnswerInContext(t *testing.T) {
	restating := []unit{
		{p: 0, text: "Hallworth has been sacked as Rovers coach.", score: 0.75, span: 0.6, ctx: 0.8},
		{p: 0, text: "Hallworth first took charge of Rovers in 1997.", score: 0.65, span: 0.5, ctx: 0.6},
		{p: 1, text: "Rovers were knocked out of the Shield on Saturday.", score: 0.5, span: 0.4, ctx: 0.5},
	}
	answer := unit{p: 0, text: "Former assistant Teodor Vasquez-Lind will take over as the new coach.", score: 0.39, span: 0.9, ctx: 0.8}
	tests := []struct {
		name   string
		kind   answerType
		answer unit
		want   bool
	}{
		{"below the cut-off and past the passage's quota", askPerson, answer, true},
		{"a question that asks for no kind of answer", askNone, answer, false},
		{"a span out of context", askPerson, unit{p: 2, text: "Marek Ostrowski joined Dockside from a club in the south.", score: 0.2, span: 0.9, ctx: 0.1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rd := &reading{kind: tc.kind, units: append(append([]unit{}, restating...), tc.answer)}
			for i := range rd.units {
				rd.units[i].prev = -1
				rd.order = append(rd.order, i)
			}
			got := false
			picks := rd.pick(extractSentences, perPassageQuotes)
			for _, pk := range picks {
				got = got || pk.u == len(restating)
			}
			if got != tc.want {
				t.Errorf("quoted the answer sentence: %v, want %v (picks %v)", got, tc.want, picks)
			}
			if len(picks) > extractSentences {
				t.Errorf("%d quotes, at most %d allowed", len(picks), extractSentences)
			}
		})
	}
}

// TestPersonLike checks how much a name looks like a person's, which
// weighs the answers to a "who" question: people's names are not words of
// the dictionary, acronyms and capitalised ordinary words name
// organisations and events.
func TestPersonLike(t *testing.T) {
	eng, err := New(seedIndex(t, nil), Config{})
	if err != nil {
		t.Fatal(err)
	}
	like := eng.personLike()
	tests := []struct {
		name string
		want float64
	}{
		{"Alyona Bondarenko", 1},
		{"Antonio Lopez", 1},
		{"WTA", 0.5},
		{"Champions League", 0.5},
		{"Bank of England", 0.75},
		{"Gordon Brown", 0.75},
	}
	for _, tc := range tests {
		if got := like(tc.name); got != tc.want {
			t.Errorf("personLike(%q) = %.2f, want %.2f", tc.name, got, tc.want)
		}
	}
	for _, q := range []string{"who did sania mirza beat in the final?", "which player scored?", "whose car was it?"} {
		if askTypeOf(q) != askPerson || !asksPerson(q) {
			t.Errorf("%q: type %v, person %v: want a question for a person", q, askTypeOf(q), asksPerson(q))
		}
	}
	for _, q := range []string{"which company installed the lifts?", "which band played first?"} {
		if askTypeOf(q) != askPerson || asksPerson(q) {
			t.Errorf("%q: type %v, person %v: want a question for an organisation", q, askTypeOf(q), asksPerson(q))
		}
	}
}

// TestQuestionClause checks which part of a question asks, when the rest
// describes the story it is about.
func TestQuestionClause(t *testing.T) {
	tests := []struct{ question, want string }{
		{"the nebraska guy selling ad space on his forehead on ebay - what's he going to spend the money on?", "what's he going to spend the money on"},
		{"some australian gamer spent $26,500 on an island that only exists in a game - which game?", "which game"},
		{"when the minimum wage rise to £5.05 came out, what did michael howard suggest the tories might do?", "what did michael howard suggest the tories might do"},
		{"what's the new york studio where lennon spent his last hours called? heard it's shutting", "what's the new york studio where lennon spent his last hours called"},
		{"the ex-KGB guy who spied for MI6 - what does he want?", "what does he want"},
		{"İSTANBUL'DAKİ the ex-KGB guy - what does he want?", "what does he want"},
		{"who is the chief executive of BP?", ""},
		{"when's the auction with charlie parker's sax?", ""},
		{"how many texts did people in the UK send in 2004?", ""},
		{"Kuznetsova - what drug?", ""}, // the rest is too short to be a description
	}
	for _, tc := range tests {
		if got := questionClause(tc.question); got != tc.want {
			t.Errorf("questionClause(%q) = %q, want %q", tc.question, got, tc.want)
		}
	}
}

// TestDescriptionFindsAsksDoesNot checks that in a question typed as a
// description of the story and then the question ("the guy who ... - what
// is he going to spend the money on?"), the answer is what the asking
// clause wants, not the sentences that repeat the description.
func TestDescriptionFindsAsksDoesNot(t *testing.T) {
	eng, err := New(seedIndex(t, map[string]string{"forehead.txt": "Man auctions ad space on forehead\n\n" +
		"A 20-year-old man from Tallowmere is selling advertising space on his forehead to the highest bidder on an auction website.\n\n" +
		"Brannock Ferris, from Tallowmere, said the winner of the auction would have a temporary logo painted on his forehead for thirty days. " +
		"The bidding on the forehead advertising space has reached several thousand pounds so far. " +
		"He said he would use the money to pay for college, where he plans to study furniture design.\n"}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Answer(context.Background(), Question{Text: "the tallowmere guy selling advertising space on his forehead on an auction site - what's he going to spend the money on?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Declined || !strings.Contains(res.Text, "pay for college") {
		t.Errorf("declined=%v, want the sentence on what the money is for:\n%s", res.Declined, res.Text)
	}
}

// TestHedged checks which amounts are expected rather than reported.
func TestHedged(t *testing.T) {
	tests := []struct {
		sentence string
		want     bool
	}{
		{"A saxophone is expected to fetch up to $1m at an auction next month.", true},
		{"The council said the scheme would cost £3m.", true},
		{"Ministers hope to raise £2bn from the sale.", true},
		{"An estimated 10,000 people died in the floods.", false},
		{"The deal, valued at $2bn, was signed on Friday.", false},
		{"Henry set up two goals and scored a third.", false},
		{"The guitar sold for $1.6m on Friday.", false},
	}
	for _, tc := range tests {
		sp := findSpans(tc.sentence, askNumber)
		if len(sp) == 0 {
			sp = findSpans(tc.sentence, askMoney)
		}
		if len(sp) == 0 {
			t.Fatalf("%q: no amount found", tc.sentence)
		}
		if got := hedged(tc.sentence, sp[0].start); got != tc.want {
			t.Errorf("hedged(%q) = %v, want %v", tc.sentence, got, tc.want)
		}
	}
}

// FuzzQuestionClause checks that finding the asking clause of any text
// never fails and returns a part of the question.
func FuzzQuestionClause(f *testing.F) {
	for _, s := range []string{"the nebraska guy - what's he going to spend the money on?", "İSTANBUL - who is it?", "when the x came out, what did y say?", "¿qué?", "- - ?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		c := questionClause(q)
		if c != "" && !strings.Contains(strings.ToLower(q), c) {
			t.Errorf("questionClause(%q) = %q, not part of the question", q, c)
		}
		_ = askTypeOf(q)
		_ = withoutAskForm(q)
	})
}

func TestWhoDidTheAskedThing(t *testing.T) {
	archive := "Lost campus film found\n\n" +
		"Archivists in Ohio have found a 1968 promotional film in which a young Rex Holloway plays a rejected student. " +
		"\"It's incredible,\" said state archivist Jody Marsh, who found the reel in a basement.\n"
	tests := []struct {
		name, story, question, want string
	}{
		{"said by the verb", archive + "\nThe film was directed by Ana Kowalczyk, then a lecturer.\n", "who directed the 1968 campus promo film that rex holloway acted in?", "Ana Kowalczyk"},
		{"said by a derivation", archive + "\nIts director, Ana Kowalczyk, was then a lecturer.\n", "who directed the 1968 campus promo film that rex holloway acted in?", "Ana Kowalczyk"},
		{"another verb, another person", archive + "\nThe film was directed by Ana Kowalczyk, then a lecturer.\n", "who found the 1968 film rex holloway acted in?", "Jody Marsh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, err := New(seedIndex(t, map[string]string{"film.txt": tt.story}), Config{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := eng.Answer(context.Background(), Question{Text: tt.question}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Declined || !strings.Contains(res.Text, tt.want) {
				t.Errorf("declined=%v, want %q quoted: %s", res.Declined, tt.want, res.Text)
			}
		})
	}
}

func TestAskedRelation(t *testing.T) {
	for q, want := range map[string]string{
		"who directed the film?":                       "directed",
		"who actually scored in her last game?":        "scored",
		"the film jim morrison was in - who made it?":  "",
		"who is the new coach?":                        "",
		"who's the new coach?":                         "",
		"who did sania mirza beat in the final?":       "",
		"the guy who spied for the kgb - who was he?":  "",
		"what did the bloke who chucked manure shout?": "",
	} {
		if got := askedRelation(q); got != want {
			t.Errorf("askedRelation(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestAskTypeOf(t *testing.T) {
	tests := []struct {
		question string
		want     answerType
	}{
		{"how much is universal paying jay-z to run def jam?", askMoney},
		{"how much did the sax go for?", askMoney},
		{"did the airline win damages over the visit, and how much?", askMoney},
		{"what was dustin hoffman's fee for the film?", askMoney},
		{"what's the asking price for the club?", askMoney},
		{"how much did the shares rise?", askNumber},
		{"how many votes did he get?", askNumber},
		{"what odds did william hill give the novel?", askNumber},
		{"five sent out fake dossiers - what was five's excuse?", askQuote},
		{"what was the name of the student?", askName},
		{"when did marley die?", askDate},
		{"why did the projects stop?", askReason},
		{"how old is margaret hassan?", askAge},
		{"who directed the film?", askPerson},
	}
	for _, tc := range tests {
		if got := askTypeOf(tc.question); got != tc.want {
			t.Errorf("askTypeOf(%q) = %v, want %v", tc.question, got, tc.want)
		}
	}
}

func TestCountIsNoShareNorYear(t *testing.T) {
	words := func(w string) []string { return []string{strings.ToLower(w)} }
	tests := []struct {
		question, sentence string
		want               []string // the number spans left, in order
	}{
		{"how many votes did he get?", "UKIP won 31% of the vote in Erewash, or 12,000 votes.", []string{"12,000"}},
		{"how many votes did he get?", "He won 40 per cent of the vote.", nil},
		{"how many people work there?", "Citigroup sold it for $11.5bn (£6.1bn); it employs 12,000 people.", []string{"12,000"}},
		{"what percentage of the vote did he get?", "He won 40 per cent of the vote.", []string{"40 per cent"}},
		{"how many votes did he get?", "Until 1997, the seat had been held by the Tories since 1970.", nil},
		{"how many jobs will go?", "The firm will cut 1,998 jobs from 2006.", []string{"1,998"}},
	}
	for _, tc := range tests {
		c := findCandidates(tc.sentence, askTypeOf(tc.question), nil, false, asksCount(tc.question), words)
		var got []string
		for _, sp := range c.spans {
			got = append(got, strings.TrimRight(tc.sentence[sp.start:sp.end], ",."))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q in %q: spans %q, want %q", tc.question, tc.sentence, got, tc.want)
		}
	}
}

func TestReasonThatRepeatsTheQuestion(t *testing.T) {
	eng, err := New(seedIndex(t, map[string]string{
		"debate.txt": "No election TV debate, says Blair\n\n" +
			"Tony Blair has said he will not take part in a televised debate with his rivals before the election. " +
			"The prime minister said voters could see the leaders argue every week in the Commons.\n\n" +
			"In 1997 a debate between Mr Blair and John Major was also cancelled when a format could not be agreed. " +
			"Broadcasters have pressed for debates at every election.\n",
	}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Answer(context.Background(), Question{Text: "blair won't do a tv debate - why did the planned 1997 one with john major get called off?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Declined || !strings.Contains(res.Text, "a format could not be agreed") {
		t.Errorf("declined=%v (answer span %.2f), want the reason quoted: %s", res.Declined, res.Evidence.Answer, res.Text)
	}
}

func TestSpanShapes(t *testing.T) {
	tests := []struct {
		kind     answerType
		sentence string
		want     string // a span found
	}{
		{askDate, "The system inspectors use dates from the 1970s.", "the 1970s"},
		{askNumber, "William Hill has placed the novel as the 6/4 favourite to win.", "6/4"},
		{askDate, "Sales peaked in the late 1990s.", "the late 1990s"},
		{askReason, "Baywatch rose to the top of the list for having mind-numbingly predictable scripts.", "for having mind-numbingly predictable scripts"},
		{askReason, "An injury crisis in the Annadale Striders squad led to Donnelly being entered.", "An injury crisis in the Annadale Striders squad led to"},
		{askReason, "In 1997 a debate was also cancelled when a format could not be agreed.", "cancelled when a format could not be agreed"},
	}
	for _, tc := range tests {
		var got []string
		for _, sp := range findSpans(tc.sentence, tc.kind) {
			got = append(got, tc.sentence[sp.start:sp.end])
		}
		if !slices.Contains(got, tc.want) {
			t.Errorf("%v spans of %q: %q, want %q among them", tc.kind, tc.sentence, got, tc.want)
		}
	}
}

func TestDescriptionPicksTheStory(t *testing.T) {
	eng, err := New(seedIndex(t, map[string]string{
		"guild.txt": "Scorsese up for directors' award\n\n" +
			"Martin Scorsese and Clint Eastwood are among the nominees for the top prize at the Directors Guild of Great Britain awards. " +
			"The winners will be named at a ceremony in London next month.\n\n" +
			"American Beauty's Sam Mendes will receive a lifetime achievement award for his work in film and theatre.\n",
		"soaps.txt": "Soap stars honoured at TV awards\n\n" +
			"Coronation Street creator Tony Warren won a lifetime achievement award on Tuesday, and Emmerdale took the prize for best soap. " +
			"The lifetime achievement award was presented by Ken Morley.\n",
	}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Answer(context.Background(), Question{Text: "directors guild of great britain awards - who's getting the lifetime achievement award?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Declined || !strings.Contains(res.Text, "Sam Mendes") {
		t.Errorf("declined=%v, want Sam Mendes quoted: %s", res.Declined, res.Text)
	}
	if i, j := strings.Index(res.Text, "Sam Mendes"), strings.Index(res.Text, "Tony Warren"); j >= 0 && j < i {
		t.Errorf("the other story's winner is quoted first: %s", res.Text)
	}
}

func TestLooseReasonIsLessSpecific(t *testing.T) {
	spec := func(sentence, want string) float64 {
		for _, sp := range findSpans(sentence, askReason) {
			if strings.HasPrefix(sentence[sp.start:], want) {
				return sp.spec
			}
		}
		t.Fatalf("no reason span %q in %q", want, sentence)
		return 0
	}
	because := spec("The match was called off because the pitch was frozen.", "because")
	after := spec("The match was called off after a meeting on Sunday.", "after")
	if after >= because {
		t.Errorf("'after a meeting' spec %.2f, 'because the pitch was frozen' %.2f: want the loose reason less specific", after, because)
	}
}

func TestQuotationAboutTheTopic(t *testing.T) {
	words := func(w string) []string { return []string{strings.ToLower(strings.Trim(w, `",.`))} }
	q := map[string]float64{"referee": 1, "mcclaren": 1}
	score := func(sentence string) float64 {
		return findCandidates(sentence, askQuote, nil, false, false, words).best(q, 2, nil)
	}
	about := score(`"The referee had a poor game," said McClaren.`)
	other := score(`"It should have been more convincing," said McClaren.`)
	// The words inside a quotation say what it is about: asked what
	// McClaren said about the referee, the quote about the referee is
	// supported by both words, the other by his name alone.
	if about <= other {
		t.Errorf("quote about the referee %.2f, other quote %.2f: want the first higher", about, other)
	}
}
