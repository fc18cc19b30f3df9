package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

// Follow-ups, the Discord way: every answer has a Follow up button, which
// opens a modal (a text input; no privileged intent needed). The follow-up
// is answered in a thread started from the answer message, named after
// its question, created on first use; later follow-ups in that thread
// (the button under an answer in it, or with the Message Content intent a
// plain message, see mention.go) continue the conversation. Where there
// can be no thread (a DM, a channel without the permission) the answer
// follows the interaction instead, and the conversation goes on from that
// answer message.
//
// A conversation is its turns (question, answer, the query retrieval was
// asked, the passages cited), kept by the Conversations store under the
// thread's ID, or inline under the answer message's ID; the store forgets
// it after an idle time. A conversation the store doesn't have (its first
// follow-up, or one idle too long) starts from the answer the button sits
// on, read back from the message as the other buttons do.

// Custom IDs of the Follow up button, of its modal and of the modal's text
// input. The button and the modal route to the ask command ("ask:..."), so
// the router's rate for the answer's buttons covers both.
const (
	idFollowUp        = "ask:followup"
	idFollowUpInput   = "question"
	followUpModalName = "Follow-up question"
)

// Defaults of the conversation bounds (Config).
const (
	DefaultConversationTurns  = 6
	DefaultConversationTokens = 1500
)

// threadArchiveMinutes is how long a follow-up thread stays open without
// messages before Discord archives it: a day.
const threadArchiveMinutes = 1440

// followUpButton is the Follow up button under an answer.
func followUpButton() discordgo.MessageComponent {
	return discordgo.Button{Label: "Follow up", Style: discordgo.PrimaryButton, CustomID: idFollowUp}
}

// followUp handles the Follow up button (it opens the modal) and the
// modal's submission (it answers).
func (r *Router) followUp(ctx context.Context, x *exchange) error {
	if x.i.Type == discordgo.InteractionModalSubmit {
		return r.submitFollowUp(ctx, x)
	}
	if x.i.Message == nil || questionOf(x.i.Message.Content) == "" {
		return userErrorf("That button no longer works; ask again with /ask.")
	}
	return x.ack(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseModal,
		Data: followUpModal(),
	}, false)
}

// followUpModal is the modal the Follow up button opens: one paragraph
// input, as long as a question may be.
func followUpModal() *discordgo.InteractionResponseData {
	return &discordgo.InteractionResponseData{
		CustomID: idFollowUp,
		Title:    followUpModalName,
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.TextInput{
				CustomID:    idFollowUpInput,
				Label:       "Your follow-up question",
				Style:       discordgo.TextInputParagraph,
				Placeholder: "e.g. And what did the US say?",
				Required:    true,
				MinLength:   1,
				MaxLength:   MaxQuestionRunes,
			},
		}}},
	}
}

// modalValue returns the value of a modal submission's text input.
func modalValue(i *discordgo.Interaction, id string) string {
	if i.Type != discordgo.InteractionModalSubmit {
		return ""
	}
	for _, c := range i.ModalSubmitData().Components {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, rc := range row.Components {
			if in, ok := rc.(*discordgo.TextInput); ok && in.CustomID == id {
				return in.Value
			}
		}
	}
	return ""
}

// submitFollowUp answers a follow-up question from the modal: fair use as
// for /ask (an immediate private refusal), a deferred update of the
// message the button sat on (nothing shows in the channel), then the
// answer in the conversation's thread, streamed.
func (r *Router) submitFollowUp(ctx context.Context, x *exchange) error {
	q, err := SanitizeQuestion(modalValue(x.i, idFollowUpInput))
	if err != nil {
		return err
	}
	if x.i.Message == nil {
		return userErrorf("I can't find the answer you are following up; ask again with /ask.")
	}
	tk, err := r.admitAndQueue(ctx, x, func(ctx context.Context) error { return x.deferUpdate(ctx) })
	if tk == nil {
		return err
	}
	defer tk.release()
	v, turns, err := r.followUpVenue(ctx, x)
	if err != nil {
		return err
	}
	x.trace.set(slog.String("venue", v.kind()), slog.Int("history_turns", len(turns)))
	first, err := v.open(ctx, x.trace, q)
	if err != nil {
		return err
	}
	return r.answerIn(ctx, x.trace, v, first, q, turns, tk.release)
}

