package commands

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

// HandleMessage answers a message that mentions the bot, in a channel or a
// thread, as /ask would: the answer is a reply to it. A reply to one of the
// bot's answers is a follow-up: the earlier question and answer go to the
// model as history. Register it with Session.AddHandler when
// Config.Mentions is set; the session then needs the Message Content
// intent. Other messages are ignored.
func (r *Router) HandleMessage(s *discordgo.Session, mc *discordgo.MessageCreate) {
	if !r.cfg.Mentions || mc == nil || mc.Message == nil || mc.Author == nil || mc.Author.Bot {
		return
	}
	botID := botUserID(s)
	if botID == "" || mc.Author.ID == botID {
		return
	}
	ref := mc.ReferencedMessage
	followUp := ref != nil && ref.Author != nil && ref.Author.ID == botID && questionOf(ref.Content) != ""
	if !followUp && !mentionsUser(mc.Message, botID) {
		return
	}
	if !r.enter() {
		return
	}
	defer r.leave()

	tr := r.newUserTrace(mc.Author.ID)
	tr.command = "mention"
	defer r.endTrace(tr)
	ctx, cancel := context.WithTimeout(r.base, r.cfg.InteractionTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			tr.fail(fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()
	if err := r.answerMessage(ctx, s, mc.Message, botID, followUp, tr); err != nil {
		tr.fail(err)
	}
}

func (r *Router) answerMessage(ctx context.Context, s *discordgo.Session, m *discordgo.Message, botID string, followUp bool, tr *trace) error {
	// Replies reference the question softly: when it was deleted meanwhile,
	// the answer is posted as an ordinary message instead of failing.
	ref := m.SoftReference()
	send := func(ctx context.Context, msg *discordgo.MessageSend) (*discordgo.Message, error) {
		ctx, cancel := context.WithTimeout(ctx, channelCallTimeout)
		defer cancel()
		return s.ChannelMessageSendComplex(m.ChannelID, msg, discordgo.WithContext(ctx))
	}
	reply := func(text string) error {
		_, err := send(ctx, message{Content: text}.messageSend(ref))
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
	sent, err := send(ctx, message{Content: quoteQuestion(q) + "\n\nThinking…"}.messageSend(ref))
	tr.stage("ack", time.Since(tr.start))
	if err != nil {
		return err
	}
	edit := func(ctx context.Context, msg message) error {
		ctx, cancel := context.WithTimeout(ctx, channelCallTimeout)
		defer cancel()
		_, err := s.ChannelMessageEditComplex(msg.messageEdit(sent.ChannelID, sent.ID), discordgo.WithContext(ctx))
		return err
	}
	if err := tk.acquire(ctx); err != nil {
		return err
	}
	question := seam.Question{Text: q}
	if followUp {
		ref := m.ReferencedMessage
		question.History = []seam.Turn{{Question: questionOf(ref.Content), Answer: answerOf(ref.Content)}}
	}
	msgs, err := r.answerInto(ctx, tr, question, edit, tk.release)
	if err != nil {
		if editErr := edit(ctx, message{Content: userText(err, r.supported)}); editErr != nil {
			tr.fail(editErr)
		}
		return err
	}
	for _, msg := range msgs[1:] {
		if _, err := send(ctx, msg.messageSend(nil)); err != nil {
			return err
		}
	}
	return nil
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
