package retrieval

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// The index is saved as one file, so that replacing it is one rename:
//
//	"NEWSBOT-INDEX\n" | uint64 manifest length | manifest (JSON) | sections
//
// The manifest lists each section's length and CRC-32, so a truncated or
// damaged file is detected on open rather than half-loaded. Each section
// starts at a multiple of 8 bytes from the start of the file (zero bytes
// pad the gaps). The sections are laid out as the index holds them in
// memory, so that opening one is mapping it: numbers are little-endian
// arrays that the index uses where they lie, and every string is a piece
// of the table.
//
//	vectors  float32 × dim per passage, in passage order: the rows the
//	         scan reads (in chunks of about 1 MiB once loaded)
//	doclen   uint32 per passage: its number of terms
//	pstart   uint32 per passage + 1: where its terms start in ptid/ptcount
//	ptid     uint32 per passage term: the vocabulary index, in term order
//	ptcount  uint16 per passage term: its frequency
//	tstart   uint32 per term + 1: where its postings start in pdoc/ptf
//	pdoc     uint32 per posting: the passage, in passage order
//	ptf      uint16 per posting: the term's frequency there
//	impact   float32 per term: its BM25 upper bound (bm25.impact)
//	table    the articles, the passages (their text, and the fields they
//	         share with the other passages of their article, once per
//	         article) and the keyword index's vocabulary, sorted; strings
//	         and counts as uvarint-prefixed bytes
//
// On Unix the numeric sections are mapped into memory (private, copy on
// write) and used where they lie: opening reads no more than the checksums
// do. The table, last, is read into the heap: its strings go out to
// callers, who may keep them past the mapping (see fileMapping). Saving
// never rewrites a file in place, it replaces it by rename, so a mapped
// file stays as it was. Elsewhere the whole file is read into the heap.
//
// chromem-go's persistent mode is not used: it writes one file per document
// named by 32 bits of a hash of the ID, and at this corpus's size two
// passage IDs collide and one silently overwrites the other.

const (
	indexFileName = "index.bin"
	indexMagic    = "NEWSBOT-INDEX\n"
	formatVersion = 2
	collection    = "passages"
)

// sectionNames are the sections of a saved index, in file order.
var sectionNames = []string{"vectors", "doclen", "pstart", "ptid", "ptcount", "tstart", "pdoc", "ptf", "impact", "table"}

// ErrDamaged reports an index file that cannot be read back: truncated,
// corrupted, or written by an incompatible version. The remedy is a reindex.
var ErrDamaged = errors.New("index file damaged")

type manifest struct {
	Format   int          `json:"format"`
	Embedder EmbedderInfo `json:"embedder"`
	Chunker  string       `json:"chunker"`
	Corpus   string       `json:"corpus,omitempty"`
	Created  time.Time    `json:"created"`
	Articles int          `json:"articles"`
	Passages int          `json:"passages"`
	Sections []section    `json:"sections"`
	// Store, Build and Generation are set in a snapshot of a shared
	// store (shared.go): the store's ID, the build of its passages and
	// the generation the snapshot holds.
	Store      string `json:"store,omitempty"`
	Build      int64  `json:"build,omitempty"`
	Generation int64  `json:"generation,omitempty"`
}

type section struct {
	Name  string `json:"name"`
	Len   int64  `json:"len"`
	CRC32 uint32 `json:"crc32"`
}

// storedPassage is a passage as saved: the passage, its article's content
// hash, and its term counts for the keyword index.
type storedPassage struct {
	Passage
	ArticleHash string
	Terms       []termCount
}

