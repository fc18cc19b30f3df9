package fakediscord

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// sourceCommand is a command with an autocompleted option and a plain one.
func sourceCommand() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: "source", Description: "d", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "query", Description: "d", Required: true},
		{Type: discordgo.ApplicationCommandOptionString, Name: "outlet", Description: "d", Autocomplete: true},
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "count", Description: "d", Autocomplete: true},
	}}
}

// TestAutocompleteDispatch checks what Discord's client sends: autocomplete
// only for a registered command, for one focused option declared with
// autocomplete.
func TestAutocompleteDispatch(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)
	i := AutocompleteInteraction("source", map[string]any{"query": "missiles"}, "outlet", UserSpec{})
	if err := s.DispatchInteraction(i); !errors.Is(err, ErrRefusedByClient) {
		t.Errorf("autocomplete of an unregistered command: %v, want ErrRefusedByClient", err)
	}
	if _, err := ds.ApplicationCommandBulkOverwrite(AppID, "", []*discordgo.ApplicationCommand{sourceCommand()}); err != nil {
		t.Fatal(err)
	}
	plain := AutocompleteInteraction("source", nil, "query", UserSpec{})
	if err := s.DispatchInteraction(plain); !errors.Is(err, ErrRefusedByClient) {
		t.Errorf("autocomplete of an option without autocomplete: %v, want ErrRefusedByClient", err)
	}
	if err := s.DispatchInteraction(i); !errors.Is(err, ErrNoSession) {
		t.Errorf("autocomplete of outlet: %v, want it to pass (and find no session)", err)
	}
	var focused []string
	for _, o := range i.ApplicationCommandData().Options {
		if o.Focused {
			focused = append(focused, o.Name)
		}
	}
	if fmt.Sprint(focused) != "[outlet]" {
		t.Errorf("focused options %v, want [outlet]", focused)
	}
}

// TestAutocompleteResults checks the answer to an autocomplete: type 8
// only, at most 25 choices of 1-100 characters with values of the option's
// type, once, and nothing after it.
func TestAutocompleteResults(t *testing.T) {
	t.Parallel()
	choices := func(n int, name string, value any) []any {
		var out []any
		for k := 0; k < n; k++ {
			out = append(out, map[string]any{"name": name, "value": value})
		}
		return out
	}
	tests := []struct {
		name    string
		focused string
		body    map[string]any
		ok      bool
	}{
		{"none", "outlet", map[string]any{"type": 8, "data": map[string]any{"choices": []any{}}}, true},
		{"25", "outlet", map[string]any{"type": 8, "data": map[string]any{"choices": choices(25, "Press TV", "Press TV")}}, true},
		{"26", "outlet", map[string]any{"type": 8, "data": map[string]any{"choices": choices(26, "Press TV", "Press TV")}}, false},
		{"long name", "outlet", map[string]any{"type": 8, "data": map[string]any{"choices": choices(1, strings.Repeat("n", 101), "v")}}, false},
		{"empty name", "outlet", map[string]any{"type": 8, "data": map[string]any{"choices": choices(1, "", "v")}}, false},
		{"long value", "outlet", map[string]any{"type": 8, "data": map[string]any{"choices": choices(1, "n", strings.Repeat("v", 101))}}, false},
		{"number for a string", "outlet", map[string]any{"type": 8, "data": map[string]any{"choices": choices(1, "n", 3)}}, false},
		{"string for an integer", "count", map[string]any{"type": 8, "data": map[string]any{"choices": choices(1, "n", "3")}}, false},
		{"integer", "count", map[string]any{"type": 8, "data": map[string]any{"choices": choices(1, "three", 3)}}, true},
		{"no choices", "outlet", map[string]any{"type": 8, "data": map[string]any{}}, false},
		{"a message", "outlet", map[string]any{"type": 4, "data": edit("hi")}, false},
		{"a deferral", "outlet", map[string]any{"type": 5}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t)
			ds := s.Session(testToken)
			if _, err := ds.ApplicationCommandBulkOverwrite(AppID, "", []*discordgo.ApplicationCommand{sourceCommand()}); err != nil {
				t.Fatal(err)
			}
			i := AutocompleteInteraction("source", nil, tt.focused, UserSpec{})
			s.Track(i)
			resp, got := post(t, s, "POST", "/interactions/"+i.ID+"/"+i.Token+"/callback", tt.body)
			if ok := resp.StatusCode == http.StatusNoContent; ok != tt.ok {
				t.Fatalf("%v: %d %v, want accepted %v", tt.body, resp.StatusCode, got, tt.ok)
			}
			if !tt.ok {
				if got["code"] != float64(50035) {
					t.Errorf("refusal %v, want 50035", got)
				}
				return
			}
			want := tt.body["data"].(map[string]any)["choices"].([]any)
			if cs, ok := s.AutocompleteChoices(i.ID); !ok || len(cs) != len(want) {
				t.Errorf("AutocompleteChoices = %v, %v; want %d", cs, ok, len(want))
			}
			// The result is the only answer: no second one, no message.
			if resp, _ := post(t, s, "POST", "/interactions/"+i.ID+"/"+i.Token+"/callback", tt.body); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("a second result: %d, want 400", resp.StatusCode)
			}
			for _, m := range []string{"GET", "PATCH"} {
				resp, _ := post(t, s, m, "/webhooks/"+AppID+"/"+i.Token+"/messages/@original", edit("x"))
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s @original after an autocomplete result: %d, want 404", m, resp.StatusCode)
				}
			}
			if resp, _ := post(t, s, "POST", "/webhooks/"+AppID+"/"+i.Token, edit("x")); resp.StatusCode != http.StatusNotFound {
				t.Errorf("a follow-up after an autocomplete result: %d, want 404", resp.StatusCode)
			}
		})
	}
}

