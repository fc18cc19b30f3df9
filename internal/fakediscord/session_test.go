package fakediscord

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

const testToken = "Bot test-token"

// noMentions is the allowed-mentions value every bot message must carry.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

func ptr[T any](v T) *T { return &v }

func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// restStatus returns the HTTP status of a discordgo REST error, or 0.
func restStatus(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}

func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return 0
}

// TestInteractionEndToEnd drives a real session through READY, an
// interaction, a deferred response and an edit of the original response.
func TestInteractionEndToEnd(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)

	ready := make(chan *discordgo.Ready, 1)
	ds.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) { ready <- r })
	messages := make(chan *discordgo.MessageCreate, 1)
	ds.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) { messages <- m })
	type result struct {
		options []*discordgo.ApplicationCommandInteractionDataOption
		err     error
	}
	handled := make(chan result, 1)
	ds.AddHandler(func(ds *discordgo.Session, ic *discordgo.InteractionCreate) {
		err := ds.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		})
		if err == nil {
			_, err = ds.InteractionResponseEdit(ic.Interaction, &discordgo.WebhookEdit{
				Content:         ptr("Answer for @everyone [1]"),
				AllowedMentions: noMentions(),
			})
		}
		handled <- result{ic.ApplicationCommandData().Options, err}
	})
	if err := ds.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.WaitConnected(testContext(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}

	r := receive(t, ready, "READY")
	if r.SessionID == "" || r.User == nil || r.User.ID != AppID || !r.User.Bot {
		t.Errorf("READY = session %q user %+v, want a session and bot user %s", r.SessionID, r.User, AppID)
	}
	if r.Application == nil || r.Application.ID != AppID {
		t.Errorf("READY application = %+v, want ID %s", r.Application, AppID)
	}

	i := CommandInteraction("ask", map[string]any{"question": "who won?", "private": true, "limit": 3},
		UserSpec{Username: "alice"})
	if err := s.DispatchInteraction(i); err != nil {
		t.Fatalf("DispatchInteraction: %v", err)
	}
	res := receive(t, handled, "the interaction handler")
	if res.err != nil {
		t.Fatalf("handler: %v", res.err)
	}
	got := map[string]any{}
	for _, o := range res.options {
		switch o.Type {
		case discordgo.ApplicationCommandOptionString:
			got[o.Name] = o.StringValue()
		case discordgo.ApplicationCommandOptionBoolean:
			got[o.Name] = o.BoolValue()
		case discordgo.ApplicationCommandOptionInteger:
			got[o.Name] = o.IntValue()
		}
	}
	if got["question"] != "who won?" || got["private"] != true || got["limit"] != int64(3) {
		t.Errorf("handler saw options %v", got)
	}

	callback, err := s.WaitFor(testContext(t, 2*time.Second), Match("POST", "/interactions/"))
	if err != nil {
		t.Fatal(err)
	}
	if callback.InteractionID != i.ID || callback.JSON["type"] != float64(5) || callback.Status != http.StatusNoContent {
		t.Errorf("callback = id %s type %v status %d, want id %s type 5 status 204",
			callback.InteractionID, callback.JSON["type"], callback.Status, i.ID)
	}
	edit, err := s.WaitFor(testContext(t, 2*time.Second), Match("PATCH", "/webhooks/"+AppID+"/"+i.Token+"/messages/@original"))
	if err != nil {
		t.Fatal(err)
	}
	if edit.JSON["content"] != "Answer for @everyone [1]" || edit.InteractionID != i.ID || edit.Host != "discord.com" {
		t.Errorf("edit = content %v interaction %q host %q", edit.JSON["content"], edit.InteractionID, edit.Host)
	}
	if v := s.MentionViolations(); len(v) != 0 {
		t.Errorf("MentionViolations = %+v, want none", v)
	}
	msg, ok := s.OriginalResponse(i.Token)
	if !ok || msg.Content != "Answer for @everyone [1]" || msg.Flags&discordgo.MessageFlagsLoading != 0 {
		t.Errorf("OriginalResponse = %+v, %v; want the edited, loaded answer", msg, ok)
	}
	if at, ok := s.DispatchedAt(i.ID); !ok || at.After(callback.Time) {
		t.Errorf("DispatchedAt = %v, %v; want a time before the callback at %v", at, ok, callback.Time)
	}
	if d, ok := s.AckLatency(i.ID); !ok || d > time.Second {
		t.Errorf("AckLatency = %v, %v; want a prompt acknowledgement", d, ok)
	}
	if err := s.DispatchMessage(&discordgo.Message{Content: "hello", Author: &discordgo.User{ID: "5", Username: "eve"}}); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, messages, "MESSAGE_CREATE"); m.Content != "hello" || m.ID == "" || m.ChannelID != ChannelID || m.Author.Username != "eve" {
		t.Errorf("MESSAGE_CREATE = %+v", m.Message)
	}
	if s.Identifies() != 1 || s.Resumes() != 0 {
		t.Errorf("Identifies, Resumes = %d, %d; want 1, 0", s.Identifies(), s.Resumes())
	}
}

