package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/fakediscord"
)

// TestStringOptionsBoundedLikeTheBot checks that every string option
// carries a max_length, and that the ones the bot sanitises carry the
// bot's own limit: Discord's client then refuses to send a longer value
// (the fake refuses such a dispatch), and the longest it sends is
// accepted.
func TestStringOptionsBoundedLikeTheBot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{open: true})
	if _, err := e.ds.ApplicationCommandBulkOverwrite(fakediscord.AppID, fakediscord.GuildID, e.router.Definitions()); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"ask/question": MaxQuestionRunes, "source/query": MaxQuestionRunes, "articles/search": maxArticleSearch}
	for _, c := range e.fake.Commands(fakediscord.GuildID) {
		for _, o := range c.Options {
			if o.Type != discordgo.ApplicationCommandOptionString {
				continue
			}
			key := c.Name + "/" + o.Name
			if o.MaxLength <= 0 {
				t.Errorf("/%s has no max_length", key)
			}
			if w, ok := want[key]; ok && o.MaxLength != w {
				t.Errorf("/%s max_length = %d, want the bot's limit %d", key, o.MaxLength, w)
			}
		}
	}
	long := fakediscord.CommandInteraction("ask", map[string]any{"question": strings.Repeat("é", MaxQuestionRunes+1)}, member)
	if err := e.fake.DispatchInteraction(long); !errors.Is(err, fakediscord.ErrRefusedByClient) {
		t.Errorf("a %d-character question was sent: %v", MaxQuestionRunes+1, err)
	}
	longest := "Why " + strings.Repeat("é", MaxQuestionRunes-5) + "?"
	i := fakediscord.CommandInteraction("ask", map[string]any{"question": longest}, member)
	if err := e.fake.DispatchInteraction(i); err != nil {
		t.Fatal(err)
	}
	if m := e.waitResponse(i, 10*time.Second, answered); strings.Contains(m.Content, "characters long") {
		t.Errorf("the longest question Discord sends was refused: %q", m.Content)
	}
}

// TestMentionReplyToDeletedMessage deletes a mention before the bot
// replies: the answer is still posted, as an ordinary message, instead of
// Discord refusing a reply to a message that no longer exists.
func TestMentionReplyToDeletedMessage(t *testing.T) {
	t.Parallel()
	ans := newBlockingAnswerer()
	close(ans.release)
	e := newEnv(t, envOptions{open: true, config: func(c *Config) { c.Answerer = ans; c.Mentions = true }})
	e.fake.Delay("POST /channels/", 300*time.Millisecond)
	mention := &discordgo.Message{Content: "<@" + fakediscord.AppID + "> what did Iran say?", GuildID: fakediscord.GuildID,
		Author: &discordgo.User{ID: "42", Username: "carol"}, Mentions: []*discordgo.User{{ID: fakediscord.AppID}}}
	if err := e.fake.DispatchMessage(mention); err != nil {
		t.Fatal(err)
	}
	e.fake.DeleteMessage(mention.ChannelID, mention.ID)
	waitFor(t, func() bool {
		for _, m := range e.fake.ChannelMessages(fakediscord.ChannelID) {
			if strings.Contains(m.Content, "Done.") && len(m.Components) > 0 {
				return m.MessageReference == nil
			}
		}
		return false
	})
}

// gateIndexer is a reindex that runs until released.
type gateIndexer struct {
	started, release chan struct{}
}

func (g gateIndexer) Reindex(ctx context.Context, progress func(seam.Progress)) (seam.Summary, error) {
	progress(seam.Progress{Stage: "embedding", Done: 1, Total: 9})
	close(g.started)
	select {
	case <-g.release:
	case <-ctx.Done():
		return seam.Summary{}, ctx.Err()
	}
	return seam.Summary{Articles: 3, Passages: 9, Added: []string{"new"}, Unchanged: 2, Duration: 16 * time.Minute}, nil
}