// TestAutocompleteDeadline checks that an autocomplete answered after 3
// seconds (here, a shortened deadline) is refused as Discord refuses it.
func TestAutocompleteDeadline(t *testing.T) {
	t.Parallel()
	s := New(t, AckDeadline(50*time.Millisecond))
	ds := s.Session(testToken)
	if _, err := ds.ApplicationCommandBulkOverwrite(AppID, "", []*discordgo.ApplicationCommand{sourceCommand()}); err != nil {
		t.Fatal(err)
	}
	if err := ds.Open(); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitConnected(testContext(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	i := AutocompleteInteraction("source", nil, "outlet", UserSpec{})
	if err := s.DispatchInteraction(i); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	resp, got := post(t, s, "POST", "/interactions/"+i.ID+"/"+i.Token+"/callback",
		map[string]any{"type": 8, "data": map[string]any{"choices": []any{}}})
	if resp.StatusCode != http.StatusNotFound || got["code"] != float64(10062) {
		t.Errorf("late result: %d %v, want 404 Unknown interaction", resp.StatusCode, got)
	}
}

// TestCommandLocalizations checks the name_localizations and
// description_localizations rules: known locales, names by the chat rule
// (lowercase, no spaces, at most 32), descriptions of 1-100 characters,
// menu names of any case, unique in every locale.
func TestCommandLocalizations(t *testing.T) {
	t.Parallel()
	loc := func(kv ...string) *map[discordgo.Locale]string {
		m := map[discordgo.Locale]string{}
		for k := 0; k+1 < len(kv); k += 2 {
			m[discordgo.Locale(kv[k])] = kv[k+1]
		}
		return &m
	}
	opt := func(name string, names *map[discordgo.Locale]string) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: "d", NameLocalizations: *names}
	}
	menu := func(name string, names *map[discordgo.Locale]string) *discordgo.ApplicationCommand {
		return &discordgo.ApplicationCommand{Type: discordgo.MessageApplicationCommand, Name: name, NameLocalizations: names}
	}
	tests := []struct {
		name string
		cmds []*discordgo.ApplicationCommand
		ok   bool
	}{
		{"french and german", []*discordgo.ApplicationCommand{{Name: "ask", Description: "d",
			NameLocalizations: loc("fr", "demander", "de", "fragen"), DescriptionLocalizations: loc("fr", "Poser une question", "de", "Eine Frage stellen"),
			Options: []*discordgo.ApplicationCommandOption{opt("question", loc("fr", "question", "de", "frage"))}}}, true},
		{"accents, Devanagari and Thai", []*discordgo.ApplicationCommand{{Name: "reindex", Description: "d",
			NameLocalizations: loc("fr", "réindexer", "hi", "खोजें", "th", "ค้นหา")}}, true},
		{"uppercase", []*discordgo.ApplicationCommand{{Name: "ask", Description: "d", NameLocalizations: loc("fr", "Demander")}}, false},
		{"space", []*discordgo.ApplicationCommand{{Name: "ask", Description: "d", NameLocalizations: loc("fr", "poser question")}}, false},
		{"33 characters", []*discordgo.ApplicationCommand{{Name: "ask", Description: "d", NameLocalizations: loc("de", strings.Repeat("a", 33))}}, false},
		{"unknown locale", []*discordgo.ApplicationCommand{{Name: "ask", Description: "d", NameLocalizations: loc("fr-FR", "demander")}}, false},
		{"long description", []*discordgo.ApplicationCommand{{Name: "ask", Description: "d", DescriptionLocalizations: loc("fr", strings.Repeat("é", 101))}}, false},
		{"empty description", []*discordgo.ApplicationCommand{{Name: "ask", Description: "d", DescriptionLocalizations: loc("fr", "")}}, false},
		{"option uppercase", []*discordgo.ApplicationCommand{{Name: "ask", Description: "d",
			Options: []*discordgo.ApplicationCommandOption{opt("question", loc("de", "Frage"))}}}, false},
		{"options the same in a locale", []*discordgo.ApplicationCommand{{Name: "source", Description: "d",
			Options: []*discordgo.ApplicationCommandOption{opt("query", loc("de", "suche")), opt("search", loc())}}}, true},
		{"options clash in a locale", []*discordgo.ApplicationCommand{{Name: "source", Description: "d",
			Options: []*discordgo.ApplicationCommandOption{opt("query", loc("de", "suche")), opt("search", loc("de", "suche"))}}}, false},
		{"option clashes with a default name", []*discordgo.ApplicationCommand{{Name: "source", Description: "d",
			Options: []*discordgo.ApplicationCommandOption{opt("query", loc("fr", "count")), opt("count", loc())}}}, false},
		{"commands clash in a locale", []*discordgo.ApplicationCommand{
			{Name: "ask", Description: "d", NameLocalizations: loc("fr", "aide")}, {Name: "help", Description: "d", NameLocalizations: loc("fr", "aide")}}, false},
		{"menu in any case", []*discordgo.ApplicationCommand{menu("Check against the articles", loc("fr", "Vérifier dans les articles", "de", "In den Artikeln prüfen"))}, true},
		{"menu name too long", []*discordgo.ApplicationCommand{menu("Check", loc("fr", strings.Repeat("x", 33)))}, false},
		{"menu with a description", []*discordgo.ApplicationCommand{{Type: discordgo.MessageApplicationCommand, Name: "Check",
			DescriptionLocalizations: loc("fr", "Vérifier")}}, false},
		{"menu with options", []*discordgo.ApplicationCommand{{Type: discordgo.MessageApplicationCommand, Name: "Check",
			Options: []*discordgo.ApplicationCommandOption{opt("x", loc())}}}, false},
		{"autocomplete on a boolean", []*discordgo.ApplicationCommand{{Name: "ask", Description: "d", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionBoolean, Name: "private", Description: "d", Autocomplete: true}}}}, false},
		{"autocomplete with choices", []*discordgo.ApplicationCommand{{Name: "ask", Description: "d", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "x", Description: "d", Autocomplete: true,
				Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "a", Value: "a"}}}}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t)
			ds := s.Session(testToken)
			_, err := ds.ApplicationCommandBulkOverwrite(AppID, "", tt.cmds)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && (restStatus(err) != http.StatusBadRequest || restCode(err) != 50035) {
				t.Fatalf("err = %v, want 400 Invalid Form Body", err)
			}
			if tt.ok {
				got := s.Commands("")
				want, _ := json.Marshal(tt.cmds[0].NameLocalizations)
				have, _ := json.Marshal(got[0].NameLocalizations)
				if string(want) != string(have) {
					t.Errorf("stored name_localizations %s, want %s", have, want)
				}
			}
		})
	}
}

