package fakediscord

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// modalData is a valid modal with one paragraph input, changed by edit.
func modalData(edit func(m, input map[string]any)) map[string]any {
	input := map[string]any{"type": 4, "custom_id": "question", "label": "Your question", "style": 2,
		"min_length": 1, "max_length": 500, "required": true}
	m := map[string]any{"custom_id": "ask:followup", "title": "Follow up",
		"components": []any{map[string]any{"type": 1, "components": []any{input}}}}
	if edit != nil {
		edit(m, input)
	}
	return m
}

// TestModals: a modal is the first and only response to a button or a
// command, its data within Discord's limits; its submission is built as
// Discord's client would send it, and refused where the client would
// refuse it.
func TestModals(t *testing.T) {
	t.Parallel()
	s := New(t)
	open := func(data map[string]any) (*discordgo.Interaction, *http.Response, map[string]any) {
		i := ComponentInteraction("ask:followup", nil, UserSpec{Username: "a"})
		s.Track(i)
		resp, body := post(t, s, "POST", "/interactions/"+i.ID+"/"+i.Token+"/callback", map[string]any{"type": 9, "data": data})
		return i, resp, body
	}
	bad := []struct {
		name, field string
		edit        func(m, input map[string]any)
	}{
		{"no custom_id", "data.custom_id", func(m, _ map[string]any) { delete(m, "custom_id") }},
		{"long custom_id", "data.custom_id", func(m, _ map[string]any) { m["custom_id"] = strings.Repeat("x", 101) }},
		{"long title", "data.title", func(m, _ map[string]any) { m["title"] = strings.Repeat("t", 46) }},
		{"no rows", "data.components", func(m, _ map[string]any) { m["components"] = []any{} }},
		{"six rows", "data.components", func(m, input map[string]any) {
			var rows []any
			for range 6 {
				rows = append(rows, map[string]any{"type": 1, "components": []any{input}})
			}
			m["components"] = rows
		}},
		{"two inputs in a row", "data.components.0.components", func(m, input map[string]any) {
			m["components"] = []any{map[string]any{"type": 1, "components": []any{input, input}}}
		}},
		{"a button", "data.components.0.components.0.type", func(m, _ map[string]any) {
			m["components"] = []any{map[string]any{"type": 1, "components": []any{map[string]any{"type": 2, "style": 2, "label": "x", "custom_id": "b"}}}}
		}},
		{"max_length over 4000", "data.components.0.components.0.max_length", func(_, input map[string]any) { input["max_length"] = 4001 }},
		{"min over max", "data.components.0.components.0.min_length", func(_, input map[string]any) { input["min_length"] = 600 }},
		{"long label", "data.components.0.components.0.label", func(_, input map[string]any) { input["label"] = strings.Repeat("l", 46) }},
		{"bad style", "data.components.0.components.0.style", func(_, input map[string]any) { input["style"] = 3 }},
		{"long input custom_id", "data.components.0.components.0.custom_id", func(_, input map[string]any) { input["custom_id"] = strings.Repeat("x", 101) }},
		{"value over max_length", "data.components.0.components.0.value", func(_, input map[string]any) { input["value"] = strings.Repeat("v", 501) }},
	}
	for _, tc := range bad {
		_, resp, body := open(modalData(tc.edit))
		if resp.StatusCode != http.StatusBadRequest || !hasFieldError(body, tc.field) {
			t.Errorf("%s: %d %v, want 400 naming %s", tc.name, resp.StatusCode, body, tc.field)
		}
	}

	i, resp, body := open(modalData(nil))
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("valid modal: %d %v", resp.StatusCode, body)
	}
	m, ok := s.OpenedModal(i.Token)
	if !ok || m.CustomID != "ask:followup" || len(m.Inputs) != 1 || m.Inputs[0].MaxLength != 500 || !m.Inputs[0].Required {
		t.Fatalf("OpenedModal = %+v, %v", m, ok)
	}
	// The modal must be the first response: nothing after it, and no
	// modal after a deferral.
	if resp, _ := post(t, s, "POST", "/interactions/"+i.ID+"/"+i.Token+"/callback", map[string]any{"type": 6}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a second callback after the modal: %d, want 400", resp.StatusCode)
	}
	late := ComponentInteraction("ask:followup", nil, UserSpec{Username: "a"})
	s.Track(late)
	deferred(t, s, late)
	if resp, _ := post(t, s, "POST", "/interactions/"+late.ID+"/"+late.Token+"/callback", map[string]any{"type": 9, "data": modalData(nil)}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a modal after a deferral: %d, want 400", resp.StatusCode)
	}

	// The submission: the modal's custom ID and values, the opener's
	// channel and message.
	user := UserSpec{Username: "a"}
	sub, err := s.SubmitModal(i, user, map[string]string{"question": "and the US?"})
	if err != nil {
		t.Fatal(err)
	}
	data := sub.ModalSubmitData()
	if sub.Type != discordgo.InteractionModalSubmit || data.CustomID != "ask:followup" || sub.ChannelID != i.ChannelID || sub.Message != i.Message {
		t.Fatalf("submission = %+v", sub)
	}
	if v := data.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput).Value; v != "and the US?" {
		t.Errorf("value %q", v)
	}
	for name, values := range map[string]map[string]string{
		"required input empty": {},
		"too long":             {"question": strings.Repeat("q", 501)},
		"unknown input":        {"question": "q", "other": "x"},
	} {
		if _, err := s.SubmitModal(i, user, values); !errors.Is(err, ErrRefusedByClient) {
			t.Errorf("%s: err = %v, want ErrRefusedByClient", name, err)
		}
	}
	if _, err := s.SubmitModal(late, user, map[string]string{"question": "q"}); !errors.Is(err, ErrRefusedByClient) {
		t.Errorf("submitting a modal that was never opened: err = %v", err)
	}
	// A modal does not answer a modal's submission.
	s.Track(sub)
	if resp, _ := post(t, s, "POST", "/interactions/"+sub.ID+"/"+sub.Token+"/callback", map[string]any{"type": 9, "data": modalData(nil)}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a modal answering a submission: %d, want 400", resp.StatusCode)
	}
}

