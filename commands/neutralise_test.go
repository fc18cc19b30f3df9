package commands

import (
	"regexp"
	"testing"
	"unicode/utf8"
)

func TestNeutralise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello @everyone", "hello @\u200beveryone"},
		{"@here now", "@\u200bhere now"},
		{"@Everyone and @HERE", "@\u200bEveryone and @\u200bHERE"},
		{"ping <@123456> <@!42> <@&7> <#99>", "ping <@\u200b123456> <@\u200b!42> <@\u200b&7> <#\u200b99>"},
		{"write to press@here.com or info@everyone.org", "write to press@here.com or info@everyone.org"},
		{"foo@everyone", "foo@\u200beveryone"},
		{"not a mention: <@abc> <@> <#> @someone #general", "not a mention: <@abc> <@> <#> @someone #general"},
		{"@everyone\u200b ایران <@1>", "@\u200beveryone\u200b ایران <@\u200b1>"},
		{"", ""},
	}
	for _, tt := range tests {
		got := neutralise(tt.in)
		if got != tt.want {
			t.Errorf("neutralise(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := neutralise(got); again != got {
			t.Errorf("neutralise is not idempotent on %q: %q", got, again)
		}
	}
}

// leftMention matches a Discord user, role or channel mention.
var leftMention = regexp.MustCompile(`<(@[!&]?|#)[0-9]+>`)

// checkNeutralised checks what neutralise must do for any text: keep valid
// UTF-8 valid, change nothing the second time, and leave no mention. The
// fuzz target of SanitizeQuestion (FuzzSanitize) runs it on every input,
// seeded among others with testdata/fuzz/FuzzSanitize/neutralise_*.
func checkNeutralised(t *testing.T, text string) {
	t.Helper()
	if s := neutralise(text); utf8.ValidString(text) && !utf8.ValidString(s) {
		t.Fatalf("neutralise(%q) = %q is not valid UTF-8", text, s)
	}
	if s := neutralise(text); neutralise(s) != s {
		t.Fatalf("neutralise is not idempotent on %q", s)
	}
	if s := neutralise(text); leftMention.MatchString(s) {
		t.Fatalf("neutralise(%q) = %q left a mention", text, s)
	}
}
