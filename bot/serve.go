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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// ShutdownGrace, when set, replaces serve.shutdown_grace: the bound of
	// the wait for in-flight interactions.
	ShutdownGrace time.Duration
	// IdentifyInterval, when set, replaces the 5 s between the gateway
	// IDENTIFYs of a process's shards.
	IdentifyInterval time.Duration
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
	shutdownGrace := c.cfg.Serve.ShutdownGrace
	if opts.ShutdownGrace > 0 {
		shutdownGrace = opts.ShutdownGrace
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

	m := metrics.New()
	// newSession makes a Discord session: REST, and the gateway when
	// opened (one a shard). Its REST errors and 429s show in the metrics.
	newSession := func() (*discordgo.Session, error) {
		ds, err := discordgo.New("Bot " + token)
		if err != nil {
			return nil, fmt.Errorf("discord session: %w", err)
		}
		ds.Identify.Intents = commands.Intents(mentions)
		if opts.HTTPClient != nil {
			ds.Client = opts.HTTPClient
		}
		if opts.Configure != nil {
			opts.Configure(ds)
		}
		client := *ds.Client
		client.Transport = m.DiscordTransport(client.Transport)
		ds.Client = &client
		return ds, nil
	}
	ds, err := newSession()
	if err != nil {
		return err
	}

	// The health endpoints come first: /healthz answers while the corpus
	// is being indexed, /readyz once the bot can answer: the index loaded
	// and, over the gateway, every shard connected.
	ready := &readiness{}
	var gateway atomic.Pointer[[]*discordgo.Session]
	if httpAddr == "" {
		ready.connected = func() bool {
			ss := gateway.Load()
			return ss != nil && allReady(*ss)
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
		// The store tells its states one at a time, in order: prev needs
		// no lock.
		var prev *retrieval.SharedState
		shared, err = c.startShared(ctx, opts.Shared, func(st retrieval.SharedState) {
			m.SetStore(st.Writable, st.Generation, st.Latest)
			m.SetIndexSize(st.Articles, st.Passages)
			if !st.Writable && (prev == nil || prev.Writable) {
				m.StoreFallback("read_only")
			}
			if !st.Listening && prev != nil && prev.Listening {
				m.StoreFallback("polling")
			}
			prev = &st
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
		st := shared.State()
		m.SetStore(st.Writable, st.Generation, st.Latest)
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
	conversations, closeConversations, err := c.conversations(ctx, dataDir)
	if err != nil {
		return err
	}
	defer closeConversations()
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
		corpus = adapt.NewSharedCorpus(shared, c.corpusDir(ix), onWrite)
	}
	rcfg := commands.Config{
		Answerer:             adapt.Engine{Engine: eng},
		Checker:              adapt.Engine{Engine: eng},
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
		Conversations:        conversations,
		ConversationTurns:    cfg.Conversation.Turns,
		ConversationTokens:   cfg.Conversation.Tokens,
		UserHashKey:          []byte(cfg.Serve.UserHashKey),
		Logger:               log,
		Observer:             interactionMetrics{m},
	}
	state, err := c.sharedState(ctx, &rcfg)
	if err != nil {
		return err
	}
	if state != nil {
		defer state.Close()
	}
	if opts.Router != nil {
		opts.Router(&rcfg)
	}
	router, err := commands.New(rcfg)
	if err != nil {
		return err
	}
	m.TrackLoad(func() metrics.Load {
		l := router.Load()
		return metrics.Load{Queued: l.Queued, Answering: l.Answering, Interactions: l.Interactions}
	})
	ready.index.Store(true)

	var appID string
	mode := "HTTP interactions at " + httpAddr
	if httpAddr == "" {
		plan, err := planShards(ctx, ds, cfg.Serve.Shards, cfg.Serve.ShardIDs, log)
		if err != nil {
			return err
		}
		first := true
		sessions, readyID, err := connectShards(ctx, router, plan, func() (*discordgo.Session, error) {
			if first { // the REST session, already made
				first = false
				return ds, nil
			}
			return newSession()
		}, opts.IdentifyInterval, log)
		if err != nil {
			return err
		}
		gateway.Store(&sessions)
		defer closeSessions(sessions, log)
		appID = firstNonEmpty(cfg.Discord.AppID, readyID)
		if appID == "" {
			return errors.New("connect to Discord: READY named no application; set DISCORD_APP_ID")
		}
		mode = "gateway"
		if plan.count > 1 {
			mode = fmt.Sprintf("gateway, shards %s of %d", joinInts(plan.owned), plan.count)
		}
	} else {
		if cfg.Serve.Shards != 1 || len(cfg.Serve.ShardIDs) > 0 {
			log.Warn("shards are a gateway setting; ignoring serve.shards and serve.shard_ids in HTTP interactions mode")
		}
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
	log.Info("serving", "application", appID, "mode", mode, "commands", scope, "admin_guilds", strings.Join(adminGuilds, ","),
		"articles", st.Articles, "offline", eng.Offline(), "shared_state", state != nil)
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
	// Draining: /readyz says 503, so that a load balancer stops sending
	// interactions here, while those it still sends are handled. Then new
	// ones are told the bot is restarting, and those in flight finish.
	ready.stopping.Store(true)
	if grace := cfg.Serve.DrainGrace; grace > 0 && serveErr == nil {
		log.Info("draining: /readyz answers 503 while interactions are still handled", "grace", grace.String())
		t := time.NewTimer(grace)
		select {
		case <-t.C:
		case serveErr = <-servers.failed:
			t.Stop()
			log.Error("a listener failed while draining; shutting down", "err", serveErr)
		}
	}
	log.Info("shutting down: finishing the interactions in flight", "grace", shutdownGrace.String())
	stopReg()
	wg.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := router.Shutdown(sctx); err != nil {
		log.Warn("shutdown: interactions cut short", "err", err)
	}
	// The writes in flight are done: stop following the shared corpus
	// (which saves its snapshot in the data folder).
	stopFollowing()
	return serveErr
}

// joinInts lists numbers as "0,1,2".
func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
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

// Rejected implements commands.Observer.
func (o interactionMetrics) Rejected(reason string, status int) { o.m.Rejected(reason, status) }

// Fallback implements commands.Observer.
func (o interactionMetrics) Fallback(what string) { o.m.SharedStateFallback(what) }
