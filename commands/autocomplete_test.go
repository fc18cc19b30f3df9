package commands

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/fakediscord"
)

// wireStories are dated articles of one more outlet, for the filters: 12
// in July 2017, 3 in August, one in 2016.
func wireStories() map[string]string {
	extra := map[string]string{}
	add := func(name, day string, n int) {
		extra["wire/"+name+".txt"] = fmt.Sprintf("---\ntitle: Wire story %s about sanctions\nsource: Example Wire\npublished: %s\n---\n"+
			"Officials discussed the missile sanctions again on %s, story %d of the wire said.\n", name, day, day, n)
	}
	for n := 1; n <= 12; n++ {
		add(fmt.Sprintf("jul%02d", n), fmt.Sprintf("2017-07-%02d", n), n)
	}
	for n := 1; n <= 3; n++ {
		add(fmt.Sprintf("aug%02d", n), fmt.Sprintf("2017-08-%02d", n+10), n)
	}
	add("old", "2016-05-04", 0)
	return extra
}

// complete dispatches an autocomplete of command's option focused, typed
// so far, with the other options opts, and returns the choices.
func (e *env) complete(command, focused, typed string, opts map[string]any) []*discordgo.ApplicationCommandOptionChoice {
	e.t.Helper()
	all := map[string]any{focused: typed}
	for k, v := range opts {
		all[k] = v
	}
	i := fakediscord.AutocompleteInteraction(command, all, focused, member)
	if err := e.fake.DispatchInteraction(i); err != nil {
		e.t.Fatal(err)
	}
	var choices []*discordgo.ApplicationCommandOptionChoice
	waitFor(e.t, func() bool {
		var ok bool
		choices, ok = e.fake.AutocompleteChoices(i.ID)
		return ok
	})
	if d, ok := e.fake.AckLatency(i.ID); !ok || d > 3*time.Second {
		e.t.Errorf("autocomplete answered after %v (%v), want within 3s", d, ok)
	}
	return choices
}

// values lists choices as "value" strings.
func values(cs []*discordgo.ApplicationCommandOptionChoice) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprint(c.Value))
	}
	return out
}

// TestAutocompleteOutletsAndDates autocompletes the filters of /source and
// /articles through discordgo and the strict fake (registered options
// only, type 8, at most 25 choices of 100 characters, within 3 seconds):
// the corpus's outlets, narrowed by what is typed; and its years, months
// and, once a month is typed, days, of the outlet chosen.
func TestAutocompleteOutletsAndDates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{open: true, extra: wireStories()})
	e.register()

	all := e.complete("source", optOutlet, "", map[string]any{"query": "missile"})
	want := e.router.cfg.Catalogue.Stats().Sources
	if fmt.Sprint(values(all)) != fmt.Sprint(want) {
		t.Errorf("outlets suggested %v, want the corpus's %v", values(all), want)
	}
	for _, c := range all {
		if c.Value == "Example Wire" && c.Name != "Example Wire · 16 articles" {
			t.Errorf("choice name %q, want the outlet and its count", c.Name)
		}
	}
	if got := values(e.complete("articles", optOutlet, "tas", nil)); len(got) != 1 || got[0] != "Tasnim News Agency" {
		t.Errorf("outlets for “tas”: %v", got)
	}
	if got := values(e.complete("source", optOutlet, "wire", nil)); len(got) != 1 || got[0] != "Example Wire" {
		t.Errorf("outlets for “wire” (inside the name): %v", got)
	}
	if none := e.complete("source", optOutlet, "zzz", nil); len(none) != 1 || none[0].Value != "zzz" || !strings.Contains(none[0].Name, "nothing matches") {
		t.Errorf("no outlet matches: %+v", none)
	}

	if got := values(e.complete("source", optFrom, "", nil)); fmt.Sprint(got) != "[2017 2016 2017-08 2017-07 2016-05]" {
		t.Errorf("dates suggested: %v", got)
	}
	days := values(e.complete("articles", optTo, "2017-08", nil))
	if fmt.Sprint(days) != "[2017-08 2017-08-13 2017-08-12 2017-08-11]" {
		t.Errorf("dates for “2017-08”: %v", days)
	}
	if got := values(e.complete("source", optFrom, "2017/07/0", nil)); len(got) != 9 || got[0] != "2017-07-09" {
		t.Errorf("dates for “2017/07/0”: %v", got)
	}
	// With an outlet chosen, only its dates: the seed articles have none.
	if got := e.complete("source", optFrom, "", map[string]any{optOutlet: "press tv"}); len(got) != 1 || !strings.Contains(got[0].Name, "nothing matches") {
		t.Errorf("dates of Press TV: %+v", got)
	}
	if day := e.complete("source", optTo, "2017-07-29", nil); len(day) != 1 || day[0].Value != "2017-07-29" || day[0].Name != "2017-07-29 · 0 articles" {
		t.Errorf("a day typed: %+v", day)
	}
}

