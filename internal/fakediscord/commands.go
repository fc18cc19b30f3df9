package fakediscord

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
		if seen[key] {
			errs = append(errs, fieldError{fmt.Sprintf("%d.name", i), "APPLICATION_COMMANDS_DUPLICATE_NAME",
				"Application command names must be unique"})
		}
		seen[key] = true
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
	if commandType(cmd) != discordgo.ChatApplicationCommand {
		// Context-menu commands: any-case names with spaces, no description.
		if n := utf8.RuneCountInString(cmd.Name); n < 1 || n > maxCommandName {
			errs = append(errs, fieldError{field("name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."})
		}
		if cmd.Description != "" {
			errs = append(errs, fieldError{field("description"), "APPLICATION_COMMAND_DESCRIPTION_INVALID",
				"Context menu commands cannot have a description"})
		}
		return errs
	}
	errs = append(errs, checkName(cmd.Name, field("name"))...)
	errs = append(errs, checkDescription(cmd.Description, field("description"))...)
	return append(errs, checkOptions(cmd.Options, field("options"))...)
}

func checkOptions(opts []*discordgo.ApplicationCommandOption, at string) []fieldError {
	var errs []fieldError
	if len(opts) > maxCommandOptions {
		errs = append(errs, fieldError{at, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."})
	}
	seen := map[string]bool{}
	optional := false
	for i, o := range opts {
		f := fmt.Sprintf("%s.%d", at, i)
		errs = append(errs, checkName(o.Name, f+".name")...)
		errs = append(errs, checkDescription(o.Description, f+".description")...)
		if seen[o.Name] {
			errs = append(errs, fieldError{f + ".name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
				"Option names must be unique"})
		}
		seen[o.Name] = true
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
		if o.Type == discordgo.ApplicationCommandOptionSubCommand ||
			o.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
			errs = append(errs, checkOptions(o.Options, f+".options")...)
		}
	}
	return errs
}

// checkName applies the rule for chat command and option names: 1-32
// characters, lowercase letters (in any script), digits, '-' and '_'.
func checkName(name, at string) []fieldError {
	n := utf8.RuneCountInString(name)
	ok := n >= 1 && n <= maxCommandName
	for _, r := range name {
		if !(r == '-' || r == '_' || unicode.IsNumber(r) || unicode.IsLetter(r) && !unicode.IsUpper(r)) {
			ok = false
		}
	}
	if ok {
		return nil
	}
	return []fieldError{{at, "APPLICATION_COMMAND_INVALID_NAME",
		fmt.Sprintf("Command name %q is invalid: use 1-32 lowercase letters, digits, '-' or '_'.", name)}}
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
func (s *Server) checkOptions(i *discordgo.Interaction) error {
	if i.Type != discordgo.InteractionApplicationCommand {
		return nil
	}
	data := i.ApplicationCommandData()
	s.mu.Lock()
	cmd := findCommand(s.commands[i.GuildID], data.CommandType, data.Name)
	if cmd == nil {
		cmd = findCommand(s.commands[""], data.CommandType, data.Name)
	}
	var defs []*discordgo.ApplicationCommandOption
	if cmd != nil {
		defs = cloneCommands([]*discordgo.ApplicationCommand{cmd})[0].Options
	}
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	return checkOptionValues(data.Name, data.Options, defs)
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
