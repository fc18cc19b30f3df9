package fakediscord

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/bwmarrin/discordgo"
)

// Discord's message limits. Lengths are counted in UTF-16 code units, as
// Discord's clients count them: the stricter count, so a payload the fake
// accepts is accepted by Discord too.
const (
	maxContent          = 2000
	maxEmbeds           = 10
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxEmbedFields      = 25
	maxFieldName        = 256
	maxFieldValue       = 1024
	maxFooterText       = 2048
	maxAuthorName       = 256
	maxEmbedTotal       = 6000
	maxComponentRows    = 5
	maxRowButtons       = 5
	maxButtonLabel      = 80
	maxCustomID         = 100
	maxPlaceholder      = 150
	maxSelectOptions    = 25
)

// Component types and button styles the checks know.
const (
	componentRow          = 1
	componentButton       = 2
	componentStringSelect = 3
	componentTextInput    = 4
	componentSelectFirst  = 5 // user, role, mentionable and channel selects: 5-8
	componentSelectLast   = 8
	buttonLink            = 5
	buttonPremium         = 6
)

// textLen counts a string as Discord's limits do.
func textLen(s string) int { return len(utf16.Encode([]rune(s))) }

// validateMessage checks Discord's limits on a message payload. An empty
// message is an error only when creating one.
func validateMessage(p map[string]any, files int, creating bool) *reply {
	var errs []fieldError
	content, _ := p["content"].(string)
	if n := textLen(content); n > maxContent {
		errs = append(errs, maxLen("content", maxContent))
	}
	embeds, _ := p["embeds"].([]any)
	if len(embeds) > maxEmbeds {
		errs = append(errs, maxLen("embeds", maxEmbeds))
	}
	total := 0
	for i, e := range embeds {
		em, _ := e.(map[string]any)
		errs, total = checkEmbed(em, fmt.Sprintf("embeds.%d", i), errs, total)
	}
	if total > maxEmbedTotal {
		errs = append(errs, fieldError{"embeds", "MAX_EMBED_SIZE_EXCEEDED",
			fmt.Sprintf("Embed size exceeds maximum size of %d", maxEmbedTotal)})
	}
	components, _ := p["components"].([]any)
	errs = checkComponents(components, errs)
	if len(errs) > 0 {
		r := formError(errs)
		return &r
	}
	_, poll := p["poll"].(map[string]any)
	stickers, _ := p["sticker_ids"].([]any)
	if creating && content == "" && len(embeds) == 0 && len(components) == 0 &&
		files == 0 && !poll && len(stickers) == 0 {
		r := errorReply(http.StatusBadRequest, 50006, "Cannot send an empty message")
		return &r
	}
	return nil
}

func maxLen(field string, max int) fieldError {
	return fieldError{field, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", max)}
}

func badLen(field string, lo, hi int) fieldError {
	return fieldError{field, "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between %d and %d in length.", lo, hi)}
}

func required(field string) fieldError {
	return fieldError{field, "BASE_TYPE_REQUIRED", "This field is required"}
}

func str(m map[string]any, k string) string { v, _ := m[k].(string); return v }

// checkEmbed checks one embed's limits and adds its characters to total.
func checkEmbed(em map[string]any, at string, errs []fieldError, total int) ([]fieldError, int) {
	limit := func(field, s string, max int) {
		n := textLen(s)
		total += n
		if n > max {
			errs = append(errs, maxLen(at+"."+field, max))
		}
	}
	limit("title", str(em, "title"), maxEmbedTitle)
	limit("description", str(em, "description"), maxEmbedDescription)
	if footer, ok := em["footer"].(map[string]any); ok {
		limit("footer.text", str(footer, "text"), maxFooterText)
	}
	if author, ok := em["author"].(map[string]any); ok {
		limit("author.name", str(author, "name"), maxAuthorName)
	}
	fields, _ := em["fields"].([]any)
	if len(fields) > maxEmbedFields {
		errs = append(errs, maxLen(at+".fields", maxEmbedFields))
	}
	for i, f := range fields {
		fm, _ := f.(map[string]any)
		at := fmt.Sprintf("fields.%d", i)
		if str(fm, "name") == "" {
			errs = append(errs, required(at+".name"))
		}
		if str(fm, "value") == "" {
			errs = append(errs, required(at+".value"))
		}
		limit(at+".name", str(fm, "name"), maxFieldName)
		limit(at+".value", str(fm, "value"), maxFieldValue)
	}
	return errs, total
}

