package article

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// item is an article with the JSON Lines line it came from (0 otherwise),
// so that duplicate IDs can be reported against the right line.
type item struct {
	art  Article
	line int
}

// Parse parses one file's bytes. name is the path relative to the corpus
// root (slash-separated); it gives the article ID and, by its extension, the
// format. Parse is what an upload handler calls.
//
// It returns the articles and the records it skipped inside the file (JSON
// Lines lines, JSON array items), or an error naming what was wrong with the
// whole file: empty, binary, too large, invalid JSON, unsupported extension,
// or no article text. The errors wrap ErrEmpty, ErrBinary, ErrTooLarge,
// ErrInvalidJSON, ErrUnsupported and ErrNoText.
//
// Parse cleans each article on its own; the corpus-level boilerplate removal
// of LoadDir needs the whole corpus (see RemoveRepeatedLines).
func Parse(name string, data []byte, opts Options) ([]Article, []Problem, error) {
	items, problems, err := parseItems(name, data, opts)
	if err != nil {
		return nil, nil, err
	}
	arts := make([]Article, len(items))
	for i, it := range items {
		arts[i] = it.art
	}
	return arts, problems, nil
}

func parseItems(name string, data []byte, opts Options) ([]item, []Problem, error) {
	name = strings.TrimLeft(path.Clean("/"+strings.ReplaceAll(name, "\\", "/")), "/")
	items, problems, err := parseFormat(name, data, opts)
	if err != nil {
		return nil, nil, err
	}
	return dedupe(items, problems)
}

// dedupe keeps the first article of each ID within one file and reports
// the others.
func dedupe(items []item, problems []Problem) ([]item, []Problem, error) {
	if len(items) < 2 {
		return items, problems, nil
	}
	seen := make(map[string]bool, len(items))
	kept := items[:0:0]
	for _, it := range items {
		if seen[it.art.ID] {
			problems = append(problems, Problem{
				Path:   it.art.Path,
				Line:   it.line,
				Reason: fmt.Sprintf("duplicate ID %q (already used earlier in this file)", it.art.ID),
			})
			continue
		}
		seen[it.art.ID] = true
		kept = append(kept, it)
	}
	return kept, problems, nil
}

func parseFormat(name string, data []byte, opts Options) ([]item, []Problem, error) {
	f := formatOf(name)
	if f == formatUnknown {
		return nil, nil, newFileError(ErrUnsupported, fmt.Sprintf("unsupported extension %q", path.Ext(name)))
	}
	if limit := opts.maxBytes(); int64(len(data)) > limit {
		return nil, nil, tooLarge(int64(len(data)), limit)
	}
	text, err := decode(data)
	if err != nil {
		return nil, nil, err
	}
	switch f {
	case formatText, formatMarkdown:
		it, err := parseText(name, text, f == formatMarkdown)
		if err != nil {
			return nil, nil, err
		}
		return []item{it}, nil, nil
	case formatHTML:
		it, err := parseHTML(name, text)
		if err != nil {
			return nil, nil, err
		}
		return []item{it}, nil, nil
	case formatJSON:
		return parseJSON(name, text, opts.maxArticles())
	default:
		return parseJSONL(name, text, opts.maxArticles())
	}
}

func tooLarge(size, limit int64) error {
	return newFileError(ErrTooLarge, fmt.Sprintf("larger than %s limit (%d bytes)", formatSize(limit), size))
}

// formatSize writes a byte count the way people state limits ("10 MiB").
func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decode turns file bytes into clean UTF-8 text with "\n" line ends. Bytes
// that are not valid UTF-8 are read as Windows-1252, the usual encoding of
// older Western news files (a superset of Latin-1's printable characters).
func decode(data []byte) (string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return "", newFileError(ErrEmpty, "empty file")
	}
	var text string
	switch {
	case bytes.HasPrefix(data, bomUTF16LE) || bytes.HasPrefix(data, bomUTF16BE):
		s, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder().Bytes(data)
		if err != nil {
			return "", newFileError(ErrBinary, "binary content (bad UTF-16)")
		}
		text = string(s)
		if strings.ContainsRune(text, 0) || controlHeavy([]byte(text)) {
			return "", newFileError(ErrBinary, "binary content")
		}
	default:
		if bytes.IndexByte(data, 0) >= 0 || controlHeavy(data) {
			return "", newFileError(ErrBinary, "binary content")
		}
		data = bytes.TrimPrefix(data, bomUTF8)
		if utf8.Valid(data) {
			text = string(data)
		} else {
			s, err := charmap.Windows1252.NewDecoder().Bytes(data)
			if err != nil {
				return "", newFileError(ErrBinary, "binary content (undecodable text)")
			}
			text = string(s)
		}
	}
	text = strings.TrimPrefix(text, "\uFEFF")
	if strings.IndexByte(text, '\r') >= 0 {
		text = strings.ReplaceAll(text, "\r\n", "\n")
		text = strings.ReplaceAll(text, "\r", "\n")
	}
	text = sanitize(text)
	if strings.TrimSpace(text) == "" {
		return "", newFileError(ErrEmpty, "empty file")
	}
	return text, nil
}

// controlHeavy reports whether more than 5% of the first 32 KiB are control
// bytes that never appear in text files.
func controlHeavy(data []byte) bool {
	sample := data
	if len(sample) > 32<<10 {
		sample = sample[:32<<10]
	}
	n := 0
	for _, c := range sample {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7F {
			n++
		}
	}
	return n*20 > len(sample)
}
