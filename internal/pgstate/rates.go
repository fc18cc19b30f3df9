package pgstate

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Take spends one token of the bucket (class, who), which holds burst
// tokens and gets one back every every, and returns 0; when the bucket has
// none it spends nothing and returns how long until it has one. The
// bucket is a GCRA row: one atomic INSERT ... ON CONFLICT DO UPDATE, so
// replicas taking from one bucket at once never both get its last token.
func (s *Store) Take(ctx context.Context, class, who string, burst int, every time.Duration) (time.Duration, error) {
	if burst <= 0 || every <= 0 {
		return 0, nil
	}
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	s.cleanRates(ctx)
	T := every.Seconds()
	tau := float64(burst-1) * T // how far ahead of now tat may be and still admit
	var granted bool
	var waitSecs float64
	// When refused, the wait is read from the statement's snapshot, which
	// a replica taking from the same bucket at the same moment may have
	// outdated: the refusal stands, with a wait of at least a millisecond.
	err := retryNoRows(func() error {
		return s.pool.QueryRow(ctx, `WITH up AS (
				INSERT INTO newsbot_state_rates AS r (class, who, tat)
				VALUES ($1, $2, now() + make_interval(secs => $3))
				ON CONFLICT (class, who) DO UPDATE
					SET tat = greatest(r.tat, now()) + make_interval(secs => $3)
					WHERE greatest(r.tat, now()) - now() <= make_interval(secs => $4)
				RETURNING true AS granted, 0::float8 AS wait)
			SELECT granted, wait FROM up
			UNION ALL
			SELECT false, extract(epoch FROM greatest(tat, now()) - now())::float8 - $4
			FROM newsbot_state_rates
			WHERE class = $1 AND who = $2 AND NOT EXISTS (SELECT 1 FROM up)`,
			class, who, T, tau).Scan(&granted, &waitSecs)
	})
	if err != nil {
		return 0, fmt.Errorf("shared state: take a token of %s: %w", class, err)
	}
	if granted {
		return 0, nil
	}
	return max(time.Duration(math.Ceil(waitSecs*float64(time.Second))), time.Millisecond), nil
}

// Return gives back a token Take spent from (class, who).
func (s *Store) Return(ctx context.Context, class, who string, every time.Duration) error {
	if every <= 0 {
		return nil
	}
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `UPDATE newsbot_state_rates SET tat = tat - make_interval(secs => $3)
		WHERE class = $1 AND who = $2`, class, who, every.Seconds()); err != nil {
		return fmt.Errorf("shared state: return a token of %s: %w", class, err)
	}
	return nil
}

// cleanRates deletes, now and then, the buckets that are full again (a
// missing row is a full bucket). A failure is left for the next time.
func (s *Store) cleanRates(ctx context.Context) {
	if s.due(&s.cleanedRates) {
		_, _ = s.pool.Exec(ctx, `DELETE FROM newsbot_state_rates WHERE tat < now() - interval '1 minute'`)
	}
}
