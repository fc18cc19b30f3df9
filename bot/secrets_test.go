package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/bot/config"
	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/internal/fakeopenai"
)

// Distinctive secrets, so that any copy of them is found.
const (
	secretDiscord = "MTE3MDAwMDAwMDAwMDAwMDAwMQ.GsEcRt.discord-token-7f3a9c0e1b2d4f6a8c0e"
	secretOpenAI  = "sk-openai-secret-5e7d9b1a3c5e7f9b1d3f5a7c9e1b3d5f"
	secretEmbed   = "embed-secret-2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2b"
)

// captureProcessStderr sends what the process writes to os.Stderr and
// through the standard logger (discordgo logs there) to a buffer until the
// returned function is called.
func captureProcessStderr(t *testing.T) (restore func() string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	oldStderr, oldLog := os.Stderr, log.Writer()
	os.Stderr = w
	log.SetOutput(w)
	var buf bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(&buf, r)
	}()
	var once sync.Once
	var out string
	restore = func() string {
		once.Do(func() {
			os.Stderr = oldStderr
			log.SetOutput(oldLog)
			w.Close()
			wg.Wait()
			r.Close()
			out = buf.String()
		})
		return out
	}
	t.Cleanup(func() { restore() })
	return restore
}

// TestSecretsNeverShown runs "bot serve" with a Discord token, a model key
// and an embeddings key, against model and embeddings endpoints that fail
// (401, 500, an embeddings 500 during a reindex) with error messages that
// echo the key, and a Discord that fails an edit. Nothing the bot logs,
// writes to its data folder or sends to Discord may contain a secret, and
// each key goes only to its own endpoint.
func TestSecretsNeverShown(t *testing.T) {
	chat := fakeopenai.New(t)
	chat.QueueChat(fakeopenai.Response{Status: http.StatusUnauthorized, ErrorMessage: "Incorrect API key provided: " + secretOpenAI + ". You can find your API key at https://platform.openai.com/account/api-keys."})
	chat.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response {
		return fakeopenai.Response{Status: http.StatusInternalServerError, ErrorMessage: "upstream failed for key " + secretOpenAI}
	})
	embed := fakeopenai.New(t)

	data, corpus := t.TempDir(), copySeeds(t)
	env := map[string]string{
		"DISCORD_TOKEN":          "Bot " + secretDiscord,
		"DISCORD_GUILD_ID":       fakediscord.GuildID,
		"NEWSBOT_ADMIN_ROLES":    "777",
		"NEWSBOT_DATA":           data,
		"NEWSBOT_CORPUS":         corpus,
		"OPENAI_BASE_URL":        chat.URL,
		"OPENAI_API_KEY":         secretOpenAI,
		"NEWSBOT_EMBED_MODEL":    "fake-embed",
		"NEWSBOT_EMBED_BASE_URL": embed.URL,
		"NEWSBOT_EMBED_API_KEY":  secretEmbed,
	}
	stderr := captureProcessStderr(t)
	s := startServe(t, env)

	member := fakediscord.UserSpec{Username: "alice"}
	const q = "Will Iran allow inspections of its military sites?"
	// A 401 (not retried), then 500s (retried, then given up).
	for _, who := range []string{"alice", "bob"} {
		ask := fakediscord.CommandInteraction("ask", map[string]any{"question": q}, fakediscord.UserSpec{Username: who})
		m := s.dispatch(ask, 20*time.Second, hasButtons)
		if !strings.Contains(m.Content, "[1]") {
			t.Errorf("answer while the model fails = %q", m.Content)
		}
	}
	s.dispatch(fakediscord.CommandInteraction("help", nil, member), 10*time.Second, func(m *discordgo.Message) bool { return m.Content != "" })
	// A reindex with a new article, whose embedding fails once (retried).
	writeFile(t, filepath.Join(corpus, "new.txt"), []byte("Harbour report\n\nThe harbour of Brest handled 120 ferries last week, the port authority said."))
	embed.QueueEmbeddings(fakeopenai.EmbedResponse{Status: http.StatusInternalServerError, ErrorMessage: "quota exceeded for key " + secretEmbed})
	reindex := fakediscord.CommandInteraction("reindex", nil, fakediscord.UserSpec{Username: "mod", Roles: []string{"777"}})
	s.dispatch(reindex, 20*time.Second, func(m *discordgo.Message) bool { return strings.Contains(m.Content, "Reindex finished") })
	// A Discord error on an answer's edit, logged with its cause.
	chat.QueueChat(fakeopenai.Response{Text: "Press TV reports that no inspection of military sites will be allowed [1]."})
	s.fake.FailNext("PATCH /webhooks/", 1, http.StatusInternalServerError)
	ask := fakediscord.CommandInteraction("ask", map[string]any{"question": q}, fakediscord.UserSpec{Username: "carol"})
	if err := s.fake.DispatchInteraction(ask); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(s.logs.String(), `"command":"ask"`) < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.stop(); err != nil {
		t.Errorf("serve = %v", err)
	}
	process := stderr()

	logs := s.logs.String()
	for _, want := range []string{"HTTP 401", "HTTP 500", "retrying", "edit response: HTTP 500"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q, so the errors it should redact were not logged:\n%s", want, logs)
		}
	}
	places := map[string]string{"the bot's log": logs, "the process's stderr and standard logger": process}
	for _, r := range s.fake.Requests() {
		var b strings.Builder
		b.WriteString(r.Method + " " + r.Path + "?" + r.Query.Encode() + "\n")
		for k, vs := range r.Header {
			if k == "Authorization" {
				// The Discord token belongs here, and only here.
				continue
			}
			b.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
		}
		b.Write(r.Body)
		places["Discord request "+r.Method+" "+r.Path] += b.String()
		if a := r.Header.Get("Authorization"); strings.Contains(a, secretOpenAI) || strings.Contains(a, secretEmbed) {
			t.Errorf("a model key was sent to Discord: %s %s", r.Method, r.Path)
		}
	}
	filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			places["data file "+d.Name()] = string(b)
		}
		return nil
	})
	for where, text := range places {
		for name, secret := range map[string]string{"DISCORD_TOKEN": secretDiscord, "OPENAI_API_KEY": secretOpenAI, "NEWSBOT_EMBED_API_KEY": secretEmbed} {
			// Any 12 characters of a secret in a row count as a leak.
			for i := 0; i+12 <= len(secret); i += 6 {
				if strings.Contains(text, secret[i:i+12]) {
					t.Errorf("%s shows part of %s (%q)", where, name, secret[i:i+12])
					break
				}
			}
		}
	}
	if got := chat.Authorization(); got != "Bearer "+secretOpenAI {
		t.Errorf("the chat endpoint got Authorization %q", got)
	}
	if got := embed.Authorization(); got != "Bearer "+secretEmbed {
		t.Errorf("the embeddings endpoint got Authorization %q", got)
	}
}

