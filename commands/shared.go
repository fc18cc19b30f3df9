package commands

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/newsbot/newsbot/commands/seam"
)

// This file is the state replicas share: the per-user rates, the answer
// slots, the interactions already accepted over HTTP, and the votes. Each
// is an interface, nil by default, when this process's own state (in
// memory, or the feedback file) is used; bot serve sets them when
// PostgreSQL is configured. A shared one that fails, or is slower than
// Config.SharedTimeout, is left alone for sharedRetry and this process's
// own is used meanwhile, with a warning in the log (once per outage) and
// Observer.Fallback told each time: the database never costs an answer
// more than the timeout, and an outage costs one timeout per sharedRetry,
// not one per interaction.

// Limiter keeps the per-user rates: the /ask cooldown (a bucket of burst
// 1) and the token buckets of the other commands and the buttons.
type Limiter interface {
	// Take spends one token of b and returns 0; when b has none, it spends
	// nothing and returns how long until it has one.
	Take(ctx context.Context, b seam.Bucket) (wait time.Duration, err error)
	// Return gives back a token Take spent on a use refused for another
	// reason (the queue was full), so that the user isn't made to wait.
	Return(ctx context.Context, b seam.Bucket) error
}

// ReplayGuard remembers the interactions the HTTP endpoint accepted.
type ReplayGuard interface {
	// First records the interaction ID as accepted until the time given
	// (when its signed timestamp gets too old to pass) and reports whether
	// it was the first time.
	First(ctx context.Context, id string, until time.Time) (bool, error)
}

// VoteStore keeps the 👍/👎 votes: one per user per answer, the latest
// counting.
type VoteStore interface {
	// Record stores v and says whether it was the voter's first vote on
	// the answer, a change, or the same vote again. The vote is stored
	// when it returns no error.
	Record(ctx context.Context, v seam.Vote) (seam.VoteOutcome, error)
}

// ModelSlots is the budget of answers generated at once by all the
// replicas together, which bounds the requests the model sees.
type ModelSlots interface {
	// Acquire waits for a free slot and returns the function that gives
	// it back (called once, however the answer ended). It returns an
	// error when ctx ends first, or when the slots can't be reached.
	Acquire(ctx context.Context) (release func(), err error)
}

// Defaults of the shared state.
const (
	// DefaultSharedTimeout bounds each call to the shared state: twice it
	// (a replay check and a rate) still leaves the handler most of
	// Discord's 3 seconds.
	DefaultSharedTimeout = 500 * time.Millisecond
	// sharedRetry is how long shared state that failed is left alone.
	sharedRetry = 5 * time.Second
)

// sharedGuard watches one kind of shared state (what: "limiter",
// "replay", "slots", "votes"): it says when to skip it, and reports its
// failures and recovery.
type sharedGuard struct {
	what string
	log  *slog.Logger
	obs  Observer
	now  func() time.Time

	// mu guards the fields below.
	mu        sync.Mutex
	down      bool      // failed, and not succeeded since
	downUntil time.Time // skipped until then
}

func newSharedGuard(what string, cfg Config) *sharedGuard {
	return &sharedGuard{what: what, log: cfg.Logger, obs: cfg.Observer, now: cfg.Now}
}

// usable reports whether to try the shared state now; when not, the call
// is counted as a fallback.
func (g *sharedGuard) usable() bool {
	g.mu.Lock()
	skip := g.down && g.now().Before(g.downUntil)
	g.mu.Unlock()
	if skip {
		g.fellBack()
	}
	return !skip
}

// failed notes a failure: the shared state is skipped for sharedRetry,
// and the first failure of an outage is logged.
func (g *sharedGuard) failed(err error) {
	g.mu.Lock()
	first := !g.down
	g.down, g.downUntil = true, g.now().Add(sharedRetry)
	g.mu.Unlock()
	if first {
		g.log.Warn("shared state unavailable: using this process's own until it is back", "what", g.what, "err", err,
			"retry_in", sharedRetry.String())
	}
	g.fellBack()
}

// succeeded notes a success, logging the end of an outage.
func (g *sharedGuard) succeeded() {
	g.mu.Lock()
	was := g.down
	g.down = false
	g.mu.Unlock()
	if was {
		g.log.Info("shared state is back", "what", g.what)
	}
}

func (g *sharedGuard) fellBack() {
	if g.obs != nil {
		g.obs.Fallback(g.what)
	}
}

