package commands

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

// trace collects what the log line of one interaction reports: the
// command, who (as a keyed hash, never the raw ID), how long each stage
// took, and for answers the mode, model, tokens and whether it declined.
type trace struct {
	start time.Time

	// mu guards the fields below: stages are noted from helper goroutines
	// (streaming edits) too.
	mu       sync.Mutex
	command  string
	user     string
	stages   []Stage
	attrs    []slog.Attr
	answer   *answerFacts // set when an answer was generated
	outcome  string
	err      error
	loggedAt time.Time
}

func (r *Router) newTrace(i *discordgo.Interaction) *trace {
	return r.newUserTrace(interactionUserID(i))
}

func (r *Router) newUserTrace(userID string) *trace {
	return &trace{start: time.Now(), user: r.userHash(userID), outcome: "ok"}
}

// userHash is a stable pseudonym for a user ID: an HMAC, so it can't be
// reversed by hashing every plausible ID.
func (r *Router) userHash(id string) string {
	if id == "" {
		return ""
	}
	m := hmac.New(sha256.New, r.hashKey)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// interactionUserID is the ID of whoever triggered i, in a guild or a DM.
func interactionUserID(i *discordgo.Interaction) string {
	switch {
	case i.Member != nil && i.Member.User != nil:
		return i.Member.User.ID
	case i.User != nil:
		return i.User.ID
	}
	return ""
}

// stage notes how long a stage took.
func (t *trace) stage(name string, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stages = append(t.stages, Stage{Name: name, Duration: d})
}

// answerFacts are what the log line and observers learn of an answer.
type answerFacts struct {
	mode, model, fallback string
	declined              bool
	citations             int
	promptTokens          int
	completionTokens      int
}

// answered notes the facts of a generated answer: mode, model, tokens,
// whether it declined or fell back to quoting.
func (t *trace) answered(res seam.Answer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.answer = &answerFacts{mode: res.Mode, model: res.Model, fallback: res.Fallback,
		declined: res.Declined, citations: len(res.Citations), promptTokens: res.PromptTokens, completionTokens: res.CompletionTokens}
}

// set adds attributes to the log line.
func (t *trace) set(attrs ...slog.Attr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.attrs = append(t.attrs, attrs...)
}

// setOutcome names how the interaction ended when it wasn't "ok".
func (t *trace) setOutcome(o string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.outcome = o
}

// fail records the cause of a failure, for the operator.
func (t *trace) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.outcome = "error"
	if t.err == nil {
		t.err = err
	}
}

// end writes the log line and returns the event for observers; ok is false
// when the trace had already ended.
func (t *trace) end(l *slog.Logger) (ev Event, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.loggedAt.IsZero() {
		return Event{}, false
	}
	t.loggedAt = time.Now()
	ev = Event{Command: t.command, Outcome: t.outcome, Stages: append([]Stage(nil), t.stages...), Total: t.loggedAt.Sub(t.start)}
	attrs := []slog.Attr{
		slog.String("command", t.command),
		slog.String("user", t.user),
		slog.String("outcome", t.outcome),
		slog.Float64("total_ms", millis(ev.Total)),
	}
	for _, s := range t.stages {
		attrs = append(attrs, slog.Float64(s.Name+"_ms", millis(s.Duration)))
	}
	if a := t.answer; a != nil {
		ev.Answered, ev.Mode, ev.Model, ev.Declined, ev.Fallback = true, a.mode, a.model, a.declined, a.fallback
		ev.PromptTokens, ev.CompletionTokens = a.promptTokens, a.completionTokens
		attrs = append(attrs, slog.String("mode", a.mode), slog.String("model", a.model),
			slog.Bool("declined", a.declined), slog.Int("citations", a.citations),
			slog.Int("prompt_tokens", a.promptTokens), slog.Int("completion_tokens", a.completionTokens))
		if a.fallback != "" {
			attrs = append(attrs, slog.String("fallback", a.fallback))
		}
	}
	attrs = append(attrs, t.attrs...)
	level := slog.LevelInfo
	if t.err != nil {
		level = slog.LevelError
		attrs = append(attrs, slog.String("err", t.err.Error()))
	}
	l.LogAttrs(context.Background(), level, "interaction", attrs...)
	return ev, true
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// endTrace ends t: its log line, then the observer's event.
func (r *Router) endTrace(t *trace) {
	ev, ok := t.end(r.log)
	if !ok || r.cfg.Observer == nil {
		return
	}
	ev.Command = r.commandLabel(ev.Command)
	r.cfg.Observer.Observe(ev)
}

// commandLabel is the command as observers see it: "unknown" unless the
// router has it.
func (r *Router) commandLabel(name string) string {
	base, _, _ := strings.Cut(name, ":")
	if _, ok := r.commands[base]; ok || name == "mention" {
		return name
	}
	return "unknown"
}
