package fakediscord

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// dial opens a bare websocket to the gateway and reads HELLO.
func dial(t *testing.T, s *Server) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, _, err := d.Dial(s.GatewayURL()+"?v=10&encoding=json", nil)
	if err != nil {
		t.Fatalf("dial gateway: %v", err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	if hello := readFrame(t, ws); hello.Op != opHello {
		t.Fatalf("first frame op %d, want HELLO", hello.Op)
	}
	return ws
}

// rawClient identifies with a bare websocket and returns it and READY.
func rawClient(t *testing.T, s *Server) (*websocket.Conn, frame) {
	t.Helper()
	ws := dial(t, s)
	send(t, ws, opIdentify, map[string]any{"token": testToken, "intents": 0, "properties": map[string]any{}})
	ready := readFrame(t, ws)
	if ready.T == nil || *ready.T != "READY" {
		t.Fatalf("after IDENTIFY got %+v, want READY", ready)
	}
	heartbeat(t, ws)
	return ws, ready
}

// heartbeat sends a heartbeat and reads its ACK, as a connected client does.
func heartbeat(t *testing.T, ws *websocket.Conn) {
	t.Helper()
	send(t, ws, opHeartbeat, nil)
	if f := readFrame(t, ws); f.Op != opHeartbeatACK {
		t.Fatalf("got op %d, want HEARTBEAT_ACK", f.Op)
	}
}

func send(t *testing.T, ws *websocket.Conn, op int, d any) {
	t.Helper()
	if err := ws.WriteJSON(map[string]any{"op": op, "d": d}); err != nil {
		t.Fatalf("write op %d: %v", op, err)
	}
}

func readFrame(t *testing.T, ws *websocket.Conn) frame {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f frame
	if err := ws.ReadJSON(&f); err != nil {
		t.Fatalf("read gateway frame: %v", err)
	}
	return f
}

// closeCode reads until the server closes and returns its close code.
func closeCode(t *testing.T, ws *websocket.Conn) int {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			t.Fatalf("read: %v, want a close frame", err)
		}
	}
}