// save writes the snapshot to dir/index.bin atomically: a temporary file in
// the same folder, fsync, rename, fsync of the folder. A crash at any point
// leaves either the old file or the new one, never a mix.
//
// hook, when not nil, is called halfway through writing the temporary file
// (tests use it to kill the process there).
func (s *snapshot) save(dir string, hook func(tmp string)) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	parts := s.sections()
	m := s.manifest
	m.Format = formatVersion
	m.Sections = make([]section, len(parts))
	for i, pieces := range parts {
		sec := section{Name: sectionNames[i]}
		for _, b := range pieces {
			sec.Len += int64(len(b))
			sec.CRC32 = crc32.Update(sec.CRC32, crc32.IEEETable, b)
		}
		m.Sections[i] = sec
	}
	head, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}

	tmp, err := os.CreateTemp(dir, ownedTemp(indexFileName+".tmp-", ""))
	if err != nil {
		return fmt.Errorf("create temporary index file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(head)))
	off := 0
	for i, pieces := range append([][][]byte{{[]byte(indexMagic)}, {n[:]}, {head}}, parts...) {
		if i >= 3 {
			var zero [8]byte
			if _, err := w.Write(zero[:align8(off)-off]); err != nil {
				return fmt.Errorf("write index file: %w", err)
			}
			off = align8(off)
		}
		for _, b := range pieces {
			if _, err := w.Write(b); err != nil {
				return fmt.Errorf("write index file: %w", err)
			}
			off += len(b)
		}
		if i == 3 && hook != nil {
			if err := w.Flush(); err != nil {
				return fmt.Errorf("write index file: %w", err)
			}
			hook(tmp.Name())
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write index file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync index file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close index file: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, indexFileName)); err != nil {
		return fmt.Errorf("replace index file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // Best effort: makes the rename durable on Linux.
		d.Close()
	}
	return nil
}

// sections encodes the snapshot's sections in file order, each in one or
// more pieces written one after the other (the vectors, one a chunk). The
// numeric ones are the snapshot's own arrays viewed as bytes (on
// little-endian machines), not copies.
func (s *snapshot) sections() [][][]byte {
	kw, tl := s.kw, s.terms
	pstart, ptid, ptcount := tl.start, tl.ids, tl.counts
	if len(pstart) == 0 {
		pstart = []uint32{0}
	}
	vectors := make([][]byte, len(s.chunks))
	for i, c := range s.chunks {
		vectors[i] = leBytes(c.vecs)
	}
	one := func(b []byte) [][]byte { return [][]byte{b} }
	return [][][]byte{vectors, one(leBytes(kw.docLen)), one(leBytes(pstart)), one(leBytes(ptid)), one(leBytes(ptcount)),
		one(leBytes(kw.start)), one(leBytes(kw.docs)), one(leBytes(kw.tfs)), one(leBytes(kw.impact)), one(s.table())}
}

// passageMeta is what the passages of one article share.
type passageMeta struct {
	ArticleID, Title, Source, URL, ArticleHash string
	Published                                  time.Time
}

// table encodes the table section.
func (s *snapshot) table() []byte {
	var b []byte
	str := func(v string) {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	num := func(v int) { b = binary.AppendUvarint(b, uint64(v)) }
	when := func(t time.Time) {
		if t.IsZero() {
			str("")
			return
		}
		tb, err := t.MarshalBinary()
		if err != nil { // a zone offset that isn't whole minutes: keep the instant
			tb, _ = t.UTC().MarshalBinary()
		}
		str(string(tb))
	}
	num(len(s.articles))
	for _, a := range s.articles {
		for _, v := range []string{a.ID, a.Path, a.Title, a.Source, a.URL, a.Hash} {
			str(v)
		}
		when(a.Published)
		num(a.Passages)
	}
	var metas []passageMeta
	metaOf := make([]int, len(s.passages))
	for i := range s.passages {
		p := &s.passages[i]
		m := passageMeta{p.ArticleID, p.Title, p.Source, p.URL, p.ArticleHash, p.Published}
		if len(metas) == 0 || metas[len(metas)-1] != m {
			metas = append(metas, m)
		}
		metaOf[i] = len(metas) - 1
	}
	num(len(metas))
	for _, m := range metas {
		for _, v := range []string{m.ArticleID, m.Title, m.Source, m.URL, m.ArticleHash} {
			str(v)
		}
		when(m.Published)
	}
	num(len(s.passages))
	for i := range s.passages {
		p := &s.passages[i]
		num(metaOf[i])
		num(p.Ordinal)
		str(p.ID)
		str(p.Text)
	}
	num(len(s.kw.terms))
	for _, t := range s.kw.terms {
		str(t)
	}
	return b
}

// removeStaleTemps deletes temporary files left by a save that was killed.
// Only a holder of the data folder's lock calls it (lock.go): then no other
// save is writing one.
func removeStaleTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), indexFileName+".tmp-") {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// loadSnapshot reads dir/index.bin. It returns os.ErrNotExist (wrapped) when
// there is no index yet and ErrDamaged (wrapped) when the file can't be
// trusted.
func (ix *Index) loadSnapshot(dir string) (snap *snapshot, err error) {
	path := filepath.Join(dir, indexFileName)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	defer f.Close()
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrDamaged, path, fmt.Sprintf(format, args...))
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	size := st.Size()
	if size < int64(len(indexMagic)+8) || size > math.MaxInt {
		return nil, damaged("not an index file")
	}
	head := make([]byte, len(indexMagic)+8)
	if _, err := f.ReadAt(head, 0); err != nil || string(head[:len(indexMagic)]) != indexMagic {
		return nil, damaged("not an index file")
	}
	hl := binary.LittleEndian.Uint64(head[len(indexMagic):])
	if hl > uint64(size)-uint64(len(head)) {
		return nil, damaged("truncated manifest")
	}
	mb := make([]byte, hl)
	if _, err := f.ReadAt(mb, int64(len(head))); err != nil {
		return nil, damaged("truncated manifest")
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, damaged("manifest: %v", err)
	}
	if m.Format != formatVersion {
		return nil, damaged("format %d, this version reads %d", m.Format, formatVersion)
	}
	if len(m.Sections) != len(sectionNames) {
		return nil, damaged("%d sections, want %d", len(m.Sections), len(sectionNames))
	}
	// Where each section lies; they must end where the file does.
	offs := make([]int, len(m.Sections))
	off := len(head) + int(hl)
	for i, sec := range m.Sections {
		if sec.Name != sectionNames[i] {
			return nil, damaged("section %d is %q, want %q", i, sec.Name, sectionNames[i])
		}
		off = align8(off)
		if sec.Len < 0 || sec.Len > size-int64(min(off, int(size))) {
			return nil, damaged("section %s truncated", sec.Name)
		}
		offs[i] = off
		off += int(sec.Len)
	}
	if int64(off) != size {
		return nil, damaged("%d unexpected bytes at the end", size-int64(off))
	}
	last := len(m.Sections) - 1
	data, unmap, err := mapFile(f, offs[last])
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	mapping := newFileMapping(data, unmap)
	defer func() {
		if snap == nil {
			mapping.release()
		}
	}()
	table := make([]byte, m.Sections[last].Len)
	if _, err := f.ReadAt(table, int64(offs[last])); err != nil {
		return nil, damaged("section table truncated")
	}
	parts := make([][]byte, len(m.Sections))
	for i, sec := range m.Sections {
		if i == last {
			parts[i] = table
		} else {
			parts[i] = data[offs[i] : offs[i]+int(sec.Len)]
		}
		if crc32.ChecksumIEEE(parts[i]) != sec.CRC32 {
			return nil, damaged("section %s checksum mismatch", sec.Name)
		}
	}
	vectors, err1 := viewLE[float32](parts[0])
	doclen, err2 := viewLE[uint32](parts[1])
	pstart, err3 := viewLE[uint32](parts[2])
	ptid, err4 := viewLE[uint32](parts[3])
	ptcount, err5 := viewLE[uint16](parts[4])
	tstart, err6 := viewLE[uint32](parts[5])
	pdoc, err7 := viewLE[uint32](parts[6])
	ptf, err8 := viewLE[uint16](parts[7])
	impact, err9 := viewLE[float32](parts[8])
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7, err8, err9); err != nil {
		return nil, damaged("%v", err)
	}

	// The table is this function's own buffer, never written again: its
	// strings can be pieces of it.
	d := &decoder{s: unsafe.String(unsafe.SliceData(table), len(table))}
	arts, ps, vocab := d.decode()
	if d.err != nil {
		return nil, damaged("table: %v", d.err)
	}
	n, dim, nt, ne := len(ps), m.Embedder.Dim, len(vocab), len(ptid)
	switch {
	case m.Passages != n:
		return nil, damaged("%d passages, the manifest says %d", n, m.Passages)
	case dim <= 0 || len(vectors) != n*dim:
		return nil, damaged("%d vector components for %d passages of %d dims", len(vectors), n, dim)
	case len(doclen) != n || len(pstart) != n+1 || len(tstart) != nt+1 || len(impact) != nt:
		return nil, damaged("keyword index sizes don't match %d passages and %d terms", n, nt)
	case len(ptcount) != ne || len(pdoc) != ne || len(ptf) != ne:
		return nil, damaged("keyword index sizes don't match %d entries", ne)
	}
	if err := checkRuns(tstart, pdoc, uint32(n)); err != nil {
		return nil, damaged("postings: %v", err)
	}
	if err := checkRuns(pstart, ptid, uint32(nt)); err != nil {
		return nil, damaged("passage terms: %v", err)
	}
	for i := range ps {
		ps[i].vec = vectors[i*dim : (i+1)*dim : (i+1)*dim]
	}
	if !slices.IsSortedFunc(ps, comparePassages) {
		return nil, damaged("passages out of order")
	}
	kw := &bm25{terms: vocab, start: tstart, docs: pdoc, tfs: ptf, docLen: doclen, n: n, mapping: mapping}
	kw.finish(impact)
	tl := termLists{vocab: vocab, start: pstart, ids: ptid, counts: ptcount}
	s, err := ix.buildSnapshot(m, ps, arts, snapshotParts{chunks: splitBlock(vectors, dim, ix.chunkRows, mapping), kw: kw, terms: tl})
	if err != nil {
		return nil, damaged("%v", err)
	}
	s.mapping = mapping
	return s, nil
}

