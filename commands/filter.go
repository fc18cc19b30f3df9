package commands

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

// The filters of /source and /articles: an outlet, and a range of
// publication dates, each an option that Discord autocompletes from the
// corpus (see autocomplete.go). A date is typed as a day (2017-07-29), a
// month (2017-07) or a year (2017): "from" starts with it, "to" ends with
// it, both included.

// Names of the filter options.
const (
	optOutlet = "outlet"
	optFrom   = "from"
	optTo     = "to"
)

// maxOutletRunes bounds the outlet option: what an autocomplete choice's
// value can hold.
const maxOutletRunes = 100

// filterOptions are the filter options of a command; of names "passages"
// or "articles", what they narrow.
func filterOptions(of string) []*discordgo.ApplicationCommandOption {
	return []*discordgo.ApplicationCommandOption{
		{
			Type:         discordgo.ApplicationCommandOptionString,
			Name:         optOutlet,
			Description:  "Only " + of + " from this outlet",
			Autocomplete: true,
			MaxLength:    maxOutletRunes,
		},
		{
			Type:         discordgo.ApplicationCommandOptionString,
			Name:         optFrom,
			Description:  "Only " + of + " published on or after this day, month or year: 2017-07-29, 2017-07 or 2017",
			Autocomplete: true,
			MaxLength:    10,
		},
		{
			Type:         discordgo.ApplicationCommandOptionString,
			Name:         optTo,
			Description:  "Only " + of + " published on or before this day, month or year: 2017-07-29, 2017-07 or 2017",
			Autocomplete: true,
			MaxLength:    10,
		},
	}
}

// filterOf reads and checks the filter options of a command interaction:
// an outlet the index has (whatever its case), dates in one of the three
// forms, from not after to. Its refusals are user errors naming the option
// as the user's client shows it.
func (r *Router) filterOf(i *discordgo.Interaction) (seam.Filter, error) {
	var f seam.Filter
	if o := strings.TrimSpace(optString(i, optOutlet)); o != "" {
		src, ok := findOutlet(r.cfg.Catalogue.Stats().Sources, o)
		if !ok {
			return f, userErrorf("No indexed article is from “%s” (the option %s); start typing in it to see the outlets.",
				neutralise(clip(oneLine(o), 60)), optionLabel(i, optOutlet))
		}
		f.Source = src
	}
	from, to := strings.TrimSpace(optString(i, optFrom)), strings.TrimSpace(optString(i, optTo))
	if from != "" {
		start, _, ok := parsePeriod(from)
		if !ok {
			return f, badDate(i, optFrom, from)
		}
		f.After = start
	}
	if to != "" {
		_, end, ok := parsePeriod(to)
		if !ok {
			return f, badDate(i, optTo, to)
		}
		f.Before = end
	}
	if !f.After.IsZero() && !f.Before.IsZero() && !f.After.Before(f.Before) {
		return f, userErrorf("The option %s (%s) is after the option %s (%s): nothing was published in between.",
			optionLabel(i, optFrom), neutralise(from), optionLabel(i, optTo), neutralise(to))
	}
	return f, nil
}

// badDate is the refusal of a date that isn't one.
func badDate(i *discordgo.Interaction, opt, typed string) error {
	return userErrorf("The option %s takes a day, a month or a year, such as 2017-07-29, 2017-07 or 2017; “%s” isn't one.",
		optionLabel(i, opt), neutralise(clip(oneLine(typed), 40)))
}

// findOutlet finds the outlet typed among the indexed ones, whatever its
// case.
func findOutlet(sources []string, typed string) (string, bool) {
	for _, s := range sources {
		if strings.EqualFold(s, typed) {
			return s, true
		}
	}
	return "", false
}

