package fakediscord

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/bwmarrin/discordgo"
)

// Discord's modal limits.
const (
	maxModalTitle      = 45
	maxModalRows       = 5
	maxTextInputLabel  = 45
	maxTextInputLength = 4000
	maxTextInputHint   = 100 // placeholder
)

// Text input styles.
const (
	textInputShort     = 1
	textInputParagraph = 2
)

// Modal is a modal the bot opened: the data of a type 9 callback, decoded.
type Modal struct {
	CustomID string
	Title    string
	Inputs   []TextInput
}

// TextInput is one text input of a modal.
type TextInput struct {
	CustomID             string
	Label                string
	Style                int
	MinLength, MaxLength int // MaxLength 0: Discord's 4,000
	Required             bool
	Value, Placeholder   string
}

// validateModal checks a modal callback's data as Discord does: a
// custom_id of 1-100 characters, a title of 1-45, 1-5 action rows of
// exactly one text input each (nothing else is allowed in a modal), each
// with a custom_id of 1-100 characters unique in the modal, a style of 1
// or 2, a label of 1-45, min_length 0-4,000 and max_length 1-4,000 (min
// at most max), a prefilled value of at most max_length and a placeholder
// of at most 100. It returns the modal, or Discord's error.
func validateModal(data map[string]any) (*Modal, *reply) {
	var errs []fieldError
	m := &Modal{CustomID: str(data, "custom_id"), Title: str(data, "title")}
	errs = checkCustomID(data, "data", errs)
	switch n := textLen(m.Title); {
	case data["title"] == nil:
		errs = append(errs, required("data.title"))
	case n < 1 || n > maxModalTitle:
		errs = append(errs, badLen("data.title", 1, maxModalTitle))
	}
	rows, _ := data["components"].([]any)
	if len(rows) < 1 || len(rows) > maxModalRows {
		errs = append(errs, badLen("data.components", 1, maxModalRows))
	}
	seen := map[string]bool{}
	for i, r := range rows {
		at := fmt.Sprintf("data.components.%d", i)
		row, _ := r.(map[string]any)
		if t, _ := row["type"].(float64); int(t) != componentRow {
			errs = append(errs, fieldError{at + ".type", "UNION_TYPE_CHOICES",
				fmt.Sprintf("Value of field \"type\" must be one of (%d,).", componentRow)})
			continue
		}
		items, _ := row["components"].([]any)
		if len(items) != 1 {
			errs = append(errs, badLen(at+".components", 1, 1))
		}
		for j, c := range items {
			cat := fmt.Sprintf("%s.components.%d", at, j)
			comp, _ := c.(map[string]any)
			if t, _ := comp["type"].(float64); int(t) != componentTextInput {
				errs = append(errs, fieldError{cat + ".type", "COMPONENT_TYPE_INVALID",
					fmt.Sprintf("A modal accepts text inputs (type %d) only, not type %v.", componentTextInput, comp["type"])})
				continue
			}
			in, e := checkTextInput(comp, cat)
			errs = append(errs, e...)
			if seen[in.CustomID] {
				errs = append(errs, fieldError{cat + ".custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED",
					"Component custom id cannot be duplicated"})
			}
			seen[in.CustomID] = true
			m.Inputs = append(m.Inputs, in)
		}
	}
	if len(errs) > 0 {
		r := formError(errs)
		return nil, &r
	}
	return m, nil
}

// checkTextInput checks one text input of a modal.
func checkTextInput(c map[string]any, at string) (TextInput, []fieldError) {
	var errs []fieldError
	in := TextInput{CustomID: str(c, "custom_id"), Label: str(c, "label"), Value: str(c, "value"),
		Placeholder: str(c, "placeholder"), Required: true}
	errs = checkCustomID(c, at, errs)
	style, _ := c["style"].(float64)
	in.Style = int(style)
	if in.Style != textInputShort && in.Style != textInputParagraph {
		errs = append(errs, fieldError{at + ".style", "BASE_TYPE_CHOICES",
			fmt.Sprintf("Value must be one of {%d, %d}.", textInputShort, textInputParagraph)})
	}
	if n := textLen(in.Label); n < 1 || n > maxTextInputLabel {
		errs = append(errs, badLen(at+".label", 1, maxTextInputLabel))
	}
	if v, ok := c["min_length"].(float64); ok {
		in.MinLength = int(v)
		if in.MinLength < 0 || in.MinLength > maxTextInputLength {
			errs = append(errs, fieldError{at + ".min_length", "NUMBER_TYPE_MAX",
				fmt.Sprintf("int value should be between 0 and %d.", maxTextInputLength)})
		}
	}
	if v, ok := c["max_length"].(float64); ok {
		in.MaxLength = int(v)
		if in.MaxLength < 1 || in.MaxLength > maxTextInputLength {
			errs = append(errs, fieldError{at + ".max_length", "NUMBER_TYPE_MAX",
				fmt.Sprintf("int value should be between 1 and %d.", maxTextInputLength)})
		}
	}
	if in.MaxLength > 0 && in.MinLength > in.MaxLength {
		errs = append(errs, fieldError{at + ".min_length", "BASE_TYPE_INVALID", "min_length must not exceed max_length."})
	}
	if n := textLen(in.Value); n > in.maxLength() {
		errs = append(errs, maxLen(at+".value", in.maxLength()))
	}
	if n := textLen(in.Placeholder); n > maxTextInputHint {
		errs = append(errs, maxLen(at+".placeholder", maxTextInputHint))
	}
	if r, ok := c["required"].(bool); ok {
		in.Required = r
	}
	return in, errs
}

