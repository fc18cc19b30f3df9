package commands

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
)

// foreignGuild is a server the bot was added to by someone else.
const foreignGuild = "1170000000000000999"

// inGuild moves a built interaction to another server.
func inGuild(i *discordgo.Interaction, guild string) *discordgo.Interaction {
	i.GuildID = guild
	i.AuthorizingIntegrationOwners = map[discordgo.ApplicationIntegrationType]string{
		discordgo.ApplicationIntegrationGuildInstall: guild,
	}
	return i
}

// adminScopeEnv is a bot whose admin server is fakediscord.GuildID, with a
// counted Indexer.
func adminScopeEnv(t *testing.T, o envOptions) (*env, *countingIndexer) {
	t.Helper()
	counter := &countingIndexer{}
	o.config = func(c *Config) {
		counter.Indexer = c.Indexer
		c.Indexer = counter
		c.AdminGuildIDs = []string{fakediscord.GuildID}
	}
	return newEnv(t, o), counter
}

// firstCallback returns the type and data of the first (and checks it is
// the only) interaction callback the fake received for i.
func firstCallback(t *testing.T, e *env, i *discordgo.Interaction) (discordgo.InteractionResponseType, map[string]any) {
	t.Helper()
	var types []discordgo.InteractionResponseType
	var data map[string]any
	for _, r := range e.fake.Requests() {
		if r.InteractionToken != i.Token || !strings.HasSuffix(r.Path, "/callback") {
			continue
		}
		typ, _ := r.JSON["type"].(float64)
		types = append(types, discordgo.InteractionResponseType(typ))
		if len(types) == 1 {
			data, _ = r.JSON["data"].(map[string]any)
		}
	}
	if len(types) != 1 {
		t.Fatalf("interaction %s: callbacks of types %v, want exactly one", i.ID, types)
	}
	return types[0], data
}

// TestAdminCommandsOnlyInAdminGuilds sends /reindex and /ingest through
// the gateway from a server that is not an admin server, by a member with
// Manage Server there: each is refused at once (an ephemeral reply as the
// first and only response, no deferral), nothing is reindexed or saved.
// From the admin server the same members are allowed.
func TestAdminCommandsOnlyInAdminGuilds(t *testing.T) {
	t.Parallel()
	e, counter := adminScopeEnv(t, envOptions{open: true})
	file := e.fake.NewAttachment("zorblax.txt", []byte(ingestArticle))
	refused := []*discordgo.Interaction{
		inGuild(fakediscord.CommandInteraction("reindex", nil, admin), foreignGuild),
		inGuild(fakediscord.CommandInteraction("ingest", map[string]any{"file": file}, admin), foreignGuild),
		inGuild(fakediscord.CommandInteraction("reindex", nil, fakediscord.UserSpec{Username: "owner", Permissions: discordgo.PermissionAdministrator}), foreignGuild),
	}
	for _, i := range refused {
		if err := e.fake.DispatchInteraction(i); err != nil {
			t.Fatal(err)
		}
		m := e.waitResponse(i, 5*time.Second, func(m *discordgo.Message) bool { return m.Content != "" })
		typ, data := firstCallback(t, e, i)
		if typ != discordgo.InteractionResponseChannelMessageWithSource {
			t.Errorf("/%s from another server: first response of type %d, want an immediate reply (4)", i.ApplicationCommandData().Name, typ)
		}
		if flags, _ := data["flags"].(float64); int(flags)&int(discordgo.MessageFlagsEphemeral) == 0 || !isEphemeral(m) {
			t.Errorf("/%s from another server: the refusal is public", i.ApplicationCommandData().Name)
		}
		if !strings.Contains(m.Content, "can't be used in this server") || !strings.Contains(m.Content, "read-only") {
			t.Errorf("refusal = %q", m.Content)
		}
	}
	if counter.count() != 0 {
		t.Errorf("%d reindexes ran from another server", counter.count())
	}
	if got := ingestedFiles(t, e.corpus); len(got) != 0 {
		t.Errorf("files ingested from another server: %v", got)
	}

	// The admin server itself.
	ok := fakediscord.CommandInteraction("reindex", nil, admin)
	if err := e.fake.DispatchInteraction(ok); err != nil {
		t.Fatal(err)
	}
	e.waitResponse(ok, 10*time.Second, func(m *discordgo.Message) bool { return strings.Contains(m.Content, "Reindex finished") })
	if typ, _ := firstCallback(t, e, ok); typ != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Errorf("/reindex in the admin server: first response of type %d, want deferred", typ)
	}
}

