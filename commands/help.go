package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

func (r *Router) helpCommand() *command {
	return &command{
		def: &discordgo.ApplicationCommand{
			Name:        "help",
			Description: "What the bot knows and how to ask it",
		},
		handle: r.handleHelp,
	}
}

func (r *Router) handleHelp(ctx context.Context, x *exchange) error {
	if err := x.deferReply(ctx, true); err != nil {
		return err
	}
	return x.edit(ctx, renderHelp(r.cfg.Catalogue.Stats(), r.cfg.Mentions, r.cfg.Remover != nil))
}

// renderHelp says what the index holds (counts, outlets, dates) and how to
// use the commands. It shows nothing of the configuration: no token, key,
// model address or file path.
func renderHelp(st seam.Stats, mentions, removes bool) message {
	var b strings.Builder
	if st.Articles == 0 {
		b.WriteString("No article is indexed yet: an admin can add some with /ingest or /reindex.\n\n")
	} else {
		fmt.Fprintf(&b, "I answer questions from %s (%s)", plural(st.Articles, "indexed news article"), plural(st.Passages, "passage"))
		if len(st.Sources) > 0 {
			outlets := make([]string, 0, len(st.Sources))
			for i, s := range st.Sources {
				if i == 12 {
					outlets = append(outlets, fmt.Sprintf("and %d more", len(st.Sources)-12))
					break
				}
				outlets = append(outlets, neutralise(clip(oneLine(s), 60)))
			}
			b.WriteString(" from " + strings.Join(outlets, ", "))
		}
		if !st.Oldest.IsZero() {
			if date(st.Oldest) == date(st.Newest) {
				fmt.Fprintf(&b, ", published on %s", date(st.Oldest))
			} else {
				fmt.Fprintf(&b, ", published between %s and %s", date(st.Oldest), date(st.Newest))
			}
		}
		b.WriteString(". Every claim in an answer cites the passage it comes from, attributed to the outlet that published it; when the articles don't cover a question I say so instead of guessing.\n\n")
	}
	b.WriteString("**/ask** `question` — a short answer with numbered citations and a Sources list. " +
		"Ask about events and statements in the articles, e.g. *Will Iran allow inspections of its military sites?* " +
		"Under the answer, **Show sources** shows the cited passages in full, and 👍/👎 tell the operator how it did.\n")
	b.WriteString("**/source** `query` — the passages that best match some words, to check a claim yourself.\n")
	b.WriteString("**/articles** `search` — the indexed articles, newest first.\n")
	if mentions {
		b.WriteString("You can also mention me with a question, and reply to my answer to ask a follow-up.\n")
	}
	b.WriteString("Admins: **/ingest** adds an article from a file or a web page; **/reindex** re-reads the article folder")
	if removes {
		b.WriteString("; **/remove** takes an article out")
	}
	b.WriteString(".")
	return message{Content: b.String(), Ephemeral: true}
}
