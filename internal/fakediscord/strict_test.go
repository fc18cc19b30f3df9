package fakediscord

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// post sends a raw JSON request to the fake and returns the response with
// its decoded body.
func post(t *testing.T, s *Server, method, path string, body any) (*http.Response, map[string]any) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, "https://discord.com/api/v10"+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", testToken)
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp, out
}

// deferred acknowledges i with a deferred reply through raw REST.
func deferred(t *testing.T, s *Server, i *discordgo.Interaction) {
	t.Helper()
	resp, body := post(t, s, "POST", "/interactions/"+i.ID+"/"+i.Token+"/callback", map[string]any{"type": 5})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("defer: %d %v", resp.StatusCode, body)
	}
}

func edit(content string) map[string]any {
	return map[string]any{"content": content, "allowed_mentions": map[string]any{"parse": []any{}}}
}

// TestRateLimitBuckets checks that each interaction token has a bucket of
// its own: the sixth edit within 2 s on one token gets Discord's 429 with
// Retry-After and the bucket headers, while another token's edits go on.
func TestRateLimitBuckets(t *testing.T) {
	t.Parallel()
	s := New(t)
	a := CommandInteraction("ask", nil, UserSpec{Username: "a"})
	b := CommandInteraction("ask", nil, UserSpec{Username: "b"})
	s.Track(a)
	s.Track(b)
	deferred(t, s, a)
	deferred(t, s, b)
	path := func(i *discordgo.Interaction) string {
		return "/webhooks/" + AppID + "/" + i.Token + "/messages/@original"
	}
	for n := 1; n <= 5; n++ {
		resp, body := post(t, s, "PATCH", path(a), edit("a"))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("edit %d: %d %v", n, resp.StatusCode, body)
		}
		if got, want := resp.Header.Get("X-RateLimit-Remaining"), string(rune('0'+5-n)); got != want {
			t.Errorf("edit %d: X-RateLimit-Remaining %q, want %q", n, got, want)
		}
	}
	resp, body := post(t, s, "PATCH", path(a), edit("a"))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("X-RateLimit-Scope") != "user" {
		t.Errorf("sixth edit: %d %v %v, want a 429 with Retry-After", resp.StatusCode, resp.Header, body)
	}
	if ra, _ := body["retry_after"].(float64); ra <= 0 || ra > 2 || body["global"] != false {
		t.Errorf("429 body %v, want retry_after in (0, 2] and global false", body)
	}
	if resp, _ := post(t, s, "PATCH", path(b), edit("b")); resp.StatusCode != http.StatusOK {
		t.Errorf("another token's edit: %d, want 200 (buckets are per token)", resp.StatusCode)
	}
	if m, _ := s.OriginalResponse(b.Token); m == nil || m.Content != "b" {
		t.Errorf("b's response = %+v", m)
	}

	off := New(t, NoRateLimits())
	c := CommandInteraction("ask", nil, UserSpec{})
	deferred(t, off, c)
	for n := range 10 {
		if resp, _ := post(t, off, "PATCH", path(c), edit("c")); resp.StatusCode != http.StatusOK {
			t.Fatalf("without limits, edit %d: %d", n, resp.StatusCode)
		}
	}
}

// TestDiscordgoRetriesAfterBucket checks that discordgo, which keys every
// interaction edit on one bucket, gets through an empty bucket by waiting.
func TestDiscordgoRetriesAfterBucket(t *testing.T) {
	t.Parallel()
	s := New(t, RouteLimits(map[string]RouteLimit{BucketWebhook: {Requests: 2, Per: 300 * time.Millisecond}}))
	ds := s.Session(testToken)
	i := CommandInteraction("ask", nil, UserSpec{})
	deferred(t, s, i)
	start := time.Now()
	for range 3 {
		if _, err := ds.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: ptr("x"), AllowedMentions: noMentions()}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("3 edits on a bucket of 2 per 300 ms took %v, want a wait", d)
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	s := New(t, Latency(200*time.Millisecond))
	ds := s.Session(testToken)
	start := time.Now()
	if _, err := ds.User("@me"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("request took %v, want at least the 200 ms latency", d)
	}
	s.SetLatency(0)
	start = time.Now()
	if _, err := ds.User("@me"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("without latency the request took %v", d)
	}
}

