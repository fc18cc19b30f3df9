package fakediscord

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Threads: a bot starts a thread from a message with POST
// /channels/{channel}/messages/{message}/threads. As on Discord, the
// thread's ID is the message's, it is a public thread (type 11) of the
// message's channel, owned by the bot, and the message gains a "thread"
// field and the HAS_THREAD flag; THREAD_CREATE goes to the gateway. Its
// messages are channel messages of the thread's ID (ChannelMessages).

// Thread channel types and limits.
const (
	typePublicThread = 11
	maxThreadName    = 100
	flagHasThread    = 1 << 5
)

// autoArchiveDurations are the minutes a thread may stay idle before
// Discord archives it.
var autoArchiveDurations = []int{60, 1440, 4320, 10080}

// handleThreadStart starts a thread from a message. It refuses, as Discord
// does: a channel that is itself a thread (50024, "Cannot execute action
// on this channel type"), a message that isn't in the channel, or is
// ephemeral (10008, Unknown Message: ephemeral messages are not in the
// channel), a message that already has a thread (160004), a name that is
// missing or longer than 100 characters, and an auto_archive_duration
// other than 60, 1440, 4320 or 10080 (400, Invalid Form Body).
func (s *Server) handleThreadStart(c *call) reply {
	channelID, messageID := c.vars[0], c.vars[1]
	p := c.req.JSON
	s.mu.Lock()
	rep, thread := s.startThreadLocked(channelID, messageID, p)
	s.mu.Unlock()
	if thread != nil {
		// Discord tells the bot's gateway session about the thread it
		// created; without a session there is no one to tell.
		_ = s.Dispatch("THREAD_CREATE", json.RawMessage(mustJSON(thread)))
	}
	return rep
}

func (s *Server) startThreadLocked(channelID, messageID string, p map[string]any) (reply, map[string]any) {
	if _, isThread := s.threads[channelID]; isThread {
		return errorReply(http.StatusBadRequest, 50024, "Cannot execute action on this channel type"), nil
	}
	m, ok := s.messages[messageID]
	flags, _ := m["flags"].(int)
	if !ok || m["channel_id"] != channelID || flags&flagEphemeral != 0 {
		return errorReply(http.StatusNotFound, 10008, "Unknown Message"), nil
	}
	var errs []fieldError
	name, _ := p["name"].(string)
	if n := textLen(name); n < 1 || n > maxThreadName {
		errs = append(errs, badLen("name", 1, maxThreadName))
	}
	archive := 1440
	if v, ok := p["auto_archive_duration"].(float64); ok && v != 0 {
		archive = int(v)
		if !slices.Contains(autoArchiveDurations, archive) {
			errs = append(errs, fieldError{"auto_archive_duration", "BASE_TYPE_CHOICES",
				fmt.Sprintf("Value must be one of %v.", autoArchiveDurations)})
		}
	}
	if len(errs) > 0 {
		return formError(errs), nil
	}
	if _, exists := s.threads[messageID]; exists {
		return errorReply(http.StatusBadRequest, 160004, "A thread has already been created for this message"), nil
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	thread := map[string]any{
		"id":                  messageID,
		"type":                typePublicThread,
		"guild_id":            GuildID,
		"parent_id":           channelID,
		"owner_id":            AppID,
		"name":                name,
		"last_message_id":     nil,
		"message_count":       0,
		"member_count":        1,
		"total_message_sent":  0,
		"rate_limit_per_user": 0,
		"flags":               0,
		"thread_metadata": map[string]any{
			"archived":              false,
			"auto_archive_duration": archive,
			"archive_timestamp":     now,
			"locked":                false,
			"create_timestamp":      now,
		},
	}
	s.threads[messageID] = thread
	m["thread"] = thread
	m["flags"] = flags | flagHasThread
	return jsonReply(http.StatusCreated, thread), thread
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fakediscord: encode %T: %v", v, err))
	}
	return b
}

// Thread returns the thread with the given ID, as Discord describes it;
// ok is false when the bot started none with that ID.
func (s *Server) Thread(id string) (ch *discordgo.Channel, ok bool) {
	s.mu.Lock()
	t, ok := s.threads[id]
	var data []byte
	if ok {
		data = mustJSON(t)
	}
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	var out discordgo.Channel
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, false
	}
	return &out, true
}

// Threads returns the IDs of the threads the bot started.
func (s *Server) Threads() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.threads))
	for id := range s.threads {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
