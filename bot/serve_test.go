package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/internal/testkit"
)

// lockedBuffer is a log destination safe for concurrent writes.
type lockedBuffer = testkit.Buffer

func TestServeRefusesTokenOnCommandLine(t *testing.T) {
	const token = "MTE3MDAwMDAwMDAwMDAwMDAwMQ.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
	tests := []struct {
		name string
		args []string
	}{
		{"-token flag", []string{"-token", "abc"}},
		{"--token= flag", []string{"--token=abc"}},
		{"bare token", []string{"-data", t.TempDir(), token}},
		{"Bot-prefixed token", []string{"Bot " + token}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runBot(t, map[string]string{"DISCORD_TOKEN": ""}, append([]string{"serve"}, tt.args...)...)
			var u usageError
			if !errors.As(err, &u) || !strings.Contains(err.Error(), "DISCORD_TOKEN") {
				t.Fatalf("err = %v, want a usage error pointing at DISCORD_TOKEN", err)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "abc") {
				t.Errorf("the error repeats the token: %v", err)
			}
		})
	}
}

func TestServeNeedsToken(t *testing.T) {
	_, _, err := runBot(t, map[string]string{"NEWSBOT_DATA": t.TempDir()}, "serve")
	if err == nil || !strings.Contains(err.Error(), "DISCORD_TOKEN is not set") {
		t.Errorf("err = %v, want DISCORD_TOKEN is not set", err)
	}
}

// copySeeds copies the seed articles into a new corpus folder.
func copySeeds(t *testing.T) string {
	t.Helper()
	return testkit.CopySeeds(t)
}

