package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeTOML(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "newsbot.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsWorkOffline(t *testing.T) {
	c, err := Load(nil, env(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.OpenAI.APIKey != "" || c.OpenAI.BaseURL != "" || c.Discord.Token != "" {
		t.Error("defaults must not configure a model or Discord")
	}
	if c.Serve.Cooldown != 10*time.Second || c.Serve.MaxConcurrent != 4 || c.SourceOf(&c.Serve.Queue) != FromDefault {
		t.Errorf("defaults: cooldown %v, max_concurrent %d", c.Serve.Cooldown, c.Serve.MaxConcurrent)
	}
}

func TestPrecedenceFlagEnvFile(t *testing.T) {
	file := writeTOML(t, `
[index]
data = "/from/file"
corpus = "/corpus/from/file"
[openai]
model = "file-model"
[discord]
admin_roles = ["1", "2"]
`)
	c, err := Load(map[string]string{"data": "/from/flag"}, env(map[string]string{"NEWSBOT_DATA": "/from/env", "OPENAI_MODEL": "env-model"}), file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, got, want string
		src, wantSrc   Source
	}{
		{"index.data", c.Index.Data, "/from/flag", c.SourceOf(&c.Index.Data), FromFlag},
		{"openai.model", c.OpenAI.Model, "env-model", c.SourceOf(&c.OpenAI.Model), FromEnv},
		{"index.corpus", c.Index.Corpus, "/corpus/from/file", c.SourceOf(&c.Index.Corpus), FromFile},
		{"openai.timeout", c.OpenAI.Timeout.String(), "45s", c.SourceOf(&c.OpenAI.Timeout), FromDefault},
	} {
		if tc.got != tc.want || tc.src != tc.wantSrc {
			t.Errorf("%s = %q from %s, want %q from %s", tc.key, tc.got, tc.src, tc.want, tc.wantSrc)
		}
	}
	if got := strings.Join(c.Discord.AdminRoles, ","); got != "1,2" {
		t.Errorf("admin roles %q", got)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name  string
		flags map[string]string
		env   map[string]string
		file  string
		want  []string
	}{
		{"unknown file key", nil, nil, "[openai]\nmodle = \"x\"\n", []string{`unknown key "openai.modle"`}},
		{"unknown section", nil, nil, "[discrod]\ntoken = \"x\"\n", []string{`unknown key "discrod.token"`}},
		{"bad duration from env", nil, map[string]string{"NEWSBOT_COOLDOWN": "ten"}, "", []string{"serve.cooldown", "$NEWSBOT_COOLDOWN", `"ten"`}},
		{"bad int from file", nil, nil, "[serve]\nqueue = -3\n", []string{"serve.queue", "config file", "positive whole number"}},
		{"bad bool", nil, map[string]string{"NEWSBOT_OFFLINE": "yes please"}, "", []string{"answer.offline", "true or false"}},
		{"bad URL", nil, map[string]string{"OPENAI_BASE_URL": "localhost:11434"}, "", []string{"openai.base_url", "http(s) URL"}},
		{"unknown flag", map[string]string{"token": "abc"}, nil, "", []string{"unknown flag -token"}},
		{"malformed TOML", nil, nil, "[openai\nmodel = 1", []string{"newsbot.toml"}},
		{"address without a port", map[string]string{"metrics": "9090"}, nil, "", []string{"serve.metrics", "flag -metrics", `"9090"`}},
		{"address with a bad port", nil, map[string]string{"NEWSBOT_HTTP": ":http-alt"}, "", []string{"serve.http", "$NEWSBOT_HTTP"}},
		{"public key not hex", nil, map[string]string{"DISCORD_PUBLIC_KEY": "xyz"}, "", []string{"discord.public_key", "hexadecimal"}},
		{"log format not a choice", nil, nil, "[log]\nformat = \"xml\"\n", []string{"log.format", `"xml"`, "auto, text, json"}},
		{"zero concurrency", nil, map[string]string{"NEWSBOT_MAX_CONCURRENT": "0"}, "", []string{"serve.max_concurrent"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := ""
			if tc.file != "" {
				file = writeTOML(t, tc.file)
			}
			_, err := Load(tc.flags, env(tc.env), file)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestValidValues checks values that must be accepted: a zero cooldown
// (off), listen addresses of every form, choices in any case.
func TestValidValues(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		flag map[string]string
	}{
		{env: map[string]string{"NEWSBOT_COOLDOWN": "0"}},
		{env: map[string]string{"NEWSBOT_COOLDOWN": "0s", "NEWSBOT_LOG_LEVEL": "DEBUG", "NEWSBOT_LOG_FORMAT": "json"}},
		{env: map[string]string{"NEWSBOT_METRICS": ":9090", "NEWSBOT_HTTP": "[::]:8080"}},
		{flag: map[string]string{"metrics": "127.0.0.1:0", "http": "localhost:8080", "mentions": "true", "feedback": "/tmp/votes.jsonl"}},
		{env: map[string]string{"DISCORD_PUBLIC_KEY": "0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789"}},
	} {
		c, err := Load(tc.flag, env(tc.env), "")
		if err != nil {
			t.Errorf("Load(%v, %v) = %v", tc.flag, tc.env, err)
			continue
		}
		// A zero cooldown is off (negative for the commands), and is
		// listed as given.
		if v, ok := tc.env["NEWSBOT_COOLDOWN"]; ok && (c.Serve.Cooldown >= 0 || c.values["serve.cooldown"].raw != v) {
			t.Errorf("cooldown %q read as %v", v, c.Serve.Cooldown)
		}
	}
	c, err := Load(map[string]string{"mentions": "true"}, env(map[string]string{"NEWSBOT_MENTIONS": "false"}), "")
	if err != nil || !c.Serve.Mentions || c.SourceOf(&c.Serve.Mentions) != FromFlag {
		t.Errorf("-mentions over $NEWSBOT_MENTIONS: %v, %v", err, c.Serve.Mentions)
	}
}

func TestPrintMasksSecrets(t *testing.T) {
	secret := "sk-live-abcdefghijklmnopqrstuvwxyz"
	token := "MTE3MDAwMDAwMDAwMDAwMDAwMQ.Gx1234.abcdefghijklmnopqrstuvwxyz0123"
	c, err := Load(nil, env(map[string]string{"OPENAI_API_KEY": secret, "DISCORD_TOKEN": token, "OPENAI_MODEL": "llama3.1"}), "")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	c.Print(&b)
	out := b.String()
	if strings.Contains(out, secret) || strings.Contains(out, token) || strings.Contains(out, "abcdefghijklmnop") {
		t.Fatalf("printed config leaks a secret:\n%s", out)
	}
	for _, want := range []string{"openai.api_key", "****** (set)", "openai.model", "llama3.1", "$OPENAI_MODEL"} {
		if !strings.Contains(out, want) {
			t.Errorf("printed config lacks %q:\n%s", want, out)
		}
	}
	if got := c.Secrets(); len(got) != 2 {
		t.Errorf("Secrets() returned %d values, want 2", len(got))
	}
}

func TestEverySettingIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings {
		if s.Key == "" || s.Env == "" || s.Help == "" || !strings.Contains(s.Key, ".") {
			t.Errorf("setting %+v lacks a key, variable or help", s)
		}
		if seen[s.Key] || seen["$"+s.Env] {
			t.Errorf("setting %s declared twice", s.Key)
		}
		seen[s.Key], seen["$"+s.Env] = true, true
		if s.Secret && s.Flag != "" {
			t.Errorf("secret %s must not be settable by a flag (it would show in ps)", s.Key)
		}
		if err := check(s, s.Default); err != nil {
			t.Errorf("default of %s invalid: %v", s.Key, err)
		}
	}
}

// TestEverySettingHasOneField: each setting is decoded into a field of its
// own, of a type its kind decodes to, and every field holds a setting.
func TestEverySettingHasOneField(t *testing.T) {
	var c Config
	fields := map[any]string{}
	for _, s := range Settings {
		f := c.field(s.Key)
		if f == nil {
			t.Errorf("setting %s has no field", s.Key)
			continue
		}
		if other, ok := fields[f]; ok {
			t.Errorf("settings %s and %s share a field", s.Key, other)
		}
		fields[f] = s.Key
		want := map[Kind]string{Bool: "*bool", Int: "*int", Duration: "*time.Duration", List: "*[]string", Size: "*int64",
			Count: "*int", Ranges: "*[]int"}[s.Kind]
		if want == "" {
			want = "*string"
		}
		if got := fmt.Sprintf("%T", f); got != want {
			t.Errorf("setting %s decodes into %s, want %s", s.Key, got, want)
		}
	}
	n := 0
	v := reflect.ValueOf(c)
	for i := range v.NumField() {
		if v.Type().Field(i).IsExported() {
			n += v.Field(i).NumField()
		}
	}
	if n != len(Settings) {
		t.Errorf("Config has %d fields for %d settings", n, len(Settings))
	}
}

func TestSourceOfNeedsAField(t *testing.T) {
	c, err := Load(nil, env(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("SourceOf a value that is not a field did not panic")
		}
	}()
	s := ""
	c.SourceOf(&s)
}

func TestAdminGuilds(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"NEWSBOT_ADMIN_GUILDS": " 111, 222 ,,"}), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Discord.AdminGuilds, ","); got != "111,222" || c.SourceOf(&c.Discord.AdminGuilds) != FromEnv {
		t.Errorf("admin guilds from the environment: %q", got)
	}
	c, err = Load(nil, env(nil), writeTOML(t, "[discord]\nadmin_guilds = [\"333\", \"444\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Discord.AdminGuilds, ","); got != "333,444" {
		t.Errorf("admin guilds from the file: %q", got)
	}
}

// TestSizes: sizes are read with or without a unit, and a bad one names
// its setting.
func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20}, {"10MiB", 10 << 20}, {"10 mib", 10 << 20}, {"512KiB", 512 << 10},
		{"1GiB", 1 << 30}, {"2GB", 2e9}, {"300B", 300},
	} {
		c, err := Load(nil, env(map[string]string{"NEWSBOT_MAX_FILE_BYTES": tc.in}), "")
		if err != nil || c.Index.MaxFileBytes != tc.want {
			t.Errorf("%q: %d, %v; want %d", tc.in, c.Index.MaxFileBytes, err, tc.want)
		}
	}
	for _, bad := range []string{"ten", "10XB", "-1", "0", "1.5MiB", "99999999999GiB"} {
		_, err := Load(nil, env(map[string]string{"NEWSBOT_MAX_CORPUS_BYTES": bad}), "")
		if err == nil || !strings.Contains(err.Error(), "index.max_corpus_bytes") || !strings.Contains(err.Error(), "$NEWSBOT_MAX_CORPUS_BYTES") {
			t.Errorf("%q: %v, want an error naming the setting", bad, err)
		}
	}
	c, err := Load(nil, env(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Index.MaxFileBytes != 10<<20 || c.Index.MaxCorpusBytes != 1<<30 || c.Index.MaxArticlesPerFile != 10_000 ||
		c.Index.MaxPassagesPerArticle != 5_000 || c.Index.MaxArticles != 100_000 || c.Index.MaxPassages != 250_000 {
		t.Errorf("default caps: %+v", c.Index)
	}
}

// TestShardsAndDrain reads the shard settings and the grace periods.
func TestShardsAndDrain(t *testing.T) {
	c, err := Load(nil, env(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Serve.Shards != 1 || c.Serve.ShardIDs != nil || c.Serve.DrainGrace != 0 || c.Serve.ShutdownGrace != 20*time.Second {
		t.Errorf("defaults: %+v", c.Serve)
	}
	for _, tc := range []struct {
		shards, ids string
		want        int
		wantIDs     []int
	}{
		{"auto", "", 0, nil},
		{"AUTO", "", 0, nil},
		{"4", "0,1", 4, []int{0, 1}},
		{"8", "4-7", 8, []int{4, 5, 6, 7}},
		{"8", " 0-1, 6 ", 8, []int{0, 1, 6}},
	} {
		c, err := Load(nil, env(map[string]string{"NEWSBOT_SHARDS": tc.shards, "NEWSBOT_SHARD_IDS": tc.ids, "NEWSBOT_DRAIN_GRACE": "10s"}), "")
		if err != nil || c.Serve.Shards != tc.want || !slices.Equal(c.Serve.ShardIDs, tc.wantIDs) || c.Serve.DrainGrace != 10*time.Second {
			t.Errorf("%q %q: %v, %d %v %v", tc.shards, tc.ids, err, c.Serve.Shards, c.Serve.ShardIDs, c.Serve.DrainGrace)
		}
	}
	for _, tc := range []struct{ shards, ids, want string }{
		{"0", "", "serve.shards ($NEWSBOT_SHARDS)"},
		{"many", "", "neither auto nor"},
		{"2", "1-0", `"1-0" is not a number or a range`},
		{"2", "0,x", `"x" is not a number`},
		{"2", "0,0-1", "0 is listed twice"},
	} {
		_, err := Load(nil, env(map[string]string{"NEWSBOT_SHARDS": tc.shards, "NEWSBOT_SHARD_IDS": tc.ids}), "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q %q: %v, want %q", tc.shards, tc.ids, err, tc.want)
		}
	}
}
