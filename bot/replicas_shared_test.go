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
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/internal/fakeopenai"
	"github.com/newsbot/newsbot/internal/pgtest"
)

// fairCluster is replicas of "bot serve -http" behind one fake Discord, all
// with the application's key, as behind one load balancer: a test sends
// each interaction to the replica it chooses.
type fairCluster struct {
	t    *testing.T
	fake *fakediscord.Server
	gate *ackGate
	priv ed25519.PrivateKey
	pub  string
	// data holds each replica's data folder, by name: a replica started
	// again under its name finds what it saved there (its snapshot of the
	// shared corpus).
	data map[string]string
}

func newFairCluster(t *testing.T) *fairCluster {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fake := fakediscord.New(t, fakediscord.StrictMentions(t))
	return &fairCluster{t: t, fake: fake, priv: priv, pub: hex.EncodeToString(pub), data: map[string]string{},
		gate: &ackGate{base: fake.HTTPClient().Transport, held: map[string]chan struct{}{}}}
}

// replica is one "bot serve -http" of a fairCluster, in this process.
type fairReplica struct {
	c            *fairCluster
	name         string
	logs         *lockedBuffer
	interactions string // http://host:port/interactions
	metrics      string // http://host:port

	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
	stopErr  error
}

// start runs a replica with a test server's environment and the variables
// of env; it is stopped when the test ends, if not before.
func (c *fairCluster) start(name string, env map[string]string) *fairReplica {
	c.t.Helper()
	all := map[string]string{
		"DISCORD_TOKEN":      "test-token",
		"DISCORD_GUILD_ID":   fakediscord.GuildID,
		"DISCORD_PUBLIC_KEY": c.pub,
		"NEWSBOT_OFFLINE":    "1",
		"NEWSBOT_LOG_FORMAT": "text",
		"NEWSBOT_LOG_LEVEL":  "debug",
		"NEWSBOT_FEEDBACK":   c.t.TempDir() + "/feedback.jsonl",
	}
	for k, v := range env {
		all[k] = v
	}
	r := &fairReplica{c: c, name: name, logs: &lockedBuffer{}, done: make(chan error, 1)}
	cl := &cli{getenv: func(k string) string { return all[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: r.logs}
	addrs := make(chan [2]string, 2)
	opts := serveOptions{
		HTTPClient:      &http.Client{Transport: c.gate, Timeout: 20 * time.Second},
		RegisterBackoff: 50 * time.Millisecond,
		Listening:       func(name string, a net.Addr) { addrs <- [2]string{name, a.String()} },
	}
	var ctx context.Context
	ctx, r.cancel = context.WithCancel(context.Background())
	if c.data[name] == "" {
		c.data[name] = c.t.TempDir()
	}
	data := c.data[name]
	go func() {
		r.done <- cl.serveWith(ctx, []string{"-data", data, "-corpus", copySeeds(c.t), "-http", "127.0.0.1:0", "-metrics", "127.0.0.1:0"}, opts)
	}()
	c.t.Cleanup(func() {
		if err := r.stop(30 * time.Second); err != nil {
			c.t.Errorf("replica %s: serve = %v", name, err)
		}
	})
	for range 2 {
		select {
		case a := <-addrs:
			if a[0] == "interactions" {
				r.interactions = "http://" + a[1] + "/interactions"
			} else {
				r.metrics = "http://" + a[1]
			}
		case err := <-r.done:
			c.t.Fatalf("replica %s ended early: %v\n%s", name, err, r.logs)
		case <-time.After(30 * time.Second):
			c.t.Fatalf("replica %s never listened:\n%s", name, r.logs)
		}
	}
	return r
}

// sigterm tells the replica to stop, as SIGTERM does (bot's main cancels
// the context serve runs under), without waiting.
func (r *fairReplica) sigterm() { r.cancel() }

// stop stops the replica and returns serve's error, waiting at most
// within for it to end. It may be called more than once.
func (r *fairReplica) stop(within time.Duration) error {
	r.stopOnce.Do(func() {
		r.cancel()
		select {
		case r.stopErr = <-r.done:
		case <-time.After(within):
			r.stopErr = fmt.Errorf("serve did not stop within %v of its context's end", within)
		}
	})
	return r.stopErr
}

// send posts an interaction signed as Discord signs it, now, and returns
// the HTTP status and the response. A response that acknowledges the
// interaction is relayed to the fake as its callback, as Discord does with
// the response to a request it sent, before the replica's webhook calls
// for it go through.
func (r *fairReplica) send(i *discordgo.Interaction) (int, *discordgo.InteractionResponse) {
	r.c.t.Helper()
	body := marshal(r.c.t, i)
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, r.interactions, bytes.NewReader(body))
	if err != nil {
		r.c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Timestamp", stamp)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(r.c.priv, append([]byte(stamp), body...))))
	r.c.gate.hold(i.Token)
	defer r.c.gate.release(i.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.c.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		r.c.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	var ir discordgo.InteractionResponse
	if err := json.Unmarshal(got, &ir); err != nil {
		r.c.t.Fatalf("replica %s answered %s: %v", r.name, got, err)
	}
	if !strings.Contains(string(got), "already handled") {
		url := fmt.Sprintf("%s/api/v10/interactions/%s/%s/callback", r.c.fake.URL(), i.ID, i.Token)
		cb, err := r.c.fake.HTTPClient().Post(url, "application/json", bytes.NewReader(got))
		if err != nil {
			r.c.t.Fatal(err)
		}
		cb.Body.Close()
		if cb.StatusCode != http.StatusNoContent {
			r.c.t.Fatalf("the fake refused replica %s's response %s: %s", r.name, got, cb.Status)
		}
	}
	return resp.StatusCode, &ir
}

// get fetches a path of the replica's metrics server.
func (r *fairReplica) get(path string) (int, string) {
	r.c.t.Helper()
	resp, err := http.Get(r.metrics + path)
	if err != nil {
		r.c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric returns the value of a series in the replica's /metrics, -1
// when it isn't there.
func (r *fairReplica) metric(series string) float64 {
	r.c.t.Helper()
	_, body := r.get("/metrics")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// waitAnswered waits until the interaction's original response is a
// finished answer (it has buttons) and returns it.
func (c *fairCluster) waitAnswered(i *discordgo.Interaction, within time.Duration) *discordgo.Message {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if m, ok := c.fake.OriginalResponse(i.Token); ok && len(m.Components) > 0 {
			return m
		}
		if time.Now().After(deadline) {
			m, _ := c.fake.OriginalResponse(i.Token)
			c.t.Fatalf("interaction %s not answered within %v: %+v", i.ID, within, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// askFrom is an /ask by user.
func askFrom(user, question string) *discordgo.Interaction {
	return fakediscord.CommandInteraction("ask", map[string]any{"question": question}, fakediscord.UserSpec{Username: user})
}

const question = "Will Iran allow inspections of its military sites?"

// slowModel is a fake model whose every answer takes delay.
func slowModel(t *testing.T, delay time.Duration) *fakeopenai.Server {
	t.Helper()
	m := fakeopenai.New(t)
	m.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response {
		return fakeopenai.Response{Text: "Press TV reports a commander ruling out inspections of military sites [1].", Delay: delay}
	})
	return m
}

// TestTwoReplicasShareFairUse runs two "bot serve -http" replicas on one
// real PostgreSQL (the shared state) behind one fake Discord: a user's
// cooldown holds across them, the model never sees more requests at once
// than the budget they share (serve.max_concurrent), a request replayed to
// the other replica does nothing, a user has one vote per answer
// whichever replica records it; and with PostgreSQL down both go on
// answering on their own limits, and say so in their metrics.
func TestTwoReplicasShareFairUse(t *testing.T) {
	pg := pgtest.Start(t)
	const budget = 2
	model := slowModel(t, 400*time.Millisecond)
	env := map[string]string{
		"NEWSBOT_POSTGRES":       pg.DSN,
		"NEWSBOT_MAX_CONCURRENT": strconv.Itoa(budget),
		"NEWSBOT_COOLDOWN":       "1h",
		"NEWSBOT_OFFLINE":        "0",
		"OPENAI_BASE_URL":        model.URL,
		"OPENAI_API_KEY":         "sk-test",
	}
	c := newFairCluster(t)
	a, b := c.start("A", env), c.start("B", env)

	t.Run("cooldown holds across replicas", func(t *testing.T) {
		first := askFrom("alice", question)
		if status, resp := a.send(first); status != http.StatusOK || resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
			t.Fatalf("alice's /ask on A: %d %+v", status, resp)
		}
		c.waitAnswered(first, 20*time.Second)
		status, resp := b.send(askFrom("alice", "And the sanctions?"))
		if status != http.StatusOK || resp.Type != discordgo.InteractionResponseChannelMessageWithSource ||
			resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 || !strings.Contains(resp.Data.Content, "try again in") {
			t.Errorf("alice's /ask on B right after: %d %+v, want a private cooldown", status, resp)
		}
		bob := askFrom("bob", question)
		if status, resp := b.send(bob); status != http.StatusOK || resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
			t.Errorf("bob's /ask on B: %d %+v", status, resp)
		}
		c.waitAnswered(bob, 20*time.Second)
	})

	t.Run("the model budget holds across replicas", func(t *testing.T) {
		before := model.ChatCount()
		var asks []*discordgo.Interaction
		var wg sync.WaitGroup
		start := time.Now()
		for n := range 8 {
			i := askFrom(fmt.Sprintf("user-%d", n), question)
			asks = append(asks, i)
			r := []*fairReplica{a, b}[n%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				if status, resp := r.send(i); status != http.StatusOK || resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
					t.Errorf("/ask %d on %s: %d %+v", n, r.name, status, resp)
				}
			}()
		}
		wg.Wait()
		for _, i := range asks {
			c.waitAnswered(i, 30*time.Second)
		}
		took := time.Since(start)
		if got := model.ChatCount() - before; got != 8 {
			t.Errorf("the model got %d requests, want 8", got)
		}
		if got := model.MaxInFlight(); got > budget {
			t.Errorf("the model saw %d requests at once, more than the budget of %d", got, budget)
		}
		t.Logf("8 answers of 400 ms on 2 replicas with a shared budget of %d: %v, the model saw %d at once", budget, took.Round(time.Millisecond), model.MaxInFlight())
	})

	t.Run("a replay to the other replica does nothing", func(t *testing.T) {
		help := fakediscord.CommandInteraction("help", nil, fakediscord.UserSpec{Username: "carol"})
		if status, resp := a.send(help); status != http.StatusOK || strings.Contains(fmt.Sprint(resp.Data), "already handled") {
			t.Fatalf("/help on A: %d %+v", status, resp)
		}
		status, resp := b.send(help)
		if status != http.StatusOK || resp.Data == nil || !strings.Contains(resp.Data.Content, "already handled") {
			t.Errorf("the same /help replayed to B: %d %+v, want a response that does nothing", status, resp)
		}
	})

	t.Run("one vote per user per answer across replicas", func(t *testing.T) {
		answer := &discordgo.Message{ID: "1170000000000000444", ChannelID: fakediscord.ChannelID, GuildID: fakediscord.GuildID,
			Content: "> Will Iran allow inspections?\n\nPress TV reports that it will not [1].",
			Author:  &discordgo.User{ID: fakediscord.AppID, Bot: true}}
		for _, step := range []struct {
			r    *fairReplica
			id   string
			want string
		}{
			{a, "ask:vote:up", "Thanks for the feedback"},
			{b, "ask:vote:up", "already recorded"},
			{b, "ask:vote:down", "is now 👎"},
		} {
			v := fakediscord.ComponentInteraction(step.id, answer, fakediscord.UserSpec{Username: "dave"})
			if status, _ := step.r.send(v); status != http.StatusOK {
				t.Fatalf("vote on %s: %d", step.r.name, status)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				m, ok := c.fake.OriginalResponse(v.Token)
				if ok && strings.Contains(m.Content, step.want) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s on %s: %+v, want %q", step.id, step.r.name, m, step.want)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	})

	t.Run("PostgreSQL down: each replica answers on its own limits", func(t *testing.T) {
		pg.Stop(t)
		defer pg.Restart(t)
		for n, r := range []*fairReplica{a, b} {
			i := askFrom(fmt.Sprintf("outage-%d", n), question)
			start := time.Now()
			status, resp := r.send(i)
			if status != http.StatusOK || resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
				t.Fatalf("/ask on %s with PostgreSQL down: %d %+v", r.name, status, resp)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("acknowledging on %s with PostgreSQL down took %v", r.name, took)
			}
			c.waitAnswered(i, 30*time.Second)
			again := askFrom(fmt.Sprintf("outage-%d", n), "again?")
			if _, resp := r.send(again); resp == nil || resp.Data == nil || !strings.Contains(resp.Data.Content, "try again in") {
				t.Errorf("the same user again on %s: %+v, want this replica's own cooldown", r.name, resp)
			}
			if v := r.metric(`newsbot_shared_state_fallbacks_total{what="limiter"}`); v < 1 {
				t.Errorf("%s: newsbot_shared_state_fallbacks_total{what=\"limiter\"} = %v", r.name, v)
			}
			if !strings.Contains(r.logs.String(), "shared state unavailable") {
				t.Errorf("%s logged no warning", r.name)
			}
		}
	})
}

// TestReplicasWithoutSharedStateOverspend is the control of
// TestTwoReplicasShareFairUse: two replicas without PostgreSQL each allow
// the user a question, and together give the model twice the budget.
func TestReplicasWithoutSharedStateOverspend(t *testing.T) {
	if testing.Short() {
		t.Skip("a control experiment")
	}
	const budget = 2
	model := slowModel(t, 400*time.Millisecond)
	env := map[string]string{"NEWSBOT_MAX_CONCURRENT": strconv.Itoa(budget), "NEWSBOT_COOLDOWN": "1h",
		"NEWSBOT_OFFLINE": "0", "OPENAI_BASE_URL": model.URL, "OPENAI_API_KEY": "sk-test"}
	c := newFairCluster(t)
	a, b := c.start("A", env), c.start("B", env)
	var asks []*discordgo.Interaction
	var wg sync.WaitGroup
	for n := range 8 {
		i := askFrom(fmt.Sprintf("user-%d", n%4), question) // each user on both
		asks = append(asks, i)
		r := []*fairReplica{a, b}[n/4]
		wg.Add(1)
		go func() { defer wg.Done(); r.send(i) }()
	}
	wg.Wait()
	for _, i := range asks {
		c.waitAnswered(i, 30*time.Second)
	}
	if got := model.MaxInFlight(); got != 2*budget {
		t.Errorf("without shared state the model saw %d at once; this control expects %d (each replica's own budget)", got, 2*budget)
	}
}

// TestSharedLimitsWithPostgresDownAtStart starts a replica while PostgreSQL is
// stopped: it serves on its own limits (and says so), and shares them
// again once PostgreSQL is back, without a restart.
func TestSharedLimitsWithPostgresDownAtStart(t *testing.T) {
	pg := pgtest.Start(t)
	c := newFairCluster(t)
	env := map[string]string{"NEWSBOT_POSTGRES": pg.DSN, "NEWSBOT_COOLDOWN": "1h", "NEWSBOT_USER_HASH_KEY": "same-for-both"}
	// A first run leaves A a snapshot of the shared corpus to serve from
	// (without one, a replica waits for PostgreSQL before it serves).
	if err := c.start("A", env).stop(30 * time.Second); err != nil {
		t.Fatalf("first run of A: %v", err)
	}
	pg.Stop(t)
	a := c.start("A", env)
	if !strings.Contains(a.logs.String(), "could not read the user hash key") && !strings.Contains(a.logs.String(), "shared state in PostgreSQL") {
		t.Errorf("no word of the shared state at start:\n%s", a.logs)
	}
	first := askFrom("alice", question)
	if status, resp := a.send(first); status != http.StatusOK || resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("/ask with PostgreSQL down since the start: %d %+v", status, resp)
	}
	c.waitAnswered(first, 20*time.Second)
	if v := a.metric(`newsbot_shared_state_fallbacks_total{what="limiter"}`); v < 1 {
		t.Errorf("fallbacks %v", v)
	}

	pg.Restart(t)
	time.Sleep(5*time.Second + 200*time.Millisecond) // the router leaves a failed store alone for 5 s
	b := c.start("B", env)
	if status, resp := a.send(askFrom("bob", question)); status != http.StatusOK || resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("bob on A once PostgreSQL is back: %d %+v", status, resp)
	}
	status, resp := b.send(askFrom("bob", "again?"))
	if status != http.StatusOK || resp.Data == nil || !strings.Contains(resp.Data.Content, "try again in") {
		t.Errorf("bob on B right after: %d %+v, want the cooldown A recorded in PostgreSQL", status, resp)
	}
	if !strings.Contains(a.logs.String(), "shared state is back") {
		t.Errorf("A didn't log the recovery:\n%s", grepLines(a.logs.String(), "shared state"))
	}
}
