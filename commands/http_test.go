package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
)

// relayTo returns a respond callback that records the response and hands
// it to the fake as the interaction's callback, as Discord does with the
// HTTP response body.
func relayTo(e *env, i *discordgo.Interaction, got *[]*discordgo.InteractionResponse) func(*discordgo.InteractionResponse) error {
	return func(resp *discordgo.InteractionResponse) error {
		*got = append(*got, resp)
		return e.ds.InteractionRespond(i, resp)
	}
}

// TestHandleHTTPReturnsAtTheFirstResponse checks the HTTP interactions
// path: HandleHTTP returns as soon as the handler has its deferred
// response, the answer goes on in the background and edits the original
// response, and Shutdown waits for it.
func TestHandleHTTPReturnsAtTheFirstResponse(t *testing.T) {
	t.Parallel()
	ans := newBlockingAnswerer()
	e := newEnv(t, envOptions{config: func(c *Config) { c.Answerer = ans }})
	i := fakediscord.CommandInteraction("ask", map[string]any{"question": "why?"}, member)
	var got []*discordgo.InteractionResponse
	if err := e.router.HandleHTTP(ctxFor(t, 3*time.Second), e.ds, i, relayTo(e, i, &got)); err != nil {
		t.Fatalf("HandleHTTP = %v", err)
	}
	if len(got) != 1 || got[0].Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("responses %+v, want one deferred response", got)
	}
	receive(t, ans.started, "the answer") // still working after HandleHTTP returned

	shut := make(chan error, 1)
	go func() { shut <- e.router.Shutdown(ctxFor(t, 10*time.Second)) }()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) before the HTTP interaction's work finished", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(ans.release)
	if err := receive(t, shut, "Shutdown"); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if m := e.response(i); !strings.Contains(m.Content, "Done.") {
		t.Errorf("original response %q, want the answer", m.Content)
	}
	if len(got) != 1 {
		t.Errorf("respond called %d times, want once", len(got))
	}

	// After shutdown, the refusal is the response itself.
	late := fakediscord.CommandInteraction("help", nil, member)
	got = nil
	if err := e.router.HandleHTTP(ctxFor(t, 3*time.Second), e.ds, late, func(r *discordgo.InteractionResponse) error {
		got = append(got, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Type != discordgo.InteractionResponseChannelMessageWithSource ||
		!strings.Contains(got[0].Data.Content, "restarting") || got[0].Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("during shutdown: %+v", got)
	}
}

// TestHandleHTTPRefusalsAreTheBody checks that a refusal needing no work
// (cooldown, empty question) is the HTTP response itself: a complete,
// ephemeral message that pings nobody.
func TestHandleHTTPRefusalsAreTheBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{config: func(c *Config) { c.Cooldown = time.Hour }})
	tests := []struct {
		name, question, want string
	}{
		{"first ask is answered", "Will Iran allow inspections of its military sites?", ""},
		{"cooldown", "And the missiles?", "try again"},
		{"empty question", " \u200b ", "Please type a question"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := fakediscord.CommandInteraction("ask", map[string]any{"question": tt.question}, member)
			var got []*discordgo.InteractionResponse
			if err := e.router.HandleHTTP(ctxFor(t, 3*time.Second), e.ds, i, relayTo(e, i, &got)); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d responses", len(got))
			}
			r := got[0]
			if tt.want == "" {
				if r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
					t.Errorf("type %d, want a deferred response", r.Type)
				}
				e.waitResponse(i, 5*time.Second, answered)
				return
			}
			if r.Type != discordgo.InteractionResponseChannelMessageWithSource || r.Data == nil ||
				!strings.Contains(r.Data.Content, tt.want) || r.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
				t.Fatalf("response %+v, want an ephemeral message containing %q", r, tt.want)
			}
			if am := r.Data.AllowedMentions; am == nil || am.Parse == nil || len(am.Parse) != 0 {
				t.Errorf("allowed mentions %+v, want parse []", am)
			}
		})
	}
}

