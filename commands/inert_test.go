package commands

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/bot/adapt"
	"github.com/newsbot/newsbot/internal/fakediscord"
)

// markupArticle is an article whose title and text carry every construct
// that must not render: a masked link, a fake citation link, a heading, a
// spoiler, a block quote, a fenced block, a mention and custom emoji.
const markupArticle = "Zorblax harbour [x](https://evil.example/title) ||TITLESPOILER|| <:pepe:1>\n\n" +
	"The Zorblax council approved the harbour plan on Monday [x](https://evil.example/a), officials said.\n\n" +
	"# HEADMARK Zorblax harbour news\n\n" +
	"> QUOTEMARK The Zorblax harbour plan costs ten million euros, the council said.\n\n" +
	"The Zorblax harbour plan costs ten million euros ||SPOILMARK|| [1](https://evil.example/cite), the mayor said on Monday.\n\n" +
	"```\nFENCEMARK the Zorblax harbour plan costs ten million euros\n```\n\n" +
	"The mayor of Zorblax told @everyone that the harbour plan costs ten million euros."

// modelMarkup is a model answer (obeying the article, say) that tries the
// same constructs.
const modelMarkup = "MODELMARK The Zorblax council approved the harbour plan, officials said [1](https://evil.example/m).\n" +
	"# HEADMARK the plan costs ten million euros, the mayor said [1].\n" +
	"> QUOTEMARK the harbour plan costs ten million euros, the council said [1].\n" +
	"||SPOILMARK|| [x](https://evil.example/x) the mayor said the plan costs ten million euros [1].\n" +
	"```\nFENCEMARK\n```"

var (
	liveHeading = regexp.MustCompile(`(?m)^[ \t]*(-# |#{1,3} )`)
	liveQuote   = regexp.MustCompile(`(?m)^[ \t]*(>[ \t]*)+(QUOTEMARK|>)`)
	liveEmoji   = regexp.MustCompile(`(^|[^\\])<:pepe:1>`)
)

// checkInert asserts that what a message shows of markupArticle or
// modelMarkup is text: no masked or fake citation link, no link to
// evil.example at all, no heading, spoiler, block quote or code block, no
// custom emoji or mention.
func checkInert(t *testing.T, what string, m *discordgo.Message) {
	t.Helper()
	texts := map[string]string{"content": m.Content}
	for k, e := range m.Embeds {
		texts["embed title "+string(rune('0'+k))] = e.Title
		texts["embed description "+string(rune('0'+k))] = e.Description
	}
	for where, s := range texts {
		for _, live := range []string{"[x](", "](https://evil", "https://evil", "||", "```", "@everyone"} {
			if strings.Contains(s, live) {
				t.Errorf("%s: %s shows %q live: %q", what, where, live, s)
			}
		}
		if l := liveEmoji.FindString(s); l != "" {
			t.Errorf("%s: %s has custom emoji %q: %q", what, where, l, s)
		}
		if l := liveHeading.FindString(s); l != "" {
			t.Errorf("%s: %s has a heading %q: %q", what, where, l, s)
		}
		if l := liveQuote.FindString(s); l != "" {
			t.Errorf("%s: %s has a block quote %q: %q", what, where, l, s)
		}
	}
}

// TestUntrustedMarkupRendersInert runs an article and a model answer full
// of Markdown and markup through every reply that shows them: /ask offline
// (quoted sentences), Show sources, /ask with a model, /source, and the
// "not covered" reply naming the article's title. Each must show them as
// text.
func TestUntrustedMarkupRendersInert(t *testing.T) {
	t.Parallel()
	extra := map[string]string{"zorblax.txt": markupArticle}
	const q = "What does the Zorblax harbour plan cost?"

	t.Run("offline", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOptions{extra: extra})
		i := fakediscord.CommandInteraction("ask", map[string]any{"question": q}, member)
		e.handle(i)
		m := e.response(i)
		if !strings.Contains(m.Content, "ten million euros") {
			t.Fatalf("the answer doesn't quote the article: %q", m.Content)
		}
		checkInert(t, "/ask offline", m)

		show := fakediscord.ComponentInteraction(idShowSources, m, member)
		e.handle(show)
		src := e.response(show)
		if len(src.Embeds) == 0 {
			t.Fatalf("Show sources = %+v", src)
		}
		checkInert(t, "Show sources", src)

		s := fakediscord.CommandInteraction("source", map[string]any{"query": "Zorblax harbour plan", "count": 5}, member)
		e.handle(s)
		res := e.response(s)
		if !strings.Contains(contentAndEmbeds(res), "HEADMARK") || !strings.Contains(contentAndEmbeds(res), "QUOTEMARK") {
			t.Fatalf("/source doesn't show the article's passages: %q", contentAndEmbeds(res))
		}
		checkInert(t, "/source", res)

		no := fakediscord.CommandInteraction("ask", map[string]any{"question": "Who won the Zorblax harbour election in 2031?"}, member)
		e.handle(no)
		dec := e.response(no)
		if !strings.Contains(dec.Content, "don't") || !strings.Contains(contentAndEmbeds(dec), "TITLESPOILER") {
			t.Fatalf("want a reply saying the articles don't cover it, naming the article: %q", contentAndEmbeds(dec))
		}
		checkInert(t, "not covered", dec)
	})

	t.Run("model", func(t *testing.T) {
		t.Parallel()
		ai := openaiStreaming(t, modelMarkup, time.Millisecond)
		e := newEnv(t, envOptions{extra: extra, config: func(c *Config) {
			eng, err := answer.New(c.Searcher.(adapt.Index).Index, answer.Config{Model: ai, ModelName: "fake-chat"})
			if err != nil {
				t.Fatal(err)
			}
			c.Answerer = adapt.Engine{Engine: eng}
		}})
		i := fakediscord.CommandInteraction("ask", map[string]any{"question": q}, member)
		e.handle(i)
		m := e.response(i)
		if !strings.Contains(m.Content, "MODELMARK") || !strings.Contains(m.Content, "SPOILMARK") {
			t.Fatalf("the answer is not the model's: %q", m.Content)
		}
		checkInert(t, "/ask with a model", m)
		// The streamed edits too.
		for _, r := range e.fake.Requests() {
			if c, _ := r.JSON["content"].(string); c != "" {
				checkInert(t, r.Method+" "+r.Path, &discordgo.Message{Content: c})
			}
		}
	})
}