// align8 rounds off up to a multiple of 8.
func align8(off int) int { return (off + 7) &^ 7 }

// checkStarts checks the starts of CSR runs over n values: non-decreasing
// from 0 to n.
func checkStarts(start []uint32, n int) error {
	if len(start) == 0 || start[0] != 0 || int(start[len(start)-1]) != n {
		return errors.New("bad run bounds")
	}
	for i := 0; i+1 < len(start); i++ {
		if start[i+1] < start[i] {
			return errors.New("bad run bounds")
		}
	}
	return nil
}

// checkRuns checks CSR arrays: start is non-decreasing from 0 to len(ids),
// and each run ids[start[i]:start[i+1]] is strictly increasing and below
// limit, as binary searches over them need.
func checkRuns(start, ids []uint32, limit uint32) error {
	if err := checkStarts(start, len(ids)); err != nil {
		return err
	}
	for i := 0; i+1 < len(start); i++ {
		lo, hi := start[i], start[i+1]
		for k := lo; k < hi; k++ {
			if ids[k] >= limit || (k > lo && ids[k] <= ids[k-1]) {
				return fmt.Errorf("run %d out of order or range", i)
			}
		}
	}
	return nil
}

// decoder reads the table section, a string (in the heap) that the decoded
// strings are pieces of.
type decoder struct {
	s   string
	err error
}

