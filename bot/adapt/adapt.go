// Package adapt fits the answer engine, the retrieval index, the page
// fetcher, the conversation store and the state replicas share in
// PostgreSQL (shared.go) to the small interfaces package commands declares,
// converting their values to commands/seam's and their errors to the ones
// commands tells users about. It is the only code that knows both sides of that
// seam; bot wires it, and commands' end-to-end tests use it to drive the
// real engine and index.
//
// It does not import commands (only commands/seam), so that commands'
// own tests can import it.
package adapt

import (
	"context"
	"errors"
	"time"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/convstore"
	"github.com/newsbot/newsbot/internal/fetch"
	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/article"
)

// Engine is an answer engine as commands.Answerer.
type Engine struct {
	Engine *answer.Engine
}

// Answer implements commands.Answerer.
func (e Engine) Answer(ctx context.Context, q seam.Question, onPartial func(string)) (seam.Answer, error) {
	aq := answer.Question{Text: q.Text}
	for _, t := range q.History {
		aq.History = append(aq.History, answer.Turn{Question: t.Question, Answer: t.Answer, Query: t.Query, Articles: t.Articles})
	}
	res, err := e.Engine.Answer(ctx, aq, onPartial)
	if err != nil {
		return seam.Answer{}, err
	}
	out := seam.Answer{
		Text:             res.Text,
		Query:            res.Query,
		Declined:         res.Declined,
		Mode:             res.Mode,
		Model:            res.Model,
		Fallback:         res.Fallback,
		PromptTokens:     res.Usage.PromptTokens,
		CompletionTokens: res.Usage.CompletionTokens,
		Retrieve:         res.Timings.Retrieve,
		Generate:         res.Timings.Generate,
	}
	for _, c := range res.Citations {
		out.Citations = append(out.Citations, seam.Citation{N: c.N, Passage: passage(c.Passage)})
	}
	for _, p := range res.Passages {
		out.Passages = append(out.Passages, passage(p.Passage))
	}
	return out, nil
}

// Check implements commands.Checker.
func (e Engine) Check(ctx context.Context, text string) (seam.Check, error) {
	res, err := e.Engine.Check(ctx, text)
	if err != nil {
		return seam.Check{}, err
	}
	out := seam.Check{
		Verdict:          res.Verdict,
		NotCovered:       res.NotCovered,
		Mode:             res.Mode,
		Model:            res.Model,
		Fallback:         res.Fallback,
		PromptTokens:     res.Usage.PromptTokens,
		CompletionTokens: res.Usage.CompletionTokens,
		Retrieve:         res.Timings.Retrieve,
		Generate:         res.Timings.Generate,
	}
	for _, c := range res.Claims {
		out.Claims = append(out.Claims, seam.Claim{Text: c.Text, Passages: c.Passages})
	}
	for _, p := range res.Passages {
		out.Passages = append(out.Passages, seam.Citation{N: p.N, Passage: passage(p.Passage)})
	}
	return out, nil
}

// Index is a retrieval index and the corpus folder it is built from, as
// commands' Searcher, Catalogue, Indexer, Ingester and Remover.
type Index struct {
	Index  *retrieval.Index
	Corpus string
	// OnReindex, when not nil, is told how each reindex run through Index
	// went (by /reindex or /ingest): how long it took and its error.
	OnReindex func(time.Duration, error)
}

// Search implements commands.Searcher.
func (x Index) Search(ctx context.Context, query string, k int, f seam.Filter) ([]seam.Passage, error) {
	res, err := x.Index.Search(ctx, retrieval.Query{Text: query, K: k, Source: f.Source, After: f.After, Before: f.Before})
	if err != nil {
		return nil, err
	}
	out := make([]seam.Passage, len(res))
	for i, r := range res {
		out[i] = passage(r.Passage)
	}
	return out, nil
}

// Highlight implements commands.Searcher.
func (x Index) Highlight(text, query, open, close string) string {
	return x.Index.Highlight(text, query, open, close)
}

// Passage implements commands.Searcher.
func (x Index) Passage(id string) (seam.Passage, bool) {
	p, ok := x.Index.Passage(id)
	return passage(p), ok
}

// Stats implements commands.Catalogue.
func (x Index) Stats() seam.Stats {
	st := x.Index.Stats()
	return seam.Stats{Articles: st.Articles, Passages: st.Passages, Sources: st.Sources, Oldest: st.Oldest, Newest: st.Newest}
}

// Articles implements commands.Catalogue.
func (x Index) Articles() []seam.Article {
	arts := x.Index.Articles()
	out := make([]seam.Article, len(arts))
	for i, a := range arts {
		out[i] = articleInfo(a)
	}
	return out
}

