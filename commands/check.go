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

// "Check against the articles" is a message context-menu command: on any
// message (Apps > Check against the articles), the bot reads the message's
// text from the interaction itself (Discord delivers it in the resolved
// data, so no privileged intent is needed), finds the passages that speak
// to its claims, and answers privately: with a model, a short verdict
// citing them; offline, the passages alone, each under the claim it
// speaks to. A Share button posts the result to the channel (share.go).
// It costs what an /ask costs, so it goes through the same cooldown and
// answer slots.

// checkCommandName is the menu command's name, as Discord shows it.
const checkCommandName = "Check against the articles"

// maxCheckedRunes is the most of a message read: Discord's longest
// message (Nitro) is 4,000 characters.
const maxCheckedRunes = 4000

func (r *Router) checkCommand() *command {
	return &command{
		def: &discordgo.ApplicationCommand{
			Type: discordgo.MessageApplicationCommand,
			Name: checkCommandName,
		},
		handle: r.handleCheck,
	}
}

// handleCheck checks the message the menu was used on: fair-use checks
// (an immediate private reply when refused), a private deferral, the
// check, then its rendering.
func (r *Router) handleCheck(ctx context.Context, x *exchange) error {
	target := targetMessage(x.i)
	if target == nil {
		return userErrorf("I can't see that message; try again.")
	}
	text := checkedText(target, x.i.AppID)
	if text == "" {
		return userErrorf("That message has no text to check against the articles.")
	}
	tk, err := r.admitAndQueue(ctx, x, func(ctx context.Context) error { return x.deferReply(ctx, true) })
	if tk == nil {
		return err
	}
	defer tk.release()
	res, err := r.cfg.Checker.Check(ctx, text)
	if err != nil {
		return fmt.Errorf("check a message: %w", err)
	}
	x.trace.stage("retrieve", res.Retrieve)
	x.trace.stage("generate", res.Generate)
	// The log line and the metrics count a check like an answer: its
	// mode, model and tokens; "declined" when nothing speaks to it.
	x.trace.answered(seam.Answer{Mode: res.Mode, Model: res.Model, Fallback: res.Fallback, Declined: res.NotCovered,
		Citations: make([]seam.Citation, len(res.Passages)), PromptTokens: res.PromptTokens, CompletionTokens: res.CompletionTokens})
	x.trace.set(slog.Int("claims", len(res.Claims)))
	hl := func(text, query string) string { return r.cfg.Searcher.Highlight(text, query, markOpen, markClose) }
	m := renderCheck(target, res, hl)
	m.Ephemeral = true
	return x.edit(ctx, m)
}

// targetMessage is the message a menu command was used on, from the
// interaction's resolved data.
func targetMessage(i *discordgo.Interaction) *discordgo.Message {
	if i.Type != discordgo.InteractionApplicationCommand {
		return nil
	}
	data := i.ApplicationCommandData()
	if data.Resolved == nil || data.TargetID == "" {
		return nil
	}
	return data.Resolved.Messages[data.TargetID]
}

