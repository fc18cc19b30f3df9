// Package breaker is the bot's circuit breaker: calls to a remote service
// that has stopped answering fail at once, for a cool-down that grows while
// it stays down, instead of each waiting out its own timeout. After the
// cool-down one call is let through as a probe; its success closes the
// circuit again. The shared corpus store (retrieval's PostgreSQL writes and
// convergence polls) uses it; searches never go through it, they run in
// memory.
package breaker

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/newsbot/newsbot/internal/backoff"
)

// ErrOpen is matched (with errors.Is) by the error of a call refused
// because the circuit is open.
var ErrOpen = errors.New("circuit open")

// OpenError is the error Allow returns while the circuit is open.
type OpenError struct {
	// Since is when the circuit opened.
	Since time.Time
	// Last is the failure that opened it (or the last failed probe).
	Last error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("unavailable since %s: %v", e.Since.UTC().Format(time.RFC3339), e.Last)
}

// Is makes an OpenError match ErrOpen.
func (e *OpenError) Is(target error) bool { return target == ErrOpen }

// Unwrap returns the failure behind the open circuit.
func (e *OpenError) Unwrap() error { return e.Last }

// Breaker counts consecutive failures of calls to one service. It is safe
// for concurrent use.
type Breaker struct {
	threshold int
	cool      backoff.Policy
	now       func() time.Time
	onChange  func(open bool)

	// mu guards the fields below.
	mu       sync.Mutex
	failures int       // consecutive failures while closed
	open     bool      // the circuit is open (or half open, probing)
	trips    int       // times it opened without closing in between
	until    time.Time // when the next probe may go
	probing  bool      // a probe is out
	since    time.Time // when it opened
	last     error
}

// Options configure a Breaker. Zero values take the defaults named.
type Options struct {
	// Threshold is how many consecutive failures open the circuit (2).
	Threshold int
	// Cool is the wait before the first probe of an open circuit, doubling
	// after each failed probe (1s, at most 30s).
	Cool backoff.Policy
	// Now is the clock (time.Now).
	Now func() time.Time
	// OnChange, when not nil, is told each time the circuit opens (true)
	// or closes (false). It is called without the breaker's lock held,
	// from the goroutine whose call changed it.
	OnChange func(open bool)
}

// New returns a closed Breaker.
func New(o Options) *Breaker {
	if o.Threshold <= 0 {
		o.Threshold = 2
	}
	if o.Cool.Base <= 0 {
		o.Cool = backoff.Policy{Base: time.Second, Max: 30 * time.Second, Jitter: true}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Breaker{threshold: o.Threshold, cool: o.Cool, now: o.Now, onChange: o.OnChange}
}

// Allow reports whether a call may go ahead: nil when the circuit is
// closed, or when it is open, its cool-down has passed and no other probe
// is out (the caller's call is then the probe, and must be followed by
// Success or Failure); an *OpenError otherwise.
func (b *Breaker) Allow() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return nil
	}
	if !b.probing && !b.now().Before(b.until) {
		b.probing = true
		return nil
	}
	return &OpenError{Since: b.since, Last: b.last}
}

// Success records a call that reached the service; it closes an open
// circuit.
func (b *Breaker) Success() {
	b.mu.Lock()
	changed := b.open
	b.failures, b.open, b.trips, b.probing, b.last = 0, false, 0, false, nil
	b.mu.Unlock()
	if changed && b.onChange != nil {
		b.onChange(false)
	}
}

// Failure records a call that could not reach the service (refused,
// timed out, cut off): the threshold-th in a row opens the circuit, and a
// failed probe keeps it open for a longer cool-down.
func (b *Breaker) Failure(err error) {
	b.mu.Lock()
	now := b.now()
	b.last = err
	changed := false
	switch {
	case b.open:
		b.probing = false
		b.trips++
		b.until = now.Add(b.cool.Delay(b.trips))
	default:
		b.failures++
		if b.failures >= b.threshold {
			b.open, b.since, b.trips, changed = true, now, 1, true
			b.until = now.Add(b.cool.Delay(1))
		}
	}
	b.mu.Unlock()
	if changed && b.onChange != nil {
		b.onChange(true)
	}
}

// Trip opens the circuit at once, as when the service could not be
// reached at start.
func (b *Breaker) Trip(err error) {
	b.mu.Lock()
	if b.open {
		b.mu.Unlock()
		return
	}
	b.failures = b.threshold - 1
	b.mu.Unlock()
	b.Failure(err)
}

// State reports whether the circuit is open and, when it is, since when
// and the failure that keeps it open.
func (b *Breaker) State() (open bool, since time.Time, last error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open, b.since, b.last
}
