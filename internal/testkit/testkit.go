// Package testkit holds the small helpers that tests of several packages
// share: a log buffer safe for concurrent writers, a private copy of the
// repository's seed articles, and the shared corpora (BBC) that tests and
// benchmarks use when they are present. It is test infrastructure: no
// production package imports it.
package testkit

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Buffer is a bytes.Buffer safe for concurrent use, for capturing logs
// written by several goroutines.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// SeedsDir is the repository's testdata/articles folder.
func SeedsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "articles")
}

// CopySeeds copies the seed articles into a new folder of the test's and
// returns it, so a test can add, change or remove articles freely.
func CopySeeds(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "corpus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(SeedsDir())
	if err != nil {
		t.Fatalf("seed articles: %v", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(SeedsDir(), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
