// Package article loads news articles from files and cleans them for indexing.
//
// It reads plain text, Markdown, HTML, JSON and JSON Lines, repairs the
// encoding (UTF-8, UTF-16 with a byte-order mark, or Windows-1252), takes the
// title and metadata out of the body, detects the outlet that published the
// article, and removes the boilerplate scraped pages carry (share buttons,
// breadcrumbs, app-store lines, photo credits, footers). It does not chunk,
// embed or index: that is the job of package retrieval.
//
// Articles are untrusted input. This package only extracts text; it never
// interprets what the text says.
package article

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"path"
	"strings"
	"time"
)

// Article is one cleaned news article.
type Article struct {
	// ID identifies the article across reindexes. For text, Markdown and HTML
	// files it is the path relative to the corpus root, slash-separated,
	// without extension ("bbc/sport/199"). For JSON and JSON Lines it is the
	// object's "id" field, or "<path-without-extension>/<n>" when the object
	// has none, where n is the 0-based array index for .json files and the
	// 1-based line number for .jsonl files.
	ID string
	// Path is the file the article came from, relative to the corpus root,
	// slash-separated.
	Path string
	// Title is the headline, or "" when none was found.
	Title string
	// Source is the outlet that published the article ("Press TV"), or ""
	// when unknown.
	Source string
	// URL is the article's address when the file gave one.
	URL string
	// Author is the byline when the file gave one.
	Author string
	// Published is the publication time, zero when unknown.
	Published time.Time
	// Text is the cleaned body as written (curly quotes kept), paragraphs
	// separated by "\n\n", without the title line.
	Text string
	// Hash is the hex SHA-256 over the cleaned fields (ID, Title, Source,
	// URL, Author, Published, Text). It changes if and only if the indexed
	// content changes, so callers can re-embed only changed articles.
	Hash string
}

// Problem is a file, or a line of a JSON Lines file, that was skipped.
type Problem struct {
	// Path is the file, relative to the corpus root, slash-separated.
	Path string
	// Line is the 1-based line number for a JSON Lines record, 0 otherwise.
	Line int
	// Reason says what was wrong, for the operator ("empty file").
	Reason string
}

// Options tunes loading, and bounds what one file and one corpus may cost
// (limits.go). Zero fields take the defaults.
type Options struct {
	// MaxFileBytes is the largest file that is read; larger files are
	// reported as Problems. Zero means DefaultMaxFileBytes.
	MaxFileBytes int64
	// MaxArticles is the most articles one file may hold (a JSON array's
	// items, a JSON Lines file's records): a file with more is refused
	// whole, before any of them is parsed, with a *LimitError. Zero means
	// DefaultMaxArticles.
	MaxArticles int
	// MaxTotalBytes bounds the bytes LoadDir reads: a file that would take
	// the total of the files before it (in path order) past it is skipped
	// unread, as a Problem. Zero means DefaultMaxTotalBytes.
	MaxTotalBytes int64
	// MaxTotalArticles bounds the articles LoadDir returns: a file whose
	// articles would take the total past it is skipped whole, as a
	// Problem. Zero means DefaultMaxTotalArticles.
	MaxTotalArticles int
}

// DefaultMaxFileBytes is the file size limit used when Options.MaxFileBytes is 0.
const DefaultMaxFileBytes = 10 << 20

func (o Options) maxBytes() int64 {
	if o.MaxFileBytes <= 0 {
		return DefaultMaxFileBytes
	}
	return o.MaxFileBytes
}

// Errors returned (wrapped) by Parse, so callers such as an upload handler can
// tell the cases apart with errors.Is.
var (
	ErrEmpty       = errors.New("empty file")
	ErrBinary      = errors.New("binary content")
	ErrTooLarge    = errors.New("file too large")
	ErrInvalidJSON = errors.New("invalid JSON")
	ErrUnsupported = errors.New("unsupported file type")
	ErrNoText      = errors.New("no article text")
)

// fileError is an error whose message is written for the operator while
// still matching one of the sentinel errors above.
type fileError struct {
	kind error
	msg  string
	line int // 1-based line of the problem, 0 when unknown
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.kind }

func newFileError(kind error, msg string) error {
	return &fileError{kind: kind, msg: msg}
}

// ErrorLine returns the 1-based line of the file that an error of Parse
// points at (the first syntax error of a JSON file), or 0 when it names
// none.
func ErrorLine(err error) int {
	var fe *fileError
	if errors.As(err, &fe) {
		return fe.line
	}
	return 0
}

// supportedExts are the lower-case extensions read, each with the format
// that reads it, in the order they are named to users.
var supportedExts = []struct {
	ext string
	f   format
}{
	{".txt", formatText},
	{".md", formatMarkdown},
	{".html", formatHTML},
	{".htm", formatHTML},
	{".json", formatJSON},
	{".jsonl", formatJSONL},
}

// Extensions returns the supported extensions, lower case with their dot,
// in the order to name them to users.
func Extensions() []string {
	out := make([]string, len(supportedExts))
	for i, e := range supportedExts {
		out[i] = e.ext
	}
	return out
}

type format int

const (
	formatUnknown format = iota
	formatText
	formatMarkdown
	formatHTML
	formatJSON
	formatJSONL
)

func formatOf(name string) format {
	ext := strings.ToLower(path.Ext(name))
	for _, e := range supportedExts {
		if e.ext == ext {
			return e.f
		}
	}
	return formatUnknown
}

// Supported reports whether a file name has a supported extension
// (.txt .md .html .htm .json .jsonl, in any letter case).
func Supported(name string) bool {
	return formatOf(name) != formatUnknown
}

// stripExt returns a slash-separated name without its extension.
func stripExt(name string) string {
	return strings.TrimSuffix(name, path.Ext(name))
}

// computeHash returns the hex SHA-256 over the fields that are indexed. Each
// field is length-prefixed so that moving text between fields changes the
// hash. Changing what goes in here re-embeds the whole corpus.
func computeHash(a Article) string {
	h := sha256.New()
	var n [8]byte
	pub := ""
	if !a.Published.IsZero() {
		pub = a.Published.UTC().Format(time.RFC3339Nano)
	}
	for _, f := range []string{a.ID, a.Title, a.Source, a.URL, a.Author, pub, a.Text} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}