// venue is where a follow-up's answer goes: bot messages in a channel
// (the conversation's thread; for a mention, the channel it came from), or,
// where there is no thread, follow-up messages of the interaction.
type venue struct {
	s *discordgo.Session
	// channel is where the answer is posted as bot messages; "" inline.
	channel string
	x       *exchange // inline: the interaction the answer follows
	// ref makes the answer's first message a reply (to a mention).
	ref *discordgo.MessageReference
	// key is the conversation's key: the thread's ID; when empty, the
	// answer message's ID once it is sent (the conversation goes on from
	// it).
	key string
	// stored is set when the turns came from the store under key, so that
	// only the new turn is added to them.
	stored bool
}

func (v *venue) kind() string {
	switch {
	case v.channel == "":
		return "inline"
	case v.key == v.channel:
		return "thread"
	}
	return "channel"
}

// send posts a message of the answer; ref makes the first a reply to the
// message that asked.
func (v *venue) send(ctx context.Context, m message) (*discordgo.Message, error) {
	if v.channel == "" {
		sent, err := v.x.wh.followup(ctx, m.webhookParams())
		if err != nil {
			return nil, fmt.Errorf("follow-up: %w", err)
		}
		return sent, nil
	}
	ctx, cancel := context.WithTimeout(ctx, channelCallTimeout)
	defer cancel()
	ref := v.ref
	v.ref = nil
	sent, err := v.s.ChannelMessageSendComplex(v.channel, m.messageSend(ref), discordgo.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("post the answer: %w", err)
	}
	return sent, nil
}

// edit replaces a message of the answer.
func (v *venue) edit(ctx context.Context, id string, m message) error {
	if v.channel == "" {
		if err := v.x.wh.editMessage(ctx, id, m.webhookEdit()); err != nil {
			return fmt.Errorf("edit follow-up: %w", err)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, channelCallTimeout)
	defer cancel()
	if _, err := v.s.ChannelMessageEditComplex(m.messageEdit(v.channel, id), discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("edit the answer: %w", err)
	}
	return nil
}

// followUpVenue finds where the follow-up from the button's answer goes,
// and the conversation so far:
//
//   - in a thread whose conversation the store has: there, after its
//     turns;
//   - on an answer in a channel: in the thread started from it (created
//     now, named after its question, or already there), after the
//     thread's turns, or the answer read back from the message;
//   - in a thread the store has forgotten: there, after the answer the
//     button sits on;
//   - where there can be no thread (a DM; a channel where the bot may not
//     start one): inline, after the turns kept under the answer's ID, or
//     that answer.
func (r *Router) followUpVenue(ctx context.Context, x *exchange) (*venue, []seam.Turn, error) {
	msg := x.i.Message
	channel := x.i.ChannelID
	if turns := r.conversation(ctx, x.trace, channel); len(turns) > 0 {
		return &venue{s: x.s, channel: channel, key: channel, stored: true}, turns, nil
	}
	seed := r.turnOf(msg)
	inline := func() (*venue, []seam.Turn, error) {
		if turns := r.conversation(ctx, x.trace, msg.ID); len(turns) > 0 {
			return &venue{s: x.s, x: x}, turns, nil
		}
		return &venue{s: x.s, x: x}, []seam.Turn{seed}, nil
	}
	if x.i.GuildID == "" {
		return inline()
	}
	thread, err := r.startThread(ctx, x.s, channel, msg.ID, seed.Question)
	var re *discordgo.RESTError
	switch {
	case err == nil:
		x.trace.set(slog.Bool("thread_started", true))
		return &venue{s: x.s, channel: thread, key: thread}, []seam.Turn{seed}, nil
	case errors.As(err, &re) && re.Message != nil && re.Message.Code == discordgo.ErrCodeThreadAlreadyCreatedForThisMessage:
		// Started by an earlier follow-up: the thread has the message's
		// ID.
		if turns := r.conversation(ctx, x.trace, msg.ID); len(turns) > 0 {
			return &venue{s: x.s, channel: msg.ID, key: msg.ID, stored: true}, turns, nil
		}
		return &venue{s: x.s, channel: msg.ID, key: msg.ID}, []seam.Turn{seed}, nil
	case errors.As(err, &re) && re.Message != nil && re.Message.Code == discordgo.ErrCodeCannotExecuteActionOnThisChannelType:
		// No thread starts here: in a thread already (whose conversation
		// was forgotten), or in a channel without threads.
		if isThread(ctx, x.s, channel) {
			return &venue{s: x.s, channel: channel, key: channel}, []seam.Turn{seed}, nil
		}
		x.trace.set(slog.String("thread_err", shortError(err)))
		return inline()
	case errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == 403 || re.Response.StatusCode == 404):
		// No permission to start threads here (or to see the channel):
		// answer where the button is.
		x.trace.set(slog.String("thread_err", shortError(err)))
		return inline()
	}
	return nil, nil, err
}

