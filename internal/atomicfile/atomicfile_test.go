package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// names lists a folder.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.bin")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), Options{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "new" {
		t.Errorf("content %q, want new", got)
	}
	if got := names(t, dir); len(got) != 1 {
		t.Errorf("folder holds %v, want only model.bin", got)
	}
}

func TestWriteNoReplace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "story.txt")
	if err := WriteFile(p, []byte("first"), Options{NoReplace: true, Perm: 0o644, TempPattern: ".ingest-*.tmp"}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v (%v), want 0644", st.Mode(), err)
	}
	err := WriteFile(p, []byte("second"), Options{NoReplace: true})
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("second write: %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "first" {
		t.Errorf("content %q, want the first write kept", got)
	}
	if got := names(t, dir); len(got) != 1 {
		t.Errorf("folder holds %v, want only story.txt", got)
	}
}

// TestWriteFailureLeavesNothing: a writer that fails leaves neither the
// file nor the temporary file, and the error wraps the writer's.
func TestWriteFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("disk full")
	err := Write(filepath.Join(dir, "x"), Options{}, func(w io.Writer) error {
		if _, err := w.Write([]byte("part")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("error %v does not wrap the writer's", err)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

// TestWriteSyncsFolder: the folder holding the file is synced after the
// rename (what makes the new name durable), and a failure to sync it is
// reported.
func TestWriteSyncsFolder(t *testing.T) {
	real := syncDir
	t.Cleanup(func() { syncDir = real })
	var synced []string
	syncDir = func(dir string) error {
		synced = append(synced, dir)
		return real(dir)
	}
	dir := t.TempDir()
	for name, opts := range map[string]Options{"replaced": {}, "new": {NoReplace: true}} {
		synced = nil
		p := filepath.Join(dir, name)
		if err := WriteFile(p, []byte("x"), opts); err != nil {
			t.Fatal(err)
		}
		if len(synced) != 1 || synced[0] != dir {
			t.Errorf("%+v: synced %v, want the folder %s once", opts, synced, dir)
		}
	}

	syncDir = func(string) error { return errors.New("EIO") }
	err := WriteFile(filepath.Join(dir, "g"), []byte("x"), Options{})
	if err == nil || !strings.Contains(err.Error(), "sync folder") {
		t.Errorf("folder sync failure reported as %v", err)
	}
}
