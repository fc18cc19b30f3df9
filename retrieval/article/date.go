package article

import (
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
