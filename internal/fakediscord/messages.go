package fakediscord

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Discord's message limits.
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
)

// Message types and flags the fake sets.
const (
	typeDefault          = 0
	typeReply            = 19
	typeChatInputCommand = 20
	flagEphemeral        = 1 << 6
	flagLoading          = 1 << 7
)

// interactionState is what the fake knows of an interaction. Guarded by
// Server.mu.
type interactionState struct {
	id, token    string
	channelID    string
	dispatchedAt time.Time // zero when not dispatched through the gateway
	ackedAt      time.Time // zero until the callback
	ackType      int
	message      *discordgo.Message // the message a component sits on
	originalID   string             // the original response's message ID
	followupIDs  []string
}

// interactionLocked returns the state of an interaction, creating it.
func (s *Server) interactionLocked(id, token string) *interactionState {
	st := s.interactions[id]
	if st == nil {
		st = &interactionState{id: id, token: token, channelID: ChannelID}
		s.interactions[id] = st
	}
	if token != "" && st.token == "" {
		st.token = token
	}
	if st.token != "" {
		s.byToken[st.token] = st
	}
	return st
}

// newMessageLocked stores and returns an empty message by the bot.
func (s *Server) newMessageLocked(channelID string, kind int, webhook bool) map[string]any {
	m := baseMessage(s.newID(), channelID, kind, webhook)
	s.storeMessageLocked(m)
	return m
}

func (s *Server) storeMessageLocked(m map[string]any) {
	id := m["id"].(string)
	s.messages[id] = m
	s.messageOrder = append(s.messageOrder, id)
}

// baseMessage is an empty message by the bot, with every field Discord sends.
func baseMessage(id, channelID string, kind int, webhook bool) map[string]any {
	m := map[string]any{
		"id":               id,
		"channel_id":       channelID,
		"guild_id":         GuildID,
		"type":             kind,
		"content":          "",
		"embeds":           []any{},
		"components":       []any{},
		"attachments":      []any{},
		"mentions":         []any{},
		"mention_roles":    []any{},
		"mention_everyone": false,
		"pinned":           false,
		"tts":              false,
		"flags":            0,
		"timestamp":        time.Now().UTC().Format(time.RFC3339Nano),
		"edited_timestamp": nil,
		"author":           botUser(),
	}
	if webhook {
		m["webhook_id"] = AppID
		m["application_id"] = AppID
	}
	return m
}

// applyLocked writes a create or edit payload into a stored message. Files
// become attachments; on an edit, an "attachments" list keeps only the
// existing attachments it names.
func (s *Server) applyLocked(m, p map[string]any, files []File, creating bool) {
	for _, k := range []string{"content", "embeds", "components", "tts", "poll", "sticker_ids"} {
		if v, ok := p[k]; ok && v != nil {
			m[k] = v
		}
	}
	flags, _ := m["flags"].(int)
	if creating {
		if f, ok := p["flags"].(float64); ok {
			flags = int(f)
		}
	} else {
		flags &^= flagLoading
		m["edited_timestamp"] = time.Now().UTC().Format(time.RFC3339Nano)
	}
	m["flags"] = flags
	if ref, ok := p["message_reference"].(map[string]any); ok && creating {
		m["message_reference"] = ref
		m["type"] = typeReply
	}

	atts, _ := m["attachments"].([]any)
	if keep, ok := p["attachments"].([]any); ok && !creating {
		ids := map[string]bool{}
		for _, k := range keep {
			if o, ok := k.(map[string]any); ok {
				ids[fmt.Sprint(o["id"])] = true
			}
		}
		atts = slices.DeleteFunc(slices.Clone(atts), func(a any) bool {
			o, _ := a.(map[string]any)
			return !ids[fmt.Sprint(o["id"])]
		})
	}
	for _, f := range files {
		a := s.storeAttachmentLocked(f.Name, f.ContentType, f.Data)
		atts = append(atts, map[string]any{
			"id":           a.ID,
			"filename":     a.Filename,
			"size":         a.Size,
			"url":          a.URL,
			"proxy_url":    a.ProxyURL,
			"content_type": a.ContentType,
		})
	}
	if atts == nil {
		atts = []any{}
	}
	m["attachments"] = atts
}

