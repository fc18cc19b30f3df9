package breaker

import (
	"errors"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/backoff"
)

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBreaker(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	var changes []bool
	b := New(Options{Threshold: 2, Cool: backoff.Policy{Base: time.Second, Max: 4 * time.Second}, Now: c.now,
		OnChange: func(open bool) { changes = append(changes, open) }})
	down := errors.New("connection refused")

	if err := b.Allow(); err != nil {
		t.Fatalf("a new breaker refuses: %v", err)
	}
	b.Failure(down)
	if err := b.Allow(); err != nil {
		t.Fatalf("one failure of a threshold of 2 opened it: %v", err)
	}
	b.Failure(down)
	err := b.Allow()
	if !errors.Is(err, ErrOpen) || !errors.Is(err, down) {
		t.Fatalf("after 2 failures Allow = %v, want open with the cause", err)
	}

	// The cool-down passes: one probe goes, the others wait for it.
	c.t = c.t.Add(time.Second)
	if err := b.Allow(); err != nil {
		t.Fatalf("no probe after the cool-down: %v", err)
	}
	if err := b.Allow(); !errors.Is(err, ErrOpen) {
		t.Fatalf("a second call went while the probe was out: %v", err)
	}
	// A failed probe doubles the cool-down.
	b.Failure(down)
	c.t = c.t.Add(time.Second)
	if err := b.Allow(); !errors.Is(err, ErrOpen) {
		t.Fatalf("probe allowed before the doubled cool-down: %v", err)
	}
	c.t = c.t.Add(time.Second)
	if err := b.Allow(); err != nil {
		t.Fatalf("no probe after the doubled cool-down: %v", err)
	}
	b.Success()
	if open, _, _ := b.State(); open {
		t.Fatal("a successful probe left it open")
	}
	if err := b.Allow(); err != nil {
		t.Fatalf("closed breaker refuses: %v", err)
	}

	b.Trip(down)
	if open, _, last := b.State(); !open || last != down {
		t.Fatalf("Trip: open %v, last %v", open, last)
	}
	b.Success()
	if want := []bool{true, false, true, false}; len(changes) != len(want) {
		t.Fatalf("changes %v, want %v", changes, want)
	}
}
