// Package backoff is the one retry schedule of the bot: exponential waits
// between attempts, capped, optionally jittered, and a wait that ends early
// when its context does. The model client (internal/llm) and the Discord
// command registration use it.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy is an exponential backoff: Base before the first retry, doubling
// on each one, never more than Max.
type Policy struct {
	Base time.Duration
	// Max caps every wait; no cap when zero.
	Max time.Duration
	// Jitter spreads each wait at random over its upper half, so that
	// clients failing together don't retry together.
	Jitter bool
}

// Delay returns the wait before retry number n (1 for the first retry).
func (p Policy) Delay(n int) time.Duration {
	d := p.Base
	for i := 1; i < n && (p.Max <= 0 || d < p.Max); i++ {
		d *= 2
	}
	if p.Max > 0 {
		d = min(d, p.Max)
	}
	if p.Jitter {
		half := d / 2
		d = half + rand.N(half+1)
	}
	return d
}

// Sleep waits for d, or until ctx ends, whichever comes first; it returns
// ctx's error when ctx ended first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
