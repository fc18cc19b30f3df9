package convstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres keeps conversations in PostgreSQL, in a table of their own,
// newsbot_conversations (key, turns as JSON, updated), so that every
// replica of the bot continues every conversation. An Append is one
// statement, atomic whichever replica runs it. It is safe for concurrent
// use.
type Postgres struct {
	pool *pgxpool.Pool
	opt  Options

	// schemaMu guards schemaOK: whether the table is known to exist.
	schemaMu sync.Mutex
	schemaOK bool

	// mu guards lastSweep.
	mu        sync.Mutex
	lastSweep time.Time
}

// connectTimeout bounds connecting and creating the table.
const connectTimeout = 15 * time.Second

// OpenPostgres connects to the database dsn (a URL or key=value pairs, as
// pgx takes them) and creates the table when it is missing.
func OpenPostgres(ctx context.Context, dsn string, opts Options) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the connection string: keep it out.
		return nil, errors.New("conversations: the PostgreSQL connection string doesn't parse")
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("conversations: postgres: %w", err)
	}
	p := &Postgres{pool: pool, opt: opts.withDefaults()}
	// The table is made on first use when PostgreSQL can't be reached now:
	// a replica starting during an outage serves without conversations
	// until it comes back, instead of not starting.
	_ = p.ensureSchema(ctx)
	return p, nil
}

// ensureSchema creates the table once, and tries again on the next call
// after a failure.
func (p *Postgres) ensureSchema(ctx context.Context) error {
	p.schemaMu.Lock()
	defer p.schemaMu.Unlock()
	if p.schemaOK {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS newsbot_conversations (
			key text PRIMARY KEY,
			turns jsonb NOT NULL,
			updated timestamptz NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS newsbot_conversations_updated ON newsbot_conversations (updated)`,
	} {
		if _, err := p.pool.Exec(ctx, q); err != nil {
			return fmt.Errorf("conversations: postgres: create table: %w", err)
		}
	}
	p.schemaOK = true
	return nil
}

// Turns returns a conversation's turns, oldest first: none when it is
// unknown or has expired.
func (p *Postgres) Turns(ctx context.Context, key string) ([]Turn, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := p.ensureSchema(ctx); err != nil {
		return nil, err
	}
	var raw []byte
	err := p.pool.QueryRow(ctx, `SELECT turns FROM newsbot_conversations WHERE key = $1 AND updated > $2`,
		key, p.opt.Now().Add(-p.opt.TTL)).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("conversation %s: postgres: %w", key, err)
	}
	var turns []Turn
	if err := json.Unmarshal(raw, &turns); err != nil {
		return nil, fmt.Errorf("conversation %s: %w", key, err)
	}
	return turns, nil
}

// appendSQL adds the new turns to a conversation's unexpired ones and
// keeps the last $5, in one statement: concurrent Appends to one key
// queue on its row, and none is lost.
const appendSQL = `
INSERT INTO newsbot_conversations AS c (key, turns, updated) VALUES ($1, $2::jsonb, $3)
ON CONFLICT (key) DO UPDATE SET
	turns = (
		SELECT COALESCE(jsonb_agg(s.t ORDER BY s.n), '[]'::jsonb) FROM (
			SELECT a.t, a.n FROM jsonb_array_elements(
				CASE WHEN c.updated > $4 THEN c.turns ELSE '[]'::jsonb END || excluded.turns
			) WITH ORDINALITY AS a(t, n)
			ORDER BY a.n DESC LIMIT $5
		) s),
	updated = excluded.updated`

// Append adds turns to a conversation (starting it), keeps its last max
// turns, and restarts its idle time. Now and then it deletes the expired
// conversations.
func (p *Postgres) Append(ctx context.Context, key string, max int, turns ...Turn) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := p.ensureSchema(ctx); err != nil {
		return err
	}
	kept := keep(nil, turns, max)
	data, err := json.Marshal(kept)
	if err != nil {
		return fmt.Errorf("conversation %s: %w", key, err)
	}
	now := p.opt.Now()
	if _, err := p.pool.Exec(ctx, appendSQL, key, string(data), now, now.Add(-p.opt.TTL), bound(max)); err != nil {
		return fmt.Errorf("conversation %s: postgres: %w", key, err)
	}
	p.mu.Lock()
	sweep := now.Sub(p.lastSweep) >= sweepEvery
	if sweep {
		p.lastSweep = now
	}
	p.mu.Unlock()
	if sweep {
		if _, err := p.pool.Exec(ctx, `DELETE FROM newsbot_conversations WHERE updated <= $1`, now.Add(-p.opt.TTL)); err != nil {
			return fmt.Errorf("conversations: postgres: delete the expired: %w", err)
		}
	}
	return nil
}

// Close closes the connections.
func (p *Postgres) Close() { p.pool.Close() }
