package fakediscord

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"mime"
	"net/http"
	"path"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Permission sets for the members of built interactions.
const (
	// MemberPermissions are an ordinary member's: read, write, use commands.
	MemberPermissions int64 = discordgo.PermissionViewChannel |
		discordgo.PermissionSendMessages |
		discordgo.PermissionReadMessageHistory |
		discordgo.PermissionEmbedLinks |
		discordgo.PermissionAttachFiles |
		discordgo.PermissionAddReactions |
		discordgo.PermissionUseApplicationCommands
	// AdminPermissions add Manage Server and Manage Messages.
	AdminPermissions int64 = MemberPermissions |
		discordgo.PermissionManageGuild |
		discordgo.PermissionManageMessages
)

// UserSpec describes the member who triggers a built interaction.
type UserSpec struct {
	// ID is the user's snowflake; empty derives a stable one from Username,
	// so the same name is the same user across interactions.
	ID string
	// Username defaults to "member".
	Username string
	// Admin gives the member AdminPermissions instead of MemberPermissions.
	Admin bool
	// Roles are the member's role IDs.
	Roles []string
	// Permissions, when not zero, replaces the set Admin chooses.
	Permissions int64
}

func (u UserSpec) user() *discordgo.User {
	name := u.Username
	if name == "" {
		name = "member"
	}
	id := u.ID
	if id == "" {
		id = stableID("user:" + name)
	}
	return &discordgo.User{ID: id, Username: name, Discriminator: "0", GlobalName: name}
}

// User is the user u describes, as Discord shows it (for the author of a
// message, say).
func (u UserSpec) User() *discordgo.User { return u.user() }

func (u UserSpec) permissions() int64 {
	switch {
	case u.Permissions != 0:
		return u.Permissions
	case u.Admin:
		return AdminPermissions
	default:
		return MemberPermissions
	}
}

// stableID derives a 19-digit snowflake-like ID from a key.
func stableID(key string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return strconv.FormatUint(1_000_000_000_000_000_000+h.Sum64()%800_000_000_000_000_000, 10)
}

// joinedAt is when every built member joined the guild.
func joinedAt() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) }

// newInteraction builds an interaction of a guild member in ChannelID, with a
// fresh ID and token.
func newInteraction(typ discordgo.InteractionType, data discordgo.InteractionData, u UserSpec) *discordgo.Interaction {
	locale := discordgo.EnglishUS
	return &discordgo.Interaction{
		ID:        snowflake(time.Now(), rand.Uint64()),
		AppID:     AppID,
		Type:      typ,
		Data:      data,
		GuildID:   GuildID,
		ChannelID: ChannelID,
		Member: &discordgo.Member{
			User:        u.user(),
			Roles:       append([]string{}, u.Roles...),
			Permissions: u.permissions(),
			JoinedAt:    joinedAt(),
		},
		AppPermissions: AdminPermissions,
		Locale:         locale,
		GuildLocale:    &locale,
		Context:        discordgo.InteractionContextGuild,
		AuthorizingIntegrationOwners: map[discordgo.ApplicationIntegrationType]string{
			discordgo.ApplicationIntegrationGuildInstall: GuildID,
		},
		Token:   "itk-" + randomHex(32),
		Version: 1,
	}
}

// CommandInteraction builds a slash-command interaction (type 2) for the
// command name, run by user in GuildID/ChannelID, as Discord would dispatch
// it. Options are sent sorted by name; each value's Go type gives the
// option's type:
//
//   - string: STRING; bool: BOOLEAN
//   - int, int8..int64, uint..uint64: INTEGER; float32, float64: NUMBER
//     (numbers are stored as float64, as discordgo decodes them)
//   - *discordgo.MessageAttachment: ATTACHMENT, added to the resolved
//     attachments (see Server.NewAttachment)
//   - *discordgo.User, *discordgo.Channel, *discordgo.Role: USER, CHANNEL,
//     ROLE, added to the resolved data
//   - map[string]any: a SUB_COMMAND with those options, or a
//     SUB_COMMAND_GROUP when every value is itself a map
//
// Any other type panics, as it is a mistake in the test.
func CommandInteraction(name string, opts map[string]any, user UserSpec) *discordgo.Interaction {
	res := &discordgo.ApplicationCommandInteractionDataResolved{}
	data := discordgo.ApplicationCommandInteractionData{
		ID:          stableID("command:" + name),
		Name:        name,
		CommandType: discordgo.ChatApplicationCommand,
		Options:     buildOptions(opts, res),
	}
	if res.Users != nil || res.Channels != nil || res.Roles != nil || res.Attachments != nil {
		data.Resolved = res
	}
	return newInteraction(discordgo.InteractionApplicationCommand, data, user)
}

func buildOptions(opts map[string]any, res *discordgo.ApplicationCommandInteractionDataResolved) []*discordgo.ApplicationCommandInteractionDataOption {
	names := make([]string, 0, len(opts))
	for n := range opts {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*discordgo.ApplicationCommandInteractionDataOption, 0, len(names))
	for _, n := range names {
		out = append(out, buildOption(n, opts[n], res))
	}
	return out
}

