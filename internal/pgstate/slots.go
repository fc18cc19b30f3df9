package pgstate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// AcquireSlot waits for one of the Options.Slots answer slots the
// replicas share and returns the function that gives it back (idempotent;
// it runs under a timeout of its own, whatever ctx has become). A slot is
// a lease: a row claimed with UPDATE ... FOR UPDATE SKIP LOCKED (replicas
// claiming at once never take the same one), renewed by a goroutine every
// third of Options.LeaseTTL while held, free again when given back or
// when the lease expires (its holder crashed). While every slot is held
// it polls, from Options.PollMin doubling to PollMax. It returns an
// error when ctx ends first, or when a statement fails or times out.
func (s *Store) AcquireSlot(ctx context.Context) (release func(), err error) {
	holder := s.opts.Holder + "#" + strconv.FormatUint(s.leaseSeq.Add(1), 10)
	wait := s.opts.PollMin
	for {
		slot, ok, err := s.claim(ctx, holder)
		if err != nil {
			return nil, err
		}
		if ok {
			return s.hold(slot, holder), nil
		}
		// Jitter, so that replicas waiting together don't poll together.
		d := wait/2 + rand.N(wait/2+1)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("shared state: waiting for an answer slot: %w", ctx.Err())
		case <-s.stop:
			t.Stop()
			return nil, fmt.Errorf("shared state: closed while waiting for an answer slot")
		}
		wait = min(2*wait, s.opts.PollMax)
	}
}

// claim takes a free slot for holder, if there is one.
func (s *Store) claim(ctx context.Context, holder string) (slot int, ok bool, err error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, false, err
	}
	err = s.pool.QueryRow(ctx, `UPDATE newsbot_state_slots AS s
		SET holder = $1, expires = now() + make_interval(secs => $2)
		FROM (SELECT slot FROM newsbot_state_slots
			WHERE slot < $3 AND (holder IS NULL OR expires < now())
			ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED) AS free
		WHERE s.slot = free.slot
		RETURNING s.slot`, holder, s.opts.LeaseTTL.Seconds(), s.opts.Slots).Scan(&slot)
	switch {
	case isNoRows(err):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("shared state: claim an answer slot: %w", err)
	}
	return slot, true, nil
}

// hold starts renewing the lease of slot and returns its release.
func (s *Store) hold(slot int, holder string) func() {
	stop, done := make(chan struct{}), make(chan struct{})
	s.leases.Add(1)
	go func() {
		defer s.leases.Done()
		defer close(done)
		s.renew(slot, holder, stop)
	}()
	var once sync.Once
	return func() { once.Do(func() { s.release(slot, holder, stop, done) }) }
}

// release stops the renewal of a lease and frees its slot.
func (s *Store) release(slot int, holder string, stop, done chan struct{}) {
	close(stop)
	<-done
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `UPDATE newsbot_state_slots SET holder = NULL, expires = NULL
		WHERE slot = $1 AND holder = $2`, slot, holder); err != nil {
		// The lease expires on its own.
		s.log.Warn("shared state: could not give an answer slot back; it frees itself when its lease expires",
			"slot", slot, "err", err, "lease", s.opts.LeaseTTL.String())
	}
}

// renew extends the lease every third of its time to live until stop (or
// the Store's stop) is closed, or the lease was lost.
func (s *Store) renew(slot int, holder string, stop <-chan struct{}) {
	tick := time.NewTicker(s.opts.LeaseTTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-s.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
		tag, err := s.pool.Exec(ctx, `UPDATE newsbot_state_slots SET expires = now() + make_interval(secs => $3)
			WHERE slot = $1 AND holder = $2`, slot, holder, s.opts.LeaseTTL.Seconds())
		cancel()
		switch {
		case err != nil:
			s.log.Warn("shared state: could not renew an answer slot's lease", "slot", slot, "err", err)
		case tag.RowsAffected() == 0:
			s.log.Warn("shared state: an answer slot's lease expired before it was renewed; the slot may be reused",
				"slot", slot, "lease", s.opts.LeaseTTL.String())
			return
		}
	}
}