// TestMessageCommandInteraction checks a built context-menu interaction:
// the target's ID and the message itself, content and all, in resolved.
func TestMessageCommandInteraction(t *testing.T) {
	t.Parallel()
	target := &discordgo.Message{Content: "Iran will allow inspections."}
	i := MessageCommandInteraction("Check against the articles", target, UserSpec{Username: "alice"})
	b, err := json.Marshal(i)
	if err != nil {
		t.Fatal(err)
	}
	var back discordgo.Interaction
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	data := back.ApplicationCommandData()
	if data.CommandType != discordgo.MessageApplicationCommand || data.TargetID != target.ID || target.ID == "" {
		t.Fatalf("data = %+v", data)
	}
	if m := data.Resolved.Messages[data.TargetID]; m == nil || m.Content != target.Content || m.Author == nil {
		t.Errorf("resolved message = %+v", m)
	}
}

// TestDispatchKeepsComponents checks that a button's interaction, and a
// menu command's resolved message, reach the bot with the message's
// components, as Discord sends them (discordgo alone would drop them).
func TestDispatchKeepsComponents(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)
	got := make(chan *discordgo.Interaction, 2)
	ds.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) { got <- ic.Interaction })
	if err := ds.Open(); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitConnected(testContext(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	msg := &discordgo.Message{ID: "1170000000000000050", Content: "answer", Components: []discordgo.MessageComponent{
		discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.Button{Label: "Share", CustomID: "share", Style: discordgo.SecondaryButton}}},
	}}
	count := func(m *discordgo.Message) int {
		if m == nil || len(m.Components) != 1 {
			return 0
		}
		row, ok := m.Components[0].(*discordgo.ActionsRow)
		if !ok {
			return 0
		}
		return len(row.Components)
	}
	if err := s.DispatchInteraction(ComponentInteraction("share", msg, UserSpec{})); err != nil {
		t.Fatal(err)
	}
	if i := receive(t, got, "the button's interaction"); count(i.Message) != 1 {
		t.Errorf("the button's message arrived with components %+v", i.Message.Components)
	}
	if err := s.DispatchInteraction(MessageCommandInteraction("Check", msg, UserSpec{})); err != nil {
		t.Fatal(err)
	}
	i := receive(t, got, "the menu command's interaction")
	if d := i.ApplicationCommandData(); count(d.Resolved.Messages[d.TargetID]) != 1 {
		t.Errorf("the target message arrived with components %+v", d.Resolved.Messages[d.TargetID])
	}
}