// TestServeEndToEnd runs "bot serve" against the fake Discord: a failed
// command registration is retried, commands land in the guild, an /ask is
// answered, an admin role from the environment may /reindex, and a
// cancelled context shuts the bot down cleanly.
func TestServeEndToEnd(t *testing.T) {
	fake := fakediscord.New(t, fakediscord.StrictMentions(t))
	fake.FailNext("PUT /applications/", 1, http.StatusInternalServerError)
	fake.RateLimitNext("PUT /applications/", 1, 200*time.Millisecond)
	env := map[string]string{
		"DISCORD_TOKEN":       "test-token",
		"DISCORD_GUILD_ID":    fakediscord.GuildID,
		"NEWSBOT_ADMIN_ROLES": "777, 888",
		"NEWSBOT_OFFLINE":     "1",
		"NEWSBOT_FEEDBACK":    filepath.Join(t.TempDir(), "votes.jsonl"),
		"NEWSBOT_LOG_FORMAT":  "text",
	}
	logs := &lockedBuffer{}
	c := &cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs}
	var intents discordgo.Intent
	opts := serveOptions{
		Configure: func(ds *discordgo.Session) {
			intents = ds.Identify.Intents
			fake.Configure(ds)
		},
		RegisterBackoff: 50 * time.Millisecond,
		ShutdownGrace:   5 * time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	data := t.TempDir()
	go func() {
		done <- c.serveWith(ctx, []string{"-data", data, "-corpus", copySeeds(t)}, opts)
	}()

	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if _, err := fake.WaitFor(wctx, func(r fakediscord.Request) bool {
		return r.Method == http.MethodPut && r.Status == http.StatusOK
	}); err != nil {
		t.Fatalf("commands never registered: %v\n%s", err, logs)
	}
	if n := len(fake.Commands(fakediscord.GuildID)); n != 8 {
		t.Errorf("%d commands in the guild, want 8 (/remove and the menu command too)", n)
	}
	if n := len(fake.Commands("")); n != 0 {
		t.Errorf("%d global commands, want none with DISCORD_GUILD_ID set", n)
	}
	if n := strings.Count(logs.String(), "command registration failed; retrying"); n != 2 {
		t.Errorf("%d failed registrations logged, want 2 (a 500, then a 429):\n%s", n, logs)
	}
	if intents != discordgo.IntentsGuilds {
		t.Errorf("intents = %v, want only guilds without -mentions", intents)
	}

	ask := fakediscord.CommandInteraction("ask", map[string]any{"question": "Will Iran allow inspections of its military sites?"}, fakediscord.UserSpec{Username: "alice"})
	reindex := fakediscord.CommandInteraction("reindex", nil, fakediscord.UserSpec{Username: "mod", Roles: []string{"888"}})
	for _, i := range []*discordgo.Interaction{ask, reindex} {
		if err := fake.DispatchInteraction(i); err != nil {
			t.Fatal(err)
		}
	}
	waitResponse := func(i *discordgo.Interaction, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			m, ok := fake.OriginalResponse(i.Token)
			if ok && strings.Contains(m.Content, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("response %+v lacks %q", m, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitResponse(ask, "[1]")
	waitResponse(reindex, "Reindex finished")

	// Another member follows the answer up: a thread, and the
	// conversation kept in the data folder.
	answer, _ := fake.OriginalResponse(ask.Token)
	bob := fakediscord.UserSpec{Username: "bob"}
	press := fakediscord.ComponentInteraction("ask:followup", answer, bob)
	if err := fake.DispatchInteraction(press); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.WaitFor(wctx, fakediscord.Match("POST", "/interactions/"+press.ID)); err != nil {
		t.Fatal(err)
	}
	submit, err := fake.SubmitModal(press, bob, map[string]string{"question": "and who said that?"})
	if err != nil {
		t.Fatalf("no modal: %v\n%s", err, logs)
	}
	if err := fake.DispatchInteraction(submit); err != nil {
		t.Fatal(err)
	}
	conversation := filepath.Join(data, conversationsDir, answer.ID+".json")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(conversation); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no conversation kept at %s; thread messages %+v\n%s", conversation, fake.ChannelMessages(answer.ID), logs)
		}
	}
	if _, ok := fake.Thread(answer.ID); !ok {
		t.Error("the follow-up started no thread")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	out := logs.String()
	if !strings.Contains(out, "command=ask") || !strings.Contains(out, "shutting down") {
		t.Errorf("log lacks the ask line or the shutdown:\n%s", out)
	}
	if strings.Contains(out, "test-token") || strings.Contains(out, ask.Member.User.ID) {
		t.Errorf("the log shows the token or a raw user ID:\n%s", out)
	}
}

func TestServeRejectsBadLimits(t *testing.T) {
	for _, tt := range []struct{ name, value string }{
		{"NEWSBOT_COOLDOWN", "soon"},
		{"NEWSBOT_MAX_CONCURRENT", "0"},
		{"NEWSBOT_QUEUE", "-3"},
	} {
		env := map[string]string{"DISCORD_TOKEN": "test-token", "NEWSBOT_DATA": t.TempDir(), tt.name: tt.value}
		_, _, err := runBot(t, env, "serve")
		if err == nil || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s=%s: err = %v, want one naming the variable", tt.name, tt.value, err)
		}
	}
}

// TestServeAdminGuilds runs "bot serve" with NEWSBOT_ADMIN_GUILDS and no
// DISCORD_GUILD_ID: the everyday commands are registered globally, the
// admin commands only in the admin server, and a Manage Server member of
// another server is refused /reindex there while the admin server's may.
func TestServeAdminGuilds(t *testing.T) {
	const adminGuild = "1170000000000000555"
	s := startServe(t, map[string]string{
		"DISCORD_TOKEN":        "test-token",
		"NEWSBOT_ADMIN_GUILDS": adminGuild,
		"NEWSBOT_OFFLINE":      "1",
		"NEWSBOT_DATA":         t.TempDir(),
		"NEWSBOT_CORPUS":       copySeeds(t),
		"NEWSBOT_LOG_FORMAT":   "text",
	})
	names := func(guild string) string {
		var out []string
		for _, c := range s.fake.Commands(guild) {
			out = append(out, c.Name)
		}
		return strings.Join(out, ",")
	}
	deadline := time.Now().Add(10 * time.Second)
	for names("") == "" || names(adminGuild) == "" {
		if time.Now().After(deadline) {
			t.Fatalf("not registered in both scopes: global %q, admin %q\n%s", names(""), names(adminGuild), s.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := names(""); got != "ask,source,articles,help,Check against the articles" {
		t.Errorf("global commands %s", got)
	}
	if got := names(adminGuild); got != "reindex,ingest,remove" {
		t.Errorf("admin server's commands %s", got)
	}

	mod := fakediscord.UserSpec{Username: "mod", Admin: true}
	here := fakediscord.CommandInteraction("reindex", nil, mod) // from fakediscord.GuildID
	m := s.dispatch(here, 10*time.Second, func(m *discordgo.Message) bool { return m.Content != "" })
	if !strings.Contains(m.Content, "can't be used in this server") {
		t.Errorf("/reindex from another server = %q", m.Content)
	}
	there := fakediscord.CommandInteraction("reindex", nil, mod)
	there.GuildID = adminGuild
	s.dispatch(there, 20*time.Second, func(m *discordgo.Message) bool { return strings.Contains(m.Content, "Reindex finished") })
}

func TestServeRejectsBadAdminGuild(t *testing.T) {
	env := map[string]string{"DISCORD_TOKEN": "test-token", "NEWSBOT_DATA": t.TempDir(), "NEWSBOT_ADMIN_GUILDS": "my server"}
	_, _, err := runBot(t, env, "serve")
	if err == nil || !strings.Contains(err.Error(), "admin_guilds") || !strings.Contains(err.Error(), `"my server"`) {
		t.Errorf("err = %v, want one naming the setting and the value", err)
	}
}
