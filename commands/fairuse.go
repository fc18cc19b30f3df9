package commands

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/newsbot/newsbot/commands/seam"
)

// limiter keeps /ask fair: at most slots answers worked on at once by this
// process (and, with shared slots, by all replicas together), and at most
// queue more waiting for a slot. Admission is decided at once, before the
// interaction is acknowledged, so a refusal is an immediate ephemeral
// reply. The /ask cooldown is a rate (see askBucket).
type limiter struct {
	max    int // slots + queue
	slots  chan struct{}
	shared *sharedState

	// mu guards the fields below.
	mu      sync.Mutex
	pending int // admitted and not yet released: working or queued
	holding int // of them, holding a slot
}

func newLimiter(slots, queue int, shared *sharedState) *limiter {
	return &limiter{
		max:    slots + queue,
		slots:  make(chan struct{}, slots),
		shared: shared,
	}
}

// admit takes a place in the queue; it returns nil when the queue is full.
func (l *limiter) admit() *ticket {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending >= l.max {
		return nil
	}
	l.pending++
	return &ticket{l: l}
}

// load returns the answers queued and those holding a slot.
func (l *limiter) load() (queued, answering int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pending - l.holding, l.holding
}

// ticket is an admitted question: it waits for a slot, then holds it until
// released.
type ticket struct {
	l       *limiter
	holding bool   // this process's slot
	shared  func() // gives the shared slot back; nil when none is held
	working bool   // holds every slot it needs: counted in limiter.holding
	done    bool
}

// acquire waits for a free slot of this process, then for a shared one.
func (t *ticket) acquire(ctx context.Context) error {
	select {
	case t.l.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for a free answer slot: %w", ctx.Err())
	}
	t.holding = true
	release, err := t.l.shared.acquireShared(ctx)
	if err != nil {
		return err
	}
	t.shared, t.working = release, true
	t.l.mu.Lock()
	t.l.holding++
	t.l.mu.Unlock()
	return nil
}

// release gives the slots (if held) and the queue place back. It is
// idempotent.
func (t *ticket) release() {
	if t.done {
		return
	}
	t.done = true
	if t.shared != nil {
		t.shared()
	}
	t.l.mu.Lock()
	t.l.pending--
	if t.working {
		t.l.holding--
	}
	t.l.mu.Unlock()
	if t.holding {
		<-t.l.slots
	}
}

// askBucket is the /ask cooldown of a user (also for mentions): one
// question per cooldown.
func askBucket(user string, cooldown time.Duration) seam.Bucket {
	return seam.Bucket{Class: "ask", User: user, Burst: 1, Every: cooldown}
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
// own cooldown, see askBucket). They are generous for a person and stop a
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

// bucketOf is user's bucket of class under rateOf; its Burst is 0 when
// the class has no limit.
func bucketOf(class, user string) seam.Bucket {
	rt := rateOf(class)
	return seam.Bucket{Class: class, User: user, Burst: rt.burst, Every: rt.every}
}

// rates is this process's token buckets, one per user and class: a user's
// use of a command (or of its buttons) takes a token, and tokens come back
// at the class's rate up to its burst. A refusal is decided before the
// interaction is acknowledged, so it is an immediate private reply.
type rates struct {
	// mu guards buckets.
	mu      sync.Mutex
	buckets map[rateKey]*bucket
}

type rateKey struct{ class, user string }

type bucket struct {
	rt     rate
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

func newRates() *rates { return &rates{buckets: map[rateKey]*bucket{}} }

// take spends one token of b at now; when there is none it returns how
// long until there is one.
func (rs *rates) take(b seam.Bucket, now time.Time) time.Duration {
	rt := rate{burst: b.Burst, every: b.Every}
	if rt.burst <= 0 || rt.every <= 0 {
		return 0
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	k := rateKey{b.Class, b.User}
	bk := rs.buckets[k]
	if bk == nil || bk.rt != rt {
		if len(rs.buckets) >= 8192 {
			rs.forgetFull(now)
		}
		bk = &bucket{rt: rt, tokens: float64(rt.burst), at: now}
		rs.buckets[k] = bk
	}
	bk.refill(now)
	if bk.tokens < 1 {
		return time.Duration((1 - bk.tokens) * float64(rt.every))
	}
	bk.tokens--
	return 0
}

// give returns a token of b spent at now, up to its burst.
func (rs *rates) give(b seam.Bucket, now time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if bk := rs.buckets[rateKey{b.Class, b.User}]; bk != nil {
		bk.refill(now)
		bk.tokens = min(float64(bk.rt.burst), bk.tokens+1)
	}
}

func (b *bucket) refill(now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(float64(b.rt.burst), b.tokens+float64(d)/float64(b.rt.every))
		b.at = now
	}
}

// forgetFull drops the buckets that have refilled: a new one is the same.
func (rs *rates) forgetFull(now time.Time) {
	for k, b := range rs.buckets {
		b.refill(now)
		if b.tokens >= float64(b.rt.burst) {
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
