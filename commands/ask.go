package commands

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
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
				// Discord's client then stops at the length the bot takes,
				// instead of letting users type 6,000 characters to be
				// told to stay under 500.
				MaxLength: MaxQuestionRunes,
			}, {
				Type:        discordgo.ApplicationCommandOptionBoolean,
				Name:        optPrivate,
				Description: "Only you see the answer, with a button to share it",
			}},
		},
		handle:    r.handleAsk,
		component: r.handleAskButton,
	}
}

// optPrivate is /ask's option for an answer only the asker sees.
const optPrivate = "private"

// handleAsk answers /ask: fair-use checks (an immediate ephemeral reply
// when refused), a deferred response (public, or private with
// private:true), then the answer streamed into it, with a Stop button
// while it streams and, when private, a Share button (stop.go, share.go).
// Errors are always private (see exchange.refuse).
func (r *Router) handleAsk(ctx context.Context, x *exchange) error {
	q, err := SanitizeQuestion(optString(x.i, "question"))
	if err != nil {
		return err
	}
	private := optBool(x.i, optPrivate)
	tk, err := r.admitAndQueue(ctx, x, func(ctx context.Context) error { return x.deferReply(ctx, private) })
	if tk == nil {
		return err
	}
	defer tk.release()
	msgs, err := r.streamAnswer(ctx, x, q, private, tk.release)
	if err != nil || len(msgs) == 0 {
		return err
	}
	for _, m := range msgs[1:] {
		m.Ephemeral = private
		if err := x.followup(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// admitAndQueue applies /ask's fair use to an interaction that answers a
// question (/ask, a follow-up, a message check): a refusal (the user's
// cooldown, a full queue) is sent at once, privately, and a nil ticket
// returned with a nil error; else ack acknowledges the interaction (its
// deferral) and the ticket is returned once an answer slot is free, the
// wait traced as "queue". The caller releases the ticket; on an error it
// is released already.
func (r *Router) admitAndQueue(ctx context.Context, x *exchange, ack func(context.Context) error) (*ticket, error) {
	tk, wait := r.admitAsk(ctx, x.trace.user)
	switch {
	case wait > 0:
		x.trace.setOutcome("cooldown")
		x.refuse(ctx, cooldownText(wait))
		return nil, nil
	case tk == nil:
		x.trace.setOutcome("busy")
		x.refuse(ctx, busyText)
		return nil, nil
	}
	if err := ack(ctx); err != nil {
		tk.release()
		return nil, err
	}
	queued := time.Now()
	if err := tk.acquire(ctx); err != nil {
		tk.release()
		return nil, err
	}
	x.trace.stage("queue", time.Since(queued))
	return tk, nil
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
// to send, and the answer. generated, when not nil, is called once the
// answer is generated, before the final edit: the answer slot is given back
// then, since sending to Discord (up to an EditInterval after the last
// update) doesn't use the model. answered, when not nil, is given the
// answer before the final message goes out (a follow-up's turn is kept
// then, so that a follow-up to it finds it).
func (r *Router) answerInto(ctx context.Context, tr *trace, q seam.Question, send func(context.Context, message) error, generated func(), answered func(seam.Answer)) ([]message, seam.Answer, error) {
	th := startThrottle(ctx, r.cfg.EditInterval, send)
	res, err := r.cfg.Answerer.Answer(ctx, q, func(partial string) {
		th.update(renderPartial(q.Text, partial))
	})
	if generated != nil {
		generated()
	}
	if err != nil {
		th.halt()
		return nil, res, err
	}
	tr.stage("retrieve", res.Retrieve)
	tr.stage("generate", res.Generate)
	tr.answered(res)
	if answered != nil {
		answered(res)
	}
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
		return nil, res, err
	}
	return msgs, res, nil
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
		first.Embeds, _ = sourcesEmbeds(res.Citations, 0, answerSourcesBudget)
		first.Components = answerButtons(true)
	default:
		first.Components = answerButtons(false)
	}
	return msgs
}

// answerButtons is the one place an answer's component row is assembled:
// Follow up (followup.go), Show sources when it cites any, 👍 and 👎.
func answerButtons(sources bool) []discordgo.MessageComponent {
	row := []discordgo.MessageComponent{followUpButton()}
	if sources {
		row = append(row, discordgo.Button{Label: "Show sources", Style: discordgo.SecondaryButton, CustomID: idShowSources})
	}
	row = append(row,
		discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👍"}, Style: discordgo.SecondaryButton, CustomID: idVoteUp},
		discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👎"}, Style: discordgo.SecondaryButton, CustomID: idVoteDown},
	)
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: row}}
}