// TestLongReindexReportsInTheChannel runs reindexes that outlive the
// interaction's context and its token (15 minutes, on a clock shared by
// the bot and the fake): the summary then comes as a channel message
// addressed to the admin, never as "took too long". A reindex that ends
// in time still edits its private reply, and one whose token Discord
// already refuses falls back to the channel too.
func TestLongReindexReportsInTheChannel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		bot, discord  time.Duration // how far each clock moves during the reindex
		wantInChannel bool
	}{
		{"past the token's life", 15 * time.Minute, 15 * time.Minute, true},
		{"within a minute of its end", 14*time.Minute + 30*time.Second, 14*time.Minute + 30*time.Second, true},
		{"in time", 10 * time.Minute, 10 * time.Minute, false},
		{"expired by Discord's clock only", 10 * time.Minute, 16 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
			botClock, discordClock := fakediscord.NewManualClock(start), fakediscord.NewManualClock(start)
			ix := gateIndexer{started: make(chan struct{}), release: make(chan struct{})}
			e := newEnv(t, envOptions{
				fakeOpts: []fakediscord.Option{fakediscord.Clock(discordClock.Now)},
				config: func(c *Config) {
					c.Indexer = ix
					c.Now = botClock.Now
					c.InteractionTimeout = 300 * time.Millisecond // the interaction's context ends first
				},
			})
			i := fakediscord.CommandInteraction("reindex", nil, admin)
			done := make(chan struct{})
			go func() {
				defer close(done)
				e.handle(i)
			}()
			receive(t, ix.started, "the reindex")
			time.Sleep(400 * time.Millisecond)
			botClock.Advance(tt.bot)
			discordClock.Advance(tt.discord)
			close(ix.release)
			receive(t, done, "the handler")

			var report *discordgo.Message
			for _, m := range e.fake.ChannelMessages(fakediscord.ChannelID) {
				if strings.Contains(m.Content, "Reindex finished") && m.WebhookID == "" {
					report = m
				}
				if strings.Contains(m.Content, "took too long") {
					t.Errorf("a message says %q", m.Content)
				}
			}
			for _, f := range e.fake.Followups(i.Token) {
				if strings.Contains(f.Content, "took too long") {
					t.Errorf("a follow-up says %q", f.Content)
				}
			}
			reply := e.response(i)
			switch {
			case tt.wantInChannel && report == nil:
				t.Fatalf("no report in the channel; the reply says %q", reply.Content)
			case tt.wantInChannel && !strings.Contains(report.Content, "<@"+i.Member.User.ID+">"):
				t.Errorf("the report isn't addressed to the admin: %q", report.Content)
			case !tt.wantInChannel && report != nil:
				t.Errorf("reported in the channel though the reply was still editable: %q", report.Content)
			case !tt.wantInChannel && !strings.Contains(reply.Content, "Reindex finished"):
				t.Errorf("private reply = %q, want the summary", reply.Content)
			}
		})
	}
}

// manyCitationsAnswerer answers citing n passages, article-01#1 and on.
type manyCitationsAnswerer struct{ n int }

func (a manyCitationsAnswerer) Answer(_ context.Context, q seam.Question, _ func(string)) (seam.Answer, error) {
	var cites []seam.Citation
	var text strings.Builder
	for k := 1; k <= a.n; k++ {
		p, _ := manyPassages{}.Passage(fmt.Sprintf("article-%02d#1", k))
		cites = append(cites, seam.Citation{N: k, Passage: p})
		fmt.Fprintf(&text, "Claim %d [%d]. ", k, k)
	}
	return seam.Answer{Text: text.String(), Citations: cites, Mode: "llm"}, nil
}

// manyPassages is a Searcher whose passages are long, with long titles
// and URLs, so that few fit a message.
type manyPassages struct{ Searcher }

func (manyPassages) Passage(id string) (seam.Passage, bool) {
	if !strings.HasPrefix(id, "article-") {
		return seam.Passage{}, false
	}
	return seam.Passage{ID: id, ArticleID: strings.TrimSuffix(id, "#1"),
		Title:  "A long title about the sanctions and what every side said " + id + strings.Repeat(" and more", 12),
		Source: "Press TV", URL: "https://example.com/" + strings.Repeat("path/", 60) + id,
		Text: strings.Repeat("A lengthy passage about the sanctions and the missile programme. ", 30)}, true
}

