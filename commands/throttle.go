package commands

import (
	"context"
	"sync"
	"time"
)

// throttle keeps one message up to date from a stream of updates (a
// growing answer, reindex progress) without flooding Discord: it sends the
// latest update at most once per interval, one send at a time, dropping the
// updates that were overtaken. finish sends the final version, always.
//
// The first update waits a third of the interval, so that work finishing
// quickly (an extractive answer) goes out as one final edit, at once.
type throttle struct {
	interval time.Duration
	first    time.Time // no update is sent before
	send     func(context.Context, message) error
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}

	// mu guards the fields below.
	mu       sync.Mutex
	pending  *message
	lastSent time.Time
	sends    int
	err      error // the first failed send; later updates are dropped
}

// startThrottle starts the sending goroutine; finish or halt ends it.
func startThrottle(ctx context.Context, interval time.Duration, send func(context.Context, message) error) *throttle {
	t := &throttle{
		interval: interval,
		first:    time.Now().Add(interval / 3),
		send:     send,
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go t.loop(ctx)
	return t
}

// update replaces the pending message; it never blocks.
func (t *throttle) update(m message) {
	t.mu.Lock()
	if t.err != nil {
		t.mu.Unlock()
		return
	}
	t.pending = &m
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *throttle) loop(ctx context.Context) {
	defer close(t.done)
	for {
		select {
		case <-t.wake:
		case <-t.stop:
			return
		case <-ctx.Done():
			return
		}
		t.mu.Lock()
		wait := max(time.Until(t.lastSent.Add(t.interval)), time.Until(t.first))
		t.mu.Unlock()
		if wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-t.stop:
				timer.Stop()
				return
			case <-ctx.Done():
				timer.Stop()
				return
			}
		}
		t.mu.Lock()
		m := t.pending
		t.pending = nil
		t.mu.Unlock()
		if m == nil {
			continue
		}
		err := t.send(ctx, *m)
		t.mu.Lock()
		t.lastSent = time.Now()
		t.sends++
		if err != nil && t.err == nil {
			t.err = err
		}
		failed := t.err != nil
		t.mu.Unlock()
		if failed {
			return
		}
	}
}

// halt stops the goroutine, waiting for a send in progress, and drops any
// pending update.
func (t *throttle) halt() {
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	<-t.done
}

// finish stops the updates and sends final, keeping the interval after the
// last update that went out (at once when none did). It returns the final send's error; failures of
// the intermediate sends are reported by stats.
func (t *throttle) finish(ctx context.Context, final message) error {
	t.halt()
	t.mu.Lock()
	wait := time.Duration(0)
	if t.sends > 0 {
		wait = time.Until(t.lastSent.Add(t.interval))
	}
	t.mu.Unlock()
	if wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
		}
	}
	err := t.send(ctx, final)
	t.mu.Lock()
	t.lastSent = time.Now()
	t.sends++
	t.mu.Unlock()
	return err
}

// stats returns the number of sends so far and the first failed
// intermediate send.
func (t *throttle) stats() (sends int, partialErr error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sends, t.err
}
