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

func (r *Router) reindexCommand() *command {
	return adminCommand(&discordgo.ApplicationCommand{
		Name:        "reindex",
		Description: "Admins: re-read the article folder and update the index",
	}, r.handleReindex)
}

// handleReindex runs a reindex, showing its progress by editing a private
// reply, then the summary; a reindex that outlives the interaction's token
// (15 minutes) reports in the channel instead (see exchange.report).
// Questions go on being answered from the previous index meanwhile.
func (r *Router) handleReindex(ctx context.Context, x *exchange) error {
	if err := x.deferReply(ctx, true); err != nil {
		return err
	}
	sum, err := r.reindex(ctx, x)
	switch {
	case err != nil && x.tokenLeft() > tokenMargin:
		return err
	case err != nil:
		// Too late for the private reply: say it where it can be read.
		x.trace.fail(err)
		return x.report(message{Content: userText(err, r.supported)})
	}
	return x.report(renderSummary(sum))
}

// reindex runs the Indexer with progress edits. The reindex itself is not
// bound by the interaction's deadline (a large corpus may take longer than
// Discord keeps the reply editable), only by the bot's shutdown.
func (r *Router) reindex(ctx context.Context, x *exchange) (seam.Summary, error) {
	th := startThrottle(ctx, r.cfg.EditInterval, x.edit)
	start := time.Now()
	sum, err := r.cfg.Indexer.Reindex(r.base, func(p seam.Progress) {
		th.update(renderProgress(p))
	})
	th.halt()
	x.trace.stage("reindex", time.Since(start))
	if err != nil {
		return sum, fmt.Errorf("reindex: %w", err)
	}
	if sum.Duration == 0 {
		sum.Duration = time.Since(start)
	}
	traceSummary(x.trace, sum)
	return sum, nil
}

// traceSummary puts a reindex's counts on the log line.
func traceSummary(tr *trace, sum seam.Summary) {
	tr.set(slog.Int("articles", sum.Articles), slog.Int("added", len(sum.Added)),
		slog.Int("changed", len(sum.Changed)), slog.Int("removed", len(sum.Removed)), slog.Int("skipped", len(sum.Skipped)))
}

// renderProgress shows how far a reindex has come.
func renderProgress(p seam.Progress) message {
	switch {
	case p.Stage == "done":
		return message{Content: "Reindexing… finishing."}
	case p.Total > 0:
		return message{Content: fmt.Sprintf("Reindexing… %s: %d/%d articles.", p.Stage, p.Done, p.Total)}
	case p.Stage != "":
		return message{Content: fmt.Sprintf("Reindexing… %s.", p.Stage)}
	}
	return message{Content: "Reindexing…"}
}

// renderSummary reports a finished reindex: the counts, then the added,
// changed and removed articles and the skipped files with their reasons,
// shortened to fit one message.
func renderSummary(s seam.Summary) message {
	head := fmt.Sprintf("Reindex finished in %.1f s: %d articles, %d passages.\nAdded %d · changed %d · removed %d · unchanged %d · skipped %d.",
		s.Duration.Seconds(), s.Articles, s.Passages, len(s.Added), len(s.Changed), len(s.Removed), s.Unchanged, len(s.Skipped))
	skipped := make([]string, len(s.Skipped))
	for i, p := range s.Skipped {
		skipped[i] = problemText(p)
	}
	sections := []struct {
		label string
		items []string
		code  bool
	}{
		{"Added", s.Added, true},
		{"Changed", s.Changed, true},
		{"Removed", s.Removed, true},
		{"Not in the folder any more (kept; /remove takes them out)", s.Missing, true},
		{"Skipped", skipped, false},
	}
	// Show as many items of each list as fit, sharing the room fairly:
	// every list gets a turn before any list gets a second item.
	shown := make([]int, len(sections))
	render := func() string {
		var b strings.Builder
		b.WriteString(head)
		for k, sec := range sections {
			if len(sec.items) == 0 {
				continue
			}
			fmt.Fprintf(&b, "\n**%s:**", sec.label)
			for _, it := range sec.items[:shown[k]] {
				if sec.code {
					it = "`" + strings.ReplaceAll(it, "`", "'") + "`"
				}
				b.WriteString("\n• " + it)
			}
			if rest := len(sec.items) - shown[k]; rest > 0 {
				fmt.Fprintf(&b, "\n…and %d more.", rest)
			}
		}
		return b.String()
	}
	text := render()
	for grew := true; grew; {
		grew = false
		for k := range sections {
			if shown[k] == len(sections[k].items) {
				continue
			}
			shown[k]++
			if next := render(); width(next) <= MessageLimit {
				text, grew = next, true
			} else {
				shown[k]--
			}
		}
	}
	return message{Content: text, Ephemeral: true}
}

// problemText describes a skipped file for an admin.
func problemText(p seam.Problem) string {
	where := p.Path
	if p.Line > 0 {
		where = fmt.Sprintf("%s line %d", p.Path, p.Line)
	}
	return fmt.Sprintf("`%s`: %s", strings.ReplaceAll(clip(where, 120), "`", "'"), neutralise(clip(oneLine(p.Reason), 160)))
}
