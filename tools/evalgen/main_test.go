package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// bbcDir is the shared BBC corpus, beside the repository's folder.
const bbcDir = "../../../shared/corpora/bbc"

var (
	bbcOnce   sync.Once
	bbcCorpus *corpus
	bbcErr    error
)

// bbc loads the BBC corpus once, or skips the test when it is absent.
func bbc(t *testing.T) *corpus {
	t.Helper()
	if _, err := os.Stat(bbcDir); err != nil {
		t.Skipf("BBC corpus not found at %s: %v", bbcDir, err)
	}
	bbcOnce.Do(func() { bbcCorpus, bbcErr = loadCorpus(bbcDir) })
	if bbcErr != nil {
		t.Fatal(bbcErr)
	}
	return bbcCorpus
}

// runOutput runs the command and returns what it wrote.
func runOutput(t *testing.T, args ...string) []byte {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(args, &out, &errOut); err != nil {
		t.Fatalf("run %v: %v\n%s", args, err, errOut.String())
	}
	return out.Bytes()
}

func readLines(t *testing.T, data []byte) []question {
	t.Helper()
	var qs []question
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var q question
		if err := dec.Decode(&q); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		qs = append(qs, q)
	}
	return qs
}

func TestRun(t *testing.T) {
	bbc(t)
	qs := readLines(t, runOutput(t, "-corpus", bbcDir, "-n", "3"))
	if len(qs) != 3 || qs[0].ID != "bbc001" || len(qs[0].Relevant) == 0 || strings.HasPrefix(qs[0].Relevant[0], "bbc/") {
		t.Fatalf("claims by default, without a prefix: got %+v", qs)
	}
	var out, errOut bytes.Buffer
	if err := run([]string{"-kind", "quiz", "-corpus", bbcDir}, &out, &errOut); err == nil {
		t.Fatal("an unknown -kind was accepted")
	}
}

func TestDeterministic(t *testing.T) {
	c := bbc(t)
	for _, kind := range []string{"claims", "cloze", "described", "offcorpus"} {
		t.Run(kind, func(t *testing.T) {
			o := options{kind: kind, prefix: "bbc/", n: 12, seed: 3}
			var a, b bytes.Buffer
			for _, w := range []*bytes.Buffer{&a, &b} {
				qs, err := generate(c, o)
				if err != nil {
					t.Fatal(err)
				}
				if err := write(w, qs); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("two runs differ:\n%s\n---\n%s", a.String(), b.String())
			}
			if n := len(readLines(t, a.Bytes())); n != 12 {
				t.Fatalf("%d questions, want 12", n)
			}
		})
	}
}

func TestClozeAnswers(t *testing.T) {
	c := bbc(t)
	qs, err := clozeSet(c, options{prefix: "bbc/", n: 40, seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]string{}
	for i, a := range c.arts {
		byID["bbc/"+a.ID] = c.folded[i]
	}
	for _, q := range qs {
		if !strings.HasPrefix(q.ID, "cloze-") || len(q.Answers) == 0 || len(q.Relevant) == 0 {
			t.Errorf("%s: malformed %+v", q.ID, q)
			continue
		}
		for _, a := range q.Answers {
			if containsFold(q.Question, a) {
				t.Errorf("%s: answer %q is in the question %q", q.ID, a, q.Question)
			}
			found := false
			for _, id := range q.Relevant {
				text, ok := byID[id]
				if !ok {
					t.Errorf("%s: relevant %q is no article", q.ID, id)
				}
				found = found || strings.Contains(text, norm(a))
			}
			if !found {
				t.Errorf("%s: answer %q is in none of %v", q.ID, a, q.Relevant)
			}
		}
	}
}

func TestDescribedAnswers(t *testing.T) {
	c := bbc(t)
	o := options{kind: "described", prefix: "bbc/", n: 40, seed: 5}
	qs, err := describedSet(c, o)
	if err != nil {
		t.Fatal(err)
	}
	again, err := describedSet(c, o)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]int{}
	for i, a := range c.arts {
		byID["bbc/"+a.ID] = i
	}
	for i, q := range qs {
		if q.ID != again[i].ID || q.Question != again[i].Question || strings.Join(q.Answers, "|") != strings.Join(again[i].Answers, "|") {
			t.Fatalf("two runs differ at %d: %+v and %+v", i, q, again[i])
		}
		if want := fmt.Sprintf("desc-%03d", i+1); q.ID != want || len(q.Answers) == 0 || len(q.Relevant) == 0 {
			t.Errorf("%s: malformed %+v", q.ID, q)
			continue
		}
		for _, a := range q.Answers {
			if containsFold(q.Question, a) {
				t.Errorf("%s: answer %q is in the question %q", q.ID, a, q.Question)
			}
			found := false
			for _, id := range q.Relevant {
				art, ok := byID[id]
				if !ok {
					t.Errorf("%s: relevant %q is no article", q.ID, id)
					continue
				}
				found = found || strings.Contains(c.folded[art], norm(a))
			}
			if !found {
				t.Errorf("%s: answer %q is in none of %v", q.ID, a, q.Relevant)
			}
		}
		// The question describes its story: two of its words come from
		// the headline or lead of an article holding the answer.
		best := 0
		for _, id := range q.Relevant {
			art := byID[id]
			head := norm(c.arts[art].Title + " " + c.sents[c.byArt[art][0]].text)
			shared := 0
			for _, w := range contentOf(q.Question) {
				if containsWord(head, w) {
					shared++
				}
			}
			best = max(best, shared)
		}
		if best < 2 {
			t.Errorf("%s: %q shares %d words with its story's headline and lead, want 2", q.ID, q.Question, best)
		}
	}
}

