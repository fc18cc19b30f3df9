package fakediscord

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"
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
	kind         discordgo.InteractionType // 0 when the fake has not seen the interaction itself
	createdAt    time.Time                 // by the configured clock: the token's life starts here
	dispatchedAt time.Time                 // zero when not dispatched through the gateway
	ackedAt      time.Time                 // zero until the callback
	ackType      int
	message      *discordgo.Message // the message a component sits on
	originalID   string             // the original response's message ID
	followupIDs  []string
	// focused is, for an autocomplete interaction, the registered
	// definition of the option being typed; choices are the bot's answer.
	focused *discordgo.ApplicationCommandOption
	choices []*discordgo.ApplicationCommandOptionChoice
	modal   *Modal // the modal a type 9 callback opened
}

// interactionLocked returns the state of an interaction, creating it.
func (s *Server) interactionLocked(id, token string) *interactionState {
	st := s.interactions[id]
	if st == nil {
		st = &interactionState{id: id, token: token, channelID: ChannelID, createdAt: s.cfg.now()}
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

// Track tells the fake about an interaction that a test hands to the bot
// directly, without dispatching it: its type (so that callbacks of a type
// Discord refuses for it fail), its channel and the message a component
// sits on. Its token's life starts now, by the configured clock, unless
// the fake saw it before. DispatchInteraction tracks what it sends.
func (s *Server) Track(i *discordgo.Interaction) *interactionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactionLocked(i.ID, i.Token)
	st.kind = i.Type
	st.message = i.Message
	s.trackAutocompleteLocked(st, i)
	if i.ChannelID != "" {
		st.channelID = i.ChannelID
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
	if e := checkCallbackType(st.kind, discordgo.InteractionResponseType(typ)); e != nil {
		return *e
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
	case discordgo.InteractionApplicationCommandAutocompleteResult:
		if e := s.checkChoicesLocked(st, data); e != nil {
			return *e
		}
	case discordgo.InteractionResponseModal:
		m, e := validateModal(data)
		if e != nil {
			return *e
		}
		st.modal = m
	case discordgo.InteractionResponsePong:
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
	if len(st.message.Components) > 0 {
		// discordgo's encoding leaves them out.
		if data, err := json.Marshal(st.message.Components); err == nil {
			var comps []any
			if json.Unmarshal(data, &comps) == nil {
				m["components"] = comps
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
	// An autocomplete result is the interaction's only answer: it has no
	// message to read, edit or follow up.
	if app != AppID || st == nil || st.ackedAt.IsZero() ||
		st.ackType == int(discordgo.InteractionApplicationCommandAutocompleteResult) {
		r := errorReply(http.StatusNotFound, 10015, "Unknown Webhook")
		return nil, &r
	}
	if s.cfg.now().Sub(st.createdAt) > TokenLifetime {
		r := errorReply(http.StatusUnauthorized, 50027, "Invalid Webhook Token")
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
	if orig, ok := s.messages[st.originalID]; ok && st.ackType == int(discordgo.InteractionResponseDeferredChannelMessageWithSource) {
		if flags, _ := orig["flags"].(int); flags&flagLoading != 0 {
			// As Discord documents: a follow-up sent while a deferred
			// reply is still loading edits that reply instead, and its
			// flags are ignored (the reply stays as public or as private
			// as the deferral made it).
			s.applyLocked(orig, c.req.JSON, c.req.Files, false)
			if c.req.Query.Get("wait") != "true" {
				return noContent()
			}
			return messageReply(orig)
		}
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
	p := c.req.JSON
	if e := validateMessage(p, len(c.req.Files), true); e != nil {
		return *e
	}
	if ref, ok := p["message_reference"].(map[string]any); ok && !s.messageExistsLocked(c.vars[0], ref) {
		if fail, set := ref["fail_if_not_exists"].(bool); fail || !set {
			return formError([]fieldError{{"message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"}})
		}
		// fail_if_not_exists: false sends the message as an ordinary one.
		p = maps.Clone(p)
		delete(p, "message_reference")
	}
	m := s.newMessageLocked(c.vars[0], typeDefault, false)
	s.applyLocked(m, p, c.req.Files, true)
	return messageReply(m)
}

// messageExistsLocked reports whether a message reference names a message
// that exists: one the bot sent, or one DispatchMessage sent and
// DeleteMessage did not remove. A reference names the message's channel,
// or channelID when it names none.
func (s *Server) messageExistsLocked(channelID string, ref map[string]any) bool {
	id := str(ref, "message_id")
	if c := str(ref, "channel_id"); c != "" {
		channelID = c
	}
	if m, ok := s.messages[id]; ok {
		return m["channel_id"] == channelID
	}
	ch, ok := s.userMessages[id]
	return ok && ch == channelID
}

// DeleteMessage deletes a message from a channel as its author or a
// moderator would: a message DispatchMessage sent, or one the bot sent.
// Replies that must reference it then fail (see fail_if_not_exists).
func (s *Server) DeleteMessage(channelID, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.userMessages[id]; ok && ch == channelID {
		delete(s.userMessages, id)
	}
	if m, ok := s.messages[id]; ok && m["channel_id"] == channelID {
		s.deleteMessageLocked(id)
	}
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
