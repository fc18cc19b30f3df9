package answer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/fakeopenai"
	"github.com/newsbot/newsbot/retrieval"
)

func TestForeign(t *testing.T) {
	ix, err := retrieval.Open(retrieval.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q    string
		want bool
	}{
		{"Will Iran allow inspections of its military sites?", false},
		{"who did glenn hoddle take over from at wolves?", false},
		{"what did jazayeri say?", false},
		{"¿Permitirá Irán inspecciones de sus sitios militares?", true},
		{"Wird der Iran Inspektionen seiner Militärstandorte zulassen?", true},
		{"ایران اجازه بازرسی از سایت\u200cهای نظامی را می\u200cدهد؟", true},
		{"Иран разрешит инспекции?", true},
		{"Iran?", false},
	}
	for _, tc := range tests {
		if got := foreign(tc.q, ix.Analyze(tc.q)); got != tc.want {
			t.Errorf("foreign(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

// TestOfflineForeignQuestion checks that offline, a question in another
// language gets a message saying so rather than quotes or a decline that
// blames the articles.
func TestOfflineForeignQuestion(t *testing.T) {
	eng, err := New(seedIndex(t, nil), Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Answer(context.Background(), Question{Text: "¿Permitirá Irán inspecciones de sus sitios militares?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Declined || !strings.Contains(res.Text, "only read questions in English") || len(res.Citations) != 0 {
		t.Fatalf("declined=%v citations=%d text=%q", res.Declined, len(res.Citations), res.Text)
	}
}

// TestSoftEvidenceGoesToTheModel checks that a question the offline
// decision declines on soft evidence alone (low coverage: a paraphrase)
// reaches a configured model, which reads the passages itself; while a
// question with hard evidence against it (a year after the articles) is
// declined before the model either way.
func TestSoftEvidenceGoesToTheModel(t *testing.T) {
	ix := seedIndex(t, nil)
	const paraphrase = "Does Tehran permit foreign checks of its army bases?"
	strict := func(e *Engine) { e.model.Threshold = 1.01 } // soft evidence always says no

	offline, err := New(ix, Config{})
	if err != nil {
		t.Fatal(err)
	}
	strict(offline)
	res, err := offline.Answer(context.Background(), Question{Text: paraphrase}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Declined || hardReason(res.Evidence) != "" {
		t.Fatalf("offline: declined=%v hard=%q; the test needs a soft decline", res.Declined, hardReason(res.Evidence))
	}

	eng, srv, _ := modelEngine(t, ix, 2*time.Second)
	strict(eng)
	srv.QueueChat(fakeopenai.Response{Text: "According to Press TV, Iran will not allow inspections of its military sites [1]."})
	res, err = eng.Answer(context.Background(), Question{Text: paraphrase}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if srv.ChatCount() != 1 || res.Declined || res.Mode != ModeLLM {
		t.Fatalf("with a model: %d chat requests, declined=%v mode=%s; want the model to answer", srv.ChatCount(), res.Declined, res.Mode)
	}

	res, err = eng.Answer(context.Background(), Question{Text: "Who won the 2030 election in Iran?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Declined || srv.ChatCount() != 1 {
		t.Fatalf("hard evidence: declined=%v, %d chat requests; want a decline before the model", res.Declined, srv.ChatCount())
	}
}

// TestNoAnswerSpanDeclinesOffline checks that offline, a question asking
// for a kind of answer the articles don't hold near its words is declined
// even when its words are all there: the seeds report a vote count, not a
// sum of money.
func TestNoAnswerSpanDeclinesOffline(t *testing.T) {
	eng, err := New(seedIndex(t, nil), Config{})
	if err != nil {
		t.Fatal(err)
	}
	eng.model.Threshold = 0 // the soft model answers everything: only the rule declines
	res, err := eng.Answer(context.Background(), Question{Text: "How much money did the House sanctions act cost?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Evidence.Typed || res.Evidence.Answer != 0 || !res.Declined {
		t.Fatalf("typed=%v answer=%.2f declined=%v: %s", res.Evidence.Typed, res.Evidence.Answer, res.Declined, res.Text)
	}
	res, err = eng.Answer(context.Background(), Question{Text: "How many votes did the sanctions act get in the House?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Declined || res.Evidence.Answer == 0 {
		t.Fatalf("a count the articles hold: declined=%v answer=%.2f: %s", res.Declined, res.Evidence.Answer, res.Text)
	}
}

// TestCommonWordsASmallCorpusLacks checks that a few articles lacking a
// common English word ("think", "bases") is not taken for evidence that
// they don't cover the question, while an uncommon word they lack
// ("octopus") still is.
func TestCommonWordsASmallCorpusLacks(t *testing.T) {
	eng, err := New(seedIndex(t, nil), Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Answer(context.Background(), Question{Text: "What does Iran think about inspections of its bases?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Declined || !strings.Contains(res.Text, "inspection") {
		t.Errorf("a question in common words was declined: %s", res.Text)
	}
	res, err = eng.Answer(context.Background(), Question{Text: "How many hearts does an octopus have?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Declined {
		t.Errorf("a question about an octopus was answered: %s", res.Text)
	}
}

// TestAnswerSpanFromAnotherStory checks that the answer span the decline
// weighs is sought in the articles that cover the question, not in any
// article retrieved beside them: an obituary that gives no age is not
// answered from another one's "aged 61".
func TestAnswerSpanFromAnotherStory(t *testing.T) {
	eng, err := New(seedIndex(t, map[string]string{
		"pashley.txt": "Creator of the Quillpad dies\n\nOrrin Pashley, head of the team behind the first Quillpad computer, has died.\n\n" +
			"Mr Pashley joined the company in 1978 and led the design of its first machine, which used a mouse and a graphical desktop.\n",
		"tallis.txt": "Folk singer dies\n\nThe folk singer Mary Tallis has died aged 61 after a short illness, her family said.\n\n" +
			"She recorded eleven albums and toured for thirty years, and was the first to sing at the new festival hall when it opened.\n",
	}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	eng.model.Threshold = 0 // the soft model answers everything: only the rule declines
	res, err := eng.Answer(context.Background(), Question{Text: "how old was orrin pashley when he died?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Declined {
		t.Errorf("answered (answer span %.2f): %s", res.Evidence.Answer, res.Text)
	}
	res, err = eng.Answer(context.Background(), Question{Text: "how old was mary tallis when she died?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Declined || !strings.Contains(res.Text, "aged 61") {
		t.Errorf("the story that gives the age: declined=%v: %s", res.Declined, res.Text)
	}
}

// TestExpectedIsNotPaid checks that a question about what an amount came
// to ("how much did it go for") is not answered by what it was expected
// to come to, while the question about the estimate is, and so is the
// question when the article reports the sale.
func TestExpectedIsNotPaid(t *testing.T) {
	estimate := map[string]string{"guitar.txt": "Quarryman's guitar heads auction\n\n" +
		"A guitar belonging to the folk singer Elias Quarryman is expected to fetch up to $2m (£1.1m) at an auction of folk memorabilia next month.\n\n" +
		"The auction will also offer handwritten lyrics and a stage jacket.\n"}
	sold := map[string]string{"guitar.txt": "Quarryman's guitar sold\n\n" +
		"A guitar belonging to the folk singer Elias Quarryman went for $1.6m (£0.9m) at an auction of folk memorabilia on Friday.\n\n" +
		"The auction also sold handwritten lyrics and a stage jacket.\n"}
	tests := []struct {
		name     string
		articles map[string]string
		question string
		want     string // "" for a decline
	}{
		{"the price asked of an estimate", estimate, "how much did elias quarryman's guitar go for at the auction?", ""},
		{"the estimate asked of an estimate", estimate, "how much is elias quarryman's guitar expected to fetch at the auction?", "$2m"},
		{"the price asked of a sale", sold, "how much did elias quarryman's guitar go for at the auction?", "$1.6m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eng, err := New(seedIndex(t, tc.articles), Config{})
			if err != nil {
				t.Fatal(err)
			}
			eng.model.Threshold = 0 // the soft model answers everything: only the rule declines
			res, err := eng.Answer(context.Background(), Question{Text: tc.question}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" && !res.Declined {
				t.Errorf("answered (answer span %.2f): %s", res.Evidence.Answer, res.Text)
			}
			if tc.want != "" && (res.Declined || !strings.Contains(res.Text, tc.want)) {
				t.Errorf("declined=%v, want %q: %s", res.Declined, tc.want, res.Text)
			}
		})
	}
}

// TestWordSaidOtherwise checks that a question word the articles hold only
// as a derivation ("lobbyists" against "lobbies") is not evidence that they
// don't cover the question: it is neither unknown nor missing, which
// weighs toward declining (offline, on a larger corpus, enough to decline).
func TestWordSaidOtherwise(t *testing.T) {
	eng, err := New(seedIndex(t, map[string]string{"pensions.txt": "What the lobbies want from the election\n\n" +
		"Six leading lobbies set out what they want from the parties before the election.\n\n" +
		"The pensioners' lobby has called for the state pension to be raised from £79.60 to £105.45 a week.\n"}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Answer(context.Background(), Question{Text: "what state pension are the pensioner lobbyists asking for?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A word the articles lack would count 0.26 here, as unknown and as
	// missing; said otherwise it counts a fifth of that, and isn't named.
	ev := res.Evidence
	if res.Declined || !strings.Contains(res.Text, "£105.45") || ev.Unknown > 0.1 || ev.MissingSoft > 0.1 || len(ev.MissingWords) > 0 {
		t.Errorf("declined=%v (unknown %.2f, missing %.2f %v): %s", res.Declined, ev.Unknown, ev.MissingSoft, ev.MissingWords, res.Text)
	}
}

// TestAskFormIsNoContent checks that the words saying what kind of answer
// is asked ("how old", "what year") are not counted as words the articles
// must hold: the answer to "how old is she?" says "aged 61", not "old".
func TestAskFormIsNoContent(t *testing.T) {
	eng, err := New(seedIndex(t, map[string]string{"tallis.txt": "Folk singer leaves hospital\n\n" +
		"The folk singer Mary Tallis, 61, has left hospital after a short illness, her family said.\n\n" +
		"She recorded eleven albums and toured for thirty years.\n"}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Answer(context.Background(), Question{Text: "how old is mary tallis?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev := res.Evidence; ev.Words != 2 || ev.Window < 0.99 {
		t.Errorf("content words %d, window coverage %.2f: want mary and tallis, both in the window", ev.Words, ev.Window)
	}
	if res.Declined || !strings.Contains(res.Text, "61") {
		t.Errorf("declined=%v: %s", res.Declined, res.Text)
	}
}

// TestAnswerSpanInTheBestRankedArticle checks that the article retrieval
// ranks first is always read for the decline's answer span, even when
// another covers more of the question's words ("pulled in record crowds"
// covers "pull in" better than "earned" does).
func TestAnswerSpanInTheBestRankedArticle(t *testing.T) {
	ix := seedIndex(t, map[string]string{
		"earner.txt": "Quarryman crowned top folk earner\n\n" +
			"Elias Quarryman earned more than any other folk singer in 2004, taking $5.2m (£2.8m) from his tours and records, a magazine says.\n",
		"crowds.txt": "Festival crowds\n\n" +
			"In 2004 the Tallowmere festival pulled in record crowds for Quarryman's set, the organisers said.\n",
	})
	eng, err := New(ix, Config{})
	if err != nil {
		t.Fatal(err)
	}
	q := "how much did quarryman pull in during 2004?"
	ranked := []retrieval.Result{
		{Passage: ix.ArticlePassages("earner")[0], Coverage: 0.5},
		{Passage: ix.ArticlePassages("crowds")[0], Coverage: 0.9},
	}
	if rd := eng.read(q, q, nil, nil, ranked); rd.answer == 0 {
		t.Errorf("no answer span found in the best-ranked article %q", ranked[0].Text)
	}
}

// TestAskedYearInAnotherStory checks that a year asked about must be in an
// article about the question: one retrieved beside it that mentions the
// year doesn't make the question answerable.
func TestAskedYearInAnotherStory(t *testing.T) {
	eng, err := New(seedIndex(t, map[string]string{
		"twins.txt": "Quarryman twins buy newspaper group\n\n" +
			"The Quarryman twins have bought the Harbour Press newspaper group for £660m, the firm said on Friday.\n",
		"rebate.txt": "Rebate row\n\n" +
			"The rebate will be reviewed in 2013, ministers said, as the budget talks opened in the capital.\n",
	}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Answer(context.Background(), Question{Text: "what firm was purchased by the quarryman twins in 2013?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Declined || !strings.Contains(res.Text, "2013") {
		t.Errorf("declined=%v (missing year %q): %s", res.Declined, res.Evidence.MissingYear, res.Text)
	}
	res, err = eng.Answer(context.Background(), Question{Text: "what firm was purchased by the quarryman twins?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Declined || !strings.Contains(res.Text, "Harbour Press") {
		t.Errorf("without the year: declined=%v: %s", res.Declined, res.Text)
	}
}

func TestToldInOtherVerbs(t *testing.T) {
	eng, err := New(seedIndex(t, map[string]string{
		"slurry.txt": "MEP attacked with slurry\n\n" +
			"Euro MP Robert Quarrie has had a bucket of farm slurry thrown over him by a protester as he arrived at a shopping centre in Hertford. " +
			"The protester shouted \"traitor\" before running off, witnesses said.\n\n" +
			"Mr Quarrie said he was very angry and would press charges if his attacker was caught.\n",
	}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	evidence := func(q string) Evidence {
		res, err := eng.Answer(context.Background(), Question{Text: q}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.Evidence
	}
	// The story says "thrown": "chucked" is how the question tells it,
	// and counts for less than a thing the story never mentions.
	verb := evidence("what did the bloke who chucked slurry over quarrie shout at him?")
	thing := evidence("what did the bloke who threw an octopus over quarrie shout at him?")
	if slices.Contains(verb.MissingWords, "chucked") || !slices.Contains(thing.MissingWords, "octopus") {
		t.Errorf("missing words named: %q and %q, want only octopus", verb.MissingWords, thing.MissingWords)
	}
	if verb.MissingSoft >= thing.MissingSoft/2 {
		t.Errorf("missing share: chucked %.2f, octopus %.2f: want the verb form at most half", verb.MissingSoft, thing.MissingSoft)
	}
}

func TestInitialsAndSlangAreNoMissingName(t *testing.T) {
	eng, err := New(seedIndex(t, map[string]string{
		"rings.txt": "Rings musical promises no hobbits on stilts\n\n" +
			"The producer of the stage version of The Lord of the Rings has promised there will be no hobbits on stilts. " +
			"Kevin Wallace said the musical would open in Toronto next year.\n",
		"souness.txt": "Souness attacks Bellamy\n\n" +
			"Newcastle manager Graeme Souness has criticised striker Craig Bellamy, saying he averages only nine goals a season.\n",
	}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		question string
		missing  bool // hard evidence expected
	}{
		{"the producer of the lotr stage musical - what did he promise there won't be in it?", false},
		{"souness slagging off bellamy - how many goals a season did he say bellamy averages?", false},
		{"the producer of the lotr stage musical - what did kowalczyk promise?", true},
	}
	for _, tc := range tests {
		res, err := eng.Answer(context.Background(), Question{Text: tc.question}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(res.Evidence.Missing) > 0; got != tc.missing {
			t.Errorf("%q: missing %q, want hard evidence %v: %s", tc.question, res.Evidence.Missing, tc.missing, res.Text)
		}
	}
	for word, want := range map[string]bool{"lotr": true, "wmd": false, "lordr": false} {
		p := []retrieval.Result{{Passage: retrieval.Passage{Title: "Rings", Text: "The Lord of the Rings opens."}}}
		if got := initialsIn(word, p); got != want {
			t.Errorf("initialsIn(%q) = %v, want %v", word, got, want)
		}
	}
}

func TestNumbersTypedInShorthand(t *testing.T) {
	eng, err := New(seedIndex(t, map[string]string{
		"phones.txt": "Phone maker recalls handsets\n\n" +
			"Nokia is recalling its 7610 handset after a fault with the battery. " +
			"The firm paid £150,000 in compensation to customers, a spokesman said.\n",
	}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"whats wrong with the nokia 7610s?", "who got the 150k nokia paid out?"} {
		res, err := eng.Answer(context.Background(), Question{Text: q}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Evidence.Missing) > 0 {
			t.Errorf("%q: %q counted missing: %s", q, res.Evidence.Missing, res.Text)
		}
	}
}

func TestShortQuestionAboutANamedStory(t *testing.T) {
	stories := map[string]string{
		"ericsson.txt": "Ericsson sees earnings improve\n\n" +
			"Telecoms equipment supplier Ericsson has posted a rise in fourth quarter profits. " +
			"Chief executive Carl-Henric Svanberg said growth drivers of the industry remain solid.\n",
		"lock.txt": "Glasgow firm unveils solar bike lock\n\n" +
			"A Glasgow start-up has unveiled a bicycle lock that charges itself from the sun. " +
			"Brightlock, founded by engineer Morag Finlay, has raised £250,000 and employs 12 people.\n",
		"peru.txt": "Peru rejects mining tax\n\n" +
			"Peru has rejected a tax on its copper mines, its finance minister said on Sunday.\n",
	}
	// Enough other stories that a name one article holds is rare (at most
	// 1% of the passages).
	for i := range 120 {
		stories[fmt.Sprintf("other%03d.txt", i)] = fmt.Sprintf("Council report %d\n\nThe council published report number %d on local roads and parks on Monday.\n", i, i)
	}
	eng, err := New(seedIndex(t, stories), Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		question string
		declined bool
	}{
		// Two words, one of them not in the story: a question about the
		// story its headline names, asking for a person.
		{"who heads ericsson now?", false},
		// A name only one story holds, not in its headline.
		{"how many staff does brightlock have?", false},
		// General knowledge about a place a headline names: nothing the
		// story says.
		{"what's the main language in peru?", true},
	}
	for _, tc := range tests {
		res, err := eng.Answer(context.Background(), Question{Text: tc.question}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Declined != tc.declined {
			t.Errorf("%q: declined=%v, want %v: %s", tc.question, res.Declined, tc.declined, res.Text)
		}
	}
}
