package commands

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/fakediscord"
)

// streamingAnswerer streams a growing answer for a fixed time, a few words
// every tick, as a model does.
type streamingAnswerer struct {
	duration, tick time.Duration
}

func (s streamingAnswerer) Answer(ctx context.Context, q seam.Question, onPartial func(string)) (seam.Answer, error) {
	var b strings.Builder
	ticker := time.NewTicker(s.tick)
	defer ticker.Stop()
	end := time.Now().Add(s.duration)
	for n := 0; time.Now().Before(end); n++ {
		select {
		case <-ctx.Done():
			return seam.Answer{}, ctx.Err()
		case <-ticker.C:
		}
		fmt.Fprintf(&b, "word%d ", n)
		if onPartial != nil {
			onPartial(b.String())
		}
	}
	return seam.Answer{Text: b.String() + "done.", Mode: "llm"}, nil
}

// streamRun is what one streamed answer looked like from Discord's side.
type streamRun struct {
	took  time.Duration // from the start of handling to the end
	edits int           // successful edits of the original response
}

// Settings of the concurrency measurement: a round trip like Discord's
// from a distant host, an answer streaming for 5 s, one edit a second.
const (
	streamLatency  = 300 * time.Millisecond
	streamDuration = 5 * time.Second
	streamAnswers  = 8
)

// streamEnv is a bot whose answers stream for streamDuration, against a
// fake Discord with streamLatency on every request.
func streamEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, envOptions{
		fakeOpts: []fakediscord.Option{fakediscord.Latency(streamLatency)},
		config: func(c *Config) {
			c.Answerer = streamingAnswerer{duration: streamDuration, tick: 100 * time.Millisecond}
			c.EditInterval = time.Second
			c.MaxConcurrentAnswers = streamAnswers
		},
	})
}

// runStreams asks n questions at once, from n users, and reports each.
func runStreams(t *testing.T, e *env, n int) []streamRun {
	t.Helper()
	runs := make([]streamRun, n)
	is := make([]*discordgo.Interaction, n)
	var wg sync.WaitGroup
	for k := range n {
		is[k] = fakediscord.CommandInteraction("ask", map[string]any{"question": fmt.Sprintf("question %d?", k)},
			fakediscord.UserSpec{Username: fmt.Sprintf("streamer-%d", k)})
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			e.handle(is[k])
			runs[k].took = time.Since(start)
		}()
	}
	wg.Wait()
	for k, i := range is {
		for _, r := range e.fake.Requests() {
			if r.InteractionToken == i.Token && r.Method == http.MethodPatch && r.Status == http.StatusOK {
				runs[k].edits++
			}
		}
		if m := e.response(i); !answered(m) || !strings.Contains(m.Content, "done.") {
			t.Errorf("answer %d ended as %q", k, m.Content)
		}
	}
	return runs
}

// TestConcurrentAnswersStreamIndependently streams 8 answers at once
// against a fake Discord with a 300 ms round trip: each must be edited
// about once a second, as an answer alone is, and all must finish within
// 1.2 times an answer alone. Discord limits interaction edits per token;
// a client that sends every edit through one bucket (discordgo v0.29.0
// does) has one edit in flight at a time, bot-wide, and falls behind.
//
// It prints the figures, and TestDiscordgoEditsShareOneBucket those of the
// same streams edited through discordgo; run both with
//
//	go test ./commands -run 'TestConcurrentAnswersStreamIndependently|TestDiscordgoEditsShareOneBucket' -v
func TestConcurrentAnswersStreamIndependently(t *testing.T) {
	if testing.Short() {
		t.Skip("streams for about 12 s")
	}
	t.Parallel()
	alone := runStreams(t, streamEnv(t), 1)[0]
	e := streamEnv(t)
	runs := runStreams(t, e, streamAnswers)
	var slowest time.Duration
	total, fewest := 0, 1<<30
	for _, r := range runs {
		slowest = max(slowest, r.took)
		total += r.edits
		fewest = min(fewest, r.edits)
	}
	t.Logf("one answer alone: %d edits in %v; %d at once: %d edits (fewest %d, want about %d each), slowest finished in %v (%.2f× alone)",
		alone.edits, alone.took.Round(time.Millisecond), streamAnswers, total, fewest, alone.edits,
		slowest.Round(time.Millisecond), float64(slowest)/float64(alone.took))
	// About one edit a second: an answer streaming for 5 s is edited 4-6
	// times. Allow one fewer than alone for a loaded machine.
	if want := int(streamDuration/time.Second) - 1; alone.edits < want {
		t.Fatalf("an answer alone was edited %d times in %v, want at least %d: the measurement is off", alone.edits, alone.took, want)
	}
	for k, r := range runs {
		if r.edits < alone.edits-1 {
			t.Errorf("answer %d was edited %d times, want about once a second like an answer alone (%d)", k, r.edits, alone.edits)
		}
	}
	if limit := alone.took * 12 / 10; slowest > limit {
		t.Errorf("the slowest of %d answers at once took %v, want within 1.2× an answer alone (%v)", streamAnswers, slowest, limit)
	}
}

