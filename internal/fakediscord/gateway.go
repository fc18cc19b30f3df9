package fakediscord

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway opcodes used by the fake.
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opPresenceUpdate = 3
	opVoiceState     = 4
	opResume         = 6
	opRequestMembers = 8
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatACK   = 11
)

// Gateway close codes Discord uses for protocol errors.
const (
	closeUnknownOpcode    = 4001
	closeDecodeError      = 4002
	closeNotAuthenticated = 4003
	closeAuthFailed       = 4004
	closeAlreadyAuthed    = 4005
	closeInvalidShard     = 4010
	closeShardingRequired = 4011
)

// maxReplay bounds the events a session keeps for RESUME.
const maxReplay = 1000

// writeTimeout bounds each websocket write.
const writeTimeout = 5 * time.Second

// gwConn is one websocket connection from a client.
type gwConn struct {
	ws      *websocket.Conn
	writeMu sync.Mutex // gorilla allows one writer at a time
	session *gwSession // guarded by Server.gwMu; nil until IDENTIFY or RESUME
	beats   int        // guarded by Server.gwMu; heartbeats received
}

func (c *gwConn) write(v any) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
	}
	if err := c.ws.WriteJSON(v); err != nil {
		return fmt.Errorf("write gateway frame: %w", err)
	}
	return nil
}

// closeWith sends a close frame with code and closes the connection; the
// reader then ends.
func (c *gwConn) closeWith(code int, text string) {
	msg := websocket.FormatCloseMessage(code, text)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeTimeout))
	_ = c.ws.Close()
}

// gwSession is a gateway session: it outlives a dropped connection and can be
// resumed on a new one. Guarded by Server.gwMu.
type gwSession struct {
	id    string
	token string
	// shard is the session's shard and the shard count, as IDENTIFY gave
	// them; a count of 0 is an unsharded session, which gets every event.
	shard, shards int
	seq           int64
	log           []gwEvent // dispatched events, oldest first, for RESUME
	conn          *gwConn   // nil while no connection carries the session
}

// gets reports whether the session receives the events of a guild ("" for
// direct messages, which go to shard 0), as Discord routes them:
// shard = (guild_id >> 22) % shard count.
func (sess *gwSession) gets(guildID string) bool {
	if sess.shards == 0 {
		return true
	}
	if guildID == "" {
		return sess.shard == 0
	}
	return ShardOf(guildID, sess.shards) == sess.shard
}

// ShardOf is the shard that receives a guild's events when the bot has
// count shards: (guild_id >> 22) % count. An ID that is not a number goes
// to shard 0.
func ShardOf(guildID string, count int) int {
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil || count <= 1 {
		return 0
	}
	return int((id >> 22) % uint64(count))
}

// ShardGuild returns a guild ID, the n-th of those this fake makes up,
// whose events go to shard when the bot has count shards.
func ShardGuild(shard, count, n int) string {
	base := uint64(1170000000000000000 >> 22) // a 2023 timestamp, like GuildID
	k := base - base%uint64(count) + uint64(n*count+shard)
	return strconv.FormatUint(k<<22|uint64(n)&0xfff, 10)
}

type gwEvent struct {
	seq  int64
	typ  string
	data json.RawMessage
}

// frame is a gateway payload as sent on the wire.
type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

func dispatchFrame(ev gwEvent) frame {
	seq, typ := ev.seq, ev.typ
	return frame{Op: opDispatch, D: ev.data, S: &seq, T: &typ}
}

// serveGateway runs one gateway connection until it closes.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	s.gwMu.Lock()
	if s.gwClosed {
		s.gwMu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	s.connWG.Add(1)
	s.gwMu.Unlock()
	defer s.connWG.Done()

	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	c := &gwConn{ws: ws}
	s.gwMu.Lock()
	if s.gwClosed {
		s.gwMu.Unlock()
		_ = ws.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.gwMu.Unlock()

	version, err := strconv.Atoi(r.URL.Query().Get("v"))
	if err != nil {
		version = 10
	}
	hello, _ := json.Marshal(map[string]any{"heartbeat_interval": s.cfg.heartbeat.Milliseconds()})
	if err := c.write(frame{Op: opHello, D: hello}); err != nil {
		s.detach(c, false)
		_ = ws.Close()
		return
	}
	s.readLoop(c, version)
}

func (s *Server) readLoop(c *gwConn, version int) {
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			normal := errors.As(err, &ce) &&
				(ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway)
			s.detach(c, normal)
			_ = c.ws.Close()
			return
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			c.closeWith(closeDecodeError, "Decode error")
			continue // the next read fails and ends the loop
		}
		s.gwMu.Lock()
		authed := c.session != nil
		s.gwMu.Unlock()
		switch {
		case f.Op == opHeartbeat:
			s.gwMu.Lock()
			c.beats++
			s.gwMu.Unlock()
			_ = c.write(frame{Op: opHeartbeatACK})
			s.notify()
		case f.Op == opIdentify:
			s.identify(c, f.D, version)
		case f.Op == opResume:
			s.resume(c, f.D)
		case !authed:
			c.closeWith(closeNotAuthenticated, "Not authenticated")
		case f.Op == opPresenceUpdate, f.Op == opVoiceState, f.Op == opRequestMembers:
			// Accepted and ignored: the fake has no presences, voice or members.
		default:
			c.closeWith(closeUnknownOpcode, "Unknown opcode")
		}
	}
}

