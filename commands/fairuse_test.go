package commands

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
)

// TestThrottleOnEveryCommandAndButton checks the per-user rates beyond
// /ask's cooldown: /source, /help, /articles and the buttons each refuse a
// user going faster, privately and at once, without slowing anyone else,
// and allow them again once the time has passed.
func TestThrottleOnEveryCommandAndButton(t *testing.T) {
	t.Parallel()
	now := time.Now()
	clock := func() time.Time { return now }
	e := newEnv(t, envOptions{config: func(c *Config) { c.Cooldown = time.Second; c.Now = clock }})
	answer := askedAnswer(t, e)
	tests := []struct {
		name  string
		burst int
		make  func(u fakediscord.UserSpec) *discordgo.Interaction
		want  string
	}{
		{"source", 3, func(u fakediscord.UserSpec) *discordgo.Interaction {
			return fakediscord.CommandInteraction("source", map[string]any{"query": "missile"}, u)
		}, "try /source again in"},
		{"help", 3, func(u fakediscord.UserSpec) *discordgo.Interaction {
			return fakediscord.CommandInteraction("help", nil, u)
		}, "try /help again in"},
		{"articles", 10, func(u fakediscord.UserSpec) *discordgo.Interaction {
			return fakediscord.CommandInteraction("articles", nil, u)
		}, "try /articles again in"},
		{"votes", 6, func(u fakediscord.UserSpec) *discordgo.Interaction {
			return fakediscord.ComponentInteraction(idVoteUp, answer, u)
		}, "You're clicking quickly"},
		{"show sources", 6, func(u fakediscord.UserSpec) *discordgo.Interaction {
			return fakediscord.ComponentInteraction(idShowSources, answer, u)
		}, "You're clicking quickly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := fakediscord.UserSpec{Username: "fast-" + tt.name}
			for n := range tt.burst {
				i := tt.make(user)
				e.handle(i)
				if m := e.response(i); strings.Contains(m.Content, "quickly") {
					t.Fatalf("use %d of a burst of %d refused: %q", n+1, tt.burst, m.Content)
				}
			}
			i := tt.make(user)
			e.handle(i)
			if typ, _ := firstCallback(t, e, i); typ != discordgo.InteractionResponseChannelMessageWithSource {
				t.Errorf("the refusal's response is of type %d, want an immediate reply", typ)
			}
			if m := e.response(i); !isEphemeral(m) || !strings.Contains(m.Content, tt.want) {
				t.Errorf("use %d: %q (ephemeral %v), want a private %q", tt.burst+1, m.Content, isEphemeral(m), tt.want)
			}
			other := tt.make(fakediscord.UserSpec{Username: "calm-" + tt.name})
			e.handle(other)
			if m := e.response(other); strings.Contains(m.Content, "quickly") {
				t.Errorf("another user was slowed down: %q", m.Content)
			}
		})
	}
	now = now.Add(time.Minute)
	i := tests[0].make(fakediscord.UserSpec{Username: "fast-source"})
	e.handle(i)
	if m := e.response(i); strings.Contains(m.Content, "quickly") {
		t.Errorf("a minute later: %q", m.Content)
	}
}
