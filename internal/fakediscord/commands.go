package fakediscord

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Discord's limits on application commands.
const (
	maxCommandName        = 32
	maxCommandDescription = 100
	maxCommandOptions     = 25
	maxOptionChoices      = 25
	// maxChoiceName and maxChoiceValue bound a choice's name and a string
	// choice's value, fixed or autocompleted.
	maxChoiceName  = 100
	maxChoiceValue = 100
	// maxOptionLength bounds a string option's value and its min_length
	// and max_length.
	maxOptionLength = 6000
)

// commandScope splits a command route's variables into application, guild
// ("" for global commands) and command ID ("" for the collection).
func commandScope(c *call) (app, guild, id string) {
	app = c.vars[0]
	switch len(c.vars) {
	case 2: // applications/*/commands/* or applications/*/guilds/*/commands
		if strings.HasSuffix(c.req.Path, "/commands") {
			guild = c.vars[1]
		} else {
			id = c.vars[1]
		}
	case 3:
		guild, id = c.vars[1], c.vars[2]
	}
	return app, guild, id
}

func unknownApplication() reply {
	return errorReply(http.StatusNotFound, 10002, "Unknown Application")
}

func unknownCommand() reply {
	return errorReply(http.StatusNotFound, 10063, "Unknown application command")
}

// cloneCommands deep-copies commands through JSON.
func cloneCommands(cmds []*discordgo.ApplicationCommand) []*discordgo.ApplicationCommand {
	out := []*discordgo.ApplicationCommand{}
	data, err := json.Marshal(cmds)
	if err == nil {
		_ = json.Unmarshal(data, &out)
	}
	return out
}

// Commands returns the application commands registered for a guild, or the
// global ones when guildID is empty, in registration order.
func (s *Server) Commands(guildID string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneCommands(s.commands[guildID])
}

