package pgstate

import (
	"context"
	"fmt"
	"time"
)

// FirstSeen records that the interaction id was accepted, remembering it
// until the time given, and reports whether no replica had recorded it
// before (INSERT ... ON CONFLICT DO NOTHING on its ID).
func (s *Store) FirstSeen(ctx context.Context, id string, until time.Time) (bool, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return false, err
	}
	if s.due(&s.cleanedSeen) {
		_, _ = s.pool.Exec(ctx, `DELETE FROM newsbot_state_seen WHERE until < now()`)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO newsbot_state_seen (id, until) VALUES ($1, $2)
		ON CONFLICT (id) DO NOTHING`, id, until)
	if err != nil {
		return false, fmt.Errorf("shared state: record interaction %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}
