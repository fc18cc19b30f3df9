package commands

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/bot/adapt"
	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/internal/fakeopenai"
	"github.com/newsbot/newsbot/internal/llm"
)

// withModel makes the router's answer engine and checker use a model whose
// fake server replies as reply does; it returns the server.
func withModel(t *testing.T, reply func(openai.ChatCompletionRequest) fakeopenai.Response) (*fakeopenai.Server, func(*Config)) {
	t.Helper()
	srv := fakeopenai.New(t)
	srv.Reply(reply)
	return srv, func(c *Config) {
		model, err := llm.New(llm.Config{BaseURL: srv.URL + "/v1", Model: "fake-chat", Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := answer.New(c.Searcher.(adapt.Index).Index, answer.Config{Model: model, ModelName: "fake-chat"})
		if err != nil {
			t.Fatal(err)
		}
		c.Answerer = adapt.Engine{Engine: eng}
		c.Checker = adapt.Engine{Engine: eng}
	}
}

// register registers the router's commands in the fake's guild, where
// Discord validates them.
func (e *env) register() {
	e.t.Helper()
	if _, err := e.ds.ApplicationCommandBulkOverwrite(fakediscord.AppID, fakediscord.GuildID, e.router.Definitions()); err != nil {
		e.t.Fatalf("Discord refused the definitions: %v", err)
	}
}

// hasShare reports whether a message has an enabled Share button.
func hasShare(m *discordgo.Message) bool {
	for _, c := range m.Components {
		if row, ok := rowOf(c); ok {
			for _, b := range row.Components {
				if bt, ok := b.(*discordgo.Button); ok && bt.CustomID == idShare && !bt.Disabled {
					return true
				}
			}
		}
	}
	return false
}

var bob = fakediscord.UserSpec{Username: "bob"}

// TestCheckEndToEnd runs "Check against the articles" on someone's message
// through discordgo and the strict fake, offline: a private answer, within
// 3 seconds, with the passages that speak to the message, each cited
// with its ID, the message's text neutralised, and no verdict (it says
// why). Share then posts it to the channel for everyone, naming who
// shared it, with empty allowed mentions, and the private message says it
// was shared.
func TestCheckEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{open: true})
	e.register()
	target := &discordgo.Message{Content: "Iran says it will never allow inspections of its military sites @everyone **really** [x](https://evil.example)",
		Author: bob.User()}
	i := fakediscord.MessageCommandInteraction(checkCommandName, target, member)
	if err := e.fake.DispatchInteraction(i); err != nil {
		t.Fatal(err)
	}
	m := e.waitResponse(i, 10*time.Second, hasShare)
	if d, ok := e.fake.AckLatency(i.ID); !ok || d > 3*time.Second {
		t.Errorf("acknowledged after %v (%v), want within 3s", d, ok)
	}
	if !isEphemeral(m) {
		t.Fatal("the check is public, want private")
	}
	if !strings.Contains(m.Content, "no verdict") || !strings.Contains(m.Content, " by bob.") ||
		!strings.Contains(m.Content, "(https://discord.com/channels/"+fakediscord.GuildID+"/"+fakediscord.ChannelID+"/"+target.ID+")") {
		t.Errorf("content = %q, want the message linked, its author named, and no verdict", m.Content)
	}
	if len(m.Embeds) != 1 || m.Embeds[0].Title != "The claim" {
		t.Fatalf("embeds = %+v, want one for the claim", m.Embeds)
	}
	desc := m.Embeds[0].Description
	for _, want := range []string{"@\u200beveryone", `\*\*really\*\*`, `\[x\](https\://evil.example)`, "**[1]**", "`000_e22c96a855d117b2#1`", "Press TV", "**inspection**"} {
		if !strings.Contains(desc, want) {
			t.Errorf("the claim's embed lacks %q:\n%s", want, desc)
		}
	}
	if strings.Contains(desc, "@everyone") || strings.Contains(desc, "](https://evil") {
		t.Errorf("the claim's embed is not neutralised:\n%s", desc)
	}
	for _, id := range passageIDs(desc) {
		if _, ok := e.ix.Passage(id); !ok {
			t.Errorf("the check cites passage %q, which is not indexed", id)
		}
	}
	if got := e.fake.ChannelMessages(fakediscord.ChannelID); len(got) != 1 {
		t.Errorf("%d messages in the channel before Share, want the private one only", len(got))
	}

	// Share: a public copy in the channel, naming the sharer.
	share := fakediscord.ComponentInteraction(idShare, m, member)
	if err := e.fake.DispatchInteraction(share); err != nil {
		t.Fatal(err)
	}
	var shared *discordgo.Message
	waitFor(t, func() bool {
		for _, c := range e.fake.ChannelMessages(fakediscord.ChannelID) {
			if !isEphemeral(c) && strings.Contains(c.Content, "Shared by") {
				shared = c
				return true
			}
		}
		return false
	})
	if !strings.HasPrefix(shared.Content, m.Content) || !strings.HasSuffix(shared.Content, "\n-# Shared by alice") {
		t.Errorf("shared content = %q, want the check's and who shared it", shared.Content)
	}
	if len(shared.Embeds) != 1 || shared.Embeds[0].Description != desc {
		t.Errorf("shared embeds = %+v, want the check's", shared.Embeds)
	}
	if len(shared.Components) != 0 {
		t.Errorf("the shared copy has buttons %+v, want none (Share is for private messages)", shared.Components)
	}
	waitFor(t, func() bool { mm := e.response(i); return len(mm.Components) > 0 && !hasShare(mm) })
	if after := e.response(i); !strings.Contains(after.Content, m.Content) || !isEphemeral(after) {
		t.Errorf("the private message after Share = %+v", after)
	}
	if v := e.fake.MentionViolations(); len(v) != 0 {
		t.Errorf("allowed-mentions violations: %+v", v)
	}
}

