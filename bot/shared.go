package main

import (
	"context"
	"fmt"
	"time"

	"github.com/newsbot/newsbot/bot/adapt"
	"github.com/newsbot/newsbot/bot/config"
	"github.com/newsbot/newsbot/commands"
	"github.com/newsbot/newsbot/internal/pgstate"
)

// postgresDSN is the PostgreSQL database the replicas share, "" when
// none: the one setting names it for the corpus store and for the state
// of fair use, replays and votes.
func postgresDSN(cfg *config.Config) string { return cfg.Index.Postgres }

// sharedState puts the per-user rates, the answer slots (serve.max_concurrent
// of them for all the replicas together), the replay memory and the votes
// in PostgreSQL when one is configured, and returns the store to close
// (nil when none). PostgreSQL being down doesn't stop the bot: the router
// falls back to its own state until it is back. Without
// serve.user_hash_key, the replicas agree on a key kept in the database;
// if it can't be read at start, this process uses a random one, and a
// user's hash differs here from the other replicas until it restarts.
func (c *cli) sharedState(ctx context.Context, rcfg *commands.Config) (*pgstate.Store, error) {
	dsn := postgresDSN(c.cfg)
	if dsn == "" {
		return nil, nil
	}
	st, err := pgstate.Open(dsn, pgstate.Options{Slots: c.cfg.Serve.MaxConcurrent, Logger: c.log})
	if err != nil {
		return nil, fmt.Errorf("config: index.postgres ($NEWSBOT_POSTGRES): %w", err)
	}
	sh := adapt.Shared{Store: st}
	rcfg.Limiter, rcfg.ReplayGuard, rcfg.Votes, rcfg.ModelSlots = sh, sh, sh, sh
	if len(rcfg.UserHashKey) == 0 {
		kctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		key, err := st.UserHashKey(kctx)
		cancel()
		if err != nil {
			c.log.Warn("shared state: could not read the user hash key from PostgreSQL; this process uses its own until it restarts (set NEWSBOT_USER_HASH_KEY, the same for every replica, to avoid this)",
				"err", err)
		} else {
			rcfg.UserHashKey = key
		}
	}
	c.log.Info("shared state in PostgreSQL: per-user rates, answer slots, replays and votes (the feedback file is not used)",
		"answer_slots", c.cfg.Serve.MaxConcurrent)
	return st, nil
}