// messageReply encodes a stored message now, while the lock is held, so later
// edits cannot race with the encoding.
func messageReply(m map[string]any) reply {
	data, err := json.Marshal(m)
	if err != nil {
		return errorReply(http.StatusInternalServerError, 0, "fakediscord: encode message")
	}
	return jsonReply(http.StatusOK, json.RawMessage(data))
}

// validateMessage checks Discord's limits on a message payload. An empty
// message is an error only when creating one.
func validateMessage(p map[string]any, files int, creating bool) *reply {
	var errs []fieldError
	content, _ := p["content"].(string)
	if n := utf8.RuneCountInString(content); n > maxContent {
		errs = append(errs, fieldError{"content", "BASE_TYPE_MAX_LENGTH",
			fmt.Sprintf("Must be %d or fewer in length.", maxContent)})
	}
	embeds, _ := p["embeds"].([]any)
	if len(embeds) > maxEmbeds {
		errs = append(errs, fieldError{"embeds", "BASE_TYPE_MAX_LENGTH",
			fmt.Sprintf("Must be %d or fewer in length.", maxEmbeds)})
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
	if len(components) > maxComponentRows {
		errs = append(errs, fieldError{"components", "BASE_TYPE_BAD_LENGTH",
			fmt.Sprintf("Must be between 1 and %d in length.", maxComponentRows)})
	}
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

// checkEmbed checks one embed's limits and adds its characters to total.
func checkEmbed(em map[string]any, at string, errs []fieldError, total int) ([]fieldError, int) {
	limit := func(field, s string, max int) {
		n := utf8.RuneCountInString(s)
		total += n
		if n > max {
			errs = append(errs, fieldError{at + "." + field, "BASE_TYPE_MAX_LENGTH",
				fmt.Sprintf("Must be %d or fewer in length.", max)})
		}
	}
	str := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
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
		errs = append(errs, fieldError{at + ".fields", "BASE_TYPE_MAX_LENGTH",
			fmt.Sprintf("Must be %d or fewer in length.", maxEmbedFields)})
	}
	for i, f := range fields {
		fm, _ := f.(map[string]any)
		limit(fmt.Sprintf("fields.%d.name", i), str(fm, "name"), maxFieldName)
		limit(fmt.Sprintf("fields.%d.value", i), str(fm, "value"), maxFieldValue)
	}
	return errs, total
}

func (s *Server) handleCallback(c *call) reply {
	id, token := c.vars[0], c.vars[1]
	p := c.req.JSON
	typF, ok := p["type"].(float64)
	if !ok {
		return formError([]fieldError{{"type", "BASE_TYPE_REQUIRED", "This field is required"}})
	}
	typ := int(typF)
	data, _ := p["data"].(map[string]any)
	now := time.Now()

	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.interactions[id]; st != nil && st.token != "" && st.token != token {
		return errorReply(http.StatusUnauthorized, 50027, "Invalid Webhook Token")
	}
	st := s.interactionLocked(id, token)
	if !st.dispatchedAt.IsZero() && now.Sub(st.dispatchedAt) > s.cfg.ackDeadline {
		return errorReply(http.StatusNotFound, 10062, "Unknown interaction")
	}
	if !st.ackedAt.IsZero() {
		return errorReply(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
	}
	switch discordgo.InteractionResponseType(typ) {
	case discordgo.InteractionResponseChannelMessageWithSource:
		if e := validateMessage(data, len(c.req.Files), true); e != nil {
			return *e
		}
		m := s.newMessageLocked(st.channelID, typeChatInputCommand, true)
		s.applyLocked(m, data, c.req.Files, true)
		st.originalID = m["id"].(string)
	case discordgo.InteractionResponseDeferredChannelMessageWithSource:
		m := s.newMessageLocked(st.channelID, typeChatInputCommand, true)
		flags := flagLoading
		if f, ok := data["flags"].(float64); ok {
			flags |= int(f) & flagEphemeral
		}
		m["flags"] = flags
		st.originalID = m["id"].(string)
	case discordgo.InteractionResponseDeferredMessageUpdate:
		st.originalID = s.componentMessageLocked(st)["id"].(string)
	case discordgo.InteractionResponseUpdateMessage:
		if e := validateMessage(data, len(c.req.Files), false); e != nil {
			return *e
		}
		m := s.componentMessageLocked(st)
		s.applyLocked(m, data, c.req.Files, false)
		st.originalID = m["id"].(string)
	case discordgo.InteractionResponsePong,
		discordgo.InteractionApplicationCommandAutocompleteResult,
		discordgo.InteractionResponseModal:
	default:
		return formError([]fieldError{{"type", "BASE_TYPE_CHOICES", fmt.Sprintf("Value must be one of known types, not %d.", typ)}})
	}
	st.ackedAt = now
	st.ackType = typ
	return noContent()
}

// componentMessageLocked returns the stored message a component interaction
// came from, storing a copy of it first when the fake has not seen it.
func (s *Server) componentMessageLocked(st *interactionState) map[string]any {
	if st.message == nil {
		return s.newMessageLocked(st.channelID, typeDefault, false)
	}
	if m, ok := s.messages[st.message.ID]; ok {
		return m
	}
	id := st.message.ID
	if id == "" {
		id = s.newID()
	}
	m := baseMessage(id, st.channelID, typeDefault, false)
	if data, err := json.Marshal(st.message); err == nil {
		var given map[string]any
		if json.Unmarshal(data, &given) == nil {
			for k, v := range given {
				if v != nil {
					m[k] = v
				}
			}
		}
	}
	m["id"] = id
	if f, ok := m["flags"].(float64); ok {
		m["flags"] = int(f)
	}
	s.storeMessageLocked(m)
	return m
}

// webhookStateLocked returns the acknowledged interaction a webhook request
// is for, or the reply Discord gives when there is none.
func (s *Server) webhookStateLocked(app, token string) (*interactionState, *reply) {
	st := s.byToken[token]
	if app != AppID || st == nil || st.ackedAt.IsZero() {
		r := errorReply(http.StatusNotFound, 10015, "Unknown Webhook")
		return nil, &r
	}
	return st, nil
}

// webhookMessageLocked resolves "@original" or a follow-up ID of an
// interaction to its stored message.
func (s *Server) webhookMessageLocked(st *interactionState, id string) (map[string]any, *reply) {
	if id == "@original" {
		id = st.originalID
	} else if id != st.originalID && !slices.Contains(st.followupIDs, id) {
		id = ""
	}
	m, ok := s.messages[id]
	if id == "" || !ok {
		r := errorReply(http.StatusNotFound, 10008, "Unknown Message")
		return nil, &r
	}
	return m, nil
}

func (s *Server) handleWebhookExecute(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, e := s.webhookStateLocked(c.vars[0], c.vars[1])
	if e != nil {
		return *e
	}
	if e := validateMessage(c.req.JSON, len(c.req.Files), true); e != nil {
		return *e
	}
	m := s.newMessageLocked(st.channelID, typeDefault, true)
	s.applyLocked(m, c.req.JSON, c.req.Files, true)
	st.followupIDs = append(st.followupIDs, m["id"].(string))
	if c.req.Query.Get("wait") != "true" {
		return noContent()
	}
	return messageReply(m)
}

func (s *Server) handleWebhookMessageGet(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, e := s.webhookStateLocked(c.vars[0], c.vars[1])
	if e != nil {
		return *e
	}
	m, e := s.webhookMessageLocked(st, c.vars[2])
	if e != nil {
		return *e
	}
	return messageReply(m)
}

func (s *Server) handleWebhookMessageEdit(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, e := s.webhookStateLocked(c.vars[0], c.vars[1])
	if e != nil {
		return *e
	}
	m, e := s.webhookMessageLocked(st, c.vars[2])
	if e != nil {
		return *e
	}
	if e := validateMessage(c.req.JSON, len(c.req.Files), false); e != nil {
		return *e
	}
	s.applyLocked(m, c.req.JSON, c.req.Files, false)
	return messageReply(m)
}

func (s *Server) handleWebhookMessageDelete(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, e := s.webhookStateLocked(c.vars[0], c.vars[1])
	if e != nil {
		return *e
	}
	m, e := s.webhookMessageLocked(st, c.vars[2])
	if e != nil {
		return *e
	}
	s.deleteMessageLocked(m["id"].(string))
	return noContent()
}

func (s *Server) handleChannelMessageCreate(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := validateMessage(c.req.JSON, len(c.req.Files), true); e != nil {
		return *e
	}
	m := s.newMessageLocked(c.vars[0], typeDefault, false)
	s.applyLocked(m, c.req.JSON, c.req.Files, true)
	return messageReply(m)
}

// channelMessageLocked finds a stored message in a channel.
func (s *Server) channelMessageLocked(channelID, id string) (map[string]any, *reply) {
	m, ok := s.messages[id]
	if !ok || m["channel_id"] != channelID {
		r := errorReply(http.StatusNotFound, 10008, "Unknown Message")
		return nil, &r
	}
	return m, nil
}

func (s *Server) handleChannelMessageGet(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, e := s.channelMessageLocked(c.vars[0], c.vars[1])
	if e != nil {
		return *e
	}
	return messageReply(m)
}

func (s *Server) handleChannelMessageEdit(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, e := s.channelMessageLocked(c.vars[0], c.vars[1])
	if e != nil {
		return *e
	}
	if e := validateMessage(c.req.JSON, len(c.req.Files), false); e != nil {
		return *e
	}
	s.applyLocked(m, c.req.JSON, c.req.Files, false)
	return messageReply(m)
}

func (s *Server) handleChannelMessageDelete(c *call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, e := s.channelMessageLocked(c.vars[0], c.vars[1]); e != nil {
		return *e
	}
	s.deleteMessageLocked(c.vars[1])
	return noContent()
}

func (s *Server) deleteMessageLocked(id string) {
	delete(s.messages, id)
	s.messageOrder = slices.DeleteFunc(s.messageOrder, func(x string) bool { return x == id })
}

// OriginalResponse returns the current original response of the interaction
// with the given token: what the user sees after the callback and any edits.
// ok is false before the interaction was acknowledged with a message or a
// deferral, or after the response was deleted.
func (s *Server) OriginalResponse(token string) (msg *discordgo.Message, ok bool) {
	s.mu.Lock()
	st := s.byToken[token]
	var m map[string]any
	if st != nil {
		m = s.messages[st.originalID]
	}
	data, err := json.Marshal(m)
	s.mu.Unlock()
	if m == nil || err != nil {
		return nil, false
	}
	var out discordgo.Message
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, false
	}
	return &out, true
}

// Followups returns the follow-up messages of the interaction with the given
// token that still exist, oldest first.
func (s *Server) Followups(token string) []*discordgo.Message {
	s.mu.Lock()
	var raw [][]byte
	if st := s.byToken[token]; st != nil {
		for _, id := range st.followupIDs {
			if m, ok := s.messages[id]; ok {
				if data, err := json.Marshal(m); err == nil {
					raw = append(raw, data)
				}
			}
		}
	}
	s.mu.Unlock()
	return decodeAll(raw)
}

// ChannelMessages returns the messages the bot posted to a channel that still
// exist, oldest first: channel messages, interaction responses and
// follow-ups.
func (s *Server) ChannelMessages(channelID string) []*discordgo.Message {
	s.mu.Lock()
	var raw [][]byte
	for _, id := range s.messageOrder {
		m := s.messages[id]
		if m["channel_id"] != channelID {
			continue
		}
		if data, err := json.Marshal(m); err == nil {
			raw = append(raw, data)
		}
	}
	s.mu.Unlock()
	return decodeAll(raw)
}

func decodeAll(raw [][]byte) []*discordgo.Message {
	out := make([]*discordgo.Message, 0, len(raw))
	for _, data := range raw {
		var m discordgo.Message
		if json.Unmarshal(data, &m) == nil {
			out = append(out, &m)
		}
	}
	return out
}

// storedAttachment is a file the fake serves under /attachments/.
type storedAttachment struct {
	name        string
	contentType string
	data        []byte
}

// storeAttachmentLocked keeps a file and describes it as Discord would.
func (s *Server) storeAttachmentLocked(name, contentType string, data []byte) *discordgo.MessageAttachment {
	if contentType == "" || contentType == "application/octet-stream" {
		contentType = detectContentType(name, data)
	}
	id := s.newID()
	s.attachments[id] = storedAttachment{name: name, contentType: contentType, data: append([]byte{}, data...)}
	u := s.rest.URL + "/attachments/" + id + "/" + url.PathEscape(path.Base("/"+name))
	return &discordgo.MessageAttachment{
		ID:          id,
		URL:         u,
		ProxyURL:    u,
		Filename:    name,
		ContentType: contentType,
		Size:        len(data),
	}
}
