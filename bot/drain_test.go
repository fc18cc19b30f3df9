package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// TestDrainOnShutdown stops "bot serve -http" as a deploy does, while an
// answer is in flight: /readyz turns 503 at once and stays so; for
// NEWSBOT_DRAIN_GRACE interactions are still handled; then new ones are
// told the bot is restarting; the answers in flight finish, and serve
// returns.
func TestDrainOnShutdown(t *testing.T) {
	const grace = 1500 * time.Millisecond
	model := slowModel(t, 2500*time.Millisecond)
	c := newFairCluster(t)
	r := c.start("A", map[string]string{"NEWSBOT_DRAIN_GRACE": grace.String(), "NEWSBOT_OFFLINE": "0",
		"OPENAI_BASE_URL": model.URL, "OPENAI_API_KEY": "sk-test"})
	if code, body := r.get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz before: %d %s", code, body)
	}
	inFlight := askFrom("alice", question)
	if status, resp := r.send(inFlight); status != http.StatusOK || resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("/ask: %d %+v", status, resp)
	}
	for model.ChatCount() == 0 {
		time.Sleep(10 * time.Millisecond)
	}

	stopped := time.Now()
	r.sigterm()
	for {
		code, _ := r.get("/readyz")
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Since(stopped) > 500*time.Millisecond {
			t.Fatalf("/readyz still %d %v after SIGTERM", code, time.Since(stopped))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Within the grace: still handled.
	during := askFrom("bob", question)
	if status, resp := r.send(during); status != http.StatusOK || resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Errorf("an /ask while draining: %d %+v, want it handled", status, resp)
	}
	time.Sleep(time.Until(stopped.Add(grace + 300*time.Millisecond)))
	// After the grace: refused.
	status, resp := r.send(askFrom("carol", question))
	if status != http.StatusOK || resp.Data == nil || !strings.Contains(resp.Data.Content, "restarting") || resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("an /ask after the grace: %d %+v, want a private \"restarting\"", status, resp)
	}
	if code, body := r.get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Errorf("/readyz while finishing: %d %s", code, body)
	}

	if err := r.stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	took := time.Since(stopped)
	for _, i := range []*discordgo.Interaction{inFlight, during} {
		m := c.waitAnswered(i, time.Second)
		if !strings.Contains(m.Content, "[1]") {
			t.Errorf("an answer in flight was not finished: %q", m.Content)
		}
	}
	if took < grace {
		t.Errorf("serve returned %v after SIGTERM, before the end of the grace (%v)", took, grace)
	}
	logs := r.logs.String()
	drain, shut := strings.Index(logs, "draining: /readyz answers 503"), strings.Index(logs, "shutting down: finishing")
	if drain < 0 || shut < drain {
		t.Errorf("the log doesn't say it drained, then shut down:\n%s", grepLines(logs, "ing"))
	}
	if strings.Contains(logs, "cut short") {
		t.Errorf("answers were cut short:\n%s", grepLines(logs, "cut short"))
	}
	t.Logf("SIGTERM to exit: %v (grace %v, answers of %v in flight)", took.Round(time.Millisecond), grace, 2500*time.Millisecond)
}

// TestShutdownGraceBoundsAnswers stops serve with an answer that would
// take longer than NEWSBOT_SHUTDOWN_GRACE: it is cut short, and serve
// returns soon after the grace.
func TestShutdownGraceBoundsAnswers(t *testing.T) {
	model := slowModel(t, time.Minute)
	c := newFairCluster(t)
	r := c.start("A", map[string]string{"NEWSBOT_SHUTDOWN_GRACE": "500ms", "NEWSBOT_OFFLINE": "0",
		"OPENAI_BASE_URL": model.URL, "OPENAI_API_KEY": "sk-test"})
	i := askFrom("alice", question)
	if status, _ := r.send(i); status != http.StatusOK {
		t.Fatalf("/ask: %d", status)
	}
	for model.ChatCount() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := r.stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("serve took %v to return with a grace of 500ms", took)
	}
	if !strings.Contains(r.logs.String(), "interactions cut short") {
		t.Errorf("no warning that answers were cut short:\n%s", grepLines(r.logs.String(), "shut"))
	}
}
