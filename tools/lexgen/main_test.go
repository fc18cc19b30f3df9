package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

const wordnetDir = "/usr/share/wordnet"

// committed is where the generated files live in the repository.
var committed = filepath.Join("..", "..", "retrieval", "lexicon")

// needWordNet skips the test when the WordNet database is not installed,
// except under CI, where .ci/run installs it and its absence is a failure.
func needWordNet(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(wordnetDir, "data.noun")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("WordNet is not installed in %s (apt-get install wordnet-base): %v", wordnetDir, err)
		}
		t.Skipf("WordNet is not installed in %s (apt-get install wordnet-base)", wordnetDir)
	}
}

var (
	loadOnce sync.Once
	loaded   *wordnet
	loadErr  error
)

// load parses the installed database once for all tests.
func load(t *testing.T) *wordnet {
	t.Helper()
	needWordNet(t)
	loadOnce.Do(func() { loaded, loadErr = loadWordNet(wordnetDir) })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

// TestRegenerate regenerates the table and the licence from the installed
// database and compares them byte for byte with the committed files: the
// table in the repository is exactly what the committed generator makes.
func TestRegenerate(t *testing.T) {
	wn := load(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "lexicon.tsv")
	if err := generate(wn, out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lexicon.tsv", "WORDNET-LICENSE"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(committed, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("regenerated %s (%d bytes) differs from retrieval/lexicon/%s (%d bytes) at line %d; rerun\n"+
				"  (cd tools && go run ./lexgen -wordnet %s -out ../retrieval/lexicon/lexicon.tsv)",
				name, len(got), name, len(want), firstDiffLine(got, want), wordnetDir)
		}
	}
}

// firstDiffLine returns the 1-based line number where a and b first differ.
func firstDiffLine(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return bytes.Count(a[:i], []byte("\n")) + 1
}

// TestLicenceNotice checks that the licence file carries the notice the
// WordNet licence asks to keep with derived data.
func TestLicenceNotice(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(committed, "WORDNET-LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"WordNet 3.0 Copyright 2006 by Princeton University.  All rights reserved.",
		"Permission to use, copy, modify and distribute", `PROVIDED "AS IS"`} {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("WORDNET-LICENSE lacks %q", s)
		}
	}
}

func TestParseSynset(t *testing.T) {
	// A verb synset and an adjective satellite with a syntactic marker,
	// in the format of data.verb and data.adj.
	s, err := parseSynset('v', "02402843 41 v 0b displace 4 fire 0 give_notice 0 can 1 dismiss 4 give_the_axe 0 send_away 0 sack 2 force_out 0 give_the_sack 0 terminate 1 003 @ 02402268 v 0000 + 00209837 n 0201 ! 02403537 v 0101 01 + 09 00 | terminate the employment of")
	if err != nil {
		t.Fatal(err)
	}
	if s.id != (synsetID{'v', 2402843}) || s.lexFilenum != 41 || s.ssType != 'v' || len(s.members) != 11 {
		t.Fatalf("parsed %+v", s)
	}
	if m := s.members[2]; m.form != "give notice" || m.lemma != "give notice" || m.lexID != 0 {
		t.Errorf("member 2 = %+v", m)
	}
	if m := s.members[7]; m.form != "sack" || m.lexID != 2 {
		t.Errorf("member 7 = %+v", m)
	}
	if len(s.pointers) != 3 || s.pointers[1] != (pointer{"+", synsetID{'n', 209837}, 2, 1}) {
		t.Errorf("pointers = %+v", s.pointers)
	}
	if s.gloss != "terminate the employment of" {
		t.Errorf("gloss = %q", s.gloss)
	}

	s, err = parseSynset('a', "00926505 00 s 02 leftover 0 left(p) 0 001 & 00926348 a 0000 | not used up")
	if err != nil {
		t.Fatal(err)
	}
	if s.members[1].form != "left" || s.ssType != 's' || s.pointers[0].target != (synsetID{'a', 926348}) {
		t.Errorf("parsed %+v", s)
	}

	for _, bad := range []string{
		"00926505 00 s",
		"00926505 00 s 05 leftover 0 001 & 00926348 a 0000 | short",
		"00926505 00 s 01 leftover 0 002 & 00926348 a 0000 | short",
		"00926505 00 s 01 leftover 0 001 & 00926348 a 00 | bad source/target",
	} {
		if _, err := parseSynset('a', bad); err == nil {
			t.Errorf("parseSynset(%q) gave no error", bad)
		}
	}
}