// parsePeriod reads a day (2017-07-29), a month (2017-07) or a year (2017)
// as the span [start, end) it covers, in UTC. A slash or a full stop may
// stand for the dash, and a single-digit month or day is taken.
func parsePeriod(s string) (start, end time.Time, ok bool) {
	s = strings.NewReplacer("/", "-", ".", "-").Replace(strings.TrimSpace(s))
	parts := strings.Split(s, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return start, end, false
	}
	nums := make([]int, len(parts))
	for k, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || p == "" || len(p) > 4 || n < 0 || (k > 0 && len(p) > 2) {
			return start, end, false
		}
		nums[k] = n
	}
	year := nums[0]
	if year < 1000 {
		return start, end, false
	}
	switch len(nums) {
	case 1:
		start = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(1, 0, 0), true
	case 2:
		if nums[1] < 1 || nums[1] > 12 {
			return start, end, false
		}
		start = time.Date(year, time.Month(nums[1]), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0), true
	}
	start = time.Date(year, time.Month(nums[1]), nums[2], 0, 0, 0, 0, time.UTC)
	if nums[1] < 1 || nums[1] > 12 || nums[2] < 1 || start.Day() != nums[2] {
		return time.Time{}, end, false // 2017-02-30 is no day
	}
	return start, start.AddDate(0, 0, 1), true
}

// keeps reports whether f keeps an article of outlet source published at
// published.
func keeps(f seam.Filter, source string, published time.Time) bool {
	if f.Source != "" && !strings.EqualFold(source, f.Source) {
		return false
	}
	if !f.After.IsZero() && (published.IsZero() || published.Before(f.After)) {
		return false
	}
	if !f.Before.IsZero() && (published.IsZero() || !published.Before(f.Before)) {
		return false
	}
	return true
}

// describeFilter says what f keeps, for a title or a footer: "from Press
// TV, 2017-07-01 to 2017-07-31". Its outlet is neutralised.
func describeFilter(f seam.Filter) string {
	var parts []string
	if f.Source != "" {
		parts = append(parts, "from "+neutralise(clip(oneLine(f.Source), 60)))
	}
	switch {
	case !f.After.IsZero() && !f.Before.IsZero():
		parts = append(parts, date(f.After)+" to "+date(f.Before.AddDate(0, 0, -1)))
	case !f.After.IsZero():
		parts = append(parts, "since "+date(f.After))
	case !f.Before.IsZero():
		parts = append(parts, "until "+date(f.Before.AddDate(0, 0, -1)))
	}
	return strings.Join(parts, ", ")
}

// A filter rides in the custom ID of the /articles page buttons, which
// keep no state, as compactly as it can: "~o" and a hash of the outlet
// (looked up again among the indexed outlets), "~f" and "~t" and the
// dates as YYYYMMDD (to is the exclusive end).

// encodeFilter is f for a custom ID, "" when it narrows nothing.
func encodeFilter(f seam.Filter) string {
	var b strings.Builder
	if f.Source != "" {
		b.WriteString("~o" + outletHash(f.Source))
	}
	if !f.After.IsZero() {
		b.WriteString("~f" + f.After.Format("20060102"))
	}
	if !f.Before.IsZero() {
		b.WriteString("~t" + f.Before.Format("20060102"))
	}
	return b.String()
}

// decodeFilter reads back encodeFilter's form, resolving the outlet among
// sources; ok is false when it can't (the outlet is no longer indexed).
func decodeFilter(s string, sources []string) (f seam.Filter, ok bool) {
	for _, part := range strings.Split(s, "~") {
		if part == "" {
			continue
		}
		if len(part) < 2 {
			return f, false
		}
		v := part[1:]
		switch part[0] {
		case 'o':
			for _, src := range sources {
				if outletHash(src) == v {
					f.Source = src
				}
			}
			if f.Source == "" {
				return f, false
			}
		case 'f', 't':
			t, err := time.Parse("20060102", v)
			if err != nil {
				return f, false
			}
			if part[0] == 'f' {
				f.After = t
			} else {
				f.Before = t
			}
		default:
			return f, false
		}
	}
	return f, true
}

// outletHash names an outlet in a custom ID: 8 hex digits of FNV-1a of its
// lower case.
func outletHash(source string) string {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(source)))
	return fmt.Sprintf("%08x", h.Sum32())
}