func TestGatewayProtocol(t *testing.T) {
	t.Parallel()
	t.Run("hello announces the interval", func(t *testing.T) {
		t.Parallel()
		s := New(t, HeartbeatInterval(1500*time.Millisecond))
		d := websocket.Dialer{}
		ws, _, err := d.Dial(s.GatewayURL(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		hello := readFrame(t, ws)
		var h struct {
			Interval int `json:"heartbeat_interval"`
		}
		if err := json.Unmarshal(hello.D, &h); err != nil || hello.Op != opHello || h.Interval != 1500 {
			t.Errorf("HELLO = op %d %s, want op 10 with 1500", hello.Op, hello.D)
		}
	})
	t.Run("commands before identify close with 4003", func(t *testing.T) {
		t.Parallel()
		s := New(t)
		ws := dial(t, s)
		send(t, ws, opPresenceUpdate, map[string]any{"status": "online"})
		if code := closeCode(t, ws); code != closeNotAuthenticated {
			t.Errorf("close code %d, want 4003", code)
		}
	})
	t.Run("unknown session is invalid", func(t *testing.T) {
		t.Parallel()
		s := New(t)
		ws := dial(t, s)
		send(t, ws, opResume, map[string]any{"token": testToken, "session_id": "nope", "seq": 1})
		if f := readFrame(t, ws); f.Op != opInvalidSession {
			t.Errorf("got op %d, want INVALID_SESSION", f.Op)
		}
	})
	t.Run("resume replays missed events in order", func(t *testing.T) {
		t.Parallel()
		s := New(t)
		_, ready := rawClient(t, s)
		var r struct {
			SessionID string `json:"session_id"`
			ResumeURL string `json:"resume_gateway_url"`
		}
		if err := json.Unmarshal(ready.D, &r); err != nil || r.ResumeURL != s.GatewayURL() {
			t.Fatalf("READY = %s", ready.D)
		}
		for n := range 3 {
			if err := s.Dispatch("MESSAGE_CREATE", map[string]any{"id": n}); err != nil {
				t.Fatal(err)
			}
		}
		s.DropGateway()
		ws := dial(t, s)
		// READY was 1 and the messages 2, 3, 4: a client that saw 2 misses two.
		send(t, ws, opResume, map[string]any{"token": testToken, "session_id": r.SessionID, "seq": 2})
		var got []string
		for range 3 {
			f := readFrame(t, ws)
			got = append(got, *f.T+"#"+jsonInt(f.S))
		}
		want := "MESSAGE_CREATE#3 MESSAGE_CREATE#4 RESUMED#5"
		if strings.Join(got, " ") != want {
			t.Errorf("after RESUME got %v, want %s", got, want)
		}
		if s.Connected() {
			t.Error("Connected before the resumed client's first heartbeat")
		}
		heartbeat(t, ws)
		if s.Resumes() != 1 || !s.Connected() {
			t.Errorf("Resumes %d, Connected %v; want 1, true", s.Resumes(), s.Connected())
		}
	})
	t.Run("dispatch without a session fails", func(t *testing.T) {
		t.Parallel()
		s := New(t)
		if err := s.DispatchInteraction(CommandInteraction("ask", nil, UserSpec{})); !errors.Is(err, ErrNoSession) {
			t.Errorf("err = %v, want ErrNoSession", err)
		}
	})
}

func jsonInt(p *int64) string {
	if p == nil {
		return "nil"
	}
	b, _ := json.Marshal(*p)
	return string(b)
}

// TestBuiltInteractions decodes built interactions as discordgo decodes an
// INTERACTION_CREATE and checks what a handler would read.
func TestBuiltInteractions(t *testing.T) {
	t.Parallel()
	s := New(t)
	att := s.NewAttachment("article.txt", []byte("text"))
	decode := func(t *testing.T, i *discordgo.Interaction) *discordgo.Interaction {
		t.Helper()
		data, err := json.Marshal(i)
		if err != nil {
			t.Fatal(err)
		}
		var ic discordgo.InteractionCreate
		if err := json.Unmarshal(data, &ic); err != nil {
			t.Fatalf("discordgo cannot decode %s: %v", data, err)
		}
		return ic.Interaction
	}
	admin := UserSpec{Username: "ada", Admin: true, Roles: []string{"42"}}

	t.Run("command options", func(t *testing.T) {
		i := decode(t, CommandInteraction("ingest", map[string]any{
			"file": att, "force": true, "limit": 5, "score": 0.5, "url": "https://example.org/a",
		}, admin))
		d := i.ApplicationCommandData()
		if d.Name != "ingest" || i.Type != discordgo.InteractionApplicationCommand || i.AppID != AppID ||
			i.GuildID != GuildID || i.ChannelID != ChannelID || i.Token == "" || i.ID == "" {
			t.Fatalf("interaction = %+v", i)
		}
		want := map[string]discordgo.ApplicationCommandOptionType{
			"file": discordgo.ApplicationCommandOptionAttachment, "force": discordgo.ApplicationCommandOptionBoolean,
			"limit": discordgo.ApplicationCommandOptionInteger, "score": discordgo.ApplicationCommandOptionNumber,
			"url": discordgo.ApplicationCommandOptionString,
		}
		for _, o := range d.Options {
			if want[o.Name] != o.Type {
				t.Errorf("option %s has type %v, want %v", o.Name, o.Type, want[o.Name])
			}
		}
		if got := d.GetOption("limit").IntValue(); got != 5 {
			t.Errorf("limit = %d", got)
		}
		id, _ := d.GetOption("file").Value.(string)
		if a := d.Resolved.Attachments[id]; a == nil || a.URL != att.URL || a.Filename != "article.txt" {
			t.Errorf("resolved attachment %q = %+v, want %+v", id, a, att)
		}
		m := i.Member
		if m.User.Username != "ada" || m.Permissions&discordgo.PermissionManageGuild == 0 || len(m.Roles) != 1 {
			t.Errorf("member = %+v %+v, want admin ada with a role", m, m.User)
		}
	})
	t.Run("members lack manage server and keep their ID", func(t *testing.T) {
		a := decode(t, CommandInteraction("ask", nil, UserSpec{Username: "bob"}))
		b := decode(t, CommandInteraction("ask", nil, UserSpec{Username: "bob"}))
		if a.Member.Permissions&discordgo.PermissionManageGuild != 0 {
			t.Error("member has Manage Server")
		}
		if a.Member.User.ID != b.Member.User.ID || a.ID == b.ID || a.Token == b.Token {
			t.Errorf("user IDs %s/%s should match, interaction IDs %s/%s and tokens differ",
				a.Member.User.ID, b.Member.User.ID, a.ID, b.ID)
		}
	})
	t.Run("subcommand", func(t *testing.T) {
		i := decode(t, CommandInteraction("source", map[string]any{"show": map[string]any{"id": "p1"}}, admin))
		o := i.ApplicationCommandData().Options[0]
		if o.Type != discordgo.ApplicationCommandOptionSubCommand || o.GetOption("id").StringValue() != "p1" {
			t.Errorf("subcommand = %+v", o)
		}
	})
	t.Run("button and select", func(t *testing.T) {
		b := decode(t, ComponentInteraction("more:1", nil, UserSpec{}))
		if d := b.MessageComponentData(); d.CustomID != "more:1" || d.ComponentType != discordgo.ButtonComponent || b.Message == nil {
			t.Errorf("button = %+v, message %+v", d, b.Message)
		}
		sel := decode(t, ComponentInteraction("pick", nil, UserSpec{}, "a", "b"))
		if d := sel.MessageComponentData(); d.ComponentType != discordgo.SelectMenuComponent || len(d.Values) != 2 {
			t.Errorf("select = %+v", d)
		}
	})
	t.Run("direct message", func(t *testing.T) {
		i := decode(t, InDM(CommandInteraction("ask", nil, UserSpec{Username: "dee"})))
		if i.GuildID != "" || i.Member != nil || i.User == nil || i.User.Username != "dee" {
			t.Errorf("DM interaction = guild %q member %+v user %+v", i.GuildID, i.Member, i.User)
		}
	})
}

// TestComponentUpdate presses a button and updates the message it sits on.
func TestComponentUpdate(t *testing.T) {
	t.Parallel()
	s := New(t)
	rawClient(t, s)
	ds := s.Session(testToken)
	posted, err := ds.ChannelMessageSendComplex(ChannelID, &discordgo.MessageSend{Content: "page 1", AllowedMentions: noMentions()})
	if err != nil {
		t.Fatal(err)
	}
	press := ComponentInteraction("next", posted, UserSpec{})
	if err := s.DispatchInteraction(press); err != nil {
		t.Fatal(err)
	}
	err = ds.InteractionRespond(press, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseUpdateMessage,
		Data: &discordgo.InteractionResponseData{Content: "page 2", AllowedMentions: noMentions()},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ds.ChannelMessage(ChannelID, posted.ID)
	if err != nil || got.Content != "page 2" {
		t.Errorf("message after update = %+v, %v; want page 2", got, err)
	}
	if n := len(s.ChannelMessages(ChannelID)); n != 1 {
		t.Errorf("%d messages in the channel, want the one updated", n)
	}
}

// TestCloseLeavesNoGoroutines closes a server with a connected client, a
// waiter and a delayed request, and checks that none of its goroutines remain.
// It is not parallel, so no other test's server is running.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	s := New(t)
	ws, _ := rawClient(t, s)
	waited := make(chan error, 1)
	go func() {
		_, err := s.WaitFor(context.Background(), Match("DELETE", "/never"))
		waited <- err
	}()
	s.Delay("/users/", time.Minute)
	delayed := make(chan error, 1)
	ds := s.Session(testToken)
	go func() {
		_, err := ds.User("@me")
		delayed <- err
	}()
	if _, err := s.WaitFor(testContext(t, 100*time.Millisecond), func(Request) bool { return true }); err == nil {
		t.Fatal("the delayed request was recorded before it was answered")
	}

	s.Close()
	if err := receive(t, waited, "WaitFor to end"); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitFor after Close: %v, want ErrClosed", err)
	}
	receive(t, delayed, "the delayed request to end")
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Error("gateway connection still open after Close")
	}
	// A handler that has signalled its end may still be returning: give
	// such goroutines a moment to be gone.
	var left []string
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		left = left[:0]
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "fakediscord.(*Server)") || strings.Contains(g, "fakediscord.(*gwConn)") {
				left = append(left, g)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, g := range left {
		t.Errorf("goroutine left after Close:\n%s", g)
	}
	s.Close() // a second Close does nothing
}

