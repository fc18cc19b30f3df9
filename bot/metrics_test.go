package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/commands"
	"github.com/newsbot/newsbot/internal/fakeopenai"
)

// TestServeExportsOperatorMetrics runs "bot serve -http" and makes each
// event an operator watches happen: each shows in /metrics.
func TestServeExportsOperatorMetrics(t *testing.T) {
	model := fakeopenai.New(t)
	model.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response {
		return fakeopenai.Response{Status: http.StatusUnauthorized, ErrorMessage: "bad key"}
	})
	c := newFairCluster(t)
	c.fake.FailNext("PUT /applications/", 1, http.StatusInternalServerError) // the first registration
	r := c.start("A", map[string]string{"NEWSBOT_OFFLINE": "0", "OPENAI_BASE_URL": model.URL, "OPENAI_API_KEY": "sk-test"})

	waitMetric := func(series string, atLeast float64) float64 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			v := r.metric(series)
			if v >= atLeast {
				return v
			}
			if time.Now().After(deadline) {
				_, body := r.get("/metrics")
				t.Fatalf("%s = %v, want at least %v:\n%s", series, v, atLeast, grepLines(body, "newsbot_"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitMetric(`newsbot_discord_rest_errors_total{route="applications",status="500"}`, 1)
	if v := r.metric(`newsbot_last_reindex_success_timestamp_seconds`); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("the last successful reindex (the one at start) is at %v", v)
	}
	if v := r.metric(`newsbot_answers_in_flight`); v != 0 {
		t.Errorf("answers in flight at rest: %v", v)
	}

	// An answer in flight, held by the model.
	model.QueueChat(fakeopenai.Response{Text: "Press TV reports it will not [1].", Delay: 1500 * time.Millisecond})
	c.fake.RateLimitNext("PATCH /webhooks/", 1, 100*time.Millisecond)
	slow := askFrom("alice", question)
	if status, _ := r.send(slow); status != http.StatusOK {
		t.Fatalf("/ask: %d", status)
	}
	waitMetric(`newsbot_answers_in_flight`, 1)
	waitMetric(`newsbot_interactions_in_flight`, 1)
	c.waitAnswered(slow, 20*time.Second)
	waitMetric(`newsbot_stage_duration_seconds_count{command="ask",stage="total"}`, 1)
	waitMetric(`newsbot_discord_rate_limits_total{route="webhooks",scope="user"}`, 1)
	if v := r.metric(`newsbot_answers_in_flight`); v != 0 {
		t.Errorf("answers in flight after: %v", v)
	}

	// The model refuses the key: a quoted answer instead.
	refused := askFrom("bob", question)
	r.send(refused)
	c.waitAnswered(refused, 20*time.Second)
	waitMetric(`newsbot_model_errors_total{reason="auth"}`, 1)

	// Requests the endpoint refuses.
	post := func(body []byte, stamp string, sign bool) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, r.interactions, bytes.NewReader(body))
		req.Header.Set("X-Signature-Timestamp", stamp)
		if !sign {
			req.Header.Set("X-Signature-Ed25519", fmt.Sprintf("%0128x", 0))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	now := strconv.FormatInt(time.Now().Unix(), 10)
	post([]byte(`{"type":2}`), now, false)
	post([]byte(`{"type":2}`), "1", false)
	post(bytes.Repeat([]byte("x"), commands.MaxInteractionBytes+1), now, false)
	r.send(slow) // a replay
	for _, series := range []string{
		`newsbot_interaction_rejections_total{reason="bad_signature",status="401"}`,
		`newsbot_interaction_rejections_total{reason="stale_timestamp",status="401"}`,
		`newsbot_interaction_rejections_total{reason="too_large",status="413"}`,
		`newsbot_interaction_rejections_total{reason="replay",status="200"}`,
	} {
		waitMetric(series, 1)
	}
	_, body := r.get("/metrics")
	if !bytes.Contains([]byte(body), []byte("\nnewsbot_build_info{")) {
		t.Error("/metrics lacks newsbot_build_info")
	}
}