func (in TextInput) maxLength() int {
	if in.MaxLength > 0 {
		return in.MaxLength
	}
	return maxTextInputLength
}

// OpenedModal returns the modal the interaction with the given token was
// answered with (a type 9 callback); ok is false when it was answered
// otherwise, or not yet.
func (s *Server) OpenedModal(token string) (m Modal, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byToken[token]
	if st == nil || st.modal == nil {
		return Modal{}, false
	}
	return *st.modal, true
}

// SubmitModal builds the MODAL_SUBMIT interaction (type 5) that Discord
// sends when user fills in and submits the modal that opener was answered
// with: its custom_id, and a row with each text input's custom_id and
// value (values by custom ID; an input without one is submitted empty).
// Like the submission of a modal opened from a button, it comes from the
// opener's channel and carries the message the button sat on.
//
// As Discord's client would, it refuses (an error wrapping
// ErrRefusedByClient) when opener opened no modal, when a value names no
// input of the modal, when a required input is empty, or when a value is
// shorter than the input's min_length or longer than its max_length.
// Dispatch the result with DispatchInteraction, or hand it to the bot
// directly (Track).
func (s *Server) SubmitModal(opener *discordgo.Interaction, user UserSpec, values map[string]string) (*discordgo.Interaction, error) {
	m, ok := s.OpenedModal(opener.Token)
	if !ok {
		return nil, fmt.Errorf("%w: interaction %s opened no modal", ErrRefusedByClient, opener.ID)
	}
	names := make([]string, 0, len(values))
	for id := range values {
		names = append(names, id)
	}
	sort.Strings(names)
	for _, id := range names {
		if !slices.ContainsFunc(m.Inputs, func(in TextInput) bool { return in.CustomID == id }) {
			return nil, fmt.Errorf("%w: modal %q has no text input %q", ErrRefusedByClient, m.CustomID, id)
		}
	}
	data := discordgo.ModalSubmitInteractionData{CustomID: m.CustomID}
	for _, in := range m.Inputs {
		v := values[in.CustomID]
		n := textLen(v)
		switch {
		case in.Required && n == 0:
			return nil, fmt.Errorf("%w: text input %q is required", ErrRefusedByClient, in.CustomID)
		case n > 0 && (n < in.MinLength || n > in.maxLength()):
			return nil, fmt.Errorf("%w: text input %q takes %d to %d characters, not %d", ErrRefusedByClient, in.CustomID, in.MinLength, in.maxLength(), n)
		}
		data.Components = append(data.Components, &discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			&discordgo.TextInput{CustomID: in.CustomID, Value: v, Style: discordgo.TextInputStyle(in.Style)},
		}})
	}
	i := newInteraction(discordgo.InteractionModalSubmit, data, user)
	i.ChannelID = opener.ChannelID
	i.GuildID = opener.GuildID
	if opener.GuildID == "" {
		InDM(i)
		i.ChannelID = opener.ChannelID
	}
	i.Message = opener.Message
	return i, nil
}

// encodeInteraction encodes an interaction as Discord sends it. discordgo
// leaves a modal submission's components out of its encoding (they only
// decode), so they are written here.
func encodeInteraction(i *discordgo.Interaction) ([]byte, error) {
	raw, err := json.Marshal(i)
	if err != nil {
		return nil, fmt.Errorf("fakediscord: encode interaction: %w", err)
	}
	d, ok := i.Data.(discordgo.ModalSubmitInteractionData)
	if !ok {
		return raw, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("fakediscord: encode interaction: %w", err)
	}
	data, err := json.Marshal(struct {
		CustomID   string                       `json:"custom_id"`
		Components []discordgo.MessageComponent `json:"components"`
	}{d.CustomID, d.Components})
	if err != nil {
		return nil, fmt.Errorf("fakediscord: encode modal submission: %w", err)
	}
	obj["data"] = data
	return json.Marshal(obj)
}
