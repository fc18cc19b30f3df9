package commands

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
)

// askedAnswer asks a question and returns the answer message, for votes.
func askedAnswer(t *testing.T, e *env) *discordgo.Message {
	t.Helper()
	i := fakediscord.CommandInteraction("ask", map[string]any{"question": "Will Iran allow inspections of its military sites?"}, member)
	e.handle(i)
	m := e.response(i)
	if !answered(m) {
		t.Fatalf("no answer: %+v", m)
	}
	return m
}

// voteReply presses a vote button as user and returns the reply.
func voteReply(t *testing.T, e *env, id string, m *discordgo.Message, user fakediscord.UserSpec) string {
	t.Helper()
	v := fakediscord.ComponentInteraction(id, m, user)
	e.handle(v)
	r := e.response(v)
	if !isEphemeral(r) {
		t.Errorf("vote reply %q is public", r.Content)
	}
	return r.Content
}

// feedbackLines reads the feedback log, failing on any line that is not a
// complete vote.
func feedbackLines(t *testing.T, path string) []feedback {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("the feedback log ends in a partial line: %q", data[max(0, len(data)-80):])
	}
	var out []feedback
	for n, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if len(data) == 0 {
			break
		}
		var fb feedback
		if err := json.Unmarshal(line, &fb); err != nil || fb.Vote == "" {
			t.Fatalf("feedback line %d is not a vote (%v): %q", n+1, err, line)
		}
		out = append(out, fb)
	}
	return out
}

// TestVoteOncePerUserPerAnswer checks that a user has one vote per answer:
// the same vote again adds nothing, a different one is added and is the
// one that counts when the log is read; other users and other answers
// vote apart.
func TestVoteOncePerUserPerAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	m := askedAnswer(t, e)
	bob := fakediscord.UserSpec{Username: "bob"}
	steps := []struct {
		id    string
		user  fakediscord.UserSpec
		reply string
		lines int
	}{
		{idVoteUp, member, "Thanks for the feedback", 1},
		{idVoteUp, member, "already recorded", 1},
		{idVoteDown, member, "now 👎", 2},
		{idVoteDown, member, "already recorded", 2},
		{idVoteUp, bob, "Thanks for the feedback", 3},
	}
	for n, st := range steps {
		if got := voteReply(t, e, st.id, m, st.user); !strings.Contains(got, st.reply) {
			t.Errorf("step %d: reply %q, want %q", n, got, st.reply)
		}
		if got := len(feedbackLines(t, e.router.cfg.FeedbackLog)); got != st.lines {
			t.Errorf("step %d: %d lines in the log, want %d", n, got, st.lines)
		}
	}
	f, err := os.Open(e.router.cfg.FeedbackLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	votes, skipped, err := latestVotes(f)
	if err != nil || skipped != 0 || len(votes) != 2 || votes[0].Vote != "down" || votes[1].Vote != "up" || votes[0].User == votes[1].User {
		t.Errorf("latest votes %+v (skipped %d, %v), want the member's 👎 and bob's 👍", votes, skipped, err)
	}

	// After a restart the log still knows the votes (with the same user
	// hash key).
	again, err := New(e.router.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.router = again
	if got := voteReply(t, e, idVoteDown, m, member); !strings.Contains(got, "already recorded") {
		t.Errorf("after a restart: %q", got)
	}
}

// TestFeedbackLogRepairedAtStart starts a router on a log whose last line
// was cut short (the disk filled up, or the process died): the partial
// line is removed, the operator told, and the next vote is a line of its
// own.
func TestFeedbackLogRepairedAtStart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "feedback.jsonl")
	good := `{"time":"2024-01-02T03:04:05Z","user":"u1","vote":"up","question":"q","answer":"a","citations":[],"message_id":"m1"}` + "\n"
	if err := os.WriteFile(path, []byte(good+good+`{"time":"2024-01-02T03:04:06Z","user":"u2","vo`), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{config: func(c *Config) { c.FeedbackLog = path }})
	if got := readAll(t, path); got != good+good {
		t.Fatalf("after the start the log is %q, want the two complete lines", got)
	}
	if !strings.Contains(e.log.String(), "removed a partial last line") {
		t.Errorf("the operator isn't told: %s", e.log.String())
	}
	m := askedAnswer(t, e)
	voteReply(t, e, idVoteUp, m, member)
	if n := len(feedbackLines(t, path)); n != 3 {
		t.Errorf("%d lines, want 3", n)
	}

	// A log that is only a partial line becomes empty.
	only := filepath.Join(t.TempDir(), "feedback.jsonl")
	if err := os.WriteFile(only, []byte(`{"time":`), 0o644); err != nil {
		t.Fatal(err)
	}
	if cut, err := repairFeedback(only); err != nil || cut != 8 || readAll(t, only) != "" {
		t.Errorf("repair = %d, %v; log %q", cut, err, readAll(t, only))
	}
}

