package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/bot/adapt"
	"github.com/newsbot/newsbot/commands"
	"github.com/newsbot/newsbot/internal/fetch"
	"github.com/newsbot/newsbot/internal/metrics"
	"github.com/newsbot/newsbot/retrieval"
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
	// Listening, when not nil, is told the address each listener is bound
	// to ("metrics", "interactions") once it accepts connections, so that
	// tests can ask for port 0.
	Listening func(name string, addr net.Addr)
	// Now is the clock of the interactions endpoint's timestamp check
	// (time.Now).
	Now func() time.Time
	// Shared adjusts the options of the shared corpus store, with
	// index.postgres set (tests shorten its waits).
	Shared func(*retrieval.SharedOptions)
	// Index, when not nil, is told the index once it is open, before the
	// bot serves (tests search it directly).
	Index func(*retrieval.Index)
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
	addIndexFlags(fs)
	fs.String("feedback", "", "file the 👍/👎 votes are appended to (default $NEWSBOT_FEEDBACK or feedback.jsonl in the data folder)")
	fs.Bool("mentions", false, "also answer messages that mention the bot (needs the Message Content intent; default $NEWSBOT_MENTIONS)")
	fs.String("http", "", "serve Discord's interactions endpoint (POST /interactions) at this address instead of using the gateway (default $NEWSBOT_HTTP)")
	fs.String("metrics", "", "serve /healthz, /readyz and /metrics at this address (default $NEWSBOT_METRICS; off when empty)")
	file := addConfigFlag(fs)
	if err := fs.Parse(args); err != nil {
		return usageError{}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	if err := c.configure(fs, *file, true); err != nil {
		return err
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 20 * time.Second
	}
	if opts.RegisterBackoff <= 0 {
		opts.RegisterBackoff = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg, log := c.cfg, c.log
	token := strings.TrimSpace(strings.TrimPrefix(cfg.Discord.Token, "Bot "))
	if token == "" {
		return errors.New("DISCORD_TOKEN is not set: put the bot token from the Discord developer portal in the DISCORD_TOKEN environment variable")
	}
	httpAddr := cfg.Serve.HTTP
	var publicKey ed25519.PublicKey
	if httpAddr != "" {
		key, err := hex.DecodeString(cfg.Discord.PublicKey)
		switch {
		case cfg.Discord.PublicKey == "":
			return errors.New("DISCORD_PUBLIC_KEY is not set: HTTP interactions (-http, NEWSBOT_HTTP) need the application's public key from the Discord developer portal")
		case err != nil || len(key) != ed25519.PublicKeySize:
			return fmt.Errorf("DISCORD_PUBLIC_KEY is not a public key: want %d hexadecimal digits", 2*ed25519.PublicKeySize)
		}
		publicKey = key
	}
	guildID := cfg.Discord.GuildID
	adminGuilds, err := adminGuildIDs(cfg.Discord.AdminGuilds, guildID)
	if err != nil {
		return err
	}
	mentions := cfg.Serve.Mentions
	if mentions && httpAddr != "" {
		log.Warn("mentions are answered only over the gateway; ignoring serve.mentions in HTTP interactions mode")
		mentions = false
	}

	ds, err := discordgo.New("Bot " + token)
	if err != nil {
		return fmt.Errorf("discord session: %w", err)
	}
	ds.Identify.Intents = commands.Intents(mentions)
	if opts.HTTPClient != nil {
		ds.Client = opts.HTTPClient
	}
	if opts.Configure != nil {
		opts.Configure(ds)
	}

	// The health endpoints come first: /healthz answers while the corpus
	// is being indexed, /readyz once the bot can answer: the index loaded
	// and, over the gateway, connected to Discord.
	m := metrics.New()
	ready := &readiness{}
	if httpAddr == "" {
		ready.connected = func() bool {
			ds.RLock()
			defer ds.RUnlock()
			return ds.DataReady
		}
	}
	var servers serverGroup
	defer servers.close(log)
	if addr := cfg.Serve.Metrics; addr != "" {
		if err := servers.start("metrics", addr, observabilityMux(m, ready), log, opts.Listening); err != nil {
			return err
		}
	}

	// The corpus: the index in the data folder, or with index.postgres
	// the shared store in PostgreSQL and this replica's snapshot of it,
	// followed by a loop this function owns until it returns.
	var (
		ix     *retrieval.Index
		shared *retrieval.Shared
	)
	stopFollowing := func() {}
	if c.sharedCorpus() {
		m.UseStore()
		fctx, cancel := context.WithCancel(context.Background())
		var following sync.WaitGroup
		stopFollowing = func() {
			cancel()
			following.Wait()
		}
		defer func() {
			stopFollowing()
			if shared != nil {
				shared.Close()
			}
		}()
		shared, err = c.startShared(ctx, opts.Shared, func(st retrieval.SharedState) {
			m.SetStore(st.Writable, st.Generation)
			m.SetIndexSize(st.Articles, st.Passages)
		},
			func(sh *retrieval.Shared) {
				writes := sh.Writable
				ready.writes.Store(&writes)
				following.Add(1)
				go func() {
					defer following.Done()
					if err := sh.Run(fctx); err != nil {
						log.Error("following the shared corpus stopped", "err", err)
					}
				}()
			})
		if err != nil {
			if ctx.Err() != nil {
				return nil // told to stop while waiting for PostgreSQL
			}
			return err
		}
		ix = shared.Index()
		m.SetStore(shared.State().Writable, shared.State().Generation)
	} else {
		ix, err = c.openIndex(ctx, true, func(d time.Duration, err error) { m.ObserveReindex(d, err != nil) })
		if err != nil {
			return err
		}
		defer ix.Close()
	}
	if opts.Index != nil {
		opts.Index(ix)
	}
	st := ix.Stats()
	m.SetIndexSize(st.Articles, st.Passages)
	eng, err := c.engine(ix, 0)
	if err != nil {
		return err
	}
	dataDir, err := c.dataDir()
	if err != nil {
		return err
	}
	onWrite := func(d time.Duration, err error) {
		// Every reindex, by /reindex or /ingest, shows in the metrics.
		m.ObserveReindex(d, err != nil)
		st := ix.Stats()
		m.SetIndexSize(st.Articles, st.Passages)
	}
	var corpus interface {
		commands.Searcher
		commands.Catalogue
		commands.Indexer
		commands.Ingester
		commands.Remover
	} = adapt.Index{Index: ix, Corpus: c.corpusDir(ix), OnReindex: onWrite}
	if shared != nil {
		corpus = adapt.NewShared(shared, c.corpusDir(ix), onWrite)
	}
	rcfg := commands.Config{
		Answerer:             adapt.Engine{Engine: eng},
		Searcher:             corpus,
		Catalogue:            corpus,
		Indexer:              corpus,
		Ingester:             corpus,
		Remover:              corpus,
		FeedbackLog:          firstNonEmpty(cfg.Serve.Feedback, filepath.Join(dataDir, "feedback.jsonl")),
		AdminGuildIDs:        adminGuilds,
		AdminRoleIDs:         cfg.Discord.AdminRoles,
		Cooldown:             cfg.Serve.Cooldown, // negative when set to 0: off
		MaxConcurrentAnswers: cfg.Serve.MaxConcurrent,
		QueueSize:            cfg.Serve.Queue,
		MaxUploadBytes:       cfg.Index.MaxFileBytes, // an upload is refused at the size the index reads
		Fetcher:              adapt.Fetcher{Fetcher: fetch.New(fetch.Config{MaxBytes: cfg.Index.MaxFileBytes})},
		Mentions:             mentions,
		UserHashKey:          []byte(cfg.Serve.UserHashKey),
		Logger:               log,
		Observer:             interactionMetrics{m},
	}
	if opts.Router != nil {
		opts.Router(&rcfg)
	}
	router, err := commands.New(rcfg)
	if err != nil {
		return err
	}
	ready.index.Store(true)

	var appID string
	if httpAddr == "" {
		readyID, err := router.Connect(ds)
		if err != nil {
			return err
		}
		defer func() {
			if err := ds.Close(); err != nil {
				log.Warn("close Discord session", "err", err)
			}
		}()
		appID = firstNonEmpty(cfg.Discord.AppID, readyID)
		if appID == "" {
			return errors.New("connect to Discord: READY named no application; set DISCORD_APP_ID")
		}
	} else {
		appID = cfg.Discord.AppID
		if appID == "" {
			if appID, err = commands.FetchApplicationID(ctx, ds); err != nil {
				return fmt.Errorf("learn the application ID (or set DISCORD_APP_ID): %w", err)
			}
		}
		if err := servers.start("interactions", httpAddr, router.Endpoint(publicKey, ds, opts.Now), log, opts.Listening); err != nil {
			return err
		}
	}
	scope := "globally (may take up to an hour to appear)"
	if guildID != "" {
		scope = "in guild " + guildID
	}
	mode := "gateway"
	if httpAddr != "" {
		mode = "HTTP interactions at " + httpAddr
	}
	log.Info("serving", "application", appID, "mode", mode, "commands", scope, "admin_guilds", strings.Join(adminGuilds, ","),
		"articles", st.Articles, "offline", eng.Offline())
	if len(adminGuilds) == 0 {
		log.Warn("/reindex and /ingest are off in every server: set NEWSBOT_ADMIN_GUILDS (or DISCORD_GUILD_ID) to the servers that may change the corpus")
	}

	// Registration retries in the background: the bot answers commands
	// registered earlier even when Discord refuses the update.
	regCtx, stopReg := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		router.Register(regCtx, ds, appID, guildID, opts.RegisterBackoff)
	}()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-servers.failed:
		log.Error("a listener failed; shutting down", "err", serveErr)
	}
	log.Info("shutting down: finishing the interactions in flight", "grace", opts.ShutdownGrace.String())
	ready.stopping.Store(true)
	stopReg()
	wg.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownGrace)
	defer cancel()
	if err := router.Shutdown(sctx); err != nil {
		log.Warn("shutdown: interactions cut short", "err", err)
	}
	// The writes in flight are done: stop following the shared corpus
	// (which saves its snapshot in the data folder).
	stopFollowing()
	return serveErr
}

