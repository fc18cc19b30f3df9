package commands

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

// Stop: while an /ask answer streams, its message has a Stop button. The
// asker (or a moderator: Manage Messages or Administrator in the channel,
// or a bot admin) presses it, and the generation's context is cancelled,
// which ends the model's stream; the message then shows what was written
// so far and says who stopped it, as an ordinary outcome, not an error.
// Once the answer is complete, its final message replaces the button with
// the answer's own.
//
// The answers being written are known to this process only (streams): a
// Stop that reaches a replica which is not writing the answer says it has
// finished.

// idStop prefixes the Stop button's custom ID: "stop:" and the ID of the
// /ask interaction whose answer it stops.
const idStop = "stop"

// errStopped is the cause of a generation's context when a user stopped
// it.
var errStopped = errors.New("stopped by a user")

func (r *Router) stopCommand() *command {
	return &command{component: r.handleStop}
}

// streams are the answers being written, by the ID of their interaction.
type streams struct {
	// mu guards byID and every stream's fields.
	mu   sync.Mutex
	byID map[string]*stream
}

// stream is one answer being written.
type stream struct {
	id     string
	asker  string // user ID
	cancel context.CancelCauseFunc
	// final is set once the complete answer is being sent: too late to
	// stop.
	final bool
	// stopped is set once someone stopped it; stoppedBy names them.
	stopped   bool
	stoppedBy string
	// last is the latest partial answer sent, as rendered (without its
	// Stop button); nil before the first.
	last *message
}

func newStreams() *streams { return &streams{byID: map[string]*stream{}} }

// start registers the answer of interaction id, asked by asker, and
// returns the context to generate it under, which Stop cancels. end must
// follow.
func (ss *streams) start(ctx context.Context, id, asker string) (context.Context, *stream) {
	gctx, cancel := context.WithCancelCause(ctx)
	st := &stream{id: id, asker: asker, cancel: cancel}
	ss.mu.Lock()
	ss.byID[id] = st
	ss.mu.Unlock()
	return gctx, st
}

// end forgets an answer and releases its context.
func (ss *streams) end(st *stream) {
	ss.mu.Lock()
	delete(ss.byID, st.id)
	ss.mu.Unlock()
	st.cancel(nil)
}

// stop stops the answer of interaction id on behalf of the user named
// name; it reports false when there is no such answer being written (it
// finished, or never was here).
func (ss *streams) stop(id, name string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st := ss.byID[id]
	if st == nil || st.final {
		return false
	}
	if !st.stopped {
		st.stopped, st.stoppedBy = true, name
		st.cancel(errStopped)
	}
	return true
}

// asker returns who asked the answer of interaction id, and whether it is
// still being written.
func (ss *streams) asker(id string) (string, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st := ss.byID[id]
	if st == nil || st.final {
		return "", false
	}
	return st.asker, true
}

// sender wraps send, the edit of the answer's message: a partial answer
// (a message without components) gets the Stop button, and is kept as
// the last one shown; the final answer marks the stream final (when it was
// not stopped first) and, when private, gets the Share button.
func (ss *streams) sender(st *stream, send func(context.Context, message) error, private bool) func(context.Context, message) error {
	return func(ctx context.Context, m message) error {
		partial := len(m.Components) == 0
		ss.mu.Lock()
		final := false
		if partial {
			kept := m
			st.last = &kept
		} else if !st.stopped {
			st.final, final = true, true
		}
		ss.mu.Unlock()
		switch {
		case partial:
			m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.Button{Label: "Stop", Style: discordgo.DangerButton, CustomID: idStop + ":" + st.id,
					Emoji: &discordgo.ComponentEmoji{Name: "⏹️"}},
			}}}
		case final && private:
			m = withButton(m, shareButton())
		}
		return send(ctx, m)
	}
}

// stoppedBy reports whether the answer was stopped, by whom (their name)
// and the last partial answer shown; it marks the answer final either way.
func (ss *streams) stoppedBy(st *stream) (stopped bool, name string, last *message) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st.final = true
	return st.stopped, st.stoppedBy, st.last
}

// streamAnswer answers q for the /ask of x with a Stop button on its
// partial messages (and Share on its final one when private), through
// answerInto. It returns the answer's messages, the overflow being for the
// caller to send, or none when the answer was stopped, in which case it
// has shown the stopped message itself.
func (r *Router) streamAnswer(ctx context.Context, x *exchange, q string, private bool, generated func()) ([]message, error) {
	gctx, st := r.streams.start(ctx, x.i.ID, interactionUserID(x.i))
	defer r.streams.end(st)
	msgs, _, err := r.answerInto(gctx, x.trace, seam.Question{Text: q}, r.streams.sender(st, x.edit, private), generated, nil)
	if stopped, by, last := r.streams.stoppedBy(st); stopped {
		x.trace.setOutcome("stopped")
		return nil, x.edit(ctx, renderStopped(q, last, by))
	}
	return msgs, err
}

// renderStopped is an answer stopped by the user named name: the answer
// as far as it was shown (last; nil when nothing was), and who stopped it.
func renderStopped(question string, last *message, name string) message {
	by := "someone"
	if name != "" {
		by = neutralise(name)
	}
	note := "-# ⏹️ Stopped by " + by + " before the answer was finished; its citations were not checked."
	if last == nil {
		return message{Content: quoteQuestion(question) + "\n\n" + "-# ⏹️ Stopped by " + by + " before any answer was written."}
	}
	text := strings.TrimSuffix(last.Content, " …")
	if room := MessageLimit - width(note) - 4; width(text) > room {
		text = Split(text, room)[0] + " …"
	}
	return message{Content: text + "\n\n" + note}
}

// handleStop stops an answer being written, when the user may: the asker,
// or a moderator. Its refusals are immediate and private; once accepted,
// the press is acknowledged without a message, and the answer's own
// interaction shows that it stopped.
func (r *Router) handleStop(ctx context.Context, x *exchange, args []string) error {
	if len(args) != 1 || !isSnowflake(args[0]) {
		return userErrorf("That button no longer works.")
	}
	user := interactionUserID(x.i)
	asker, writing := r.streams.asker(args[0])
	switch {
	case !writing:
		return userErrorf("That answer has already finished.")
	case user != asker && !r.mayStopOthers(x.i):
		return userErrorf("Only the person who asked (or a moderator) can stop this answer.")
	}
	if err := x.deferUpdate(ctx); err != nil {
		return err
	}
	if !r.streams.stop(args[0], memberName(x.i)) {
		return userErrorf("That answer has already finished.")
	}
	return nil
}

// mayStopOthers reports whether the user of i may stop someone else's
// answer: a moderator of the channel (Manage Messages or Administrator), or
// a bot admin (see checkAdmin).
func (r *Router) mayStopOthers(i *discordgo.Interaction) bool {
	if i.Member != nil && i.Member.Permissions&(discordgo.PermissionManageMessages|discordgo.PermissionAdministrator) != 0 {
		return true
	}
	return r.checkAdmin(i, "stop") == nil
}
