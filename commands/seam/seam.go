// Package seam holds the values that cross the seams of package commands:
// what it asks the answerer, searcher, catalogue, indexer, ingester and
// fetcher it declares, and what they give back. The interfaces themselves
// are declared in commands, which uses them.
//
// It imports nothing of the bot, so that commands builds without the
// answer engine and the vector stack, and so that the adapters that
// implement the interfaces (bot/adapt) and the tests that use them can
// build these values without importing commands.
package seam

import (
	"errors"
	"fmt"
	"time"
)

// Question is a question to answer, with the conversation before it.
type Question struct {
	Text string
	// History holds the earlier turns, oldest first; a question with
	// history is a follow-up.
	History []Turn
}

// Turn is one earlier question of a conversation, its answer, and the
// passages it cited.
type Turn struct {
	Question, Answer string
	// Query is what retrieval was asked for the question (Answer.Query);
	// the question when empty.
	Query string
	// Passages and Articles are the IDs of the passages the answer cited
	// and of their articles.
	Passages []string
	Articles []string
}

// Answer is an answer to a question.
type Answer struct {
	// Text is the answer with citation marks [1]..[n] matching Citations.
	// It is plain text from outside the bot: mentions are not neutralised.
	Text string
	// Query is what retrieval was asked: the question, or a follow-up's
	// standalone form.
	Query string
	// Citations are the cited passages, numbered as Text cites them.
	Citations []Citation
	// Passages are all passages retrieved for the question, best first.
	Passages []Passage
	// Declined is set when the articles don't cover the question.
	Declined bool
	// Mode says how the answer was made ("llm", "extractive"); Model names
	// the model that made it.
	Mode, Model string
	// Fallback says why a quoted answer replaced the model's ("model
	// error: ...", "answer without valid citations"), "" when it didn't.
	Fallback                       string
	PromptTokens, CompletionTokens int
	// Retrieve and Generate are how long finding the passages and writing
	// the answer took.
	Retrieve, Generate time.Duration
}

// Citation is a passage an answer cites as [N].
type Citation struct {
	N int
	Passage
}

// Passage is a piece of an article.
type Passage struct {
	ID        string
	ArticleID string
	Title     string
	Source    string // the outlet
	URL       string
	Published time.Time
	Text      string
}

// Article describes one indexed article.
type Article struct {
	ID        string
	Path      string // the file, relative to the corpus
	Title     string
	Source    string
	URL       string
	Published time.Time
	Passages  int
	// Origin, in a Removed, is where the article came from: "ingest", or
	// the folder an import read (an import of it adds the article back
	// while its file is there); empty when unknown.
	Origin string
}

// Stats summarise the index: counts, outlets and the dates published.
type Stats struct {
	Articles, Passages int
	Sources            []string
	Oldest, Newest     time.Time
}

// Progress reports how far a reindex (or an ingest) has come.
type Progress struct {
	// Stage is the reindex's ("loading", "embedding", "saving", "done"),
	// or StageSaved or StageWaiting during an ingest.
	Stage       string
	Done, Total int
	// Path is the file saved, for StageSaved.
	Path string
}

// Stages of an ingest besides a reindex's own.
const (
	StageSaved   = "saved"   // the file is in the corpus; indexing follows
	StageWaiting = "waiting" // another reindex is running; the ingest waits for it
)

// Summary is the outcome of a reindex.
type Summary struct {
	Articles, Passages      int
	Added, Changed, Removed []string
	// Missing are the articles earlier imports of the folder added that
	// it no longer holds: a shared corpus keeps them until they are
	// removed explicitly.
	Missing   []string
	Unchanged int
	Skipped   []Problem
	Duration  time.Duration
}

// Problem is a file, or a record of one, that the reindex skipped.
type Problem struct {
	Path   string
	Line   int // for a record of a JSON Lines file; 0 otherwise
	Reason string
}

// Ingested is what an ingest did with a file.
type Ingested struct {
	// Path is the file in the corpus ("ingested/story.txt").
	Path string
	// Existed is set when the same bytes were already there.
	Existed bool
	// Articles are the file's articles as now indexed; empty when none
	// made it into the index.
	Articles []Article
	// Skipped are the reindex's problems with this file.
	Skipped []Problem
	// Reindex is the reindex that indexed the file.
	Reindex Summary
}