// shardClient identifies as shard id of count with a bare websocket.
func shardClient(t *testing.T, s *Server, id, count int) (*websocket.Conn, frame) {
	t.Helper()
	ws := dial(t, s)
	send(t, ws, opIdentify, map[string]any{"token": testToken, "intents": 0, "properties": map[string]any{}, "shard": []int{id, count}})
	ready := readFrame(t, ws)
	if ready.T == nil || *ready.T != "READY" {
		t.Fatalf("shard %d: after IDENTIFY got %+v, want READY", id, ready)
	}
	heartbeat(t, ws)
	return ws, ready
}

// TestGatewayRoutesByShard connects two shards: each receives the events
// of its own guilds only (shard = (guild_id >> 22) % 2), direct messages
// go to shard 0, and an unsharded client would get them all.
func TestGatewayRoutesByShard(t *testing.T) {
	t.Parallel()
	s := New(t, RecommendShards(2))
	ws0, ready0 := shardClient(t, s, 0, 2)
	ws1, _ := shardClient(t, s, 1, 2)
	var r struct {
		Shard  []int `json:"shard"`
		Guilds []struct {
			ID string `json:"id"`
		} `json:"guilds"`
	}
	if err := json.Unmarshal(ready0.D, &r); err != nil || len(r.Shard) != 2 || r.Shard[0] != 0 {
		t.Errorf("READY of shard 0: %s", ready0.D)
	}
	for _, g := range r.Guilds {
		if ShardOf(g.ID, 2) != 0 {
			t.Errorf("READY of shard 0 lists guild %s of shard 1", g.ID)
		}
	}
	for shard := range 2 {
		for n := range 3 {
			g := ShardGuild(shard, 2, n)
			if got := ShardOf(g, 2); got != shard {
				t.Fatalf("ShardGuild(%d, 2, %d) = %s, of shard %d", shard, n, g, got)
			}
			i := CommandInteraction("ask", nil, UserSpec{Username: "u"})
			i.GuildID = g
			if err := s.DispatchInteraction(i); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Dispatch("MESSAGE_CREATE", map[string]any{"id": "1", "channel_id": "2"}); err != nil { // a DM
		t.Fatal(err)
	}
	for shard, ws := range []*websocket.Conn{ws0, ws1} {
		want := 3
		if shard == 0 {
			want++ // the DM
		}
		for range want {
			f := readFrame(t, ws)
			var d struct {
				GuildID string `json:"guild_id"`
			}
			_ = json.Unmarshal(f.D, &d)
			if d.GuildID != "" && ShardOf(d.GuildID, 2) != shard {
				t.Errorf("shard %d received an event of guild %s (shard %d)", shard, d.GuildID, ShardOf(d.GuildID, 2))
			}
		}
		_ = ws.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, extra, err := ws.ReadMessage(); err == nil {
			t.Errorf("shard %d received more than its events: %s", shard, extra)
		}
	}

	resp, err := s.HTTPClient().Do(mustRequest(t, "GET", s.URL()+"/api/v10/gateway/bot", "Bot x"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var gb discordgo.GatewayBotResponse
	if err := json.NewDecoder(resp.Body).Decode(&gb); err != nil || gb.Shards != 2 || gb.URL != s.GatewayURL() {
		t.Errorf("GET /gateway/bot: %+v %v, want 2 shards", gb, err)
	}
}

// TestGatewayRefusesBadShards closes an IDENTIFY of a shard out of range
// with 4010, and, when sharding is required, an unsharded one with 4011.
func TestGatewayRefusesBadShards(t *testing.T) {
	t.Parallel()
	s := New(t, RequireShards(2))
	for _, tc := range []struct {
		shard any
		want  int
	}{
		{nil, closeShardingRequired},
		{[]int{0, 1}, closeShardingRequired},
		{[]int{2, 2}, closeInvalidShard},
	} {
		ws := dial(t, s)
		d := map[string]any{"token": testToken, "intents": 0, "properties": map[string]any{}}
		if tc.shard != nil {
			d["shard"] = tc.shard
		}
		send(t, ws, opIdentify, d)
		if code := closeCode(t, ws); code != tc.want {
			t.Errorf("shard %v: close code %d, want %d", tc.shard, code, tc.want)
		}
	}
	shardClient(t, s, 1, 2)
}

// mustRequest builds a request with an Authorization header.
func mustRequest(t *testing.T, method, url, auth string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	return req
}
