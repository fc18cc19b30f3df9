package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/newsbot/newsbot/answer"
)

// A multi-turn question file holds one conversation a line:
// {"id", "turns": [{"question", "answers", "relevant"}, ...]}, each turn
// scored like a question of a single-turn file, after the turns before it
// as the bot answered them (see testdata/eval/README.md).

// evalConversation is one line of a multi-turn question file.
type evalConversation struct {
	ID    string         `json:"id"`
	Turns []evalQuestion `json:"turns"`
}

// readQuestionFile reads a question file of either format: questions, or
// conversations when its first entry has "turns".
func readQuestionFile(path string) ([]evalQuestion, []evalConversation, error) {
	multi, err := isMultiTurn(path)
	if err != nil {
		return nil, nil, err
	}
	if !multi {
		qs, err := readQuestions(path)
		return qs, nil, err
	}
	convs, err := readConversations(path)
	return nil, convs, err
}

// isMultiTurn reports whether the first entry of a question file is a
// conversation.
func isMultiTurn(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("questions: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var probe map[string]json.RawMessage
		if json.Unmarshal([]byte(text), &probe) != nil {
			return false, nil // readQuestions names the line
		}
		_, ok := probe["turns"]
		return ok, nil
	}
	return false, sc.Err()
}

// readConversations parses a multi-turn question file, naming the line of
// any malformed entry.
func readConversations(path string) ([]evalConversation, error) {
	return readJSONLines(path, "conversation", func(line int, c *evalConversation) error {
		if len(c.Turns) == 0 {
			return errors.New("conversation has no turns")
		}
		if c.ID == "" {
			c.ID = fmt.Sprintf("line%d", line)
		}
		for k := range c.Turns {
			t := &c.Turns[k]
			if strings.TrimSpace(t.Question) == "" {
				return fmt.Errorf("turn %d: question is empty", k+1)
			}
			if t.ID == "" {
				t.ID = fmt.Sprintf("%s#%d", c.ID, k+1)
			}
		}
		return nil
	})
}

// evalTurnsMetrics is what `bot eval -json` prints for a multi-turn file:
// the metrics over every turn, over the follow-ups (turns 2 on), and for
// each turn number.
type evalTurnsMetrics struct {
	Conversations int           `json:"conversations"`
	All           evalMetrics   `json:"all"`
	FollowUps     evalMetrics   `json:"follow_ups"`
	Turns         []evalMetrics `json:"turns"`
}

// evalConversations scores every turn of every conversation. A turn comes
// after the earlier turns as the bot answered them: their questions, the
// bot's answers, the queries it searched and the articles it cited.
func (c *cli) evalConversations(ctx context.Context, sc *scorer, convs []evalConversation, base evalMetrics, asJSON, verbose bool) error {
	all, follow := &tally{}, &tally{}
	var byTurn []*tally
	for _, conv := range convs {
		var history []answer.Turn
		for k, q := range conv.Turns {
			if err := ctx.Err(); err != nil {
				return err
			}
			if k == len(byTurn) {
				byTurn = append(byTurn, &tally{})
			}
			ts := []*tally{all, byTurn[k]}
			if k > 0 {
				ts = append(ts, follow)
			}
			res, err := sc.score(ctx, q, history, ts...)
			if err != nil {
				return err
			}
			history = append(history, turnOf(res))
		}
	}
	out := evalTurnsMetrics{Conversations: len(convs), All: all.metrics(base), FollowUps: follow.metrics(base)}
	for _, t := range byTurn {
		out.Turns = append(out.Turns, t.metrics(base))
	}
	if verbose {
		for _, f := range all.failures {
			fmt.Fprintln(c.stderr, f)
		}
	}
	if asJSON {
		return json.NewEncoder(c.stdout).Encode(out)
	}
	fmt.Fprintf(c.stdout, "conversations     %d\n", out.Conversations)
	printMetrics(c.stdout, out.All, len(all.failures))
	fmt.Fprintln(c.stdout)
	printTurns(c.stdout, out)
	return nil
}

// turnOf is an answered question as the next turn's history.
func turnOf(res answer.Result) answer.Turn {
	t := answer.Turn{Question: res.Question, Answer: res.Text, Query: res.Query}
	for _, c := range res.Citations {
		if !slices.Contains(t.Articles, c.ArticleID) {
			t.Articles = append(t.Articles, c.ArticleID)
		}
	}
	return t
}

// printTurns prints the figures of each turn number, then of the
// follow-ups together.
func printTurns(w io.Writer, m evalTurnsMetrics) {
	fmt.Fprintf(w, "%-10s %9s %9s %8s %10s %10s %8s\n", "turn", "questions", "recall@5", "mrr@10", "answer_hit", "context_hit", "decline")
	row := func(name string, t evalMetrics) {
		fmt.Fprintf(w, "%-10s %9d %9.3f %8.3f %10.3f %10.3f %8.3f\n", name, t.Questions, t.RecallAt5, t.MRRAt10, t.AnswerHit, t.ContextHit, t.DeclineAccuracy)
	}
	for k, t := range m.Turns {
		row(fmt.Sprint(k+1), t)
	}
	row("follow-ups", m.FollowUps)
}
