package retrieval

import (
	"testing"

	"github.com/newsbot/newsbot/retrieval/text"
)

func TestHighlightAcronymsAndCompounds(t *testing.T) {
	ix := &Index{stem: text.New()}
	tests := []struct{ text, query, want string }{
		{"Troops of the U.S. left.", "US troops", "<Troops> of the <U.S.> left."},
		{"Fourth-quarter sales rose.", "fourth quarter sales", "<Fourth>-<quarter> <sales> rose."},
		{"Sales in the fourth quarter rose.", "fourth-quarter", "Sales in the <fourth> <quarter> rose."},
		{"Fourth-quarter sales rose.", "fourth-quarter", "<Fourth-quarter> sales rose."},
		{"It was the IT boss.", "it boss", "It was the IT <boss>."},
		{"It was the IT boss.", "IT boss", "It was the <IT> <boss>."},
	}
	for _, tc := range tests {
		if got := ix.Highlight(tc.text, tc.query, "<", ">"); got != tc.want {
			t.Errorf("Highlight(%q, %q) = %q, want %q", tc.text, tc.query, got, tc.want)
		}
	}
}
