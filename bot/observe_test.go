package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/newsbot/newsbot/bot/config"
	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/internal/metrics"
)

// TestServeMetricsOverGateway runs "bot serve -metrics" against the fake
// Discord's gateway: /healthz answers (and "bot health", the image's
// HEALTHCHECK, passes), /readyz is 200 once connected, and an /ask shows in
// /metrics as an interaction and in the stage histograms.
func TestServeMetricsOverGateway(t *testing.T) {
	fake := fakediscord.New(t, fakediscord.StrictMentions(t))
	env := map[string]string{
		"DISCORD_TOKEN":      "test-token",
		"DISCORD_GUILD_ID":   fakediscord.GuildID,
		"NEWSBOT_OFFLINE":    "1",
		"NEWSBOT_LOG_FORMAT": "json",
	}
	logs := &lockedBuffer{}
	c := &cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs}
	addr := make(chan net.Addr, 1)
	opts := serveOptions{
		Configure:       fake.Configure,
		RegisterBackoff: 50 * time.Millisecond,
		ShutdownGrace:   5 * time.Second,
		Listening: func(name string, a net.Addr) {
			if name == "metrics" {
				addr <- a
			}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- c.serveWith(ctx, []string{"-data", t.TempDir(), "-corpus", copySeeds(t), "-metrics", "127.0.0.1:0"}, opts)
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("serve ended: %v\n%s", err, logs)
	case <-time.After(10 * time.Second):
		t.Fatal("the metrics server never listened")
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	// "bot health" as the Dockerfile runs it: the address from
	// NEWSBOT_METRICS, an unspecified host meaning this machine.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	if out, err := runHealth(context.Background(), map[string]string{"NEWSBOT_METRICS": ":" + port}); err != nil || !strings.Contains(out, "200 OK") {
		t.Errorf("bot health against the running bot: %v %q", err, out)
	}

	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := fake.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		code, body := get("/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz: %d %s once connected, want 200", code, body)
		}
	}

	ask := fakediscord.CommandInteraction("ask", map[string]any{"question": "Will Iran allow inspections of its military sites?"}, fakediscord.UserSpec{Username: "alice"})
	if err := fake.DispatchInteraction(ask); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`newsbot_interactions_total{command="ask",outcome="ok"} 1`,
		`newsbot_stage_duration_seconds_count{command="ask",stage="ack"} 1`,
		`newsbot_stage_duration_seconds_count{command="ask",stage="retrieve"} 1`,
		`newsbot_stage_duration_seconds_count{command="ask",stage="total"} 1`,
		`newsbot_index_articles 2`, // the two seed articles
		`newsbot_reindex_duration_seconds_count 1`,
		`newsbot_reindex_failures_total 0`,
	}
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, body = get("/metrics")
		if hasLines(body, want[:1]) || time.Now().After(deadline) {
			break
		}
	}
	for _, w := range want {
		if !hasLines(body, []string{w}) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	if m := regexp.MustCompile(`(?m)^newsbot_index_passages (\d+)$`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("/metrics has no index size: %v", m)
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", grepLines(body, "newsbot_"))
	}

	// The log is JSON (not a terminal), one object a line, and the ask's
	// line has what an operator needs.
	var line map[string]any
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"msg":"interaction"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatalf("log line is not JSON: %v\n%s", err, l)
			}
		}
	}
	for _, k := range []string{"command", "user", "outcome", "ack_ms", "retrieve_ms", "generate_ms", "total_ms", "mode", "model", "declined", "prompt_tokens", "completion_tokens"} {
		if _, ok := line[k]; !ok {
			t.Errorf("the interaction's log line lacks %q: %v", k, line)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the metrics server still answers after serve returned")
	}
}

// hasLines reports whether every want is a whole line of body.
func hasLines(body string, want []string) bool {
	lines := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		lines[l] = true
	}
	for _, w := range want {
		if !lines[w] {
			return false
		}
	}
	return true
}

