// Package commands is the Discord side of the bot: the slash-command
// definitions, the interaction router, one handler per command, the
// rendering of results as Discord messages and embeds, permissions (admin
// commands only in the admin servers, see admin.go) and fair use (a
// cooldown and a cap on concurrent answers, per-user rates on the other
// commands and the buttons, one vote per user per answer).
//
// Each command lives in its own file with its definition, handler and
// renderer side by side. Handlers acknowledge an interaction before doing
// any work, then work under a context carrying the interaction's deadline;
// the router's refusals (permission, rate) come first, as immediate private
// replies. Every message the package sends is built by one function that
// sets empty allowed mentions, so nothing the bot says can ping anyone, and
// every text from outside the bot in it has passed neutralise
// (neutralise.go), so it shows as written, never as formatting.
//
// It knows Discord; it knows nothing of embeddings, prompts or models: the
// answers, passages, articles, reindexing and ingesting come through the
// small Answerer, Checker, Searcher, Catalogue, Indexer, Ingester and Fetcher
// interfaces declared here, whose values are package seam's (bot/adapt
// implements them over the answer engine and the retrieval index).
package commands

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

// Answerer answers a question. onPartial, when not nil, receives the whole
// answer so far each time it grows.
type Answerer interface {
	Answer(ctx context.Context, q seam.Question, onPartial func(string)) (seam.Answer, error)
}

// Searcher finds passages.
type Searcher interface {
	// Search returns the k passages that best match query, among those f
	// keeps.
	Search(ctx context.Context, query string, k int, f seam.Filter) ([]seam.Passage, error)
	// Highlight wraps the words of text matching query in open and close.
	Highlight(text, query, open, close string) string
	// Passage returns a passage by ID, for "Show sources".
	Passage(id string) (seam.Passage, bool)
}

// Checker checks a message's claims against the articles, for the "Check
// against the articles" menu command (see check.go). The error is for
// failures only: a message nothing speaks to is a Check with NotCovered.
type Checker interface {
	Check(ctx context.Context, text string) (seam.Check, error)
}

// Catalogue describes what is indexed, for /articles and /help.
type Catalogue interface {
	Stats() seam.Stats
	Articles() []seam.Article
}

// Indexer rebuilds the index from the corpus folder. It returns an error
// matching seam.ErrReindexRunning when a reindex is already running.
type Indexer interface {
	Reindex(ctx context.Context, progress func(seam.Progress)) (seam.Summary, error)
}

// Ingester adds a file to the corpus and indexes it, waiting for a reindex
// that is running. A file it refuses comes back as a *seam.Rejection.
type Ingester interface {
	// Extensions are the file extensions it reads (".txt"), in the order
	// to name them to users.
	Extensions() []string
	Ingest(ctx context.Context, up seam.Upload, progress func(seam.Progress)) (seam.Ingested, error)
}

// Remover takes articles out of the corpus, for /remove: the article
// whose ID is target, or every article of the file target. It returns an
// error matching seam.ErrNoSuchArticle when nothing matches, and a
// *seam.SharesFileError when it removes files whole and target is one
// article of several in its file. by says who removed them.
type Remover interface {
	Remove(ctx context.Context, target, by string) (seam.Removed, error)
}

// Fetcher downloads a web page for /ingest url:. Its errors of type
// *seam.FetchError are shown to the user as they are.
type Fetcher interface {
	Fetch(ctx context.Context, url string) (seam.Page, error)
}

// Conversations keeps the turns of the bot's conversations (follow-up
// questions, see followup.go) by key: a thread's ID, or the ID of the
// answer message a conversation outside threads goes on from. It forgets
// a conversation left idle past its time to live. bot/adapt implements it
// over internal/convstore (PostgreSQL when configured, else files in the
// data folder).
type Conversations interface {
	// Turns returns the conversation's turns, oldest first; none when it
	// is unknown or has expired.
	Turns(ctx context.Context, key string) ([]seam.Turn, error)
	// Append adds turns to the conversation (starting it), keeps its last
	// max turns, and restarts its idle time.
	Append(ctx context.Context, key string, max int, turns ...seam.Turn) error
}