// TestResumeAfterDrop cuts the gateway: discordgo must reconnect with RESUME,
// get the event it missed and later ones.
func TestResumeAfterDrop(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)
	got := make(chan string, 4)
	ds.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) { got <- ic.ID })
	if err := ds.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx := testContext(t, 5*time.Second)
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}

	s.DropGateway()
	missed := CommandInteraction("ask", map[string]any{"question": "missed?"}, UserSpec{})
	if err := s.DispatchInteraction(missed); err != nil {
		t.Fatalf("dispatch while disconnected: %v", err)
	}
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatalf("no reconnect: %v", err)
	}
	if s.Resumes() != 1 || s.Identifies() != 1 {
		t.Errorf("Resumes, Identifies = %d, %d; want 1, 1", s.Resumes(), s.Identifies())
	}
	later := CommandInteraction("ask", map[string]any{"question": "later?"}, UserSpec{})
	if err := s.DispatchInteraction(later); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 2 {
		seen[receive(t, got, "an interaction after the resume")] = true
	}
	if !seen[missed.ID] || !seen[later.ID] {
		t.Errorf("received %v, want %s (replayed) and %s", seen, missed.ID, later.ID)
	}
}

// TestRateLimitHonoured answers 429 once: discordgo waits Retry-After and
// retries, and the retry succeeds.
func TestRateLimitHonoured(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)
	const retryAfter = 200 * time.Millisecond
	s.RateLimitNext("POST /channels/", 1, retryAfter)

	start := time.Now()
	msg, err := ds.ChannelMessageSendComplex(ChannelID, &discordgo.MessageSend{
		Content: "hello", AllowedMentions: noMentions(),
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if msg.ID == "" || msg.Content != "hello" || msg.Author == nil || msg.Author.ID != AppID {
		t.Errorf("message = %+v, want the bot's message with an ID", msg)
	}
	if elapsed < retryAfter {
		t.Errorf("send took %v, want at least the %v retry-after", elapsed, retryAfter)
	}
	var statuses []int
	for _, r := range s.Requests() {
		statuses = append(statuses, r.Status)
	}
	if len(statuses) != 2 || statuses[0] != http.StatusTooManyRequests || statuses[1] != http.StatusOK {
		t.Errorf("statuses = %v, want [429 200]", statuses)
	}
	if n := len(s.ChannelMessages(ChannelID)); n != 1 {
		t.Errorf("channel has %d messages, want 1", n)
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		status       int
		wantStatus   int // of the error; 0 for success
		wantRequests int
	}{
		{"server error is returned", http.StatusInternalServerError, http.StatusInternalServerError, 1},
		{"bad gateway is retried", http.StatusBadGateway, 0, 2},
		{"forbidden is returned", http.StatusForbidden, http.StatusForbidden, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t)
			ds := s.Session(testToken)
			s.FailNext("/users/", 1, tt.status)
			u, err := ds.User("@me")
			if got := restStatus(err); got != tt.wantStatus {
				t.Errorf("error %v has status %d, want %d", err, got, tt.wantStatus)
			}
			if tt.wantStatus == 0 && (u == nil || u.ID != AppID) {
				t.Errorf("User(@me) = %+v, want the bot", u)
			}
			if n := len(s.Requests()); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestDelayHonoursContext(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)
	s.Delay("/users/@me", 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := ds.User("@me", discordgo.WithContext(ctx)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("delayed request: err = %v, want deadline exceeded", err)
	}
	if _, err := s.WaitFor(testContext(t, 5*time.Second), func(r Request) bool { return r.Status == 0 }); err != nil {
		t.Errorf("abandoned request not recorded: %v", err)
	}
	s.Delay("/users/@me", 0)
	if _, err := ds.User("@me"); err != nil {
		t.Errorf("after removing the delay: %v", err)
	}
}

func TestCommandRegistration(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)
	cmds := []*discordgo.ApplicationCommand{
		{Name: "ask", Description: "Ask the articles", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "Your question", Required: true},
		}},
		{Name: "source", Description: "Show a source"},
	}
	created, err := ds.ApplicationCommandBulkOverwrite(AppID, "", cmds)
	if err != nil {
		t.Fatalf("bulk overwrite: %v", err)
	}
	if len(created) != 2 || created[0].ID == "" || created[0].ApplicationID != AppID || created[1].Name != "source" {
		t.Fatalf("created = %+v", created)
	}
	listed, err := ds.ApplicationCommands(AppID, "")
	if err != nil || len(listed) != 2 || listed[0].ID != created[0].ID {
		t.Errorf("ApplicationCommands = %+v, %v; want the two created", listed, err)
	}
	if got := s.Commands(GuildID); len(got) != 0 {
		t.Errorf("guild has %d commands, want none", len(got))
	}

	// A second overwrite keeps the ID of a command of the same name and drops
	// the one left out; guild commands are kept apart.
	again, err := ds.ApplicationCommandBulkOverwrite(AppID, "", cmds[:1])
	if err != nil || len(again) != 1 || again[0].ID != created[0].ID {
		t.Errorf("second overwrite = %+v, %v; want ask with ID %s", again, err, created[0].ID)
	}
	if _, err := ds.ApplicationCommandBulkOverwrite(AppID, GuildID, cmds[1:]); err != nil {
		t.Fatal(err)
	}
	if g := s.Commands(GuildID); len(g) != 1 || g[0].Name != "source" || g[0].GuildID != GuildID {
		t.Errorf("guild commands = %+v", g)
	}

	invalid := []struct {
		name string
		cmd  *discordgo.ApplicationCommand
	}{
		{"uppercase name", &discordgo.ApplicationCommand{Name: "Ask", Description: "d"}},
		{"no description", &discordgo.ApplicationCommand{Name: "ask"}},
		{"long description", &discordgo.ApplicationCommand{Name: "ask", Description: strings.Repeat("x", 101)}},
		{"required after optional", &discordgo.ApplicationCommand{Name: "ask", Description: "d",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "a", Description: "a"},
				{Type: discordgo.ApplicationCommandOptionString, Name: "b", Description: "b", Required: true},
			}}},
	}
	for _, tt := range invalid {
		_, err := ds.ApplicationCommandBulkOverwrite(AppID, "", []*discordgo.ApplicationCommand{tt.cmd})
		if restStatus(err) != http.StatusBadRequest || restCode(err) != 50035 {
			t.Errorf("%s: err = %v, want 400 Invalid Form Body", tt.name, err)
		}
	}
	if g := s.Commands(""); len(g) != 1 || g[0].Name != "ask" {
		t.Errorf("rejected overwrites changed the commands: %+v", g)
	}
	if _, err := ds.ApplicationCommandBulkOverwrite(GuildID, "", cmds); restStatus(err) != http.StatusNotFound {
		t.Errorf("overwrite for another application: err = %v, want 404", err)
	}
}