// sourcesTitle names the embeds that list an answer's citations; the
// buttons look for it. A list too long for one embed goes on in embeds
// titled sourcesTitle + " (continued)".
const sourcesTitle = "Sources"

// answerSourcesBudget is the room for the Sources list under an answer:
// Discord's 6,000 characters of embeds a message, less a margin.
const answerSourcesBudget = maxEmbedTotal - 200

// sourceStyle is one way of showing an entry of a Sources list.
type sourceStyle struct {
	excerpt int  // characters of the passage quoted; 0 for none
	title   int  // characters of the title
	linked  bool // the title links to the article
	meta    bool // the outlet and the date
}

// sourceStyles are the ways a Sources list is shown, fullest first: the
// excerpts shrink, then go, then the links, then everything but the title's
// start, then that. Every style keeps the number and the passage ID, which
// "Show sources" reads back.
var sourceStyles = []sourceStyle{
	{excerpt: 240, title: 200, linked: true, meta: true},
	{excerpt: 120, title: 200, linked: true, meta: true},
	{title: 200, linked: true, meta: true},
	{title: 100, meta: true},
	{title: 40},
	{},
}

// sourcesEmbeds lists the cited passages as [n] title (linked), outlet,
// date, passage ID and a short excerpt, in the fullest style (from
// sourceStyles[from] on) in which every entry fits one embed description
// and budget. When even the plainest entries don't, they go on in more
// embeds, within budget characters in all; only past that (some 40
// citations with IDs of 130 characters) are the last citations counted
// instead of listed, and complete is false.
func sourcesEmbeds(cites []seam.Citation, from int, budget int) (embeds []*discordgo.MessageEmbed, complete bool) {
	styles := sourceStyles[from:]
	render := func(st sourceStyle) []string {
		entries := make([]string, len(cites))
		for k, c := range cites {
			entries[k] = sourceEntry(c, st)
		}
		return entries
	}
	one := min(descriptionBudget, budget-width(sourcesTitle))
	for _, st := range styles {
		if desc := strings.Join(render(st), "\n"); width(desc) <= one {
			return []*discordgo.MessageEmbed{{Title: sourcesTitle, Description: desc, Color: embedColor}}, true
		}
	}
	for _, st := range styles {
		if embeds, complete = packSources(render(st), budget); complete {
			return embeds, true
		}
	}
	return embeds, false
}

// packSources spreads Sources entries over embeds of at most
// descriptionBudget, within budget characters in all. When they don't all
// fit, the last embed ends by counting the rest, and complete is false.
func packSources(entries []string, budget int) (embeds []*discordgo.MessageEmbed, complete bool) {
	total, desc := 0, ""
	flush := func() {
		title := sourcesTitle
		if len(embeds) > 0 {
			title += " (continued)"
		}
		desc = strings.TrimSpace(desc)
		embeds = append(embeds, &discordgo.MessageEmbed{Title: title, Description: desc, Color: embedColor})
		total += width(title) + width(desc)
		desc = ""
	}
	const titleRoom = 32 // a continuation's title, and a line break
	for n, e := range entries {
		more := fmt.Sprintf("…and %d more.", len(entries)-n)
		newEmbed := width(desc)+width(e)+1 > descriptionBudget
		if newEmbed {
			flush()
		}
		if total+width(desc)+width(e)+width(more)+titleRoom > budget ||
			newEmbed && len(embeds) == maxEmbedsPerMessage {
			if desc == "" && len(embeds) > 0 {
				// No room left for even the count in a new embed: end
				// the last one with it.
				last := embeds[len(embeds)-1]
				last.Description += "\n" + more
				return embeds, false
			}
			desc += more
			flush()
			return embeds, false
		}
		desc += e + "\n"
	}
	flush()
	return embeds, true
}