// checkComponents checks a message's component rows: at most 5 rows of 1-5
// buttons or one select menu; buttons with a label of at most 80
// characters or an emoji, a custom_id of 1-100 characters (a URL instead
// for link buttons), every custom_id unique in the message.
func checkComponents(rows []any, errs []fieldError) []fieldError {
	if len(rows) > maxComponentRows {
		errs = append(errs, badLen("components", 1, maxComponentRows))
	}
	seen := map[string]bool{}
	for i, r := range rows {
		at := fmt.Sprintf("components.%d", i)
		row, _ := r.(map[string]any)
		if t, _ := row["type"].(float64); int(t) != componentRow {
			errs = append(errs, fieldError{at + ".type", "UNION_TYPE_CHOICES",
				fmt.Sprintf("Value of field \"type\" must be one of (%d,).", componentRow)})
			continue
		}
		items, _ := row["components"].([]any)
		if len(items) < 1 || len(items) > maxRowButtons {
			errs = append(errs, badLen(at+".components", 1, maxRowButtons))
		}
		for j, c := range items {
			cat := fmt.Sprintf("%s.components.%d", at, j)
			comp, _ := c.(map[string]any)
			typ, _ := comp["type"].(float64)
			switch t := int(typ); {
			case t == componentButton:
				errs = checkButton(comp, cat, errs)
			case t == componentStringSelect || t >= componentSelectFirst && t <= componentSelectLast:
				if len(items) > 1 {
					errs = append(errs, fieldError{cat, "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
						"The specified component exceeds the maximum width"})
				}
				errs = checkCustomID(comp, cat, errs)
				if n := textLen(str(comp, "placeholder")); n > maxPlaceholder {
					errs = append(errs, maxLen(cat+".placeholder", maxPlaceholder))
				}
				if opts, _ := comp["options"].([]any); t == componentStringSelect && (len(opts) < 1 || len(opts) > maxSelectOptions) {
					errs = append(errs, badLen(cat+".options", 1, maxSelectOptions))
				}
			case t == componentTextInput:
				errs = append(errs, fieldError{cat + ".type", "COMPONENT_TYPE_INVALID",
					"Text inputs are only allowed in modals"})
			default:
				errs = append(errs, fieldError{cat + ".type", "UNION_TYPE_CHOICES",
					fmt.Sprintf("Value of field \"type\" must be a message component type, not %d.", t)})
			}
			if id := str(comp, "custom_id"); id != "" {
				if seen[id] {
					errs = append(errs, fieldError{cat + ".custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED",
						"Component custom id cannot be duplicated"})
				}
				seen[id] = true
			}
		}
	}
	return errs
}

func checkButton(b map[string]any, at string, errs []fieldError) []fieldError {
	style, _ := b["style"].(float64)
	switch s := int(style); {
	case s < 1 || s > buttonPremium:
		errs = append(errs, fieldError{at + ".style", "BASE_TYPE_CHOICES",
			fmt.Sprintf("Value must be one of {1, 2, 3, 4, 5, 6}, not %d.", s)})
	case s == buttonLink:
		if str(b, "url") == "" {
			errs = append(errs, required(at+".url"))
		}
		if _, ok := b["custom_id"]; ok {
			errs = append(errs, fieldError{at + ".custom_id", "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
				"A link button cannot have a custom id"})
		}
	case s == buttonPremium:
	default:
		errs = checkCustomID(b, at, errs)
	}
	label := str(b, "label")
	if n := textLen(label); n > maxButtonLabel {
		errs = append(errs, maxLen(at+".label", maxButtonLabel))
	}
	if _, emoji := b["emoji"].(map[string]any); label == "" && !emoji && int(style) != buttonPremium {
		errs = append(errs, fieldError{at, "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED",
			"A button must have a label or an emoji"})
	}
	return errs
}

func checkCustomID(c map[string]any, at string, errs []fieldError) []fieldError {
	id, ok := c["custom_id"].(string)
	switch n := textLen(id); {
	case !ok:
		errs = append(errs, required(at+".custom_id"))
	case n < 1 || n > maxCustomID:
		errs = append(errs, badLen(at+".custom_id", 1, maxCustomID))
	}
	return errs
}

// callbackTypes are the callback types Discord accepts for each type of
// interaction.
var callbackTypes = map[discordgo.InteractionType][]discordgo.InteractionResponseType{
	discordgo.InteractionPing: {discordgo.InteractionResponsePong},
	discordgo.InteractionApplicationCommand: {
		discordgo.InteractionResponseChannelMessageWithSource,
		discordgo.InteractionResponseDeferredChannelMessageWithSource,
		discordgo.InteractionResponseModal,
	},
	discordgo.InteractionMessageComponent: {
		discordgo.InteractionResponseChannelMessageWithSource,
		discordgo.InteractionResponseDeferredChannelMessageWithSource,
		discordgo.InteractionResponseDeferredMessageUpdate,
		discordgo.InteractionResponseUpdateMessage,
		discordgo.InteractionResponseModal,
	},
	discordgo.InteractionApplicationCommandAutocomplete: {discordgo.InteractionApplicationCommandAutocompleteResult},
	discordgo.InteractionModalSubmit: {
		discordgo.InteractionResponseChannelMessageWithSource,
		discordgo.InteractionResponseDeferredChannelMessageWithSource,
		discordgo.InteractionResponseDeferredMessageUpdate,
		discordgo.InteractionResponseUpdateMessage,
	},
}

// checkCallbackType refuses a callback type that Discord does not accept
// for the interaction's type (kind 0, an interaction the fake never saw,
// accepts any known type).
func checkCallbackType(kind discordgo.InteractionType, typ discordgo.InteractionResponseType) *reply {
	allowed, known := callbackTypes[kind]
	if !known {
		return nil
	}
	if slices.Contains(allowed, typ) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = strconv.Itoa(int(a))
	}
	r := formError([]fieldError{{"type", "BASE_TYPE_CHOICES",
		fmt.Sprintf("Value must be one of {%s}.", strings.Join(names, ", "))}})
	return &r
}