// Upload is a file to add to the corpus.
type Upload struct {
	// Name is the file's name as uploaded (or made from a page's address).
	Name string
	Data []byte
	// By says who added it, for the corpus' records: "Discord user NAME
	// (ID)".
	By string
}

// Removed is what a removal took out of the corpus.
type Removed struct {
	// Articles are the articles removed.
	Articles []Article
	// Reindex is the reindex that followed, when one did (an embedded
	// corpus); zero otherwise.
	Reindex Summary
}

// SharesFileError is a removal's refusal of an article whose file holds
// other articles too, in a corpus that removes files whole.
type SharesFileError struct {
	Path     string // the file, relative to the corpus
	Articles int    // how many articles it holds
	Err      error
}

func (e *SharesFileError) Error() string { return e.Err.Error() }
func (e *SharesFileError) Unwrap() error { return e.Err }

// Page is a downloaded web page, named for the corpus.
type Page struct {
	Name string
	Data []byte
}

// Errors the commands tell users about in words of their own.
var (
	// ErrReindexRunning: a reindex was asked for while one runs.
	ErrReindexRunning = errors.New("a reindex is already running")
	// ErrEmptyCorpus: the corpus folder holds no article.
	ErrEmptyCorpus = errors.New("no articles found")
	// ErrReadOnly: the corpus can't be changed now (its shared store is
	// unreachable); questions are still answered.
	ErrReadOnly = errors.New("the corpus is read-only for now")
	// ErrNoSuchArticle: a removal named no article of the corpus.
	ErrNoSuchArticle = errors.New("no such article")
)

// Reason says why an ingest refused a file.
type Reason int

// Reasons for refusing a file.
const (
	Empty       Reason = iota + 1 // no bytes, or only white space
	Binary                        // not text
	TooLarge                      // over the size the index reads
	InvalidJSON                   // a .json file that doesn't parse
	Unsupported                   // an extension the index doesn't read
	NoText                        // no article text in it
	NameTaken                     // too many files already carry its name
	OverLimit                     // over a cap on articles, passages or bytes (Rejection.Limit)
)

// Rejection is an ingest's error for a file it refused; nothing was saved.
type Rejection struct {
	Reason Reason
	// Line is the 1-based line of the first problem, when known.
	Line int
	// Name is the file's name as it would have been saved.
	Name string
	// Limit, for OverLimit, is the cap the file went over, in words with
	// its value, fit to show users: "10,000 articles per file".
	Limit string
	// Err is the cause, for the operator's log.
	Err error
}

func (r *Rejection) Error() string { return fmt.Sprintf("refused %s: %v", r.Name, r.Err) }
func (r *Rejection) Unwrap() error { return r.Err }

// FetchError is a fetcher's error whose Message is written for the user who
// asked for the page (it never holds Go internals).
type FetchError struct {
	Message string
	Err     error // the cause, for the operator's log
}

func (e *FetchError) Error() string { return e.Message }
func (e *FetchError) Unwrap() error { return e.Err }

// Bucket is one user's token bucket of one class of use ("ask", "source",
// "ask:buttons"): Burst uses at once, then one more every Every. A
// cooldown is a bucket of Burst 1.
type Bucket struct {
	// Class names what is limited; User is the keyed hash that stands for
	// the user (never the Discord ID).
	Class, User string
	Burst       int
	Every       time.Duration
}

// Vote is a 👍 or 👎 on an answer. One counts per (MessageID, User): a
// later, different vote replaces it.
type Vote struct {
	Time time.Time
	// User is the keyed hash that stands for the voter.
	User string
	// Vote is "up" or "down".
	Vote      string
	Question  string
	Answer    string
	Citations []CitedPassage
	// MessageID is the answer's message.
	MessageID string
}

// CitedPassage is a citation of a voted answer: its number and passage ID.
type CitedPassage struct {
	N  int    `json:"n"`
	ID string `json:"passage_id"`
}

// VoteOutcome is what recording a vote did.
type VoteOutcome int

const (
	VoteNew       VoteOutcome = iota // the voter's first vote on the answer
	VoteChanged                      // it replaced an earlier, different vote
	VoteUnchanged                    // the same vote was already recorded; nothing changed
)