// passageIDs reads the passage IDs of a check's embed.
func passageIDs(desc string) []string {
	var ids []string
	for _, line := range strings.Split(desc, "\n") {
		if _, rest, ok := strings.Cut(line, " · `"); ok {
			id, _, _ := strings.Cut(rest, "`")
			ids = append(ids, id)
		}
	}
	return ids
}

// TestShareReadsTheMessageBack checks Share when Discord sends only the ID
// and flags of the private message with the press: the message is read
// back through the interaction's webhook.
func TestShareReadsTheMessageBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	i := fakediscord.MessageCommandInteraction(checkCommandName, &discordgo.Message{Content: "Jazayeri said the improvement of missile equipment will never be stopped."}, member)
	e.handle(i)
	m := e.response(i)
	if !hasShare(m) {
		t.Fatalf("check = %+v, want a Share button", m)
	}
	share := fakediscord.ComponentInteraction(idShare, m, member)
	e.fake.Track(share) // the fake knows the whole message
	share.Message = &discordgo.Message{ID: m.ID, ChannelID: m.ChannelID, Flags: m.Flags}
	e.handle(share)
	fs := e.fake.Followups(share.Token)
	if len(fs) != 1 || isEphemeral(fs[0]) || !strings.Contains(fs[0].Content, "Shared by") || len(fs[0].Embeds) == 0 {
		t.Fatalf("follow-ups = %+v, want the public copy", fs)
	}
}

// TestShareRefuses checks what Share won't post: a message that is public
// already, one that isn't the bot's.
func TestShareRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for name, msg := range map[string]*discordgo.Message{
		"public":        {ID: "1170000000000000099", Content: "x", Author: &discordgo.User{ID: fakediscord.AppID}},
		"not the bot's": {ID: "1170000000000000098", Content: "x", Author: bob.User(), Flags: discordgo.MessageFlagsEphemeral},
	} {
		share := fakediscord.ComponentInteraction(idShare, msg, member)
		e.handle(share)
		fs := e.fake.Followups(share.Token)
		if len(fs) != 1 || !isEphemeral(fs[0]) {
			t.Errorf("%s: follow-ups %+v, want one private refusal", name, fs)
		}
	}
	for _, m := range e.fake.ChannelMessages(fakediscord.ChannelID) {
		if !isEphemeral(m) {
			t.Errorf("Share posted %q publicly", m.Content)
		}
	}
}

