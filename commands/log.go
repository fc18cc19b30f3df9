package commands

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
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
	stages   []slog.Attr
	attrs    []slog.Attr
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
	t.stages = append(t.stages, slog.Float64(name+"_ms", float64(d.Microseconds())/1000))
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

// log writes the line, once.
func (t *trace) log(l *slog.Logger) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.loggedAt.IsZero() {
		return
	}
	t.loggedAt = time.Now()
	attrs := []slog.Attr{
		slog.String("command", t.command),
		slog.String("user", t.user),
		slog.String("outcome", t.outcome),
		slog.Float64("total_ms", float64(t.loggedAt.Sub(t.start).Microseconds())/1000),
	}
	attrs = append(attrs, t.stages...)
	attrs = append(attrs, t.attrs...)
	level := slog.LevelInfo
	if t.err != nil {
		level = slog.LevelError
		attrs = append(attrs, slog.String("err", t.err.Error()))
	}
	l.LogAttrs(context.Background(), level, "interaction", attrs...)
}