func TestRoutesAndAuth(t *testing.T) {
	t.Parallel()
	s := New(t)
	bot := s.Session(testToken)
	tests := []struct {
		name   string
		call   func() error
		status int
	}{
		{"users/@me", func() error { _, err := bot.User("@me"); return err }, 0},
		{"application", func() error { _, err := bot.Application("@me"); return err }, 0},
		{"gateway/bot", func() error { _, err := bot.GatewayBot(); return err }, 0},
		{"channel", func() error { _, err := bot.Channel(ChannelID); return err }, 0},
		{"unknown route", func() error { _, err := bot.Guild(GuildID); return err }, http.StatusNotFound},
		{"token without Bot prefix", func() error {
			_, err := s.Session("test-token").User("@me")
			return err
		}, http.StatusUnauthorized},
		{"unknown message", func() error { _, err := bot.ChannelMessage(ChannelID, "1"); return err }, http.StatusNotFound},
	}
	for _, tt := range tests {
		if got := restStatus(tt.call()); got != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.status)
		}
	}
	if _, err := s.WaitFor(testContext(t, time.Second), Match("GET", "/guilds/")); err != nil {
		t.Errorf("unknown route not recorded: %v", err)
	}
	gw, err := bot.Gateway()
	if err != nil || gw != s.GatewayURL() || !strings.HasSuffix(gw, "/") {
		t.Errorf("Gateway = %q, %v; want %q", gw, err, s.GatewayURL())
	}
}