// TestTokenExpires checks that edits and follow-ups fail with 401 Invalid
// Webhook Token (50027) once the token is 15 minutes old.
func TestTokenExpires(t *testing.T) {
	t.Parallel()
	clock := NewManualClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	s := New(t, Clock(clock.Now))
	ds := s.Session(testToken)
	i := CommandInteraction("ask", nil, UserSpec{})
	if err := s.DispatchInteraction(i); err != nil && !errors.Is(err, ErrNoSession) {
		t.Fatal(err)
	}
	s.Track(i)
	if err := ds.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(TokenLifetime - time.Second)
	if _, err := ds.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: ptr("in time"), AllowedMentions: noMentions()}); err != nil {
		t.Fatalf("edit at 14:59: %v", err)
	}
	clock.Advance(2 * time.Second)
	_, err := ds.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: ptr("late"), AllowedMentions: noMentions()})
	if restStatus(err) != http.StatusUnauthorized || restCode(err) != 50027 {
		t.Errorf("edit at 15:01: %v, want 401 Invalid Webhook Token (50027)", err)
	}
	_, err = ds.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: "late", AllowedMentions: noMentions()})
	if restCode(err) != 50027 {
		t.Errorf("follow-up at 15:01: %v, want 50027", err)
	}
}

// TestStrictLimits sends one payload past each documented limit the fake
// checks, and checks Discord's error shape: 400, code 50035, and the
// errors object nested by the field's path.
func TestStrictLimits(t *testing.T) {
	t.Parallel()
	btn := func(id string) map[string]any {
		return map[string]any{"type": 2, "style": 2, "label": "b", "custom_id": id}
	}
	row := func(items ...any) map[string]any { return map[string]any{"type": 1, "components": items} }
	rows := func(n int) []any {
		var out []any
		for k := range n {
			out = append(out, row(btn(string(rune('a'+k)))))
		}
		return out
	}
	embed := func(kv ...any) map[string]any {
		m := map[string]any{"description": "d"}
		for k := 0; k < len(kv); k += 2 {
			m[kv[k].(string)] = kv[k+1]
		}
		return m
	}
	field := func(name, value string) map[string]any { return map[string]any{"name": name, "value": value} }
	long := strings.Repeat
	tests := []struct {
		name string
		msg  map[string]any
		path []string // the path of the error in "errors"; nil for success
	}{
		{"content 2001", map[string]any{"content": long("c", 2001)}, []string{"content"}},
		{"content 1000 astral characters count twice", map[string]any{"content": long("😀", 1001)}, []string{"content"}},
		{"title 257", map[string]any{"embeds": []any{embed("title", long("t", 257))}}, []string{"embeds", "0", "title"}},
		{"description 4097", map[string]any{"embeds": []any{embed("description", long("d", 4097))}}, []string{"embeds", "0", "description"}},
		{"footer 2049", map[string]any{"embeds": []any{embed("footer", map[string]any{"text": long("f", 2049)})}}, []string{"embeds", "0", "footer", "text"}},
		{"26 fields", map[string]any{"embeds": []any{embed("fields", func() []any {
			var fs []any
			for range 26 {
				fs = append(fs, field("n", "v"))
			}
			return fs
		}())}}, []string{"embeds", "0", "fields"}},
		{"field name 257", map[string]any{"embeds": []any{embed("fields", []any{field(long("n", 257), "v")})}}, []string{"embeds", "0", "fields", "0", "name"}},
		{"field value 1025", map[string]any{"embeds": []any{embed("fields", []any{field("n", long("v", 1025))})}}, []string{"embeds", "0", "fields", "0", "value"}},
		{"6001 in all embeds", map[string]any{"embeds": []any{embed("description", long("d", 4000)), embed("description", long("d", 2001))}}, []string{"embeds"}},
		{"11 embeds", map[string]any{"embeds": func() []any {
			var es []any
			for range 11 {
				es = append(es, embed())
			}
			return es
		}()}, []string{"embeds"}},
		{"empty custom_id", map[string]any{"components": []any{row(btn(""))}}, []string{"components", "0", "components", "0", "custom_id"}},
		{"custom_id 101", map[string]any{"components": []any{row(btn(long("i", 101)))}}, []string{"components", "0", "components", "0", "custom_id"}},
		{"custom_id 100", map[string]any{"components": []any{row(btn(long("i", 100)))}}, nil},
		{"duplicate custom_id", map[string]any{"components": []any{row(btn("x")), row(btn("x"))}}, []string{"components", "1", "components", "0", "custom_id"}},
		{"6 buttons in a row", map[string]any{"components": []any{row(btn("1"), btn("2"), btn("3"), btn("4"), btn("5"), btn("6"))}}, []string{"components", "0", "components"}},
		{"6 rows", map[string]any{"components": rows(6)}, []string{"components"}},
		{"5 rows", map[string]any{"components": rows(5)}, nil},
		{"label 81", map[string]any{"components": []any{row(map[string]any{"type": 2, "style": 1, "label": long("l", 81), "custom_id": "x"})}}, []string{"components", "0", "components", "0", "label"}},
		{"link button with a custom_id", map[string]any{"components": []any{row(map[string]any{"type": 2, "style": 5, "label": "l", "url": "https://example.com", "custom_id": "x"})}}, []string{"components", "0", "components", "0", "custom_id"}},
		{"button without label or emoji", map[string]any{"components": []any{row(map[string]any{"type": 2, "style": 1, "custom_id": "x"})}}, []string{"components", "0", "components", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t)
			tt.msg["allowed_mentions"] = map[string]any{"parse": []any{}}
			if _, ok := tt.msg["content"]; !ok {
				tt.msg["content"] = "x"
			}
			resp, body := post(t, s, "POST", "/channels/"+ChannelID+"/messages", tt.msg)
			if tt.path == nil {
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status %d %v, want 200", resp.StatusCode, body)
				}
				return
			}
			if resp.StatusCode != http.StatusBadRequest || body["code"] != float64(50035) || body["message"] != "Invalid Form Body" {
				t.Fatalf("got %d %v, want 400 Invalid Form Body (50035)", resp.StatusCode, body)
			}
			node, _ := body["errors"].(map[string]any)
			for _, p := range tt.path {
				node, _ = node[p].(map[string]any)
			}
			if errs, _ := node["_errors"].([]any); len(errs) == 0 {
				t.Errorf("errors %v have no _errors at %v", body["errors"], tt.path)
			}
		})
	}
}