// checkedText is the text of a message to check: its content, or when it
// has none (a link preview, a bot's embed) its embeds' titles and
// descriptions; without invisible characters and cut to maxCheckedRunes.
// The bot's own messages are read back to the text they show.
func checkedText(m *discordgo.Message, botID string) string {
	text := m.Content
	if strings.TrimSpace(text) == "" {
		var parts []string
		for _, e := range m.Embeds {
			if e != nil {
				parts = append(parts, e.Title, e.Description)
			}
		}
		text = strings.Join(parts, "\n")
	}
	if m.Author != nil && m.Author.ID == botID && botID != "" {
		text = readBack(text)
	}
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(text, "") {
		if r != '\n' && invisible(r) {
			continue
		}
		if n == maxCheckedRunes {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// Budgets of a check's message, within Discord's limits: the content
// leaves room for Share's line, the embeds share 6,000 characters.
const (
	checkContentBudget = MessageLimit - shareRoom
	checkEmbedsBudget  = maxEmbedTotal - 200
	checkClaimRunes    = 300 // of a claim quoted in its embed
	checkVerdictRunes  = 1400
)

// renderCheck shows a checked message: what was checked (a link to it and
// its author), the verdict or why there is none, and an embed per claim
// listing the passages that speak to it, numbered as the verdict cites
// them, with the claim's words in bold. highlight wraps the words of text
// matching query in markOpen and markClose. It has the Share button.
func renderCheck(target *discordgo.Message, res seam.Check, highlight func(text, query string) string) message {
	var b strings.Builder
	b.WriteString("Checked against the articles: " + describeTarget(target) + ".\n\n")
	switch {
	case res.NotCovered:
		b.WriteString("None of the indexed articles speaks to what this message says, so there is nothing to check it against.")
	case res.Verdict != "":
		b.WriteString("**What the articles say** (written by a model from the passages below, citations checked):\n")
		b.WriteString(neutralise(clip(res.Verdict, checkVerdictRunes)))
	case res.Fallback != "":
		b.WriteString("The model couldn't give a verdict just now, so here are the passages that speak to each claim, for you to judge.")
	default:
		b.WriteString("No model is configured, so there is no verdict: here are the passages that speak to each claim, for you to judge.")
	}
	content := b.String()
	if width(content) > checkContentBudget {
		content = Split(content, checkContentBudget-2)[0] + " …"
	}
	m := message{Content: content, Embeds: claimEmbeds(res, highlight)}
	return withButton(m, shareButton())
}

// describeTarget names the message checked: a link to it, and its
// author's name (neutralised: a name is the user's to choose).
func describeTarget(m *discordgo.Message) string {
	what := "a message"
	if u := messageURL(m); u != "" {
		what = "[a message](" + u + ")"
	}
	if name := userName(m.Author, ""); name != "" {
		what += " by " + neutralise(name)
	}
	return what
}

// userName is how a user is named in the bot's messages: their server
// nickname when there is one, else their display name, else their user
// name, on one line and at most 40 characters; "" for no user. It is the
// user's own text: neutralise it where it is shown.
func userName(u *discordgo.User, nick string) string {
	name := nick
	if name == "" && u != nil {
		name = u.GlobalName
		if name == "" {
			name = u.Username
		}
	}
	return clip(oneLine(name), 40)
}

// memberName names whoever triggered i.
func memberName(i *discordgo.Interaction) string {
	if i.Member != nil {
		return userName(i.Member.User, i.Member.Nick)
	}
	return userName(i.User, "")
}

// messageURL is the address of a message in Discord, "" when its IDs are
// not all snowflakes.
func messageURL(m *discordgo.Message) string {
	guild := m.GuildID
	if guild == "" {
		guild = "@me"
	} else if !isSnowflake(guild) {
		return ""
	}
	if !isSnowflake(m.ChannelID) || !isSnowflake(m.ID) {
		return ""
	}
	return "https://discord.com/channels/" + guild + "/" + m.ChannelID + "/" + m.ID
}

// isSnowflake reports whether id is a Discord ID: 1-20 digits.
func isSnowflake(id string) bool {
	if id == "" || len(id) > 20 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// checkStyle is one way of showing the passages under a check's claims.
type checkStyle struct {
	excerpt int  // characters of the passage around the claim's words; 0 for none
	title   int  // characters of the title
	linked  bool // the title links to the article
	meta    bool // the outlet and the date
}

// checkStyles are the ways the passages are shown, fullest first: the
// excerpts shrink, then the links go, then the excerpts, the outlets and
// most of the titles. Every style keeps the number and the passage ID.
var checkStyles = []checkStyle{
	{excerpt: 400, title: 120, linked: true, meta: true},
	{excerpt: 240, title: 120, linked: true, meta: true},
	{excerpt: 160, title: 100, meta: true},
	{excerpt: 80, title: 60, meta: true},
	{title: 60, meta: true},
	{title: 30},
}

// claimEmbeds lists, for each claim, the passages that speak to it, each
// in full (title, outlet, date, ID and an excerpt around the claim's
// words) the first time and by its number after, in the fullest style in
// which every claim's embed fits checkEmbedsBudget.
func claimEmbeds(res seam.Check, highlight func(text, query string) string) []*discordgo.MessageEmbed {
	var embeds []*discordgo.MessageEmbed
	for _, st := range checkStyles {
		embeds = claimEmbedsIn(res, highlight, st)
		total := 0
		for _, e := range embeds {
			total += embedSize(e)
		}
		if total <= checkEmbedsBudget {
			return embeds
		}
	}
	// Even the plainest don't fit (a dozen passage IDs of 200
	// characters): cut each claim's embed to its share.
	share := checkEmbedsBudget / max(len(embeds), 1)
	for _, e := range embeds {
		if width(e.Description) > share-20 {
			e.Description = Split(e.Description, share-20)[0]
		}
	}
	return embeds
}

// claimEmbedsIn renders the claims' embeds in one style.
func claimEmbedsIn(res seam.Check, highlight func(text, query string) string, st checkStyle) []*discordgo.MessageEmbed {
	byN := map[int]seam.Citation{}
	for _, p := range res.Passages {
		byN[p.N] = p
	}
	shown := map[int]int{} // passage number -> the claim it was shown under
	var embeds []*discordgo.MessageEmbed
	for k, c := range res.Claims {
		title := "The claim"
		if len(res.Claims) > 1 {
			title = fmt.Sprintf("Claim %d", k+1)
		}
		lines := []string{"> " + neutralise(clip(oneLine(c.Text), checkClaimRunes))}
		if len(c.Passages) == 0 {
			lines = append(lines, "No passage of the articles speaks to this.")
		}
		for _, n := range c.Passages {
			if at, ok := shown[n]; ok {
				lines = append(lines, fmt.Sprintf("**[%d]** — shown under claim %d.", n, at+1))
				continue
			}
			p, ok := byN[n]
			if !ok {
				continue
			}
			shown[n] = k
			lines = append(lines, checkEntry(p, c.Text, st, highlight))
		}
		desc := strings.Join(lines, "\n")
		if width(desc) > descriptionBudget {
			desc = Split(desc, descriptionBudget)[0]
		}
		embeds = append(embeds, &discordgo.MessageEmbed{Title: title, Description: desc, Color: embedColor})
	}
	return embeds
}

// checkEntry shows one passage under the claim it speaks to, in style st:
// its number and ID, and as the style has them its title (linked), outlet
// and date, and some of it around the claim's words, which are in bold.
func checkEntry(p seam.Citation, claim string, st checkStyle, highlight func(text, query string) string) string {
	line := fmt.Sprintf("**[%d]**", p.N)
	if st.title > 0 {
		title := clip(orUntitled(p.Title), st.title)
		if st.linked {
			line += " " + link(title, p.URL)
		} else {
			line += " " + link(title, "")
		}
	}
	if st.meta {
		if meta := joinNonEmpty(", ", neutralise(clip(oneLine(p.Source), 60)), date(p.Published)); meta != "" {
			line += " — " + meta
		}
	}
	if idShowable(p.ID) {
		line += " · `" + p.ID + "`"
	}
	if st.excerpt == 0 {
		return line
	}
	text := strings.Map(dropMarks, p.Text)
	marked := excerptAround(highlight(text, claim), st.excerpt)
	excerpt := strings.NewReplacer(markOpen, "**", markClose, "**").Replace(neutralise(marked))
	return line + "\n> " + strings.TrimLeftFunc(excerpt, unicode.IsSpace)
}