func TestReadiness(t *testing.T) {
	connected := false
	tests := []struct {
		name                     string
		index, stopping, gateway bool
		connected                bool
		wantCode                 int
		wantBody                 string
	}{
		{name: "indexing", gateway: true, wantCode: 503, wantBody: "index not loaded"},
		{name: "indexed, gateway not connected", index: true, gateway: true, wantCode: 503, wantBody: "not connected to Discord"},
		{name: "indexed and connected", index: true, gateway: true, connected: true, wantCode: 200, wantBody: "ready"},
		{name: "HTTP interactions, indexed", index: true, wantCode: 200, wantBody: "ready"},
		{name: "shutting down", index: true, gateway: true, connected: true, stopping: true, wantCode: 503, wantBody: "shutting down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &readiness{}
			if tt.gateway {
				r.connected = func() bool { return connected }
			}
			connected = tt.connected
			r.index.Store(tt.index)
			r.stopping.Store(tt.stopping)
			mux := observabilityMux(metrics.New(), r)
			for path, want := range map[string]int{"/readyz": tt.wantCode, "/healthz": 200} {
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != want {
					t.Errorf("%s: %d %s, want %d", path, rec.Code, rec.Body.String(), want)
				}
				if path == "/readyz" && !strings.Contains(rec.Body.String(), tt.wantBody) {
					t.Errorf("/readyz says %q, want %q", rec.Body.String(), tt.wantBody)
				}
			}
		})
	}
}