// TestShowSourcesPagesThroughEveryCitation asks for an answer citing 30
// passages, more than one message can show, and turns the pages of "Show
// sources" until Next is disabled: every citation is shown once, each page
// passes the strict fake, and a page click whose message Discord sent
// only as an ID and flags still works.
func TestShowSourcesPagesThroughEveryCitation(t *testing.T) {
	t.Parallel()
	const n = 30
	e := newEnv(t, envOptions{config: func(c *Config) {
		c.Answerer = manyCitationsAnswerer{n: n}
		c.Searcher = manyPassages{c.Searcher}
	}})
	ask := fakediscord.CommandInteraction("ask", map[string]any{"question": "What was said?"}, member)
	e.handle(ask)
	answer := e.response(ask)
	if got := len(citationsOf(answer)); got != n {
		t.Fatalf("the answer's Sources list %d citations, want %d", got, n)
	}
	show := fakediscord.ComponentInteraction(idShowSources, answer, member)
	e.handle(show)
	page := e.response(show)
	seen := map[string]int{}
	for turn := 0; ; turn++ {
		if !isEphemeral(page) {
			t.Fatalf("page %d is public", turn+1)
		}
		for _, em := range page.Embeds {
			if !strings.HasPrefix(em.Title, sourcesTitle) {
				n, _, _ := strings.Cut(em.Title, " ")
				seen[n]++
			}
		}
		next := buttonLabelled(page, "Next")
		if next == nil || next.Disabled || turn > n {
			break
		}
		msg := page
		if turn == 1 {
			msg = &discordgo.Message{ID: page.ID, ChannelID: page.ChannelID, Flags: discordgo.MessageFlagsEphemeral}
		}
		click := fakediscord.ComponentInteraction(next.CustomID, msg, member)
		e.handle(click)
		page = e.response(click)
	}
	for k := 1; k <= n; k++ {
		if c := seen[fmt.Sprintf("[%d]", k)]; c != 1 {
			t.Errorf("citation [%d] shown %d times, want once", k, c)
		}
	}
	if len(seen) != n {
		t.Errorf("shown %v", seen)
	}
}

// buttonLabelled finds a button of a message by its label.
func buttonLabelled(m *discordgo.Message, label string) *discordgo.Button {
	for _, c := range m.Components {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, b := range row.Components {
			if btn, ok := b.(*discordgo.Button); ok && btn.Label == label {
				return btn
			}
		}
	}
	return nil
}

