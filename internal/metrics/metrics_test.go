package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
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
		Answered: true, Fallback: "model error: timed out"})
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
		`newsbot_stage_duration_seconds_count{command="ask",stage="ack"} 2`,
		`newsbot_stage_duration_seconds_bucket{command="ask",stage="ack",le="0.025"} 1`,
		`newsbot_stage_duration_seconds_count{command="ask",stage="generate"} 1`,
		`newsbot_stage_duration_seconds_count{command="ask",stage="total"} 3`,
		`newsbot_stage_duration_seconds_count{command="reindex",stage="total"} 1`,
		`newsbot_model_errors_total{reason="timeout"} 1`,
		`newsbot_model_errors_total{reason="other"} 0`,
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
	for _, want := range []string{`newsbot_model_tokens_total{kind="prompt"} 0`, `newsbot_model_errors_total{reason="rate_limited"} 0`, `newsbot_reindex_failures_total 0`} {
		if !strings.Contains(out, want) {
			t.Errorf("a fresh scrape lacks %q", want)
		}
	}
}

// value returns the value of the series line (name and labels as the text
// format writes them) in a scrape, and whether it is there.
func value(t *testing.T, scrape, series string) (float64, bool) {
	t.Helper()
	for _, l := range strings.Split(scrape, "\n") {
		if rest, ok := strings.CutPrefix(l, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("series %s: %v", series, err)
			}
			return v, true
		}
	}
	return 0, false
}

