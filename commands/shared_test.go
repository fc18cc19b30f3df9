package commands

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/fakediscord"
)

// These tests stand two routers (two replicas) on shared state kept in
// memory by the test, as bot serve stands them on PostgreSQL
// (internal/pgstate, whose own tests check the SQL), and break that state
// to check that the routers fall back to their own.

// errShared is the failure of a broken shared store.
var errShared = errors.New("connection refused")

// sharedFault breaks a shared store: failing makes every call fail,
// stalling makes it wait until its context ends.
type sharedFault struct {
	failing, stalling atomic.Bool
	calls             atomic.Int64
}

func (f *sharedFault) check(ctx context.Context) error {
	f.calls.Add(1)
	if f.stalling.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	if f.failing.Load() {
		return errShared
	}
	return nil
}

// memLimiter is a Limiter shared by routers: token buckets in memory.
type memLimiter struct {
	sharedFault
	rates *rates
}

func newMemLimiter() *memLimiter { return &memLimiter{rates: newRates()} }

func (l *memLimiter) Take(ctx context.Context, b seam.Bucket) (time.Duration, error) {
	if err := l.check(ctx); err != nil {
		return 0, err
	}
	return l.rates.take(b, time.Now()), nil
}

func (l *memLimiter) Return(ctx context.Context, b seam.Bucket) error {
	if err := l.check(ctx); err != nil {
		return err
	}
	l.rates.give(b, time.Now())
	return nil
}

// memReplay is a ReplayGuard shared by routers.
type memReplay struct {
	sharedFault
	w replayWindow
}

func newMemReplay() *memReplay { return &memReplay{w: replayWindow{until: map[string]time.Time{}}} }

func (g *memReplay) First(ctx context.Context, id string, until time.Time) (bool, error) {
	if err := g.check(ctx); err != nil {
		return false, err
	}
	return g.w.first(id, until, time.Now()), nil
}

// memVotes is a VoteStore shared by routers.
type memVotes struct {
	sharedFault
	mu    sync.Mutex
	votes map[[2]string]string
}

func newMemVotes() *memVotes { return &memVotes{votes: map[[2]string]string{}} }

func (s *memVotes) Record(ctx context.Context, v seam.Vote) (seam.VoteOutcome, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{v.MessageID, v.User}
	prev, ok := s.votes[k]
	s.votes[k] = v.Vote
	switch {
	case !ok:
		return seam.VoteNew, nil
	case prev == v.Vote:
		return seam.VoteUnchanged, nil
	}
	return seam.VoteChanged, nil
}

// memSlots is a ModelSlots shared by routers: a semaphore that notes the
// most slots held at once.
type memSlots struct {
	sharedFault
	sem chan struct{}
	mu  sync.Mutex
	n   int
	max int
}

func newMemSlots(n int) *memSlots { return &memSlots{sem: make(chan struct{}, n)} }

func (s *memSlots) Acquire(ctx context.Context) (func(), error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	s.n++
	s.max = max(s.max, s.n)
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.n--
			s.mu.Unlock()
			<-s.sem
		})
	}, nil
}

// ask is an /ask from user.
func ask(user, question string) *discordgo.Interaction {
	return fakediscord.CommandInteraction("ask", map[string]any{"question": question}, fakediscord.UserSpec{Username: user})
}

// TestCooldownSharedByReplicas checks that a user's /ask cooldown and
// their token buckets hold across two routers sharing a Limiter, and that
// a user turned away as busy on one isn't put on cooldown.
func TestCooldownSharedByReplicas(t *testing.T) {
	t.Parallel()
	shared := newMemLimiter()
	cfg := func(c *Config) { c.Cooldown = time.Hour; c.Limiter = shared }
	a := newEnv(t, envOptions{config: cfg})
	b := newEnv(t, envOptions{config: cfg})

	first := ask("alice", "Will Iran allow inspections of its military sites?")
	a.handle(first)
	if m := a.response(first); !answered(m) {
		t.Fatalf("first /ask on A: %+v", m)
	}
	again := ask("alice", "And what about sanctions?")
	b.handle(again)
	if m := b.response(again); !isEphemeral(m) || !strings.Contains(m.Content, "try again in 3600 seconds") {
		t.Errorf("the same user on B right after: %q, want the cooldown", m.Content)
	}
	other := ask("bob", "Will Iran allow inspections of its military sites?")
	b.handle(other)
	if m := b.response(other); !answered(m) {
		t.Errorf("another user on B: %q", m.Content)
	}

	// /source: 3 at once, whichever replica serves them.
	for n, e := range []*env{a, b, a} {
		i := fakediscord.CommandInteraction("source", map[string]any{"query": "missile"}, fakediscord.UserSpec{Username: "carol"})
		e.handle(i)
		if m := e.response(i); strings.Contains(m.Content, "quickly") {
			t.Fatalf("/source %d of 3: %q", n+1, m.Content)
		}
	}
	fourth := fakediscord.CommandInteraction("source", map[string]any{"query": "missile"}, fakediscord.UserSpec{Username: "carol"})
	b.handle(fourth)
	if m := b.response(fourth); !strings.Contains(m.Content, "try /source again in") {
		t.Errorf("the 4th /source, on B: %q", m.Content)
	}
}