// TestAutocompleteCaps checks Discord's limits on a corpus of many outlets
// with long names: 25 choices at most, names and values of 100 characters,
// outlets too long to be a value left out.
func TestAutocompleteCaps(t *testing.T) {
	t.Parallel()
	var arts []seam.Article
	var sources []string
	for n := range 40 {
		s := fmt.Sprintf("Outlet %02d %s", n, strings.Repeat("é", 80+n))
		sources = append(sources, s)
		arts = append(arts, seam.Article{Source: s, Published: time.Date(2000+n, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	cs := outletChoices(arts, sources, "outlet")
	if len(cs) != 11 { // 00-10 are at most 100 characters
		t.Errorf("%d outlet choices, want 11", len(cs))
	}
	cs = dateChoices(arts, seam.Filter{}, "")
	if len(cs) != maxChoices {
		t.Errorf("%d date choices, want %d", len(cs), maxChoices)
	}
	for _, c := range append(cs, outletChoices(arts, sources, "")...) {
		if n := len([]rune(c.Name)); n < 1 || n > 100 || len([]rune(fmt.Sprint(c.Value))) > 100 {
			t.Errorf("choice %q = %v", c.Name, c.Value)
		}
	}
	if cs := noMatch(strings.Repeat("x", 300), "why"); len([]rune(cs[0].Value.(string))) != 100 {
		t.Errorf("no-match value of %d characters", len([]rune(cs[0].Value.(string))))
	}
	if cs := outletChoices(nil, []string{"@everyone <@&1> Daily"}, ""); cs[0].Name != "@\u200beveryone <@\u200b&1> Daily · 0 articles" {
		t.Errorf("outlet name shown as %q", cs[0].Name)
	}
}

// TestAutocompleteThrottled checks that autocomplete counts against the
// per-user rate of /articles: past it, the one choice says to pause.
func TestAutocompleteThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{config: func(c *Config) { c.Cooldown = time.Minute }})
	var last []*discordgo.ApplicationCommandOptionChoice
	for range rateOf("articles").burst + 1 {
		i := fakediscord.AutocompleteInteraction("source", nil, optOutlet, member)
		e.handle(i)
		last, _ = e.fake.AutocompleteChoices(i.ID)
	}
	if len(last) != 1 || !strings.Contains(last[0].Name, "typing quickly") {
		t.Errorf("choices past the rate: %+v", last)
	}
}

// TestAutocompleteOverHTTP checks autocomplete through the HTTP
// interactions transport: the suggestions are the HTTP response.
func TestAutocompleteOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	i := fakediscord.AutocompleteInteraction("source", map[string]any{"query": "x"}, optOutlet, member)
	var got *discordgo.InteractionResponse
	err := e.router.HandleHTTP(ctxFor(t, 3*time.Second), e.ds, i, func(resp *discordgo.InteractionResponse) error {
		got = resp
		return nil
	})
	if err != nil || got == nil || got.Type != discordgo.InteractionApplicationCommandAutocompleteResult || len(got.Data.Choices) != 2 {
		t.Errorf("HandleHTTP = %v, %+v", err, got)
	}
}

// TestSourceFilters runs /source with the filters: only the outlet's
// passages, only the dates'; a typed outlet or date that isn't one is
// refused privately, naming the option as the user's client shows it.
func TestSourceFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{extra: wireStories()})
	run := func(opts map[string]any, locale discordgo.Locale) *discordgo.Message {
		t.Helper()
		i := fakediscord.CommandInteraction("source", opts, member)
		if locale != "" {
			i.Locale = locale
		}
		e.handle(i)
		return e.response(i)
	}
	m := run(map[string]any{"query": "missile sanctions", "count": 10, optOutlet: "tasnim news agency"}, "")
	if isEphemeral(m) || len(m.Embeds) == 0 || !strings.Contains(m.Content, "(from Tasnim News Agency)") {
		t.Fatalf("/source outlet = %q %d embeds", m.Content, len(m.Embeds))
	}
	for _, em := range m.Embeds {
		if !strings.HasPrefix(em.Footer.Text, "Tasnim News Agency") {
			t.Errorf("a passage from another outlet: %q", em.Footer.Text)
		}
	}
	m = run(map[string]any{"query": "missile sanctions", "count": 10, optFrom: "2017-08", optTo: "2017"}, "")
	if len(m.Embeds) != 3 || !strings.Contains(m.Content, "(2017-08-01 to 2017-12-31)") {
		t.Errorf("/source from 2017-08 to 2017 = %q, %d passages, want the 3 of August", m.Content, len(m.Embeds))
	}
	for _, em := range m.Embeds {
		if !strings.Contains(em.Footer.Text, "2017-08-1") {
			t.Errorf("a passage outside the dates: %q", em.Footer.Text)
		}
	}
	for _, tt := range []struct {
		opts   map[string]any
		locale discordgo.Locale
		want   string
	}{
		{map[string]any{"query": "x", optOutlet: "Reuters @everyone"}, "", "No indexed article is from “Reuters @\u200beveryone” (the option outlet)"},
		{map[string]any{"query": "x", optFrom: "yesterday"}, "", "The option from takes a day, a month or a year"},
		{map[string]any{"query": "x", optFrom: "2017-02-30"}, "", "“2017-02-30” isn't one"},
		{map[string]any{"query": "x", optTo: "juillet"}, discordgo.French, "The option au takes"},
		{map[string]any{"query": "x", optFrom: "2017-08", optTo: "2017-07"}, "", "The option from (2017-08) is after the option to (2017-07)"},
	} {
		i := fakediscord.CommandInteraction("source", tt.opts, member)
		if tt.locale != "" {
			i.Locale = tt.locale
		}
		e.handle(i)
		r := e.response(i)
		if !isEphemeral(r) || !strings.Contains(r.Content, tt.want) {
			t.Errorf("%v: %q, want a private %q", tt.opts, r.Content, tt.want)
		}
	}
}

