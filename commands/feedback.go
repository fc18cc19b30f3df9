package commands

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/newsbot/newsbot/commands/seam"
)

// The feedback log is a JSON Lines file: one vote a line. A user who
// changes their vote on an answer adds a line; when the file is read, the
// latest line of each (message_id, user) pair is that user's vote on that
// answer, and the earlier ones are history (see latestVotes). Voting the
// same way twice adds nothing.
//
// Each line is one write, then fsync, so that a vote reported as recorded
// is on disk. A write that fails half-way (a full disk) is cut off again,
// so that the next vote doesn't land on the end of a partial line; and a
// partial last line left by a crash is removed when the log is opened. The
// log has one writer: two bot processes must not share the file.

// feedback is one line of the feedback log.
type feedback struct {
	Time      time.Time      `json:"time"`
	User      string         `json:"user"`
	Vote      string         `json:"vote"`
	Question  string         `json:"question"`
	Answer    string         `json:"answer"`
	Citations []citedPassage `json:"citations"`
	MessageID string         `json:"message_id,omitempty"`
}

// voteKey is what one vote is about: an answer (its message) and a voter
// (the keyed hash of their ID).
type voteKey struct{ message, user string }

func (fb feedback) key() voteKey { return voteKey{fb.MessageID, fb.User} }

// feedbackFile is the part of *os.File the log writes through (a seam for
// the tests of a failing disk).
type feedbackFile interface {
	io.Writer
	Stat() (os.FileInfo, error)
	Sync() error
	Truncate(size int64) error
	Close() error
}

// feedbackLog appends votes to its file, one at a time.
type feedbackLog struct {
	path string
	open func(path string) (feedbackFile, error)

	// mu serialises the appends and guards the fields below.
	mu sync.Mutex
	// votes is the latest vote of each voter on each answer.
	votes map[voteKey]string
	// unsure is set when a failed write could not be cut off: the end of
	// the file is checked before the next append.
	unsure bool
}

// openFeedbackLog opens the log at path (which need not exist yet),
// removing a partial last line; it reports how many bytes it removed.
func openFeedbackLog(path string) (*feedbackLog, int64, error) {
	l := &feedbackLog{path: path, votes: map[voteKey]string{}, open: func(path string) (feedbackFile, error) {
		return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	}}
	cut, err := repairFeedback(path)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return l, cut, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open feedback log: %w", err)
	}
	defer f.Close()
	votes, _, err := latestVotes(f)
	if err != nil {
		return nil, 0, fmt.Errorf("read feedback log: %w", err)
	}
	for _, v := range votes {
		l.votes[v.key()] = v.Vote
	}
	return l, cut, nil
}

// repairFeedback removes the bytes after the last newline of the file at
// path (a line that was never finished) and returns how many it removed. A
// file that doesn't exist needs no repair.
func repairFeedback(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open feedback log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("feedback log: %w", err)
	}
	size := st.Size()
	end := size // the end of the last complete line
	buf := make([]byte, 4096)
	for end > 0 {
		n := int64(len(buf))
		if end < n {
			n = end
		}
		if _, err := f.ReadAt(buf[:n], end-n); err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("read feedback log: %w", err)
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			end = end - n + int64(i) + 1
			break
		}
		end -= n
	}
	if end == size {
		return 0, nil
	}
	if err := f.Truncate(end); err != nil {
		return 0, fmt.Errorf("cut the partial last line of the feedback log: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("sync feedback log: %w", err)
	}
	return size - end, nil
}

// Record appends v as a line, unless the same voter already gave the
// same vote on the same answer; it implements VoteStore. The line is on
// disk when it returns nil.
func (l *feedbackLog) Record(_ context.Context, v seam.Vote) (seam.VoteOutcome, error) {
	return l.record(feedback{Time: v.Time, User: v.User, Vote: v.Vote, Question: v.Question, Answer: v.Answer,
		Citations: v.Citations, MessageID: v.MessageID})
}

// record appends fb, unless the same voter already gave the same vote on
// the same answer. The line is on disk when it returns nil.
func (l *feedbackLog) record(fb feedback) (seam.VoteOutcome, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev, voted := l.votes[fb.key()]
	if fb.MessageID != "" && voted && prev == fb.Vote {
		return seam.VoteUnchanged, nil
	}
	line, err := json.Marshal(fb)
	if err != nil {
		return 0, fmt.Errorf("encode feedback: %w", err)
	}
	if l.unsure {
		if _, err := repairFeedback(l.path); err != nil {
			return 0, err
		}
		l.unsure = false
	}
	if err := l.write(append(line, '\n')); err != nil {
		return 0, err
	}
	if fb.MessageID != "" {
		l.votes[fb.key()] = fb.Vote
	}
	if voted {
		return seam.VoteChanged, nil
	}
	return seam.VoteNew, nil
}

// write appends line at the end of the file in one write and syncs it. On
// any failure it cuts the file back to its size before, so that no partial
// line stays; when even that fails the log is marked unsure.
func (l *feedbackLog) write(line []byte) (err error) {
	f, err := l.open(l.path)
	if err != nil {
		return fmt.Errorf("open feedback log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("feedback log: %w", err)
	}
	size := st.Size()
	defer func() {
		if err != nil {
			if terr := f.Truncate(size); terr != nil {
				l.unsure = true
			}
		}
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close feedback log: %w", cerr)
		}
	}()
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("write feedback log: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync feedback log: %w", err)
	}
	return nil
}

// latestVotes reads a feedback log and returns the vote that counts for
// each answer and voter, the latest line of each (message_id, user) pair,
// in the order of those lines; lines without a message ID all count. Lines
// that aren't valid votes (from a disk that filled up before these rules)
// are skipped and counted.
func latestVotes(r io.Reader) (votes []feedback, skipped int, err error) {
	br := bufio.NewReader(r)
	var all []feedback
	last := map[voteKey]int{}
	for {
		line, rerr := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var fb feedback
			if err := json.Unmarshal(line, &fb); err != nil || fb.Vote == "" || rerr != nil {
				skipped++ // rerr: a last line without its newline was never finished
			} else {
				if fb.MessageID != "" {
					last[fb.key()] = len(all)
				}
				all = append(all, fb)
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, skipped, rerr
		}
	}
	for n, fb := range all {
		if fb.MessageID == "" || last[fb.key()] == n {
			votes = append(votes, fb)
		}
	}
	return votes, skipped, nil
}