// TestVoteOnFullDisk votes on a small tmpfs that fills up in the middle of
// the vote's line: the voter is told the vote wasn't recorded (not that
// an index was left alone), the log holds only complete lines, and once
// there is room again the next vote is recorded on a line of its own.
// Needs root to mount; skipped otherwise (TestVoteWriteFailsMidLine runs
// the same case everywhere, with a writer that fails).
func TestVoteOnFullDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).Run(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v)", err)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	path := filepath.Join(dir, "feedback.jsonl")
	// An earlier vote, long enough that the file ends 300 bytes short of
	// a page: the next line fills that and then finds no room.
	earlier := feedback{Time: time.Now().UTC(), User: "u0", Vote: "up", MessageID: "m0", Citations: []citedPassage{}}
	line, _ := json.Marshal(earlier)
	earlier.Question = strings.Repeat("q", 4096-300-len(line)-1)
	line, _ = json.Marshal(earlier)
	if err := os.WriteFile(path, append(line, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{config: func(c *Config) { c.FeedbackLog = path }})
	m := askedAnswer(t, e)
	filler := filepath.Join(dir, "filler")
	fillDisk(t, filler)

	got := voteReply(t, e, idVoteUp, m, member)
	if !strings.Contains(got, "I couldn't record your vote") || !strings.Contains(got, "disk is full") || strings.Contains(got, "index") {
		t.Errorf("reply = %q, want that the vote wasn't recorded for a full disk", got)
	}
	if lines := feedbackLines(t, path); len(lines) != 1 {
		t.Errorf("%d votes in the log, want only the earlier one", len(lines))
	}
	if !strings.Contains(e.log.String(), "no space left on device") {
		t.Errorf("the log doesn't name the full disk:\n%s", e.log.String())
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if got := voteReply(t, e, idVoteUp, m, member); !strings.Contains(got, "Thanks") {
		t.Errorf("with room again: %q", got)
	}
	if lines := feedbackLines(t, path); len(lines) != 2 || lines[1].MessageID != m.ID {
		t.Errorf("votes %+v, want the earlier one and this one", lines)
	}
}

// fillDisk writes path until the file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte("x"), 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// failingFile writes half of what it is given, then fails as a full disk
// does; its Truncate fails when truncateErr is set.
type failingFile struct {
	*os.File
	truncateErr error
}

func (f failingFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p[:len(p)/2])
	if err != nil {
		return n, err
	}
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

func (f failingFile) Truncate(size int64) error {
	if f.truncateErr != nil {
		return f.truncateErr
	}
	return f.File.Truncate(size)
}

// TestVoteWriteFailsMidLine is TestVoteOnFullDisk with a writer that
// fails half-way through the line, and then with one whose cut-off fails
// too: the partial line is removed before the next vote is written.
func TestVoteWriteFailsMidLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	m := askedAnswer(t, e)
	path := e.router.cfg.FeedbackLog
	voteReply(t, e, idVoteUp, m, fakediscord.UserSpec{Username: "first"})

	for k, truncateErr := range []error{nil, errors.New("read-only file system")} {
		user := fakediscord.UserSpec{Username: fmt.Sprintf("voter%d", k)}
		before := len(feedbackLines(t, path))
		fl := e.router.feedback
		fl.open = func(path string) (feedbackFile, error) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				return nil, err
			}
			return failingFile{File: f, truncateErr: truncateErr}, nil
		}
		if got := voteReply(t, e, idVoteDown, m, user); !strings.Contains(got, "I couldn't record your vote") {
			t.Errorf("reply = %q", got)
		}
		if truncateErr == nil {
			if n := len(feedbackLines(t, path)); n != before {
				t.Errorf("%d lines after the failed vote, want %d", n, before)
			}
		}
		fl.open = func(path string) (feedbackFile, error) {
			return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		}
		if got := voteReply(t, e, idVoteDown, m, user); !strings.Contains(got, "Thanks for the feedback") {
			t.Errorf("the next vote: %q", got)
		}
		if n := len(feedbackLines(t, path)); n != before+1 {
			t.Errorf("%d lines, want %d", n, before+1)
		}
	}
}
