// Package pgstate keeps in PostgreSQL the state that bot replicas must
// share to be fair and correct together: the per-user rates (token
// buckets, the /ask cooldown among them), the answers generated at once
// across replicas (slot leases), the interactions already accepted over
// HTTP (replay protection) and the feedback votes, plus the key that
// stands for user IDs in all of them.
//
// Every operation is one short statement, atomic in PostgreSQL, bounded by
// Options.Timeout; the clock is the database's, so replicas whose clocks
// differ still agree. Opening a Store doesn't connect: the tables are
// created by the first operation that reaches the server, so a replica
// starts while PostgreSQL is down, and its callers fall back to their own
// state until it is back (package commands does).
//
// It knows nothing of Discord or of the bot's other packages; bot/adapt
// turns it into the interfaces package commands declares.
package pgstate

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults for the zero values of Options.
const (
	DefaultSlots    = 4
	DefaultTimeout  = time.Second
	DefaultLeaseTTL = 30 * time.Second
)

// cleanEvery is how often a Store deletes the rows that no longer mean
// anything (full buckets, interactions too old to replay).
const cleanEvery = time.Minute

// Options configure a Store. Zero values take the defaults named.
type Options struct {
	// Slots is the number of answers all the replicas may generate at
	// once (DefaultSlots); every replica should be given the same.
	Slots int
	// LeaseTTL is how long a slot stays taken without its holder renewing
	// it (DefaultLeaseTTL): a crashed replica's slots come back after it.
	// Holders renew at a third of it.
	LeaseTTL time.Duration
	// Timeout bounds each statement, connecting included (DefaultTimeout).
	Timeout time.Duration
	// PollMin and PollMax bound the wait between two attempts to take a
	// slot when none is free (20 ms, 250 ms): it doubles from PollMin.
	PollMin, PollMax time.Duration
	// Holder names this process in the slot leases (host/pid when empty),
	// for whoever reads the table.
	Holder string
	// Logger receives warnings (a lease lost); discarded when nil.
	Logger *slog.Logger
}

// Store is the shared state in one PostgreSQL database. Its methods are
// safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	opts Options
	log  *slog.Logger

	// leaseSeq numbers the leases of this Store; leases counts those whose
	// renewal runs, stop ends them (Close).
	leaseSeq atomic.Uint64
	leases   sync.WaitGroup
	stop     chan struct{}
	stopOnce sync.Once

	// mu guards schema and the times of the last clean-ups.
	mu                        sync.Mutex
	schema                    bool
	cleanedRates, cleanedSeen time.Time
}

// Open returns a Store over the database of dsn (a URL or key=value
// pairs, as pgx reads them). It doesn't connect, and fails only when the
// connection string is wrong.
func Open(dsn string, opts Options) (*Store, error) {
	if opts.Slots <= 0 {
		opts.Slots = DefaultSlots
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.PollMin <= 0 {
		opts.PollMin = 20 * time.Millisecond
	}
	if opts.PollMax < opts.PollMin {
		opts.PollMax = max(250*time.Millisecond, opts.PollMin)
	}
	if opts.Holder == "" {
		host, _ := os.Hostname()
		opts.Holder = host + "/" + strconv.Itoa(os.Getpid())
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("shared state: postgres connection string: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > opts.Timeout {
		cfg.ConnConfig.ConnectTimeout = opts.Timeout
	}
	// A slot lease holds no connection; the statements are short. A few
	// more than the slots lets renewals through while every slot is held.
	cfg.MaxConns = int32(min(opts.Slots+4, 32))
	cfg.MinConns = 0
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("shared state: %w", err)
	}
	return &Store{pool: pool, opts: opts, log: opts.Logger, stop: make(chan struct{})}, nil
}

// Close stops renewing the leases still held (they expire), waits for
// their goroutines and closes the connections.
func (s *Store) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.leases.Wait()
	s.pool.Close()
}

// schemaLock is the advisory lock that serialises the creation of the
// tables by replicas starting at once (CREATE TABLE IF NOT EXISTS races
// otherwise).
const schemaLock = 0x6e657773626f7431 // "newsbot1"

