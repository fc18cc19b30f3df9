package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands"
	"github.com/newsbot/newsbot/internal/fetch"
)

// serveOptions are the seams tests use to run "bot serve" against a fake
// Discord. The zero value talks to Discord.
type serveOptions struct {
	// HTTPClient replaces the session's HTTP client when not nil.
	HTTPClient *http.Client
	// Configure is called on the session before it connects.
	Configure func(*discordgo.Session)
	// ShutdownGrace bounds the wait for in-flight interactions (20s).
	ShutdownGrace time.Duration
	// RegisterBackoff is the first wait before retrying a failed command
	// registration (1s); it doubles up to five minutes.
	RegisterBackoff time.Duration
	// Router adjusts the commands configuration (tests shorten limits).
	Router func(*commands.Config)
}

// serve is "bot serve": run the Discord bot until interrupted.
func (c *cli) serve(ctx context.Context, args []string) error {
	return c.serveWith(ctx, args, serveOptions{})
}

// tokenLike matches a Discord bot token: three base64url segments joined by
// dots, the first of them the bot's ID.
var tokenLike = regexp.MustCompile(`^(Bot )?[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$`)

// errTokenOnCommandLine is returned when a token is given as an argument,
// where it would show in process lists and shell history.
var errTokenOnCommandLine = usageError{"do not put the bot token on the command line, where process lists and shell history show it; set the DISCORD_TOKEN environment variable instead"}

func (c *cli) serveWith(ctx context.Context, args []string, opts serveOptions) error {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if (strings.HasPrefix(a, "-") && strings.EqualFold(name, "token")) || tokenLike.MatchString(a) {
			return errTokenOnCommandLine
		}
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	f := c.addIndexFlags(fs)
	feedback := fs.String("feedback", "", "file the 👍/👎 votes are appended to (default $NEWSBOT_FEEDBACK or feedback.jsonl in the data folder)")
	mentionsEnv, _ := strconv.ParseBool(c.getenv("NEWSBOT_MENTIONS"))
	mentions := fs.Bool("mentions", mentionsEnv, "also answer messages that mention the bot (needs the Message Content intent; default $NEWSBOT_MENTIONS)")
	if err := fs.Parse(args); err != nil {
		return usageError{}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 20 * time.Second
	}
	if opts.RegisterBackoff <= 0 {
		opts.RegisterBackoff = time.Second
	}
	token := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.getenv("DISCORD_TOKEN")), "Bot "))
	if token == "" {
		return errors.New("DISCORD_TOKEN is not set: put the bot token from the Discord developer portal in the DISCORD_TOKEN environment variable")
	}
	guildID := strings.TrimSpace(c.getenv("DISCORD_GUILD_ID"))
	var adminRoles []string
	for _, r := range strings.Split(c.getenv("NEWSBOT_ADMIN_ROLES"), ",") {
		if r = strings.TrimSpace(r); r != "" {
			adminRoles = append(adminRoles, r)
		}
	}

	cooldown, err := envDuration(c.getenv, "NEWSBOT_COOLDOWN")
	if err != nil {
		return err
	}
	maxConcurrent, err := envInt(c.getenv, "NEWSBOT_MAX_CONCURRENT")
	if err != nil {
		return err
	}
	queue, err := envInt(c.getenv, "NEWSBOT_QUEUE")
	if err != nil {
		return err
	}

	ix, err := c.openIndex(ctx, f, true)
	if err != nil {
		return err
	}
	eng, err := c.engine(ix, 0)
	if err != nil {
		return err
	}
	dataDir, err := c.dataDir(f)
	if err != nil {
		return err
	}
	feedbackPath := firstNonEmpty(*feedback, c.getenv("NEWSBOT_FEEDBACK"), filepath.Join(dataDir, "feedback.jsonl"))
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg := commands.Config{
		Answerer:             eng,
		Searcher:             ix,
		Indexer:              ix,
		CorpusDir:            c.corpusDir(f, ix),
		FeedbackLog:          feedbackPath,
		AdminRoleIDs:         adminRoles,
		Cooldown:             cooldown,
		MaxConcurrentAnswers: maxConcurrent,
		QueueSize:            queue,
		Fetcher:              fetch.New(fetch.Config{MaxBytes: commands.DefaultMaxUploadBytes}),
		Mentions:             *mentions,
		UserHashKey:          []byte(c.getenv("NEWSBOT_USER_HASH_KEY")),
		Logger:               log,
	}
	if opts.Router != nil {
		opts.Router(&cfg)
	}
	router, err := commands.New(cfg)
	if err != nil {
		return err
	}

	ds, err := discordgo.New("Bot " + token)
	if err != nil {
		return fmt.Errorf("discord session: %w", err)
	}
	ds.Identify.Intents = discordgo.IntentsGuilds
	if cfg.Mentions {
		ds.Identify.Intents |= discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentsMessageContent
	}
	if opts.HTTPClient != nil {
		ds.Client = opts.HTTPClient
	}
	if opts.Configure != nil {
		opts.Configure(ds)
	}
	ds.AddHandler(router.HandleInteraction)
	if cfg.Mentions {
		ds.AddHandler(router.HandleMessage)
	}
	if err := ds.Open(); err != nil {
		return fmt.Errorf("connect to Discord: %w", err)
	}
	appID := firstNonEmpty(c.getenv("DISCORD_APP_ID"), applicationID(ds))
	if appID == "" {
		_ = ds.Close()
		return errors.New("connect to Discord: READY named no application; set DISCORD_APP_ID")
	}
	scope := "globally (may take up to an hour to appear)"
	if guildID != "" {
		scope = "in guild " + guildID
	}
	log.Info("serving", "application", appID, "commands", scope, "articles", len(ix.Articles()), "offline", eng.Offline())

	// Registration retries in the background: the bot answers commands
	// registered earlier even when Discord refuses the update.
	regCtx, stopReg := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		registerCommands(regCtx, ds, appID, guildID, router.Definitions(), opts.RegisterBackoff, log)
	}()

	<-ctx.Done()
	log.Info("shutting down: finishing the interactions in flight", "grace", opts.ShutdownGrace)
	stopReg()
	wg.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownGrace)
	defer cancel()
	if err := router.Shutdown(sctx); err != nil {
		log.Warn("shutdown: interactions cut short", "err", err)
	}
	if err := ds.Close(); err != nil {
		log.Warn("close Discord session", "err", err)
	}
	return nil
}

