package article

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The caps of Options. One upload must not cost gigabytes: a 10 MiB JSON
// Lines file of 557,000 one-word articles took 25 s and 2.7 GB to index and
// made every restart cost 10 s. The defaults leave real corpora alone: the
// BBC corpus (2,225 articles of one file each, 9 MB) and a JSON Lines file
// of a few thousand real articles are far inside them.
const (
	// DefaultMaxArticles is the most articles one file may hold: 10 MiB of
	// articles of 1 KiB each.
	DefaultMaxArticles = 10_000
	// DefaultMaxTotalBytes is the most bytes one LoadDir reads.
	DefaultMaxTotalBytes = 1 << 30
	// DefaultMaxTotalArticles is the most articles one LoadDir returns.
	DefaultMaxTotalArticles = 100_000
)

// ErrOverLimit is matched (errors.Is) by a *LimitError.
var ErrOverLimit = errors.New("over a limit")

// LimitError is a file refused for going over a cap: of Options, or of
// the passages package retrieval adds.
type LimitError struct {
	// Limit is the cap with its value, in words: "10,000 articles per
	// file".
	Limit string
	// Found says what went over it: "the file holds 557,000".
	Found string
}

func (e *LimitError) Error() string {
	if e.Found == "" {
		return "over the limit of " + e.Limit
	}
	return "over the limit of " + e.Limit + " (" + e.Found + ")"
}

// Is makes a LimitError match ErrOverLimit.
func (e *LimitError) Is(target error) bool { return target == ErrOverLimit }

func (o Options) maxArticles() int {
	if o.MaxArticles <= 0 {
		return DefaultMaxArticles
	}
	return o.MaxArticles
}

func (o Options) maxTotalBytes() int64 {
	if o.MaxTotalBytes <= 0 {
		return DefaultMaxTotalBytes
	}
	return o.MaxTotalBytes
}

func (o Options) maxTotalArticles() int {
	if o.MaxTotalArticles <= 0 {
		return DefaultMaxTotalArticles
	}
	return o.MaxTotalArticles
}

// Limits returns o with its zero fields set to the defaults, so that
// callers can name the caps in effect.
func (o Options) Limits() Options {
	return Options{MaxFileBytes: o.maxBytes(), MaxArticles: o.maxArticles(), MaxTotalBytes: o.maxTotalBytes(), MaxTotalArticles: o.maxTotalArticles()}
}

// tooManyArticles refuses a file of n articles, over max.
func tooManyArticles(n, max int) error {
	return &LimitError{Limit: FormatCount(int64(max)) + " articles per file", Found: "the file holds " + FormatCount(int64(n))}
}

// countRecords counts the JSON Lines records of text (its lines that are
// not blank) without parsing them.
func countRecords(text string) int {
	n := 0
	for rest := text; rest != ""; {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

// countItems counts the items of a valid JSON array without parsing them:
// the commas outside strings and nested values, plus one.
func countItems(array []byte) int {
	inner := bytes.TrimSpace(array)
	inner = bytes.TrimSpace(inner[1 : len(inner)-1])
	if len(inner) == 0 {
		return 0
	}
	n, depth, inString, escaped := 1, 0, false, false
	for _, c := range inner {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		}
	}
	return n
}

// admitBytes keeps the files, in path order, whose sizes fit in the
// corpus's byte budget; the others are Problems, unread. Files over the
// per-file limit don't count: loadFile refuses them unread.
func admitBytes(root string, files []string, opts Options) ([]string, []Problem) {
	budget, perFile := opts.maxTotalBytes(), opts.maxBytes()
	var total int64
	var problems []Problem
	kept := files[:0:0]
	for _, rel := range files {
		st, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil || st.Size() > perFile {
			kept = append(kept, rel) // loadFile reports it
			continue
		}
		if total+st.Size() > budget {
			problems = append(problems, Problem{Path: rel, Reason: (&LimitError{
				Limit: formatSize(budget) + " in the corpus",
				Found: "the files before it and this one come to " + approxSize(total+st.Size()),
			}).Error()})
			continue
		}
		total += st.Size()
		kept = append(kept, rel)
	}
	return kept, problems
}

// CorpusBytes returns the bytes of the files LoadDir would read under root
// (before its byte budget), without reading them.
func CorpusBytes(ctx context.Context, root string) (int64, error) {
	walkRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return 0, fmt.Errorf("corpus size: %w", err)
	}
	files, _, err := listFiles(ctx, walkRoot)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, rel := range files {
		if st, err := os.Stat(filepath.Join(walkRoot, filepath.FromSlash(rel))); err == nil {
			total += st.Size()
		}
	}
	return total, nil
}

// FormatCount writes n with thousands separators: "557,000".
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// FormatSize writes a byte count the way people state limits ("10 MiB").
func FormatSize(n int64) string { return formatSize(n) }

// approxSize writes a byte count to a tenth of its unit: "1.2 GiB".
func approxSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return FormatCount(n) + " bytes"
}