// schemaSQL creates the tables. Every name starts with newsbot_state_, so
// that the corpus's own tables in the same database are never touched.
var schemaSQL = []string{
	`SELECT pg_advisory_xact_lock(` + strconv.FormatInt(schemaLock, 10) + `)`,
	// One token bucket per class and user, as GCRA: tat is when the bucket
	// will be full again; a row whose tat has passed is a full bucket.
	`CREATE TABLE IF NOT EXISTS newsbot_state_rates (
		class text NOT NULL,
		who   text NOT NULL,
		tat   timestamptz NOT NULL,
		PRIMARY KEY (class, who))`,
	// The interactions accepted over HTTP, each until its signed
	// timestamp is too old to be accepted again.
	`CREATE TABLE IF NOT EXISTS newsbot_state_seen (
		id    text PRIMARY KEY,
		until timestamptz NOT NULL)`,
	// The answer slots: a row per slot, free when holder is NULL or its
	// lease has expired.
	`CREATE TABLE IF NOT EXISTS newsbot_state_slots (
		slot    integer PRIMARY KEY,
		holder  text,
		expires timestamptz)`,
	// One vote per answer message and voter (the keyed hash).
	`CREATE TABLE IF NOT EXISTS newsbot_state_votes (
		message_id     text NOT NULL,
		voter          text NOT NULL,
		vote           text NOT NULL,
		question       text NOT NULL DEFAULT '',
		answer         text NOT NULL DEFAULT '',
		citations      jsonb NOT NULL DEFAULT '[]',
		first_voted_at timestamptz NOT NULL,
		voted_at       timestamptz NOT NULL,
		changes        integer NOT NULL DEFAULT 0,
		PRIMARY KEY (message_id, voter))`,
	`CREATE TABLE IF NOT EXISTS newsbot_state_keys (
		name  text PRIMARY KEY,
		value bytea NOT NULL)`,
}

// ready creates the tables and the slots once per Store, on the first
// operation that reaches the server.
func (s *Store) ready(ctx context.Context) error {
	s.mu.Lock()
	done := s.schema
	s.mu.Unlock()
	if done {
		return nil
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("shared state: %w", err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // after Commit it does nothing
	for _, q := range schemaSQL {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("shared state: create tables: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO newsbot_state_slots (slot)
		SELECT generate_series(0, $1::int - 1) ON CONFLICT (slot) DO NOTHING`, s.opts.Slots); err != nil {
		return fmt.Errorf("shared state: create the answer slots: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("shared state: create tables: %w", err)
	}
	s.mu.Lock()
	s.schema = true
	s.mu.Unlock()
	return nil
}

// bounded returns ctx bounded by the statement timeout.
func (s *Store) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opts.Timeout)
}

// due reports whether a clean-up last done at *last is due, and if so
// marks it done now.
func (s *Store) due(last *time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(*last) < cleanEvery {
		return false
	}
	*last = time.Now()
	return true
}

// UserHashKey returns the key that stands for user IDs (hashed with it)
// in the shared state, the same for every replica: the first replica to
// ask creates it, at random.
func (s *Store) UserHashKey(ctx context.Context) ([]byte, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("shared state: user hash key: %w", err)
	}
	var got []byte
	// A replica creating the key at the same time commits after this
	// statement's snapshot: nothing is found, and the second try sees it.
	err := retryNoRows(func() error {
		return s.pool.QueryRow(ctx, `WITH ins AS (
				INSERT INTO newsbot_state_keys (name, value) VALUES ('user_hash', $1)
				ON CONFLICT (name) DO NOTHING RETURNING value)
			SELECT value FROM ins UNION ALL SELECT value FROM newsbot_state_keys WHERE name = 'user_hash'
			LIMIT 1`, key).Scan(&got)
	})
	if err != nil {
		return nil, fmt.Errorf("shared state: user hash key: %w", err)
	}
	if len(got) == 0 {
		return nil, errors.New("shared state: the stored user hash key is empty")
	}
	return got, nil
}

// retryNoRows runs a statement that finds no row only when a concurrent
// writer committed after its snapshot, once more in that case.
func retryNoRows(f func() error) error {
	err := f()
	if errors.Is(err, pgx.ErrNoRows) {
		err = f()
	}
	return err
}

// isNoRows reports whether err says a statement returned no row.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