func TestTerm(t *testing.T) {
	for in, want := range map[string]string{
		"national":        "nation",
		"won":             "won", // three letters: not stemmed, as in the index
		"chief executive": "chief execut",
		"the like":        "like", // stop words are dropped
		"p5":              "p5",
	} {
		if got := term(in); got != want {
			t.Errorf("term(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]bool{
		"film": true, "chief executive": true, "give the axe": true, "o'clock": true,
		"second-in-command": true, "a b c d": false, "u.s.": false, "9/11": false,
		"": false, "-ish": false, "x-": false, "a--b": false, "France": false, "a  b": false,
	} {
		if got := clean(in, 3); got != want {
			t.Errorf("clean(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSharedStem(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"emit", "emission", true},
		{"economy", "economist", true},
		{"win", "winner", true},
		{"elect", "eligible", false},
		{"die", "death", false},
		{"precede", "predecessor", false},
	} {
		if got := sharedStem(tc.a, tc.b); got != tc.want {
			t.Errorf("sharedStem(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestQualifies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		s       sense
		allTags int
		want    bool
	}{
		{"most frequent", sense{rank: 1, senses: 5, tags: 38, lemmaTags: 64}, 66, true},
		{"second, tagged share", sense{rank: 2, senses: 5, tags: 1, lemmaTags: 15}, 15, true},
		{"second, thin evidence", sense{rank: 2, senses: 4, tags: 0, lemmaTags: 1}, 2, true},
		{"second, small share", sense{rank: 2, senses: 12, tags: 2, lemmaTags: 181}, 200, false},
		{"fourth with evidence", sense{rank: 4, senses: 9, tags: 7, lemmaTags: 71}, 149, true},
		{"fourth, small share", sense{rank: 4, senses: 33, tags: 6, lemmaTags: 254}, 300, false},
		{"fifth", sense{rank: 5, senses: 9, tags: 7, lemmaTags: 71}, 149, false},
		{"untagged, well-attested word", sense{rank: 1, senses: 2, tags: 0, lemmaTags: 0}, 20, false},
	} {
		if got := qualifies(tc.s, tc.allTags); got != tc.want {
			t.Errorf("%s: qualifies(%+v, %d) = %v, want %v", tc.name, tc.s, tc.allTags, got, tc.want)
		}
	}
}

func TestComparativeGloss(t *testing.T) {
	for in, want := range map[string]bool{
		"(comparative of `good') superior to another":                        true,
		"(comparative and superlative of `well') wiser or more advantageous": true,
		"comparatives of `soon' or `early'; \"Come a little sooner\"":        true,
		"comparative of `well'; in a better or more excellent manner":        true,
		"used to form the comparative of some adjectives":                    false,
		"in a relative manner; by comparison to something else":              false,
	} {
		if got := comparativeGloss.MatchString(in); got != want {
			t.Errorf("comparativeGloss(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestGuard checks the inflection guard's decisions on the real database.
func TestGuard(t *testing.T) {
	wn := load(t)
	got := map[string]string{}
	for _, fb := range bases(inflections(wn)) {
		got[fb[0]] = fb[1]
	}
	for form, base := range map[string]string{
		"won": "win", "paid": "pay", "bought": "buy", "children": "child", "mice": "mouse",
		"better": "good", "went": "go", "found": "find", "saw": "see", "women": "woman",
	} {
		if got[form] != base {
			t.Errorf("%s → %q, want %q", form, got[form], base)
		}
	}
	for _, form := range []string{"left", "lay", "ground", "human", "humen", "shamen"} {
		if b, ok := got[form]; ok {
			t.Errorf("%s → %q, want no entry", form, b)
		}
	}
}
