package adapt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/pgstate"
)

// Shared is the state replicas share in PostgreSQL as the commands
// Limiter, ReplayGuard, VoteStore and ModelSlots.
type Shared struct {
	Store *pgstate.Store
}

// Take implements commands.Limiter.
func (s Shared) Take(ctx context.Context, b seam.Bucket) (time.Duration, error) {
	return s.Store.Take(ctx, b.Class, b.User, b.Burst, b.Every)
}

// Return implements commands.Limiter.
func (s Shared) Return(ctx context.Context, b seam.Bucket) error {
	return s.Store.Return(ctx, b.Class, b.User, b.Every)
}

// First implements commands.ReplayGuard.
func (s Shared) First(ctx context.Context, id string, until time.Time) (bool, error) {
	return s.Store.FirstSeen(ctx, id, until)
}

// Acquire implements commands.ModelSlots.
func (s Shared) Acquire(ctx context.Context) (func(), error) {
	return s.Store.AcquireSlot(ctx)
}

// Record implements commands.VoteStore.
func (s Shared) Record(ctx context.Context, v seam.Vote) (seam.VoteOutcome, error) {
	cites, err := json.Marshal(v.Citations)
	if err != nil {
		return 0, fmt.Errorf("encode the citations of a vote: %w", err)
	}
	out, err := s.Store.RecordVote(ctx, pgstate.Vote{MessageID: v.MessageID, Voter: v.User, Vote: v.Vote,
		Question: v.Question, Answer: v.Answer, Citations: cites, Time: v.Time})
	if err != nil {
		return 0, err
	}
	switch out {
	case pgstate.VoteChanged:
		return seam.VoteChanged, nil
	case pgstate.VoteUnchanged:
		return seam.VoteUnchanged, nil
	}
	return seam.VoteNew, nil
}