// TestBusyGivesTheCooldownBack fills one router's queue: the user told it
// is busy may ask again at once, on either router.
func TestBusyGivesTheCooldownBack(t *testing.T) {
	t.Parallel()
	shared := newMemLimiter()
	ans := newBlockingAnswerer()
	a := newEnv(t, envOptions{config: func(c *Config) {
		c.Cooldown, c.Limiter, c.Answerer = time.Hour, shared, ans
		c.MaxConcurrentAnswers, c.QueueSize = 1, 1
	}})
	b := newEnv(t, envOptions{config: func(c *Config) { c.Cooldown, c.Limiter = time.Hour, shared }})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.handle(ask("u1", "why?")) }()
	receive(t, ans.started, "the first answer")
	queued := ask("u3", "why?")
	go func() { defer wg.Done(); a.handle(queued) }()
	waitFor(t, func() bool { _, ok := a.fake.OriginalResponse(queued.Token); return ok })
	busy := ask("u2", "why?")
	a.handle(busy)
	if m := a.response(busy); m.Content != busyText {
		t.Fatalf("a full queue: %q", m.Content)
	}
	retry := ask("u2", "Will Iran allow inspections of its military sites?")
	b.handle(retry)
	if m := b.response(retry); !answered(m) {
		t.Errorf("the busy user retrying on B: %q, want an answer", m.Content)
	}
	close(ans.release)
	wg.Wait()
}

// TestSharedLimiterDownFallsBackToLocal breaks the shared limiter: the
// router goes on with its own buckets (the cooldown still holds on it),
// logs one warning for the outage, tells the observer each time, leaves
// the shared limiter alone for sharedRetry, then uses it again.
func TestSharedLimiterDownFallsBackToLocal(t *testing.T) {
	t.Parallel()
	shared := newMemLimiter()
	shared.failing.Store(true)
	obs := &recordingObserver{}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, envOptions{config: func(c *Config) {
		c.Cooldown, c.Limiter, c.Observer, c.Now = time.Minute, shared, obs, clock
	}})
	first := ask("alice", "Will Iran allow inspections of its military sites?")
	e.handle(first)
	if m := e.response(first); !answered(m) {
		t.Fatalf("with the shared limiter down: %+v, want an answer", m)
	}
	again := ask("alice", "again?")
	e.handle(again)
	if m := e.response(again); !strings.Contains(m.Content, "try again in 60 seconds") {
		t.Errorf("the local cooldown: %q", m.Content)
	}
	if n := shared.calls.Load(); n != 1 {
		t.Errorf("the shared limiter was tried %d times within sharedRetry of its failure, want once", n)
	}
	if n := strings.Count(e.log.String(), "shared state unavailable"); n != 1 {
		t.Errorf("%d warnings for one outage, want 1:\n%s", n, e.log)
	}
	obs.mu.Lock()
	fallbacks := slices.Clone(obs.fallbacks)
	obs.mu.Unlock()
	if len(fallbacks) != 2 || fallbacks[0] != "limiter" {
		t.Errorf("fallbacks observed: %v, want limiter twice", fallbacks)
	}

	shared.failing.Store(false)
	mu.Lock()
	now = now.Add(sharedRetry + time.Minute)
	mu.Unlock()
	later := ask("alice", "Will Iran allow inspections of its military sites?")
	e.handle(later)
	if m := e.response(later); !answered(m) || shared.calls.Load() != 2 {
		t.Errorf("after sharedRetry: %q, %d calls to the shared limiter; want an answer through it", m.Content, shared.calls.Load())
	}
	if !strings.Contains(e.log.String(), "shared state is back") {
		t.Errorf("the recovery isn't logged:\n%s", e.log)
	}
}

