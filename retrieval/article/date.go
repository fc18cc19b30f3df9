package article

import (
	"regexp"
	"strings"
	"time"
)

// dateLayouts are the publication date forms that are recognised. Layouts
// without a zone are read as UTC.
var dateLayouts = []string{
	time.RFC3339Nano,
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02",
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	time.RFC850,
	"January 2, 2006",
	"January 2 2006",
	"Jan 2, 2006",
	"Jan. 2, 2006",
	"Jan 2 2006",
	"Monday, January 2, 2006",
	"Mon, January 2, 2006",
	"2 January 2006",
	"2 Jan 2006",
	"Monday, 2 January 2006",
	"Mon, 2 Jan 2006",
	"Monday 2 January 2006",
	"January 2, 2006 15:04",
	"January 2, 2006 3:04 PM",
	"Jan 2, 2006 3:04 PM",
	"2 January 2006 15:04",
	"2 Jan 2006 15:04",
}

// parseDate reads a publication date in one of dateLayouts; ok is false when
// the value is empty or in no known form.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(Fold(s))
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// leadingDateRE matches a date that opens a paragraph, as wire copy and
// scraped pages put it ("Sep 11, 2021 - Tehran said ...", "11 September
// 2021: ...", "2021-09-11 ..."), with an optional weekday and time, up to
// the separator that ends it.
var leadingDateRE = regexp.MustCompile(`^(?i)(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?` +
	`((?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}` +
	`|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+\d{4}` +
	`|\d{4}-\d{2}-\d{2})` +
	`(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?:\s+[a-z]{2,4})?)?` +
	`\s*(?:[-–—:|]+\s*|\s)`)

// leadingDate splits a dateline date off the start of a paragraph: the
// date, and the paragraph without it. ok is false when the paragraph does
// not open with a date, or nothing follows it.
func leadingDate(s string) (t time.Time, rest string, ok bool) {
	m := leadingDateRE.FindStringSubmatchIndex(s)
	if m == nil {
		return time.Time{}, s, false
	}
	date := strings.Join(strings.Fields(strings.NewReplacer(",", " ", ".", " ").Replace(s[m[2]:m[3]])), " ")
	for _, layout := range []string{"Jan 2 2006", "January 2 2006", "2 Jan 2006", "2 January 2006", "2006-01-02"} {
		if t, err := time.Parse(layout, normalMonth(date)); err == nil {
			rest = strings.TrimSpace(s[m[1]:])
			if rest == "" {
				return time.Time{}, s, false
			}
			return t, rest, true
		}
	}
	return time.Time{}, s, false
}

// normalMonth title-cases month names and shortens "Sept" so time.Parse
// reads them ("sep" and "SEPT" -> "Sep").
func normalMonth(s string) string {
	fs := strings.Fields(s)
	for i, f := range fs {
		if f[0] >= '0' && f[0] <= '9' {
			continue
		}
		f = strings.ToUpper(f[:1]) + strings.ToLower(f[1:])
		if f == "Sept" {
			f = "Sep"
		}
		fs[i] = f
	}
	return strings.Join(fs, " ")
}
