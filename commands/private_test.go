package commands

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/fakediscord"
)

// TestAskPrivate runs /ask private:true through discordgo and the strict
// fake: the answer is ephemeral, cited, with Show sources, the votes and
// Share; Share posts it publicly, naming who shared it, with the buttons
// that work on a public answer (Show sources works on the copy) and
// without Share; the private answer then says it was shared.
func TestAskPrivate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{open: true})
	e.register()
	const q = "Will Iran allow inspections of its military sites?"
	i := fakediscord.CommandInteraction("ask", map[string]any{"question": q, optPrivate: true}, member)
	if err := e.fake.DispatchInteraction(i); err != nil {
		t.Fatal(err)
	}
	m := e.waitResponse(i, 10*time.Second, answered)
	if !isEphemeral(m) {
		t.Fatal("/ask private:true answered publicly")
	}
	checkCitedAnswer(t, m, q, e.ix)
	ids := buttonIDs(m)
	for _, want := range []string{idShowSources, idVoteUp, idVoteDown, idShare} {
		if !strings.Contains(ids, want+" ") {
			t.Errorf("private answer's buttons %q lack %s", ids, want)
		}
	}
	for _, c := range e.fake.ChannelMessages(fakediscord.ChannelID) {
		if !isEphemeral(c) {
			t.Errorf("a public message before Share: %q", c.Content)
		}
	}

	share := fakediscord.ComponentInteraction(idShare, m, member)
	if err := e.fake.DispatchInteraction(share); err != nil {
		t.Fatal(err)
	}
	var shared *discordgo.Message
	waitFor(t, func() bool {
		for _, c := range e.fake.ChannelMessages(fakediscord.ChannelID) {
			if !isEphemeral(c) {
				shared = c
				return true
			}
		}
		return false
	})
	if !strings.HasPrefix(shared.Content, m.Content+"\n-# Shared by alice") || questionOf(shared.Content) != q {
		t.Errorf("shared answer = %q", shared.Content)
	}
	checkCitedAnswer(t, shared, q, e.ix)
	if ids := buttonIDs(shared); strings.Contains(ids, idShare) || !strings.Contains(ids, idShowSources) || !strings.Contains(ids, idVoteUp) {
		t.Errorf("shared answer's buttons = %q, want Show sources and the votes, not Share", ids)
	}
	waitFor(t, func() bool { return !hasShare(e.response(i)) })

	show := fakediscord.ComponentInteraction(idShowSources, shared, bob)
	e.handle(show)
	if src := e.response(show); !isEphemeral(src) || len(src.Embeds) == 0 {
		t.Errorf("Show sources on the shared answer = %+v", src)
	}
}

// buttonIDs lists a message's custom IDs, each followed by a space.
func buttonIDs(m *discordgo.Message) string {
	var b strings.Builder
	for _, c := range m.Components {
		if row, ok := rowOf(c); ok {
			for _, comp := range row.Components {
				b.WriteString(customID(comp) + " ")
			}
		}
	}
	return b.String()
}

// TestAskPrivateErrorsArePrivate checks that a failure of a private answer
// stays private, and that one of a public answer is private too (the
// public placeholder deleted first).
func TestAskPrivateErrorsArePrivate(t *testing.T) {
	t.Parallel()
	failing := answererFunc(func(context.Context, seam.Question, func(string)) (seam.Answer, error) {
		return seam.Answer{}, errors.New("index on fire")
	})
	e := newEnv(t, envOptions{config: func(c *Config) { c.Answerer = failing }})
	private := fakediscord.CommandInteraction("ask", map[string]any{"question": "Anything?", optPrivate: true}, member)
	e.handle(private)
	if m := e.response(private); !isEphemeral(m) || m.Content != genericFailure {
		t.Errorf("private failure = %+v", m)
	}
	public := fakediscord.CommandInteraction("ask", map[string]any{"question": "Anything?"}, member)
	e.handle(public)
	if got := e.privateError(public); got != genericFailure {
		t.Errorf("public failure = %q", got)
	}
	for _, c := range e.fake.ChannelMessages(fakediscord.ChannelID) {
		if !isEphemeral(c) {
			t.Errorf("a failure left a public message: %q", c.Content)
		}
	}
}

// TestSharedCopy checks the public copy of a private message: the line
// naming who shared it, neutralised; a message of its own when the content
// has no room for it; Share and Stop left out.
func TestSharedCopy(t *testing.T) {
	t.Parallel()
	src := toMessage(withButton(renderAnswer("q", seam.Answer{Text: "x [1]", Citations: []seam.Citation{{N: 1, Passage: p1}}})[0], shareButton()))
	got := sharedCopy(src, "@everyone <@123>")
	if len(got) != 1 || !strings.HasSuffix(got[0].Content, "\n-# Shared by @\u200beveryone \\<@\u200b123>") {
		t.Errorf("copy = %+v", got)
	}
	if ids := buttonIDs(toMessage(got[0])); strings.Contains(ids, idShare) || !strings.Contains(ids, idShowSources) {
		t.Errorf("copy's buttons = %q", ids)
	}
	full := &discordgo.Message{Content: strings.Repeat("x", MessageLimit)}
	if got := sharedCopy(full, "alice"); len(got) != 2 || got[0].Content != "-# Shared by alice:" || got[1].Content != full.Content {
		t.Errorf("copy of a full message = %+v", got)
	}
	for _, m := range got {
		checkLimits(t, m)
	}
}

// TestShareAndStopRates checks that Share and Stop go through the per-user
// rate of an answer's buttons: past it, a press is told to slow down.
func TestShareAndStopRates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{config: func(c *Config) { c.Cooldown = time.Minute }})
	for _, id := range []string{idShare, idStop + ":1170000000000000777"} {
		var last *discordgo.Message
		for range rateOf("ask:buttons").burst + 1 {
			press := fakediscord.ComponentInteraction(id, nil, bob)
			e.handle(press)
			if m, ok := e.fake.OriginalResponse(press.Token); ok {
				last = m
			} else if fs := e.fake.Followups(press.Token); len(fs) > 0 {
				last = fs[0]
			}
		}
		if last == nil || !strings.Contains(last.Content, "clicking quickly") {
			t.Errorf("%s past the rate: %+v", id, last)
		}
	}
}