func sourceEntry(c seam.Citation, st sourceStyle) string {
	title := clip(orUntitled(c.Title), st.title)
	entry := link(title, "")
	if st.linked {
		entry = link(title, c.URL)
	}
	line := fmt.Sprintf("**[%d]**", c.N)
	if st.title > 0 {
		line += " " + entry
	}
	if st.meta {
		if meta := joinNonEmpty(", ", neutralise(clip(oneLine(c.Source), 60)), date(c.Published)); meta != "" {
			line += " — " + meta
		}
	}
	if idShowable(c.ID) {
		line += " · `" + c.ID + "`"
	}
	if st.excerpt > 0 && c.Text != "" {
		line += "\n> " + neutralise(clip(oneLine(c.Text), st.excerpt))
	}
	return line
}

// idShowable reports whether a passage ID can be shown in a code span and
// read back from it.
func idShowable(id string) bool {
	return id != "" && len(id) <= 200 && !strings.ContainsAny(id, "`\n\r")
}

// sourceLine reads a passage number and ID back from a Sources entry.
var sourceLine = regexp.MustCompile("(?m)^\\*\\*\\[(\\d+)\\]\\*\\*(?: .*)? · `([^`\\n]+)`$")

// citedPassage is a citation read back from a message.
type citedPassage = seam.CitedPassage