// sharedState is the router's use of the shared state; a nil interface is
// not used.
type sharedState struct {
	timeout time.Duration
	limiter Limiter
	replay  ReplayGuard
	votes   VoteStore
	slots   ModelSlots

	limiterGuard, replayGuard, votesGuard, slotsGuard *sharedGuard
}

func newSharedState(cfg Config) *sharedState {
	return &sharedState{
		timeout: cfg.SharedTimeout,
		limiter: cfg.Limiter, replay: cfg.ReplayGuard, votes: cfg.Votes, slots: cfg.ModelSlots,
		limiterGuard: newSharedGuard("limiter", cfg),
		replayGuard:  newSharedGuard("replay", cfg),
		votesGuard:   newSharedGuard("votes", cfg),
		slotsGuard:   newSharedGuard("slots", cfg),
	}
}

// take spends a token of b: from the shared limiter when there is one and
// it answers (the local buckets follow what it allowed, so that they are
// current if it fails), else from the local buckets.
func (r *Router) take(ctx context.Context, b seam.Bucket) time.Duration {
	sh := r.shared
	if sh.limiter != nil && sh.limiterGuard.usable() {
		ctx, cancel := context.WithTimeout(ctx, sh.timeout)
		wait, err := sh.limiter.Take(ctx, b)
		cancel()
		if err == nil {
			sh.limiterGuard.succeeded()
			if wait <= 0 {
				r.rates.take(b, r.cfg.Now())
			}
			return wait
		}
		sh.limiterGuard.failed(fmt.Errorf("take a token of %s: %w", b.Class, err))
	}
	return r.rates.take(b, r.cfg.Now())
}

// giveBack returns a token take spent (see Limiter.Return), to the local
// buckets and to the shared limiter.
func (r *Router) giveBack(ctx context.Context, b seam.Bucket) {
	r.rates.give(b, r.cfg.Now())
	sh := r.shared
	if sh.limiter == nil || !sh.limiterGuard.usable() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sh.timeout)
	defer cancel()
	if err := sh.limiter.Return(ctx, b); err != nil {
		sh.limiterGuard.failed(fmt.Errorf("return a token of %s: %w", b.Class, err))
		return
	}
	sh.limiterGuard.succeeded()
}

// firstSeen records an interaction accepted over HTTP and reports whether
// it is the first time it was, here or, with a shared guard, anywhere.
func (r *Router) firstSeen(ctx context.Context, local *replayWindow, id string, until, now time.Time) bool {
	if !local.first(id, until, now) {
		return false
	}
	sh := r.shared
	if sh.replay == nil || !sh.replayGuard.usable() {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, sh.timeout)
	defer cancel()
	first, err := sh.replay.First(ctx, id, until)
	if err != nil {
		sh.replayGuard.failed(fmt.Errorf("record interaction %s: %w", id, err))
		return true
	}
	sh.replayGuard.succeeded()
	return first
}

// recordVote stores a vote in the shared store, or else in the feedback
// file; without either it is acknowledged and not kept. A vote the store
// can't take is not recorded, and the voter is told.
func (r *Router) recordVote(ctx context.Context, v seam.Vote) (seam.VoteOutcome, error) {
	sh := r.shared
	if sh.votes == nil {
		if r.feedback == nil {
			return seam.VoteNew, nil
		}
		return r.feedback.Record(ctx, v)
	}
	if !sh.votesGuard.usable() {
		return 0, fmt.Errorf("the shared vote store failed less than %s ago", sharedRetry)
	}
	ctx, cancel := context.WithTimeout(ctx, sh.timeout)
	defer cancel()
	out, err := sh.votes.Record(ctx, v)
	if err != nil {
		sh.votesGuard.failed(fmt.Errorf("record a vote: %w", err))
		return 0, err
	}
	sh.votesGuard.succeeded()
	return out, nil
}

// acquireShared waits for a shared answer slot; it returns a nil release,
// and no error, when there are no shared slots or they failed (the local
// slot then bounds the answers alone).
func (sh *sharedState) acquireShared(ctx context.Context) (release func(), err error) {
	if sh.slots == nil || !sh.slotsGuard.usable() {
		return nil, nil
	}
	release, err = sh.slots.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("waiting for a free answer slot: %w", ctx.Err())
		}
		sh.slotsGuard.failed(fmt.Errorf("acquire a shared answer slot: %w", err))
		return nil, nil
	}
	sh.slotsGuard.succeeded()
	return release, nil
}