// detach forgets a closed connection. A session it carried stays resumable,
// unless the client closed normally (1000 or 1001), which ends a session on
// Discord too.
func (s *Server) detach(c *gwConn, normal bool) {
	s.gwMu.Lock()
	delete(s.conns, c)
	if sess := c.session; sess != nil && sess.conn == c {
		sess.conn = nil
		if normal {
			delete(s.sessions, sess.id)
		}
	}
	s.gwMu.Unlock()
	s.notify()
}

func (s *Server) identify(c *gwConn, raw json.RawMessage, version int) {
	var d struct {
		Token string  `json:"token"`
		Shard *[2]int `json:"shard"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		c.closeWith(closeDecodeError, "Decode error")
		return
	}
	if d.Token == "" {
		c.closeWith(closeAuthFailed, "Authentication failed.")
		return
	}
	if d.Shard != nil && (d.Shard[1] < 1 || d.Shard[0] < 0 || d.Shard[0] >= d.Shard[1]) {
		c.closeWith(closeInvalidShard, "Invalid shard.")
		return
	}
	if need := s.cfg.require; need > 1 && (d.Shard == nil || d.Shard[1] < need) {
		c.closeWith(closeShardingRequired, "Sharding required.")
		return
	}
	s.gwMu.Lock()
	if c.session != nil {
		s.gwMu.Unlock()
		c.closeWith(closeAlreadyAuthed, "Already authenticated.")
		return
	}
	s.identifies++
	sess := &gwSession{id: randomHex(16), token: d.Token, conn: c}
	if d.Shard != nil {
		sess.shard, sess.shards = d.Shard[0], d.Shard[1]
	}
	s.sessions[sess.id] = sess
	c.session = sess
	guilds := []any{}
	if sess.gets(GuildID) {
		guilds = append(guilds, map[string]any{"id": GuildID, "unavailable": true})
	}
	ready := map[string]any{
		"v":                  version,
		"session_id":         sess.id,
		"session_type":       "normal",
		"resume_gateway_url": s.GatewayURL(),
		"user":               botUser(),
		"application":        map[string]any{"id": AppID, "flags": 0},
		"guilds":             guilds,
		"private_channels":   []any{},
	}
	if d.Shard != nil {
		ready["shard"] = d.Shard
	}
	data, _ := json.Marshal(ready)
	s.sendLocked(sess, "READY", data)
	s.gwMu.Unlock()
	s.notify()
}

func (s *Server) resume(c *gwConn, raw json.RawMessage) {
	var d struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		c.closeWith(closeDecodeError, "Decode error")
		return
	}
	invalid, _ := json.Marshal(false)
	s.gwMu.Lock()
	sess := s.sessions[d.SessionID]
	if sess == nil || sess.token != d.Token ||
		(len(sess.log) > 0 && sess.log[0].seq > d.Seq+1) {
		s.gwMu.Unlock()
		_ = c.write(frame{Op: opInvalidSession, D: invalid})
		return
	}
	old := sess.conn
	if old != nil && old != c {
		old.session = nil
	}
	sess.conn = c
	c.session = sess
	s.resumes++
	for _, ev := range sess.log {
		if ev.seq > d.Seq {
			_ = c.write(dispatchFrame(ev))
		}
	}
	s.sendLocked(sess, "RESUMED", json.RawMessage(`{}`))
	s.gwMu.Unlock()
	if old != nil && old != c {
		_ = old.ws.Close()
	}
	s.notify()
}

// sendLocked numbers an event, keeps it for RESUME and writes it to the
// session's connection, if any. A failed write is left to the connection's
// reader, which notices the broken connection. Call with gwMu held.
func (s *Server) sendLocked(sess *gwSession, typ string, data json.RawMessage) {
	sess.seq++
	ev := gwEvent{seq: sess.seq, typ: typ, data: data}
	sess.log = append(sess.log, ev)
	if len(sess.log) > maxReplay {
		sess.log = sess.log[len(sess.log)-maxReplay:]
	}
	if sess.conn != nil {
		_ = sess.conn.write(dispatchFrame(ev))
	}
}

// ErrNoShard is returned by a dispatch when sessions are connected but
// none is the shard of the event's guild.
var ErrNoShard = errors.New("fakediscord: no gateway session of the event's shard")

// Dispatch sends a dispatch event (op 0) of type typ, with data encoded as
// JSON, to every gateway session that gets it: when sessions identified
// with a shard, only those of the shard of the event's guild_id (see
// ShardOf; shard 0 for events without one), as Discord routes events.
// Sessions whose connection dropped keep the event and receive it when
// they resume.
func (s *Server) Dispatch(typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("fakediscord: encode %s: %w", typ, err)
	}
	var g struct {
		GuildID string `json:"guild_id"`
	}
	_ = json.Unmarshal(raw, &g) // events that aren't objects have no guild
	s.gwMu.Lock()
	defer s.gwMu.Unlock()
	if s.gwClosed {
		return ErrClosed
	}
	if len(s.sessions) == 0 {
		return ErrNoSession
	}
	sent := false
	for _, sess := range s.sessions {
		if sess.gets(g.GuildID) {
			s.sendLocked(sess, typ, raw)
			sent = true
		}
	}
	if !sent {
		return ErrNoShard
	}
	return nil
}

// DispatchInteraction sends INTERACTION_CREATE and notes the time, from which
// the acknowledgement deadline runs (see AckLatency).
//
// As Discord's client would, it refuses (with an error wrapping
// ErrRefusedByClient, sending nothing) a command whose options break the
// rules the registered command sets: a string longer than its max_length
// or shorter than its min_length, a number out of its range.
func (s *Server) DispatchInteraction(i *discordgo.Interaction) error {
	if err := s.checkOptions(i); err != nil {
		return err
	}
	st := s.Track(i)
	payload, err := interactionPayload(i)
	if err != nil {
		return err
	}
	s.mu.Lock()
	st.dispatchedAt = time.Now()
	s.mu.Unlock()
	if err := s.Dispatch("INTERACTION_CREATE", payload); err != nil {
		s.mu.Lock()
		st.dispatchedAt = time.Time{}
		s.mu.Unlock()
		return err
	}
	return nil
}

// interactionPayload is i as Discord sends it. discordgo leaves a
// message's components out when it encodes one (Message.Components is
// `json:"-"`), but Discord sends the components of the message a button
// sits on, and the message of a menu command's resolved data: they are put
// back.
func interactionPayload(i *discordgo.Interaction) (json.RawMessage, error) {
	raw, err := encodeInteraction(i) // a modal submission's data as Discord sends it
	if err != nil {
		return nil, err
	}
	var withComps []*discordgo.Message
	if i.Message != nil && len(i.Message.Components) > 0 {
		withComps = append(withComps, i.Message)
	}
	if i.Type == discordgo.InteractionApplicationCommand {
		if d, ok := i.Data.(discordgo.ApplicationCommandInteractionData); ok && d.Resolved != nil {
			for _, m := range d.Resolved.Messages {
				if m != nil && len(m.Components) > 0 {
					withComps = append(withComps, m)
				}
			}
		}
	}
	if len(withComps) == 0 {
		return raw, nil
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("fakediscord: encode interaction: %w", err)
	}
	comps := func(m *discordgo.Message) any {
		b, _ := json.Marshal(m.Components)
		var v any
		_ = json.Unmarshal(b, &v)
		return v
	}
	if i.Message != nil && len(i.Message.Components) > 0 {
		if m, ok := obj["message"].(map[string]any); ok {
			m["components"] = comps(i.Message)
		}
	}
	if data, ok := obj["data"].(map[string]any); ok {
		if res, ok := data["resolved"].(map[string]any); ok {
			if msgs, ok := res["messages"].(map[string]any); ok {
				d := i.Data.(discordgo.ApplicationCommandInteractionData)
				for id, m := range d.Resolved.Messages {
					if mm, ok := msgs[id].(map[string]any); ok && m != nil && len(m.Components) > 0 {
						mm["components"] = comps(m)
					}
				}
			}
		}
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("fakediscord: encode interaction: %w", err)
	}
	return out, nil
}

// DispatchMessage sends MESSAGE_CREATE. An empty ID, ChannelID or Timestamp
// is filled in (the ID and channel in m too, so the test knows them). The
// message then exists for replies that reference it, until DeleteMessage.
func (s *Server) DispatchMessage(m *discordgo.Message) error {
	msg := *m
	if msg.ID == "" {
		msg.ID = s.newID()
	}
	if msg.ChannelID == "" {
		msg.ChannelID = ChannelID
	}
	if msg.Timestamp.IsZero() {
		msg.Timestamp = time.Now().UTC()
	}
	s.mu.Lock()
	s.userMessages[msg.ID] = msg.ChannelID
	s.mu.Unlock()
	m.ID, m.ChannelID = msg.ID, msg.ChannelID
	return s.Dispatch("MESSAGE_CREATE", &msg)
}

// DispatchRaw sends INTERACTION_CREATE with a payload exactly as given, such
// as a real interaction kept as JSON, noting it as DispatchInteraction does.
func (s *Server) DispatchRaw(payload []byte) error {
	var i discordgo.Interaction
	if err := json.Unmarshal(payload, &i); err != nil {
		return fmt.Errorf("fakediscord: decode interaction: %w", err)
	}
	if err := s.checkOptions(&i); err != nil {
		return err
	}
	st := s.Track(&i)
	s.mu.Lock()
	st.dispatchedAt = time.Now()
	s.mu.Unlock()
	if err := s.Dispatch("INTERACTION_CREATE", json.RawMessage(payload)); err != nil {
		s.mu.Lock()
		st.dispatchedAt = time.Time{}
		s.mu.Unlock()
		return err
	}
	return nil
}

// DropGateway closes every gateway connection abruptly, without a close
// frame, as a network failure would. The sessions stay resumable: events
// dispatched until the client resumes are replayed then. discordgo notices
// the drop, waits a second in its Close, reconnects and sends RESUME.
func (s *Server) DropGateway() {
	s.gwMu.Lock()
	conns := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
		if sess := c.session; sess != nil && sess.conn == c {
			sess.conn = nil
		}
	}
	s.gwMu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
	}
	s.notify()
}

// Identifies returns how many IDENTIFY payloads the gateway accepted.
func (s *Server) Identifies() int {
	s.gwMu.Lock()
	defer s.gwMu.Unlock()
	return s.identifies
}

// Resumes returns how many RESUME payloads the gateway accepted.
func (s *Server) Resumes() int {
	s.gwMu.Lock()
	defer s.gwMu.Unlock()
	return s.resumes
}

// Connected reports whether some session is carried by a live connection
// that completed its handshake (READY or RESUMED was sent) and has sent a
// heartbeat since. discordgo sends its first heartbeat as its Open finishes,
// so once Connected is true the client is fully up, and closing its session
// cannot race with discordgo's heartbeat goroutine (which, if its first write
// fails, starts a reconnect that outlives the test).
func (s *Server) Connected() bool {
	s.gwMu.Lock()
	defer s.gwMu.Unlock()
	for _, sess := range s.sessions {
		if sess.conn != nil && sess.conn.beats > 0 {
			return true
		}
	}
	return false
}

// settled reports whether no client is midway: every connection has
// completed its handshake and sent a heartbeat, and no session waits to be
// resumed.
func (s *Server) settled() bool {
	s.gwMu.Lock()
	defer s.gwMu.Unlock()
	for c := range s.conns {
		if c.session == nil || c.beats == 0 {
			return false
		}
	}
	for _, sess := range s.sessions {
		if sess.conn == nil {
			return false
		}
	}
	return true
}

// WaitConnected blocks until Connected is true, ctx ends or the server
// closes. After DropGateway it waits for the client to resume (or identify)
// and heartbeat; a test that drops the gateway should wait for this before
// it ends, or discordgo may reconnect after its session was closed.
func (s *Server) WaitConnected(ctx context.Context) error {
	return s.wait(ctx, s.Connected)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// botUser is the bot's user object as Discord sends it.
func botUser() map[string]any {
	return map[string]any{
		"id":            AppID,
		"username":      BotUsername,
		"discriminator": "0000",
		"global_name":   nil,
		"avatar":        nil,
		"bot":           true,
		"verified":      true,
		"flags":         0,
	}
}
