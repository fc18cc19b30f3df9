package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
)

// gatewayBot is "bot serve" over the gateway, running in this process
// against a fake Discord that may be shared with other gatewayBots.
type gatewayBot struct {
	t       *testing.T
	logs    *lockedBuffer
	metrics string // http://host:port
}

// startGatewayBot runs "bot serve -metrics" over fake's gateway with the
// variables of env added to a test server's, until the test ends.
func startGatewayBot(t *testing.T, fake *fakediscord.Server, env map[string]string) *gatewayBot {
	t.Helper()
	all := map[string]string{
		"DISCORD_TOKEN":      "test-token",
		"DISCORD_GUILD_ID":   fakediscord.GuildID,
		"NEWSBOT_OFFLINE":    "1",
		"NEWSBOT_LOG_FORMAT": "text",
		"NEWSBOT_FEEDBACK":   t.TempDir() + "/feedback.jsonl",
	}
	for k, v := range env {
		all[k] = v
	}
	b := &gatewayBot{t: t, logs: &lockedBuffer{}}
	c := &cli{getenv: func(k string) string { return all[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: b.logs}
	addr := make(chan net.Addr, 1)
	opts := serveOptions{
		Configure:        fake.Configure,
		RegisterBackoff:  50 * time.Millisecond,
		ShutdownGrace:    5 * time.Second,
		IdentifyInterval: 100 * time.Millisecond,
		Listening:        func(_ string, a net.Addr) { addr <- a },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.serveWith(ctx, []string{"-data", t.TempDir(), "-corpus", copySeeds(t), "-metrics", "127.0.0.1:0"}, opts)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve = %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop after its context was cancelled")
		}
	})
	select {
	case a := <-addr:
		b.metrics = "http://" + a.String()
	case err := <-done:
		t.Fatalf("serve ended early: %v\n%s", err, b.logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("serve never listened:\n%s", b.logs)
	}
	return b
}

// waitReady waits until /readyz is 200: every shard of the bot connected.
func (b *gatewayBot) waitReady() {
	b.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(b.metrics + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("/readyz never 200:\n%s", b.logs)
		}
	}
}

// interactions counts the interaction lines of a command in the log.
func (b *gatewayBot) interactions(command string) int {
	return strings.Count(b.logs.String(), "msg=interaction command="+command+" ")
}

