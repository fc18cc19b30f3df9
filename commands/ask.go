package commands

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

// Custom IDs of the buttons under an answer. They carry no state: the
// question, the answer and the cited passages are read back from the
// message the buttons sit on.
const (
	idShowSources = "ask:sources"
	idVoteUp      = "ask:vote:up"
	idVoteDown    = "ask:vote:down"
)

func (r *Router) askCommand() *command {
	return &command{
		def: &discordgo.ApplicationCommand{
			Name:        "ask",
			Description: "Ask a question about the news articles; the answer cites its sources",
			Options: []*discordgo.ApplicationCommandOption{{
				Type:        discordgo.ApplicationCommandOptionString,
				Name:        "question",
				Description: "What you want to know, e.g. Will Iran allow inspections of its military sites?",
				Required:    true,
			}},
		},
		handle:    r.handleAsk,
		component: r.handleAskButton,
	}
}

// handleAsk answers /ask: fair-use checks (an immediate ephemeral reply
// when refused), a public deferred response, then the answer streamed into
// it.
func (r *Router) handleAsk(ctx context.Context, x *exchange) error {
	q, err := SanitizeQuestion(optString(x.i, "question"))
	if err != nil {
		return err
	}
	tk, wait := r.admitAsk(ctx, x.trace.user)
	switch {
	case wait > 0:
		x.trace.setOutcome("cooldown")
		x.refuse(ctx, cooldownText(wait))
		return nil
	case tk == nil:
		x.trace.setOutcome("busy")
		x.refuse(ctx, busyText)
		return nil
	}
	defer tk.release()
	if err := x.deferReply(ctx, false); err != nil {
		return err
	}
	queued := time.Now()
	if err := tk.acquire(ctx); err != nil {
		return err
	}
	x.trace.stage("queue", time.Since(queued))
	msgs, err := r.answerInto(ctx, x.trace, seam.Question{Text: q}, x.edit, tk.release)
	if err != nil {
		return err
	}
	for _, m := range msgs[1:] {
		if err := x.followup(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// admitAsk decides whether user may ask now: how long until their
// cooldown lets them, else a place in the queue (nil when it is full: the
// cooldown is then given back, so that the user may try again shortly, as
// they are told).
func (r *Router) admitAsk(ctx context.Context, user string) (*ticket, time.Duration) {
	if r.rates == nil {
		return r.limiter.admit(), 0
	}
	b := askBucket(user, r.cfg.Cooldown)
	if wait := r.take(ctx, b); wait > 0 {
		return nil, wait
	}
	tk := r.limiter.admit()
	if tk == nil {
		r.giveBack(ctx, b)
	}
	return tk, 0
}

// answerInto answers q, streaming the growing answer through send (at most
// one send per EditInterval) and sending the final first message; it
// returns all the messages of the answer, the overflow being for the caller
// to send. generated is called once the answer is generated, before the
// final edit: the answer slot is given back then, since sending to Discord
// (up to an EditInterval after the last update) doesn't use the model.
func (r *Router) answerInto(ctx context.Context, tr *trace, q seam.Question, send func(context.Context, message) error, generated func()) ([]message, error) {
	th := startThrottle(ctx, r.cfg.EditInterval, send)
	res, err := r.cfg.Answerer.Answer(ctx, q, func(partial string) {
		th.update(renderPartial(q.Text, partial))
	})
	generated()
	if err != nil {
		th.halt()
		return nil, err
	}
	tr.stage("retrieve", res.Retrieve)
	tr.stage("generate", res.Generate)
	tr.answered(res)
	msgs := renderAnswer(q.Text, res)
	sendStart := time.Now()
	err = th.finish(ctx, msgs[0])
	sends, partialErr := th.stats()
	tr.set(slog.Int("edits", sends))
	tr.stage("send", time.Since(sendStart))
	if partialErr != nil {
		tr.set(slog.String("stream_err", partialErr.Error()))
	}
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// renderPartial is the answer as it streams: the question, the text so far
// and an ellipsis, cut to one message.
func renderPartial(question, partial string) message {
	text := quoteQuestion(question) + "\n\n" + neutralise(partial)
	if parts := Split(text, MessageLimit-2); len(parts) > 1 {
		text = parts[0]
	}
	return message{Content: text + " …"}
}

// renderAnswer renders a finished answer: the question quoted, the answer
// (split over several messages when long), and on the first message the
// Sources embed numbered like the citations, or the closest articles when
// the answer declined, with the buttons.
func renderAnswer(question string, res seam.Answer) []message {
	msgs := textMessages(quoteQuestion(question) + "\n\n" + neutralise(res.Text))
	first := &msgs[0]
	switch {
	case res.Declined:
		if e := closestEmbed(res.Passages); e != nil {
			first.Embeds = []*discordgo.MessageEmbed{e}
		}
		first.Components = answerButtons(false)
	case len(res.Citations) > 0:
		first.Embeds = []*discordgo.MessageEmbed{sourcesEmbed(res.Citations)}
		first.Components = answerButtons(true)
	default:
		first.Components = answerButtons(false)
	}
	return msgs
}

func answerButtons(sources bool) []discordgo.MessageComponent {
	var row []discordgo.MessageComponent
	if sources {
		row = append(row, discordgo.Button{Label: "Show sources", Style: discordgo.SecondaryButton, CustomID: idShowSources})
	}
	row = append(row,
		discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👍"}, Style: discordgo.SecondaryButton, CustomID: idVoteUp},
		discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👎"}, Style: discordgo.SecondaryButton, CustomID: idVoteDown},
	)
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: row}}
}

// sourcesTitle names the embed that lists an answer's citations; the
// buttons look for it.
const sourcesTitle = "Sources"

// sourcesEmbed lists the cited passages as [n] title (linked), outlet,
// date, passage ID and a short excerpt. Excerpts shrink, then go, when
// many citations would not fit; citations that still don't fit are
// counted at the end.
func sourcesEmbed(cites []seam.Citation) *discordgo.MessageEmbed {
	var desc string
	for _, excerpt := range []int{240, 120, 0} {
		var entries []string
		for _, c := range cites {
			entries = append(entries, sourceEntry(c, excerpt))
		}
		desc = strings.Join(entries, "\n")
		if width(desc) <= descriptionBudget {
			break
		}
		if excerpt == 0 {
			desc = ""
			for n, e := range entries {
				if width(desc)+width(e)+1 > descriptionBudget {
					desc += fmt.Sprintf("…and %d more.", len(entries)-n)
					break
				}
				desc += e + "\n"
			}
		}
	}
	return &discordgo.MessageEmbed{Title: sourcesTitle, Description: strings.TrimSpace(desc), Color: embedColor}
}

func sourceEntry(c seam.Citation, excerpt int) string {
	line := fmt.Sprintf("**[%d]** %s", c.N, link(clip(orUntitled(c.Title), 200), c.URL))
	if meta := joinNonEmpty(", ", neutralise(clip(oneLine(c.Source), 60)), date(c.Published)); meta != "" {
		line += " — " + meta
	}
	if idShowable(c.ID) {
		line += " · `" + c.ID + "`"
	}
	if excerpt > 0 {
		line += "\n> " + neutralise(clip(oneLine(c.Text), excerpt))
	}
	return line
}

// idShowable reports whether a passage ID can be shown in a code span and
// read back from it.
func idShowable(id string) bool {
	return id != "" && len(id) <= 200 && !strings.ContainsAny(id, "`\n\r")
}

// sourceLine reads a passage number and ID back from a Sources entry.
var sourceLine = regexp.MustCompile("(?m)^\\*\\*\\[(\\d+)\\]\\*\\* .* · `([^`\\n]+)`$")

// citedPassage is a citation read back from a message.
type citedPassage = seam.CitedPassage

// citationsOf reads the cited passages back from an answer message.
func citationsOf(m *discordgo.Message) []citedPassage {
	if m == nil {
		return nil
	}
	var out []citedPassage
	for _, e := range m.Embeds {
		if e == nil || e.Title != sourcesTitle {
			continue
		}
		for _, sm := range sourceLine.FindAllStringSubmatch(e.Description, -1) {
			var n int
			fmt.Sscan(sm[1], &n)
			out = append(out, citedPassage{N: n, ID: sm[2]})
		}
	}
	return out
}

// questionOf reads the question back from an answer message: its first
// line, a quote.
func questionOf(content string) string {
	first, _, _ := strings.Cut(content, "\n")
	q, ok := strings.CutPrefix(first, "> ")
	if !ok {
		return ""
	}
	return unquoteQuestion(q)
}

// answerOf reads the answer text back from an answer message.
func answerOf(content string) string {
	_, rest, ok := strings.Cut(content, "\n\n")
	if !ok {
		return ""
	}
	return readBack(strings.TrimSpace(rest))
}

// closestEmbed names the articles nearest to a declined question, as the
// engine chose them (the first three distinct articles retrieved).
func closestEmbed(ps []seam.Passage) *discordgo.MessageEmbed {
	seen := map[string]bool{}
	var lines []string
	for _, p := range ps {
		if len(lines) == 3 {
			break
		}
		if seen[p.ArticleID] {
			continue
		}
		seen[p.ArticleID] = true
		line := "• " + link(clip(orUntitled(p.Title), 200), p.URL)
		if meta := joinNonEmpty(", ", neutralise(clip(oneLine(p.Source), 60)), date(p.Published)); meta != "" {
			line += " — " + meta
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return nil
	}
	return &discordgo.MessageEmbed{Title: "Closest articles", Description: strings.Join(lines, "\n"), Color: embedColor}
}

// handleAskButton handles the buttons under an answer.
func (r *Router) handleAskButton(ctx context.Context, x *exchange, args []string) error {
	switch {
	case len(args) == 1 && args[0] == "sources":
		return r.showSources(ctx, x)
	case len(args) == 2 && args[0] == "vote" && (args[1] == "up" || args[1] == "down"):
		return r.vote(ctx, x, args[1])
	}
	return userErrorf("That button no longer works; ask again.")
}

// showSources replies, privately, with the full text of the passages the
// answer cites, fetched again by ID.
func (r *Router) showSources(ctx context.Context, x *exchange) error {
	if err := x.deferReply(ctx, true); err != nil {
		return err
	}
	cites := citationsOf(x.i.Message)
	if len(cites) == 0 {
		return userErrorf("I can't find the sources of that answer any more; ask again.")
	}
	var found []seam.Citation
	var missing []int
	for _, c := range cites {
		p, ok := r.cfg.Searcher.Passage(c.ID)
		if !ok {
			missing = append(missing, c.N)
			continue
		}
		found = append(found, seam.Citation{N: c.N, Passage: p})
	}
	return x.sendAll(ctx, renderFullSources(found, missing))
}

// renderFullSources shows whole passages, one embed each, packed into as
// few messages as the limits allow; missing lists the citations whose
// passage is no longer indexed.
func renderFullSources(found []seam.Citation, missing []int) []message {
	content := ""
	if len(missing) > 0 {
		marks := make([]string, len(missing))
		for i, n := range missing {
			marks[i] = fmt.Sprintf("[%d]", n)
		}
		content = fmt.Sprintf("%s: no longer in the index (the article changed or was removed since this answer).", strings.Join(marks, " "))
	}
	var embeds []*discordgo.MessageEmbed
	for _, c := range found {
		embeds = append(embeds, passageEmbed(fmt.Sprintf("[%d] ", c.N), c.Passage, neutralise(c.Text), maxEmbedDescription-96))
	}
	if content == "" && len(embeds) == 0 {
		content = "No sources to show."
	}
	return packEmbeds(content, embeds)
}

// passageEmbed shows one passage: its title (linked), the text given, and
// the outlet, date and passage ID in the footer.
func passageEmbed(prefix string, p seam.Passage, text string, maxText int) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Title:       truncateTitle(prefix + neutralise(orUntitled(p.Title))),
		Description: clip(text, maxText),
		Color:       embedColor,
	}
	if u := safeURL(p.URL); u != "" {
		e.URL = u
	}
	footer := joinNonEmpty(" · ", neutraliseFooter(clip(oneLine(p.Source), 100)), date(p.Published), "passage "+neutraliseFooter(clip(p.ID, 200)))
	e.Footer = &discordgo.MessageEmbedFooter{Text: footer}
	return e
}

// vote records a 👍 or 👎 on an answer in the feedback log (see
// feedback.go): one vote per user per answer, the latest counting.
func (r *Router) vote(ctx context.Context, x *exchange, vote string) error {
	if err := x.deferReply(ctx, true); err != nil {
		return err
	}
	v := seam.Vote{Time: r.cfg.Now().UTC(), User: x.trace.user, Vote: vote, Citations: []seam.CitedPassage{}}
	if m := x.i.Message; m != nil {
		v.Question, v.Answer, v.MessageID = questionOf(m.Content), answerOf(m.Content), m.ID
		if c := citationsOf(m); c != nil {
			v.Citations = c
		}
	}
	x.trace.set(slog.String("vote", vote))
	outcome, err := r.recordVote(ctx, v)
	if err != nil {
		return voteFailed(err)
	}
	emoji := map[string]string{"up": "👍", "down": "👎"}[vote]
	switch outcome {
	case seam.VoteChanged:
		return x.edit(ctx, message{Content: "Thanks: your vote on this answer is now " + emoji + "."})
	case seam.VoteUnchanged:
		return x.edit(ctx, message{Content: "Your " + emoji + " on this answer was already recorded; thanks!"})
	}
	return x.edit(ctx, message{Content: "Thanks for the feedback!"})
}

// optString returns a command's string option, or "".
func optString(i *discordgo.Interaction, name string) string {
	if o := option(i, name); o != nil && o.Type == discordgo.ApplicationCommandOptionString {
		return o.StringValue()
	}
	return ""
}

// option finds a command option by name.
func option(i *discordgo.Interaction, name string) *discordgo.ApplicationCommandInteractionDataOption {
	if i.Type != discordgo.InteractionApplicationCommand {
		return nil
	}
	for _, o := range i.ApplicationCommandData().Options {
		if o.Name == name {
			return o
		}
	}
	return nil
}