// TestHandleHTTPNeverRespondsLate checks that when the wait for the first
// response ends (Discord has given up), respond is never called after
// HandleHTTP returned: the response writer is gone by then.
func TestHandleHTTPNeverRespondsLate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for n := range 20 {
		i := fakediscord.CommandInteraction("help", nil, fakediscord.UserSpec{Username: "u" + string(rune('a'+n))})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var returned, late atomic.Bool
		err := e.router.HandleHTTP(ctx, e.ds, i, func(*discordgo.InteractionResponse) error {
			if returned.Load() {
				late.Store(true)
			}
			return nil
		})
		returned.Store(true)
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("HandleHTTP = %v, want nil or the context's error", err)
		}
		if late.Load() {
			t.Fatal("respond called after HandleHTTP returned")
		}
	}
	if err := e.router.Shutdown(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
}

func TestHandleHTTPUnsupportedType(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	i := fakediscord.CommandInteraction("ask", nil, member)
	i.Type = discordgo.InteractionType(99) // none Discord sends today
	called := false
	err := e.router.HandleHTTP(ctxFor(t, 3*time.Second), e.ds, i, func(*discordgo.InteractionResponse) error {
		called = true
		return nil
	})
	if !errors.Is(err, ErrNoResponse) || called {
		t.Errorf("HandleHTTP = %v (respond called: %v), want ErrNoResponse", err, called)
	}
}

// recordingObserver keeps the events it is told.
type recordingObserver struct {
	mu         sync.Mutex
	events     []Event
	rejections []string // "reason status"
	fallbacks  []string
}

func (o *recordingObserver) Observe(ev Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, ev)
}

func (o *recordingObserver) Rejected(reason string, status int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rejections = append(o.rejections, fmt.Sprint(reason, " ", status))
}

func (o *recordingObserver) Fallback(what string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fallbacks = append(o.fallbacks, what)
}

func (o *recordingObserver) last(t *testing.T) Event {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.events) == 0 {
		t.Fatal("no event observed")
	}
	return o.events[len(o.events)-1]
}

func TestObserverSeesEveryInteraction(t *testing.T) {
	t.Parallel()
	obs := &recordingObserver{}
	e := newEnv(t, envOptions{config: func(c *Config) { c.Observer = obs; c.Cooldown = time.Hour }})

	ask := fakediscord.CommandInteraction("ask", map[string]any{"question": "Will Iran allow inspections of its military sites?"}, member)
	e.handle(ask)
	ev := obs.last(t)
	if ev.Command != "ask" || ev.Outcome != "ok" || !ev.Answered || ev.Mode != "extractive" || ev.Declined || ev.Total <= 0 {
		t.Errorf("ask event %+v", ev)
	}
	var stages []string
	for _, s := range ev.Stages {
		stages = append(stages, s.Name)
	}
	if got := strings.Join(stages, ","); got != "ack,queue,retrieve,generate,send" {
		t.Errorf("stages %s, want ack,queue,retrieve,generate,send", got)
	}

	tests := []struct {
		name          string
		i             *discordgo.Interaction
		command, outc string
	}{
		{"cooldown", fakediscord.CommandInteraction("ask", map[string]any{"question": "again?"}, member), "ask", "cooldown"},
		{"help", fakediscord.CommandInteraction("help", nil, member), "help", "ok"},
		{"button", fakediscord.ComponentInteraction(idVoteUp, e.response(ask), member), "ask:vote", "ok"},
		{"removed command", fakediscord.CommandInteraction("frobnicate", nil, member), "unknown", "refused"},
		{"admin command refused", fakediscord.CommandInteraction("reindex", nil, member), "reindex", "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.handle(tt.i)
			ev := obs.last(t)
			if ev.Command != tt.command || ev.Outcome != tt.outc || ev.Answered {
				t.Errorf("event %+v, want command %q outcome %q and no answer", ev, tt.command, tt.outc)
			}
		})
	}
}
