package commands

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/bot/adapt"
	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/convstore"
	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/retrieval"
)

// recordingRetriever is the index as the answer engine's retriever,
// recording what retrieval is asked.
type recordingRetriever struct {
	*retrieval.Index
	mu      sync.Mutex
	queries []retrieval.Query
}

func (r *recordingRetriever) Search(ctx context.Context, q retrieval.Query) ([]retrieval.Result, error) {
	r.mu.Lock()
	r.queries = append(r.queries, q)
	r.mu.Unlock()
	return r.Index.Search(ctx, q)
}

func (r *recordingRetriever) all() []retrieval.Query {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.queries)
}

// conversationEnv is an env whose offline engine searches through a
// recording retriever, with conversations kept in a folder.
type conversationEnv struct {
	*env
	rec   *recordingRetriever
	store *convstore.Files
}

func newConversationEnv(t *testing.T, o envOptions) *conversationEnv {
	t.Helper()
	ce := &conversationEnv{}
	store, err := convstore.OpenFiles(filepath.Join(t.TempDir(), "conversations"), convstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ce.store = store
	adjust := o.config
	o.config = func(c *Config) {
		ce.rec = &recordingRetriever{Index: c.Searcher.(adapt.Index).Index}
		eng, err := answer.New(ce.rec, answer.Config{})
		if err != nil {
			t.Fatal(err)
		}
		c.Answerer = adapt.Engine{Engine: eng}
		c.Conversations = adapt.Conversations{Store: store}
		if adjust != nil {
			adjust(c)
		}
	}
	ce.env = newEnv(t, o)
	return ce
}

// lastQuery is what retrieval was last asked for the question q.
func (ce *conversationEnv) lastQuery(t *testing.T, q string) retrieval.Query {
	t.Helper()
	qs := ce.rec.all()
	for i := len(qs) - 1; i >= 0; i-- {
		if strings.HasPrefix(qs[i].Text, q) {
			return qs[i]
		}
	}
	t.Fatalf("retrieval was never asked %q; it was asked %v", q, qs)
	return retrieval.Query{}
}

// hasButton reports whether a message has a button with the custom ID.
func hasButton(m *discordgo.Message, id string) bool {
	for _, row := range m.Components {
		r, ok := row.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, c := range r.Components {
			if b, ok := c.(*discordgo.Button); ok && b.CustomID == id {
				return true
			}
		}
	}
	return false
}

// answerIn waits for a finished answer to q among a channel's messages.
func (e *env) answerIn(t *testing.T, channel, q string) *discordgo.Message {
	t.Helper()
	var found *discordgo.Message
	deadline := time.Now().Add(10 * time.Second)
	for found == nil {
		for _, m := range e.fake.ChannelMessages(channel) {
			if questionOf(m.Content) == q && answered(m) {
				found = m
			}
		}
		if found == nil && time.Now().After(deadline) {
			t.Fatalf("no answer to %q in channel %s: %+v", q, channel, e.fake.ChannelMessages(channel))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return found
}

// followUp presses Follow up on an answer, checks the modal it opens, and
// submits q in it, all over the gateway. Options adjust the press (InDM).
func (e *env) followUp(t *testing.T, on *discordgo.Message, q string, opts ...func(*discordgo.Interaction) *discordgo.Interaction) *discordgo.Interaction {
	t.Helper()
	if !hasButton(on, idFollowUp) {
		t.Fatalf("the answer has no Follow up button: %+v", on.Components)
	}
	press := fakediscord.ComponentInteraction(idFollowUp, on, member)
	for _, o := range opts {
		press = o(press)
	}
	if err := e.fake.DispatchInteraction(press); err != nil {
		t.Fatal(err)
	}
	var modal fakediscord.Modal
	waitFor(t, func() bool {
		var ok bool
		modal, ok = e.fake.OpenedModal(press.Token)
		return ok
	})
	if modal.CustomID != idFollowUp || len(modal.Inputs) != 1 || modal.Inputs[0].MaxLength != MaxQuestionRunes || !modal.Inputs[0].Required {
		t.Fatalf("modal = %+v", modal)
	}
	submit, err := e.fake.SubmitModal(press, member, map[string]string{modal.Inputs[0].CustomID: q})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.fake.DispatchInteraction(submit); err != nil {
		t.Fatal(err)
	}
	return submit
}

// TestFollowUpInThread: the Follow up button under an /ask answer opens a
// modal; the follow-up is answered in a thread started from the answer,
// named after its question; a second follow-up in that thread continues
// the conversation: its retrieval query carries the first question's
// words, preferring the article the first answer cited.
func TestFollowUpInThread(t *testing.T) {
	t.Parallel()
	e := newConversationEnv(t, envOptions{open: true})
	ask := fakediscord.CommandInteraction("ask", map[string]any{"question": inspectionsQ}, member)
	if err := e.fake.DispatchInteraction(ask); err != nil {
		t.Fatal(err)
	}
	first := e.waitResponse(ask, 5*time.Second, answered)
	cited := citationsOf(first)
	if len(cited) == 0 {
		t.Fatalf("the first answer cites nothing: %s", first.Content)
	}
	article := func(id string) string { p, _ := e.ix.Passage(id); return p.ArticleID }
	citedArticle := article(cited[0].ID)

	// First follow-up: a thread from the answer, named after its question.
	const q1 = "and who said that?"
	sub := e.followUp(t, first, q1)
	a1 := e.answerIn(t, first.ID, q1)
	th, ok := e.fake.Thread(first.ID)
	if !ok || th.Name != inspectionsQ || th.ParentID != fakediscord.ChannelID {
		t.Fatalf("thread = %+v, %v; want one from the answer named after its question", th, ok)
	}
	if d, ok := e.fake.AckLatency(sub.ID); !ok || d > 3*time.Second {
		t.Errorf("the submission was acknowledged after %v (%v)", d, ok)
	}
	asked := e.lastQuery(t, q1)
	if asked.Text == q1 || !slices.Equal(asked.Prefer, []string{citedArticle}) {
		t.Errorf("retrieval was asked %q preferring %v; want the first question's terms carried and %s preferred", asked.Text, asked.Prefer, citedArticle)
	}
	checkCitedAnswer(t, a1, q1, e.ix)
	if !hasButton(a1, idFollowUp) {
		t.Error("the answer in the thread has no Follow up button")
	}
	// Nothing more in the channel: the answer and its thread only.
	if ms := e.fake.ChannelMessages(fakediscord.ChannelID); len(ms) != 1 {
		t.Errorf("%d messages in the channel, want only the first answer", len(ms))
	}

	// Second follow-up, from the answer in the thread: the conversation
	// goes on there, with every earlier turn.
	const q2 = "what else did he say?"
	e.followUp(t, a1, q2)
	a2 := e.answerIn(t, first.ID, q2)
	asked = e.lastQuery(t, q2)
	carried := strings.TrimSpace(strings.TrimPrefix(asked.Text, q2))
	firstWords := strings.Fields(strings.ToLower(strings.Trim(inspectionsQ, "?")))
	var fromFirst []string
	for _, w := range strings.Fields(strings.ToLower(carried)) {
		if slices.Contains(firstWords, w) {
			fromFirst = append(fromFirst, w)
		}
	}
	if len(fromFirst) == 0 || !slices.Contains(asked.Prefer, citedArticle) {
		t.Errorf("the second follow-up's query %q (preferring %v) carries none of the first question's words", asked.Text, asked.Prefer)
	}
	if a2.ChannelID != first.ID || len(e.fake.Threads()) != 1 {
		t.Errorf("the second answer is in %s, threads %v; want it in the one thread", a2.ChannelID, e.fake.Threads())
	}
	turns, err := e.store.Turns(context.Background(), first.ID)
	if err != nil || len(turns) != 3 || turns[0].Question != inspectionsQ || turns[1].Question != q1 || turns[2].Question != q2 {
		t.Fatalf("the conversation kept %+v (%v), want the first answer and both follow-ups", turns, err)
	}
	if turns[1].Query != e.lastQuery(t, q1).Text || len(turns[0].Articles) == 0 {
		t.Errorf("turns keep no query or cited articles: %+v", turns)
	}

	// Follow up again from the answer in the channel: the same thread and
	// conversation, not a second thread.
	const q3 = "and what did the US House do?"
	e.followUp(t, first, q3)
	e.answerIn(t, first.ID, q3)
	if turns, _ := e.store.Turns(context.Background(), first.ID); len(turns) != 4 || len(e.fake.Threads()) != 1 {
		t.Errorf("%d turns, threads %v; want the fourth turn in the one thread", len(turns), e.fake.Threads())
	}
}

const inspectionsQ = "Will Iran allow inspections of its military sites?"

// TestFollowUpInDM: where there are no threads (a DM), the follow-up's
// answer follows the interaction, and the conversation goes on from it.
func TestFollowUpInDM(t *testing.T) {
	t.Parallel()
	e := newConversationEnv(t, envOptions{open: true})
	ask := fakediscord.InDM(fakediscord.CommandInteraction("ask", map[string]any{"question": inspectionsQ}, member))
	if err := e.fake.DispatchInteraction(ask); err != nil {
		t.Fatal(err)
	}
	first := e.waitResponse(ask, 5*time.Second, answered)
	const q1 = "and who said that?"
	sub := e.followUp(t, first, q1, fakediscord.InDM)
	var a1 *discordgo.Message
	waitFor(t, func() bool {
		fs := e.fake.Followups(sub.Token)
		if len(fs) > 0 && answered(fs[0]) {
			a1 = fs[0]
		}
		return a1 != nil
	})
	if questionOf(a1.Content) != q1 || isEphemeral(a1) || a1.ChannelID != ask.ChannelID || len(e.fake.Threads()) != 0 {
		t.Fatalf("answer %+v in %s, threads %v", a1, a1.ChannelID, e.fake.Threads())
	}
	if turns, _ := e.store.Turns(context.Background(), a1.ID); len(turns) != 2 {
		t.Fatalf("the conversation under the answer has %d turns, want 2", len(turns))
	}
	const q2 = "what else did he say?"
	sub2 := e.followUp(t, a1, q2, fakediscord.InDM)
	waitFor(t, func() bool {
		fs := e.fake.Followups(sub2.Token)
		return len(fs) > 0 && answered(fs[0])
	})
	a2 := e.fake.Followups(sub2.Token)[0]
	if turns, _ := e.store.Turns(context.Background(), a2.ID); len(turns) != 3 {
		t.Errorf("the conversation under the second answer has %d turns, want 3", len(turns))
	}
}

// TestFollowUpWithoutThreadPermission: where Discord refuses a thread (the
// bot may not start one), the follow-up is answered under the button
// instead of failing.
func TestFollowUpWithoutThreadPermission(t *testing.T) {
	t.Parallel()
	e := newConversationEnv(t, envOptions{open: true})
	ask := fakediscord.CommandInteraction("ask", map[string]any{"question": inspectionsQ}, member)
	if err := e.fake.DispatchInteraction(ask); err != nil {
		t.Fatal(err)
	}
	first := e.waitResponse(ask, 5*time.Second, answered)
	e.fake.FailNext("POST /channels/"+fakediscord.ChannelID+"/messages/"+first.ID+"/threads", 1, 403)
	sub := e.followUp(t, first, "and who said that?")
	waitFor(t, func() bool {
		fs := e.fake.Followups(sub.Token)
		return len(fs) > 0 && answered(fs[0]) && !isEphemeral(fs[0])
	})
	if len(e.fake.Threads()) != 0 {
		t.Errorf("threads %v after the refusal", e.fake.Threads())
	}
}

// TestFollowUpButtonsThrottled: the Follow up button and its modal count
// against the per-user rate of an answer's buttons, and a refusal is the
// first, private response.
func TestFollowUpButtonsThrottled(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	e := newConversationEnv(t, envOptions{config: func(c *Config) {
		c.Cooldown = DefaultCooldown
		c.Now = func() time.Time { return now }
	}})
	msg := toMessage(renderAnswer(inspectionsQ, seam.Answer{Text: "No [1].", Citations: []seam.Citation{{N: 1, Passage: seam.Passage{ID: "000_e22c96a855d117b2#1", Title: "T"}}}})[0])
	msg.ChannelID = fakediscord.ChannelID
	burst := rateOf("ask:buttons").burst
	var opener *discordgo.Interaction
	for n := 1; n <= burst+1; n++ {
		i := fakediscord.ComponentInteraction(idFollowUp, msg, member)
		e.handle(i)
		if n == 1 {
			opener = i
		}
		_, opened := e.fake.OpenedModal(i.Token)
		if n <= burst && !opened {
			t.Fatalf("press %d: no modal", n)
		}
		if n > burst {
			if opened {
				t.Fatalf("press %d opened a modal past the rate", n)
			}
			if r := e.response(i); !isEphemeral(r) || !strings.Contains(r.Content, "slow down") && !strings.Contains(r.Content, "quickly") {
				t.Errorf("press %d: %+v, want a private refusal", n, r)
			}
		}
	}
	// The modal's submission takes a token too: none left.
	sub, err := e.fake.SubmitModal(opener, member, map[string]string{idFollowUpInput: "and who said that?"})
	if err != nil {
		t.Fatal(err)
	}
	e.handle(sub)
	if r := e.response(sub); !isEphemeral(r) || len(e.fake.Threads()) != 0 {
		t.Errorf("submission past the rate: %+v, threads %v; want a private refusal", r, e.fake.Threads())
	}
	if n := len(e.rec.all()); n != 0 {
		t.Errorf("retrieval was asked %d times past the rate", n)
	}
}

// TestThreadMessagesWithMentions: with the Message Content intent, a plain
// message in the bot's conversation thread is a follow-up too, answered
// there as a reply, after the thread's turns; messages elsewhere are not.
func TestThreadMessagesWithMentions(t *testing.T) {
	t.Parallel()
	e := newConversationEnv(t, envOptions{open: true, config: func(c *Config) { c.Mentions = true }})
	ask := fakediscord.CommandInteraction("ask", map[string]any{"question": inspectionsQ}, member)
	if err := e.fake.DispatchInteraction(ask); err != nil {
		t.Fatal(err)
	}
	first := e.waitResponse(ask, 5*time.Second, answered)
	e.followUp(t, first, "and who said that?")
	e.answerIn(t, first.ID, "and who said that?")

	user := &discordgo.User{ID: "42", Username: "carol"}
	const q = "what else did he say?"
	if err := e.fake.DispatchMessage(&discordgo.Message{ChannelID: first.ID, Content: q, Author: user}); err != nil {
		t.Fatal(err)
	}
	a := e.answerIn(t, first.ID, q)
	if a.MessageReference == nil || a.Type != discordgo.MessageTypeReply {
		t.Errorf("the answer is not a reply: %+v", a)
	}
	asked := e.lastQuery(t, q)
	if asked.Text == q || len(asked.Prefer) == 0 {
		t.Errorf("retrieval was asked %q preferring %v: nothing carried", asked.Text, asked.Prefer)
	}
	if turns, _ := e.store.Turns(context.Background(), first.ID); len(turns) != 3 {
		t.Errorf("the thread's conversation has %d turns, want 3", len(turns))
	}
	// A plain message in the channel is no follow-up.
	before := len(e.rec.all())
	if err := e.fake.DispatchMessage(&discordgo.Message{Content: "what else did he say?", Author: user}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(e.rec.all()); n != before {
		t.Errorf("a plain message in the channel was answered (%d searches, want %d)", n, before)
	}
}

func TestBoundTurns(t *testing.T) {
	turns := []seam.Turn{
		{Question: "q1", Answer: strings.Repeat("a", 3000)},
		{Question: "q2", Answer: strings.Repeat("b", 3000)},
		{Question: "q3", Answer: "c"},
	}
	tests := []struct {
		name              string
		maxTurns, maxToks int
		want              []string // questions kept
		wantAnswer        int      // bytes of the last kept answer
	}{
		{"all fit", 6, 2000, []string{"q1", "q2", "q3"}, 1},
		{"turns cap", 2, 2000, []string{"q2", "q3"}, 1},
		{"tokens drop the oldest", 6, 1000, []string{"q2", "q3"}, 1},
		{"the last alone is cut", 1, 1, []string{"q3"}, 1},
	}
	for _, tt := range tests {
		got := boundTurns(turns, tt.maxTurns, tt.maxToks)
		var qs []string
		for _, t := range got {
			qs = append(qs, t.Question)
		}
		if !slices.Equal(qs, tt.want) || len(got[len(got)-1].Answer) != tt.wantAnswer {
			t.Errorf("%s: kept %v, last answer %d bytes", tt.name, qs, len(got[len(got)-1].Answer))
		}
	}
	long := boundTurns([]seam.Turn{{Question: "q", Answer: strings.Repeat("é", 5000)}}, 6, 100)
	if n := len(long[0].Question) + len(long[0].Answer); n > 400 || !strings.HasPrefix(long[0].Answer, "é") {
		t.Errorf("a long last answer is kept at %d bytes", n)
	}
}

func TestThreadName(t *testing.T) {
	for in, want := range map[string]string{
		"Will Iran allow inspections?":   "Will Iran allow inspections?",
		"@everyone look\nhere":           "@\u200beveryone look here",
		strings.Repeat("word ", 40):      strings.TrimSpace(strings.Repeat("word ", 19)) + "…",
		" \u200b ":                       "Follow-up",
		"ping <@123> and **bold** text?": "ping <@\u200b123> and **bold** text?",
	} {
		got := threadName(in)
		if got != want || width(got) > maxThreadName {
			t.Errorf("threadName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFollowUpOverHTTP: over the HTTP interactions endpoint the modal is
// the response body to the button, the deferred update the body to the
// submission, and the answer lands in the thread as over the gateway.
func TestFollowUpOverHTTP(t *testing.T) {
	t.Parallel()
	e := newConversationEnv(t, envOptions{})
	ask := fakediscord.CommandInteraction("ask", map[string]any{"question": inspectionsQ}, member)
	e.fake.Track(ask)
	var got []*discordgo.InteractionResponse
	if err := e.router.HandleHTTP(ctxFor(t, 3*time.Second), e.ds, ask, relayTo(e.env, ask, &got)); err != nil {
		t.Fatal(err)
	}
	first := e.waitResponse(ask, 5*time.Second, answered)
	press := fakediscord.ComponentInteraction(idFollowUp, first, member)
	e.fake.Track(press)
	got = nil
	if err := e.router.HandleHTTP(ctxFor(t, 3*time.Second), e.ds, press, relayTo(e.env, press, &got)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Type != discordgo.InteractionResponseModal {
		t.Fatalf("responses to the button %+v, want the modal", got)
	}
	sub, err := e.fake.SubmitModal(press, member, map[string]string{idFollowUpInput: "and who said that?"})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Track(sub)
	got = nil
	if err := e.router.HandleHTTP(ctxFor(t, 3*time.Second), e.ds, sub, relayTo(e.env, sub, &got)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Type != discordgo.InteractionResponseDeferredMessageUpdate {
		t.Fatalf("responses to the submission %+v, want a deferred update", got)
	}
	e.answerIn(t, first.ID, "and who said that?")
}