func (s *Server) handleCommandList(c *call) reply {
	app, guild, _ := commandScope(c)
	if app != AppID {
		return unknownApplication()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return jsonReply(http.StatusOK, cloneCommands(s.commands[guild]))
}

func (s *Server) handleCommandOverwrite(c *call) reply {
	app, guild, _ := commandScope(c)
	if app != AppID {
		return unknownApplication()
	}
	var cmds []*discordgo.ApplicationCommand
	if c.req.JSONList == nil { // discordgo sends null for a nil slice
		return formError([]fieldError{{"_root", "BASE_TYPE_ARRAY", "Must be an array."}})
	}
	if err := json.Unmarshal(c.req.Body, &cmds); err != nil {
		return errorReply(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
	}
	var errs []fieldError
	seen := map[string]bool{}
	for i, cmd := range cmds {
		errs = append(errs, validateCommand(cmd, fmt.Sprintf("%d", i))...)
		key := fmt.Sprintf("%d/%s", commandType(cmd), cmd.Name)
		dup := seen[key]
		if dup {
			errs = append(errs, fieldError{fmt.Sprintf("%d.name", i), "APPLICATION_COMMANDS_DUPLICATE_NAME",
				"Application command names must be unique"})
		}
		seen[key] = true
		// And in every locale: a localised name may not be another
		// command's name there.
		for _, loc := range allLocales() {
			name := cmd.Name
			if cmd.NameLocalizations != nil {
				if n, ok := (*cmd.NameLocalizations)[loc]; ok {
					name = n
				}
			}
			lkey := fmt.Sprintf("%s/%d/%s", loc, commandType(cmd), name)
			if seen[lkey] && !dup {
				errs = append(errs, fieldError{fmt.Sprintf("%d.name_localizations.%s", i, loc), "APPLICATION_COMMANDS_DUPLICATE_NAME",
					"Application command names must be unique in every locale"})
				dup = true
			}
			seen[lkey] = true
		}
	}
	if len(errs) > 0 {
		return formError(errs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.commands[guild]
	for _, cmd := range cmds {
		s.fillCommandLocked(cmd, guild, findCommand(old, commandType(cmd), cmd.Name))
	}
	s.commands[guild] = cmds
	return jsonReply(http.StatusOK, cloneCommands(cmds))
}

func (s *Server) handleCommandCreate(c *call) reply {
	app, guild, _ := commandScope(c)
	if app != AppID {
		return unknownApplication()
	}
	var cmd discordgo.ApplicationCommand
	if err := json.Unmarshal(c.req.Body, &cmd); err != nil {
		return errorReply(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
	}
	if errs := validateCommand(&cmd, ""); len(errs) > 0 {
		return formError(errs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmds := s.commands[guild]
	status := http.StatusCreated
	if old := findCommand(cmds, commandType(&cmd), cmd.Name); old != nil {
		status = http.StatusOK
		s.fillCommandLocked(&cmd, guild, old)
		*old = cmd
	} else {
		s.fillCommandLocked(&cmd, guild, nil)
		s.commands[guild] = append(cmds, &cmd)
	}
	return jsonReply(status, cloneCommands([]*discordgo.ApplicationCommand{&cmd})[0])
}

func (s *Server) handleCommandGet(c *call) reply {
	app, guild, id := commandScope(c)
	if app != AppID {
		return unknownApplication()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cmd := range s.commands[guild] {
		if cmd.ID == id {
			return jsonReply(http.StatusOK, cloneCommands([]*discordgo.ApplicationCommand{cmd})[0])
		}
	}
	return unknownCommand()
}

func (s *Server) handleCommandEdit(c *call) reply {
	app, guild, id := commandScope(c)
	if app != AppID {
		return unknownApplication()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cmd := range s.commands[guild] {
		if cmd.ID != id {
			continue
		}
		edited := cloneCommands([]*discordgo.ApplicationCommand{cmd})[0]
		if err := json.Unmarshal(c.req.Body, edited); err != nil {
			return errorReply(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		}
		if errs := validateCommand(edited, ""); len(errs) > 0 {
			return formError(errs)
		}
		s.fillCommandLocked(edited, guild, cmd)
		*cmd = *edited
		return jsonReply(http.StatusOK, cloneCommands([]*discordgo.ApplicationCommand{cmd})[0])
	}
	return unknownCommand()
}

func (s *Server) handleCommandDelete(c *call) reply {
	app, guild, id := commandScope(c)
	if app != AppID {
		return unknownApplication()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmds := s.commands[guild]
	for i, cmd := range cmds {
		if cmd.ID == id {
			s.commands[guild] = append(cmds[:i:i], cmds[i+1:]...)
			return noContent()
		}
	}
	return unknownCommand()
}

// fillCommandLocked sets the fields Discord assigns, keeping the ID of the
// command it replaces, as Discord does for a command of the same name.
func (s *Server) fillCommandLocked(cmd *discordgo.ApplicationCommand, guild string, old *discordgo.ApplicationCommand) {
	if old != nil {
		cmd.ID = old.ID
	} else {
		cmd.ID = s.newID()
	}
	cmd.ApplicationID = AppID
	cmd.GuildID = guild
	cmd.Version = s.newID()
	cmd.Type = commandType(cmd)
}

func commandType(cmd *discordgo.ApplicationCommand) discordgo.ApplicationCommandType {
	if cmd.Type == 0 {
		return discordgo.ChatApplicationCommand
	}
	return cmd.Type
}

func findCommand(cmds []*discordgo.ApplicationCommand, typ discordgo.ApplicationCommandType, name string) *discordgo.ApplicationCommand {
	for _, c := range cmds {
		if commandType(c) == typ && c.Name == name {
			return c
		}
	}
	return nil
}

// validateCommand checks Discord's rules for a command; at prefixes the field
// names of the errors.
func validateCommand(cmd *discordgo.ApplicationCommand, at string) []fieldError {
	field := func(f string) string {
		if at == "" {
			return f
		}
		return at + "." + f
	}
	var errs []fieldError
	var names, descs map[discordgo.Locale]string
	if cmd.NameLocalizations != nil {
		names = *cmd.NameLocalizations
	}
	if cmd.DescriptionLocalizations != nil {
		descs = *cmd.DescriptionLocalizations
	}
	if commandType(cmd) != discordgo.ChatApplicationCommand {
		// Context-menu commands: any-case names with spaces, no
		// description, no options.
		errs = append(errs, checkMenuName(cmd.Name, field("name"))...)
		for _, loc := range sortedLocales(names) {
			f := field("name_localizations." + string(loc))
			errs = append(errs, checkLocale(loc, f)...)
			errs = append(errs, checkMenuName(names[loc], f)...)
		}
		if cmd.Description != "" || len(descs) > 0 {
			errs = append(errs, fieldError{field("description"), "APPLICATION_COMMAND_DESCRIPTION_INVALID",
				"Context menu commands cannot have a description"})
		}
		if len(cmd.Options) > 0 {
			errs = append(errs, fieldError{field("options"), "APPLICATION_COMMAND_OPTIONS_INVALID",
				"Context menu commands cannot have options"})
		}
		return errs
	}
	errs = append(errs, checkName(cmd.Name, field("name"))...)
	errs = append(errs, checkDescription(cmd.Description, field("description"))...)
	errs = append(errs, checkLocalizations(names, descs, field(""))...)
	return append(errs, checkOptions(cmd.Options, field("options"))...)
}

// checkMenuName applies the rule for context-menu command names: 1-32
// characters of any case, spaces allowed.
func checkMenuName(name, at string) []fieldError {
	if n := utf8.RuneCountInString(name); n < 1 || n > maxCommandName || strings.TrimSpace(name) != name {
		return []fieldError{{at, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."}}
	}
	return nil
}

// checkLocalizations checks the name_localizations and
// description_localizations of a chat command or option: known locales,
// names by the same rule as the default name, descriptions of 1-100
// characters. at is the field's prefix ("" or "options.0.").
func checkLocalizations(names, descs map[discordgo.Locale]string, at string) []fieldError {
	var errs []fieldError
	for _, loc := range sortedLocales(names) {
		f := at + "name_localizations." + string(loc)
		errs = append(errs, checkLocale(loc, f)...)
		errs = append(errs, checkName(names[loc], f)...)
	}
	for _, loc := range sortedLocales(descs) {
		f := at + "description_localizations." + string(loc)
		errs = append(errs, checkLocale(loc, f)...)
		errs = append(errs, checkDescription(descs[loc], f)...)
	}
	return errs
}

// checkLocale refuses a locale Discord doesn't have ("fr" and "de" are
// locales, "fr-FR" and "en" are not).
func checkLocale(loc discordgo.Locale, at string) []fieldError {
	if _, ok := discordgo.Locales[loc]; ok && loc != discordgo.Unknown {
		return nil
	}
	return []fieldError{{at, "LOCALE_INVALID", fmt.Sprintf("Invalid locale %q.", loc)}}
}

func sortedLocales(m map[discordgo.Locale]string) []discordgo.Locale {
	out := make([]discordgo.Locale, 0, len(m))
	for l := range m {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// allLocales lists Discord's locales, in order.
func allLocales() []discordgo.Locale {
	out := make([]discordgo.Locale, 0, len(discordgo.Locales))
	for l := range discordgo.Locales {
		if l != discordgo.Unknown {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

// localName is an option's name as users of loc see it.
func localName(o *discordgo.ApplicationCommandOption, loc discordgo.Locale) string {
	if n, ok := o.NameLocalizations[loc]; ok {
		return n
	}
	return o.Name
}

func checkOptions(opts []*discordgo.ApplicationCommandOption, at string) []fieldError {
	var errs []fieldError
	if len(opts) > maxCommandOptions {
		errs = append(errs, fieldError{at, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."})
	}
	seen := map[string]bool{}
	// Localised names must be unique among the options too, per locale.
	seenLocal := map[discordgo.Locale]map[string]bool{}
	optional := false
	for i, o := range opts {
		f := fmt.Sprintf("%s.%d", at, i)
		errs = append(errs, checkName(o.Name, f+".name")...)
		errs = append(errs, checkDescription(o.Description, f+".description")...)
		errs = append(errs, checkLocalizations(o.NameLocalizations, o.DescriptionLocalizations, f+".")...)
		dup := seen[o.Name]
		if dup {
			errs = append(errs, fieldError{f + ".name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
				"Option names must be unique"})
		}
		seen[o.Name] = true
		reported := dup
		for _, loc := range allLocales() {
			if seenLocal[loc] == nil {
				seenLocal[loc] = map[string]bool{}
			}
			n := localName(o, loc)
			if seenLocal[loc][n] && !reported {
				errs = append(errs, fieldError{f + ".name_localizations." + string(loc), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
					"Option names must be unique in every locale"})
				reported = true
			}
			seenLocal[loc][n] = true
		}
		if o.Required && optional {
			errs = append(errs, fieldError{f + ".required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
				"Required options must be placed before non-required options"})
		}
		if !o.Required {
			optional = true
		}
		if o.Type == discordgo.ApplicationCommandOptionString {
			if o.MaxLength < 0 || o.MaxLength > maxOptionLength {
				errs = append(errs, fieldError{f + ".max_length", "NUMBER_TYPE_MAX",
					fmt.Sprintf("int value should be less than or equal to %d.", maxOptionLength)})
			}
			if m := o.MinLength; m != nil && (*m < 0 || *m > maxOptionLength || o.MaxLength > 0 && *m > o.MaxLength) {
				errs = append(errs, fieldError{f + ".min_length", "NUMBER_TYPE_MAX",
					fmt.Sprintf("min_length must be between 0 and %d and at most max_length.", maxOptionLength)})
			}
		} else if o.MaxLength != 0 || o.MinLength != nil {
			errs = append(errs, fieldError{f + ".max_length", "APPLICATION_COMMAND_OPTION_LENGTH_NOT_ALLOWED",
				"Only string options can have a min_length or max_length"})
		}
		if len(o.Choices) > maxOptionChoices {
			errs = append(errs, fieldError{f + ".choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."})
		}
		for j, c := range o.Choices {
			errs = append(errs, checkChoice(c, o.Type, fmt.Sprintf("%s.choices.%d", f, j))...)
		}
		if o.Autocomplete {
			switch {
			case o.Type != discordgo.ApplicationCommandOptionString && o.Type != discordgo.ApplicationCommandOptionInteger &&
				o.Type != discordgo.ApplicationCommandOptionNumber:
				errs = append(errs, fieldError{f + ".autocomplete", "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_INVALID_TYPE",
					"Autocomplete is only allowed on string, integer and number options"})
			case len(o.Choices) > 0:
				errs = append(errs, fieldError{f + ".autocomplete", "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_WITH_CHOICES",
					"Autocomplete cannot be set on an option with choices"})
			}
		}
		if o.Type == discordgo.ApplicationCommandOptionSubCommand ||
			o.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
			errs = append(errs, checkOptions(o.Options, f+".options")...)
		}
	}
	return errs
}

// chatName is Discord's pattern for chat command and option names,
// ^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$ (Go names the scripts
// without "sc=").
var chatName = regexp.MustCompile(`^[-_\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

// checkName applies the rule for chat command and option names, default
// or localised: chatName, and letters that have a lowercase form in it.
func checkName(name, at string) []fieldError {
	ok := chatName.MatchString(name)
	for _, r := range name {
		if unicode.ToLower(r) != r {
			ok = false
		}
	}
	if ok {
		return nil
	}
	return []fieldError{{at, "APPLICATION_COMMAND_INVALID_NAME",
		fmt.Sprintf("Command name %q is invalid: use 1-32 lowercase letters, digits, '-' or '_'.", name)}}
}

// checkChoice checks one of an option's fixed choices (or, with at set
// for it, an autocomplete result): a name of 1-100 characters, localised
// names likewise, and a value of the option's type, a string of at most
// 100 characters.
func checkChoice(c *discordgo.ApplicationCommandOptionChoice, typ discordgo.ApplicationCommandOptionType, at string) []fieldError {
	var errs []fieldError
	if c == nil {
		return []fieldError{required(at)}
	}
	if n := textLen(c.Name); n < 1 || n > maxChoiceName {
		errs = append(errs, badLen(at+".name", 1, maxChoiceName))
	}
	for _, loc := range sortedLocales(c.NameLocalizations) {
		f := at + ".name_localizations." + string(loc)
		errs = append(errs, checkLocale(loc, f)...)
		if n := textLen(c.NameLocalizations[loc]); n < 1 || n > maxChoiceName {
			errs = append(errs, badLen(f, 1, maxChoiceName))
		}
	}
	switch v := c.Value.(type) {
	case string:
		if typ != discordgo.ApplicationCommandOptionString {
			errs = append(errs, fieldError{at + ".value", "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not a number.", v)})
		} else if n := textLen(v); n > maxChoiceValue {
			errs = append(errs, maxLen(at+".value", maxChoiceValue))
		}
	case float64, int, int64:
		if typ == discordgo.ApplicationCommandOptionString {
			errs = append(errs, fieldError{at + ".value", "STRING_TYPE_CONVERT", "Value must be a string."})
		}
	default:
		errs = append(errs, required(at+".value"))
	}
	return errs
}

func checkDescription(desc, at string) []fieldError {
	if n := utf8.RuneCountInString(desc); n < 1 || n > maxCommandDescription {
		return []fieldError{{at, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."}}
	}
	return nil
}

// ErrRefusedByClient is wrapped by the error of a dispatch that Discord's
// client would never send, such as an option longer than the registered
// command's max_length.
var ErrRefusedByClient = errors.New("fakediscord: Discord's client would not send this interaction")

// checkOptions checks a command interaction's option values against the
// registered command of that name (in the interaction's guild, then
// global). Interactions of other types, and unregistered commands, pass.
//
// An autocomplete interaction is sent only for a registered command, for
// exactly one focused option that the command declares with autocomplete.
func (s *Server) checkOptions(i *discordgo.Interaction) error {
	if i.Type != discordgo.InteractionApplicationCommand && i.Type != discordgo.InteractionApplicationCommandAutocomplete {
		return nil
	}
	data := i.ApplicationCommandData()
	s.mu.Lock()
	cmd := s.registeredLocked(i.GuildID, data)
	var defs []*discordgo.ApplicationCommandOption
	if cmd != nil {
		defs = cloneCommands([]*discordgo.ApplicationCommand{cmd})[0].Options
	}
	s.mu.Unlock()
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		if cmd == nil {
			return fmt.Errorf("%w: autocomplete for /%s, which is not registered", ErrRefusedByClient, data.Name)
		}
		_, err := focusedOption(data.Name, data.Options, defs)
		return err
	}
	if cmd == nil {
		return nil
	}
	return checkOptionValues(data.Name, data.Options, defs)
}

// registeredLocked finds the registered command an interaction's data
// names: in its guild, else global; nil when there is none.
func (s *Server) registeredLocked(guildID string, data discordgo.ApplicationCommandInteractionData) *discordgo.ApplicationCommand {
	typ := data.CommandType
	if typ == 0 {
		typ = discordgo.ChatApplicationCommand
	}
	if cmd := findCommand(s.commands[guildID], typ, data.Name); cmd != nil {
		return cmd
	}
	return findCommand(s.commands[""], typ, data.Name)
}

func checkOptionValues(at string, opts []*discordgo.ApplicationCommandInteractionDataOption, defs []*discordgo.ApplicationCommandOption) error {
	for _, o := range opts {
		var def *discordgo.ApplicationCommandOption
		for _, d := range defs {
			if d.Name == o.Name {
				def = d
			}
		}
		if def == nil {
			return fmt.Errorf("%w: /%s has no option %q", ErrRefusedByClient, at, o.Name)
		}
		switch def.Type {
		case discordgo.ApplicationCommandOptionSubCommand, discordgo.ApplicationCommandOptionSubCommandGroup:
			if err := checkOptionValues(at+" "+o.Name, o.Options, def.Options); err != nil {
				return err
			}
		case discordgo.ApplicationCommandOptionString:
			v, _ := o.Value.(string)
			n := utf8.RuneCountInString(v)
			maxLen := def.MaxLength
			if maxLen == 0 {
				maxLen = maxOptionLength
			}
			if n > maxLen || def.MinLength != nil && n < *def.MinLength {
				return fmt.Errorf("%w: /%s %s is %d characters, outside the command's %d-%d",
					ErrRefusedByClient, at, o.Name, n, minOr(def.MinLength), maxLen)
			}
		case discordgo.ApplicationCommandOptionInteger, discordgo.ApplicationCommandOptionNumber:
			v, _ := o.Value.(float64)
			if def.MinValue != nil && v < *def.MinValue || def.MaxValue != 0 && v > def.MaxValue {
				return fmt.Errorf("%w: /%s %s is %v, outside the command's range", ErrRefusedByClient, at, o.Name, v)
			}
		}
	}
	return nil
}

func minOr(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
