package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// scrape returns the metrics as a Prometheus server would read them.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	b, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMetricsFollowEvents(t *testing.T) {
	m := New()
	m.Observe(Interaction{Command: "ask", Outcome: "ok", Total: 300 * time.Millisecond,
		Stages:   []Stage{{Name: "ack", Duration: 20 * time.Millisecond}, {Name: "retrieve", Duration: 5 * time.Millisecond}, {Name: "generate", Duration: 250 * time.Millisecond}},
		Answered: true, PromptTokens: 120, CompletionTokens: 30})
	m.Observe(Interaction{Command: "ask", Outcome: "ok", Total: time.Second,
		Stages:   []Stage{{Name: "ack", Duration: 2 * time.Second}},
		Answered: true, Fallback: "model error: timeout"})
	m.Observe(Interaction{Command: "ask", Outcome: "cooldown", Total: time.Millisecond})
	m.Observe(Interaction{Command: "reindex", Outcome: "ok", Total: time.Second, Answered: false, Fallback: "model error: ignored without an answer"})
	m.SetIndexSize(12, 345)
	m.ObserveReindex(1500*time.Millisecond, false)
	m.ObserveReindex(200*time.Millisecond, true)

	out := scrape(t, m)
	for _, want := range []string{
		`newsbot_interactions_total{command="ask",outcome="ok"} 2`,
		`newsbot_interactions_total{command="ask",outcome="cooldown"} 1`,
		`newsbot_interactions_total{command="reindex",outcome="ok"} 1`,
		`newsbot_stage_duration_seconds_count{stage="ack"} 2`,
		`newsbot_stage_duration_seconds_bucket{stage="ack",le="0.025"} 1`,
		`newsbot_stage_duration_seconds_count{stage="generate"} 1`,
		`newsbot_stage_duration_seconds_count{stage="total"} 4`,
		`newsbot_model_errors_total 1`,
		`newsbot_model_tokens_total{kind="prompt"} 120`,
		`newsbot_model_tokens_total{kind="completion"} 30`,
		`newsbot_index_articles 12`,
		`newsbot_index_passages 345`,
		`newsbot_reindex_duration_seconds_count 2`,
		`newsbot_reindex_failures_total 1`,
	} {
		if !strings.Contains(out, "\n"+want+"\n") {
			t.Errorf("scrape lacks the line %q", want)
		}
	}
	if !strings.Contains(out, "\ngo_goroutines ") {
		t.Error("scrape lacks the Go runtime metrics")
	}
	if t.Failed() {
		t.Log(out)
	}
}

// TestMetricsOwnRegistry checks that two bots in one process (as in tests)
// don't collide on a shared default registry.
func TestMetricsOwnRegistry(t *testing.T) {
	a, b := New(), New()
	a.Observe(Interaction{Command: "help", Outcome: "ok"})
	if strings.Contains(scrape(t, b), `command="help"`) {
		t.Error("metrics of one instance show in another")
	}
	if a.Registry() == b.Registry() {
		t.Error("instances share a registry")
	}
}

func TestTokensAreExposedAtZero(t *testing.T) {
	out := scrape(t, New())
	for _, want := range []string{`newsbot_model_tokens_total{kind="prompt"} 0`, `newsbot_model_errors_total 0`, `newsbot_reindex_failures_total 0`} {
		if !strings.Contains(out, want) {
			t.Errorf("a fresh scrape lacks %q", want)
		}
	}
}
