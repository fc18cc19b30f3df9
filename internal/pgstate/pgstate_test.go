package pgstate

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/pgtest"
)

// open returns a Store on dsn, closed when the test ends.
func open(t *testing.T, dsn string, opts Options) *Store {
	t.Helper()
	s, err := Open(dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestTakeAcrossReplicas takes tokens of one bucket through two Stores
// (two replicas) on one server: the burst is shared, the wait is the
// time to the next token, a returned token can be taken again, and
// twenty replicas' requests at once never get more than the burst.
func TestTakeAcrossReplicas(t *testing.T) {
	pg := pgtest.Start(t)
	a, b := open(t, pg.DSN, Options{}), open(t, pg.DSN, Options{})
	ctx := ctxFor(t, 30*time.Second)
	for n, s := range []*Store{a, b, a} {
		if wait, err := s.Take(ctx, "source", "u1", 3, time.Hour); err != nil || wait != 0 {
			t.Fatalf("take %d of a burst of 3: %v, %v", n+1, wait, err)
		}
	}
	wait, err := b.Take(ctx, "source", "u1", 3, time.Hour)
	if err != nil || wait < 59*time.Minute || wait > time.Hour {
		t.Fatalf("the 4th take: wait %v, %v; want about an hour", wait, err)
	}
	if wait, err := b.Take(ctx, "source", "u2", 3, time.Hour); err != nil || wait != 0 {
		t.Errorf("another user: %v, %v", wait, err)
	}
	if wait, err := a.Take(ctx, "help", "u1", 3, time.Hour); err != nil || wait != 0 {
		t.Errorf("another class: %v, %v", wait, err)
	}
	if err := a.Return(ctx, "source", "u1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if wait, err := b.Take(ctx, "source", "u1", 3, time.Hour); err != nil || wait != 0 {
		t.Errorf("after a token was returned: %v, %v", wait, err)
	}

	t.Run("cooldown", func(t *testing.T) {
		if wait, err := a.Take(ctx, "ask", "u1", 1, 300*time.Millisecond); err != nil || wait != 0 {
			t.Fatalf("first /ask: %v, %v", wait, err)
		}
		wait, err := b.Take(ctx, "ask", "u1", 1, 300*time.Millisecond)
		if err != nil || wait <= 0 || wait > 300*time.Millisecond {
			t.Fatalf("second /ask at once, on B: %v, %v", wait, err)
		}
		time.Sleep(wait + 50*time.Millisecond)
		if wait, err := b.Take(ctx, "ask", "u1", 1, 300*time.Millisecond); err != nil || wait != 0 {
			t.Errorf("after the wait it gave: %v, %v", wait, err)
		}
	})

	t.Run("at once", func(t *testing.T) {
		var granted atomic.Int64
		var wg sync.WaitGroup
		for n := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := []*Store{a, b}[n%2]
				wait, err := s.Take(ctx, "articles", "racer", 5, time.Hour)
				if err != nil {
					t.Error(err)
				}
				if wait == 0 {
					granted.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := granted.Load(); n != 5 {
			t.Errorf("%d of 20 simultaneous takes granted, want the burst of 5", n)
		}
	})
}

// TestFirstSeenAcrossReplicas records an interaction on A: B sees it as a
// replay.
func TestFirstSeenAcrossReplicas(t *testing.T) {
	pg := pgtest.Start(t)
	a, b := open(t, pg.DSN, Options{}), open(t, pg.DSN, Options{})
	ctx := ctxFor(t, 30*time.Second)
	until := time.Now().Add(5 * time.Minute)
	if first, err := a.FirstSeen(ctx, "1170000000000000100", until); err != nil || !first {
		t.Fatalf("on A: %v, %v", first, err)
	}
	for _, s := range []*Store{b, a} {
		if first, err := s.FirstSeen(ctx, "1170000000000000100", until); err != nil || first {
			t.Errorf("again: %v, %v; want a replay", first, err)
		}
	}
	if first, err := b.FirstSeen(ctx, "1170000000000000101", until); err != nil || !first {
		t.Errorf("another interaction: %v, %v", first, err)
	}
}

// TestSlotsBoundEveryReplica has two replicas with 12 answers to give on
// a budget of 3 slots: never more than 3 at once, all of them given.
func TestSlotsBoundEveryReplica(t *testing.T) {
	pg := pgtest.Start(t)
	opts := Options{Slots: 3, PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond}
	a, b := open(t, pg.DSN, opts), open(t, pg.DSN, opts)
	ctx := ctxFor(t, 60*time.Second)
	var mu sync.Mutex
	var now, most, done int
	var wg sync.WaitGroup
	for n := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := []*Store{a, b}[n%2].AcquireSlot(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			now++
			most = max(most, now)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
			mu.Lock()
			now--
			done++
			mu.Unlock()
			release()
			release() // twice does nothing
		}()
	}
	wg.Wait()
	if most != 3 || done != 12 {
		t.Errorf("%d answers at once at most (want 3), %d of 12 given", most, done)
	}
}

// TestSlotOfACrashedReplicaComesBack takes the only slot on A and kills
// A (no release, no renewal): B gets the slot once A's lease has expired,
// not before. A lease that is renewed outlives its time to live.
func TestSlotOfACrashedReplicaComesBack(t *testing.T) {
	pg := pgtest.Start(t)
	const ttl = 600 * time.Millisecond
	opts := Options{Slots: 1, LeaseTTL: ttl, PollMin: 10 * time.Millisecond, PollMax: 50 * time.Millisecond}
	a, b := open(t, pg.DSN, opts), open(t, pg.DSN, opts)
	ctx := ctxFor(t, 30*time.Second)

	release, err := a.AcquireSlot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 3*ttl)
	_, err = b.AcquireSlot(short)
	cancel()
	if err == nil {
		t.Fatal("B took the slot A holds and renews")
	}
	release()

	if _, err := a.AcquireSlot(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	a.Close() // A crashes: its lease is neither renewed nor given back
	got, err := b.AcquireSlot(ctx)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	defer got()
	if took < ttl/2 || took > ttl+2*time.Second {
		t.Errorf("B got the crashed replica's slot after %v, want about its lease (%v)", took, ttl)
	}
}

// TestVotesAcrossReplicas records one user's votes on one answer through
// two replicas: one row, changeable, the same vote twice changing nothing.
func TestVotesAcrossReplicas(t *testing.T) {
	pg := pgtest.Start(t)
	a, b := open(t, pg.DSN, Options{}), open(t, pg.DSN, Options{})
	ctx := ctxFor(t, 30*time.Second)
	cites, _ := json.Marshal([]map[string]any{{"n": 1, "passage_id": "a#0"}})
	vote := func(s *Store, voter, v string) VoteOutcome {
		t.Helper()
		out, err := s.RecordVote(ctx, Vote{MessageID: "1170000000000000444", Voter: voter, Vote: v,
			Question: "q?", Answer: "a [1]", Citations: cites, Time: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for n, step := range []struct {
		s           *Store
		voter, vote string
		want        VoteOutcome
	}{
		{a, "h1", "up", VoteNew},
		{b, "h1", "up", VoteUnchanged},
		{b, "h1", "down", VoteChanged},
		{a, "h1", "down", VoteUnchanged},
		{a, "h2", "down", VoteNew},
	} {
		if got := vote(step.s, step.voter, step.vote); got != step.want {
			t.Errorf("step %d: %d, want %d", n, got, step.want)
		}
	}
	var rows, changes int
	var v string
	if err := a.pool.QueryRow(ctx, `SELECT count(*), max(changes), min(vote) FROM newsbot_state_votes`).Scan(&rows, &changes, &v); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || changes != 1 || v != "down" {
		t.Errorf("%d rows, %d changes at most, vote %q; want 2 rows, 1 change, down", rows, changes, v)
	}
}

// TestUserHashKeyIsShared starts four replicas at once: they all get the
// same key, and keep it.
func TestUserHashKeyIsShared(t *testing.T) {
	pg := pgtest.Start(t)
	ctx := ctxFor(t, 30*time.Second)
	keys := make([][]byte, 4)
	var wg sync.WaitGroup
	for n := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := open(t, pg.DSN, Options{}).UserHashKey(ctx)
			if err != nil {
				t.Error(err)
			}
			keys[n] = k
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("keys differ: %x", keys)
		}
	}
	if k, err := open(t, pg.DSN, Options{}).UserHashKey(ctx); err != nil || !bytes.Equal(k, keys[0]) {
		t.Errorf("a later replica: %x, %v", k, err)
	}
}

// TestServerDownAtStart opens a Store while PostgreSQL is stopped: every
// operation fails within the timeout, and works once the server is back
// (the tables are created then).
func TestServerDownAtStart(t *testing.T) {
	pg := pgtest.Start(t)
	pg.Stop(t)
	s := open(t, pg.DSN, Options{Timeout: 300 * time.Millisecond})
	ctx := ctxFor(t, 60*time.Second)
	start := time.Now()
	if _, err := s.Take(ctx, "ask", "u1", 1, time.Minute); err == nil {
		t.Fatal("Take succeeded with the server down")
	}
	if _, err := s.FirstSeen(ctx, "1", time.Now().Add(time.Minute)); err == nil {
		t.Fatal("FirstSeen succeeded with the server down")
	}
	if _, err := s.AcquireSlot(ctx); err == nil {
		t.Fatal("AcquireSlot succeeded with the server down")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("three failed operations took %v", took)
	}
	pg.Restart(t)
	if wait, err := s.Take(ctx, "ask", "u1", 1, time.Minute); err != nil || wait != 0 {
		t.Fatalf("once the server is back: %v, %v", wait, err)
	}
	release, err := s.AcquireSlot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	release()
}

// TestClaimAtOnce has sixteen replicas claim the only slot at the same
// moment: one gets it.
func TestClaimAtOnce(t *testing.T) {
	pg := pgtest.Start(t)
	a, b := open(t, pg.DSN, Options{Slots: 1}), open(t, pg.DSN, Options{Slots: 1})
	ctx := ctxFor(t, 30*time.Second)
	for round := range 5 {
		// Warm the pools, so that the claims start together.
		if _, _, err := a.claim(ctx, "warm"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.pool.Exec(ctx, `UPDATE newsbot_state_slots SET holder = NULL, expires = NULL`); err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		var won atomic.Int64
		var wg sync.WaitGroup
		for n := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, ok, err := []*Store{a, b}[n%2].claim(ctx, "racer")
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if n := won.Load(); n != 1 {
			t.Fatalf("round %d: %d of 16 simultaneous claims of the one slot won", round, n)
		}
	}
}
