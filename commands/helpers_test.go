package commands

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/bot/adapt"
	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/internal/fakeopenai"
	"github.com/newsbot/newsbot/internal/llm"
	"github.com/newsbot/newsbot/internal/testkit"
	"github.com/newsbot/newsbot/retrieval"
)

const testToken = "Bot test-token"

// copyCorpus copies the seed articles (and extra files, name to content)
// into a new corpus folder.
func copyCorpus(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := testkit.CopySeeds(t)
	for name, content := range extra {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// newIndex builds an index of corpus in a temporary data folder.
func newIndex(t *testing.T, corpus string) *retrieval.Index {
	t.Helper()
	ix, err := retrieval.Open(retrieval.Options{Dir: filepath.Join(t.TempDir(), "data")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer = testkit.Buffer

// env is a bot wired to a fake Discord.
type env struct {
	t      *testing.T
	fake   *fakediscord.Server
	ds     *discordgo.Session
	gate   *ackGate // holds the session's webhook calls of an interaction
	router *Router
	ix     *retrieval.Index
	corpus string
	log    *syncBuffer
}

// envOptions tune newEnv.
type envOptions struct {
	extra    map[string]string // extra corpus files
	config   func(*Config)     // adjusts the router's configuration
	open     bool              // connect the gateway (else interactions are handled directly)
	fakeOpts []fakediscord.Option
}

// newEnv builds an index over the seed articles, a Router with an offline
// engine over it, and a fake Discord whose every message must carry empty
// allowed mentions.
func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	corpus := copyCorpus(t, o.extra)
	ix := newIndex(t, corpus)
	eng, err := answer.New(ix, answer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	index := adapt.Index{Index: ix, Corpus: corpus}
	cfg := Config{
		Answerer:      adapt.Engine{Engine: eng},
		Checker:       adapt.Engine{Engine: eng},
		Searcher:      index,
		Catalogue:     index,
		Indexer:       index,
		Ingester:      index,
		Remover:       index,
		FeedbackLog:   filepath.Join(t.TempDir(), "feedback.jsonl"),
		AdminGuildIDs: []string{fakediscord.GuildID},
		Cooldown:      -1,
		EditInterval:  50 * time.Millisecond,
		Logger:        slog.New(slog.NewJSONHandler(logs, nil)),
		UserHashKey:   []byte("test-key"),
	}
	if o.config != nil {
		o.config(&cfg)
	}
	router, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fake := fakediscord.New(t, append([]fakediscord.Option{fakediscord.StrictMentions(t)}, o.fakeOpts...)...)
	ds := fake.Session(testToken)
	gate := &ackGate{base: ds.Client.Transport, held: map[string]chan struct{}{}}
	ds.Client = &http.Client{Transport: gate, Timeout: ds.Client.Timeout}
	ds.AddHandler(router.HandleInteraction)
	ds.AddHandler(router.HandleMessage)
	e := &env{t: t, fake: fake, ds: ds, gate: gate, router: router, ix: ix, corpus: corpus, log: logs}
	if o.open {
		if err := ds.Open(); err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := fake.WaitConnected(ctxFor(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// ackGate stands for the part of Discord that reads the HTTP response to
// an interaction: a webhook call (edit, follow-up) for an interaction the
// test holds waits until the test has relayed that response to the fake
// as the interaction's callback.
type ackGate struct {
	base http.RoundTripper

	// mu guards held.
	mu   sync.Mutex
	held map[string]chan struct{} // by interaction token
}

func (g *ackGate) hold(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.held[token] = make(chan struct{})
}

func (g *ackGate) release(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ch, ok := g.held[token]; ok {
		close(ch)
		delete(g.held, token)
	}
}

func (g *ackGate) RoundTrip(r *http.Request) (*http.Response, error) {
	// /api/v10/webhooks/APP/TOKEN/...
	parts := strings.Split(r.URL.Path, "/")
	for n, p := range parts {
		if p != "webhooks" || n+2 >= len(parts) {
			continue
		}
		g.mu.Lock()
		ch := g.held[parts[n+2]]
		g.mu.Unlock()
		if ch != nil {
			select {
			case <-ch:
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
		}
		break
	}
	return g.base.RoundTrip(r)
}

// handle runs an interaction through the router directly, as discordgo
// would, and returns when it has been handled. The fake is told about the
// interaction first, so its rules for the interaction's type apply.
func (e *env) handle(i *discordgo.Interaction) {
	e.t.Helper()
	e.fake.Track(i)
	e.router.HandleInteraction(e.ds, &discordgo.InteractionCreate{Interaction: i})
}

// response returns the current original response of an interaction.
func (e *env) response(i *discordgo.Interaction) *discordgo.Message {
	e.t.Helper()
	m, ok := e.fake.OriginalResponse(i.Token)
	if !ok {
		e.t.Fatalf("interaction %s has no original response", i.ID)
	}
	return m
}

// waitResponse waits until the original response of a dispatched
// interaction satisfies done.
func (e *env) waitResponse(i *discordgo.Interaction, timeout time.Duration, done func(*discordgo.Message) bool) *discordgo.Message {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m, ok := e.fake.OriginalResponse(i.Token); ok && done(m) {
			return m
		}
		if time.Now().After(deadline) {
			m, _ := e.fake.OriginalResponse(i.Token)
			e.t.Fatalf("interaction %s: response not as expected after %v: %+v", i.ID, timeout, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// privateError checks how an error after a public deferral reaches the
// user: the public placeholder is gone and one ephemeral follow-up says
// what happened; it returns that text.
func (e *env) privateError(i *discordgo.Interaction) string {
	e.t.Helper()
	if m, ok := e.fake.OriginalResponse(i.Token); ok {
		e.t.Errorf("the public placeholder is still there: %q", m.Content)
	}
	fs := e.fake.Followups(i.Token)
	if len(fs) != 1 || !isEphemeral(fs[0]) {
		e.t.Fatalf("follow-ups %+v, want one ephemeral message", fs)
	}
	return fs[0].Content
}

// answered reports whether an answer message is final: it has buttons,
// and not the Stop button of an answer being written.
func answered(m *discordgo.Message) bool { return len(m.Components) > 0 && !streaming(m) }

// streaming reports whether a message is an answer being written: it has
// the Stop button.
func streaming(m *discordgo.Message) bool {
	for _, c := range m.Components {
		if row, ok := rowOf(c); ok {
			for _, b := range row.Components {
				if strings.HasPrefix(customID(b), idStop+":") {
					return true
				}
			}
		}
	}
	return false
}

// isEphemeral reports whether a message is only shown to its user.
func isEphemeral(m *discordgo.Message) bool { return m.Flags&discordgo.MessageFlagsEphemeral != 0 }

func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

var (
	member = fakediscord.UserSpec{Username: "alice"}
	admin  = fakediscord.UserSpec{Username: "root", Admin: true}
)

// ingestedFiles lists the files under corpus/ingested.
func ingestedFiles(t *testing.T, corpus string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(corpus, ingestDir))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// blockingAnswerer answers once released, recording the questions.
type blockingAnswerer struct {
	release chan struct{}
	started chan string
	mu      sync.Mutex
	qs      []seam.Question
}

func newBlockingAnswerer() *blockingAnswerer {
	return &blockingAnswerer{release: make(chan struct{}), started: make(chan string, 100)}
}

func (b *blockingAnswerer) Answer(ctx context.Context, q seam.Question, onPartial func(string)) (seam.Answer, error) {
	b.mu.Lock()
	b.qs = append(b.qs, q)
	b.mu.Unlock()
	b.started <- q.Text
	select {
	case <-b.release:
	case <-ctx.Done():
		return seam.Answer{}, ctx.Err()
	}
	return seam.Answer{Text: "Done.", Mode: answer.ModeExtractive}, nil
}

func (b *blockingAnswerer) questions() []seam.Question {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]seam.Question(nil), b.qs...)
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// readAll reads a file or fails.
func readAll(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// contentAndEmbeds joins a message's text for assertions.
func contentAndEmbeds(m *discordgo.Message) string {
	var b strings.Builder
	b.WriteString(m.Content)
	for _, e := range m.Embeds {
		b.WriteString("\n" + e.Title + "\n" + e.Description)
		if e.Footer != nil {
			b.WriteString("\n" + e.Footer.Text)
		}
	}
	return b.String()
}

// toMessage turns a rendered message into the message Discord would store.
func toMessage(m message) *discordgo.Message {
	return &discordgo.Message{ID: "1", Content: m.Content, Embeds: m.Embeds, Components: m.Components}
}

// openaiStreaming returns a model client whose fake server streams text
// eight characters at a time, waiting perChunk after each.
func openaiStreaming(t *testing.T, text string, perChunk time.Duration) *llm.Client {
	t.Helper()
	srv := fakeopenai.New(t)
	srv.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response {
		return fakeopenai.Response{Text: text, ChunkSize: 8, DelayPerChunk: perChunk}
	})
	c, err := llm.New(llm.Config{BaseURL: srv.URL + "/v1", Model: "fake-chat", Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ingestDir is the corpus folder /ingest saves into.
const ingestDir = retrieval.IngestDir
