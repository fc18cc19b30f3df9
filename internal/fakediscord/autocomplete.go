package fakediscord

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Autocomplete, as Discord does it: while a user types in an option that
// the registered command declares with "autocomplete": true, the client
// sends an APPLICATION_COMMAND_AUTOCOMPLETE interaction (type 4) with the
// options typed so far, the one being typed marked "focused". The bot has
// 3 seconds to answer with callback type 8 and at most 25 choices, each a
// name of 1-100 characters and a value of the option's type (a string of
// at most 100 characters). Nothing else answers it: no other callback
// type, no deferral, no follow-up, no edit.

// AutocompleteInteraction builds an autocomplete interaction (type 4) for
// the chat command name: opts are the options typed so far, as in
// CommandInteraction, and focused is the option being typed; it is added
// with an empty value when opts lacks it. Dispatching it fails, wrapping
// ErrRefusedByClient, unless the command is registered and declares
// focused with autocomplete.
func AutocompleteInteraction(name string, opts map[string]any, focused string, user UserSpec) *discordgo.Interaction {
	all := map[string]any{}
	for k, v := range opts {
		all[k] = v
	}
	if _, ok := all[focused]; !ok {
		all[focused] = ""
	}
	res := &discordgo.ApplicationCommandInteractionDataResolved{}
	data := discordgo.ApplicationCommandInteractionData{
		ID:          stableID("command:" + name),
		Name:        name,
		CommandType: discordgo.ChatApplicationCommand,
		Options:     buildOptions(all, res),
	}
	for _, o := range data.Options {
		o.Focused = o.Name == focused
	}
	return newInteraction(discordgo.InteractionApplicationCommandAutocomplete, data, user)
}

// MessageCommandInteraction builds a message context-menu command (type 2,
// command type 3) named name, run by user on target, as Discord sends it:
// data.target_id names target, and data.resolved.messages holds it, its
// content included (the bot needs no intent to read it). An empty ID,
// channel, guild, author or timestamp of target is filled in, in target
// too.
func MessageCommandInteraction(name string, target *discordgo.Message, user UserSpec) *discordgo.Interaction {
	if target.ID == "" {
		target.ID = snowflake(time.Now(), rand.Uint64())
	}
	if target.ChannelID == "" {
		target.ChannelID = ChannelID
	}
	if target.GuildID == "" {
		target.GuildID = GuildID
	}
	if target.Author == nil {
		target.Author = UserSpec{Username: "poster"}.user()
	}
	if target.Timestamp.IsZero() {
		target.Timestamp = time.Now().UTC()
	}
	data := discordgo.ApplicationCommandInteractionData{
		ID:          stableID("message-command:" + name),
		Name:        name,
		CommandType: discordgo.MessageApplicationCommand,
		TargetID:    target.ID,
		Resolved:    &discordgo.ApplicationCommandInteractionDataResolved{Messages: map[string]*discordgo.Message{target.ID: target}},
	}
	return newInteraction(discordgo.InteractionApplicationCommand, data, user)
}

// focusedOption finds the one focused option of an autocomplete
// interaction among its options (and those of a subcommand), and its
// definition, which must declare autocomplete.
func focusedOption(at string, opts []*discordgo.ApplicationCommandInteractionDataOption,
	defs []*discordgo.ApplicationCommandOption) (*discordgo.ApplicationCommandOption, error) {
	var found *discordgo.ApplicationCommandOption
	for _, o := range opts {
		var def *discordgo.ApplicationCommandOption
		for _, d := range defs {
			if d.Name == o.Name {
				def = d
			}
		}
		if def == nil {
			return nil, fmt.Errorf("%w: /%s has no option %q", ErrRefusedByClient, at, o.Name)
		}
		if def.Type == discordgo.ApplicationCommandOptionSubCommand || def.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
			return focusedOption(at+" "+o.Name, o.Options, def.Options)
		}
		if !o.Focused {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("%w: two focused options in /%s", ErrRefusedByClient, at)
		}
		if !def.Autocomplete {
			return nil, fmt.Errorf("%w: /%s %s does not declare autocomplete", ErrRefusedByClient, at, o.Name)
		}
		found = def
	}
	if found == nil {
		return nil, fmt.Errorf("%w: no focused option in an autocomplete of /%s", ErrRefusedByClient, at)
	}
	return found, nil
}

// trackAutocompleteLocked notes, for an autocomplete interaction, the
// definition of the option being typed (nil when it is not registered),
// against which its choices are checked.
func (s *Server) trackAutocompleteLocked(st *interactionState, i *discordgo.Interaction) {
	if i.Type != discordgo.InteractionApplicationCommandAutocomplete {
		return
	}
	data := i.ApplicationCommandData()
	cmd := s.registeredLocked(i.GuildID, data)
	if cmd == nil {
		return
	}
	defs := cloneCommands([]*discordgo.ApplicationCommand{cmd})[0].Options
	if def, err := focusedOption(data.Name, data.Options, defs); err == nil {
		st.focused = def
	}
}

// checkChoicesLocked checks the data of an autocomplete result (callback
// type 8) and keeps its choices: a "choices" array of at most 25, each by
// checkChoice against the focused option's type (a string when the fake
// doesn't know it).
func (s *Server) checkChoicesLocked(st *interactionState, data map[string]any) *reply {
	raw, ok := data["choices"].([]any)
	if !ok {
		r := formError([]fieldError{required("data.choices")})
		return &r
	}
	var errs []fieldError
	if len(raw) > maxOptionChoices {
		errs = append(errs, maxLen("data.choices", maxOptionChoices))
	}
	typ := discordgo.ApplicationCommandOptionString
	if st.focused != nil {
		typ = st.focused.Type
	}
	var choices []*discordgo.ApplicationCommandOptionChoice
	for i, c := range raw {
		b, err := json.Marshal(c)
		var choice discordgo.ApplicationCommandOptionChoice
		if err != nil || json.Unmarshal(b, &choice) != nil {
			r := errorReply(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
			return &r
		}
		errs = append(errs, checkChoice(&choice, typ, fmt.Sprintf("data.choices.%d", i))...)
		choices = append(choices, &choice)
	}
	if len(errs) > 0 {
		r := formError(errs)
		return &r
	}
	st.choices = choices
	return nil
}

// AutocompleteChoices returns the choices the bot answered an autocomplete
// interaction with; ok is false until it has answered.
func (s *Server) AutocompleteChoices(interactionID string) (choices []*discordgo.ApplicationCommandOptionChoice, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[interactionID]
	if st == nil || st.ackType != int(discordgo.InteractionApplicationCommandAutocompleteResult) {
		return nil, false
	}
	for _, c := range st.choices {
		cc := *c
		choices = append(choices, &cc)
	}
	return choices, true
}