func TestServeRefusesBadHTTPSettings(t *testing.T) {
	base := map[string]string{"DISCORD_TOKEN": "test-token", "NEWSBOT_DATA": t.TempDir(), "NEWSBOT_HTTP": "127.0.0.1:0"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
		code int
	}{
		{"no public key", base, nil, "DISCORD_PUBLIC_KEY is not set", 1},
		{"public key not hex", with("DISCORD_PUBLIC_KEY", "not-hex"), nil, "discord.public_key", 2},
		{"public key too short", with("DISCORD_PUBLIC_KEY", "abcd"), nil, "64 hexadecimal digits", 1},
		{"bad -http address", map[string]string{"DISCORD_TOKEN": "t"}, []string{"-http", "8080"}, "serve.http (flag -http)", 2},
		{"bad metrics address", map[string]string{"DISCORD_TOKEN": "t", "NEWSBOT_METRICS": "localhost"}, nil, "serve.metrics ($NEWSBOT_METRICS)", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runBot(t, tt.env, append([]string{"serve"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || exitCode(err) != tt.code {
				t.Fatalf("err = %v (exit %d), want %q with exit %d", err, exitCode(err), tt.want, tt.code)
			}
		})
	}
}

// TestConfigCommand checks "bot config": every setting with its source,
// flags over the environment over the file, secrets masked.
func TestConfigCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "newsbot.toml")
	if err := os.WriteFile(file, []byte("[openai]\nmodel = \"from-file\"\napi_key = \"sk-file-secret-123456\"\n[serve]\ncooldown = \"0\"\nuser_hash_key = \"hash-secret-abcdef\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"NEWSBOT_CONFIG": file, "DISCORD_TOKEN": "MTE3.token-secret-xyz", "NEWSBOT_QUEUE": "7"}
	out, _, err := runBot(t, env, "config")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# config file: " + file,
		"openai.model", "from-file", "config file",
		"serve.queue", "7", "$NEWSBOT_QUEUE",
		"serve.cooldown", "log.format", "auto", "default",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bot config lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"sk-file-secret-123456", "token-secret-xyz", "hash-secret-abcdef"} {
		if strings.Contains(out, secret) {
			t.Errorf("bot config shows a secret:\n%s", out)
		}
	}
	if n := strings.Count(out, "****** (set)"); n != 3 {
		t.Errorf("%d masked secrets, want 3 (api key, token, hash key):\n%s", n, out)
	}

	// -config wins over $NEWSBOT_CONFIG.
	other := filepath.Join(t.TempDir(), "other.toml")
	if err := os.WriteFile(other, []byte("[openai]\nmodel = \"other\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = runBot(t, env, "config", "-config", other)
	if err != nil || !regexp.MustCompile(`openai\.model\s+= other`).MatchString(out) {
		t.Errorf("-config FILE not used: %v\n%s", err, out)
	}
}

// TestConfigErrorsAreUsageErrors checks that a wrong setting, in any
// command, stops it with exit status 2 and a message naming the setting
// and where it came from.
func TestConfigErrorsAreUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(bad, []byte("[openai]\nmodle = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"unknown file key", map[string]string{"NEWSBOT_CONFIG": bad}, []string{"config"}, []string{`unknown key "openai.modle"`, "bad.toml"}},
		{"missing -config file", nil, []string{"ask", "-config", "/nonexistent/newsbot.toml", "question"}, []string{"/nonexistent/newsbot.toml"}},
		{"missing $NEWSBOT_CONFIG file", map[string]string{"NEWSBOT_CONFIG": "/nonexistent/x.toml"}, []string{"index"}, []string{"NEWSBOT_CONFIG"}},
		{"bad duration", map[string]string{"NEWSBOT_MODEL_TIMEOUT": "forever"}, []string{"ask", "q"}, []string{"openai.timeout", "$NEWSBOT_MODEL_TIMEOUT", `"forever"`}},
		{"bad log level", map[string]string{"NEWSBOT_LOG_LEVEL": "loud"}, []string{"source", "q"}, []string{"log.level", "debug, info, warn, error"}},
		{"two mistakes at once", map[string]string{"NEWSBOT_QUEUE": "-1", "NEWSBOT_LOG_FORMAT": "xml"}, []string{"config"}, []string{"serve.queue", "log.format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runBot(t, tt.env, tt.args...)
			if err == nil || exitCode(err) != 2 {
				t.Fatalf("err = %v (exit %d), want a usage error", err, exitCode(err))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var b bytes.Buffer
			report(&b, err)
			for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
				if !strings.HasPrefix(l, "bot: ") {
					t.Errorf("printed error line %q lacks the bot: prefix", l)
				}
			}
		})
	}
	var b bytes.Buffer
	report(&b, usageError{})
	report(&b, errors.New("plain"))
	if b.String() != "bot: plain\n" {
		t.Errorf("report printed %q", b.String())
	}
}

func TestLoggerFormatLevelAndSecrets(t *testing.T) {
	const secret = "sk-live-0123456789abcdef"
	tests := []struct {
		name    string
		env     map[string]string
		serving bool
		json    bool
		info    bool // info lines shown
	}{
		{name: "serve default: JSON when not a terminal, info", serving: true, json: true, info: true},
		{name: "command-line default: warnings only", json: true},
		{name: "text on request", env: map[string]string{"NEWSBOT_LOG_FORMAT": "text"}, serving: true, info: true},
		{name: "level set for a command-line tool", env: map[string]string{"NEWSBOT_LOG_LEVEL": "info"}, json: true, info: true},
		{name: "warn level while serving", env: map[string]string{"NEWSBOT_LOG_LEVEL": "WARN"}, serving: true, json: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"OPENAI_API_KEY": secret}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := config.Load(nil, func(k string) string { return env[k] }, "")
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			log := newLogger(cfg, &b, tt.serving)
			log.Info("hello", "url", "https://x/?key="+secret)
			log.Warn("model failed", "err", errors.New("401 for key "+secret))
			out := b.String()
			if strings.Contains(out, secret) {
				t.Errorf("log shows the secret:\n%s", out)
			}
			if got := strings.Contains(out, "hello"); got != tt.info {
				t.Errorf("info shown = %v, want %v:\n%s", got, tt.info, out)
			}
			if !strings.Contains(out, "model failed") {
				t.Errorf("warning missing:\n%s", out)
			}
			if isJSON := strings.HasPrefix(out, "{"); isJSON != tt.json {
				t.Errorf("JSON = %v, want %v:\n%s", isJSON, tt.json, out)
			}
		})
	}
}

// TestLoggerLeavesWordsOfShortSecrets checks that a secret too short to be
// real (a test token "x") doesn't mask letters in every log line.
func TestLoggerLeavesWordsOfShortSecrets(t *testing.T) {
	cfg, err := config.Load(nil, func(k string) string { return map[string]string{"DISCORD_TOKEN": "x"}[k] }, "")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	newLogger(cfg, &b, true).Info("reindexed", "corpus", "text")
	if !strings.Contains(b.String(), `"reindexed"`) || !strings.Contains(b.String(), `"text"`) {
		t.Errorf("log mangled: %s", b.String())
	}
}
