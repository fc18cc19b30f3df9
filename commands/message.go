package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bwmarrin/discordgo"
)

// message is everything the bot sends, before it becomes one of discordgo's
// payload types. Renderers return messages; only the methods below turn
// them into payloads, and each of them sets empty allowed mentions, so no
// code path can send a message that pings.
type message struct {
	Content    string                       `json:"content,omitempty"`
	Embeds     []*discordgo.MessageEmbed    `json:"embeds,omitempty"`
	Components []discordgo.MessageComponent `json:"components,omitempty"`
	Ephemeral  bool                         `json:"ephemeral,omitempty"`
}

// noMentions is the allowed-mentions value of every message: parse nothing,
// so neither @everyone nor a user or role in the text notifies anyone.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

func (m message) flags() discordgo.MessageFlags {
	if m.Ephemeral {
		return discordgo.MessageFlagsEphemeral
	}
	return 0
}

// responseData is m as an interaction response (type 4 or 7).
func (m message) responseData() *discordgo.InteractionResponseData {
	return &discordgo.InteractionResponseData{
		Content:         m.Content,
		Embeds:          orEmpty(m.Embeds),
		Components:      orEmpty(m.Components),
		Flags:           m.flags(),
		AllowedMentions: noMentions(),
	}
}

// webhookEdit is m as an edit of a sent message: content, embeds and
// components are all replaced, so an edit never leaves stale parts behind.
func (m message) webhookEdit() *discordgo.WebhookEdit {
	content := m.Content
	embeds := orEmpty(m.Embeds)
	components := orEmpty(m.Components)
	return &discordgo.WebhookEdit{
		Content:         &content,
		Embeds:          &embeds,
		Components:      &components,
		AllowedMentions: noMentions(),
	}
}

// webhookParams is m as a follow-up message.
func (m message) webhookParams() *discordgo.WebhookParams {
	return &discordgo.WebhookParams{
		Content:         m.Content,
		Embeds:          m.Embeds,
		Components:      orEmpty(m.Components),
		Flags:           m.flags(),
		AllowedMentions: noMentions(),
	}
}

// messageSend is m as a channel message replying to ref (nil for none).
func (m message) messageSend(ref *discordgo.MessageReference) *discordgo.MessageSend {
	return &discordgo.MessageSend{
		Content:         m.Content,
		Embeds:          m.Embeds,
		Components:      m.Components,
		Reference:       ref,
		AllowedMentions: noMentions(),
	}
}

// messageEdit is m as an edit of the channel message id.
func (m message) messageEdit(channelID, id string) *discordgo.MessageEdit {
	content := m.Content
	embeds := orEmpty(m.Embeds)
	components := orEmpty(m.Components)
	return &discordgo.MessageEdit{
		ID:              id,
		Channel:         channelID,
		Content:         &content,
		Embeds:          &embeds,
		Components:      &components,
		AllowedMentions: noMentions(),
	}
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// exchange is one interaction being handled: the session it came on, what
// has been sent so far, and the trace logged when it ends. Every REST call
// takes the handler's context.
type exchange struct {
	r     *Router
	s     *discordgo.Session
	i     *discordgo.Interaction
	trace *trace
	// reply, when not nil, takes the acknowledgement instead of the
	// callback endpoint (HTTP interactions: it becomes the HTTP response
	// body).
	reply func(*discordgo.InteractionResponse) error
	// wh sends the edits and follow-ups, on the token's own rate-limit
	// bucket (see webhook).
	wh *webhook
	// received is when the interaction arrived, by the router's clock:
	// its token is valid for tokenLifetime from about then.
	received time.Time

	acked     bool
	ephemeral bool // the acknowledgement was ephemeral
	updating  bool // the acknowledgement was a deferred update of the message a button sits on
}

func (r *Router) newExchange(s *discordgo.Session, i *discordgo.Interaction) *exchange {
	return &exchange{r: r, s: s, i: i, trace: r.newTrace(i), wh: newWebhook(s, i), received: r.cfg.Now()}
}

// Discord accepts edits and follow-ups on an interaction's token for 15
// minutes; long work (a /reindex of a large corpus) reports by a channel
// message instead once less than tokenMargin of that is left.
const (
	tokenLifetime = 15 * time.Minute
	tokenMargin   = time.Minute
)

// reportTimeout bounds sending the final report of long work, which runs
// under a context of its own: the interaction's may have ended meanwhile.
const reportTimeout = 30 * time.Second

// tokenLeft is how long the interaction's token stays valid.
func (x *exchange) tokenLeft() time.Duration {
	return x.received.Add(tokenLifetime).Sub(x.r.cfg.Now())
}

// report shows the outcome of long work, such as a reindex. While the
// token has time left, it edits the (private) reply; near the token's
// end, or when Discord says the token has ended, it posts the outcome to
// the channel instead, addressed to the user (a mention that pings
// nobody), saying why it isn't private. It runs under the router's
// context, not the interaction's, which may be over by then.
func (x *exchange) report(m message) error {
	ctx, cancel := context.WithTimeout(x.r.base, reportTimeout)
	defer cancel()
	how := "channel"
	if x.tokenLeft() > tokenMargin {
		err := x.edit(ctx, m)
		if err == nil || !tokenExpired(err) {
			return err
		}
		how = "channel, token expired early"
	}
	x.trace.set(slog.String("report", how))
	intro := "This took longer than Discord keeps a private reply open, so here is the result"
	if u := interactionUserID(x.i); u != "" {
		intro = "<@" + u + ">: this took longer than Discord keeps your private reply open, so here is the result"
	}
	msgs := textMessages(intro + ".\n" + m.Content)
	msgs[len(msgs)-1].Embeds = m.Embeds
	for _, part := range msgs {
		pctx, cancel := context.WithTimeout(ctx, channelCallTimeout)
		_, err := x.s.ChannelMessageSendComplex(x.i.ChannelID, part.messageSend(nil), discordgo.WithContext(pctx))
		cancel()
		if err != nil {
			return fmt.Errorf("report in the channel: %w", err)
		}
	}
	return nil
}

// ackCallTimeout bounds the acknowledgement's round trip: Discord drops an
// interaction not acknowledged within 3 seconds of its creation anyway.
const ackCallTimeout = 5 * time.Second

// deferReply acknowledges a command (or a button that answers with a new
// message) with "thinking…"; the answer then edits the original response.
func (x *exchange) deferReply(ctx context.Context, ephemeral bool) error {
	resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
	if ephemeral {
		resp.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
	}
	return x.ack(ctx, resp, ephemeral)
}

// deferUpdate acknowledges a button that edits the message it sits on.
func (x *exchange) deferUpdate(ctx context.Context) error {
	if err := x.ack(ctx, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}, false); err != nil {
		return err
	}
	x.updating = true
	return nil
}