// Config configures a Router. Zero values take the defaults named.
type Config struct {
	Answerer  Answerer
	Searcher  Searcher
	Catalogue Catalogue
	Indexer   Indexer
	Ingester  Ingester
	// Checker checks messages for the "Check against the articles" menu
	// command, which is not offered when it is nil.
	Checker Checker
	// Remover, when not nil, backs the admin command /remove; without
	// one the command is not offered.
	Remover Remover
	// FeedbackLog is the file 👍/👎 votes are appended to, one JSON object a
	// line (see feedback.go), when Votes is nil; votes are acknowledged
	// but not kept when both are empty. New removes a partial last line
	// from it, and fails when it can't be read. One process writes it:
	// replicas need one each, or a shared Votes.
	FeedbackLog string
	// AdminGuildIDs are the servers where /reindex and /ingest may be used
	// (by members with Manage Server, Administrator or an AdminRoleIDs
	// role) and where they are registered. Everywhere else the shared
	// corpus is read-only; with none, the admin commands are refused
	// everywhere.
	AdminGuildIDs []string
	// AdminRoleIDs are roles whose members may use /reindex and /ingest
	// besides those with Manage Server or Administrator.
	AdminRoleIDs []string
	// Cooldown is the least time between two /ask of one user (10s);
	// negative disables it, and with it the per-user rates of the other
	// commands and of the buttons (see rateOf).
	Cooldown time.Duration
	// MaxConcurrentAnswers caps the answers being worked on at once (4).
	MaxConcurrentAnswers int
	// QueueSize is how many more /ask may wait for a free slot (32); beyond
	// it users are told the bot is busy.
	QueueSize int
	// EditInterval is the least time between two edits of a message that is
	// being updated (a streaming answer, reindex progress): 1s.
	EditInterval time.Duration
	// InteractionTimeout bounds the work on one interaction (14 minutes:
	// Discord accepts edits and follow-ups for 15).
	InteractionTimeout time.Duration
	// MaxUploadBytes is the largest file /ingest downloads (10 MiB).
	MaxUploadBytes int64
	// Fetcher downloads pages for /ingest url:; URLs are refused when nil.
	Fetcher Fetcher
	// Mentions turns on answering messages that mention the bot, and plain
	// messages in its conversation threads (see HandleMessage); the
	// session then needs the message-content intent.
	Mentions bool
	// Conversations keeps the follow-up conversations; without it a
	// follow-up knows only the answer it follows (read back from the
	// message).
	Conversations Conversations
	// ConversationTurns and ConversationTokens bound what of a
	// conversation a follow-up is answered after, and is kept: its last
	// turns (6), within a budget of tokens for their questions and
	// answers (1,500, counted as four bytes a token).
	ConversationTurns, ConversationTokens int
	// UserHashKey keys the hash that stands for user IDs in logs and the
	// feedback file; a random key (stable for the process only) when empty.
	UserHashKey []byte
	// Logger receives one line per interaction; discarded when nil.
	Logger *slog.Logger
	// Observer, when not nil, is told about every interaction when it
	// ends (for metrics).
	Observer Observer
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	// The state replicas share (see shared.go); nil: this process's own.
	// Limiter keeps the per-user rates and the /ask cooldown.
	Limiter Limiter
	// ReplayGuard remembers the interactions accepted over HTTP, besides
	// this process's own memory of them.
	ReplayGuard ReplayGuard
	// Votes keeps the votes instead of FeedbackLog.
	Votes VoteStore
	// ModelSlots is the budget of answers generated at once by all the
	// replicas, besides this process's MaxConcurrentAnswers.
	ModelSlots ModelSlots
	// SharedTimeout bounds each call to Limiter, ReplayGuard and Votes
	// (DefaultSharedTimeout).
	SharedTimeout time.Duration
}

// Defaults for the zero values of Config.
const (
	DefaultCooldown             = 10 * time.Second
	DefaultMaxConcurrentAnswers = 4
	DefaultQueueSize            = 32
	DefaultEditInterval         = time.Second
	DefaultInteractionTimeout   = 14 * time.Minute
	DefaultMaxUploadBytes       = 10 << 20
)