// startThread starts a public thread from a message, named after the
// question it answers, and returns its ID.
func (r *Router) startThread(ctx context.Context, s *discordgo.Session, channel, messageID, question string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, channelCallTimeout)
	defer cancel()
	th, err := s.MessageThreadStartComplex(channel, messageID, &discordgo.ThreadStart{
		Name:                threadName(question),
		AutoArchiveDuration: threadArchiveMinutes,
	}, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("start a thread: %w", err)
	}
	r.threads.remember(th.ID)
	return th.ID, nil
}

// isThread reports whether a channel is a thread, asking Discord.
func isThread(ctx context.Context, s *discordgo.Session, channel string) bool {
	ctx, cancel := context.WithTimeout(ctx, channelCallTimeout)
	defer cancel()
	ch, err := s.Channel(channel, discordgo.WithContext(ctx))
	return err == nil && ch.IsThread()
}

// maxThreadName is Discord's limit on a thread's name.
const maxThreadName = 100

// threadName names a follow-up thread after the question it started from:
// one line, at most 100 characters, shown as written (a thread's name is
// plain text, like a footer).
func threadName(question string) string {
	visible := strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, oneLine(question))
	name := clip(neutraliseFooter(visible), maxThreadName)
	if strings.TrimSpace(name) == "" {
		return "Follow-up"
	}
	return name
}

func shortError(err error) string {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return fmt.Sprintf("%d %s", re.Message.Code, re.Message.Message)
	}
	return err.Error()
}

// open posts the answer's first message in v: the question, and
// "Thinking…" until the answer replaces it.
func (v *venue) open(ctx context.Context, tr *trace, q string) (*discordgo.Message, error) {
	first, err := v.send(ctx, message{Content: quoteQuestion(q) + "\n\nThinking…"})
	tr.stage("ack", time.Since(tr.start))
	return first, err
}

// answerIn answers q into first, v's first message, after turns (bounded
// to what the model may be shown), streaming it, then sends the rest of a
// long answer. A follow-up (turns before it) becomes a turn of its
// conversation, kept before the answer shows whole; when answering fails,
// first says so.
func (r *Router) answerIn(ctx context.Context, tr *trace, v *venue, first *discordgo.Message, q string, turns []seam.Turn, generated func()) error {
	edit := func(ctx context.Context, m message) error { return v.edit(ctx, first.ID, m) }
	question := seam.Question{Text: q, History: boundTurns(turns, r.cfg.ConversationTurns, r.cfg.ConversationTokens)}
	var kept func(seam.Answer)
	if len(turns) > 0 {
		kept = func(res seam.Answer) {
			turn := r.turnOfAnswer(q, res)
			key, add := v.key, []seam.Turn{turn}
			if !v.stored {
				add = append(append([]seam.Turn(nil), turns...), turn)
			}
			if key == "" {
				key = first.ID
			}
			r.keep(ctx, tr, key, add)
		}
	}
	msgs, _, err := r.answerInto(ctx, tr, question, edit, generated, kept)
	if err != nil {
		if editErr := edit(ctx, message{Content: userText(err, r.supported)}); editErr != nil {
			tr.fail(editErr)
		}
		return err
	}
	for _, m := range msgs[1:] {
		if _, err := v.send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// conversation returns the stored turns of a conversation; none without a
// store, or when it fails (noted in tr's log line, or logged when tr is
// nil: the follow-up is then answered from the message alone).
func (r *Router) conversation(ctx context.Context, tr *trace, key string) []seam.Turn {
	if r.cfg.Conversations == nil || key == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, storeCallTimeout)
	defer cancel()
	turns, err := r.cfg.Conversations.Turns(ctx, key)
	if err != nil {
		if tr != nil {
			tr.set(slog.String("conversation_err", err.Error()))
		} else {
			r.log.Warn("read a conversation", "err", err)
		}
		return nil
	}
	if len(turns) > 0 {
		r.threads.remember(key)
	}
	return turns
}

// keep adds turns to a conversation; a failure is noted in the log line,
// not shown: the answer was given, only its memory is lost.
func (r *Router) keep(ctx context.Context, tr *trace, key string, turns []seam.Turn) {
	if r.cfg.Conversations == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, storeCallTimeout)
	defer cancel()
	if err := r.cfg.Conversations.Append(ctx, key, r.cfg.ConversationTurns, turns...); err != nil {
		tr.set(slog.String("conversation_err", err.Error()))
		return
	}
	r.threads.remember(key)
}

