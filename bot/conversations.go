package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/newsbot/newsbot/bot/adapt"
	"github.com/newsbot/newsbot/commands"
	"github.com/newsbot/newsbot/internal/convstore"
)

// conversationsDir is the folder of the data folder that keeps the
// follow-up conversations when no PostgreSQL is configured.
const conversationsDir = "conversations"

// conversations opens the store of follow-up conversations: the table
// newsbot_conversations in PostgreSQL when index.postgres is set (shared
// by replicas), else files in the data folder (one process). The caller
// closes it.
func (c *cli) conversations(ctx context.Context, dataDir string) (commands.Conversations, func(), error) {
	opts := convstore.Options{TTL: c.cfg.Conversation.TTL}
	if dsn := c.cfg.Index.Postgres; dsn != "" {
		st, err := convstore.OpenPostgres(ctx, dsn, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("conversation store: %w", err)
		}
		c.log.Info("follow-up conversations are kept in PostgreSQL", "table", "newsbot_conversations")
		return adapt.Conversations{Store: st}, st.Close, nil
	}
	st, err := convstore.OpenFiles(filepath.Join(dataDir, conversationsDir), opts)
	if err != nil {
		return nil, nil, fmt.Errorf("conversation store: %w", err)
	}
	return adapt.Conversations{Store: st}, st.Close, nil
}
