package commands

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/bot/adapt"
	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/internal/fakeopenai"
	"github.com/newsbot/newsbot/internal/llm"
)

// Load test settings. NEWSBOT_LOAD_DURATION (a Go duration, e.g. 30s) turns
// the test on and sets how long questions keep arriving; the rate stays at
// loadRate. NEWSBOT_LOAD_REPORT names a file the figures are written to.
const (
	loadDurationEnv = "NEWSBOT_LOAD_DURATION"
	loadReportEnv   = "NEWSBOT_LOAD_REPORT"
	loadRate        = 500.0 / 30 // questions a second (one every 60 ms)
	loadUsers       = 100
	loadModelDelay  = 2 * time.Second
	loadHeapCap     = 512 << 20
	loadGoroutines  = 10 // slack over the baseline after the run settles
)

var loadQuestions = []string{
	"Will Iran allow inspections of its military sites?",
	"What does General Pourdastan say about Iran's missile capabilities?",
	"What did Ayatollah Khamenei say about the country's defensive means?",
	"How many House members voted against the Iran missile sanctions bill?",
}

// TestLoad sends /ask interactions through the gateway at about 17 a
// second from 100 users, against a model that takes 2 s an answer, with
// the default fair-use limits (10 s cooldown, 4 answers at once, 32 more
// queued), while admins reindex a changing corpus. Every interaction must
// be acknowledged within Discord's 3 s and end with an answer or an
// ephemeral "try again"/"busy"; no query may fail; goroutines and memory
// must come back down. It prints the latency percentiles and peak memory,
// and writes them to $NEWSBOT_LOAD_REPORT when set.
func TestLoad(t *testing.T) {
	v := os.Getenv(loadDurationEnv)
	if v == "" || testing.Short() {
		t.Skipf("set %s=30s to run the load test (30 s of questions, then about 20 s for the queue to drain)", loadDurationEnv)
	}
	duration, err := time.ParseDuration(v)
	if err != nil || duration <= 0 {
		t.Fatalf("%s=%q is not a duration", loadDurationEnv, v)
	}
	n := int(loadRate * duration.Seconds())

	srv := fakeopenai.New(t)
	srv.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response {
		return fakeopenai.Response{Text: "Press TV reports that the commander rejected any inspection of military sites [1].", Delay: loadModelDelay}
	})
	modelTransport := http.DefaultTransport.(*http.Transport).Clone()
	e := newEnv(t, envOptions{open: true, config: func(c *Config) {
		model, err := llm.New(llm.Config{BaseURL: srv.URL, Model: "fake-chat", Timeout: 20 * time.Second,
			HTTPClient: &http.Client{Transport: modelTransport}})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := answer.New(c.Searcher.(adapt.Index).Index, answer.Config{Model: model, ModelName: "fake-chat"})
		if err != nil {
			t.Fatal(err)
		}
		c.Answerer = adapt.Engine{Engine: eng}
		// The defaults: what a bot run with no configuration does.
		c.Cooldown, c.MaxConcurrentAnswers, c.QueueSize, c.EditInterval = 0, 0, 0, 0
	}})
	settle(t, e, modelTransport, 0)
	baseline := runtime.NumGoroutine()

	var peakHeap uint64
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() {
		defer sampling.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()

	// Dispatch at a steady rate; an admin reindexes a changed corpus four
	// times meanwhile.
	asks := make([]*discordgo.Interaction, 0, n)
	var reindexes []*discordgo.Interaction
	interval := time.Duration(float64(time.Second) * 30 / 500)
	start := time.Now()
	for k := range n {
		if k > 0 && k%(n/4+1) == 0 {
			writeLoadArticle(t, e.corpus, len(reindexes))
			ri := fakediscord.CommandInteraction("reindex", nil, admin)
			if err := e.fake.DispatchInteraction(ri); err != nil {
				t.Fatal(err)
			}
			reindexes = append(reindexes, ri)
		}
		user := fakediscord.UserSpec{Username: fmt.Sprintf("load-user-%03d", k%loadUsers)}
		i := fakediscord.CommandInteraction("ask", map[string]any{"question": loadQuestions[k%len(loadQuestions)]}, user)
		if err := e.fake.DispatchInteraction(i); err != nil {
			t.Fatal(err)
		}
		asks = append(asks, i)
		time.Sleep(time.Until(start.Add(time.Duration(k+1) * interval)))
	}
	sent := time.Since(start)

	// Wait for every interaction to end.
	final := func(m *discordgo.Message) bool { return answered(m) || isEphemeral(m) }
	for _, i := range asks {
		e.waitResponse(i, 60*time.Second, final)
	}
	for _, i := range reindexes {
		e.waitResponse(i, 60*time.Second, func(m *discordgo.Message) bool {
			return strings.Contains(m.Content, "Reindex finished") || strings.Contains(m.Content, "already running")
		})
	}
	elapsed := time.Since(start)
	close(stopSampling)
	sampling.Wait()

	// Outcomes and latencies.
	finalAt := finalTimes(e.fake.Requests())
	var acks, finals []time.Duration
	outcomes := map[string]int{}
	for _, i := range asks {
		d, ok := e.fake.AckLatency(i.ID)
		if !ok {
			t.Errorf("interaction %s was never acknowledged", i.ID)
			continue
		}
		if d > 3*time.Second {
			t.Errorf("interaction %s acknowledged after %v, past Discord's 3 s", i.ID, d)
		}
		acks = append(acks, d)
		m := e.response(i)
		switch {
		case answered(m) && strings.Contains(m.Content, fallbackText):
			outcomes["answered (fallback)"]++
		case answered(m):
			outcomes["answered"]++
		case strings.Contains(m.Content, "try again in"):
			outcomes["cooldown"]++
		case m.Content == busyText:
			outcomes["busy"]++
		default:
			outcomes["failed"]++
			t.Errorf("interaction %s ended with %q", i.ID, m.Content)
		}
		at, dispatched := finalAt[i.Token], mustDispatched(t, e.fake, i)
		if !at.IsZero() {
			if !answered(m) {
				continue // refusals: their final time is their acknowledgement
			}
			finals = append(finals, at.Sub(dispatched))
		}
	}
	for _, ri := range reindexes {
		if c := e.response(ri).Content; !strings.Contains(c, "Reindex finished") && !strings.Contains(c, "already running") {
			t.Errorf("reindex during the load ended with %q", c)
		}
	}
	if outcomes["answered"]+outcomes["answered (fallback)"] == 0 {
		t.Error("no question was answered")
	}
	// Each user asks about every 6 s: the 10 s cooldown must have turned
	// some away, and the queue must have filled.
	if outcomes["cooldown"] == 0 || outcomes["busy"] == 0 {
		t.Errorf("outcomes %v: want some users told to wait (cooldown) and some told the bot is busy", outcomes)
	}
	if got := srv.MaxInFlight(); got > DefaultMaxConcurrentAnswers {
		t.Errorf("%d model requests at once, want at most %d", got, DefaultMaxConcurrentAnswers)
	}
	if got := len(e.ix.Articles()); got < 2+len(reindexes)-1 {
		t.Errorf("after the reindexes %d articles are indexed, want at least %d", got, 2+len(reindexes)-1)
	}

	after := settle(t, e, modelTransport, baseline+loadGoroutines)
	if peakHeap > loadHeapCap {
		t.Errorf("peak heap in use %d MiB, want under %d MiB", peakHeap>>20, loadHeapCap>>20)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)

	report := fmt.Sprintf(`Load: %d /ask in %.1fs from %d users (%.1f/s), model delay %v, default limits (cooldown %v, %d at once, queue %d), %d reindexes meanwhile; all done after %.1fs.
Outcomes: %v
Acknowledgement: p50 %v, p95 %v, p99 %v, max %v
Final answer (answered only, %d): p50 %v, p95 %v, p99 %v, max %v
Peak heap in use %d MiB; peak RSS %d MiB (whole test process%s); goroutines %d before, %d after.
`,
		n, sent.Seconds(), loadUsers, float64(n)/sent.Seconds(), loadModelDelay, DefaultCooldown, DefaultMaxConcurrentAnswers, DefaultQueueSize, len(reindexes), elapsed.Seconds(),
		outcomes,
		pct(acks, 50), pct(acks, 95), pct(acks, 99), pct(acks, 100),
		len(finals), pct(finals, 50), pct(finals, 95), pct(finals, 99), pct(finals, 100),
		peakHeap>>20, ru.Maxrss>>10, raceNote(), baseline, after)
	t.Log("\n" + report)
	if path := os.Getenv(loadReportEnv); path != "" {
		if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
			t.Errorf("write the load report: %v", err)
		}
	}
}

