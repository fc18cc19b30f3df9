// Package convstore keeps the bot's conversations: the turns of follow-up
// questions (each a question, its answer, the query retrieval was asked
// and the passages cited), by key, forgotten once idle past a time to
// live. Files keeps them in a folder of the data folder, for one process;
// Postgres keeps them in a table of their own (newsbot_conversations), for
// replicas sharing one database. Both bound what they keep: the last turns
// of a conversation, each turn's text and lists clipped.
//
// It knows nothing of Discord: a key is an opaque name (a thread's ID).
package convstore

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Turn is one question of a conversation and its answer.
type Turn struct {
	Question string   `json:"question"`
	Answer   string   `json:"answer"`
	Query    string   `json:"query,omitempty"`
	Passages []string `json:"passages,omitempty"`
	Articles []string `json:"articles,omitempty"`
}

// Options tune a store. Zero values take the defaults.
type Options struct {
	// TTL is how long a conversation is kept after its last turn
	// (DefaultTTL).
	TTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// DefaultTTL is how long an idle conversation is kept: a day, as long as
// Discord keeps a thread open by default.
const DefaultTTL = 24 * time.Hour

func (o Options) withDefaults() Options {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Caps on what one turn keeps.
const (
	maxQuestionBytes = 2000
	maxAnswerBytes   = 8000
	maxQueryBytes    = 2000
	maxIDs           = 50
	maxIDBytes       = 256
	// maxTurns bounds a conversation whatever Append is asked to keep.
	maxTurns = 50
)

// sweepEvery is how often a store deletes the conversations that have
// expired (on an Append).
const sweepEvery = 10 * time.Minute

// ErrBadKey is returned for a key that is empty, longer than 64 bytes or
// holds anything but letters, digits, '-' and '_'.
var ErrBadKey = errors.New("convstore: bad conversation key")

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func checkKey(key string) error {
	if !keyPattern.MatchString(key) {
		return fmt.Errorf("%w %q", ErrBadKey, key)
	}
	return nil
}

// clipped is t within the caps on one turn.
func clipped(t Turn) Turn {
	t.Question = clipBytes(t.Question, maxQuestionBytes)
	t.Answer = clipBytes(t.Answer, maxAnswerBytes)
	t.Query = clipBytes(t.Query, maxQueryBytes)
	t.Passages = clipIDs(t.Passages)
	t.Articles = clipIDs(t.Articles)
	return t
}

func clipIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		if len(out) == maxIDs {
			break
		}
		if id != "" && len(id) <= maxIDBytes {
			out = append(out, id)
		}
	}
	return out
}

// clipBytes cuts s to at most n bytes at a rune boundary, and makes it
// valid UTF-8.
func clipBytes(s string, n int) string {
	s = toValid(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func toValid(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// bound is how many turns a conversation asked to keep n keeps: at
// least one, at most maxTurns.
func bound(n int) int { return min(maxTurns, max(n, 1)) }

// keep is the turns of a conversation after adding add to old: the last
// max of them (at least one, at most maxTurns), each clipped.
func keep(old, add []Turn, max int) []Turn {
	max = bound(max)
	all := make([]Turn, 0, len(old)+len(add))
	all = append(all, old...)
	for _, t := range add {
		all = append(all, clipped(t))
	}
	if len(all) > max {
		all = all[len(all)-max:]
	}
	return all
}
