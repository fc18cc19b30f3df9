package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/newsbot/newsbot/bot/config"
)

// composeEnv is the environment `docker compose` would run with: the
// variables docs/compose.yaml asks for, set to values the test looks for.
var composeEnv = map[string]string{
	"DISCORD_TOKEN":         "token-from-env",
	"DISCORD_PUBLIC_KEY":    strings.Repeat("ab", 32),
	"NEWSBOT_USER_HASH_KEY": "hash-key-from-env",
	"POSTGRES_PASSWORD":     "password-from-env",
	"NEWSBOT_DOMAIN":        "bot.example.org",
	"OPENAI_API_KEY":        "sk-from-env",
}

// loadCompose loads docs/compose.yaml with the Compose specification's own
// loader (schema validation, interpolation, YAML merge keys), as `docker
// compose` would with env.
func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "docs", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return loader.LoadWithContext(ctx, types.ConfigDetails{
		WorkingDir:  filepath.Dir(path),
		ConfigFiles: []types.ConfigFile{{Filename: path, Content: data}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("newsbot", true) })
}

// TestComposeFileTwoReplicas checks what docs/deploy.md says of the
// two-replica example: PostgreSQL with pgvector, healthy before the bots
// start; two replicas of one image with one environment, sharing
// NEWSBOT_POSTGRES, with valid settings, secrets only from the
// environment, health checks, a restart policy, a stop grace that covers
// the drain and the answers in flight, no ports and no shared volume; one
// HTTPS endpoint that sends interactions to the replicas whose /readyz is
// 200.
func TestComposeFileTwoReplicas(t *testing.T) {
	p, err := loadCompose(t, composeEnv)
	if err != nil {
		t.Fatalf("load docs/compose.yaml: %v", err)
	}
	names := p.ServiceNames()
	slices.Sort(names)
	if !slices.Equal(names, []string{"bot-a", "bot-b", "postgres", "proxy"}) {
		t.Fatalf("services %v", names)
	}
	pg, a, b, proxy := p.Services["postgres"], p.Services["bot-a"], p.Services["bot-b"], p.Services["proxy"]
	env := func(s types.ServiceConfig, k string) string {
		if v := s.Environment[k]; v != nil {
			return *v
		}
		return ""
	}

	t.Run("postgres", func(t *testing.T) {
		if pg.Image != "pgvector/pgvector:pg16" || pg.Restart != "unless-stopped" {
			t.Errorf("image %q, restart %q", pg.Image, pg.Restart)
		}
		if pg.HealthCheck == nil || !strings.Contains(strings.Join(pg.HealthCheck.Test, " "), "pg_isready") {
			t.Errorf("healthcheck %+v, want pg_isready", pg.HealthCheck)
		}
		if env(pg, "POSTGRES_PASSWORD") != composeEnv["POSTGRES_PASSWORD"] {
			t.Errorf("the password doesn't come from the environment")
		}
	})

	for _, bot := range []types.ServiceConfig{a, b} {
		t.Run(bot.Name, func(t *testing.T) {
			if bot.Image != "newsbot" || bot.Build == nil || !slices.Equal(bot.Command, types.ShellCommand{"serve"}) {
				t.Errorf("image %q, build %+v, command %v", bot.Image, bot.Build, bot.Command)
			}
			if bot.Build != nil {
				if _, err := os.Stat(filepath.Join(bot.Build.Context, "Dockerfile")); err != nil {
					t.Errorf("the build context %s has no Dockerfile", bot.Build.Context)
				}
			}
			if bot.Restart != "unless-stopped" {
				t.Errorf("restart %q", bot.Restart)
			}
			// The image's health check, bot health, as the Dockerfile has it.
			if h := bot.HealthCheck; h == nil || !slices.Equal([]string(h.Test), []string{"CMD", "/usr/local/bin/bot", "health"}) {
				t.Errorf("healthcheck %+v", bot.HealthCheck)
			}
			if dep, ok := bot.DependsOn["postgres"]; !ok || dep.Condition != types.ServiceConditionHealthy {
				t.Errorf("depends_on %+v, want postgres healthy", bot.DependsOn)
			}
			if len(bot.Ports) != 0 {
				t.Errorf("a replica publishes ports %+v; only the proxy should", bot.Ports)
			}
			// Every variable is a setting, and the settings are valid.
			known := map[string]bool{}
			for _, s := range config.Settings {
				known[s.Env] = true
			}
			for k := range bot.Environment {
				if !known[k] {
					t.Errorf("%s is not a setting of the bot", k)
				}
			}
			cfg, err := config.Load(nil, func(k string) string { return env(bot, k) }, "")
			if err != nil {
				t.Fatalf("the replica's settings: %v", err)
			}
			if err := checkSharedSettings(cfg); err != nil {
				t.Errorf("a replica with these settings would not start: %v", err)
			}
			if cfg.Serve.HTTP == "" || cfg.Serve.Metrics == "" || cfg.Index.Postgres == "" || cfg.Serve.DrainGrace <= 0 {
				t.Errorf("HTTP %q, metrics %q, postgres set %v, drain %v", cfg.Serve.HTTP, cfg.Serve.Metrics, cfg.Index.Postgres != "", cfg.Serve.DrainGrace)
			}
			if !strings.Contains(cfg.Index.Postgres, "@postgres:5432/") || !strings.Contains(cfg.Index.Postgres, composeEnv["POSTGRES_PASSWORD"]) {
				t.Errorf("NEWSBOT_POSTGRES doesn't name the postgres service with the password from the environment")
			}
			if cfg.Serve.Feedback != "" {
				t.Errorf("a feedback file is set; with PostgreSQL the votes are there")
			}
			for _, k := range []string{"DISCORD_TOKEN", "DISCORD_PUBLIC_KEY", "NEWSBOT_USER_HASH_KEY", "OPENAI_API_KEY"} {
				if env(bot, k) != composeEnv[k] {
					t.Errorf("%s = %q, want it from the environment", k, env(bot, k))
				}
			}
			if g := bot.StopGracePeriod; g == nil || time.Duration(*g) < cfg.Serve.DrainGrace+cfg.Serve.ShutdownGrace+5*time.Second {
				t.Errorf("stop_grace_period %v doesn't cover the drain (%v) and the answers in flight (%v)", g, cfg.Serve.DrainGrace, cfg.Serve.ShutdownGrace)
			}
		})
	}

	t.Run("the replicas are alike and share nothing on disk", func(t *testing.T) {
		if len(a.Environment) != len(b.Environment) {
			t.Errorf("the replicas' environments differ: %d and %d variables", len(a.Environment), len(b.Environment))
		}
		for k := range a.Environment {
			if env(a, k) != env(b, k) {
				t.Errorf("%s differs between the replicas", k)
			}
		}
		mounts := map[string][]string{}
		for _, s := range []types.ServiceConfig{a, b} {
			for _, v := range s.Volumes {
				mounts[v.Source] = append(mounts[v.Source], s.Name)
			}
		}
		for src, by := range mounts {
			if len(by) > 1 || src == "postgres-data" {
				t.Errorf("volume %s is mounted by %v", src, by)
			}
		}
	})

	t.Run("one endpoint in front of both", func(t *testing.T) {
		published := false
		for _, port := range proxy.Ports {
			published = published || port.Published == "443"
		}
		if !published {
			t.Errorf("the proxy doesn't publish 443: %+v", proxy.Ports)
		}
		if len(proxy.Configs) != 1 {
			t.Fatalf("proxy configs %+v", proxy.Configs)
		}
		caddy := p.Configs[proxy.Configs[0].Source].Content
		cfg, err := config.Load(nil, func(k string) string { return env(a, k) }, "")
		if err != nil {
			t.Fatal(err)
		}
		_, httpPort, _ := net.SplitHostPort(cfg.Serve.HTTP)
		_, metricsPort, _ := net.SplitHostPort(cfg.Serve.Metrics)
		for _, want := range []string{
			composeEnv["NEWSBOT_DOMAIN"] + " {",
			"reverse_proxy /interactions bot-a:" + httpPort + " bot-b:" + httpPort,
			"health_uri /readyz",
			"health_port " + metricsPort,
		} {
			if !strings.Contains(caddy, want) {
				t.Errorf("the Caddyfile lacks %q:\n%s", want, caddy)
			}
		}
	})

	t.Run("no secret in the file", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join("..", "docs", "compose.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"DISCORD_TOKEN", "DISCORD_PUBLIC_KEY", "NEWSBOT_USER_HASH_KEY", "POSTGRES_PASSWORD", "OPENAI_API_KEY"} {
			m := regexp.MustCompile(`(?m)^\s*`+k+`:\s*(\S+)`).FindAllStringSubmatch(string(raw), -1)
			if len(m) == 0 {
				t.Errorf("%s is not set in the file", k)
			}
			for _, v := range m {
				if !strings.HasPrefix(v[1], "${"+k) {
					t.Errorf("%s is set to %s in the file, not taken from the environment", k, v[1])
				}
			}
		}
		for _, k := range []string{"DISCORD_TOKEN", "POSTGRES_PASSWORD", "NEWSBOT_USER_HASH_KEY", "NEWSBOT_DOMAIN"} {
			env := map[string]string{}
			for a, b := range composeEnv {
				if a != k {
					env[a] = b
				}
			}
			if _, err := loadCompose(t, env); err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("without %s the file loads (%v); it should stop and name it", k, err)
			}
		}
	})
}
