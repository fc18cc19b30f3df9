package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/backoff"
)

// This file is the rest of the Discord transport: the gateway connection,
// learning the application ID, and registering the slash commands.

// BotPermissions are the permissions the bot's role needs, and all it
// needs: to see a channel and post in it (View Channel, Send Messages) and
// in its threads (Send Messages in Threads), for answers to mentions,
// which may come from a thread, and for the report of a /reindex that
// outlived its interaction; to start the thread a follow-up is answered
// in, from the answer (Create Public Threads; without it a follow-up is
// answered under the button instead); to show the Sources embed in those
// messages (Embed Links); and to reply to the message that asked (Read
// Message History). Interaction responses need none of them. The invite
// URL asks for exactly these (see InviteURL); README and docs/deploy.md
// show the number, 309237730304, and a test keeps them in step.
const BotPermissions int64 = discordgo.PermissionViewChannel |
	discordgo.PermissionSendMessages |
	discordgo.PermissionCreatePublicThreads |
	discordgo.PermissionSendMessagesInThreads |
	discordgo.PermissionEmbedLinks |
	discordgo.PermissionReadMessageHistory

// InviteURL is the address that adds the bot to a server, with its slash
// commands and BotPermissions.
func InviteURL(appID string) string {
	return "https://discord.com/api/oauth2/authorize?client_id=" + url.QueryEscape(appID) +
		"&scope=bot%20applications.commands&permissions=" + strconv.FormatInt(BotPermissions, 10)
}

// Intents are the gateway intents the router needs: guilds, and messages
// with their content when it answers mentions.
func Intents(mentions bool) discordgo.Intent {
	in := discordgo.IntentsGuilds
	if mentions {
		in |= discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentsMessageContent
	}
	return in
}

// Connect is the gateway transport: it adds the router's handlers to ds
// (HandleMessage too when Config.Mentions is set), opens the connection,
// and returns the application ID that READY named ("" when none). Close
// the session to disconnect.
func (r *Router) Connect(ds *discordgo.Session) (appID string, err error) {
	ds.AddHandler(r.HandleInteraction)
	if r.cfg.Mentions {
		ds.AddHandler(r.HandleMessage)
	}
	if err := ds.Open(); err != nil {
		return "", fmt.Errorf("connect to Discord: %w", err)
	}
	return applicationID(ds), nil
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

// FetchApplicationID asks Discord's REST API for the bot's application,
// for HTTP interactions mode, where no READY tells it.
func FetchApplicationID(ctx context.Context, ds *discordgo.Session) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	body, err := ds.RequestWithBucketID(http.MethodGet, discordgo.EndpointApplication("@me"), nil,
		discordgo.EndpointApplication(""), discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
	if err != nil {
		return "", err
	}
	var app discordgo.Application
	if err := json.Unmarshal(body, &app); err != nil {
		return "", fmt.Errorf("decode application: %w", err)
	}
	if app.ID == "" {
		return "", errors.New("the answer named no application")
	}
	return app.ID, nil
}

// Registration is one set of commands Discord keeps together: the global
// commands (GuildID empty) or one server's. Registering a set replaces the
// commands Discord had in that scope.
type Registration struct {
	GuildID  string
	Commands []*discordgo.ApplicationCommand
}

// Registrations says where each command is registered: the everyday
// commands globally, or in guildID when it is set (for testing); the admin
// commands only in the admin servers (Config.AdminGuildIDs), never
// globally, so that a server that adds the bot doesn't even see them. A
// guild that is both gets one set with all of them. The global set, when
// there is one, comes first.
func (r *Router) Registrations(guildID string) []Registration {
	var everyday, admin []*discordgo.ApplicationCommand
	for _, def := range r.Definitions() {
		if r.commands[def.Name].admin {
			admin = append(admin, def)
		} else {
			everyday = append(everyday, def)
		}
	}
	regs := []Registration{{GuildID: guildID, Commands: everyday}}
	seen := map[string]bool{}
	for _, g := range r.cfg.AdminGuildIDs {
		switch {
		case seen[g]:
		case g == guildID:
			regs[0].Commands = append(slices.Clip(regs[0].Commands), admin...)
		default:
			regs = append(regs, Registration{GuildID: g, Commands: admin})
		}
		seen[g] = true
	}
	return regs
}

// Register overwrites the application's commands in every scope of
// Registrations(guildID), each retried with exponential backoff from first
// until it succeeds or ctx ends, independently (a server that refuses, for
// example because the bot was removed from it, doesn't hold up the
// others). It returns when every scope is registered or ctx has ended.
func (r *Router) Register(ctx context.Context, ds *discordgo.Session, appID, guildID string, first time.Duration) {
	var wg sync.WaitGroup
	for _, reg := range r.Registrations(guildID) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.register(ctx, ds, appID, reg, first)
		}()
	}
	wg.Wait()
}

// register overwrites the commands of one scope, retrying.
func (r *Router) register(ctx context.Context, ds *discordgo.Session, appID string, reg Registration, first time.Duration) {
	defs, log := reg.Commands, r.log
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.Name
	}
	retry := backoff.Policy{Base: first, Max: 5 * time.Minute}
	for n := 1; ; n++ {
		// discordgo would sleep through a 429 without watching ctx; wait
		// here instead, so shutdown never waits on a rate limit.
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := ds.ApplicationCommandBulkOverwrite(appID, reg.GuildID, defs,
			discordgo.WithContext(rctx), discordgo.WithRetryOnRatelimit(false))
		cancel()
		if err == nil {
			log.Info("commands registered", "count", len(defs), "commands", strings.Join(names, ","), "guild", reg.GuildID)
			return
		}
		if ctx.Err() != nil {
			return
		}
		wait := retry.Delay(n)
		var rl *discordgo.RateLimitError
		if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
			wait = max(wait, rl.RetryAfter)
		}
		log.Warn("command registration failed; retrying", "guild", reg.GuildID, "err", err, "retry_in", wait.String())
		if backoff.Sleep(ctx, wait) != nil {
			return
		}
	}
}