// Reindex implements commands.Indexer.
func (x Index) Reindex(ctx context.Context, progress func(seam.Progress)) (seam.Summary, error) {
	start := time.Now()
	sum, err := x.Index.Reindex(ctx, x.Corpus, progressFunc(progress))
	if x.OnReindex != nil && !errors.Is(err, retrieval.ErrReindexRunning) {
		x.OnReindex(time.Since(start), err)
	}
	return summary(sum), indexError(err)
}

// Extensions implements commands.Ingester.
func (x Index) Extensions() []string { return article.Extensions() }

// Ingest implements commands.Ingester.
func (x Index) Ingest(ctx context.Context, up seam.Upload, progress func(seam.Progress)) (seam.Ingested, error) {
	res, err := x.Index.Ingest(ctx, x.Corpus, up.Name, up.Data, progressFunc(progress))
	if x.OnReindex != nil && res.Reindexed > 0 {
		x.OnReindex(res.Reindexed, err)
	}
	return ingested(res), indexError(err)
}

// Remove implements commands.Remover: the article's file leaves the corpus
// folder, and the corpus is reindexed.
func (x Index) Remove(ctx context.Context, target, _ string) (seam.Removed, error) {
	start := time.Now()
	gone, sum, err := x.Index.Remove(ctx, x.Corpus, target, nil)
	if x.OnReindex != nil && len(gone) > 0 {
		x.OnReindex(time.Since(start), err)
	}
	return removed(gone, sum), indexError(err)
}

// SharedCorpus is a shared corpus store (PostgreSQL, the system of record) and
// the index that follows it, as commands' Searcher, Catalogue, Indexer,
// Ingester and Remover: the second implementation of the ingest seam.
// Reads go to the index, as Index's do; writes go to the store, and a
// folder is an import source, never a second truth: /reindex imports
// Corpus, adding and updating, never removing.
type SharedCorpus struct {
	Index
	Store *retrieval.Shared
}

// NewSharedCorpus returns the adapter of store, importing from corpus; onWrite,
// when not nil, is told how each write went.
func NewSharedCorpus(store *retrieval.Shared, corpus string, onWrite func(time.Duration, error)) SharedCorpus {
	return SharedCorpus{Index: Index{Index: store.Index(), Corpus: corpus, OnReindex: onWrite}, Store: store}
}

// Reindex implements commands.Indexer: an import of the corpus folder.
func (x SharedCorpus) Reindex(ctx context.Context, progress func(seam.Progress)) (seam.Summary, error) {
	start := time.Now()
	sum, err := x.Store.Import(ctx, x.Corpus, progressFunc(progress))
	if x.OnReindex != nil && !errors.Is(err, retrieval.ErrReindexRunning) {
		x.OnReindex(time.Since(start), err)
	}
	return summary(sum), indexError(err)
}

// Ingest implements commands.Ingester: the file's articles go to the
// store.
func (x SharedCorpus) Ingest(ctx context.Context, up seam.Upload, progress func(seam.Progress)) (seam.Ingested, error) {
	res, err := x.Store.Ingest(ctx, up.Name, up.Data, up.By, progressFunc(progress))
	if x.OnReindex != nil && res.Reindexed > 0 {
		x.OnReindex(res.Reindexed, err)
	}
	return ingested(res), indexError(err)
}

// Remove implements commands.Remover: the articles leave the store.
func (x SharedCorpus) Remove(ctx context.Context, target, by string) (seam.Removed, error) {
	gone, err := x.Store.Remove(ctx, target, by)
	return removed(gone, retrieval.Summary{}), indexError(err)
}

func ingested(res retrieval.IngestResult) seam.Ingested {
	out := seam.Ingested{Path: res.Path, Existed: res.Existed, Skipped: problems(res.Skipped), Reindex: summary(res.Reindex)}
	for _, a := range res.Articles {
		out.Articles = append(out.Articles, articleInfo(a))
	}
	return out
}

func removed(gone []retrieval.ArticleInfo, sum retrieval.Summary) seam.Removed {
	out := seam.Removed{Reindex: summary(sum)}
	for _, a := range gone {
		out.Articles = append(out.Articles, articleInfo(a))
	}
	return out
}

// Fetcher is a page fetcher as commands.Fetcher.
type Fetcher struct {
	Fetcher *fetch.Fetcher
}

// Fetch implements commands.Fetcher: the page, named for the corpus.
func (f Fetcher) Fetch(ctx context.Context, url string) (seam.Page, error) {
	p, err := f.Fetcher.Get(ctx, url)
	if err != nil {
		var fe *fetch.Error
		if errors.As(err, &fe) {
			return seam.Page{}, &seam.FetchError{Message: fe.Message, Err: err}
		}
		return seam.Page{}, err
	}
	return seam.Page{Name: retrieval.PageName(p.URL, p.ContentType), Data: p.Body}, nil
}