// TestOperatorMetricsMove checks that each metric an operator needs is
// exported from the start and moves when its event happens.
func TestOperatorMetricsMove(t *testing.T) {
	m := New()
	load := Load{}
	m.TrackLoad(func() Load { return load })

	// A fake Discord answering each path with the status its name says.
	discord := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "/ratelimited"):
			w.Header().Set("X-RateLimit-Scope", "user")
			w.WriteHeader(http.StatusTooManyRequests)
		case strings.Contains(r.URL.Path, "/missing"):
			w.WriteHeader(http.StatusNotFound)
		case strings.Contains(r.URL.Path, "/broken"):
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer discord.Close()
	client := &http.Client{Transport: m.DiscordTransport(nil)}
	get := func(path string) {
		t.Helper()
		resp, err := client.Get(discord.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	m.UseStore()

	tests := []struct {
		name   string
		series string
		event  func()
		want   float64 // after the event
	}{
		{"queue depth", `newsbot_answer_queue_depth`, func() { load.Queued = 3 }, 3},
		{"answers in flight", `newsbot_answers_in_flight`, func() { load.Answering = 2 }, 2},
		{"interactions in flight", `newsbot_interactions_in_flight`, func() { load.Interactions = 5 }, 5},
		{"latency by command", `newsbot_stage_duration_seconds_count{command="source",stage="total"}`,
			func() { m.Observe(Interaction{Command: "source", Outcome: "ok", Total: time.Millisecond}) }, 1},
		{"model error 429", `newsbot_model_errors_total{reason="rate_limited"}`,
			func() {
				m.Observe(Interaction{Command: "ask", Outcome: "ok", Answered: true, Fallback: "model error: HTTP 429"})
			}, 1},
		{"model error 5xx", `newsbot_model_errors_total{reason="server_error"}`,
			func() {
				m.Observe(Interaction{Command: "ask", Outcome: "ok", Answered: true, Fallback: "model error: HTTP 503"})
			}, 1},
		{"model answer uncited", `newsbot_model_errors_total{reason="uncited"}`,
			func() {
				m.Observe(Interaction{Command: "ask", Outcome: "ok", Answered: true, Fallback: "answer without valid citations"})
			}, 1},
		{"discord 429", `newsbot_discord_rate_limits_total{route="webhooks",scope="user"}`,
			func() { get("/api/v10/webhooks/1/tok/ratelimited") }, 1},
		{"discord 404", `newsbot_discord_rest_errors_total{route="channels",status="404"}`,
			func() { get("/api/v9/channels/1/messages/missing") }, 1},
		{"discord 502", `newsbot_discord_rest_errors_total{route="interactions",status="502"}`,
			func() { get("/api/v10/interactions/1/tok/callback/broken") }, 1},
		{"discord unreachable", `newsbot_discord_rest_errors_total{route="applications",status="network"}`,
			func() {
				if resp, err := client.Get(deadURL + "/api/v10/applications/@me"); err == nil {
					resp.Body.Close()
				}
			}, 1},
		{"rejection 401", `newsbot_interaction_rejections_total{reason="bad_signature",status="401"}`,
			func() { m.Rejected("bad_signature", 401) }, 1},
		{"rejection 413", `newsbot_interaction_rejections_total{reason="too_large",status="413"}`,
			func() { m.Rejected("too_large", 413) }, 1},
		{"rejection 503", `newsbot_interaction_rejections_total{reason="no_response",status="503"}`,
			func() { m.Rejected("no_response", 503) }, 1},
		{"shared state fallback", `newsbot_shared_state_fallbacks_total{what="limiter"}`,
			func() { m.SharedStateFallback("limiter") }, 1},
		// In order: the store is writable at generation 7, then unreachable.
		{"store generation", `newsbot_store_generation`, func() { m.SetStore(true, 7, 7) }, 7},
		{"store generation lag", `newsbot_store_generation_lag`, func() { m.SetStore(true, 7, 9) }, 2},
		{"store unwritable", `newsbot_store_writable`, func() { m.SetStore(false, 7, 9) }, 0},
		{"store fallback", `newsbot_store_fallbacks_total{reason="polling"}`, func() { m.StoreFallback("polling") }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := value(t, scrape(t, m), tt.series)
			tt.event()
			after, ok := value(t, scrape(t, m), tt.series)
			if !ok || after != tt.want || after == before {
				t.Errorf("%s: %v before, %v (exported %v) after, want %v", tt.series, before, after, ok, tt.want)
			}
		})
	}

	t.Run("last successful reindex", func(t *testing.T) {
		out := scrape(t, m)
		if v, ok := value(t, out, "newsbot_last_reindex_success_timestamp_seconds"); !ok || v != 0 {
			t.Fatalf("before any reindex: %v (exported %v), want 0", v, ok)
		}
		m.ObserveReindex(time.Second, true)
		if v, _ := value(t, scrape(t, m), "newsbot_last_reindex_success_timestamp_seconds"); v != 0 {
			t.Errorf("a failed reindex set the time of the last success: %v", v)
		}
		start := float64(time.Now().Unix())
		m.ObserveReindex(time.Second, false)
		if v, _ := value(t, scrape(t, m), "newsbot_last_reindex_success_timestamp_seconds"); v < start || v > start+5 {
			t.Errorf("after a successful reindex at %v: %v", start, v)
		}
	})
	t.Run("build info", func(t *testing.T) {
		out := scrape(t, m)
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "newsbot_build_info{") {
				line = l
			}
		}
		if !strings.HasSuffix(line, "} 1") || !strings.Contains(line, `goversion="go`) || !strings.Contains(line, `revision="`) || !strings.Contains(line, `version="`) {
			t.Errorf("build info %q", line)
		}
	})
}

func TestModelErrorReason(t *testing.T) {
	for _, tt := range []struct {
		fallback, reason string
		ok               bool
	}{
		{"", "", false},
		{"prompt error", "", false},
		{"model error: timed out", "timeout", true},
		{"model error: stream interrupted", "stream_interrupted", true},
		{"model error: empty answer", "empty", true},
		{"model error: HTTP 429", "rate_limited", true},
		{"model error: HTTP 500", "server_error", true},
		{"model error: HTTP 401", "auth", true},
		{"model error: HTTP 404", "client_error", true},
		{"model error: malformed response from model server", "malformed", true},
		{"model error: dial tcp 127.0.0.1:1: connect: connection refused", "other", true},
		{"answer without valid citations", "uncited", true},
	} {
		if reason, ok := ModelErrorReason(tt.fallback); reason != tt.reason || ok != tt.ok {
			t.Errorf("ModelErrorReason(%q) = %q, %v; want %q, %v", tt.fallback, reason, ok, tt.reason, tt.ok)
		}
	}
}
