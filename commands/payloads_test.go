package commands

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

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