// TestSharedStateStallCostsOneTimeout stalls the shared limiter and
// replay guard: an /ask over HTTP is still acknowledged within Discord's 3
// seconds, each stalled call costing SharedTimeout, and the next request
// costs nothing.
func TestSharedStateStallCostsOneTimeout(t *testing.T) {
	t.Parallel()
	limiter, replay := newMemLimiter(), newMemReplay()
	limiter.stalling.Store(true)
	replay.stalling.Store(true)
	const timeout = 300 * time.Millisecond
	e := newEnv(t, envOptions{config: func(c *Config) {
		c.Cooldown, c.Limiter, c.ReplayGuard, c.SharedTimeout = time.Hour, limiter, replay, timeout
	}})
	se := newSignedEndpoint(t, e)
	for n, want := range []time.Duration{2*timeout + time.Second, time.Second} {
		start := time.Now()
		status, resp := se.post(ask(fmt.Sprint("user-", n), "Will Iran allow inspections of its military sites?"), true)
		took := time.Since(start)
		if status != http.StatusOK || resp == nil || resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
			t.Fatalf("request %d: %d %+v", n, status, resp)
		}
		if took > want || n == 0 && took < 2*timeout {
			t.Errorf("request %d acknowledged in %v, want at most %v (and the stalls waited for on the first)", n, took, want)
		}
	}
}

// TestModelSlotsSharedByReplicas runs two routers on one shared slot: an
// answer on B waits, queued, while A's holds it, and starts once A's ends.
func TestModelSlotsSharedByReplicas(t *testing.T) {
	t.Parallel()
	slots := newMemSlots(1)
	ansA, ansB := newBlockingAnswerer(), newBlockingAnswerer()
	a := newEnv(t, envOptions{config: func(c *Config) { c.ModelSlots, c.Answerer = slots, ansA }})
	b := newEnv(t, envOptions{config: func(c *Config) { c.ModelSlots, c.Answerer = slots, ansB }})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.handle(ask("u1", "why?")) }()
	receive(t, ansA.started, "A's answer")
	onB := ask("u2", "why?")
	go func() { defer wg.Done(); b.handle(onB) }()
	waitFor(t, func() bool { _, ok := b.fake.OriginalResponse(onB.Token); return ok }) // acknowledged
	waitFor(t, func() bool { return b.router.Load().Queued == 1 })
	select {
	case <-ansB.started:
		t.Fatal("B answered while A held the only shared slot")
	case <-time.After(200 * time.Millisecond):
	}
	if l := a.router.Load(); l.Answering != 1 || l.Queued != 0 || l.Interactions != 1 {
		t.Errorf("A's load %+v, want one answering", l)
	}
	close(ansA.release)
	receive(t, ansB.started, "B's answer once A's ended")
	close(ansB.release)
	wg.Wait()
	if slots.max != 1 {
		t.Errorf("%d shared slots held at once, want 1", slots.max)
	}
	if l := b.router.Load(); l != (Load{}) {
		t.Errorf("B's load after: %+v", l)
	}
}

// TestModelSlotsDownFallsBackToLocal breaks the shared slots: answers go
// on within this router's own cap, and the observer is told.
func TestModelSlotsDownFallsBackToLocal(t *testing.T) {
	t.Parallel()
	slots := newMemSlots(1)
	slots.failing.Store(true)
	obs := &recordingObserver{}
	e := newEnv(t, envOptions{config: func(c *Config) { c.ModelSlots, c.Observer = slots, obs }})
	i := ask("alice", "Will Iran allow inspections of its military sites?")
	e.handle(i)
	if m := e.response(i); !answered(m) {
		t.Fatalf("with the shared slots down: %+v", m)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if !slices.Equal(obs.fallbacks, []string{"slots"}) {
		t.Errorf("fallbacks %v, want slots", obs.fallbacks)
	}
}

// TestReplayGuardSharedByReplicas sends an interaction to A, then the same
// one to B (someone replaying a captured request to another replica): B
// does nothing with it. With the guard down, B accepts a new interaction
// on its own memory, and the observer is told.
func TestReplayGuardSharedByReplicas(t *testing.T) {
	t.Parallel()
	guard := newMemReplay()
	obsB := &recordingObserver{}
	counter := &countingIndexer{}
	a := newEnv(t, envOptions{config: func(c *Config) { c.ReplayGuard = guard; counter.Indexer = c.Indexer; c.Indexer = counter }})
	b := newEnv(t, envOptions{config: func(c *Config) { c.ReplayGuard, c.Observer = guard, obsB; c.Indexer = counter }})
	seA, seB := newSignedEndpoint(t, a), newSignedEndpoint(t, b)
	reindex := fakediscord.CommandInteraction("reindex", nil, admin)
	if status, resp := seA.post(reindex, true); status != http.StatusOK || resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("on A: %d %+v", status, resp)
	}
	status, resp := seB.post(reindex, false)
	if status != http.StatusOK || resp.Type != discordgo.InteractionResponseChannelMessageWithSource || !strings.Contains(resp.Data.Content, "already handled") {
		t.Errorf("the replay on B: %d %+v, want a response that does nothing", status, resp)
	}
	if err := a.router.Shutdown(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := counter.count(); n != 1 {
		t.Errorf("%d reindexes, want 1", n)
	}

	guard.failing.Store(true)
	help := fakediscord.CommandInteraction("help", nil, member)
	if status, resp := seB.post(help, true); status != http.StatusOK || resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Errorf("with the guard down: %d %+v, want /help acknowledged", status, resp)
	}
	if status, resp := seB.post(help, false); status != http.StatusOK || !strings.Contains(resp.Data.Content, "already handled") {
		t.Errorf("a replay to B with the guard down: %d %+v, want B's own memory to catch it", status, resp)
	}
	obsB.mu.Lock()
	defer obsB.mu.Unlock()
	if !slices.Contains(obsB.fallbacks, "replay") || !slices.Contains(obsB.rejections, "replay 200") {
		t.Errorf("observed fallbacks %v and rejections %v, want replay in both", obsB.fallbacks, obsB.rejections)
	}
}

