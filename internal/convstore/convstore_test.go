package convstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/pgtest"
)

// store is what both stores offer.
type store interface {
	Turns(ctx context.Context, key string) ([]Turn, error)
	Append(ctx context.Context, key string, max int, turns ...Turn) error
	Close()
}

// clock is a manual clock for the stores' TTL.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// stores opens a file store and a PostgreSQL store (the latter skipped
// where PostgreSQL isn't installed) on clk, with a TTL of an hour.
func stores(t *testing.T, clk *clock) map[string]store {
	t.Helper()
	opts := Options{TTL: time.Hour, Now: clk.Now}
	f, err := OpenFiles(filepath.Join(t.TempDir(), "conversations"), opts)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store{"files": f}
	if !testing.Short() {
		srv := pgtest.Start(t)
		p, err := OpenPostgres(context.Background(), srv.DSN, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		out["postgres"] = p
	}
	return out
}

func questions(ts []Turn) string {
	var qs []string
	for _, t := range ts {
		qs = append(qs, t.Question)
	}
	return strings.Join(qs, ",")
}

// TestStores runs the contract of Conversations against each store:
// turns kept in order, the last max only, forgotten when idle past the
// TTL, keys checked, turns clipped, and no turn lost to concurrent
// Appends.
func TestStores(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	for name, s := range stores(t, clk) {
		t.Run(name, func(t *testing.T) {
			if ts, err := s.Turns(ctx, "1001"); err != nil || len(ts) != 0 {
				t.Fatalf("unknown conversation: %v, %v", ts, err)
			}
			first := Turn{Question: "q1", Answer: "a1", Query: "q1 terms", Passages: []string{"bbc/business/010#1"}, Articles: []string{"bbc/business/010"}}
			if err := s.Append(ctx, "1001", 3, first); err != nil {
				t.Fatal(err)
			}
			ts, err := s.Turns(ctx, "1001")
			if err != nil || len(ts) != 1 || ts[0].Query != "q1 terms" || ts[0].Articles[0] != "bbc/business/010" || ts[0].Passages[0] != "bbc/business/010#1" {
				t.Fatalf("after one turn: %+v, %v", ts, err)
			}
			for _, q := range []string{"q2", "q3"} {
				if err := s.Append(ctx, "1001", 3, Turn{Question: q}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Append(ctx, "1001", 3, Turn{Question: "q4"}, Turn{Question: "q5"}); err != nil {
				t.Fatal(err)
			}
			if ts, _ := s.Turns(ctx, "1001"); questions(ts) != "q3,q4,q5" {
				t.Errorf("kept %q, want the last 3 in order", questions(ts))
			}

			// Idle past the TTL: forgotten, and a new turn starts afresh.
			clk.advance(59 * time.Minute)
			if ts, _ := s.Turns(ctx, "1001"); len(ts) != 3 {
				t.Errorf("forgotten before the TTL: %v", questions(ts))
			}
			clk.advance(2 * time.Minute)
			if ts, _ := s.Turns(ctx, "1001"); len(ts) != 0 {
				t.Errorf("kept past the TTL: %v", questions(ts))
			}
			if err := s.Append(ctx, "1001", 3, Turn{Question: "fresh"}); err != nil {
				t.Fatal(err)
			}
			if ts, _ := s.Turns(ctx, "1001"); questions(ts) != "fresh" {
				t.Errorf("after expiry: %q, want only the new turn", questions(ts))
			}

			for _, key := range []string{"", "../../etc/passwd", "a/b", strings.Repeat("9", 65), "key with space"} {
				if err := s.Append(ctx, key, 3, first); !errors.Is(err, ErrBadKey) {
					t.Errorf("Append(%q): %v, want ErrBadKey", key, err)
				}
				if _, err := s.Turns(ctx, key); !errors.Is(err, ErrBadKey) {
					t.Errorf("Turns(%q): %v, want ErrBadKey", key, err)
				}
			}

			huge := Turn{Question: strings.Repeat("q", 5000), Answer: strings.Repeat("é", 10000) + "\xff", Passages: make([]string, 200)}
			for i := range huge.Passages {
				huge.Passages[i] = fmt.Sprintf("p%d", i)
			}
			if err := s.Append(ctx, "1002", 3, huge); err != nil {
				t.Fatal(err)
			}
			ts, _ = s.Turns(ctx, "1002")
			if len(ts) != 1 || len(ts[0].Question) > maxQuestionBytes || len(ts[0].Answer) > maxAnswerBytes || len(ts[0].Passages) != maxIDs || strings.Contains(ts[0].Answer, "\xff") {
				t.Errorf("a huge turn is kept unclipped: %d, %d bytes, %d passages", len(ts[0].Question), len(ts[0].Answer), len(ts[0].Passages))
			}

			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- s.Append(ctx, "1003", 50, Turn{Question: fmt.Sprint(i)})
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if ts, _ := s.Turns(ctx, "1003"); len(ts) != 20 {
				t.Errorf("concurrent Appends kept %d turns, want 20", len(ts))
			}
		})
	}
}

// TestFilesSweepsExpired: the files of expired conversations are deleted
// by a later Append, and a damaged file is replaced.
func TestFilesSweepsExpired(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	f, err := OpenFiles(dir, Options{TTL: time.Hour, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Append(ctx, "old", 3, Turn{Question: "q"}); err != nil {
		t.Fatal(err)
	}
	clk.advance(2 * time.Hour)
	if err := f.Append(ctx, "new", 3, Turn{Question: "q"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "old.json")); !os.IsNotExist(err) {
		t.Errorf("the expired conversation's file is still there: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Turns(ctx, "new"); err == nil {
		t.Error("a damaged file reads without an error")
	}
	if err := f.Append(ctx, "new", 3, Turn{Question: "again"}); err != nil {
		t.Fatal(err)
	}
	if ts, err := f.Turns(ctx, "new"); err != nil || questions(ts) != "again" {
		t.Errorf("after replacing a damaged file: %v, %v", ts, err)
	}
}

// TestPostgresSweepsExpired: expired rows are deleted by a later Append.
func TestPostgresSweepsExpired(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	ctx := context.Background()
	clk := &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	srv := pgtest.Start(t)
	p, err := OpenPostgres(ctx, srv.DSN, Options{TTL: time.Hour, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// A second store on the same table: the schema is created once.
	p2, err := OpenPostgres(ctx, srv.DSN, Options{TTL: time.Hour, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if err := p.Append(ctx, "old", 3, Turn{Question: "q"}); err != nil {
		t.Fatal(err)
	}
	if ts, err := p2.Turns(ctx, "old"); err != nil || len(ts) != 1 {
		t.Fatalf("another replica doesn't see the turn: %v, %v", ts, err)
	}
	clk.advance(2 * time.Hour)
	if err := p.Append(ctx, "new", 3, Turn{Question: "q"}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := p.pool.QueryRow(ctx, "SELECT count(*) FROM newsbot_conversations").Scan(&n); err != nil || n != 1 {
		t.Errorf("%d rows (%v), want the expired one deleted", n, err)
	}
	if _, err := OpenPostgres(ctx, "postgres://u:secret@[bad", Options{}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("a bad connection string: %v", err)
	}
}
