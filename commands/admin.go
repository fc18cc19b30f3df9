package commands

import (
	"context"
	"slices"

	"github.com/bwmarrin/discordgo"
)

// The admin commands (/reindex, /ingest) change the one corpus that every
// server the bot is in shares. A public bot can be added to any server by
// anyone, and that person is then that server's admin; so being an admin of
// the server an interaction comes from proves nothing. Admin commands are
// therefore accepted only from the servers the operator names
// (Config.AdminGuildIDs), registered only there (see Registrations), and
// checked again on every call, by the router, before their handler runs.

// adminPermissions is the default permission of the admin commands: Discord
// shows them only to members with Manage Server (and administrators), until
// a server changes it in its integration settings. That is why the router
// checks again on every call (see checkAdmin).
const adminPermissions int64 = discordgo.PermissionManageGuild

// adminCommand makes an admin command of def and handle: hidden by default
// from members without Manage Server, absent from DMs, registered only in
// the admin servers, and run only after checkAdmin allowed it.
func adminCommand(def *discordgo.ApplicationCommand, handle func(context.Context, *exchange) error) *command {
	return &command{def: adminDefinition(def), handle: handle, admin: true}
}

// adminDefinition marks a command definition as an admin command: hidden by
// default from members without Manage Server, and absent from DMs.
func adminDefinition(def *discordgo.ApplicationCommand) *discordgo.ApplicationCommand {
	perm := adminPermissions
	dm := false
	def.DefaultMemberPermissions = &perm
	//lint:ignore SA1019 Contexts (below) replaces it, but Discord still honours the older field where Contexts is unset.
	def.DMPermission = &dm
	def.Contexts = &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	return def
}

// checkAdmin allows an admin command from one of the admin servers, to its
// members who have Manage Server or Administrator there, or one of the
// configured admin roles; it refuses everyone else, every other server and
// every DM, whatever Discord's own settings let through. Its refusals are
// user errors, shown privately as the interaction's first response.
func (r *Router) checkAdmin(i *discordgo.Interaction, command string) error {
	if i.GuildID == "" || i.Member == nil {
		return userErrorf("/%s only works in a server, not in direct messages.", command)
	}
	if len(r.cfg.AdminGuildIDs) == 0 {
		// The words are for the operator, whom the user will ask.
		return userErrorf("/%s is turned off on this bot. Its operator can turn it on for a server by "+
			"setting NEWSBOT_ADMIN_GUILDS to that server's ID.", command)
	}
	if !slices.Contains(r.cfg.AdminGuildIDs, i.GuildID) {
		return userErrorf("/%s can't be used in this server. Every server this bot is in shares one set of articles, "+
			"so only its operator's admin servers can change them; here they are read-only.", command)
	}
	if i.Member.Permissions&(discordgo.PermissionManageGuild|discordgo.PermissionAdministrator) != 0 {
		return nil
	}
	for _, role := range i.Member.Roles {
		if slices.Contains(r.cfg.AdminRoleIDs, role) {
			return nil
		}
	}
	return userErrorf("Only server admins (Manage Server permission, or an admin role set by the operator) can use /%s.", command)
}
