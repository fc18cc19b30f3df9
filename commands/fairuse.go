package commands

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// limiter keeps /ask fair: one question per user per cooldown, at most
// slots answers worked on at once, and at most queue more waiting for a
// slot. Admission is decided at once, before the interaction is
// acknowledged, so a refusal is an immediate ephemeral reply.
type limiter struct {
	cooldown time.Duration
	max      int // slots + queue
	slots    chan struct{}

	// mu guards the fields below.
	mu      sync.Mutex
	last    map[string]time.Time // user -> when their last question was admitted
	pending int                  // admitted and not yet released: working or queued
}

func newLimiter(cooldown time.Duration, slots, queue int) *limiter {
	return &limiter{
		cooldown: cooldown,
		max:      slots + queue,
		slots:    make(chan struct{}, slots),
		last:     map[string]time.Time{},
	}
}

// admission is the outcome of limiter.admit.
type admission struct {
	// wait is how long the user must still wait when on cooldown.
	wait time.Duration
	// busy is set when the queue is full.
	busy bool
	// ticket is the admitted question's place; nil when refused.
	ticket *ticket
}

// admit decides whether user may ask now.
func (l *limiter) admit(user string, now time.Time) admission {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cooldown > 0 {
		if t, ok := l.last[user]; ok {
			if wait := t.Add(l.cooldown).Sub(now); wait > 0 {
				return admission{wait: wait}
			}
		}
	}
	if l.pending >= l.max {
		return admission{busy: true}
	}
	l.pending++
	if l.cooldown > 0 {
		l.last[user] = now
		if len(l.last) > 4096 {
			for u, t := range l.last {
				if now.Sub(t) >= l.cooldown {
					delete(l.last, u)
				}
			}
		}
	}
	return admission{ticket: &ticket{l: l}}
}

// ticket is an admitted question: it waits for a slot, then holds it until
// released.
type ticket struct {
	l       *limiter
	holding bool
	done    bool
}

// acquire waits for a free slot.
func (t *ticket) acquire(ctx context.Context) error {
	select {
	case t.l.slots <- struct{}{}:
		t.holding = true
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for a free answer slot: %w", ctx.Err())
	}
}

// release gives the slot (if held) and the queue place back. It is
// idempotent.
func (t *ticket) release() {
	if t.done {
		return
	}
	t.done = true
	if t.holding {
		<-t.l.slots
	}
	t.l.mu.Lock()
	t.l.pending--
	t.l.mu.Unlock()
}

// cooldownText tells a user when they may ask again.
func cooldownText(wait time.Duration) string {
	secs := int((wait + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	return fmt.Sprintf("You're asking quickly: try again in %d %s.", secs, unit)
}

// busyText is the reply when the queue is full.
const busyText = "I'm busy answering other questions; try again shortly."

// rate is how often one user may use a command, or the buttons of one
// command's messages: burst at once, then one more every interval.
type rate struct {
	burst int
	every time.Duration
}

// rateOf is the per-user rate of a command ("source") or of its buttons
// ("articles:buttons"); the zero rate means no limit here (/ask keeps its
// own cooldown, see limiter). They are generous for a person and stop a
// script: a page of /articles is turned in a click, /source and /help are
// read before the next.
func rateOf(class string) rate {
	switch class {
	case "source":
		return rate{burst: 3, every: 10 * time.Second}
	case "articles", "articles:buttons":
		return rate{burst: 10, every: 2 * time.Second}
	case "help":
		return rate{burst: 3, every: 20 * time.Second}
	case "reindex", "ingest", "remove":
		return rate{burst: 3, every: 20 * time.Second}
	case "ask:buttons": // Show sources, 👍 and 👎
		return rate{burst: 6, every: 5 * time.Second}
	}
	return rate{}
}

// rates is a token bucket per user and class: a user's use of a command
// (or of its buttons) takes a token, and tokens come back at the class's
// rate up to its burst. A refusal is decided before the interaction is
// acknowledged, so it is an immediate private reply.
type rates struct {
	// mu guards buckets.
	mu      sync.Mutex
	buckets map[rateKey]*bucket
}

type rateKey struct{ class, user string }

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

func newRates() *rates { return &rates{buckets: map[rateKey]*bucket{}} }

// take spends one of user's tokens of class at now; when there is none it
// returns how long until there is one.
func (rs *rates) take(class, user string, now time.Time) time.Duration {
	rt := rateOf(class)
	if rt.burst <= 0 || rt.every <= 0 {
		return 0
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	k := rateKey{class, user}
	b := rs.buckets[k]
	if b == nil {
		if len(rs.buckets) >= 8192 {
			rs.forgetFull(now)
		}
		b = &bucket{tokens: float64(rt.burst), at: now}
		rs.buckets[k] = b
	}
	b.refill(rt, now)
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(rt.every))
	}
	b.tokens--
	return 0
}

func (b *bucket) refill(rt rate, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(float64(rt.burst), b.tokens+float64(d)/float64(rt.every))
		b.at = now
	}
}

// forgetFull drops the buckets that have refilled: a new one is the same.
func (rs *rates) forgetFull(now time.Time) {
	for k, b := range rs.buckets {
		rt := rateOf(k.class)
		b.refill(rt, now)
		if b.tokens >= float64(rt.burst) {
			delete(rs.buckets, k)
		}
	}
}

// slowDownText tells a user when they may use a command (or, what is
// empty, a button) again.
func slowDownText(command string, wait time.Duration) string {
	secs := max(int((wait+time.Second-1)/time.Second), 1)
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	if command == "" {
		return fmt.Sprintf("You're clicking quickly: try again in %d %s.", secs, unit)
	}
	return fmt.Sprintf("You're going quickly: try /%s again in %d %s.", command, secs, unit)
}
