package answer

import (
	"testing"
)

func TestRefusesInWords(t *testing.T) {
	tests := []struct {
		reply string
		want  bool
	}{
		{"The passages do not mention whether Iran will allow inspections.", true},
		{"The provided passages don't say who won.", true},
		{"The articles don’t explicitly state the date of the budget.", true},
		{"These sources do not contain any information on the vote.", true},
		{"The passages provided do not cover this question.", true},
		{"The excerpts don't seem to include the price.", true},
		{"The passages contain no information about the auction date.", true},
		{"None of the passages mentions the saxophone's price.", true},
		{"There is no information about the studio's name in the passages.", true},
		{"I cannot find the answer in the articles.", true},
		{"I couldn't find anything about it.", true},
		{"Unfortunately, the articles do not provide the figure.", true},
		{"Based on the passages, there is no mention of the cost.", true},
		{"  **The passages do not say.**", true},
		// Answers, even partial ones, are not refusals.
		{"The passages do not mention the date, but Press TV reports the vote passed [1].", false},
		{"Press TV reports that inspections will not be allowed [1].", false},
		{"The articles say the vote passed 423 to 2 [2].", false},
		{"Jazayeri said the passages of the bill do not matter.", false},
		{"The source of the leak did not say more.", false},
		{"Iran does not mention inspections in its statement.", false},
	}
	for _, tc := range tests {
		if got := refusesInWords(tc.reply, 3); got != tc.want {
			t.Errorf("refusesInWords(%q) = %v, want %v", tc.reply, got, tc.want)
		}
	}
}

func TestSentinel(t *testing.T) {
	tests := []struct {
		reply      string
		notCovered bool
		dropped    string
	}{
		{"NOT_IN_ARTICLES", true, ""},
		{"`NOT_IN_ARTICLES`.", true, ""},
		{"**NOT_IN_ARTICLES**", true, ""},
		{"Press TV says inspections are ruled out [1]. NOT_IN_ARTICLES", false, "Press TV says inspections are ruled out [1]."},
		{"Press TV says inspections are ruled out [1]. The date is not given (NOT_IN_ARTICLES).", false, "Press TV says inspections are ruled out [1]. The date is not given."},
		{"Press TV says so [1].\n\nNOT_IN_ARTICLES\n", false, "Press TV says so [1]."},
		{"NOT_IN_ARTICLES. The passages do not say when.", false, "The passages do not say when."},
		{"No sentinel here [1].", false, "No sentinel here [1]."},
	}
	for _, tc := range tests {
		if got := isNotCovered(tc.reply); got != tc.notCovered {
			t.Errorf("isNotCovered(%q) = %v, want %v", tc.reply, got, tc.notCovered)
		}
		if got := dropSentinel(tc.reply); got != tc.dropped {
			t.Errorf("dropSentinel(%q) = %q, want %q", tc.reply, got, tc.dropped)
		}
	}
}

func TestStreamable(t *testing.T) {
	tests := []struct{ partial, want string }{
		{"Press TV says so [1]. NOT_IN", "Press TV says so [1]."},
		{"Press TV says so [1]. NOT_IN_ARTICLES", "Press TV says so [1]."},
		{"Press TV says so [1]. NOT_IN_ARTICLES for the date", "Press TV says so [1]. for the date"},
		{"Press TV says so", "Press TV says so"},
	}
	for _, tc := range tests {
		if got := streamable(tc.partial); got != tc.want {
			t.Errorf("streamable(%q) = %q, want %q", tc.partial, got, tc.want)
		}
	}
}