// TestCheckWithModel checks the verdict: written by the model from the
// passages, its citations checked (a mark pointing at no passage is
// removed, a sentence no passage supports is flagged), shown above the
// passages it cites.
func TestCheckWithModel(t *testing.T) {
	t.Parallel()
	const verdict = "Press TV reports that Iran will never allow any inspection of its military sites [1][7]. " +
		"None of the articles say that Iran will let inspectors visit."
	srv, cfg := withModel(t, func(req openai.ChatCompletionRequest) fakeopenai.Response {
		return fakeopenai.Response{Text: verdict}
	})
	e := newEnv(t, envOptions{config: cfg})
	target := &discordgo.Message{Content: "Iran says it will allow any inspection of its military sites </message>", Author: bob.User()}
	i := fakediscord.MessageCommandInteraction(checkCommandName, target, member)
	e.handle(i)
	m := e.response(i)
	if !isEphemeral(m) || !hasShare(m) {
		t.Fatalf("check = %+v, want private with Share", m)
	}
	for _, want := range []string{"**What the articles say**", "Press TV reports that Iran will never allow any inspection of its military sites [1].", "None of the articles say"} {
		if !strings.Contains(m.Content, want) {
			t.Errorf("content lacks %q:\n%s", want, m.Content)
		}
	}
	if strings.Contains(m.Content, "[7]") {
		t.Errorf("the verdict keeps a citation of no passage: %q", m.Content)
	}
	if len(m.Embeds) == 0 || !strings.Contains(m.Embeds[0].Description, "**[1]**") {
		t.Errorf("the passage the verdict cites is not listed: %+v", m.Embeds)
	}
	reqs := srv.ChatRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d model requests, want 1", len(reqs))
	}
	if user := reqs[0].Messages[1].Content; !strings.Contains(user, "sites ‹/message>") || strings.Count(user, "</message>") != 1 {
		t.Errorf("the message is not fenced in the prompt:\n%s", user)
	}
	if !strings.Contains(e.log.String(), `"command":"Check against the articles"`) || !strings.Contains(e.log.String(), `"mode":"llm"`) {
		t.Errorf("log lacks the check's line: %s", e.log.String())
	}
}

// TestCheckRefusals checks the private refusals before any work: a message
// without text, a user on cooldown (a check costs what an /ask costs).
func TestCheckRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{config: func(c *Config) { c.Cooldown = time.Minute }})
	empty := fakediscord.MessageCommandInteraction(checkCommandName, &discordgo.Message{Content: " \u200b "}, member)
	e.handle(empty)
	if m := e.response(empty); !isEphemeral(m) || !strings.Contains(m.Content, "no text to check") {
		t.Errorf("empty message: %+v", m)
	}
	ask := fakediscord.CommandInteraction("ask", map[string]any{"question": "Will Iran allow inspections of its military sites?"}, member)
	e.handle(ask)
	again := fakediscord.MessageCommandInteraction(checkCommandName, &discordgo.Message{Content: "Iran will never allow inspections."}, member)
	e.handle(again)
	if m := e.response(again); !isEphemeral(m) || !strings.Contains(m.Content, "try again in") {
		t.Errorf("check right after /ask: %+v, want the cooldown", m)
	}
}

// TestCheckNotCovered checks a message the articles say nothing about.
func TestCheckNotCovered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	i := fakediscord.MessageCommandInteraction(checkCommandName, &discordgo.Message{Content: "Brazil won the 2002 World Cup final against Germany"}, member)
	e.handle(i)
	m := e.response(i)
	if !isEphemeral(m) || !strings.Contains(m.Content, "None of the indexed articles speaks") ||
		len(m.Embeds) != 1 || !strings.Contains(m.Embeds[0].Description, "No passage of the articles speaks to this.") {
		t.Errorf("check = %q %+v", m.Content, m.Embeds)
	}
}

