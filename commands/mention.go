package commands

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

// HandleMessage answers a message that mentions the bot, in a channel or a
// thread, as /ask would: the answer is a reply to it. A follow-up needs no
// mention: a reply to one of the bot's answers continues the conversation
// that answer belongs to (its stored turns, or the answer itself), and so
// does a plain message in one of the bot's conversation threads (see
// followup.go). Register it with Session.AddHandler when Config.Mentions
// is set; the session then needs the Message Content intent. Other
// messages are ignored.
func (r *Router) HandleMessage(s *discordgo.Session, mc *discordgo.MessageCreate) {
	if !r.cfg.Mentions || mc == nil || mc.Message == nil || mc.Author == nil || mc.Author.Bot {
		return
	}
	botID := botUserID(s)
	if botID == "" || mc.Author.ID == botID {
		return
	}
	ref := mc.ReferencedMessage
	reply := ref != nil && ref.Author != nil && ref.Author.ID == botID && questionOf(ref.Content) != ""
	mentioned := mentionsUser(mc.Message, botID)
	// A message in a channel that may hold a conversation (one the process
	// hasn't found empty lately) is looked up; others are ignored at once.
	inThread := r.cfg.Conversations != nil && r.threads.unknown(mc.ChannelID, r.cfg.Now())
	if !reply && !mentioned && !inThread {
		return
	}
	if !r.enter() {
		return
	}
	defer r.leave()

	ctx, cancel := context.WithTimeout(r.base, r.cfg.InteractionTimeout)
	defer cancel()
	var turns []seam.Turn
	if inThread {
		if turns = r.conversation(ctx, nil, mc.ChannelID); len(turns) == 0 {
			r.threads.forget(mc.ChannelID, r.cfg.Now())
		}
	}
	if len(turns) == 0 && !reply && !mentioned {
		return
	}
	tr := r.newUserTrace(mc.Author.ID)
	tr.command = "mention"
	defer r.endTrace(tr)
	defer func() {
		if p := recover(); p != nil {
			tr.fail(fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()
	v := &venue{s: s, channel: mc.ChannelID, ref: mc.Message.SoftReference()}
	switch {
	case len(turns) > 0:
		// A message in the conversation's thread.
		v.key, v.stored = mc.ChannelID, true
	case reply:
		// A reply: the conversation of the answer it replies to, going on
		// from this answer.
		if turns = r.conversation(ctx, tr, ref.ID); len(turns) == 0 {
			turns = []seam.Turn{r.turnOf(ref)}
		}
	}
	tr.set(slog.String("venue", v.kind()), slog.Int("history_turns", len(turns)))
	if err := r.answerMessage(ctx, mc.Message, botID, v, turns, tr); err != nil {
		tr.fail(err)
	}
}

// answerMessage answers the message m in v, after turns when it is a
// follow-up. Refusals (an empty question, a cooldown) are replies.
func (r *Router) answerMessage(ctx context.Context, m *discordgo.Message, botID string, v *venue, turns []seam.Turn, tr *trace) error {
	reply := func(text string) error {
		_, err := v.send(ctx, message{Content: text})
		return err
	}
	q, err := SanitizeQuestion(stripMention(m.Content, botID))
	if err != nil {
		tr.setOutcome("refused")
		return reply(userText(err, r.supported))
	}
	tk, wait := r.admitAsk(ctx, tr.user)
	switch {
	case wait > 0:
		tr.setOutcome("cooldown")
		return reply(cooldownText(wait))
	case tk == nil:
		tr.setOutcome("busy")
		return reply(busyText)
	}
	defer tk.release()
	// Replies reference the question softly: when it was deleted meanwhile,
	// the answer is posted as an ordinary message instead of failing.
	first, err := v.open(ctx, tr, q)
	if err != nil {
		return err
	}
	if err := tk.acquire(ctx); err != nil {
		return err
	}
	return r.answerIn(ctx, tr, v, first, q, turns, tk.release)
}

// channelCallTimeout bounds one channel-message call. discordgo keys these
// on a bucket per channel, as Discord does, and retries a 429 itself (its
// wait before the retry does not watch the context; the retry then does).
const channelCallTimeout = 30 * time.Second

// botUserID is the bot's own user ID, from the session's state.
func botUserID(s *discordgo.Session) string {
	if s == nil || s.State == nil {
		return ""
	}
	s.State.RLock()
	defer s.State.RUnlock()
	if s.State.User != nil {
		return s.State.User.ID
	}
	return ""
}

// mentionsUser reports whether m mentions the user id.
func mentionsUser(m *discordgo.Message, id string) bool {
	for _, u := range m.Mentions {
		if u != nil && u.ID == id {
			return true
		}
	}
	return strings.Contains(m.Content, "<@"+id+">") || strings.Contains(m.Content, "<@!"+id+">")
}

// stripMention removes the mentions of the bot from a message.
func stripMention(content, id string) string {
	return strings.NewReplacer("<@"+id+">", " ", "<@!"+id+">", " ").Replace(content)
}