// TestArticlesFilters runs /articles with an outlet and dates, and turns
// the page: the page buttons carry the filter within Discord's 100
// characters.
func TestArticlesFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{extra: wireStories()})
	i := fakediscord.CommandInteraction("articles", map[string]any{optOutlet: "Example Wire", optFrom: "2017"}, member)
	e.handle(i)
	m := e.response(i)
	if !isEphemeral(m) || len(m.Embeds) != 1 || !strings.Contains(m.Embeds[0].Footer.Text, "Page 1 of 2 · 15 articles") ||
		!strings.Contains(m.Embeds[0].Title, "(from Example Wire, since 2017-01-01)") {
		t.Fatalf("/articles = %q %+v", m.Content, m.Embeds[0])
	}
	next := m.Components[0].(*discordgo.ActionsRow).Components[1].(*discordgo.Button)
	if len(next.CustomID) > 100 || !strings.Contains(next.CustomID, "~o") {
		t.Errorf("Next = %q", next.CustomID)
	}
	click := fakediscord.ComponentInteraction(next.CustomID, m, member)
	e.handle(click)
	page2 := e.response(click)
	if !strings.Contains(page2.Embeds[0].Footer.Text, "Page 2 of 2 · 15 articles") || strings.Contains(page2.Embeds[0].Description, "Press TV") {
		t.Errorf("page 2 = %q / %q", page2.Embeds[0].Description, page2.Embeds[0].Footer.Text)
	}
	long := fakediscord.CommandInteraction("articles", map[string]any{"search": strings.Repeat("w", maxArticleSearch), optOutlet: "Example Wire"}, member)
	e.handle(long)
	if r := e.response(long); !isEphemeral(r) || !strings.Contains(r.Content, "please keep the search under") {
		t.Errorf("a long search with an outlet = %q", r.Content)
	}
}

// TestParsePeriodAndFilterIDs checks the dates typed and the filter's
// round trip through a custom ID.
func TestParsePeriodAndFilterIDs(t *testing.T) {
	t.Parallel()
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		in         string
		start, end time.Time
	}{
		{"2017", day(2017, 1, 1), day(2018, 1, 1)},
		{"2017-07", day(2017, 7, 1), day(2017, 8, 1)},
		{"2017-7", day(2017, 7, 1), day(2017, 8, 1)},
		{"2017/07/29", day(2017, 7, 29), day(2017, 7, 30)},
		{" 2016-02-29 ", day(2016, 2, 29), day(2016, 3, 1)},
	} {
		s, e, ok := parsePeriod(tt.in)
		if !ok || !s.Equal(tt.start) || !e.Equal(tt.end) {
			t.Errorf("parsePeriod(%q) = %v %v %v", tt.in, s, e, ok)
		}
	}
	for _, bad := range []string{"", "17", "2017-13", "2017-02-29", "2017-07-32", "July 2017", "2017-07-29-1", "0999", "2017--01", "+2017"} {
		if _, _, ok := parsePeriod(bad); ok {
			t.Errorf("parsePeriod(%q) succeeded", bad)
		}
	}
	sources := []string{"Press TV", "Example Wire"}
	f := seam.Filter{Source: "Example Wire", After: day(2017, 7, 1), Before: day(2017, 8, 1)}
	if got, ok := decodeFilter(encodeFilter(f), sources); !ok || got != f {
		t.Errorf("round trip of %+v: %+v %v", f, got, ok)
	}
	if _, ok := decodeFilter(encodeFilter(f), []string{"Press TV"}); ok {
		t.Error("a filter of an outlet no longer indexed decoded")
	}
}
