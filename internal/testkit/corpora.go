package testkit

// This file locates the shared corpora that tests and benchmarks use when
// they are present beside the repository (../shared/corpora), and skips
// them when they are not. The corpora are never committed.

import (
	"os"
	"path/filepath"
	"testing"
)

// FindCorpus returns the path of shared/corpora/NAME, looked for beside every
// folder from the working directory up, or "" when there is none.
func FindCorpus(name string) string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		for _, cand := range []string{
			filepath.Join(dir, "..", "shared", "corpora", name),
			filepath.Join(dir, "shared", "corpora", name),
		} {
			if st, err := os.Stat(cand); err == nil && st.IsDir() {
				return filepath.Clean(cand)
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// BBC returns the BBC news corpus folder, or skips tb when it is absent.
func BBC(tb testing.TB) string {
	tb.Helper()
	p := FindCorpus("bbc")
	if p == "" {
		tb.Skip("../shared/corpora/bbc is not present")
	}
	return p
}