// TestCheckGolden renders checks as they are sent: offline, with a
// verdict, of several claims with passages shown under more than one, and
// the largest one, within Discord's limits with room for Share's line.
func TestCheckGolden(t *testing.T) {
	t.Parallel()
	target := &discordgo.Message{ID: "1170000000000000010", ChannelID: fakediscord.ChannelID, GuildID: fakediscord.GuildID,
		Author: &discordgo.User{ID: "1170000000000000011", Username: "mallory", GlobalName: "@everyone *Mallory*"}}
	hl := func(text, query string) string {
		return strings.Replace(text, "inspection", markOpen+"inspection"+markClose, 1)
	}
	offline := seam.Check{Claims: []seam.Claim{{Text: "Iran will allow inspections @everyone", Passages: []int{1}}},
		Passages: []seam.Citation{{N: 1, Passage: p1}}, Mode: "extractive"}
	verdict := offline
	verdict.Verdict, verdict.Mode = "Press TV reports that Iran will never allow any inspection of its military sites [1]. *None* of the articles say otherwise.", "llm"
	claims := seam.Check{Claims: []seam.Claim{
		{Text: "Iran will allow inspections.", Passages: []int{1, 2}},
		{Text: "The Treasury imposed sanctions.", Passages: []int{2}},
		{Text: "Brazil won the World Cup.", Passages: nil},
	}, Passages: []seam.Citation{{N: 1, Passage: p1}, {N: 2, Passage: p2}}, Mode: "extractive"}
	big := seam.Check{Verdict: strings.Repeat("A long verdict about *everything* [1]. ", 80), Mode: "llm"}
	for k := range 4 {
		c := seam.Claim{Text: strings.Repeat("A very long claim with `code` and _emphasis_ ", 12)}
		for j := range 3 {
			n := k*3 + j + 1
			p := seam.Passage{ID: "long/" + strings.Repeat("x", 100) + "#" + string(rune('a'+n)), Title: strings.Repeat("*Title* ", 40),
				Source: strings.Repeat("_Outlet_ ", 12), URL: "https://example.com/" + strings.Repeat("p", 480), Text: strings.Repeat("inspection [1] *bold* ", 200)}
			big.Passages = append(big.Passages, seam.Citation{N: n, Passage: p})
			c.Passages = append(c.Passages, n)
		}
		big.Claims = append(big.Claims, c)
	}
	tests := []struct {
		name string
		res  seam.Check
	}{
		{"check_offline", offline},
		{"check_verdict", verdict},
		{"check_claims", claims},
		{"check_not_covered", seam.Check{Claims: []seam.Claim{{Text: "Brazil won."}}, NotCovered: true, Mode: "extractive"}},
		{"check_model_failed", seam.Check{Claims: offline.Claims, Passages: offline.Passages, Fallback: "model error: HTTP 500", Mode: "extractive"}},
		{"check_largest", big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := renderCheck(target, tt.res, hl)
			golden(t, tt.name, m)
			checkLimits(t, m)
			if w := width(m.Content); w > MessageLimit-shareRoom {
				t.Errorf("content of %d characters leaves no room for Share's line", w)
			}
			if len(m.Embeds) != len(tt.res.Claims) {
				t.Errorf("%d embeds for %d claims", len(m.Embeds), len(tt.res.Claims))
			}
			if len(sharedCopy(toMessage(m), strings.Repeat("_", 40))) != 1 {
				t.Error("the shared copy takes two messages")
			}
		})
	}
}

// TestCheckedText checks what is read of a message: its content, else its
// embeds; invisible characters dropped; the bot's own messages read back.
func TestCheckedText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    *discordgo.Message
		want string
	}{
		{"content", &discordgo.Message{Content: " Iran\u200b said so. "}, "Iran said so."},
		{"embeds", &discordgo.Message{Embeds: []*discordgo.MessageEmbed{{Title: "Iran", Description: "said so"}}}, "Iran\nsaid so"},
		{"the bot's", &discordgo.Message{Content: `Press TV \*says\* so`, Author: &discordgo.User{ID: "9"}}, "Press TV *says* so"},
		{"someone's backslashes", &discordgo.Message{Content: `a \*b\*`, Author: &discordgo.User{ID: "8"}}, `a \*b\*`},
		{"long", &discordgo.Message{Content: strings.Repeat("é", maxCheckedRunes+10)}, strings.Repeat("é", maxCheckedRunes)},
	}
	for _, tt := range tests {
		if got := checkedText(tt.m, "9"); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if targetMessage(fakediscord.CommandInteraction("ask", nil, member)) != nil {
		t.Error("a slash command has a target message")
	}
}
