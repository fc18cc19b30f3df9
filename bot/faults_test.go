package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/retrieval"
)

// served is a "bot serve" running against a fake Discord.
type served struct {
	t    *testing.T
	fake *fakediscord.Server
	logs *lockedBuffer
	stop func() error
}

// startServe runs "bot serve" with env and args against a new fake
// Discord, waits until its commands are registered, and stops it when the
// test ends (or when stop is called).
func startServe(t *testing.T, env map[string]string, args ...string) *served {
	t.Helper()
	fake := fakediscord.New(t, fakediscord.StrictMentions(t))
	logs := &lockedBuffer{}
	c := &cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: logs, stderr: logs}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.serveWith(ctx, args, serveOptions{Configure: fake.Configure, RegisterBackoff: 50 * time.Millisecond, ShutdownGrace: 5 * time.Second})
	}()
	stopped := false
	var result error
	stop := func() error {
		if stopped {
			return result
		}
		stopped = true
		cancel()
		select {
		case result = <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop after its context was cancelled")
		}
		return result
	}
	t.Cleanup(func() { stop() })

	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	registered := make(chan error, 1)
	go func() {
		_, err := fake.WaitFor(wctx, func(r fakediscord.Request) bool {
			return r.Method == http.MethodPut && r.Status == http.StatusOK
		})
		registered <- err
	}()
	select {
	case err := <-registered:
		if err != nil {
			t.Fatalf("commands never registered: %v\n%s", err, logs)
		}
	case err := <-done:
		t.Fatalf("serve ended before registering its commands: %v\n%s", err, logs)
	}
	return &served{t: t, fake: fake, logs: logs, stop: stop}
}

// ask dispatches an interaction and waits until its original response
// satisfies done.
func (s *served) dispatch(i *discordgo.Interaction, timeout time.Duration, done func(*discordgo.Message) bool) *discordgo.Message {
	s.t.Helper()
	if err := s.fake.DispatchInteraction(i); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(timeout)
	for {
		m, ok := s.fake.OriginalResponse(i.Token)
		if ok && done(m) {
			return m
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("response %+v not as expected after %v\n%s", m, timeout, s.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hasButtons(m *discordgo.Message) bool { return len(m.Components) > 0 }

// TestServeRebuildsDamagedIndex damages the saved index in several ways
// and starts "bot serve": it must say the index is damaged and is being
// rebuilt, rebuild it, and answer questions, rather than crash or serve an
// empty index.
func TestServeRebuildsDamagedIndex(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"truncated", func(t *testing.T, p string) {
			b := readFile(t, p)
			writeFile(t, p, b[:len(b)/2])
		}},
		{"truncated to the header", func(t *testing.T, p string) {
			writeFile(t, p, readFile(t, p)[:20])
		}},
		{"a byte flipped", func(t *testing.T, p string) {
			b := readFile(t, p)
			b[len(b)-200] ^= 0x5a
			writeFile(t, p, b)
		}},
		{"empty", func(t *testing.T, p string) { writeFile(t, p, nil) }},
		{"not an index", func(t *testing.T, p string) { writeFile(t, p, []byte("<html>502 Bad Gateway</html>")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, corpus := t.TempDir(), copySeeds(t)
			env := map[string]string{
				"DISCORD_TOKEN":    "test-token",
				"DISCORD_GUILD_ID": fakediscord.GuildID,
				"NEWSBOT_OFFLINE":  "1",
				"NEWSBOT_DATA":     data,
				"NEWSBOT_CORPUS":   corpus, // as the Docker image sets it
			}
			if _, errs, err := runBot(t, env, "index"); err != nil {
				t.Fatalf("index: %v\n%s", err, errs)
			}
			index := filepath.Join(data, "index.bin")
			tt.damage(t, index)

			s := startServe(t, env)
			ask := fakediscord.CommandInteraction("ask", map[string]any{"question": "Will Iran allow inspections of its military sites?"}, fakediscord.UserSpec{Username: "alice"})
			m := s.dispatch(ask, 10*time.Second, hasButtons)
			if !strings.Contains(m.Content, "[1]") || !strings.Contains(m.Content, "Press TV") {
				t.Errorf("answer after the rebuild = %q", m.Content)
			}
			if err := s.stop(); err != nil {
				t.Errorf("serve = %v", err)
			}
			log := s.logs.String()
			if !strings.Contains(log, "damaged") || !strings.Contains(log, "rebuil") {
				t.Errorf("the log doesn't tell the operator the index is damaged and rebuilt:\n%s", log)
			}
			t.Logf("%s", log)
			ix, err := retrieval.Open(retrieval.Options{Dir: data})
			if err != nil {
				t.Fatal(err)
			}
			if ix.Stale() != "" || len(ix.Articles()) != 2 {
				t.Errorf("the rebuilt index on disk: stale %q, %d articles", ix.Stale(), len(ix.Articles()))
			}
		})
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
