package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands"
)

// identifyInterval is the least time between two IDENTIFYs in one of
// Discord's rate limit buckets (max_concurrency of them open at once).
const identifyInterval = 5 * time.Second

// shardPlan is how this process takes part in the gateway: the shard
// count of the bot as a whole, the shards it connects, and how many
// shards may identify at once (Discord's max_concurrency).
type shardPlan struct {
	count       int
	owned       []int
	concurrency int
}

// planShards resolves serve.shards and serve.shard_ids: a count of 0 is
// Discord's recommendation (GET /gateway/bot, through rest); no IDs are
// all the shards. When it connects several shards, it asks Discord how
// many may identify at once (1 if it can't tell).
func planShards(ctx context.Context, rest *discordgo.Session, count int, ids []int, log *slog.Logger) (shardPlan, error) {
	p := shardPlan{count: count, concurrency: 1}
	var gb *discordgo.GatewayBotResponse
	ask := func() error {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		var err error
		gb, err = rest.GatewayBot(discordgo.WithContext(rctx), discordgo.WithRetryOnRatelimit(false))
		return err
	}
	if count == 0 {
		if len(ids) > 0 {
			return p, usageError{"config: serve.shard_ids needs a shard count in serve.shards ($NEWSBOT_SHARDS), not auto: processes that each ask Discord could disagree on the count and handle some servers twice or not at all"}
		}
		if err := ask(); err != nil {
			return p, fmt.Errorf("ask Discord for the recommended shard count (GET /gateway/bot), or set NEWSBOT_SHARDS: %w", err)
		}
		p.count = max(gb.Shards, 1)
		log.Info("shard count from Discord's recommendation", "shards", p.count)
	}
	for _, id := range ids {
		if id >= p.count {
			return p, usageError{fmt.Sprintf("config: serve.shard_ids: shard %d is not below the shard count %d (shards are numbered from 0)", id, p.count)}
		}
	}
	p.owned = ids
	if len(p.owned) == 0 {
		for id := range p.count {
			p.owned = append(p.owned, id)
		}
	}
	if len(p.owned) > 1 {
		if gb == nil {
			if err := ask(); err != nil {
				log.Warn("could not learn how many shards may identify at once; opening them one at a time", "err", err)
			}
		}
		if gb != nil && gb.SessionStartLimit.MaxConcurrency > 1 {
			p.concurrency = gb.SessionStartLimit.MaxConcurrency
		}
	}
	return p, nil
}

// connectShards opens one gateway session per owned shard, each made by
// newSession, with the router's handlers; sessions of one rate limit
// bucket are opened interval apart (identifyInterval when 0), as Discord
// requires. It returns the sessions (first the one REST calls go
// through) and the application ID READY named. On failure it closes
// those it opened.
func connectShards(ctx context.Context, router *commands.Router, p shardPlan, newSession func() (*discordgo.Session, error),
	interval time.Duration, log *slog.Logger) ([]*discordgo.Session, string, error) {
	if interval <= 0 {
		interval = identifyInterval
	}
	var sessions []*discordgo.Session
	var appID string
	for n, id := range p.owned {
		if n > 0 && n%p.concurrency == 0 {
			t := time.NewTimer(interval)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				closeSessions(sessions, log)
				return nil, "", fmt.Errorf("connect to Discord: %w", ctx.Err())
			}
		}
		ds, err := newSession()
		if err != nil {
			closeSessions(sessions, log)
			return nil, "", err
		}
		ds.ShardID, ds.ShardCount = id, p.count
		readyID, err := router.Connect(ds)
		if err != nil {
			closeSessions(sessions, log)
			return nil, "", fmt.Errorf("shard %d of %d: %w", id, p.count, err)
		}
		sessions = append(sessions, ds)
		appID = firstNonEmpty(appID, readyID)
		if p.count > 1 {
			log.Info("gateway shard connected", "shard", id, "shards", p.count)
		}
	}
	if len(sessions) == 0 {
		return nil, "", errors.New("connect to Discord: no shard to connect")
	}
	return sessions, appID, nil
}

// closeSessions closes gateway sessions at once (discordgo's Close of an
// open session takes a second).
func closeSessions(sessions []*discordgo.Session, log *slog.Logger) {
	var wg sync.WaitGroup
	for _, ds := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ds.Close(); err != nil {
				log.Warn("close Discord session", "shard", ds.ShardID, "err", err)
			}
		}()
	}
	wg.Wait()
}

// allReady reports whether every session has its READY.
func allReady(sessions []*discordgo.Session) bool {
	for _, ds := range sessions {
		ds.RLock()
		ok := ds.DataReady
		ds.RUnlock()
		if !ok {
			return false
		}
	}
	return len(sessions) > 0
}
