package commands

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
)

// tokenOf reads the token of a payload.
func tokenOf(t *testing.T, payload []byte) string {
	t.Helper()
	var i struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(payload, &i); err != nil || i.Token == "" {
		t.Fatalf("payload without a token: %v", err)
	}
	return i.Token
}

// checkReplayed checks what the bot made of the kept /ask and Show sources
// payloads: a public cited answer, then the cited passage in full,
// privately.
func checkReplayed(t *testing.T, e *env, ask, click []byte) {
	t.Helper()
	waitOriginal := func(token string, done func(*discordgo.Message) bool) *discordgo.Message {
		t.Helper()
		var m *discordgo.Message
		waitFor(t, func() bool {
			var ok bool
			m, ok = e.fake.OriginalResponse(token)
			return ok && done(m)
		})
		return m
	}
	answer := waitOriginal(tokenOf(t, ask), answered)
	if isEphemeral(answer) {
		t.Error("the answer is ephemeral")
	}
	checkCitedAnswer(t, answer, "Will Iran allow inspections of its military sites?", e.ix)
	sources := waitOriginal(tokenOf(t, click), func(m *discordgo.Message) bool { return len(m.Embeds) > 0 })
	p, _ := e.ix.Passage("000_e22c96a855d117b2#1")
	if !isEphemeral(sources) || !strings.Contains(sources.Embeds[0].Description, p.Text[:60]) {
		t.Errorf("Show sources = %+v, want the passage privately", sources)
	}
}

// TestRealPayloadsReplayed replays real interaction payloads, as Discord
// sends them, through the bot: over the gateway, and signed to the HTTP
// interactions endpoint, where the PING is answered with a PONG.
func TestRealPayloadsReplayed(t *testing.T) {
	t.Parallel()
	ask := fakediscord.Payload(t, "ask_command.json")
	click := fakediscord.Payload(t, "show_sources_click.json")
	ping := fakediscord.Payload(t, "ping.json")

	t.Run("gateway", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOptions{open: true})
		if _, err := e.ds.ApplicationCommandBulkOverwrite(fakediscord.AppID, fakediscord.GuildID, e.router.Definitions()); err != nil {
			t.Fatal(err)
		}
		for _, p := range [][]byte{ask, click} {
			if err := e.fake.DispatchRaw(p); err != nil {
				t.Fatal(err)
			}
		}
		checkReplayed(t, e, ask, click)
	})

	t.Run("http", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOptions{})
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(e.router.Endpoint(pub, e.ds, nil))
		t.Cleanup(srv.Close)
		status, body, err := e.fake.PostInteraction(ctxFor(t, 5*time.Second), srv.URL+"/interactions", ping, priv)
		if err != nil || status != http.StatusOK || strings.TrimSpace(string(body)) != `{"type":1}` {
			t.Errorf("PING: %d %s %v, want 200 {\"type\":1}", status, body, err)
		}
		for _, p := range [][]byte{ask, click} {
			status, body, err := e.fake.PostInteraction(ctxFor(t, 5*time.Second), srv.URL+"/interactions", p, priv)
			if err != nil || status != http.StatusOK {
				t.Fatalf("%d %s %v", status, body, err)
			}
		}
		checkReplayed(t, e, ask, click)
	})
}
