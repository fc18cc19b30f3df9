package article

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// LoadDir walks root recursively and loads every supported file (see
// Supported). Other files, and files and directories whose names start
// with ".", are skipped silently. Files that cannot be used (empty, binary,
// too large, unreadable, invalid JSON, no text) and duplicate IDs are
// reported as Problems and the walk carries on; the first article with an
// ID wins, in path order.
//
// After loading, lines repeated across many articles of one outlet are
// removed (see RemoveRepeatedLines). Articles are returned sorted by ID and
// problems by path and line.
//
// The error is non-nil only when root is missing, not a directory or
// unreadable, or when ctx ends.
func LoadDir(ctx context.Context, root string, opts Options) ([]Article, []Problem, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, nil, fmt.Errorf("load articles: %w", err)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("load articles: %s is not a directory", root)
	}
	// WalkDir does not descend into a root that is a symbolic link.
	walkRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, nil, fmt.Errorf("load articles: %w", err)
	}
	files, problems, err := listFiles(ctx, walkRoot)
	if err != nil {
		return nil, nil, err
	}
	files, over := admitBytes(walkRoot, files, opts)
	problems = append(problems, over...)

	results := loadFiles(ctx, walkRoot, files, opts)
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("load articles: %w", err)
	}

	var arts []Article
	firstPath := map[string]string{}
	maxArticles := opts.maxTotalArticles()
	for i, res := range results {
		if res.err != nil {
			problems = append(problems, Problem{Path: files[i], Reason: res.err.Error()})
			continue
		}
		if n := newArticles(res.items, firstPath); len(arts)+n > maxArticles {
			problems = append(problems, Problem{Path: files[i], Reason: (&LimitError{
				Limit: FormatCount(int64(maxArticles)) + " articles in the corpus",
				Found: fmt.Sprintf("its %s would take the corpus to %s", plural(n, "article"), FormatCount(int64(len(arts)+n))),
			}).Error()})
			continue
		}
		problems = append(problems, res.problems...)
		for _, it := range res.items {
			if first, dup := firstPath[it.art.ID]; dup {
				problems = append(problems, Problem{
					Path:   it.art.Path,
					Line:   it.line,
					Reason: fmt.Sprintf("duplicate ID %q (already loaded from %s)", it.art.ID, first),
				})
				continue
			}
			firstPath[it.art.ID] = it.art.Path
			arts = append(arts, it.art)
		}
	}

	arts, emptied := removeRepeated(arts)
	problems = append(problems, emptied...)
	sort.Slice(arts, func(i, j int) bool { return arts[i].ID < arts[j].ID })
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].Path != problems[j].Path {
			return problems[i].Path < problems[j].Path
		}
		return problems[i].Line < problems[j].Line
	})
	return arts, problems, nil
}

// newArticles counts the items whose IDs no earlier file took.
func newArticles(items []item, firstPath map[string]string) int {
	n := 0
	for _, it := range items {
		if _, dup := firstPath[it.art.ID]; !dup {
			n++
		}
	}
	return n
}

// plural writes "1 article", "2,000 articles".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return FormatCount(int64(n)) + " " + noun + "s"
}

// listFiles returns the supported files under root as slash-separated
// relative paths, in lexical order. Unreadable subdirectories are Problems.
// Links to folders are followed (a corpus can be assembled from links to
// other corpora), each real folder once, so a link cycle ends.
func listFiles(ctx context.Context, root string) ([]string, []Problem, error) {
	var files []string
	var problems []Problem
	visited := map[string]bool{}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		visited[real] = true
	}
	var walk func(dir, prefix string) error
	walk = func(dir, prefix string) error {
		return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			if p == dir {
				return err // an unreadable root fails the whole load
			}
			rel, relErr := filepath.Rel(dir, p)
			if relErr != nil {
				return relErr
			}
			rel = path.Join(prefix, filepath.ToSlash(rel))
			if strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if err != nil {
				problems = append(problems, Problem{Path: rel, Reason: "unreadable: " + unwrapPathError(err)})
				if d != nil && d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				target, statErr := os.Stat(p)
				if statErr != nil {
					problems = append(problems, Problem{Path: rel, Reason: "unreadable: " + unwrapPathError(statErr)})
					return nil
				}
				if target.IsDir() {
					real, err := filepath.EvalSymlinks(p)
					if err != nil || visited[real] {
						return nil
					}
					visited[real] = true
					if err := walk(real, rel); err != nil && ctx.Err() != nil {
						return err
					}
					return nil
				}
				if !target.Mode().IsRegular() || !Supported(d.Name()) || isReadme(d.Name()) {
					return nil
				}
				files = append(files, rel)
				return nil
			}
			// Skip devices, pipes and sockets, which could block a read.
			if !d.Type().IsRegular() || !Supported(d.Name()) || isReadme(d.Name()) {
				return nil
			}
			files = append(files, rel)
			return nil
		})
	}
	if err := walk(root, ""); err != nil {
		return nil, nil, fmt.Errorf("load articles from %s: %w", root, err)
	}
	sort.Strings(files)
	return files, problems, nil
}

// isReadme reports whether a file describes the corpus rather than being an
// article of it (README.TXT beside the BBC corpus, LICENSE.md).
func isReadme(name string) bool {
	base := strings.ToLower(strings.TrimSuffix(name, filepath.Ext(name)))
	return base == "readme" || base == "license" || base == "licence"
}

// result is what loading one file produced.
type result struct {
	items    []item
	problems []Problem
	err      error
}

// loadFiles reads and parses files with a bounded pool of workers; results
// are in the order of files. Workers stop taking files when ctx ends.
func loadFiles(ctx context.Context, root string, files []string, opts Options) []result {
	results := make([]result, len(files))
	workers := min(max(runtime.GOMAXPROCS(0), 2), 8, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = loadFile(root, files[i], opts)
			}
		}()
	}
feed:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return results
}

// loadFile reads one file, refusing it before reading when it is over the
// size limit, and parses it.
func loadFile(root, rel string, opts Options) result {
	data, err := readLimited(filepath.Join(root, filepath.FromSlash(rel)), opts.maxBytes())
	if err != nil {
		return result{err: err}
	}
	items, problems, err := parseItems(rel, data, opts)
	return result{items: items, problems: problems, err: err}
}

func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("unreadable: %s", unwrapPathError(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("unreadable: %s", unwrapPathError(err))
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if info.Size() > limit {
		return nil, tooLarge(info.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("unreadable: %s", unwrapPathError(err))
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(int64(len(data)), limit)
	}
	return data, nil
}

// unwrapPathError drops the path from an *fs.PathError (Problems already
// carry the relative path).
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
