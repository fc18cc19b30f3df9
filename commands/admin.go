package commands

import (
	"slices"

	"github.com/bwmarrin/discordgo"
)

// adminPermissions is the default permission of the admin commands: Discord
// shows them only to members with Manage Server (and administrators), until
// a server changes it in its integration settings. That is why handlers
// check again on every call (see checkAdmin).
const adminPermissions int64 = discordgo.PermissionManageGuild

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

// checkAdmin allows the members of a server who have Manage Server or
// Administrator, or one of the configured admin roles; it refuses everyone
// else and every DM, whatever Discord's own settings let through.
func (r *Router) checkAdmin(i *discordgo.Interaction, command string) error {
	if i.GuildID == "" || i.Member == nil {
		return userErrorf("/%s only works in a server, not in direct messages.", command)
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
