package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The parser reads the WordNet 3.0 database files as described in wndb(5)
// and senseidx(5): data.{noun,verb,adj,adv} (synsets with their words and
// pointers), index.* (each lemma's senses in sense-number order), *.exc
// (irregular inflections) and cntlist.rev (sense tag counts from the
// semantic concordances, by sense key). Lines starting with two spaces are
// the licence header.

// A pos is a WordNet part of speech as used in index files: 'n', 'v', 'a'
// (adjectives, satellites included) or 'r'.
type pos byte

// poses lists the parts of speech in a fixed order, with the file-name
// stem WordNet uses for each.
var poses = []struct {
	p    pos
	name string
}{{'n', "noun"}, {'v', "verb"}, {'a', "adj"}, {'r', "adv"}}

// A synsetID names a synset: its part of speech and its byte offset in the
// data file of that part of speech.
type synsetID struct {
	p      pos
	offset int
}

// A member is one word of a synset as written in the data file.
type member struct {
	form  string // as written, underscores turned to spaces, e.g. "chief executive", "France"
	lemma string // lower-cased form, the index lemma with spaces, e.g. "chief executive"
	lexID int
	// tags is how often this sense of the word is tagged in the semantic
	// concordances (cntlist.rev), 0 when it is not listed.
	tags int
}

// A pointer is one relation from a synset (source 0) or one of its words
// (source > 0, 1-based) to another synset or one of its words.
type pointer struct {
	symbol string
	target synsetID
	source int // 1-based word number in this synset, 0 for the whole synset
	dest   int // 1-based word number in the target synset, 0 for the whole synset
}

// A synset is one parsed line of a data file.
type synset struct {
	id         synsetID
	lexFilenum int
	ssType     byte // n, v, a, s or r
	members    []member
	pointers   []pointer
	gloss      string
}

// wordnet holds the parsed database.
type wordnet struct {
	synsets map[synsetID]*synset
	// senses lists, for each lemma and part of speech, the synsets of its
	// senses in the index file's sense-number order.
	senses map[lemmaPOS][]synsetID
	// tagCount holds cntlist.rev while loading: tag counts by sense key.
	tagCount map[string]int
	// countedKeys and unknownKeys count the cntlist.rev keys that do and
	// do not name a word of the data files.
	countedKeys, unknownKeys int
	// exceptions maps, per part of speech, an irregular inflected form to
	// its base forms in the order the .exc file lists them.
	exceptions map[pos]map[string][]string
	// header holds the licence lines that open data.noun.
	header []string
}

// A lemmaPOS is a lower-case lemma (with spaces) in one part of speech.
type lemmaPOS struct {
	lemma string
	p     pos
}

