package retrieval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	chromem "github.com/philippgille/chromem-go"
)

// The index is saved as one file, so that replacing it is one rename:
//
//	"NEWSBOT-INDEX\n" | uint64 manifest length | manifest (JSON) | sections
//
// The manifest lists each section's length and CRC-32, so a truncated or
// damaged file is detected on open rather than half-loaded. Sections:
// "vectors" is chromem-go's own export of the collection (gob); "passages"
// is the passage table with the keyword index's term counts (gob).
//
// chromem-go's persistent mode is not used: it writes one file per document
// named by 32 bits of a hash of the ID, and at this corpus's size two
// passage IDs collide and one silently overwrites the other.

const (
	indexFileName = "index.bin"
	indexMagic    = "NEWSBOT-INDEX\n"
	formatVersion = 1
	collection    = "passages"
)

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

type passageTable struct {
	Passages []storedPassage
	Articles []ArticleInfo
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
	var vectors bytes.Buffer
	if err := s.db.ExportToWriter(&vectors, false, "", collection); err != nil {
		return fmt.Errorf("export vectors: %w", err)
	}
	var table bytes.Buffer
	stored := make([]storedPassage, len(s.passages))
	for i := range s.passages {
		stored[i] = s.passages[i].storedPassage
	}
	if err := gob.NewEncoder(&table).Encode(passageTable{Passages: stored, Articles: s.articles}); err != nil {
		return fmt.Errorf("encode passages: %w", err)
	}
	m := s.manifest
	m.Format = formatVersion
	m.Sections = []section{
		{Name: "vectors", Len: int64(vectors.Len()), CRC32: crc32.ChecksumIEEE(vectors.Bytes())},
		{Name: "passages", Len: int64(table.Len()), CRC32: crc32.ChecksumIEEE(table.Bytes())},
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
	for i, b := range [][]byte{[]byte(indexMagic), n[:], head, vectors.Bytes(), table.Bytes()} {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("write index file: %w", err)
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
func (ix *Index) loadSnapshot(dir string) (*snapshot, error) {
	path := filepath.Join(dir, indexFileName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrDamaged, path, fmt.Sprintf(format, args...))
	}
	if !bytes.HasPrefix(data, []byte(indexMagic)) {
		return nil, damaged("not an index file")
	}
	rest := data[len(indexMagic):]
	if len(rest) < 8 {
		return nil, damaged("truncated header")
	}
	hl := binary.LittleEndian.Uint64(rest[:8])
	rest = rest[8:]
	if hl > uint64(len(rest)) {
		return nil, damaged("truncated manifest")
	}
	var m manifest
	if err := json.Unmarshal(rest[:hl], &m); err != nil {
		return nil, damaged("manifest: %v", err)
	}
	if m.Format != formatVersion {
		return nil, damaged("format %d, this version reads %d", m.Format, formatVersion)
	}
	rest = rest[hl:]
	parts := map[string][]byte{}
	for _, sec := range m.Sections {
		if sec.Len < 0 || sec.Len > int64(len(rest)) {
			return nil, damaged("section %s truncated", sec.Name)
		}
		b := rest[:sec.Len]
		if crc32.ChecksumIEEE(b) != sec.CRC32 {
			return nil, damaged("section %s checksum mismatch", sec.Name)
		}
		parts[sec.Name] = b
		rest = rest[sec.Len:]
	}
	if len(rest) != 0 {
		return nil, damaged("%d unexpected bytes at the end", len(rest))
	}
	if parts["vectors"] == nil || parts["passages"] == nil {
		return nil, damaged("missing sections")
	}

	var table passageTable
	if err := gob.NewDecoder(bytes.NewReader(parts["passages"])).Decode(&table); err != nil {
		return nil, damaged("passages: %v", err)
	}
	db := chromem.NewDB()
	if err := db.ImportFromReader(bytes.NewReader(parts["vectors"]), "", collection); err != nil {
		return nil, damaged("vectors: %v", err)
	}
	col := db.GetCollection(collection, nil)
	if col == nil {
		return nil, damaged("vectors: no collection")
	}
	// Every passage must have its vector: the check that would catch a
	// store losing documents on its way to disk and back.
	if col.Count() != len(table.Passages) || m.Passages != len(table.Passages) {
		return nil, damaged("%d vectors for %d passages (manifest says %d)", col.Count(), len(table.Passages), m.Passages)
	}
	ps := make([]livePassage, len(table.Passages))
	for i, sp := range table.Passages {
		doc, err := col.GetByID(context.Background(), sp.ID)
		if err != nil {
			return nil, damaged("passage %s has no vector", sp.ID)
		}
		if len(doc.Embedding) != m.Embedder.Dim {
			return nil, damaged("passage %s has %d dims, want %d", sp.ID, len(doc.Embedding), m.Embedder.Dim)
		}
		ps[i] = livePassage{storedPassage: sp, vec: doc.Embedding}
	}
	return ix.buildSnapshot(m, ps, table.Articles)
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
