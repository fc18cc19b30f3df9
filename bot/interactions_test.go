package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands"
	"github.com/newsbot/newsbot/internal/fakediscord"
)

// ackGate stands for the part of Discord that reads the HTTP response to
// an interaction: a webhook call (edit, follow-up) for an interaction the
// test holds waits until the test has relayed that response to the fake
// as the interaction's callback, as Discord only knows the interaction
// once it has read the response.
type ackGate struct {
	base http.RoundTripper

	mu   sync.Mutex
	held map[string]chan struct{} // by interaction token
}

func (g *ackGate) hold(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.held[token] = make(chan struct{})
}

func (g *ackGate) release(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ch, ok := g.held[token]; ok {
		close(ch)
		delete(g.held, token)
	}
}

func (g *ackGate) RoundTrip(r *http.Request) (*http.Response, error) {
	// /api/v10/webhooks/APP/TOKEN/...
	parts := strings.Split(r.URL.Path, "/")
	for n, p := range parts {
		if p == "webhooks" && n+2 < len(parts) {
			g.mu.Lock()
			ch := g.held[parts[n+2]]
			g.mu.Unlock()
			if ch != nil {
				select {
				case <-ch:
				case <-r.Context().Done():
					return nil, r.Context().Err()
				}
			}
			break
		}
	}
	return g.base.RoundTrip(r)
}

// httpBot is "bot serve -http" running against the fake Discord.
type httpBot struct {
	t            *testing.T
	fake         *fakediscord.Server
	gate         *ackGate
	priv         ed25519.PrivateKey
	interactions string // http://host:port/interactions
	metrics      string // http://host:port
	logs         *lockedBuffer
	now          time.Time
	corpus       string
	feedback     string
}

// startHTTPBot runs "bot serve -http" with the environment of a test
// server (DISCORD_GUILD_ID set, so it is also the admin server) and the
// variables of extra.
func startHTTPBot(t *testing.T, extra ...string) *httpBot {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fake := fakediscord.New(t, fakediscord.StrictMentions(t))
	base := fake.HTTPClient()
	gate := &ackGate{base: base.Transport, held: map[string]chan struct{}{}}
	env := map[string]string{
		"DISCORD_TOKEN":      "test-token",
		"DISCORD_GUILD_ID":   fakediscord.GuildID,
		"DISCORD_PUBLIC_KEY": hex.EncodeToString(pub),
		"NEWSBOT_OFFLINE":    "1",
		"NEWSBOT_LOG_FORMAT": "text",
		"NEWSBOT_LOG_LEVEL":  "debug",
		"NEWSBOT_FEEDBACK":   filepath.Join(t.TempDir(), "feedback.jsonl"),
	}
	for k := 0; k+1 < len(extra); k += 2 {
		env[extra[k]] = extra[k+1]
	}
	logs := &lockedBuffer{}
	c := &cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs}
	addrs := make(chan [2]string, 2)
	b := &httpBot{t: t, fake: fake, gate: gate, priv: priv, logs: logs, now: time.Now(), corpus: copySeeds(t), feedback: env["NEWSBOT_FEEDBACK"]}
	opts := serveOptions{
		HTTPClient:      &http.Client{Transport: gate, Timeout: 20 * time.Second},
		RegisterBackoff: 50 * time.Millisecond,
		ShutdownGrace:   5 * time.Second,
		Listening:       func(name string, a net.Addr) { addrs <- [2]string{name, a.String()} },
		Now:             func() time.Time { return b.now },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.serveWith(ctx, []string{"-data", t.TempDir(), "-corpus", b.corpus, "-http", "127.0.0.1:0", "-metrics", "127.0.0.1:0"}, opts)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop after its context was cancelled")
		}
	})
	for range 2 {
		select {
		case a := <-addrs:
			switch a[0] {
			case "interactions":
				b.interactions = "http://" + a[1] + "/interactions"
			case "metrics":
				b.metrics = "http://" + a[1]
			}
		case err := <-done:
			t.Fatalf("serve ended early: %v\n%s", err, logs)
		case <-time.After(20 * time.Second):
			t.Fatalf("serve never listened:\n%s", logs)
		}
	}
	return b
}