// rejectReasons translates retrieval's reasons for refusing a file.
var rejectReasons = map[retrieval.RejectReason]seam.Reason{
	retrieval.RejectEmpty:       seam.Empty,
	retrieval.RejectBinary:      seam.Binary,
	retrieval.RejectTooLarge:    seam.TooLarge,
	retrieval.RejectInvalidJSON: seam.InvalidJSON,
	retrieval.RejectUnsupported: seam.Unsupported,
	retrieval.RejectNoText:      seam.NoText,
	retrieval.RejectNameTaken:   seam.NameTaken,
	retrieval.RejectOverLimit:   seam.OverLimit,
}

// indexError makes retrieval's errors recognisable to commands: the
// sentinels it branches on and the typed rejection it renders.
func indexError(err error) error {
	var rj *retrieval.Rejection
	var sf *retrieval.SharesFileError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &rj):
		return &seam.Rejection{Reason: rejectReasons[rj.Reason], Line: rj.Line, Name: rj.Name, Limit: rj.Limit, Err: err}
	case errors.As(err, &sf):
		return &seam.SharesFileError{Path: sf.Path, Articles: sf.Articles, Err: err}
	case errors.Is(err, retrieval.ErrReadOnly):
		return also{err, seam.ErrReadOnly}
	case errors.Is(err, retrieval.ErrNotFound):
		return also{err, seam.ErrNoSuchArticle}
	case errors.Is(err, retrieval.ErrReindexRunning):
		return also{err, seam.ErrReindexRunning}
	case errors.Is(err, retrieval.ErrEmptyCorpus):
		return also{err, seam.ErrEmptyCorpus}
	}
	return err
}

// also is err that also matches as (with errors.Is), with err's message.
type also struct{ err, as error }

func (a also) Error() string   { return a.err.Error() }
func (a also) Unwrap() []error { return []error{a.err, a.as} }

func progressFunc(f func(seam.Progress)) func(retrieval.Progress) {
	if f == nil {
		return nil
	}
	return func(p retrieval.Progress) {
		f(seam.Progress{Stage: p.Stage, Done: p.Done, Total: p.Total, Path: p.Path})
	}
}

func passage(p retrieval.Passage) seam.Passage {
	return seam.Passage{ID: p.ID, ArticleID: p.ArticleID, Title: p.Title, Source: p.Source, URL: p.URL, Published: p.Published, Text: p.Text}
}

func articleInfo(a retrieval.ArticleInfo) seam.Article {
	return seam.Article{ID: a.ID, Path: a.Path, Title: a.Title, Source: a.Source, URL: a.URL, Published: a.Published, Passages: a.Passages, Origin: a.Origin}
}

func summary(s retrieval.Summary) seam.Summary {
	return seam.Summary{Articles: s.Articles, Passages: s.Passages, Added: s.Added, Changed: s.Changed, Removed: s.Removed,
		Missing: s.Missing, Unchanged: s.Unchanged, Skipped: problems(s.Skipped), Duration: s.Duration}
}

func problems(ps []article.Problem) []seam.Problem {
	var out []seam.Problem
	for _, p := range ps {
		out = append(out, seam.Problem{Path: p.Path, Line: p.Line, Reason: p.Reason})
	}
	return out
}

// ConversationStore is what internal/convstore's stores offer.
type ConversationStore interface {
	Turns(ctx context.Context, key string) ([]convstore.Turn, error)
	Append(ctx context.Context, key string, max int, turns ...convstore.Turn) error
}

// Conversations is a conversation store as commands.Conversations.
type Conversations struct {
	Store ConversationStore
}

// Turns implements commands.Conversations.
func (c Conversations) Turns(ctx context.Context, key string) ([]seam.Turn, error) {
	ts, err := c.Store.Turns(ctx, key)
	if err != nil {
		return nil, err
	}
	out := make([]seam.Turn, len(ts))
	for i, t := range ts {
		out[i] = seam.Turn{Question: t.Question, Answer: t.Answer, Query: t.Query, Passages: t.Passages, Articles: t.Articles}
	}
	return out, nil
}

// Append implements commands.Conversations.
func (c Conversations) Append(ctx context.Context, key string, max int, turns ...seam.Turn) error {
	ts := make([]convstore.Turn, len(turns))
	for i, t := range turns {
		ts[i] = convstore.Turn{Question: t.Question, Answer: t.Answer, Query: t.Query, Passages: t.Passages, Articles: t.Articles}
	}
	return c.Store.Append(ctx, key, max, ts...)
}
