package commands

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
)

// TestLocalisedDefinitions registers the commands with the strict fake,
// which checks Discord's rules on localised names and descriptions, and
// checks that every command and option has a name and a description in
// every locale (a menu command, a name only), as registered.
func TestLocalisedDefinitions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.register()
	cmds := e.fake.Commands(fakediscord.GuildID)
	if len(cmds) != len(e.router.Definitions()) {
		t.Fatalf("registered %d commands, want %d", len(cmds), len(e.router.Definitions()))
	}
	for _, c := range cmds {
		for _, loc := range locales {
			if c.NameLocalizations == nil || (*c.NameLocalizations)[loc] == "" {
				t.Errorf("%q has no name in %s", c.Name, loc)
			}
			if c.Type == discordgo.ChatApplicationCommand && (c.DescriptionLocalizations == nil || (*c.DescriptionLocalizations)[loc] == "") {
				t.Errorf("/%s has no description in %s", c.Name, loc)
			}
			for _, o := range c.Options {
				if o.NameLocalizations[loc] == "" || o.DescriptionLocalizations[loc] == "" {
					t.Errorf("/%s %s has no name or description in %s", c.Name, o.Name, loc)
				}
			}
		}
	}
	ask := cmds[0]
	if ask.Name != "ask" || (*ask.NameLocalizations)[discordgo.French] != "demander" || (*ask.NameLocalizations)[discordgo.German] != "fragen" {
		t.Errorf("/ask's names = %v", ask.NameLocalizations)
	}
	for _, c := range cmds {
		if c.Name != "ingest" {
			continue
		}
		for _, o := range c.Options {
			if d := o.DescriptionLocalizations[discordgo.French]; o.Name == "file" && (!strings.Contains(d, ".jsonl") || !strings.Contains(d, " et ")) {
				t.Errorf("/ingest file in French: %q", d)
			}
		}
	}
}

// TestOptionLabel checks that a message naming an option names it as the
// user's client shows it.
func TestOptionLabel(t *testing.T) {
	t.Parallel()
	i := fakediscord.CommandInteraction("source", nil, member)
	for loc, want := range map[discordgo.Locale]string{discordgo.EnglishUS: "from", discordgo.French: "du", discordgo.German: "von", discordgo.Japanese: "from"} {
		i.Locale = loc
		if got := optionLabel(i, "from"); got != want {
			t.Errorf("%s: %q, want %q", loc, got, want)
		}
	}
}