// adminGuildIDs are the servers where the admin commands work: those of
// discord.admin_guilds, else the server of discord.guild_id, else none.
// Each must be a server ID (a snowflake: digits).
func adminGuildIDs(listed []string, guildID string) ([]string, error) {
	if len(listed) == 0 && guildID != "" {
		listed = []string{guildID}
	}
	for _, g := range listed {
		if !snowflake.MatchString(g) {
			return nil, usageError{fmt.Sprintf("config: discord.admin_guilds: %q is not a server ID (right-click the server with Developer Mode on, Copy Server ID)", g)}
		}
	}
	return listed, nil
}

// snowflake matches a Discord ID.
var snowflake = regexp.MustCompile(`^[0-9]{1,20}$`)

// interactionMetrics counts the interactions the commands report in the
// metrics.
type interactionMetrics struct{ m *metrics.Metrics }

// Observe implements commands.Observer.
func (o interactionMetrics) Observe(ev commands.Event) {
	in := metrics.Interaction{Command: ev.Command, Outcome: ev.Outcome, Total: ev.Total, Answered: ev.Answered,
		Fallback: ev.Fallback, PromptTokens: ev.PromptTokens, CompletionTokens: ev.CompletionTokens}
	for _, s := range ev.Stages {
		in.Stages = append(in.Stages, metrics.Stage{Name: s.Name, Duration: s.Duration})
	}
	o.m.Observe(in)
}
