package text

import (
	"slices"
	"testing"
)

// TestWordsNewsRules pins the tokenisation rules that keep what news text
// means: acronyms are names, not stop words; dotted acronyms are one word;
// hyphenated compounds match both their spellings.
func TestWordsNewsRules(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // index terms, stop words dropped
	}{
		{"capitalised acronyms are not stop words", "The US and IT firms, said the WHO", []string{"us", "it", "firm", "who"}},
		{"the same words in lower case are", "tell us what it is and who", []string{"tell"}},
		{"dotted acronyms", "U.S. and U.K. troops at the U.N.", []string{"us", "uk", "troop", "un"}},
		{"dotted acronym of three letters", "the U.S.A. team", []string{"usa", "team"}},
		{"dotted abbreviations that are stop words", "e.g. at 5 p.m.", []string{"5"}},
		{"a shouted headline keeps pronouns out", "IRAN SAYS IT WILL RESPOND", []string{"iran", "respond"}},
		{"hyphenated compound and its parts", "fourth-quarter profits", []string{"fourth-quarter", "fourth", "quarter", "profit"}},
		{"stop words inside a compound", "the second-in-command", []string{"second-in-command", "second", "command"}},
		{"one-letter parts stay whole", "sent by e-mail after an x-ray", []string{"send", "email", "xray"}},
		{"very short parts stay whole", "free wi-fi", []string{"free", "wifi"}},
		{"compounds with digits stay whole", "a 5-0 win for the F-16", []string{"5-0", "win", "f-16"}},
		{"a season is its years", "the 2004-05 season", []string{"2004-05", "2004", "2005", "season"}},
		{"a range of full years", "from 1998-2001", []string{"1998-2001", "1998", "2001"}},
		{"a score is not a season", "won 2004-03", []string{"win", "2004-03"}},
		{"contractions", "the one that'd need it, they're sure we've done it; it didn't", []string{"one", "need", "sure", "done", "not"}},
		{"irregular forms take their base", "Children bought shares and won", []string{"child", "buy", "share", "win"}},
		{"spelling variants keep their own stem", "programmes and programme", []string{"programm", "programm"}},
		{"possessive compound", "Kilroy-Silk's party", []string{"kilroy-silk", "kilroy", "silk", "parti"}},
	}
	st := New()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := st.Terms(tc.text)
			if !slices.Equal(got, tc.want) {
				t.Errorf("terms(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

// TestWordsOffsets checks that surfaces and offsets point into the text,
// so that highlighting wraps what was written ("U.S.", not "us").
func TestWordsOffsets(t *testing.T) {
	text := "Troops of the U.S. met Kilroy-Silk’s aides."
	for _, w := range New().Words(text, true) {
		if got := text[w.Start : w.Start+len(w.Surface)]; got != w.Surface {
			t.Errorf("word %q at %d: text there is %q", w.Surface, w.Start, got)
		}
	}
}