// TestCallbackTypes checks that Discord's rules on which callback answers
// which interaction hold for tracked interactions.
func TestCallbackTypes(t *testing.T) {
	t.Parallel()
	ping := &discordgo.Interaction{ID: "1", Type: discordgo.InteractionPing, Token: "itk-ping"}
	tests := []struct {
		name string
		i    *discordgo.Interaction
		typ  int
		ok   bool
	}{
		{"command deferred reply", CommandInteraction("ask", nil, UserSpec{}), 5, true},
		{"command deferred update", CommandInteraction("ask", nil, UserSpec{}), 6, false},
		{"command update message", CommandInteraction("ask", nil, UserSpec{}), 7, false},
		{"command autocomplete result", CommandInteraction("ask", nil, UserSpec{}), 8, false},
		{"button deferred update", ComponentInteraction("x", nil, UserSpec{}), 6, true},
		{"button new message", ComponentInteraction("x", nil, UserSpec{}), 5, true},
		{"ping pong", ping, 1, true},
		{"ping message", ping, 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t)
			s.Track(tt.i)
			body := map[string]any{"type": tt.typ}
			if tt.typ == 4 {
				body["data"] = edit("hi")
			}
			resp, got := post(t, s, "POST", "/interactions/"+tt.i.ID+"/"+tt.i.Token+"/callback", body)
			if ok := resp.StatusCode == http.StatusNoContent; ok != tt.ok {
				t.Errorf("callback type %d: %d %v, want accepted %v", tt.typ, resp.StatusCode, got, tt.ok)
			}
			if !tt.ok && got["code"] != float64(50035) {
				t.Errorf("refusal %v, want 50035", got)
			}
		})
	}
}

// TestMessageReferences checks replies: to a message that exists, to one
// that was deleted (refused unless fail_if_not_exists is false, which
// sends an ordinary message).
func TestMessageReferences(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)
	mention := &discordgo.Message{Content: "<@" + AppID + "> hi", Author: &discordgo.User{ID: "5", Username: "u"}}
	if err := s.DispatchMessage(mention); err != nil && !errors.Is(err, ErrNoSession) {
		t.Fatal(err)
	}
	reply := func(ref *discordgo.MessageReference) (*discordgo.Message, error) {
		return ds.ChannelMessageSendComplex(ChannelID, &discordgo.MessageSend{Content: "answer", Reference: ref, AllowedMentions: noMentions()})
	}
	mention.GuildID = GuildID
	m, err := reply(mention.Reference())
	if err != nil || m.Type != discordgo.MessageTypeReply || m.MessageReference == nil {
		t.Fatalf("reply to an existing message = %+v, %v", m, err)
	}
	s.DeleteMessage(ChannelID, mention.ID)
	_, err = reply(mention.Reference())
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50035 || !strings.Contains(string(re.ResponseBody), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE") {
		t.Errorf("hard reply to a deleted message: %v, want 50035 MESSAGE_REFERENCE_UNKNOWN_MESSAGE", err)
	}
	m, err = reply(mention.SoftReference())
	if err != nil || m.Type != discordgo.MessageTypeDefault || m.MessageReference != nil {
		t.Errorf("soft reply to a deleted message = %+v, %v; want an ordinary message", m, err)
	}
}