// TestDiscordgoEditsShareOneBucket streams the same 8 answers as
// TestConcurrentAnswersStreamIndependently, edited through discordgo's own
// InteractionResponseEdit, and prints the figures: the "before" that
// commands/webhook.go exists for. It asserts nothing, so that a discordgo
// that fixes its bucket doesn't fail the build; when its figures match the
// bot's, the bot's own client can go.
func TestDiscordgoEditsShareOneBucket(t *testing.T) {
	if testing.Short() {
		t.Skip("streams for about 10 s")
	}
	t.Parallel()
	fake := fakediscord.New(t, fakediscord.Latency(streamLatency))
	ds := fake.Session(testToken)
	runs := make([]streamRun, streamAnswers)
	is := make([]*discordgo.Interaction, streamAnswers)
	ctx := ctxFor(t, time.Minute)
	var wg sync.WaitGroup
	for k := range is {
		is[k] = fakediscord.CommandInteraction("ask", nil, fakediscord.UserSpec{Username: fmt.Sprintf("streamer-%d", k)})
		fake.Track(is[k])
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			i := is[k]
			if err := ds.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
				t.Error(err)
				return
			}
			th := startThrottle(ctx, time.Second, func(ctx context.Context, m message) error {
				_, err := ds.InteractionResponseEdit(i, m.webhookEdit(), discordgo.WithContext(ctx))
				return err
			})
			_, _ = streamingAnswerer{duration: streamDuration, tick: 100 * time.Millisecond}.Answer(ctx, seam.Question{}, func(p string) {
				th.update(message{Content: p})
			})
			if err := th.finish(ctx, message{Content: "done."}); err != nil {
				t.Error(err)
			}
			runs[k].took = time.Since(start)
		}()
	}
	wg.Wait()
	var slowest time.Duration
	total, fewest := 0, 1<<30
	for k, i := range is {
		for _, r := range fake.Requests() {
			if r.InteractionToken == i.Token && r.Method == http.MethodPatch && r.Status == http.StatusOK {
				runs[k].edits++
			}
		}
		slowest = max(slowest, runs[k].took)
		total += runs[k].edits
		fewest = min(fewest, runs[k].edits)
	}
	t.Logf("through discordgo, %d at once: %d edits (fewest %d), slowest finished in %v", streamAnswers, total, fewest, slowest.Round(time.Millisecond))
}

// TestRateLimitedUserDoesNotStallOthers rate-limits one user's edits for
// 2 s: another user's /help, meanwhile, must not wait for that.
func TestRateLimitedUserDoesNotStallOthers(t *testing.T) {
	t.Parallel()
	const retryAfter = 2 * time.Second
	e := newEnv(t, envOptions{config: func(c *Config) {
		c.Answerer = streamingAnswerer{duration: 3 * time.Second, tick: 100 * time.Millisecond}
		c.EditInterval = 200 * time.Millisecond
	}})
	slow := fakediscord.CommandInteraction("ask", map[string]any{"question": "slow?"}, fakediscord.UserSpec{Username: "limited"})
	e.fake.RateLimitNext("PATCH /webhooks/"+fakediscord.AppID+"/"+slow.Token+"/", 1, retryAfter)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.handle(slow)
	}()
	if _, err := e.fake.WaitFor(ctxFor(t, 5*time.Second), func(r fakediscord.Request) bool {
		return r.InteractionToken == slow.Token && r.Status == http.StatusTooManyRequests
	}); err != nil {
		t.Fatal(err)
	}
	help := fakediscord.CommandInteraction("help", nil, member)
	start := time.Now()
	e.handle(help)
	took := time.Since(start)
	if m := e.response(help); !strings.Contains(m.Content, "/ask") {
		t.Errorf("/help = %q", m.Content)
	}
	if took > retryAfter/2 {
		t.Errorf("/help took %v while another user's edits were rate-limited for %v, want it unaffected", took, retryAfter)
	}
	<-done
}

// TestWebhookWaitsWatchTheContext checks the interaction client's waits:
// a long Retry-After ends with the caller's context, a 502 on an edit is
// retried, and an error answer comes back as discordgo's RESTError with
// Discord's code.
func TestWebhookWaitsWatchTheContext(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	i := fakediscord.CommandInteraction("ask", map[string]any{"question": "q?"}, member)
	e.fake.Track(i)
	x := e.router.newExchange(e.ds, i)
	defer x.finish()
	if err := x.deferReply(ctxFor(t, 5*time.Second), false); err != nil {
		t.Fatal(err)
	}

	e.fake.RateLimitNext("PATCH /webhooks/", 1, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := x.edit(ctx, message{Content: "late"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("edit behind a 60 s Retry-After with a 300 ms context: %v after %v, want the context's error at once", err, time.Since(start))
	}

	// The bucket now waits out the 60 s; another interaction's doesn't.
	j := fakediscord.CommandInteraction("ask", map[string]any{"question": "q?"}, member)
	e.fake.Track(j)
	z := e.router.newExchange(e.ds, j)
	defer z.finish()
	if err := z.deferReply(ctxFor(t, 5*time.Second), false); err != nil {
		t.Fatal(err)
	}
	e.fake.FailNext("PATCH /webhooks/", 1, http.StatusBadGateway)
	if err := z.edit(ctxFor(t, 10*time.Second), message{Content: "after a 502"}); err != nil {
		t.Errorf("edit after one 502: %v, want it retried", err)
	}
	if m := e.response(j); m.Content != "after a 502" {
		t.Errorf("response %q", m.Content)
	}

	other := fakediscord.CommandInteraction("ask", nil, member) // never acknowledged
	y := e.router.newExchange(e.ds, other)
	defer y.finish()
	err = y.edit(ctxFor(t, 5*time.Second), message{Content: "x"})
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 10015 || !tokenExpired(err) {
		t.Errorf("edit of an unknown interaction: %v, want RESTError 10015", err)
	}
}