// respond acknowledges with a complete message (for replies that need no
// work, such as refusals).
func (x *exchange) respond(ctx context.Context, m message) error {
	return x.ack(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: m.responseData(),
	}, m.Ephemeral)
}

func (x *exchange) ack(ctx context.Context, resp *discordgo.InteractionResponse, ephemeral bool) error {
	if x.acked {
		return errors.New("interaction already acknowledged")
	}
	var err error
	if x.reply != nil {
		err = x.reply(resp)
	} else {
		actx, cancel := context.WithTimeout(ctx, ackCallTimeout)
		err = x.wh.respond(actx, x.i.ID, resp)
		cancel()
	}
	x.trace.stage("ack", time.Since(x.trace.start))
	if err != nil {
		return fmt.Errorf("acknowledge: %w", err)
	}
	x.acked, x.ephemeral = true, ephemeral
	return nil
}

// edit replaces the original response.
func (x *exchange) edit(ctx context.Context, m message) error {
	if err := x.wh.editOriginal(ctx, m.webhookEdit()); err != nil {
		return fmt.Errorf("edit response: %w", err)
	}
	return nil
}

// followup sends one more message after the original response.
func (x *exchange) followup(ctx context.Context, m message) error {
	if _, err := x.wh.followup(ctx, m.webhookParams()); err != nil {
		return fmt.Errorf("follow-up: %w", err)
	}
	return nil
}

// sendAll edits the original response into msgs[0] and sends the rest as
// follow-ups, ephemeral when the acknowledgement was.
func (x *exchange) sendAll(ctx context.Context, msgs []message) error {
	for n, m := range msgs {
		m.Ephemeral = x.ephemeral
		var err error
		if n == 0 {
			err = x.edit(ctx, m)
		} else {
			err = x.followup(ctx, m)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// refuse tells the user, and only them, why nothing (more) happens:
//
//   - before any acknowledgement, as an ephemeral reply;
//   - after an ephemeral deferral, by editing that private reply;
//   - after a deferred update (a button on a message), as an ephemeral
//     follow-up, leaving the message as it was;
//   - after a public deferral, whose message an edit can't make private,
//     by deleting the public placeholder (and whatever streamed into it)
//     and then sending an ephemeral follow-up. The order matters: a
//     follow-up sent while the deferral still shows "thinking…" becomes
//     that public message, its ephemeral flag ignored. When the delete
//     fails, the placeholder is edited instead, so that it doesn't stay
//     "thinking…".
func (x *exchange) refuse(ctx context.Context, text string) {
	m := message{Content: text, Ephemeral: true}
	var err error
	switch {
	case !x.acked:
		err = x.respond(ctx, m)
	case x.ephemeral:
		err = x.edit(ctx, m)
	case x.updating:
		err = x.followup(ctx, m)
	default:
		if err = x.wh.deleteOriginal(ctx); err != nil {
			x.trace.fail(fmt.Errorf("delete the public placeholder: %w", err))
			err = x.edit(ctx, m)
			break
		}
		err = x.followup(ctx, m)
	}
	if err != nil {
		x.trace.fail(err)
	}
}

// fail records err for the log and shows the user what it means for them.
func (x *exchange) fail(ctx context.Context, err error) {
	var ue *userError
	if !errors.As(err, &ue) {
		x.trace.fail(err)
	} else {
		x.trace.setOutcome("refused")
	}
	// The interaction's own context may be what ended; the message still
	// deserves a short try.
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
	}
	x.refuse(ctx, userText(err, x.r.supported))
}

// finish writes the interaction's log line.
func (x *exchange) finish() { x.r.endTrace(x.trace) }
