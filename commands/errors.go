package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/newsbot/newsbot/commands/seam"
)

// userError is a refusal written for the user: a question too long, a
// command used without permission. Handlers return it like any error;
// userText shows its message as it is and it is not logged as a failure.
type userError struct{ msg string }

func (e *userError) Error() string { return e.msg }

func userErrorf(format string, args ...any) error {
	return &userError{msg: fmt.Sprintf(format, args...)}
}

// shownError is a failure with words of its own for the user: unlike a
// userError it is logged as a failure, with its cause; userText shows msg.
type shownError struct {
	msg string
	err error
}

func (e *shownError) Error() string { return e.err.Error() }
func (e *shownError) Unwrap() error { return e.err }

// voteFailed is the error of a vote that could not be recorded: the voter
// is told so, not that an index was left alone.
func voteFailed(err error) error {
	msg := "I couldn't record your vote, sorry. Please try again in a little while."
	if errors.Is(err, syscall.ENOSPC) {
		msg = "I couldn't record your vote: the bot's disk is full. Please tell the bot's operator."
	}
	return &shownError{msg: msg, err: fmt.Errorf("record vote: %w", err)}
}

// genericFailure is what users see for errors that mean nothing to them;
// the operator finds the cause in the log.
const genericFailure = "Something went wrong on my side, sorry. The operator has the details; try again in a little while."

// userText is the one place that turns an error into what a user reads. It
// never shows a Go error string: only messages written for users
// (userError, seam.FetchError) pass through, and known causes get a
// sentence of their own. supported names the file types /ingest accepts.
func userText(err error, supported string) string {
	var ue *userError
	if errors.As(err, &ue) {
		return ue.msg
	}
	var se *shownError
	if errors.As(err, &se) {
		return se.msg
	}
	var fe *seam.FetchError
	if errors.As(err, &fe) {
		// The message quotes the address the user gave, and what the
		// server sent.
		return "I couldn't fetch that page: " + neutralise(strings.TrimRight(fe.Message, ". ")) + "."
	}
	var rj *seam.Rejection
	if errors.As(err, &rj) {
		return rejectionText(rj, supported)
	}
	var sf *seam.SharesFileError
	if errors.As(err, &sf) {
		return fmt.Sprintf("That article's file, `%s`, holds %d articles, and files are removed whole here: /remove `%s` removes all of them.",
			strings.ReplaceAll(clip(sf.Path, 200), "`", "'"), sf.Articles, strings.ReplaceAll(clip(sf.Path, 200), "`", "'"))
	}
	switch {
	case errors.Is(err, seam.ErrReindexRunning):
		return "A reindex is already running. Questions are still answered meanwhile; try again when it has finished."
	case errors.Is(err, seam.ErrReadOnly):
		return "I can't change the articles right now: my database is unreachable. Questions are still answered; try again in a few minutes."
	case errors.Is(err, seam.ErrNoSuchArticle):
		return "No article has that ID or file; /articles lists them."
	case errors.Is(err, seam.ErrEmptyCorpus):
		return "The corpus folder holds no articles, so the index was left as it was."
	case errors.Is(err, syscall.ENOSPC):
		return "The bot's disk is full, so nothing was saved and the index was left as it was. Please tell the bot's operator."
	case errors.Is(err, context.DeadlineExceeded):
		return "That took too long and was stopped. Try again in a little while."
	case errors.Is(err, context.Canceled):
		return "The bot is restarting and this was stopped; try again shortly."
	}
	return genericFailure
}

// rejectionText says why /ingest refused a file.
func rejectionText(rj *seam.Rejection, supported string) string {
	switch rj.Reason {
	case seam.Empty:
		return "That file is empty, so nothing was saved."
	case seam.Binary:
		return "That file doesn't look like text (it may be binary with a text extension), so nothing was saved."
	case seam.TooLarge:
		return "That file is too large to index, so nothing was saved."
	case seam.InvalidJSON:
		where := ""
		if rj.Line > 0 {
			where = fmt.Sprintf(" (the first problem is on line %d)", rj.Line)
		}
		return "That file is not valid JSON" + where + ", so nothing was saved."
	case seam.Unsupported:
		return "I can only add " + supported + " files."
	case seam.NoText:
		return "I found no article text in that file, so nothing was saved."
	case seam.NameTaken:
		return fmt.Sprintf("Too many files are already called %s; rename the file and try again.", neutralise(rj.Name))
	case seam.OverLimit:
		if rj.Limit == "" {
			return "That file is over one of the bot's limits, so nothing was saved."
		}
		return "That file is over the bot's limit of " + rj.Limit + ", so nothing was saved."
	}
	return genericFailure
}

// listWords names items in prose: "a, b and c".
func listWords(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