// envDuration reads a duration ("10s") from the environment; 0 when unset,
// which keeps the default.
func envDuration(getenv func(string) string, name string) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q is not a duration such as 10s", name, v)
	}
	if d == 0 {
		d = -1 // an explicit 0 turns the limit off
	}
	return d, nil
}

// envInt reads a positive whole number from the environment; 0 when unset,
// which keeps the default.
func envInt(getenv func(string) string, name string) (int, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s=%q is not a whole number of at least 1", name, v)
	}
	return n, nil
}

// applicationID is the bot's application ID as READY gave it.
func applicationID(ds *discordgo.Session) string {
	ds.State.RLock()
	defer ds.State.RUnlock()
	if a := ds.State.Application; a != nil && a.ID != "" {
		return a.ID
	}
	if u := ds.State.User; u != nil {
		return u.ID
	}
	return ""
}

// registerCommands overwrites the application's commands (in one guild, or
// globally when guildID is empty), retrying with exponential backoff until
// it succeeds or ctx ends.
func registerCommands(ctx context.Context, ds *discordgo.Session, appID, guildID string, defs []*discordgo.ApplicationCommand, backoff time.Duration, log *slog.Logger) {
	const maxBackoff = 5 * time.Minute
	for {
		// discordgo would sleep through a 429 without watching ctx; wait
		// here instead, so shutdown never waits on a rate limit.
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := ds.ApplicationCommandBulkOverwrite(appID, guildID, defs,
			discordgo.WithContext(rctx), discordgo.WithRetryOnRatelimit(false))
		cancel()
		if err == nil {
			log.Info("commands registered", "count", len(defs), "guild", guildID)
			return
		}
		if ctx.Err() != nil {
			return
		}
		wait := backoff
		var rl *discordgo.RateLimitError
		if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
			wait = max(wait, rl.RetryAfter)
		}
		log.Warn("command registration failed; retrying", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}