// bigCorpus is a JSON file of 40 articles from 40 outlets, each as long
// as the renderers must cope with: titles of 200 characters full of
// Markdown, URLs of about 500 characters, long outlet names and texts.
func bigCorpus() string {
	var arts []map[string]any
	for n := 1; n <= 40; n++ {
		arts = append(arts, map[string]any{
			"id":        fmt.Sprintf("big-%02d", n),
			"title":     fmt.Sprintf("*Sanctions* [update] %d: ", n) + strings.Repeat("_the_ ~~long~~ `headline` ", 8),
			"source":    fmt.Sprintf("Agency %d %s", n, strings.Repeat("*_", 30)), // 120 characters escaped
			"url":       fmt.Sprintf("https://news.example/%s/%d", strings.Repeat("section/", 60), n),
			"published": fmt.Sprintf("2017-08-%02d", 1+n%28),
			"text": fmt.Sprintf("The sanctions bill %d passed, the outlet reported. ", n) +
				strings.Repeat("Lawmakers said the missile sanctions would stay in force for years, officials added. ", 25),
		})
	}
	b, err := json.Marshal(arts)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// bigAnswerer answers with a text of several messages citing 20 passages
// of the index, as long an answer as the bot sends.
type bigAnswerer struct{ search Searcher }

func (a bigAnswerer) Answer(ctx context.Context, q seam.Question, onPartial func(string)) (seam.Answer, error) {
	ps, err := a.search.Search(ctx, "sanctions bill passed", 20, seam.Filter{})
	if err != nil {
		return seam.Answer{}, err
	}
	var text strings.Builder
	var cites []seam.Citation
	for k, p := range ps {
		cites = append(cites, seam.Citation{N: k + 1, Passage: p})
		fmt.Fprintf(&text, "%s reports that the sanctions bill passed and lawmakers said the sanctions would stay in force for years [%d]. ", p.Source, k+1)
	}
	for text.Len() < 5000 {
		text.WriteString("Officials added that the missile sanctions would stay [1]. ")
	}
	onPartial(text.String()[:2500])
	return seam.Answer{Text: text.String(), Citations: cites, Passages: ps, Mode: "llm"}, nil
}

// TestLargestPayloadsPassTheStrictFake sends the bot's largest real
// payloads through the strict fake: a long /ask answer citing 20 passages
// with long titles and URLs (Sources embeds and buttons, follow-ups), its
// Show sources pages, /articles pages of long titles and URLs, /help on a
// corpus of 40 outlets with long names, /source of 10 long passages.
// Discord (the fake) must accept every one of them.
func TestLargestPayloadsPassTheStrictFake(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{extra: map[string]string{"big.json": bigCorpus()}, config: func(c *Config) {
		c.Answerer = bigAnswerer{search: c.Searcher}
	}})
	if n := len(e.ix.Articles()); n != 42 {
		t.Fatalf("%d articles indexed, want 42", n)
	}
	run := func(i *discordgo.Interaction) *discordgo.Message {
		t.Helper()
		e.handle(i)
		return e.response(i)
	}
	askI := fakediscord.CommandInteraction("ask", map[string]any{"question": "Did the sanctions bill pass?"}, member)
	ask := run(askI)
	if !answered(ask) || len(citationsOf(ask)) != 20 || len(e.fake.Followups(askI.Token)) == 0 {
		t.Errorf("the /ask answer lists %d citations, has buttons %v and %d follow-ups; want 20, buttons and the rest of the text",
			len(citationsOf(ask)), answered(ask), len(e.fake.Followups(askI.Token)))
	}
	page := run(fakediscord.ComponentInteraction(idShowSources, ask, member))
	for turn := 0; turn < 20; turn++ {
		next := buttonLabelled(page, "Next")
		if next == nil || next.Disabled {
			break
		}
		page = run(fakediscord.ComponentInteraction(next.CustomID, page, member))
	}
	arts := run(fakediscord.CommandInteraction("articles", nil, member))
	for turn := 0; turn < 5; turn++ {
		next := buttonLabelled(arts, "Next")
		if next == nil || next.Disabled {
			break
		}
		arts = run(fakediscord.ComponentInteraction(next.CustomID, arts, member))
	}
	run(fakediscord.CommandInteraction("articles", map[string]any{"search": "sanctions update"}, member))
	help := run(fakediscord.CommandInteraction("help", nil, member))
	if !strings.Contains(help.Content, "more") {
		t.Errorf("/help names every one of 40 long outlets? %q", help.Content)
	}
	run(fakediscord.CommandInteraction("source", map[string]any{"query": "missile sanctions", "count": 10}, member))

	sent, biggest := 0, 0
	for _, r := range e.fake.Requests() {
		if r.InteractionToken == "" {
			continue
		}
		sent++
		biggest = max(biggest, len(r.Body))
		if r.Status >= 400 && r.Status != http.StatusTooManyRequests {
			t.Errorf("Discord refused %s %s: %d %s", r.Method, r.Path, r.Status, r.JSON)
		}
	}
	if sent < 20 || biggest < 5000 {
		t.Errorf("%d requests reached the fake, the biggest of %d bytes: not the largest payloads", sent, biggest)
	}
	t.Logf("%d requests, the biggest %d bytes", sent, biggest)
	if !strings.Contains(e.log.String(), `"command":"ask"`) || strings.Contains(e.log.String(), `"outcome":"error"`) {
		t.Errorf("an interaction failed: %s", e.log.String())
	}
}
