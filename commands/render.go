package commands

import (
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/bwmarrin/discordgo"
)

// Discord's embed limits, and the margins the renderers keep under them.
const (
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxEmbedFooter      = 2048
	maxEmbedsPerMessage = 10
	maxEmbedTotal       = 6000
	// descriptionBudget leaves room under maxEmbedDescription for a
	// closing line.
	descriptionBudget = 3900
)

// embedColor is the accent of the bot's embeds.
const embedColor = 0x3b82f6

// oneLine collapses every run of whitespace into one space and trims.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// clip shortens s to at most n characters (counted as Discord counts
// them, see width), at a word boundary when there is one in the last
// fifth, adding "…" when it cut.
func clip(s string, n int) string {
	if width(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	cut := s[:prefixWithin(s, n-1)]
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > len(cut)*4/5 {
		cut = cut[:i]
	}
	return strings.TrimRightFunc(cut, unicode.IsSpace) + "…"
}

// safeURL returns u when it is an http(s) address that can sit inside a
// Markdown link, with the characters that would end the link escaped, or
// "" when it can't be linked.
func safeURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	s := p.String()
	if len(s) > 512 {
		return ""
	}
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(s)
}

// link renders text (untrusted, neutralised here) linked to u when u is
// usable: a masked link of the bot's own, to an article's address.
func link(text, u string) string {
	t := neutralise(text)
	if su := safeURL(u); su != "" {
		return "[" + t + "](" + su + ")"
	}
	return t
}

// date renders a publication date, "" when unknown.
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// joinNonEmpty joins the non-empty values with sep.
func joinNonEmpty(sep string, vals ...string) string {
	var kept []string
	for _, v := range vals {
		if v != "" {
			kept = append(kept, v)
		}
	}
	return strings.Join(kept, sep)
}

// orUntitled gives a title to show for an article without one.
func orUntitled(title string) string {
	if strings.TrimSpace(title) == "" {
		return "(untitled)"
	}
	return oneLine(title)
}

// embedSize counts the characters Discord adds up against maxEmbedTotal.
func embedSize(e *discordgo.MessageEmbed) int {
	n := width(e.Title) + width(e.Description)
	if e.Footer != nil {
		n += width(e.Footer.Text)
	}
	if e.Author != nil {
		n += width(e.Author.Name)
	}
	for _, f := range e.Fields {
		n += width(f.Name) + width(f.Value)
	}
	return n
}

// packEmbeds spreads embeds over as few messages as Discord's limits allow
// (10 embeds and 6,000 characters of embeds a message); content goes with
// the first.
func packEmbeds(content string, embeds []*discordgo.MessageEmbed) []message {
	msgs := []message{{Content: content}}
	total := 0
	for _, e := range embeds {
		cur := &msgs[len(msgs)-1]
		size := embedSize(e)
		if len(cur.Embeds) == maxEmbedsPerMessage || (len(cur.Embeds) > 0 && total+size > maxEmbedTotal) {
			msgs = append(msgs, message{})
			cur = &msgs[len(msgs)-1]
			total = 0
		}
		cur.Embeds = append(cur.Embeds, e)
		total += size
	}
	return msgs
}

// textMessages splits text into messages under Discord's content limit.
func textMessages(text string) []message {
	parts := Split(text, MessageLimit)
	msgs := make([]message, 0, len(parts))
	for _, p := range parts {
		msgs = append(msgs, message{Content: p})
	}
	if len(msgs) == 0 {
		msgs = append(msgs, message{Content: "…"})
	}
	return msgs
}

// truncateTitle keeps an embed title within Discord's limit.
func truncateTitle(s string) string { return clip(s, maxEmbedTitle) }