// Router dispatches interactions to the command handlers. It is safe for
// concurrent use: discordgo calls its handlers on a goroutine per event.
type Router struct {
	cfg      Config
	log      *slog.Logger
	commands map[string]*command
	limiter  *limiter
	rates    *rates // nil when the per-user limits are off
	shared   *sharedState
	hashKey  []byte
	// feedback is the feedback log; nil when votes are not kept.
	feedback *feedbackLog
	// streams are the answers being written, for their Stop buttons.
	streams *streams

	// base is the parent of every handler's context; Shutdown cancels it
	// when in-flight work outlives its grace period.
	base       context.Context
	cancelBase context.CancelFunc

	// mu guards closing and inFlight; wg counts the interactions being
	// handled, inFlight too (wg can't be read).
	mu       sync.Mutex
	closing  bool
	inFlight int
	wg       sync.WaitGroup

	// supported names the file types /ingest accepts, from the Ingester.
	supported string
	// threads remembers which channels hold a conversation (followup.go).
	threads *threadSet
}

// command is one slash command: its definition and its handler. Component
// interactions are routed by the prefix of their custom ID, "name:"; a
// command of buttons only (Share, Stop) has no definition.
type command struct {
	def       *discordgo.ApplicationCommand
	handle    func(ctx context.Context, x *exchange) error
	component func(ctx context.Context, x *exchange, args []string) error
	// admin commands run only after checkAdmin allowed them, and are
	// registered only in the admin servers.
	admin bool
}