func (d *decoder) num() int {
	var x uint64
	for shift := uint(0); ; shift += 7 {
		if len(d.s) == 0 || shift > 63 {
			d.fail("truncated number")
			return 0
		}
		c := d.s[0]
		d.s = d.s[1:]
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	if x > 1<<40 {
		d.fail("number out of range")
		return 0
	}
	return int(x)
}

func (d *decoder) str() string {
	n := d.num()
	if n > len(d.s) {
		d.fail("truncated string")
		return ""
	}
	v := d.s[:n]
	d.s = d.s[n:]
	return v
}

func (d *decoder) when() time.Time {
	b := d.str()
	var t time.Time
	if b != "" {
		if err := t.UnmarshalBinary([]byte(b)); err != nil {
			d.fail("bad time")
		}
	}
	return t
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = errors.New(msg)
	}
	d.s = ""
}

// count reads a count of records of at least one byte each.
func (d *decoder) count() int {
	n := d.num()
	if n > len(d.s) {
		d.fail("count out of range")
		return 0
	}
	return n
}

func (d *decoder) decode() ([]ArticleInfo, []livePassage, []string) {
	arts := make([]ArticleInfo, d.count())
	for i := range arts {
		a := &arts[i]
		a.ID, a.Path, a.Title, a.Source, a.URL, a.Hash = d.str(), d.str(), d.str(), d.str(), d.str(), d.str()
		a.Published = d.when()
		a.Passages = d.num()
	}
	metas := make([]passageMeta, d.count())
	for i := range metas {
		m := &metas[i]
		m.ArticleID, m.Title, m.Source, m.URL, m.ArticleHash = d.str(), d.str(), d.str(), d.str(), d.str()
		m.Published = d.when()
	}
	ps := make([]livePassage, d.count())
	for i := range ps {
		mi := d.num()
		if mi >= len(metas) {
			d.fail("passage of an unknown article")
			return nil, nil, nil
		}
		m := &metas[mi]
		ps[i].Passage = Passage{ArticleID: m.ArticleID, Title: m.Title, Source: m.Source, URL: m.URL, Published: m.Published, Ordinal: d.num()}
		ps[i].ArticleHash = m.ArticleHash
		ps[i].ID, ps[i].Text = d.str(), d.str()
	}
	vocab := make([]string, d.count())
	for i := range vocab {
		vocab[i] = d.str()
		if i > 0 && vocab[i] <= vocab[i-1] {
			d.fail("vocabulary out of order")
		}
	}
	if d.err == nil && d.s != "" {
		d.fail("unexpected bytes at the end")
	}
	return arts, ps, vocab
}