// TestVotesSharedByReplicas votes on one answer through A and B: one vote
// per user per answer, changeable, whichever replica records it, and no
// feedback file. With the store down the voter is told the vote wasn't
// recorded.
func TestVotesSharedByReplicas(t *testing.T) {
	t.Parallel()
	votes := newMemVotes()
	obs := &recordingObserver{}
	a := newEnv(t, envOptions{config: func(c *Config) { c.Votes = votes }})
	b := newEnv(t, envOptions{config: func(c *Config) { c.Votes, c.Observer = votes, obs }})
	m := askedAnswer(t, a)
	for _, step := range []struct {
		e    *env
		id   string
		want string
	}{
		{a, idVoteUp, "Thanks for the feedback"},
		{b, idVoteUp, "already recorded"},
		{b, idVoteDown, "is now 👎"},
		{a, idVoteDown, "already recorded"},
	} {
		if got := voteReply(t, step.e, step.id, m, member); !strings.Contains(got, step.want) {
			t.Errorf("%s: %q, want %q", step.id, got, step.want)
		}
	}
	if n := len(feedbackLines(t, a.router.cfg.FeedbackLog)) + len(feedbackLines(t, b.router.cfg.FeedbackLog)); n != 0 {
		t.Errorf("%d lines in the feedback files, want none with a shared store", n)
	}
	votes.failing.Store(true)
	if got := voteReply(t, b, idVoteUp, m, fakediscord.UserSpec{Username: "bob"}); !strings.Contains(got, "couldn't record your vote") {
		t.Errorf("with the store down: %q", got)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if !slices.Equal(obs.fallbacks, []string{"votes"}) {
		t.Errorf("fallbacks %v, want votes", obs.fallbacks)
	}
}

// TestEndpointReportsRejections checks that every request the endpoint
// refuses reaches the observer with its reason and status.
func TestEndpointReportsRejections(t *testing.T) {
	t.Parallel()
	obs := &recordingObserver{}
	e := newEnv(t, envOptions{config: func(c *Config) { c.Observer = obs }})
	se := newSignedEndpoint(t, e)
	help := fakediscord.CommandInteraction("help", nil, member)
	se.post(help, true)
	se.post(help, false) // a replay
	se.postBody([]byte(strings.Repeat("x", MaxInteractionBytes+1)), help, false)
	se.postBody([]byte("{not json"), help, false)
	for _, stamp := range []string{"1", strconv.FormatInt(se.now.Unix(), 10)} {
		req, _ := http.NewRequest(http.MethodPost, se.url, strings.NewReader(`{"type":1}`))
		req.Header.Set("X-Signature-Timestamp", stamp)
		req.Header.Set("X-Signature-Ed25519", strings.Repeat("00", ed25519.SignatureSize))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("timestamp %s, bad signature: %s", stamp, resp.Status)
		}
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	want := []string{"replay 200", "too_large 413", "malformed 400", "stale_timestamp 401", "bad_signature 401"}
	if !slices.Equal(obs.rejections, want) {
		t.Errorf("rejections %v, want %v", obs.rejections, want)
	}
}