// TestAdminCommandsOverHTTP is TestAdminCommandsOnlyInAdminGuilds over the
// HTTP interactions endpoint, with signed requests: the refusal is the HTTP
// response itself.
func TestAdminCommandsOverHTTP(t *testing.T) {
	t.Parallel()
	e, counter := adminScopeEnv(t, envOptions{})
	se := newSignedEndpoint(t, e)
	file := e.fake.NewAttachment("zorblax.txt", []byte(ingestArticle))
	for _, i := range []*discordgo.Interaction{
		inGuild(fakediscord.CommandInteraction("reindex", nil, admin), foreignGuild),
		inGuild(fakediscord.CommandInteraction("ingest", map[string]any{"file": file}, admin), foreignGuild),
	} {
		status, resp := se.post(i, true)
		if status != http.StatusOK || resp == nil || resp.Type != discordgo.InteractionResponseChannelMessageWithSource ||
			resp.Data == nil || resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 ||
			!strings.Contains(resp.Data.Content, "can't be used in this server") {
			t.Errorf("/%s from another server: %d %+v, want an ephemeral refusal as the response", i.ApplicationCommandData().Name, status, resp)
		}
	}
	if err := e.router.Shutdown(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if counter.count() != 0 {
		t.Errorf("%d reindexes ran from another server", counter.count())
	}
	if got := ingestedFiles(t, e.corpus); len(got) != 0 {
		t.Errorf("files ingested from another server: %v", got)
	}
}

// TestAdminCommandsOff checks that with no admin server every admin command
// is refused, with a message naming the setting that turns it on.
func TestAdminCommandsOff(t *testing.T) {
	t.Parallel()
	counter := &countingIndexer{}
	e := newEnv(t, envOptions{config: func(c *Config) {
		counter.Indexer = c.Indexer
		c.Indexer = counter
		c.AdminGuildIDs = nil
	}})
	i := fakediscord.CommandInteraction("reindex", nil, admin)
	e.handle(i)
	if m := e.response(i); !isEphemeral(m) || !strings.Contains(m.Content, "NEWSBOT_ADMIN_GUILDS") {
		t.Errorf("reply = %q, want how to turn it on", m.Content)
	}
	if counter.count() != 0 {
		t.Error("the reindex ran")
	}
	for _, reg := range e.router.Registrations("") {
		for _, c := range reg.Commands {
			if c.Name == "reindex" || c.Name == "ingest" {
				t.Errorf("/%s is registered (guild %q) with no admin server", c.Name, reg.GuildID)
			}
		}
	}
}

// TestRegistrations checks where each command is registered: everyday
// commands globally (or in the testing guild), admin commands only in the
// admin servers, and nothing registered twice in a scope.
func TestRegistrations(t *testing.T) {
	t.Parallel()
	const other = "1170000000000000777"
	e := newEnv(t, envOptions{config: func(c *Config) {
		c.AdminGuildIDs = []string{fakediscord.GuildID, other, other}
	}})
	names := func(cmds []*discordgo.ApplicationCommand) string {
		var out []string
		for _, c := range cmds {
			out = append(out, c.Name)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		guild string
		want  map[string]string
	}{
		{"", map[string]string{"": "ask,source,articles,help," + checkCommandName, fakediscord.GuildID: "reindex,ingest,remove", other: "reindex,ingest,remove"}},
		{fakediscord.GuildID, map[string]string{fakediscord.GuildID: "ask,source,articles,help," + checkCommandName + ",reindex,ingest,remove", other: "reindex,ingest,remove"}},
	}
	for _, tt := range tests {
		t.Run("guild="+tt.guild, func(t *testing.T) {
			regs := e.router.Registrations(tt.guild)
			got := map[string]string{}
			for _, reg := range regs {
				if _, dup := got[reg.GuildID]; dup {
					t.Errorf("scope %q twice", reg.GuildID)
				}
				got[reg.GuildID] = names(reg.Commands)
			}
			if len(got) != len(tt.want) {
				t.Errorf("scopes %v, want %v", got, tt.want)
			}
			for g, w := range tt.want {
				if got[g] != w {
					t.Errorf("scope %q: %s, want %s", g, got[g], w)
				}
			}
		})
	}

	// Against the fake: the global set and each admin server's.
	e.router.Register(ctxFor(t, 10*time.Second), e.ds, fakediscord.AppID, "", time.Millisecond)
	if got := names(e.fake.Commands("")); got != "ask,source,articles,help,"+checkCommandName {
		t.Errorf("global commands %s", got)
	}
	for _, g := range []string{fakediscord.GuildID, other} {
		if got := names(e.fake.Commands(g)); got != "reindex,ingest,remove" {
			t.Errorf("commands of %s: %s", g, got)
		}
	}
}