// loadWordNet parses the database files in dir.
func loadWordNet(dir string) (*wordnet, error) {
	wn := &wordnet{
		synsets:    make(map[synsetID]*synset, 120000),
		senses:     make(map[lemmaPOS][]synsetID, 160000),
		tagCount:   make(map[string]int, 40000),
		exceptions: make(map[pos]map[string][]string),
	}
	h, err := readHeader(filepath.Join(dir, "data.noun"))
	if err != nil {
		return nil, err
	}
	wn.header = h
	for _, ps := range poses {
		if err := eachLine(filepath.Join(dir, "data."+ps.name), func(line string) error {
			s, err := parseSynset(ps.p, line)
			if err != nil {
				return err
			}
			wn.synsets[s.id] = s
			return nil
		}); err != nil {
			return nil, err
		}
		if err := eachLine(filepath.Join(dir, "index."+ps.name), func(line string) error {
			return wn.parseIndex(ps.p, line)
		}); err != nil {
			return nil, err
		}
		exc := make(map[string][]string)
		wn.exceptions[ps.p] = exc
		if err := eachLine(filepath.Join(dir, ps.name+".exc"), func(line string) error {
			f := strings.Fields(line)
			if len(f) < 2 {
				return fmt.Errorf("want an inflected form and a base, got %q", line)
			}
			for _, b := range f[1:] {
				exc[spaced(f[0])] = append(exc[spaced(f[0])], spaced(b))
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if err := eachLine(filepath.Join(dir, "cntlist.rev"), wn.parseCount); err != nil {
		return nil, err
	}
	if err := wn.check(); err != nil {
		return nil, err
	}
	wn.tagCount = nil
	return wn, nil
}

// eachLine calls fn on every non-header line of the file at path, and
// wraps its error with the file name and line number.
func eachLine(path string, fn func(string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "  ") || strings.TrimSpace(line) == "" {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// readHeader returns the licence lines that open a data or index file:
// those starting with two spaces.
func readHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var h []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() && strings.HasPrefix(sc.Text(), "  ") {
		h = append(h, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("%s: no licence header", path)
	}
	return h, nil
}

// spaced turns WordNet's collocation underscores into spaces.
func spaced(s string) string { return strings.ReplaceAll(s, "_", " ") }

// parseSynset parses one data-file line:
//
//	synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt [ptr...] [frames...] | gloss
func parseSynset(p pos, line string) (*synset, error) {
	body, gloss, _ := strings.Cut(line, " | ")
	f := strings.Fields(body)
	if len(f) < 4 {
		return nil, fmt.Errorf("short data line %q", line)
	}
	offset, err := strconv.Atoi(f[0])
	if err != nil {
		return nil, fmt.Errorf("synset offset: %w", err)
	}
	lexFilenum, err := strconv.Atoi(f[1])
	if err != nil {
		return nil, fmt.Errorf("lex_filenum: %w", err)
	}
	s := &synset{id: synsetID{p, offset}, lexFilenum: lexFilenum, ssType: f[2][0], gloss: strings.TrimSpace(gloss)}
	wcnt, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil {
		return nil, fmt.Errorf("w_cnt: %w", err)
	}
	i := 4
	if len(f) < i+2*int(wcnt)+1 {
		return nil, fmt.Errorf("synset %08d: %d words announced, line too short", offset, wcnt)
	}
	for range wcnt {
		form := f[i]
		// Adjectives may carry a syntactic marker: "(a)", "(p)" or "(ip)".
		if j := strings.IndexByte(form, '('); j > 0 && strings.HasSuffix(form, ")") {
			form = form[:j]
		}
		lexID, err := strconv.ParseUint(f[i+1], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("synset %08d: lex_id: %w", offset, err)
		}
		form = spaced(form)
		s.members = append(s.members, member{form: form, lemma: strings.ToLower(form), lexID: int(lexID)})
		i += 2
	}
	pcnt, err := strconv.Atoi(f[i])
	if err != nil {
		return nil, fmt.Errorf("synset %08d: p_cnt: %w", offset, err)
	}
	i++
	if len(f) < i+4*pcnt {
		return nil, fmt.Errorf("synset %08d: %d pointers announced, line too short", offset, pcnt)
	}
	for range pcnt {
		target, err := strconv.Atoi(f[i+1])
		if err != nil {
			return nil, fmt.Errorf("synset %08d: pointer offset: %w", offset, err)
		}
		tp := pos(f[i+2][0])
		if tp == 's' {
			tp = 'a'
		}
		st, err := strconv.ParseUint(f[i+3], 16, 16)
		if err != nil || len(f[i+3]) != 4 {
			return nil, fmt.Errorf("synset %08d: pointer source/target %q", offset, f[i+3])
		}
		s.pointers = append(s.pointers, pointer{
			symbol: f[i],
			target: synsetID{tp, target},
			source: int(st >> 8),
			dest:   int(st & 0xff),
		})
		i += 4
	}
	return s, nil
}

// parseIndex parses one index-file line:
//
//	lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset [synset_offset...]
func (wn *wordnet) parseIndex(p pos, line string) error {
	f := strings.Fields(line)
	if len(f) < 6 {
		return fmt.Errorf("short index line %q", line)
	}
	synsetCnt, err := strconv.Atoi(f[2])
	if err != nil {
		return fmt.Errorf("synset_cnt: %w", err)
	}
	pcnt, err := strconv.Atoi(f[3])
	if err != nil {
		return fmt.Errorf("p_cnt: %w", err)
	}
	offs := f[4+pcnt+2:]
	if len(offs) != synsetCnt {
		return fmt.Errorf("lemma %q: %d synsets announced, %d listed", f[0], synsetCnt, len(offs))
	}
	ids := make([]synsetID, len(offs))
	for i, o := range offs {
		n, err := strconv.Atoi(o)
		if err != nil {
			return fmt.Errorf("lemma %q: synset offset: %w", f[0], err)
		}
		ids[i] = synsetID{p, n}
	}
	wn.senses[lemmaPOS{spaced(f[0]), p}] = ids
	return nil
}

// parseCount parses one cntlist.rev line: sense_key sense_number tag_cnt.
// The sense number is not used: in this database it does not always agree
// with the order of senses in the index files ("a", noun), while the sense
// key names the sense unambiguously.
func (wn *wordnet) parseCount(line string) error {
	f := strings.Fields(line)
	if len(f) != 3 || !strings.Contains(f[0], "%") {
		return fmt.Errorf("want sense_key sense_number tag_cnt, got %q", line)
	}
	count, err := strconv.Atoi(f[2])
	if err != nil {
		return fmt.Errorf("tag count: %w", err)
	}
	// A satellite's head word is sometimes written with its syntactic
	// marker ("above%5:00:00:preceding(a):00"); the data files' keys
	// have none.
	key := f[0]
	for _, m := range []string{"(a)", "(p)", "(ip)"} {
		key = strings.Replace(key, m+":", ":", 1)
	}
	wn.tagCount[key] += count
	return nil
}

// check cross-validates the files (every index sense names a parsed
// synset that holds the lemma, every satellite has a head, nearly every
// tag count names a sense of the data files) and gives each synset word
// its tag count.
func (wn *wordnet) check() error {
	for lp, ids := range wn.senses {
		for _, id := range ids {
			s := wn.synsets[id]
			if s == nil {
				return fmt.Errorf("index lemma %q (%c) names missing synset %08d", lp.lemma, lp.p, id.offset)
			}
			if s.memberIndex(lp.lemma) < 0 {
				return fmt.Errorf("index lemma %q (%c): synset %08d does not hold it", lp.lemma, lp.p, id.offset)
			}
		}
	}
	known := make(map[string]bool, len(wn.tagCount))
	for _, s := range wn.synsets {
		for i := range s.members {
			k, err := wn.senseKey(s, i)
			if err != nil {
				return err
			}
			s.members[i].tags = wn.tagCount[k]
			known[k] = true
		}
	}
	unknown := 0
	for k := range wn.tagCount {
		if !known[k] {
			unknown++
		}
	}
	wn.countedKeys = len(wn.tagCount) - unknown
	// Debian builds the data files from its own (patched) lexicographer
	// files, while cntlist.rev is Princeton's: about 5% of its sense keys
	// name senses the data files do not have, or have under another key
	// ("creaking%5:00:00:noisy:00", "accent%2:30:00::"). Their counts are
	// lost, as they are for Debian's own index.sense, which is built the
	// same way. Many more would mean a mismatched database.
	if unknown*10 > len(wn.tagCount) {
		return fmt.Errorf("cntlist.rev: %d of %d sense keys name no word of the data files", unknown, len(wn.tagCount))
	}
	wn.unknownKeys = unknown
	return nil
}

// senseKey returns the sense key (senseidx(5)) of the synset's i-th word:
// lemma%ss_type:lex_filenum:lex_id:head_word:head_id, where the head word
// and id are those of the first word of a satellite's head synset.
func (wn *wordnet) senseKey(s *synset, i int) (string, error) {
	m := s.members[i]
	lemma := strings.ReplaceAll(m.lemma, " ", "_")
	ssType := map[byte]int{'n': 1, 'v': 2, 'a': 3, 'r': 4, 's': 5}[s.ssType]
	if ssType == 0 {
		return "", fmt.Errorf("synset %08d: unknown ss_type %q", s.id.offset, s.ssType)
	}
	head := ""
	if s.ssType == 's' {
		for _, p := range s.pointers {
			if p.symbol == "&" && p.source == 0 {
				h := wn.synsets[p.target]
				if h == nil || len(h.members) == 0 {
					return "", fmt.Errorf("synset %08d: satellite head %08d missing", s.id.offset, p.target.offset)
				}
				head = fmt.Sprintf("%s:%02d", strings.ReplaceAll(h.members[0].lemma, " ", "_"), h.members[0].lexID)
				break
			}
		}
		if head == "" {
			return "", fmt.Errorf("synset %08d: satellite without a head", s.id.offset)
		}
	} else {
		head = ":"
	}
	return fmt.Sprintf("%s%%%d:%02d:%02d:%s", lemma, ssType, s.lexFilenum, m.lexID, head), nil
}

// memberIndex returns the 0-based position of lemma among the synset's
// words, or -1.
func (s *synset) memberIndex(lemma string) int {
	for i, m := range s.members {
		if m.lemma == lemma {
			return i
		}
	}
	return -1
}

// A sense is one lemma's sense in a synset, with its frequency evidence.
type sense struct {
	// rank is the sense's place among the lemma's senses in its part of
	// speech, ordered by tag count (highest first), ties in the order of
	// the index file; 1 is the most frequent sense.
	rank      int
	senses    int // how many senses the lemma has in that part of speech
	tags      int // tag count of this sense
	lemmaTags int // tag count of all the lemma's senses in that part of speech
}

// tags returns the tag count of the sense of lemma that is synset id.
func (wn *wordnet) tags(lemma string, id synsetID) int {
	s := wn.synsets[id]
	if i := s.memberIndex(lemma); i >= 0 {
		return s.members[i].tags
	}
	return 0
}

// senseOf returns the sense of lemma that is synset id, and whether the
// lemma is indexed with that synset.
func (wn *wordnet) senseOf(lemma string, id synsetID) (sense, bool) {
	ids := wn.senses[lemmaPOS{lemma, id.p}]
	at := -1
	counts := make([]int, len(ids))
	sn := sense{senses: len(ids)}
	for i, other := range ids {
		counts[i] = wn.tags(lemma, other)
		sn.lemmaTags += counts[i]
		if other == id {
			at = i
		}
	}
	if at < 0 {
		return sense{}, false
	}
	sn.tags = counts[at]
	sn.rank = 1
	for i, c := range counts {
		if c > sn.tags || (c == sn.tags && i < at) {
			sn.rank++
		}
	}
	return sn, true
}

// lemmaTags returns the tag count of all senses of lemma in part of
// speech p.
func (wn *wordnet) lemmaTags(lemma string, p pos) int {
	n := 0
	for _, id := range wn.senses[lemmaPOS{lemma, p}] {
		n += wn.tags(lemma, id)
	}
	return n
}

// allTags returns the tag count of all senses of lemma in every part of
// speech: how much evidence the concordances hold about the word.
func (wn *wordnet) allTags(lemma string) int {
	n := 0
	for _, ps := range poses {
		n += wn.lemmaTags(lemma, ps.p)
	}
	return n
}

// isLemma reports whether lemma has a sense in any part of speech.
func (wn *wordnet) isLemma(lemma string) bool {
	for _, ps := range poses {
		if len(wn.senses[lemmaPOS{lemma, ps.p}]) > 0 {
			return true
		}
	}
	return false
}

// minorCase reports whether a word written form (capitalised or not) is
// the lesser-used spelling of its lower-cased lemma: the lemma also has
// senses written the other way, and those have more tags. Lower-cased,
// "Attic" (of Attica) is swamped by "attic" (a room), and "march" (to
// walk) by "March" (the month); a relation through the minor spelling
// would mostly fire on the other word.
func (wn *wordnet) minorCase(form string) bool {
	lemma := strings.ToLower(form)
	cap := capitalised(form)
	same, other, hasOther := 0, 0, false
	for _, ps := range poses {
		for _, id := range wn.senses[lemmaPOS{lemma, ps.p}] {
			for _, m := range wn.synsets[id].members {
				if m.lemma != lemma {
					continue
				}
				if capitalised(m.form) == cap {
					same += m.tags
				} else {
					other += m.tags
					hasOther = true
				}
			}
		}
	}
	return hasOther && other > same
}