// raceNote says when the race detector, which multiplies memory use, is
// on.
func raceNote() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				return ", race detector on"
			}
		}
	}
	return ""
}

// writeLoadArticle adds an article to the corpus, so that a reindex has
// work to do.
func writeLoadArticle(t *testing.T, corpus string, n int) {
	t.Helper()
	text := fmt.Sprintf("Harbour report %d\n\nThe harbour of Brest handled %d ferries on day %d, the port authority said, and expects more next week.", n, 100+n, n)
	if err := os.WriteFile(filepath.Join(corpus, fmt.Sprintf("load-%02d.txt", n)), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// finalTimes maps each interaction token to the time of its last message
// with buttons (an answer) or of its immediate reply (a refusal).
func finalTimes(reqs []fakediscord.Request) map[string]time.Time {
	out := map[string]time.Time{}
	for _, r := range reqs {
		if r.InteractionToken == "" || r.Status >= 300 {
			continue
		}
		p := r.JSON
		if d, ok := p["data"].(map[string]any); ok {
			p = d
		}
		if c, _ := p["components"].([]any); len(c) > 0 || (r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/interactions/") && r.JSON["type"] == float64(4)) {
			out[r.InteractionToken] = r.Time
		}
	}
	return out
}

func mustDispatched(t *testing.T, fake *fakediscord.Server, i *discordgo.Interaction) time.Time {
	t.Helper()
	at, ok := fake.DispatchedAt(i.ID)
	if !ok {
		t.Fatalf("interaction %s was not dispatched", i.ID)
	}
	return at
}

// pct returns the p-th percentile of ds (nearest rank), rounded.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	k := (p*len(s)+99)/100 - 1
	return s[max(k, 0)].Round(time.Millisecond)
}

// settle closes idle connections and waits until at most want goroutines
// run (any number when want is 0), then returns how many run.
func settle(t *testing.T, e *env, model *http.Transport, want int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.ds.Client.CloseIdleConnections()
		model.CloseIdleConnections()
		runtime.GC()
		n := runtime.NumGoroutine()
		if want == 0 || n <= want {
			return n
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines after the load, want at most %d:\n%s", n, want, buf[:runtime.Stack(buf, true)])
			return n
		}
		time.Sleep(100 * time.Millisecond)
	}
}
