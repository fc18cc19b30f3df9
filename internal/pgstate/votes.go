package pgstate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Vote is one vote on an answer.
type Vote struct {
	// MessageID is the answer's message; Voter the keyed hash standing
	// for the user. One vote counts per pair.
	MessageID, Voter string
	// Vote is "up" or "down".
	Vote             string
	Question, Answer string
	// Citations are the answer's citations, as JSON.
	Citations json.RawMessage
	Time      time.Time
}

// VoteOutcome is what RecordVote did.
type VoteOutcome int

// Outcomes of RecordVote.
const (
	VoteNew       VoteOutcome = iota // the voter's first vote on the answer
	VoteChanged                      // a different vote replaced theirs
	VoteUnchanged                    // they had voted the same; nothing changed
)

// RecordVote stores v, replacing the voter's earlier vote on the answer
// when it differs (the unique key is the answer message and the voter).
func (s *Store) RecordVote(ctx context.Context, v Vote) (VoteOutcome, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	cites := v.Citations
	if len(cites) == 0 {
		cites = json.RawMessage("[]")
	}
	var inserted bool
	err := s.pool.QueryRow(ctx, `INSERT INTO newsbot_state_votes AS v
			(message_id, voter, vote, question, answer, citations, first_voted_at, voted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT (message_id, voter) DO UPDATE
			SET vote = EXCLUDED.vote, voted_at = EXCLUDED.voted_at, changes = v.changes + 1
			WHERE v.vote <> EXCLUDED.vote
		RETURNING xmax = 0`, v.MessageID, v.Voter, v.Vote, v.Question, v.Answer, string(cites), v.Time).Scan(&inserted)
	switch {
	case isNoRows(err):
		return VoteUnchanged, nil
	case err != nil:
		return 0, fmt.Errorf("shared state: record a vote: %w", err)
	case inserted:
		return VoteNew, nil
	}
	return VoteChanged, nil
}