// TestOptionLengths checks max_length on registration and that a dispatch
// breaking it is refused, as Discord's client would.
func TestOptionLengths(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)
	bad := []*discordgo.ApplicationCommand{{Name: "ask", Description: "d", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "q", Description: "d", MaxLength: 6001},
	}}}
	if _, err := ds.ApplicationCommandBulkOverwrite(AppID, "", bad); restCode(err) != 50035 {
		t.Errorf("max_length 6001: %v, want 50035", err)
	}
	good := []*discordgo.ApplicationCommand{{Name: "ask", Description: "d", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "q", Description: "d", MaxLength: 500},
	}}}
	if _, err := ds.ApplicationCommandBulkOverwrite(AppID, "", good); err != nil {
		t.Fatal(err)
	}
	err := s.DispatchInteraction(CommandInteraction("ask", map[string]any{"q": strings.Repeat("x", 501)}, UserSpec{}))
	if !errors.Is(err, ErrRefusedByClient) {
		t.Errorf("dispatching 501 characters: %v, want ErrRefusedByClient", err)
	}
	err = s.DispatchInteraction(CommandInteraction("ask", map[string]any{"q": strings.Repeat("x", 500)}, UserSpec{}))
	if !errors.Is(err, ErrNoSession) {
		t.Errorf("dispatching 500 characters: %v, want it to pass (and find no session)", err)
	}
}

// TestFollowupAfterDeferralEditsIt checks Discord's documented trap: a
// follow-up sent while a deferred reply is loading becomes that reply,
// public if the deferral was, whatever its flags; once the placeholder is
// deleted, an ephemeral follow-up is a message of its own.
func TestFollowupAfterDeferralEditsIt(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)
	i := CommandInteraction("ask", nil, UserSpec{})
	s.Track(i)
	deferred(t, s, i)
	private := &discordgo.WebhookParams{Content: "error", Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()}
	if _, err := ds.FollowupMessageCreate(i, true, private); err != nil {
		t.Fatal(err)
	}
	m, ok := s.OriginalResponse(i.Token)
	if !ok || m.Content != "error" || m.Flags&discordgo.MessageFlagsEphemeral != 0 || len(s.Followups(i.Token)) != 0 {
		t.Errorf("original %+v, follow-ups %d; want the public placeholder edited, no follow-up", m, len(s.Followups(i.Token)))
	}

	j := CommandInteraction("ask", nil, UserSpec{})
	s.Track(j)
	deferred(t, s, j)
	if err := ds.InteractionResponseDelete(j); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.FollowupMessageCreate(j, true, private); err != nil {
		t.Fatal(err)
	}
	if fs := s.Followups(j.Token); len(fs) != 1 || fs[0].Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("follow-ups after deleting the placeholder: %+v, want one ephemeral message", fs)
	}
}

// TestPayloadsDecode checks that the kept payloads are what discordgo
// reads from Discord: types, options, the component's message, and the
// permissions sent as strings.
func TestPayloadsDecode(t *testing.T) {
	t.Parallel()
	var ask, click, ping discordgo.Interaction
	for name, v := range map[string]*discordgo.Interaction{"ask_command.json": &ask, "show_sources_click.json": &click, "ping.json": &ping} {
		if err := json.Unmarshal(Payload(t, name), v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v.AppID != AppID || v.Token == "" || v.ID == "" {
			t.Errorf("%s: app %q, token %q, ID %q", name, v.AppID, v.Token, v.ID)
		}
	}
	if ask.Type != discordgo.InteractionApplicationCommand || ask.ApplicationCommandData().Name != "ask" ||
		ask.ApplicationCommandData().Options[0].StringValue() == "" || ask.Member.Permissions == 0 || ask.AppPermissions == 0 ||
		ask.GuildID != GuildID || ask.ChannelID != ChannelID {
		t.Errorf("ask = %+v", ask)
	}
	if click.Type != discordgo.InteractionMessageComponent || click.MessageComponentData().CustomID != "ask:sources" ||
		click.Message == nil || len(click.Message.Embeds) != 1 || len(click.Message.Components) != 1 {
		t.Errorf("click = %+v", click)
	}
	if ping.Type != discordgo.InteractionPing {
		t.Errorf("ping = %+v", ping)
	}
	var check, complete discordgo.Interaction
	if err := json.Unmarshal(Payload(t, "check_message.json"), &check); err != nil {
		t.Fatal(err)
	}
	if d := check.ApplicationCommandData(); check.Type != discordgo.InteractionApplicationCommand || d.CommandType != discordgo.MessageApplicationCommand ||
		d.Resolved == nil || d.Resolved.Messages[d.TargetID] == nil || d.Resolved.Messages[d.TargetID].Content == "" {
		t.Errorf("check = %+v", check)
	}
	if err := json.Unmarshal(Payload(t, "autocomplete_outlet.json"), &complete); err != nil {
		t.Fatal(err)
	}
	if d := complete.ApplicationCommandData(); complete.Type != discordgo.InteractionApplicationCommandAutocomplete ||
		len(d.Options) != 2 || d.Options[0].Focused || !d.Options[1].Focused || d.Options[1].StringValue() != "tas" {
		t.Errorf("autocomplete = %+v", complete)
	}
}