func TestOffCorpusAbsent(t *testing.T) {
	c := bbc(t)
	qs, err := offCorpusSet(c, options{prefix: "bbc/", n: 30, seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	subs := map[string]int{}
	for _, q := range qs {
		subs[q.sub]++
		if len(q.q.Answers) != 0 || len(q.q.Relevant) != 0 || !strings.HasPrefix(q.q.ID, "off-"+q.sub+"-") {
			t.Errorf("%s: malformed %+v", q.q.ID, q.q)
		}
		if q.sub != "mix" && !containsFold(q.q.Question, q.put) {
			t.Errorf("%s: %q is not in %q", q.q.ID, q.put, q.q.Question)
		}
		switch {
		case q.sub == "name":
			// The whole name is absent, and so is its distinctive word
			// (the surname, the company's first word, the place).
			words := strings.Fields(q.put)
			key := words[len(words)-1]
			if len(words) > 1 && !c.hasWord(words[0]) {
				key = words[0]
			}
			if c.hasPhrase(q.put) || c.hasWord(key) {
				t.Errorf("%s: %q occurs in the corpus", q.q.ID, q.put)
			}
		case q.sub == "year" && yearRe.MatchString(q.put):
			// The year is absent, or no sentence holding it holds a word
			// of the question; for an event template, a word naming the
			// event ("broadband" in "how many people used broadband in the
			// uk in 2010?"), since "people" meets any year somewhere.
			if c.hasWord(q.put) {
				words := contentOf(q.q.Question)
				if len(q.keys) > 0 {
					words = q.keys
				}
				for _, w := range words {
					if c.cooccur([]string{q.put}, forms(w)) {
						t.Errorf("%s: %s meets %q in a sentence", q.q.ID, q.put, w)
					}
				}
			}
		case q.sub == "year":
			if c.hasPhrase(q.put) {
				t.Errorf("%s: %q occurs in the corpus", q.q.ID, q.put)
			}
		case q.slot != "":
			g := &offGen{c: c}
			if !g.unanswered(q.slot, q.keys) {
				t.Errorf("%s: %q meets %v in a sentence", q.q.ID, q.slot, q.keys)
			}
		default:
			for i, a := range q.nouns {
				for _, b := range q.nouns[i+1:] {
					if c.cooccur(forms(a), forms(b)) {
						t.Errorf("%s: %q and %q meet in a sentence", q.q.ID, a, b)
					}
				}
			}
		}
	}
	for _, sub := range []string{"name", "year", "mix"} {
		if subs[sub] != 10 {
			t.Errorf("%d %s questions, want 10 (%v)", subs[sub], sub, subs)
		}
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Microsoft is replacing 14 million power leads.", "Microsoft|is|replacing|14|million|power|leads|."},
		{"It cost £80m, the firm's boss said.", "It|cost|£80m|,|the|firm's|boss|said|."},
		{"About 63,000 phones (and 1.5% of laptops)", "About|63,000|phones|(|and|1.5%|of|laptops|)"},
		{"Al Aynsley-Green met the players' union", "Al|Aynsley-Green|met|the|players'|union"},
	}
	for _, tt := range tests {
		var got []string
		for _, x := range tokenize(tt.in) {
			got = append(got, x.s)
		}
		if g := strings.Join(got, "|"); g != tt.want {
			t.Errorf("tokenize(%q) = %s, want %s", tt.in, g, tt.want)
		}
	}
}

func TestPlural(t *testing.T) {
	for in, want := range map[string]string{"factory": "factories", "album": "albums", "bus": "buses", "day": "days"} {
		if got := plural(in); got != want {
			t.Errorf("plural(%q) = %q, want %q", in, got, want)
		}
	}
}