// New returns a Router for cfg.
func New(cfg Config) (*Router, error) {
	if cfg.Answerer == nil || cfg.Searcher == nil || cfg.Catalogue == nil || cfg.Indexer == nil || cfg.Ingester == nil {
		return nil, errors.New("commands: Answerer, Searcher, Catalogue, Indexer and Ingester are required")
	}
	if cfg.Cooldown == 0 {
		cfg.Cooldown = DefaultCooldown
	}
	if cfg.MaxConcurrentAnswers <= 0 {
		cfg.MaxConcurrentAnswers = DefaultMaxConcurrentAnswers
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.EditInterval <= 0 {
		cfg.EditInterval = DefaultEditInterval
	}
	if cfg.InteractionTimeout <= 0 {
		cfg.InteractionTimeout = DefaultInteractionTimeout
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.ConversationTurns <= 0 {
		cfg.ConversationTurns = DefaultConversationTurns
	}
	if cfg.ConversationTokens <= 0 {
		cfg.ConversationTokens = DefaultConversationTokens
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SharedTimeout <= 0 {
		cfg.SharedTimeout = DefaultSharedTimeout
	}
	key := cfg.UserHashKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("commands: user hash key: %w", err)
		}
	}
	shared := newSharedState(cfg)
	r := &Router{
		cfg:     cfg,
		log:     cfg.Logger,
		limiter: newLimiter(cfg.MaxConcurrentAnswers, cfg.QueueSize, shared),
		shared:  shared,
		hashKey: key,
		streams: newStreams(),
		threads: newThreadSet(),
	}
	if cfg.Cooldown > 0 {
		r.rates = newRates()
	}
	if cfg.FeedbackLog != "" && cfg.Votes == nil {
		fl, cut, err := openFeedbackLog(cfg.FeedbackLog)
		if err != nil {
			return nil, fmt.Errorf("commands: %w", err)
		}
		if cut > 0 {
			r.log.Warn("feedback log: removed a partial last line (a write was cut short)", "path", cfg.FeedbackLog, "bytes", cut)
		}
		r.feedback = fl
	}
	r.base, r.cancelBase = context.WithCancel(context.Background())
	r.supported = listWords(cfg.Ingester.Extensions())
	r.commands = map[string]*command{}
	cmds := []*command{
		r.askCommand(), r.sourceCommand(), r.articlesCommand(),
		r.reindexCommand(), r.ingestCommand(), r.helpCommand(),
	}
	if cfg.Remover != nil {
		cmds = append(cmds, r.removeCommand())
	}
	if cfg.Checker != nil {
		cmds = append(cmds, r.checkCommand())
	}
	for _, c := range cmds {
		localise(c.def, cfg.Ingester.Extensions())
		r.commands[c.def.Name] = c
	}
	r.commands[idShare] = r.shareCommand()
	r.commands[idStop] = r.stopCommand()
	return r, nil
}

// Definitions returns the commands to register with Discord, in a stable
// order: the slash commands, then the message menu's.
func (r *Router) Definitions() []*discordgo.ApplicationCommand {
	names := []string{"ask", "source", "articles", "help", "reindex", "ingest", "remove", checkCommandName}
	out := make([]*discordgo.ApplicationCommand, 0, len(names))
	for _, n := range names {
		if c := r.commands[n]; c != nil && c.def != nil {
			out = append(out, c.def)
		}
	}
	return out
}

// HandleInteraction handles one interaction; register it with
// Session.AddHandler. It returns when the interaction has been dealt with.
func (r *Router) HandleInteraction(s *discordgo.Session, ic *discordgo.InteractionCreate) {
	if ic == nil || ic.Interaction == nil {
		return
	}
	x := r.newExchange(s, ic.Interaction)
	if !r.enter() {
		r.refuseRestarting(x)
		return
	}
	defer r.leave()
	r.run(x)
}

// ErrNoResponse is returned by HandleHTTP when the router has no response
// for an interaction (a type it doesn't handle, such as a modal).
var ErrNoResponse = errors.New("commands: no response to this interaction")

// HandleHTTP handles an interaction that arrived over HTTP, at Discord's
// interactions endpoint, where the initial response goes back in the HTTP
// response body. respond is called once, with the handler's first response
// (a deferred reply, or a complete one such as a refusal), and should write
// it as that body; HandleHTTP returns as soon as it has, with respond's
// error. The handler goes on in the background, under the router's own
// context rather than ctx, editing the response and sending follow-ups
// through s's REST methods; Shutdown waits for it.
//
// When ctx ends before the handler responds, HandleHTTP returns ctx's
// error and respond is never called (the handler fails to acknowledge, and
// logs it). It returns ErrNoResponse when the handler ended without
// responding.
func (r *Router) HandleHTTP(ctx context.Context, s *discordgo.Session, i *discordgo.Interaction, respond func(*discordgo.InteractionResponse) error) error {
	if i == nil {
		return ErrNoResponse
	}
	x := r.newExchange(s, i)
	hr := &httpReply{respond: respond, done: make(chan struct{})}
	x.reply = hr.send
	if !r.enter() {
		r.refuseRestarting(x)
		return hr.result()
	}
	handled := make(chan struct{})
	go func() {
		defer r.leave()
		defer close(handled)
		r.run(x)
	}()
	select {
	case <-hr.done:
	case <-handled:
	case <-ctx.Done():
		if hr.abandon() {
			return fmt.Errorf("commands: no response in time: %w", ctx.Err())
		}
	}
	return hr.result()
}

// httpReply passes an exchange's acknowledgement to the HTTP handler that
// waits for it, once, and only while it waits.
type httpReply struct {
	respond func(*discordgo.InteractionResponse) error
	done    chan struct{} // closed once respond has been called

	// mu guards the fields below and serialises send and abandon.
	mu     sync.Mutex
	closed bool
	sent   bool
	err    error
}

// errReplyGone is the acknowledgement's error when the HTTP request it
// should have answered is gone.
var errReplyGone = errors.New("the HTTP request ended before the response was ready")

func (h *httpReply) send(resp *discordgo.InteractionResponse) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errReplyGone
	}
	h.closed, h.sent = true, true
	h.err = h.respond(resp)
	close(h.done)
	return h.err
}

// abandon stops any later send; it reports false when a response was
// already sent.
func (h *httpReply) abandon() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	return !h.sent
}

// result is what HandleHTTP returns once the waiting is over.
func (h *httpReply) result() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.sent {
		h.closed = true
		return ErrNoResponse
	}
	return h.err
}

// enter counts one more interaction in flight; it reports false when the
// router is shutting down.
func (r *Router) enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return false
	}
	r.wg.Add(1)
	r.inFlight++
	return true
}

// leave counts an interaction admitted by enter as done.
func (r *Router) leave() {
	r.mu.Lock()
	r.inFlight--
	r.mu.Unlock()
	r.wg.Done()
}

// Load is what the router is working on, for metrics.
type Load struct {
	// Queued answers wait for an answer slot; Answering ones hold one.
	Queued, Answering int
	// Interactions are the interactions and mentions being handled.
	Interactions int
}

// Load returns what the router is working on now.
func (r *Router) Load() Load {
	q, a := r.limiter.load()
	r.mu.Lock()
	defer r.mu.Unlock()
	return Load{Queued: q, Answering: a, Interactions: r.inFlight}
}