// shardedTraffic dispatches, for each of count shards, two /ask from
// guilds of that shard and one message mentioning the bot, and waits
// until each is answered. It returns the number of callbacks and of
// replies each got (to be one each), keyed by what was sent.
func shardedTraffic(t *testing.T, fake *fakediscord.Server, count int) (callbacks, replies map[string]int) {
	t.Helper()
	callbacks, replies = map[string]int{}, map[string]int{}
	var asks []*discordgo.Interaction
	var mentions []*discordgo.Message
	for shard := range count {
		for n := range 2 {
			i := fakediscord.CommandInteraction("ask", map[string]any{"question": "Will Iran allow inspections of its military sites?"},
				fakediscord.UserSpec{Username: fmt.Sprintf("user-%d-%d", shard, n)})
			i.GuildID = fakediscord.ShardGuild(shard, count, n)
			if err := fake.DispatchInteraction(i); err != nil {
				t.Fatal(err)
			}
			asks = append(asks, i)
		}
		m := &discordgo.Message{ID: fmt.Sprintf("117000000000001%04d", shard), GuildID: fakediscord.ShardGuild(shard, count, 5),
			Content:  "<@" + fakediscord.AppID + "> Will Iran allow inspections of its military sites?",
			Author:   &discordgo.User{ID: fmt.Sprintf("11700000000000020%02d", shard), Username: "mentioner"},
			Mentions: []*discordgo.User{{ID: fakediscord.AppID}}}
		if err := fake.DispatchMessage(m); err != nil {
			t.Fatal(err)
		}
		mentions = append(mentions, m)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, i := range asks {
		for {
			if m, ok := fake.OriginalResponse(i.Token); ok && strings.Contains(m.Content, "[1]") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the /ask from guild %s (shard %d) was never answered", i.GuildID, fakediscord.ShardOf(i.GuildID, count))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for {
		n := 0
		for _, m := range mentions {
			for _, r := range fake.Requests() {
				if ref, _ := r.JSON["message_reference"].(map[string]any); r.Method == http.MethodPost && ref["message_id"] == m.ID {
					n++
					break
				}
			}
		}
		if n == len(mentions) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d mentions answered", n, len(mentions))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // for a second handler, if any, to show
	for _, r := range fake.Requests() {
		for _, i := range asks {
			if r.InteractionToken == i.Token && strings.HasSuffix(r.Path, "/callback") {
				callbacks[i.GuildID]++
			}
		}
		for _, m := range mentions {
			if ref, _ := r.JSON["message_reference"].(map[string]any); r.Method == http.MethodPost && ref["message_id"] == m.ID {
				replies[m.GuildID]++
			}
		}
	}
	return callbacks, replies
}

// TestGatewayShards runs two gateway processes of one bot, shards 0 and 1
// of 2, against the fake gateway: each handles only its guilds' /ask and
// mentions, and nothing is handled twice (no second acknowledgement, no
// doubled reply).
func TestGatewayShards(t *testing.T) {
	fake := fakediscord.New(t, fakediscord.StrictMentions(t))
	a := startGatewayBot(t, fake, map[string]string{"NEWSBOT_SHARDS": "2", "NEWSBOT_SHARD_IDS": "0", "NEWSBOT_MENTIONS": "1"})
	b := startGatewayBot(t, fake, map[string]string{"NEWSBOT_SHARDS": "2", "NEWSBOT_SHARD_IDS": "1", "NEWSBOT_MENTIONS": "1"})
	a.waitReady()
	b.waitReady()
	callbacks, replies := shardedTraffic(t, fake, 2)
	for g, n := range callbacks {
		if n != 1 {
			t.Errorf("the /ask from guild %s (shard %d) was acknowledged %d times, want once", g, fakediscord.ShardOf(g, 2), n)
		}
	}
	for g, n := range replies {
		if n != 1 {
			t.Errorf("the mention in guild %s (shard %d) got %d replies, want one", g, fakediscord.ShardOf(g, 2), n)
		}
	}
	for name, bot := range map[string]*gatewayBot{"shard 0": a, "shard 1": b} {
		if n, m := bot.interactions("ask"), bot.interactions("mention"); n != 2 || m != 1 {
			t.Errorf("the process of %s handled %d /ask and %d mentions, want its own 2 and 1:\n%s", name, n, m, grepLines(bot.logs.String(), "msg=interaction"))
		}
	}
	if !strings.Contains(a.logs.String(), "shards 0 of 2") || !strings.Contains(b.logs.String(), "shards 1 of 2") {
		t.Errorf("the start lines don't name the shards:\n%s\n%s", grepLines(a.logs.String(), "serving"), grepLines(b.logs.String(), "serving"))
	}
}

// TestGatewayShardsAuto has one process take Discord's recommended count
// (2) and connect both shards, where Discord refuses an unsharded bot: it
// handles every guild, each once.
func TestGatewayShardsAuto(t *testing.T) {
	fake := fakediscord.New(t, fakediscord.StrictMentions(t), fakediscord.RecommendShards(2), fakediscord.RequireShards(2))
	bot := startGatewayBot(t, fake, map[string]string{"NEWSBOT_SHARDS": "auto", "NEWSBOT_MENTIONS": "1"})
	bot.waitReady()
	callbacks, replies := shardedTraffic(t, fake, 2)
	for g, n := range callbacks {
		if n != 1 {
			t.Errorf("the /ask from guild %s was acknowledged %d times, want once", g, n)
		}
	}
	if len(callbacks) != 4 || len(replies) != 2 {
		t.Errorf("%d /ask and %d mentions handled, want 4 and 2", len(callbacks), len(replies))
	}
	if n := fake.Identifies(); n != 2 {
		t.Errorf("%d IDENTIFYs, want one per shard", n)
	}
	// Discord's max_concurrency is 1 here: the second shard identified an
	// interval (100 ms in this test, 5 s by default) after the first.
	var at []time.Time
	for _, l := range strings.Split(bot.logs.String(), "\n") {
		if m := regexp.MustCompile(`^time=(\S+) .*msg="gateway shard connected"`).FindStringSubmatch(l); m != nil {
			ts, err := time.Parse(time.RFC3339Nano, m[1])
			if err != nil {
				t.Fatal(err)
			}
			at = append(at, ts)
		}
	}
	if len(at) != 2 || at[1].Sub(at[0]) < 100*time.Millisecond {
		t.Errorf("shards connected at %v, want two, 100 ms apart at least", at)
	}
}

// TestShardSettingsRefused checks the shard settings that can't work.
func TestShardSettingsRefused(t *testing.T) {
	fake := fakediscord.New(t)
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"NEWSBOT_SHARDS": "auto", "NEWSBOT_SHARD_IDS": "0"}, "needs a shard count"},
		{map[string]string{"NEWSBOT_SHARDS": "2", "NEWSBOT_SHARD_IDS": "1,2"}, "shard 2 is not below the shard count 2"},
	} {
		env := map[string]string{"DISCORD_TOKEN": "test-token", "NEWSBOT_OFFLINE": "1"}
		for k, v := range tc.env {
			env[k] = v
		}
		c := &cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: &lockedBuffer{}}
		err := c.serveWith(context.Background(), []string{"-data", t.TempDir(), "-corpus", copySeeds(t)}, serveOptions{Configure: fake.Configure})
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error saying %q", tc.env, err, tc.want)
		}
	}
}
