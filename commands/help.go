package commands

import (
	"context"
	"fmt"
	"slices"
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
// use the commands, within one message: the outlets named are as many as
// fit (at most 12), the others counted. It shows nothing of the
// configuration: no token, key, model address or file path. removes says
// whether /remove is offered.
func renderHelp(st seam.Stats, mentions, removes bool) message {
	usage := helpUsage(mentions, removes)
	if st.Articles == 0 {
		return message{Content: "No article is indexed yet: an admin can add some with /ingest or /reindex.\n\n" + usage, Ephemeral: true}
	}
	head := fmt.Sprintf("I answer questions from %s (%s)", plural(st.Articles, "indexed news article"), plural(st.Passages, "passage"))
	var tail strings.Builder
	if !st.Oldest.IsZero() {
		if date(st.Oldest) == date(st.Newest) {
			fmt.Fprintf(&tail, ", published on %s", date(st.Oldest))
		} else {
			fmt.Fprintf(&tail, ", published between %s and %s", date(st.Oldest), date(st.Newest))
		}
	}
	tail.WriteString(". Every claim in an answer cites the passage it comes from, attributed to the outlet that published it; when the articles don't cover a question I say so instead of guessing.\n\n")
	room := MessageLimit - width(head) - width(tail.String()) - width(usage)
	return message{Content: head + helpOutlets(st.Sources, room) + tail.String() + usage, Ephemeral: true}
}

// maxHelpOutlets is the most outlets /help names.
const maxHelpOutlets = 12

// helpOutlets names the outlets, " from a, b, and 3 more", in at most room
// characters: as many names as fit, the rest counted.
func helpOutlets(sources []string, room int) string {
	if len(sources) == 0 {
		return ""
	}
	names := make([]string, 0, min(len(sources), maxHelpOutlets))
	for _, s := range sources[:min(len(sources), maxHelpOutlets)] {
		names = append(names, neutralise(clip(oneLine(s), 60)))
	}
	for k := len(names); k >= 0; k-- {
		parts := slices.Clone(names[:k])
		if rest := len(sources) - k; rest > 0 {
			if k == 0 {
				parts = append(parts, plural(rest, "outlet"))
			} else {
				parts = append(parts, fmt.Sprintf("and %d more", rest))
			}
		}
		if text := " from " + strings.Join(parts, ", "); width(text) <= room {
			return text
		}
	}
	return ""
}

// helpUsage says how to use the commands.
func helpUsage(mentions, removes bool) string {
	var b strings.Builder
	b.WriteString("**/ask** `question` — a short answer with numbered citations and a Sources list. " +
		"Ask about events and statements in the articles, e.g. *Will Iran allow inspections of its military sites?* " +
		"While it is written, **Stop** ends it. Under the answer, **Show sources** shows the cited passages in full, and 👍/👎 tell the operator how it did. " +
		"With `private` only you see it, and **Share** posts it.\n")
	b.WriteString("On any message, **Apps → Check against the articles** shows you what the articles say about it.\n")
	b.WriteString("**/source** `query` — the passages that best match some words, to check a claim yourself; `outlet`, `from` and `to` narrow it.\n")
	b.WriteString("**/articles** `search` — the indexed articles, newest first.\n")
	if mentions {
		b.WriteString("You can also mention me with a question, and reply to my answer to ask a follow-up.\n")
	}
	b.WriteString("Admins: **/ingest** adds an article from a file or a web page; **/reindex** re-reads the article folder")
	if removes {
		b.WriteString("; **/remove** takes an article out")
	}
	b.WriteString(".")
	return b.String()
}