// citationsOf reads the cited passages back from an answer message.
func citationsOf(m *discordgo.Message) []citedPassage {
	if m == nil {
		return nil
	}
	var out []citedPassage
	for _, e := range m.Embeds {
		if e == nil || !strings.HasPrefix(e.Title, sourcesTitle) {
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

// handleAskButton handles the buttons under an answer, and the Follow up
// modal's submission.
func (r *Router) handleAskButton(ctx context.Context, x *exchange, args []string) error {
	switch {
	case len(args) == 1 && args[0] == "followup":
		return r.followUp(ctx, x)
	case len(args) == 1 && args[0] == "sources":
		return r.showSources(ctx, x, -1)
	case len(args) == 2 && args[0] == "sources":
		page, err := strconv.Atoi(args[1])
		if err != nil || page < 0 {
			break
		}
		return r.showSources(ctx, x, page)
	case len(args) == 2 && args[0] == "vote" && (args[1] == "up" || args[1] == "down"):
		return r.vote(ctx, x, args[1])
	}
	return userErrorf("That button no longer works; ask again.")
}

// showSources shows, privately, the full text of the passages an answer
// cites, fetched again by ID, a page at a time. page < 0 is the answer's
// "Show sources" button: a new ephemeral message at the first page. Its
// Previous and Next buttons turn the page by editing that message; each
// page carries the list of every citation, which is where the next turn
// reads them from (the buttons keep no state).
func (r *Router) showSources(ctx context.Context, x *exchange, page int) error {
	var err error
	if page < 0 {
		err = x.deferReply(ctx, true)
	} else {
		err = x.deferUpdate(ctx)
	}
	if err != nil {
		return err
	}
	cites := citationsOf(x.i.Message)
	if len(cites) == 0 && page >= 0 {
		// Discord has sent only the ID and flags of an ephemeral message
		// with the interaction; the page itself has the list.
		if m, err := x.wh.original(ctx); err == nil {
			cites = citationsOf(m)
		}
	}
	if len(cites) == 0 {
		return userErrorf("I can't find the sources of that answer any more; ask again.")
	}
	found := make([]seam.Citation, 0, len(cites))
	for _, c := range cites {
		p, ok := r.cfg.Searcher.Passage(c.ID)
		if !ok {
			p = seam.Passage{ID: c.ID}
		}
		found = append(found, seam.Citation{N: c.N, Passage: p})
	}
	m := renderSourcesPage(found, max(page, 0))
	m.Ephemeral = true
	return x.edit(ctx, m)
}

// Custom IDs of the page buttons of "Show sources": idSourcesPage + page.
const idSourcesPage = "ask:sources:"

// Budgets of a page of "Show sources", within Discord's 6,000 characters
// of embeds: the list of every citation first, the passages in the rest.
const (
	sourcesIndexBudget    = 2400
	sourcesIndexMaxBudget = maxEmbedTotal - 1600
	sourcesPageBudget     = maxEmbedTotal - 100
)

// renderSourcesPage shows page (counted from 0; past the end is the last)
// of the cited passages: as many whole passages as fit one message, one
// embed each, then a Sources list of every citation (what a page turn
// reads back), and Previous and Next buttons when there is more than one
// page. A citation with no text is one whose passage is no longer
// indexed. The list takes up to 4,400 of the message's 6,000 characters
// of embeds, which names every citation up to about 30 with IDs of 130
// characters (answers cite far fewer); past that, the pages cover the
// citations listed.
func renderSourcesPage(cites []seam.Citation, page int) message {
	index := make([]seam.Citation, len(cites))
	var missing []string
	var shown []seam.Citation
	for k, c := range cites {
		index[k] = c
		if c.Text == "" {
			index[k].Title = "(no longer in the index)"
			missing = append(missing, fmt.Sprintf("[%d]", c.N))
			continue
		}
		shown = append(shown, c)
	}
	// The list must name every citation, or the later pages lose some:
	// it takes more room, and the passages less, when it has to.
	list, complete := sourcesEmbeds(index, 2, sourcesIndexBudget)
	if !complete {
		list, _ = sourcesEmbeds(index, 2, sourcesIndexMaxBudget)
	}
	room := sourcesPageBudget
	for _, e := range list {
		room -= embedSize(e)
	}
	// A passage's embed is its text plus a title (at most 256) and a
	// footer (outlet, date and ID: at most about 350).
	maxText := min(maxEmbedDescription-96, room-700)
	var pages [][]*discordgo.MessageEmbed
	var cur []*discordgo.MessageEmbed
	size := 0
	for _, c := range shown {
		e := passageEmbed(fmt.Sprintf("[%d] ", c.N), c.Passage, neutralise(c.Text), maxText)
		n := embedSize(e)
		if len(cur) > 0 && (size+n > room || len(cur)+len(list) >= maxEmbedsPerMessage) {
			pages = append(pages, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += n
	}
	pages = append(pages, cur)
	page = min(max(page, 0), len(pages)-1)

	var notes []string
	if len(pages) > 1 {
		notes = append(notes, fmt.Sprintf("Page %d of %d.", page+1, len(pages)))
	}
	switch {
	case len(shown) == 0:
		notes = append(notes, "None of the cited passages is in the index any more (the articles changed or were removed since this answer).")
	case len(missing) > 0:
		notes = append(notes, fmt.Sprintf("%s: no longer in the index (the article changed or was removed since this answer).", strings.Join(missing, " ")))
	}
	m := message{Content: strings.Join(notes, " "), Embeds: append(pages[page], list...)}
	if len(pages) > 1 {
		m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Previous", Style: discordgo.SecondaryButton, CustomID: idSourcesPage + strconv.Itoa(max(page-1, 0)), Disabled: page == 0},
			discordgo.Button{Label: "Next", Style: discordgo.SecondaryButton, CustomID: idSourcesPage + strconv.Itoa(page+1), Disabled: page == len(pages)-1},
		}}}
	}
	return m
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

// optBool returns a command's boolean option, false when absent.
func optBool(i *discordgo.Interaction, name string) bool {
	if o := option(i, name); o != nil && o.Type == discordgo.ApplicationCommandOptionBoolean {
		return o.BoolValue()
	}
	return false
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