// TestFinalErrorsAreMasked: the error run returns, which main prints as
// the process exits, shows no secret: not a password in an endpoint's URL,
// not a key in its query. A usage error keeps its exit status.
func TestFinalErrorsAreMasked(t *testing.T) {
	embed := fakeopenai.New(t)
	embed.QueueEmbeddings(fakeopenai.EmbedResponse{Status: http.StatusUnauthorized, ErrorMessage: "bad credentials"})
	withPassword := strings.Replace(embed.URL, "http://", "http://alice:hunter2-secret-pass@", 1)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // the error, masked, still says this
	}{
		{"password in the embeddings URL", map[string]string{"NEWSBOT_EMBED_MODEL": "fake-embed", "NEWSBOT_EMBED_BASE_URL": withPassword},
			[]string{"index", "-corpus", copySeeds(t)}, "cannot use the embeddings endpoint http://******@"},
		{"key in the model URL's query", map[string]string{"OPENAI_BASE_URL": "https://127.0.0.1:1/v1?key=query-secret-123456"},
			[]string{"ask", "-corpus", copySeeds(t), "Will Iran allow inspections?"}, "a query or fragment is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["NEWSBOT_DATA"] = t.TempDir()
			_, _, err := runBot(t, tt.env, tt.args...)
			if err == nil {
				t.Fatal("no error")
			}
			var printed bytes.Buffer
			report(&printed, err)
			for _, leak := range []string{"hunter2", "query-secret"} {
				if strings.Contains(printed.String(), leak) {
					t.Errorf("the final error shows %q: %s", leak, printed.String())
				}
			}
			if !strings.Contains(printed.String(), tt.want) {
				t.Errorf("the final error lacks %q: %s", tt.want, printed.String())
			}
		})
	}

	c := &cli{getenv: func(k string) string { return map[string]string{"OPENAI_API_KEY": secretOpenAI}[k] }}
	err := c.mask(usageError{"bad key " + secretOpenAI})
	if strings.Contains(err.Error(), secretOpenAI) || exitCode(err) != 2 {
		t.Errorf("masked usage error %q exits %d", err, exitCode(err))
	}
}

// TestLogsMaskTheTokenWithoutItsPrefix: a token configured with its "Bot "
// prefix is masked where it shows without it (and the other way round),
// in messages, strings, errors and URLs.
func TestLogsMaskTheTokenWithoutItsPrefix(t *testing.T) {
	for _, configured := range []string{"Bot " + secretDiscord, secretDiscord} {
		cfg, err := config.Load(nil, func(k string) string {
			return map[string]string{"DISCORD_TOKEN": configured, "NEWSBOT_LOG_FORMAT": "json"}[k]
		}, "")
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		log := newLogger(cfg, &logs, true)
		log.Info("identify with "+secretDiscord, "auth", "Bot "+secretDiscord, "err", errors.New("gateway: bad token "+secretDiscord),
			"url", &url.URL{Scheme: "https", User: url.UserPassword("bot", "short"), Host: "discord.example", Path: "/api"})
		if strings.Contains(logs.String(), secretDiscord[:12]) || strings.Contains(logs.String(), "short") {
			t.Errorf("token configured as %.8q: the log shows it:\n%s", configured, logs.String())
		}
	}
}

// TestConfigCommandMasksURLCredentials: bot config prints the model URL
// without its password or query key.
func TestConfigCommandMasksURLCredentials(t *testing.T) {
	out, _, err := runBot(t, map[string]string{"OPENAI_BASE_URL": "https://alice:hunter2-secret-pass@api.example.com/v1?key=query-secret-123456"}, "config")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "query-secret") || !strings.Contains(out, "https://******@api.example.com/v1?key=******") {
		t.Errorf("bot config shows the URL's credentials:\n%s", out)
	}
}
