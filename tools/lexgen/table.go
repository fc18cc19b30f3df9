package main

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The table is one text file, read by retrieval/lexicon. After '#'
// comment lines come data lines, sorted by kind and then head word (Go
// string order), so that a reader can binary-search them:
//
//	b<TAB>form<TAB>base                       irregular inflection → base
//	f<TAB>word<TAB>relative<TAB>...           derivational family
//	s<TAB>word<TAB>synonym:r1:r2<TAB>...      synonyms
//	w<TAB>word<TAB>tags                       an ordinary word (vocabulary) and how often
//	                                          WordNet's concordances tag it
//
// Family and synonym pairs are written under both of their words. In a
// synonym entry r1 is the rank of the synset's sense among the head
// word's senses and r2 its rank among the synonym's. Entries on a line
// are sorted by word. Words are lower case and may hold spaces
// ("chief executive"), hyphens and apostrophes, never tabs or colons.

// header heads the table. It holds no date or version of the generator,
// so that the same database always gives the same bytes.
const header = `# Word relations derived from WordNet 3.0, for retrieval/lexicon. Do not edit:
# regenerate with
#   (cd tools && go run ./lexgen -wordnet /usr/share/wordnet -out ../retrieval/lexicon/lexicon.tsv)
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# Derived data, distributed under the WordNet licence in WORDNET-LICENSE beside this file.
# Lines: b<TAB>form<TAB>base | f<TAB>word<TAB>relative... | s<TAB>word<TAB>synonym:rank:rank... | w<TAB>word<TAB>tags
`

// A table holds the three relations as the file writes them.
type table struct {
	bases    [][2]string // form, base
	family   []familyPair
	synonyms []synonymPair
	words    []vocabWord // the vocabulary, sorted by word
}

// line is one data line before formatting.
type line struct {
	kind    byte
	head    string
	entries []string
}

// format renders the table file.
func (t *table) format() []byte {
	var lines []line
	for _, fb := range t.bases {
		lines = append(lines, line{'b', fb[0], []string{fb[1]}})
	}
	lines = append(lines, group('f', len(t.family), func(i int) (string, string, string, string) {
		fp := t.family[i]
		return fp.a, fp.b, fp.b, fp.a
	})...)
	lines = append(lines, group('s', len(t.synonyms), func(i int) (string, string, string, string) {
		sp := t.synonyms[i]
		return sp.a, fmt.Sprintf("%s:%d:%d", sp.b, sp.rankA, sp.rankB),
			sp.b, fmt.Sprintf("%s:%d:%d", sp.a, sp.rankB, sp.rankA)
	})...)
	for _, w := range t.words {
		lines = append(lines, line{'w', w.word, []string{strconv.Itoa(w.tags)}})
	}
	sort.Slice(lines, func(i, j int) bool {
		if lines[i].kind != lines[j].kind {
			return lines[i].kind < lines[j].kind
		}
		return lines[i].head < lines[j].head
	})
	var b bytes.Buffer
	b.WriteString(header)
	for _, l := range lines {
		b.WriteByte(l.kind)
		b.WriteByte('\t')
		b.WriteString(l.head)
		for _, e := range l.entries {
			b.WriteByte('\t')
			b.WriteString(e)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// group turns n unordered pairs into one line per word: pair i gives head
// a with entry ea, and head b with entry eb. Entries are sorted.
func group(kind byte, n int, pair func(i int) (a, ea, b, eb string)) []line {
	byHead := map[string][]string{}
	for i := range n {
		a, ea, b, eb := pair(i)
		byHead[a] = append(byHead[a], ea)
		byHead[b] = append(byHead[b], eb)
	}
	heads := make([]string, 0, len(byHead))
	for h := range byHead {
		heads = append(heads, h)
	}
	sort.Strings(heads)
	out := make([]line, len(heads))
	for i, h := range heads {
		es := byHead[h]
		sort.Strings(es)
		out[i] = line{kind, h, es}
	}
	return out
}

// licence returns the WordNet licence notice as the data files carry it
// in their header lines ("  1 This software and database is ..."),
// without the line numbers.
func licence(header []string) []byte {
	var b strings.Builder
	for _, l := range header {
		l = strings.TrimLeft(l, " ")
		_, text, _ := strings.Cut(l, " ")
		b.WriteString(strings.TrimRight(text, " "))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
