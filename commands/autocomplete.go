package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

// Autocomplete: while a user types in an option declared with
// autocomplete (the filters of /source and /articles, see filter.go),
// Discord asks for suggestions, and the bot answers at once, with no
// deferral (there is none for autocomplete), from the catalogue: the
// corpus's outlets, and the years, months and days that have articles.
// Discord shows at most 25 choices, each a name and a value of at most 100
// characters.
//
// discordgo leaves an empty list of choices out of the response, and
// Discord wants the list, so there is always at least one choice: when
// nothing matches, the text typed, named to say so.

// maxChoices is the most choices Discord takes.
const maxChoices = 25

// autocomplete answers an autocomplete interaction. A user over their
// rate (autocomplete counts against /articles', see rateClass) is told in
// the one choice.
func (r *Router) autocomplete(ctx context.Context, x *exchange) error {
	data := x.i.ApplicationCommandData()
	focused := focusedOption(data.Options)
	typed := ""
	if focused != nil {
		typed, _ = focused.Value.(string)
	}
	var choices []*discordgo.ApplicationCommandOptionChoice
	switch {
	case focused == nil:
	case r.rates != nil && r.take(ctx, bucketOf(rateClass("autocomplete"), x.trace.user)) > 0:
		x.trace.setOutcome("cooldown")
		choices = noMatch(typed, "you're typing quickly: pause, then look again")
	case focused.Name == optOutlet:
		choices = outletChoices(r.cfg.Catalogue.Articles(), r.cfg.Catalogue.Stats().Sources, typed)
	case focused.Name == optFrom || focused.Name == optTo:
		var f seam.Filter
		if o, ok := findOutlet(r.cfg.Catalogue.Stats().Sources, strings.TrimSpace(optionValue(data.Options, optOutlet))); ok {
			f.Source = o
		}
		choices = dateChoices(r.cfg.Catalogue.Articles(), f, typed)
	}
	if len(choices) == 0 {
		choices = noMatch(typed, "nothing matches")
	}
	return x.ack(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	}, false)
}

// focusedOption is the option being typed.
func focusedOption(opts []*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	for _, o := range opts {
		if o.Focused {
			return o
		}
	}
	return nil
}

// optionValue is the string typed so far in another option, "" when none.
func optionValue(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) string {
	for _, o := range opts {
		if o.Name == name {
			s, _ := o.Value.(string)
			return s
		}
	}
	return ""
}

// choice is one suggestion: name shown (plain text: control characters
// dropped, mentions defused), value sent back; both within Discord's 100
// characters.
func choice(name, value string) *discordgo.ApplicationCommandOptionChoice {
	return &discordgo.ApplicationCommandOptionChoice{Name: clip(neutraliseFooter(oneLine(name)), 100), Value: value}
}

// noMatch is the one choice when nothing matches: the text typed (so that
// choosing it changes nothing), named with why.
func noMatch(typed, why string) []*discordgo.ApplicationCommandOptionChoice {
	value := strings.TrimSpace(typed)
	if value == "" {
		value = "-"
	}
	if utf8.RuneCountInString(value) > 100 {
		value = string([]rune(value)[:100])
	}
	return []*discordgo.ApplicationCommandOptionChoice{choice(clip(oneLine(typed), 50)+" — "+why, value)}
}

// outletChoices suggests the outlets, with their article counts: those
// whose name starts with what was typed first, then those containing it,
// each in the catalogue's order. Outlets of more than 100 characters
// can't be a choice's value and are left out (they can still be typed).
func outletChoices(arts []seam.Article, sources []string, typed string) []*discordgo.ApplicationCommandOptionChoice {
	counts := map[string]int{}
	for _, a := range arts {
		counts[strings.ToLower(a.Source)]++
	}
	t := strings.ToLower(strings.TrimSpace(typed))
	var first, then []string
	for _, s := range sources {
		if s == "" || utf8.RuneCountInString(s) > 100 {
			continue
		}
		low := strings.ToLower(s)
		switch {
		case strings.HasPrefix(low, t):
			first = append(first, s)
		case strings.Contains(low, t):
			then = append(then, s)
		}
	}
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, s := range append(first, then...) {
		if len(out) == maxChoices {
			break
		}
		out = append(out, choice(s+" · "+plural(counts[strings.ToLower(s)], "article"), s))
	}
	return out
}

// dateChoices suggests the years, months and days that have articles kept
// by f, that start with what was typed (a slash or a full stop for the
// dash): years and months newest first while only a year or less is
// typed, then the days of the month typed. A complete day typed comes
// first, with its count.
func dateChoices(arts []seam.Article, f seam.Filter, typed string) []*discordgo.ApplicationCommandOptionChoice {
	t := strings.NewReplacer("/", "-", ".", "-").Replace(strings.TrimSpace(typed))
	counts := map[string]int{}
	for _, a := range arts {
		if a.Published.IsZero() || !keeps(f, a.Source, a.Published) {
			continue
		}
		d := a.Published.UTC()
		counts[d.Format("2006")]++
		counts[d.Format("2006-01")]++
		counts[d.Format("2006-01-02")]++
	}
	var keys []string
	for k := range counts {
		// Days only once a month is typed: a corpus of years has too many.
		if strings.HasPrefix(k, t) && (len(k) < 10 || len(t) >= 7) {
			keys = append(keys, k)
		}
	}
	// Coarser first (years, months, days), newest first within each.
	slices.SortFunc(keys, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(b, a)
	})
	var out []*discordgo.ApplicationCommandOptionChoice
	if start, _, ok := parsePeriod(t); ok && len(t) >= 8 {
		day := start.Format("2006-01-02")
		out = append(out, choice(day+" · "+plural(counts[day], "article"), day))
		keys = slices.DeleteFunc(keys, func(k string) bool { return k == day })
	}
	for _, k := range keys {
		if len(out) == maxChoices {
			break
		}
		out = append(out, choice(periodName(k)+" · "+plural(counts[k], "article"), k))
	}
	return out
}

// periodName shows a year, month or day key: "2017", "July 2017 (2017-07)",
// "2017-07-29".
func periodName(k string) string {
	if len(k) == 7 {
		if t, err := time.Parse("2006-01", k); err == nil {
			return fmt.Sprintf("%s (%s)", t.Format("January 2006"), k)
		}
	}
	return k
}