// storeCallTimeout bounds one call to the conversation store.
const storeCallTimeout = 5 * time.Second

// turnOf reads an answer message back as a conversation's turn: its
// question, answer and cited passages (their articles from the index).
func (r *Router) turnOf(m *discordgo.Message) seam.Turn {
	t := seam.Turn{Question: questionOf(m.Content), Answer: answerOf(m.Content)}
	for _, c := range citationsOf(m) {
		t.Passages = append(t.Passages, c.ID)
		if p, ok := r.cfg.Searcher.Passage(c.ID); ok && p.ArticleID != "" && !slices.Contains(t.Articles, p.ArticleID) {
			t.Articles = append(t.Articles, p.ArticleID)
		}
	}
	return t
}

// turnOfAnswer is a new answer as a conversation's turn.
func (r *Router) turnOfAnswer(q string, res seam.Answer) seam.Turn {
	t := seam.Turn{Question: q, Answer: res.Text, Query: res.Query}
	for _, c := range res.Citations {
		t.Passages = append(t.Passages, c.ID)
		if c.ArticleID != "" && !slices.Contains(t.Articles, c.ArticleID) {
			t.Articles = append(t.Articles, c.ArticleID)
		}
	}
	return t
}

// boundTurns is what of a conversation a follow-up is answered after: its
// last maxTurns turns, the oldest dropped (and, alone, the last answer
// cut) until questions and answers fit maxTokens, counted as four bytes a
// token as the engine counts.
func boundTurns(turns []seam.Turn, maxTurns, maxTokens int) []seam.Turn {
	if len(turns) > maxTurns {
		turns = turns[len(turns)-maxTurns:]
	}
	budget := 4 * maxTokens
	size := func(ts []seam.Turn) int {
		n := 0
		for _, t := range ts {
			n += len(t.Question) + len(t.Answer)
		}
		return n
	}
	for len(turns) > 1 && size(turns) > budget {
		turns = turns[1:]
	}
	out := append([]seam.Turn(nil), turns...)
	if len(out) == 1 && size(out) > budget {
		room := max(budget-len(out[0].Question), 0)
		out[0].Answer = truncateBytes(out[0].Answer, room)
	}
	return out
}

// truncateBytes cuts s to at most n bytes, at a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// threadSet remembers which channels hold a conversation, and for how
// long they were found not to, so that with the Message Content intent
// (mention.go) not every message in the server costs a store lookup. A
// channel found holding none is not asked about again for negativeTTL;
// one this process started or answered in is known at once.
type threadSet struct {
	// mu guards the maps.
	mu    sync.Mutex
	known map[string]bool      // channels known to hold a conversation
	not   map[string]time.Time // channels found holding none, until when
}

// negativeTTL is how long a channel found holding no conversation is not
// asked about again, and maxThreadSet how many channels are remembered.
const (
	negativeTTL  = 10 * time.Minute
	maxThreadSet = 8192
)

func newThreadSet() *threadSet {
	return &threadSet{known: map[string]bool{}, not: map[string]time.Time{}}
}

func (ts *threadSet) remember(id string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if len(ts.known) >= maxThreadSet {
		clear(ts.known)
	}
	ts.known[id] = true
	delete(ts.not, id)
}

// unknown reports whether id may hold a conversation the process doesn't
// know of, i.e. the store must be asked.
func (ts *threadSet) unknown(id string, now time.Time) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.known[id] {
		return true
	}
	until, ok := ts.not[id]
	return !ok || now.After(until)
}

func (ts *threadSet) forget(id string, now time.Time) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	delete(ts.known, id)
	if len(ts.not) >= maxThreadSet {
		for k, until := range ts.not {
			if now.After(until) {
				delete(ts.not, k)
			}
		}
		if len(ts.not) >= maxThreadSet {
			clear(ts.not)
		}
	}
	ts.not[id] = now.Add(negativeTTL)
}
