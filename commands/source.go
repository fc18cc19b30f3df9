package commands

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

const (
	defaultSourceCount = 5
	maxSourceCount     = 10
)

func (r *Router) sourceCommand() *command {
	minCount := 1.0
	return &command{
		def: &discordgo.ApplicationCommand{
			Name:        "source",
			Description: "Show the article passages that best match a query, to check a claim",
			Options: append([]*discordgo.ApplicationCommandOption{
				{
					Type:        discordgo.ApplicationCommandOptionString,
					Name:        "query",
					Description: "Words to look for, e.g. missile sanctions",
					Required:    true,
					MaxLength:   MaxQuestionRunes, // SanitizeQuestion's limit
				},
				{
					Type:        discordgo.ApplicationCommandOptionInteger,
					Name:        "count",
					Description: fmt.Sprintf("How many passages (1-%d, default %d)", maxSourceCount, defaultSourceCount),
					MinValue:    &minCount,
					MaxValue:    maxSourceCount,
				},
			}, filterOptions("passages")...),
		},
		handle: r.handleSource,
	}
}

// handleSource answers /source with the best passages, matched words in
// bold. The reply is public: it is meant for checking a claim in the
// conversation.
func (r *Router) handleSource(ctx context.Context, x *exchange) error {
	query, err := SanitizeQuestion(optString(x.i, "query"))
	if err != nil {
		return err
	}
	count := defaultSourceCount
	if o := option(x.i, "count"); o != nil && o.Type == discordgo.ApplicationCommandOptionInteger {
		count = min(max(int(o.IntValue()), 1), maxSourceCount)
	}
	f, err := r.filterOf(x.i)
	if err != nil {
		return err
	}
	if err := x.deferReply(ctx, false); err != nil {
		return err
	}
	res, err := r.cfg.Searcher.Search(ctx, query, count, f)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	x.trace.set(slog.Int("results", len(res)))
	hl := func(text string) string { return r.cfg.Searcher.Highlight(text, query, markOpen, markClose) }
	return x.sendAll(ctx, renderSource(query, f, res, hl))
}

// Highlights are marked with these control characters first, so that
// escaping the text's own Markdown leaves them alone; they become "**" last.
const (
	markOpen  = "\x01"
	markClose = "\x02"
)

// renderSource shows search results as one embed per passage: title
// (linked), a highlighted excerpt centred on the first match, and outlet,
// date and passage ID, under a line naming the query and the filter f.
// highlight wraps matched words in markOpen and markClose.
func renderSource(query string, f seam.Filter, res []seam.Passage, highlight func(string) string) []message {
	q := neutralise(clip(query, 200))
	among := ""
	if !f.IsZero() {
		among = " (" + describeFilter(f) + ")"
	}
	if len(res) == 0 {
		return []message{{Content: fmt.Sprintf("No passage%s matches “%s”.", among, q)}}
	}
	// Room for every excerpt within the 6,000 characters of a message's
	// embeds, so the results usually fit one message.
	per := min(700, (maxEmbedTotal-200)/len(res)-160)
	embeds := make([]*discordgo.MessageEmbed, 0, len(res))
	for n, p := range res {
		text := strings.Map(dropMarks, p.Text)
		marked := excerptAround(highlight(text), per)
		body := strings.NewReplacer(markOpen, "**", markClose, "**").Replace(neutralise(marked))
		embeds = append(embeds, passageEmbed(fmt.Sprintf("[%d] ", n+1), p, body, maxEmbedDescription-96))
	}
	return packEmbeds(fmt.Sprintf("Passages%s matching “%s”:", among, q), embeds)
}

// dropMarks removes the highlight marker characters from article text.
func dropMarks(r rune) rune {
	if r == '\x01' || r == '\x02' {
		return -1
	}
	return r
}

// excerptAround cuts marked text to about n characters (runes), starting a
// little before the first highlight, at word boundaries, never inside a
// highlight, with "…" where it cut.
func excerptAround(s string, n int) string {
	s = oneLine(s)
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	first := strings.Index(s, markOpen)
	start := 0
	if first > 0 {
		start = max(0, len([]rune(s[:first]))-n/4)
	}
	end := min(len(rs), start+n)
	if end == len(rs) {
		start = max(0, end-n)
	}
	// Move to word boundaries: start after a space, end at one.
	if start > 0 {
		for i := start; i < min(start+40, end); i++ {
			if unicode.IsSpace(rs[i]) {
				start = i + 1
				break
			}
		}
	}
	if end < len(rs) {
		for i := end; i > max(end-40, start); i-- {
			if unicode.IsSpace(rs[i-1]) {
				end = i - 1
				break
			}
		}
	}
	out := string(rs[start:end])
	// Never leave a highlight open, nor a closing mark without its opening.
	if strings.Count(out, markClose) > strings.Count(out, markOpen) {
		out = markOpen + out
	}
	if strings.Count(out, markOpen) > strings.Count(out, markClose) {
		out += markClose
	}
	if start > 0 {
		out = "…" + out
	}
	if end < len(rs) {
		out += "…"
	}
	return out
}
