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