// hasFieldError reports whether a 400 body names the field's path.
func hasFieldError(body map[string]any, field string) bool {
	node, _ := body["errors"].(map[string]any)
	for _, part := range strings.Split(field, ".") {
		next, ok := node[part].(map[string]any)
		if !ok {
			return false
		}
		node = next
	}
	_, ok := node["_errors"]
	return ok
}

// TestModalSubmitOverTheGateway: a submission reaches discordgo with its
// values (discordgo's own encoding would drop them).
func TestModalSubmitOverTheGateway(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)
	got := make(chan *discordgo.Interaction, 1)
	ds.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) { got <- ic.Interaction })
	if err := ds.Open(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	opener := ComponentInteraction("ask:followup", nil, UserSpec{Username: "a"})
	s.Track(opener)
	if resp, body := post(t, s, "POST", "/interactions/"+opener.ID+"/"+opener.Token+"/callback", map[string]any{"type": 9, "data": modalData(nil)}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("modal: %d %v", resp.StatusCode, body)
	}
	sub, err := s.SubmitModal(opener, UserSpec{Username: "a"}, map[string]string{"question": "who said it?"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DispatchInteraction(sub); err != nil {
		t.Fatal(err)
	}
	select {
	case i := <-got:
		rows := i.ModalSubmitData().Components
		if len(rows) != 1 || rows[0].(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput).Value != "who said it?" || i.Message == nil || i.Message.ID != opener.Message.ID {
			t.Errorf("received %+v", i)
		}
	case <-ctx.Done():
		t.Fatal("no interaction received")
	}
}

// TestThreads: a thread starts from a message of the channel, once, named
// within 100 characters; it has the message's ID, and takes messages like
// any channel; a thread doesn't start in a thread.
func TestThreads(t *testing.T) {
	t.Parallel()
	s := New(t)
	resp, msg := post(t, s, "POST", "/channels/"+ChannelID+"/messages", map[string]any{"content": "answer", "allowed_mentions": map[string]any{"parse": []any{}}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("message: %d %v", resp.StatusCode, msg)
	}
	id, _ := msg["id"].(string)
	start := func(channel, message string, body map[string]any) (*http.Response, map[string]any) {
		return post(t, s, "POST", "/channels/"+channel+"/messages/"+message+"/threads", body)
	}
	for name, body := range map[string]map[string]any{
		"no name":       {},
		"long name":     {"name": strings.Repeat("n", 101)},
		"archive hours": {"name": "x", "auto_archive_duration": 120},
	} {
		if resp, body := start(ChannelID, id, body); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %v, want 400", name, resp.StatusCode, body)
		}
	}
	if resp, body := start(ChannelID, "123", map[string]any{"name": "x"}); resp.StatusCode != http.StatusNotFound || body["code"] != float64(10008) {
		t.Errorf("unknown message: %d %v", resp.StatusCode, body)
	}
	resp, th := start(ChannelID, id, map[string]any{"name": strings.Repeat("é", 100), "auto_archive_duration": 1440})
	if resp.StatusCode != http.StatusCreated || th["id"] != id || th["parent_id"] != ChannelID || th["type"] != float64(11) {
		t.Fatalf("start: %d %v", resp.StatusCode, th)
	}
	if resp, body := start(ChannelID, id, map[string]any{"name": "again"}); resp.StatusCode != http.StatusBadRequest || body["code"] != float64(160004) {
		t.Errorf("second thread on a message: %d %v", resp.StatusCode, body)
	}
	resp, inThread := post(t, s, "POST", "/channels/"+id+"/messages", map[string]any{"content": "in the thread", "allowed_mentions": map[string]any{"parse": []any{}}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post in the thread: %d", resp.StatusCode)
	}
	if resp, body := start(id, inThread["id"].(string), map[string]any{"name": "nested"}); resp.StatusCode != http.StatusBadRequest || body["code"] != float64(50024) {
		t.Errorf("thread in a thread: %d %v", resp.StatusCode, body)
	}
	ch, ok := s.Thread(id)
	if !ok || !ch.IsThread() || ch.OwnerID != AppID || len(s.ChannelMessages(id)) != 1 {
		t.Errorf("Thread = %+v, %v; %d messages", ch, ok, len(s.ChannelMessages(id)))
	}
	// The channel endpoint describes the thread; the starter message
	// names it.
	if resp, got := post(t, s, "GET", "/channels/"+id, nil); resp.StatusCode != http.StatusOK || got["type"] != float64(11) {
		t.Errorf("GET the thread: %d %v", resp.StatusCode, got)
	}
	if resp, got := post(t, s, "GET", "/channels/"+ChannelID+"/messages/"+id, nil); resp.StatusCode != http.StatusOK || got["thread"] == nil {
		t.Errorf("the starter message doesn't name its thread: %v", got)
	}
}
