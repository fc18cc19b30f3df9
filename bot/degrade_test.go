package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/fakediscord"
)

// TestReplicaStartsWithPostgresDown starts a replica while PostgreSQL is
// down, with the snapshot an earlier run saved in its data folder: it
// serves it (answers cite the articles), /readyz is 200 but says it is not
// ready for writes, newsbot_store_writable is 0, and an /ingest is refused
// in words; once PostgreSQL is back it reconnects by itself, converges and
// takes the /ingest.
func TestReplicaStartsWithPostgresDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	c := newCluster(t)
	admin := fakediscord.UserSpec{Username: "root", Admin: true}
	member := fakediscord.UserSpec{Username: "alice"}
	data := t.TempDir()
	first := c.start("first run", replicaConfig{Data: data})
	file := c.Fake.NewAttachment("zorblax.txt", []byte(ingestArticle))
	if m := c.command(first, fakediscord.CommandInteraction("ingest", map[string]any{"file": file}, admin), 30*time.Second, finished); !strings.Contains(m.Content, "can now be asked about") {
		t.Fatalf("/ingest = %q", m.Content)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	c.PG.Stop(t)

	r := c.start("restarted", replicaConfig{Data: data})
	code, body := r.get(t, "/readyz")
	if code != http.StatusOK || !strings.Contains(body, "not ready for writes: PostgreSQL unreachable") {
		t.Errorf("/readyz with PostgreSQL down: %d %q, want 200 saying it is not ready for writes", code, body)
	}
	if _, metrics := r.get(t, "/metrics"); !strings.Contains(metrics, "newsbot_store_writable 0\n") ||
		!strings.Contains(metrics, `newsbot_store_fallbacks_total{reason="read_only"} 1`+"\n") {
		t.Errorf("metrics with PostgreSQL down lack newsbot_store_writable 0 and one read_only fallback:\n%s", grepLines(metrics, "newsbot_store"))
	}
	ask := c.command(r, fakediscord.CommandInteraction("ask", map[string]any{"question": "How many visitors came to the Zorblax festival?"}, member), 30*time.Second, finished)
	if !strings.Contains(ask.Content, "twelve thousand") {
		t.Errorf("the restarted replica doesn't answer from its snapshot: %q", ask.Content)
	}
	other := c.Fake.NewAttachment("wumble.txt", []byte(strings.ReplaceAll(ingestArticle, "Zorblax", "Wumbleton")))
	start := time.Now()
	m := c.command(r, fakediscord.CommandInteraction("ingest", map[string]any{"file": other}, admin), 30*time.Second, finished)
	if !strings.Contains(m.Content, "can't change the articles right now") {
		t.Errorf("/ingest with PostgreSQL down = %q, want the read-only refusal", m.Content)
	}
	t.Logf("the refused /ingest took %v", time.Since(start).Round(time.Millisecond))

	c.PG.Restart(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := r.get(t, "/readyz")
		_, metrics := r.get(t, "/metrics")
		if !strings.Contains(body, "not ready for writes") && strings.Contains(metrics, "newsbot_store_writable 1\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still read-only 30 s after PostgreSQL came back: %q\n%s", body, r.Logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("writable again %v after PostgreSQL restarted", 30*time.Second-time.Until(deadline))
	other = c.Fake.NewAttachment("wumble.txt", []byte(strings.ReplaceAll(ingestArticle, "Zorblax", "Wumbleton")))
	if m := c.command(r, fakediscord.CommandInteraction("ingest", map[string]any{"file": other}, admin), 30*time.Second, finished); !strings.Contains(m.Content, "can now be asked about") {
		t.Errorf("/ingest after PostgreSQL came back = %q", m.Content)
	}
}
