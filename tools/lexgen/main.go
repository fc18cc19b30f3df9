// Command lexgen derives the word table of retrieval/lexicon from the
// WordNet 3.0 database files:
//
//	(cd tools && go run ./lexgen -wordnet /usr/share/wordnet -out ../retrieval/lexicon/lexicon.tsv)
//
// It parses the files itself (wndb(5): data.*, index.*, *.exc,
// cntlist.rev; Debian package wordnet-base) and writes three relations
// on lower-case words: irregular inflections to their base ("won" →
// "win"), derivational families ("french" ~ "france"), and synonyms of
// frequent senses ("fire" ~ "sack"). Beside the table it writes
// WORDNET-LICENSE, the licence notice the data files carry, which must
// travel with the derived data. The output depends only on the database:
// running it again gives the same bytes, which TestRegenerate checks.
// retrieval/lexicon/README.md describes the rules.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

func main() {
	dir := flag.String("wordnet", "/usr/share/wordnet", "WordNet 3.0 database `directory`")
	out := flag.String("out", "../retrieval/lexicon/lexicon.tsv", "table `file` to write; WORDNET-LICENSE goes beside it")
	verbose := flag.Bool("v", false, "also list the inflections the guard drops")
	flag.Parse()
	if err := run(*dir, *out, *verbose, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "lexgen:", err)
		os.Exit(1)
	}
}

// run generates the table from the database in dir, writes it to out and
// the licence beside it, and reports counts to w.
func run(dir, out string, verbose bool, w io.Writer) error {
	wn, err := loadWordNet(dir)
	if err != nil {
		return fmt.Errorf("loading WordNet from %s: %w", dir, err)
	}
	return generate(wn, out, verbose, w)
}

// generate derives the table from a loaded database and writes it, as run
// does.
func generate(wn *wordnet, out string, verbose bool, w io.Writer) error {
	t, infl := build(wn)
	data := t.format()
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("writing the table: %w", err)
	}
	lic := licence(wn.header)
	licPath := filepath.Join(filepath.Dir(out), "WORDNET-LICENSE")
	if err := os.WriteFile(licPath, lic, 0o644); err != nil {
		return fmt.Errorf("writing the licence: %w", err)
	}

	dropped, generated := 0, 0
	for _, in := range infl {
		if !in.kept() {
			dropped++
		}
	}
	for _, fb := range t.bases {
		if _, ok := wn.exceptions['n'][fb[0]]; !ok && isMenPlural(infl, fb[0]) {
			generated++
		}
	}
	pert := 0
	for _, fp := range t.family {
		if fp.pertainym {
			pert++
		}
	}
	fmt.Fprintf(w, "lexgen: %s: %d bytes, %d lines\n", out, len(data), bytes.Count(data, []byte("\n")))
	fmt.Fprintf(w, "lexgen: cntlist.rev: %d sense keys counted, %d name no sense of these data files\n", wn.countedKeys, wn.unknownKeys)
	fmt.Fprintf(w, "lexgen: inflections: %d forms (%d from the -men rule); %d candidate pairs dropped by the guard\n", len(t.bases), generated, dropped)
	fmt.Fprintf(w, "lexgen: family: %d pairs (%d pertainyms, %d derivationally related forms)\n", len(t.family), pert, len(t.family)-pert)
	fmt.Fprintf(w, "lexgen: synonyms: %d pairs\n", len(t.synonyms))
	fmt.Fprintf(w, "lexgen: vocabulary: %d words\n", len(t.words))
	if verbose {
		for _, in := range infl {
			if !in.kept() {
				fmt.Fprintf(w, "lexgen: guard drops %s → %s (%c): own senses %d tags, base %d\n", in.form, in.base, in.p, in.rivalTags, in.baseTags)
			}
		}
	}
	return nil
}

// build derives the three relations. It also returns every inflection
// candidate, for the report.
func build(wn *wordnet) (*table, []inflection) {
	infl := inflections(wn)
	return &table{bases: bases(infl), family: familyPairs(wn), synonyms: synonymPairs(wn), words: vocabulary(wn)}, infl
}

// vocabWord is an ordinary word with how often the semantic concordances
// tag it, over all its senses: a measure of how common it is in English.
type vocabWord struct {
	word string
	tags int
}

// vocabulary returns the ordinary words of the database: single words that
// some synset writes in lower case, i.e. that have a sense as a common word.
// "manure", "bloke" and "octopus" are ordinary words; "kazakhstan" is not
// ("Kazakhstan" in every synset), nor is any name WordNet lacks. The bot
// tells a rare name of a question (which the articles must hold) from a
// rare word (which they may put otherwise) by it, and weighs a word the
// articles lack by how common it is ("think" says little, "octopus" a lot).
func vocabulary(wn *wordnet) []vocabWord {
	seen := map[string]bool{}
	for _, s := range wn.synsets {
		for _, m := range s.members {
			if m.form == m.lemma && clean(m.lemma, 1) && letters(m.lemma) >= 2 {
				seen[m.lemma] = true
			}
		}
	}
	out := make([]vocabWord, 0, len(seen))
	for w := range seen {
		out = append(out, vocabWord{w, wn.allTags(w)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].word < out[j].word })
	return out
}

func isMenPlural(infl []inflection, form string) bool {
	for _, in := range infl {
		if in.form == form && in.generated {
			return true
		}
	}
	return false
}
