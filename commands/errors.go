package commands

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"syscall"

	"github.com/newsbot/newsbot/internal/fetch"
	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/article"
)

// userError is a refusal written for the user: a question too long, a
// command used without permission. Handlers return it like any error;
// userText shows its message as it is and it is not logged as a failure.
type userError struct{ msg string }

func (e *userError) Error() string { return e.msg }

func userErrorf(format string, args ...any) error {
	return &userError{msg: fmt.Sprintf(format, args...)}
}

// genericFailure is what users see for errors that mean nothing to them;
// the operator finds the cause in the log.
const genericFailure = "Something went wrong on my side, sorry. The operator has the details; try again in a little while."

// jsonLine finds the line number in article's invalid-JSON messages.
var jsonLine = regexp.MustCompile(`at line (\d+)`)

// userText is the one place that turns an error into what a user reads. It
// never shows a Go error string: only messages written for users
// (userError, fetch.Error) pass through, and known causes get a sentence of
// their own.
func userText(err error) string {
	var ue *userError
	if errors.As(err, &ue) {
		return ue.msg
	}
	var fe *fetch.Error
	if errors.As(err, &fe) {
		return "I couldn't fetch that page: " + strings.TrimRight(fe.Message, ". ") + "."
	}
	switch {
	case errors.Is(err, retrieval.ErrReindexRunning):
		return "A reindex is already running. Questions are still answered meanwhile; try again when it has finished."
	case errors.Is(err, retrieval.ErrEmptyCorpus):
		return "The corpus folder holds no articles, so the index was left as it was."
	case errors.Is(err, article.ErrEmpty):
		return "That file is empty, so nothing was saved."
	case errors.Is(err, article.ErrBinary):
		return "That file doesn't look like text (it may be binary with a text extension), so nothing was saved."
	case errors.Is(err, article.ErrTooLarge):
		return "That file is too large to index, so nothing was saved."
	case errors.Is(err, article.ErrInvalidJSON):
		where := ""
		if m := jsonLine.FindStringSubmatch(err.Error()); m != nil {
			where = " (the first problem is on line " + m[1] + ")"
		}
		return "That file is not valid JSON" + where + ", so nothing was saved."
	case errors.Is(err, article.ErrUnsupported):
		return "I can only add " + supportedList + " files."
	case errors.Is(err, article.ErrNoText):
		return "I found no article text in that file, so nothing was saved."
	case errors.Is(err, syscall.ENOSPC):
		return "The bot's disk is full, so nothing was saved and the index was left as it was. Please tell the bot's operator."
	case errors.Is(err, context.DeadlineExceeded):
		return "That took too long and was stopped. Try again in a little while."
	case errors.Is(err, context.Canceled):
		return "The bot is restarting and this was stopped; try again shortly."
	}
	return genericFailure
}

// supportedList names the file types /ingest accepts.
const supportedList = ".txt, .md, .html, .htm, .json and .jsonl"
