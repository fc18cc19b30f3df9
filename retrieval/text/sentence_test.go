package text

import (
	"slices"
	"strings"
	"testing"
)

// TestSentenceSpans checks where sentences end, and that the spans cover
// the text exactly.
func TestSentenceSpans(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"full stops", "He left. She stayed.", []string{"He left.", "She stayed."}},
		{"an abbreviation and an initial", "Mr. Smith met George W. Bush. They spoke.", []string{"Mr. Smith met George W. Bush.", "They spoke."}},
		{"lower case after a full stop", "It cost 3.5m. and more", []string{"It cost 3.5m. and more"}},
		{"a bulleted list after a colon", "The lifts include:\n - A pressure system\n - Streamlined cars\n\n\"It is an honour,\" said the maker.",
			[]string{"The lifts include:", "- A pressure system", "- Streamlined cars", "\"It is an honour,\" said the maker."}},
		{"a list after a full stop", "It has three parts.\n\n- one part\n- another", []string{"It has three parts.", "- one part", "- another"}},
		{"a paragraph without a full stop", "Release date: 4 March\n\nThe film opens in May.", []string{"Release date: 4 March", "The film opens in May."}},
		{"a line wrapped inside a sentence", "The minister said the plan\nwould go ahead. Nobody objected.", []string{"The minister said the plan\nwould go ahead.", "Nobody objected."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spans := SentenceSpans(tc.text)
			var got []string
			at := 0
			for _, sp := range spans {
				if sp[0] != at {
					t.Fatalf("span %v starts at %d, want %d: every byte in one span", sp, sp[0], at)
				}
				at = sp[1]
				got = append(got, strings.TrimSpace(tc.text[sp[0]:sp[1]]))
			}
			if at != len(tc.text) {
				t.Fatalf("spans end at %d of %d", at, len(tc.text))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
