package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/newsbot/newsbot/bot/config"
	"github.com/newsbot/newsbot/commands"
)

func TestHealthURL(t *testing.T) {
	tests := []struct {
		listen, want string
		wantErr      bool
	}{
		{listen: ":9090", want: "http://127.0.0.1:9090/healthz"},
		{listen: "0.0.0.0:9090", want: "http://127.0.0.1:9090/healthz"},
		{listen: "[::]:9090", want: "http://[::1]:9090/healthz"},
		{listen: "127.0.0.1:9090", want: "http://127.0.0.1:9090/healthz"},
		{listen: "[::1]:9090", want: "http://[::1]:9090/healthz"},
		{listen: "localhost:9090", want: "http://localhost:9090/healthz"},
		{listen: "10.1.2.3:9090", want: "http://10.1.2.3:9090/healthz"},
		{listen: "9090", wantErr: true},
		{listen: "127.0.0.1:", wantErr: true},
		{listen: "http://127.0.0.1:9090", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.listen, func(t *testing.T) {
			got, err := healthURL(tt.listen)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("healthURL(%q) = %q, want an error", tt.listen, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("healthURL(%q) = %q, %v; want %q", tt.listen, got, err, tt.want)
			}
		})
	}
}

// healthServer is a metrics server whose /healthz answers with status.
func healthServer(t *testing.T, status int, body string) (port string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != "/healthz":
			http.NotFound(w, r)
		case status == http.StatusFound:
			http.Redirect(w, r, "/elsewhere", status)
		default:
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// healthClosedPort is a local port on which nothing listens.
func healthClosedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

func runHealth(ctx context.Context, env map[string]string, args ...string) (stdout string, err error) {
	var out, errb bytes.Buffer
	c := &cli{getenv: func(k string) string { return env[k] }, stdout: &out, stderr: &errb}
	err = c.health(ctx, args)
	return out.String(), err
}

func TestHealth(t *testing.T) {
	okPort := healthServer(t, http.StatusOK, "ok")
	downPort := healthServer(t, http.StatusServiceUnavailable, "index not loaded\nmore detail")
	movedPort := healthServer(t, http.StatusFound, "")
	deadPort := healthClosedPort(t)

	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr []string // substrings of the error; nil means healthy
	}{
		{name: "healthy, address from the environment", env: map[string]string{"NEWSBOT_METRICS": ":" + okPort}},
		{name: "healthy, unspecified host", env: map[string]string{"NEWSBOT_METRICS": "0.0.0.0:" + okPort}},
		{name: "healthy, -addr flag", args: []string{"-addr", "127.0.0.1:" + okPort}},
		{name: "flag wins over the environment", env: map[string]string{"NEWSBOT_METRICS": ":" + deadPort}, args: []string{"-addr", ":" + okPort}},
		{name: "unhealthy names the status and reason", env: map[string]string{"NEWSBOT_METRICS": ":" + downPort}, wantErr: []string{"503 Service Unavailable", "index not loaded"}},
		{name: "redirect is not followed", env: map[string]string{"NEWSBOT_METRICS": ":" + movedPort}, wantErr: []string{"302"}},
		{name: "nothing listening", env: map[string]string{"NEWSBOT_METRICS": ":" + deadPort}, wantErr: []string{"127.0.0.1:" + deadPort}},
		{name: "no address configured", wantErr: []string{"health: no metrics address (set NEWSBOT_METRICS)"}},
		{name: "bad address", env: map[string]string{"NEWSBOT_METRICS": "9090"}, wantErr: []string{`"9090"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runHealth(context.Background(), tt.env, tt.args...)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("health: %v, want healthy", err)
				}
				if !strings.Contains(out, "200 OK") {
					t.Errorf("stdout %q doesn't report the 200", out)
				}
				return
			}
			if err == nil {
				t.Fatalf("health succeeded, want an error containing %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "more detail") {
				t.Errorf("error %q carries more than the body's first line", err)
			}
		})
	}
}

func TestHealthUsage(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"-nosuchflag"}} {
		_, err := runHealth(context.Background(), map[string]string{"NEWSBOT_METRICS": ":9090"}, args...)
		if exitCode(err) != 2 {
			t.Errorf("health %q: err %v, want a usage error", args, err)
		}
	}
}

// TestHealthGivesUpOnAHungServer checks that a bot which accepts the
// connection but never answers is reported unhealthy when the deadline
// passes, instead of hanging the container's health check.
func TestHealthGivesUpOnAHungServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := runHealth(ctx, nil, "-addr", srv.Listener.Addr().String())
	if err == nil {
		t.Fatal("health succeeded against a server that never answers")
	}
	if d := time.Since(start); d > healthTimeout {
		t.Errorf("health took %v, longer than its %v timeout", d, healthTimeout)
	}
}

// TestDeployDocListsEveryVariable keeps docs/deploy.md in step with the
// code: every variable in config.Settings and every variable the bot reads
// by name must be described there.
func TestDeployDocListsEveryVariable(t *testing.T) {
	doc := readRepoFile(t, "docs/deploy.md")
	names := map[string]bool{}
	for _, s := range config.Settings {
		names[s.Env] = true
	}
	getenv := regexp.MustCompile(`getenv\("([A-Z][A-Z0-9_]*)"\)`)
	for _, pattern := range []string{"*.go", "config/*.go"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range getenv.FindAllStringSubmatch(string(src), -1) {
				names[m[1]] = true
			}
		}
	}
	if len(names) < len(config.Settings) {
		t.Fatalf("found %d variables, fewer than the %d settings", len(names), len(config.Settings))
	}
	for name := range names {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/deploy.md does not describe `%s`", name)
		}
	}
}

// TestDeployDocInvitePermissions checks the invite URL's permissions number
// against commands.BotPermissions (built from discordgo's permission bits),
// so that a typo in the sum gives the bot too little (or too much) access.
func TestDeployDocInvitePermissions(t *testing.T) {
	doc := readRepoFile(t, "docs/deploy.md")
	want := commands.BotPermissions
	found := regexp.MustCompile(`permissions=(\d+)`).FindAllStringSubmatch(doc, -1)
	if len(found) == 0 {
		t.Fatal("docs/deploy.md has no invite URL with permissions=")
	}
	for _, m := range found {
		if got, _ := strconv.ParseInt(m[1], 10, 64); got != want {
			t.Errorf("invite URL has permissions=%s, want commands.BotPermissions, %d", m[1], want)
		}
	}
	if !strings.Contains(doc, "scope=bot%20applications.commands") {
		t.Error("invite URL lacks the bot and applications.commands scopes")
	}
}

// readRepoFile reads a file by its path from the repository root (tests
// run in bot/).
func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