// post sends an interaction as Discord would, signed with key (the bot's
// key unless another is given) and the timestamp ts.
func (b *httpBot) post(body []byte, ts time.Time, key ed25519.PrivateKey) (*http.Response, []byte) {
	b.t.Helper()
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, b.interactions, bytes.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Timestamp", stamp)
	if key != nil {
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(key, append([]byte(stamp), body...))))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, got
}

// relay hands the bot's HTTP response to the fake as the interaction's
// callback, as Discord would, and lets the bot's webhook calls through.
func (b *httpBot) relay(i *discordgo.Interaction, body []byte) {
	b.t.Helper()
	defer b.gate.release(i.Token)
	url := fmt.Sprintf("%s/api/v10/interactions/%s/%s/callback", b.fake.URL(), i.ID, i.Token)
	resp, err := b.fake.HTTPClient().Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b.t.Fatalf("the fake refused the relayed response %s: %s", body, resp.Status)
	}
}

func (b *httpBot) get(path string) (int, string) {
	b.t.Helper()
	resp, err := http.Get(b.metrics + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServeHTTPInteractions runs "bot serve -http" end to end: Discord's
// signed requests go to POST /interactions, the first response comes back
// in the HTTP body within 3 seconds, the answer follows through the
// webhook API; unsigned, forged and replayed requests are refused before
// anything happens.
func TestServeHTTPInteractions(t *testing.T) {
	b := startHTTPBot(t)
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if _, err := b.fake.WaitFor(wctx, func(r fakediscord.Request) bool {
		return r.Method == http.MethodPut && r.Status == http.StatusOK
	}); err != nil {
		t.Fatalf("commands never registered: %v\n%s", err, b.logs)
	}
	if n := len(b.fake.Commands(fakediscord.GuildID)); n != 8 {
		t.Errorf("%d commands registered in the guild, want 8 (/remove and the menu command too)", n)
	}

	t.Run("ping", func(t *testing.T) {
		resp, body := b.post([]byte(`{"id":"1","application_id":"`+fakediscord.AppID+`","type":1,"token":"t","version":1}`), b.now, b.priv)
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"type":1}` {
			t.Fatalf("PING: %s %s, want 200 {\"type\":1}", resp.Status, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
	})

	_, forger, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	refused := []*discordgo.Interaction{}
	for _, tc := range []struct {
		name string
		ts   time.Time
		key  ed25519.PrivateKey
	}{
		{"forged signature", b.now, forger},
		{"no signature", b.now, nil},
		{"stale timestamp", b.now.Add(-6 * time.Minute), b.priv},
		{"timestamp from the future", b.now.Add(6 * time.Minute), b.priv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := fakediscord.CommandInteraction("ask", map[string]any{"question": "Will Iran allow inspections of its military sites?"}, fakediscord.UserSpec{Username: "mallory"})
			refused = append(refused, i)
			resp, body := b.post(marshal(t, i), tc.ts, tc.key)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s: %s %s, want 401", tc.name, resp.Status, body)
			}
		})
	}
	t.Run("tampered body", func(t *testing.T) {
		i := fakediscord.CommandInteraction("help", nil, fakediscord.UserSpec{Username: "mallory"})
		refused = append(refused, i)
		body := marshal(t, i)
		stamp := strconv.FormatInt(b.now.Unix(), 10)
		sig := ed25519.Sign(b.priv, append([]byte(stamp), body...))
		body = bytes.Replace(body, []byte(`"help"`), []byte(`"ask"`), 1)
		req, _ := http.NewRequest(http.MethodPost, b.interactions, bytes.NewReader(body))
		req.Header.Set("X-Signature-Timestamp", stamp)
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("tampered body: %s, want 401", resp.Status)
		}
	})
	t.Run("too large", func(t *testing.T) {
		resp, _ := b.post(bytes.Repeat([]byte("x"), commands.MaxInteractionBytes+1), b.now, b.priv)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("%s, want 413", resp.Status)
		}
	})
	t.Run("wrong method", func(t *testing.T) {
		resp, err := http.Get(b.interactions)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET /interactions: %s, want 405", resp.Status)
		}
	})

	t.Run("ask", func(t *testing.T) {
		i := fakediscord.CommandInteraction("ask", map[string]any{"question": "Will Iran allow inspections of its military sites?"}, fakediscord.UserSpec{Username: "alice"})
		b.gate.hold(i.Token)
		start := time.Now()
		resp, body := b.post(marshal(t, i), b.now, b.priv)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("the initial response took %v, more than Discord's 3 s", took)
		}
		var ack discordgo.InteractionResponse
		if err := json.Unmarshal(body, &ack); resp.StatusCode != http.StatusOK || err != nil || ack.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
			t.Fatalf("/ask: %s %s, want 200 and a deferred response (type 5)", resp.Status, body)
		}
		b.relay(i, body)

		deadline := time.Now().Add(10 * time.Second)
		for {
			m, ok := b.fake.OriginalResponse(i.Token)
			if ok && strings.Contains(m.Content, "[1]") && len(m.Components) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no cited answer in the original response: %+v\n%s", m, b.logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
		var edits int
		for _, r := range b.fake.Requests() {
			if r.InteractionToken != i.Token || r.Method != http.MethodPatch {
				continue
			}
			edits++
			if !strings.HasSuffix(r.Path, "/messages/@original") {
				t.Errorf("edit of %s, want @original", r.Path)
			}
			am, _ := r.JSON["allowed_mentions"].(map[string]any)
			if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 {
				t.Errorf("edit %s carries allowed_mentions %v, want parse []", r.Path, r.JSON["allowed_mentions"])
			}
		}
		if edits == 0 {
			t.Error("the fake recorded no PATCH of @original")
		}
	})

	t.Run("refused requests had no effect", func(t *testing.T) {
		for _, i := range refused {
			for _, r := range b.fake.Requests() {
				if r.InteractionToken == i.Token || r.InteractionID == i.ID {
					t.Errorf("a refused interaction reached Discord: %s %s", r.Method, r.Path)
				}
			}
		}
		// The /ask's log line is written once its answer is complete,
		// which may be just after the reply the subtest above saw.
		n := 0
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			n = strings.Count(b.logs.String(), "msg=interaction ")
			if n > 0 || time.Now().After(deadline) {
				break
			}
		}
		if n != 1 {
			t.Errorf("%d interactions logged, want only the one /ask:\n%s", n, b.logs)
		}
	})

	t.Run("metrics and readiness", func(t *testing.T) {
		want := `newsbot_interactions_total{command="ask",outcome="ok"} 1`
		var metrics string
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			_, metrics = b.get("/metrics")
			if strings.Contains(metrics, want+"\n") || time.Now().After(deadline) {
				break
			}
		}
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, grepLines(metrics, "newsbot_interactions_total"))
		}
		if n := strings.Count(metrics, "newsbot_interactions_total{"); n != 1 {
			t.Errorf("%d interaction series, want only the one /ask:\n%s", n, grepLines(metrics, "newsbot_interactions_total"))
		}
		if code, body := b.get("/readyz"); code != http.StatusOK {
			t.Errorf("/readyz: %d %s, want 200 in HTTP mode once the index is loaded", code, body)
		}
	})
}

// grepLines returns the lines of s containing sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestServeHTTPAdminScope sends signed /reindex and /ingest requests from
// a server other than the admin one (DISCORD_GUILD_ID) by members with
// Manage Server there: the HTTP response is the refusal, private, and
// nothing is reindexed or saved.
func TestServeHTTPAdminScope(t *testing.T) {
	b := startHTTPBot(t)
	const foreign = "1170000000000000999"
	file := b.fake.NewAttachment("zorblax.txt", []byte("Quimper hosts a festival\n\nThe Breton town of Quimper held a festival on Saturday, officials said."))
	for _, i := range []*discordgo.Interaction{
		fakediscord.CommandInteraction("reindex", nil, fakediscord.UserSpec{Username: "mallory", Admin: true}),
		fakediscord.CommandInteraction("ingest", map[string]any{"file": file}, fakediscord.UserSpec{Username: "mallory", Admin: true}),
	} {
		i.GuildID = foreign
		resp, body := b.post(marshal(t, i), b.now, b.priv)
		var r discordgo.InteractionResponse
		if err := json.Unmarshal(body, &r); err != nil || resp.StatusCode != http.StatusOK ||
			r.Type != discordgo.InteractionResponseChannelMessageWithSource || r.Data == nil ||
			r.Data.Flags&discordgo.MessageFlagsEphemeral == 0 || !strings.Contains(r.Data.Content, "can't be used in this server") {
			t.Errorf("/%s from another server: %s %s, want an ephemeral refusal as the response", i.ApplicationCommandData().Name, resp.Status, body)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(b.corpus, "ingested")); len(entries) != 0 {
		t.Errorf("a file was ingested from another server: %v", entries)
	}
	if strings.Contains(b.logs.String(), "Reindex") || strings.Count(b.logs.String(), "outcome=refused") != 2 {
		t.Errorf("want two refusals and no reindex in the log:\n%s", grepLines(b.logs.String(), "msg=interaction"))
	}
}

// TestServeHTTPReplays sends a signed vote and a signed /reindex three
// times each, as someone who captured the requests would: one vote is
// recorded and one reindex runs; the replays get responses that do
// nothing.
func TestServeHTTPReplays(t *testing.T) {
	b := startHTTPBot(t)
	answer := &discordgo.Message{ID: "1170000000000000444", ChannelID: fakediscord.ChannelID, GuildID: fakediscord.GuildID,
		Content: "> Will Iran allow inspections?\n\nPress TV reports that it will not [1].",
		Author:  &discordgo.User{ID: fakediscord.AppID, Bot: true}}
	vote := fakediscord.ComponentInteraction("ask:vote:up", answer, fakediscord.UserSpec{Username: "alice"})
	reindex := fakediscord.CommandInteraction("reindex", nil, fakediscord.UserSpec{Username: "root", Admin: true})
	for _, i := range []*discordgo.Interaction{vote, reindex} {
		body := marshal(t, i)
		for n := range 3 {
			if n == 0 {
				b.gate.hold(i.Token)
			}
			resp, got := b.post(body, b.now, b.priv)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("request %d: %s %s", n, resp.Status, got)
			}
			if n == 0 {
				b.relay(i, got)
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, ok := b.fake.OriginalResponse(reindex.Token)
		if ok && strings.Contains(m.Content, "Reindex finished") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reindex never finished: %+v\n%s", m, b.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var data []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if data, _ = os.ReadFile(b.feedback); len(data) > 0 {
			break
		}
	}
	if n := strings.Count(string(data), "\n"); n != 1 {
		t.Errorf("%d votes recorded, want 1:\n%s", n, data)
	}
	// Let any replay that was let through end and log its line.
	time.Sleep(500 * time.Millisecond)
	logs := b.logs.String()
	if n := strings.Count(logs, "msg=interaction "); n != 2 {
		t.Errorf("%d interactions logged, want the vote and the reindex:\n%s", n, grepLines(logs, "msg=interaction"))
	}
	if n := strings.Count(logs, "command=reindex"); n != 1 {
		t.Errorf("%d reindexes logged, want 1:\n%s", n, grepLines(logs, "msg=interaction"))
	}
	if n := strings.Count(logs, "ignored a replayed request"); n != 4 {
		t.Errorf("%d replays logged, want 4", n)
	}
}
