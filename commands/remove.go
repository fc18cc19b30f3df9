package commands

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

func (r *Router) removeCommand() *command {
	return adminCommand(&discordgo.ApplicationCommand{
		Name:        "remove",
		Description: "Admins: take an article out of the corpus",
		Options: []*discordgo.ApplicationCommandOption{
			{
				Type:        discordgo.ApplicationCommandOptionString,
				Name:        "article",
				Description: "The article's ID, or a file to remove all its articles (as /articles shows them)",
				Required:    true,
				MaxLength:   500,
			},
		},
	}, r.handleRemove)
}

// handleRemove removes the article (or file) named and reports what went,
// privately. Removal is always explicit: a reindex of a folder never
// removes what /ingest or another folder added. The router has checked
// the user may (see checkAdmin).
func (r *Router) handleRemove(ctx context.Context, x *exchange) error {
	target := strings.TrimSpace(optString(x.i, "article"))
	if target == "" {
		return userErrorf("Name the article to remove: its ID, as /articles shows it.")
	}
	if err := x.deferReply(ctx, true); err != nil {
		return err
	}
	start := time.Now()
	// As /reindex: the removal's reindex, if any, is bound by the bot's
	// shutdown, not by the interaction's deadline.
	res, err := r.cfg.Remover.Remove(r.base, target, actor(x.i))
	x.trace.stage("remove", time.Since(start))
	if err != nil {
		return fmt.Errorf("remove %q: %w", target, err)
	}
	x.trace.set(slog.Int("removed", len(res.Articles)))
	return x.edit(ctx, renderRemoved(res))
}

// renderRemoved lists the articles a removal took out, and warns when an
// import of their folder would bring them back.
func renderRemoved(res seam.Removed) message {
	var b strings.Builder
	fmt.Fprintf(&b, "Removed %s:", plural(len(res.Articles), "article"))
	folders := map[string]bool{}
	for i, a := range res.Articles {
		if i == 10 {
			fmt.Fprintf(&b, "\n…and %d more.", len(res.Articles)-10)
			break
		}
		fmt.Fprintf(&b, "\n• `%s` %s", strings.ReplaceAll(clip(a.ID, 120), "`", "'"), neutralise(orUntitled(clip(oneLine(a.Title), 200))))
	}
	for _, a := range res.Articles {
		if a.Origin != "" && a.Origin != "ingest" {
			folders[a.Origin] = true
		}
	}
	if len(folders) > 0 {
		b.WriteString("\nThey came from an article folder: delete their files there too, or the next /reindex of it adds them back.")
	}
	return message{Content: clip(b.String(), MessageLimit), Ephemeral: true}
}

// actor says who ran an interaction, for the corpus' records of who added
// or removed an article.
func actor(i *discordgo.Interaction) string {
	name := ""
	switch {
	case i.Member != nil && i.Member.User != nil:
		name = i.Member.User.Username
	case i.User != nil:
		name = i.User.Username
	}
	return fmt.Sprintf("Discord user %s (%s)", name, interactionUserID(i))
}