// littleEndian reports whether this machine lays numbers out as the index
// file does, so that arrays are written and read as they lie in memory.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

type number interface{ ~uint16 | ~uint32 | ~float32 }

// asBytes is the memory of s.
func asBytes[T number](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// leBytes is s as little-endian bytes: its own memory on little-endian
// machines, a copy elsewhere.
func leBytes[T number](s []T) []byte {
	b := asBytes(s)
	if littleEndian {
		return b
	}
	b = slices.Clone(b)
	swapBytes(b, int(unsafe.Sizeof(*new(T))))
	return b
}

// viewLE returns the little-endian numbers in b: b's own memory on
// little-endian machines when aligned for T, a converted copy otherwise.
func viewLE[T number](b []byte) ([]T, error) {
	w := int(unsafe.Sizeof(*new(T)))
	if len(b)%w != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of %d-byte values", len(b), w)
	}
	if len(b) == 0 {
		return nil, nil
	}
	if littleEndian && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%uintptr(w) == 0 {
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/w), nil
	}
	s := make([]T, len(b)/w)
	copy(asBytes(s), b)
	if !littleEndian {
		swapBytes(asBytes(s), w)
	}
	return s, nil
}

// swapBytes reverses the bytes of each w-byte value of b.
func swapBytes(b []byte, w int) {
	for i := 0; i+w <= len(b); i += w {
		slices.Reverse(b[i : i+w])
	}
}

// readManifest reads only the manifest at the head of dir's index file,
// without checking the sections after it.
func readManifest(dir string) (manifest, error) {
	f, err := os.Open(filepath.Join(dir, indexFileName))
	if err != nil {
		return manifest{}, err
	}
	defer f.Close()
	head := make([]byte, len(indexMagic)+8)
	if _, err := io.ReadFull(f, head); err != nil || string(head[:len(indexMagic)]) != indexMagic {
		return manifest{}, ErrDamaged
	}
	n := binary.LittleEndian.Uint64(head[len(indexMagic):])
	if n > 1<<20 {
		return manifest{}, ErrDamaged
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(f, body); err != nil {
		return manifest{}, ErrDamaged
	}
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return manifest{}, ErrDamaged
	}
	return m, nil
}
