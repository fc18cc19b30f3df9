package commands

import (
	"context"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Share posts a private result (a check, an /ask private:true answer) to
// the channel, for everyone: a public follow-up of the button's
// interaction, which needs no permission in the channel. The copy is the
// message as the bot rendered it, every outside text in it neutralised
// then (it is not neutralised again: escaping twice would show the
// backslashes), with the bot's buttons that still work on a public message
// (Show sources, the votes) and without Share and Stop, and a last line
// naming who shared it. It is sent, like everything, with empty allowed
// mentions. The private message then says it was shared, its Share button
// disabled.

// idShare is the custom ID of the Share button. It carries no state: what
// is shared is read back from the message the button sits on.
const idShare = "share"

// shareRoom is the room a private message's content leaves for Share's
// last line ("-# Shared by " and a name of up to 40 characters, escaped).
const shareRoom = 100

func (r *Router) shareCommand() *command {
	return &command{component: r.handleShare}
}

// shareButton is the button under a private result.
func shareButton() discordgo.Button {
	return discordgo.Button{Label: "Share", Style: discordgo.SecondaryButton, CustomID: idShare,
		Emoji: &discordgo.ComponentEmoji{Name: "📣"}}
}

// withButton adds b to the last row of m's buttons when it has room, else
// in a row of its own.
func withButton(m message, b discordgo.Button) message {
	comps := append([]discordgo.MessageComponent(nil), m.Components...)
	if n := len(comps); n > 0 {
		if row, ok := rowOf(comps[n-1]); ok && len(row.Components) < 5 {
			row.Components = append(append([]discordgo.MessageComponent(nil), row.Components...), b)
			comps[n-1] = row
			m.Components = comps
			return m
		}
	}
	m.Components = append(comps, discordgo.ActionsRow{Components: []discordgo.MessageComponent{b}})
	return m
}

// handleShare posts the private message the button sits on to the
// channel.
func (r *Router) handleShare(ctx context.Context, x *exchange, args []string) error {
	if len(args) != 0 {
		return userErrorf("That button no longer works; run the command again.")
	}
	if err := x.deferUpdate(ctx); err != nil {
		return err
	}
	// The message as Discord keeps it: after the deferred update, the
	// original response is the message the button sits on (Discord may
	// send only the ID and flags of an ephemeral message with the press).
	src, err := x.wh.original(ctx)
	if err != nil {
		return userErrorf("I can't read that message any more; run the command again.")
	}
	if src.Author == nil || src.Author.ID != x.i.AppID {
		return userErrorf("I can only share my own messages.")
	}
	if src.Flags&discordgo.MessageFlagsEphemeral == 0 {
		return userErrorf("That message is already public.")
	}
	for _, m := range sharedCopy(src, memberName(x.i)) {
		if err := x.followup(ctx, m); err != nil {
			return err
		}
	}
	// The private message says it was shared, and can't be shared twice.
	done := message{Content: src.Content, Embeds: src.Embeds, Components: sharedButtons(src.Components), Ephemeral: true}
	return x.edit(ctx, done)
}

// sharedCopy is the public copy of a private message, shared by the user
// named name: its content with a last line naming them (or, when there is
// no room for it, that line as a message before it), its embeds, and its
// buttons but Share and Stop.
func sharedCopy(src *discordgo.Message, name string) []message {
	by := "someone"
	if name != "" {
		by = neutralise(name)
	}
	line := "-# Shared by " + by
	m := message{Content: src.Content, Embeds: src.Embeds, Components: publicButtons(src.Components)}
	switch {
	case m.Content == "":
		m.Content = line
	case width(m.Content)+1+width(line) <= MessageLimit:
		m.Content += "\n" + line
	default:
		return []message{{Content: line + ":"}, m}
	}
	return []message{m}
}

// publicButtons keeps the buttons of a private message that mean
// something on its public copy: all but Share and Stop.
func publicButtons(rows []discordgo.MessageComponent) []discordgo.MessageComponent {
	var out []discordgo.MessageComponent
	for _, c := range rows {
		row, ok := rowOf(c)
		if !ok {
			continue
		}
		var kept []discordgo.MessageComponent
		for _, b := range row.Components {
			if id := customID(b); id == idShare || strings.HasPrefix(id, idStop+":") {
				continue
			}
			kept = append(kept, b)
		}
		if len(kept) > 0 {
			out = append(out, discordgo.ActionsRow{Components: kept})
		}
	}
	return out
}

// sharedButtons are a private message's buttons once it is shared: Share
// disabled and saying so.
func sharedButtons(rows []discordgo.MessageComponent) []discordgo.MessageComponent {
	var out []discordgo.MessageComponent
	for _, c := range rows {
		row, ok := rowOf(c)
		if !ok {
			continue
		}
		kept := make([]discordgo.MessageComponent, 0, len(row.Components))
		for _, b := range row.Components {
			if customID(b) == idShare {
				b = discordgo.Button{Label: "Shared", Style: discordgo.SecondaryButton, CustomID: idShare,
					Emoji: &discordgo.ComponentEmoji{Name: "✅"}, Disabled: true}
			}
			kept = append(kept, b)
		}
		out = append(out, discordgo.ActionsRow{Components: kept})
	}
	return out
}

// rowOf is c as a row of components: rendered rows are values, rows read
// back from Discord pointers.
func rowOf(c discordgo.MessageComponent) (discordgo.ActionsRow, bool) {
	switch r := c.(type) {
	case *discordgo.ActionsRow:
		if r != nil {
			return *r, true
		}
	case discordgo.ActionsRow:
		return r, true
	}
	return discordgo.ActionsRow{}, false
}

// customID is a component's custom ID, "" for one without.
func customID(c discordgo.MessageComponent) string {
	switch b := c.(type) {
	case *discordgo.Button:
		if b == nil {
			return ""
		}
		return b.CustomID
	case discordgo.Button:
		return b.CustomID
	}
	return ""
}