// refuseRestarting tells the user the bot is shutting down.
func (r *Router) refuseRestarting(x *exchange) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	x.trace.setOutcome("restarting")
	x.refuse(ctx, "The bot is restarting; try again shortly.")
	x.finish()
}

// run handles an interaction admitted by enter.
func (r *Router) run(x *exchange) {
	ctx, cancel := context.WithTimeout(r.base, r.cfg.InteractionTimeout)
	defer cancel()
	defer x.finish()
	defer func() {
		// A bug in a handler must not take the bot down with it, nor show
		// the user a stack: log it and say something went wrong.
		if p := recover(); p != nil {
			x.fail(ctx, fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()

	var err error
	switch x.i.Type {
	case discordgo.InteractionApplicationCommand:
		data := x.i.ApplicationCommandData()
		x.trace.command = data.Name
		c := r.commands[data.Name]
		if c == nil || c.handle == nil {
			err = userErrorf("I don't know the command /%s; it may have been removed.", data.Name)
			break
		}
		if c.admin {
			// Before anything else, so that a refusal is the first
			// response, immediate and private, in either transport.
			if err = r.checkAdmin(x.i, data.Name); err != nil {
				break
			}
		}
		if r.throttled(ctx, x, data.Name, data.Name) {
			return
		}
		err = c.handle(ctx, x)
	case discordgo.InteractionMessageComponent, discordgo.InteractionModalSubmit:
		// A modal's submission routes by its custom ID like the button
		// that opened it, under the same rate.
		parts := strings.Split(interactionCustomID(x.i), ":")
		x.trace.command = parts[0] + ":" + buttonName(parts[1:])
		c := r.commands[parts[0]]
		if c == nil || c.component == nil {
			err = userErrorf("That button no longer works; run the command again.")
			break
		}
		if c.admin {
			if err = r.checkAdmin(x.i, parts[0]); err != nil {
				break
			}
		}
		if r.throttled(ctx, x, rateClass(parts[0]+":buttons"), "") {
			return
		}
		err = c.component(ctx, x, parts[1:])
	case discordgo.InteractionApplicationCommandAutocomplete:
		x.trace.command = x.i.ApplicationCommandData().Name + ":autocomplete"
		err = r.autocomplete(ctx, x) // answers nothing but suggestions, errors included
		if err != nil {
			x.trace.fail(err)
			return
		}
	default:
		x.trace.setOutcome("ignored")
		return // pings are not used
	}
	if err != nil {
		x.fail(ctx, err)
	}
}

// throttled spends one of the user's tokens of class (see rates) and
// reports whether there was none, in which case it has told the user to
// slow down, privately, as the first response.
func (r *Router) throttled(ctx context.Context, x *exchange, class, command string) bool {
	if r.rates == nil {
		return false
	}
	b := bucketOf(class, x.trace.user)
	if b.Burst <= 0 {
		return false
	}
	wait := r.take(ctx, b)
	if wait <= 0 {
		return false
	}
	x.trace.setOutcome("cooldown")
	x.refuse(ctx, slowDownText(command, wait))
	return true
}

// Shutdown stops taking new interactions (they are told the bot is
// restarting) and waits for those in flight to finish. When ctx ends first
// it cancels their work, waits briefly for them to notice, and returns
// ctx's error.
func (r *Router) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		r.cancelBase()
		return nil
	case <-ctx.Done():
	}
	r.cancelBase()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	return fmt.Errorf("commands: shutdown: %w", ctx.Err())
}

// interactionCustomID is the custom ID of a component interaction or a
// modal submission.
func interactionCustomID(i *discordgo.Interaction) string {
	if i.Type == discordgo.InteractionModalSubmit {
		return i.ModalSubmitData().CustomID
	}
	return i.MessageComponentData().CustomID
}

// buttonName names a button for the log and the metrics by the first part
// of its custom ID after the command ("ask:vote:up" is "vote"), when that
// is a word: not a page number, a filter or an interaction's ID (Stop's),
// which would make the set of values unbounded.
func buttonName(args []string) string {
	if len(args) == 0 {
		return ""
	}
	for _, r := range args[0] {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	return args[0]
}