func buildOption(name string, v any, res *discordgo.ApplicationCommandInteractionDataResolved) *discordgo.ApplicationCommandInteractionDataOption {
	o := &discordgo.ApplicationCommandInteractionDataOption{Name: name}
	switch v := v.(type) {
	case string:
		o.Type, o.Value = discordgo.ApplicationCommandOptionString, v
	case bool:
		o.Type, o.Value = discordgo.ApplicationCommandOptionBoolean, v
	case int:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case int8:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case int16:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case int32:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case int64:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case uint:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case uint8:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case uint16:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case uint32:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case uint64:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
	case float32:
		o.Type, o.Value = discordgo.ApplicationCommandOptionNumber, float64(v)
	case float64:
		o.Type, o.Value = discordgo.ApplicationCommandOptionNumber, v
	case *discordgo.MessageAttachment:
		o.Type, o.Value = discordgo.ApplicationCommandOptionAttachment, v.ID
		if res.Attachments == nil {
			res.Attachments = map[string]*discordgo.MessageAttachment{}
		}
		res.Attachments[v.ID] = v
	case *discordgo.User:
		o.Type, o.Value = discordgo.ApplicationCommandOptionUser, v.ID
		if res.Users == nil {
			res.Users = map[string]*discordgo.User{}
		}
		res.Users[v.ID] = v
	case *discordgo.Channel:
		o.Type, o.Value = discordgo.ApplicationCommandOptionChannel, v.ID
		if res.Channels == nil {
			res.Channels = map[string]*discordgo.Channel{}
		}
		res.Channels[v.ID] = v
	case *discordgo.Role:
		o.Type, o.Value = discordgo.ApplicationCommandOptionRole, v.ID
		if res.Roles == nil {
			res.Roles = map[string]*discordgo.Role{}
		}
		res.Roles[v.ID] = v
	case map[string]any:
		o.Type = discordgo.ApplicationCommandOptionSubCommand
		if len(v) > 0 && allMaps(v) {
			o.Type = discordgo.ApplicationCommandOptionSubCommandGroup
		}
		o.Options = buildOptions(v, res)
	default:
		panic(fmt.Sprintf("fakediscord: option %q has unsupported type %T", name, v))
	}
	return o
}

func allMaps(m map[string]any) bool {
	for _, v := range m {
		if _, ok := v.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// ComponentInteraction builds a message-component interaction (type 3): a
// press of the button customID, or, when values are given, a choice in the
// string select menu customID. msg is the message the component sits on; nil
// makes a bot message in ChannelID. Dispatch it with DispatchInteraction so a
// type 6 or 7 response updates that message.
func ComponentInteraction(customID string, msg *discordgo.Message, user UserSpec, values ...string) *discordgo.Interaction {
	data := discordgo.MessageComponentInteractionData{
		CustomID:      customID,
		ComponentType: discordgo.ButtonComponent,
	}
	if len(values) > 0 {
		data.ComponentType = discordgo.SelectMenuComponent
		data.Values = slices.Clone(values)
	}
	if msg == nil {
		msg = &discordgo.Message{
			ID:        snowflake(time.Now(), rand.Uint64()),
			ChannelID: ChannelID,
			GuildID:   GuildID,
			Author:    &discordgo.User{ID: AppID, Username: BotUsername, Bot: true},
			Timestamp: time.Now().UTC(),
		}
	}
	i := newInteraction(discordgo.InteractionMessageComponent, data, user)
	i.Message = msg
	if msg.ChannelID != "" {
		// A component's interaction comes from its message's channel (a
		// thread's, for a message in a thread).
		i.ChannelID = msg.ChannelID
	}
	return i
}

// InDM turns a built interaction into one from a direct message with the
// bot: no guild, the user in User instead of Member, a DM channel. It changes
// i and returns it.
func InDM(i *discordgo.Interaction) *discordgo.Interaction {
	if i.Member != nil {
		i.User = i.Member.User
		i.Member = nil
	}
	uid := ""
	if i.User != nil {
		uid = i.User.ID
	}
	i.GuildID = ""
	i.GuildLocale = nil
	i.ChannelID = stableID("dm:" + uid)
	i.Context = discordgo.InteractionContextBotDM
	i.AuthorizingIntegrationOwners = map[discordgo.ApplicationIntegrationType]string{
		discordgo.ApplicationIntegrationGuildInstall: "0",
	}
	if i.Message != nil {
		i.Message.ChannelID = i.ChannelID
		i.Message.GuildID = ""
	}
	return i
}

// AddAttachment stores a file that the fake serves, as Discord's CDN would,
// and returns its ID and URL. The URL points at the fake directly
// (http://127.0.0.1:PORT/attachments/ID/NAME), so any HTTP client can fetch
// it; the same path under https://cdn.discordapp.com works through
// HTTPClient.
func (s *Server) AddAttachment(name string, data []byte) (id, url string) {
	a := s.NewAttachment(name, data)
	return a.ID, a.URL
}

// NewAttachment stores a file like AddAttachment and describes it as a
// resolved attachment, ready to be an option value of CommandInteraction.
func (s *Server) NewAttachment(name string, data []byte) *discordgo.MessageAttachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.storeAttachmentLocked(name, "", data)
}

// detectContentType guesses a file's type from its name, then its bytes.
func detectContentType(name string, data []byte) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return http.DetectContentType(data)
}
