package seam

import "time"

// Filter narrows a search or a list of articles: to one outlet (Source,
// matched without regard to case), and to articles published in [After,
// Before). Zero values don't narrow; articles without a date are left out
// when either date is set.
type Filter struct {
	Source        string
	After, Before time.Time
}

// IsZero reports whether f narrows nothing.
func (f Filter) IsZero() bool { return f.Source == "" && f.After.IsZero() && f.Before.IsZero() }
