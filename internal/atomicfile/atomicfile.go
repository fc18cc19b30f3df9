// Package atomicfile writes files so that a reader, or a restart after a
// crash, sees either the old content or the whole new content, never part
// of it: the data goes to a temporary file in the same folder, is synced,
// then renamed (or linked) into place, and the folder is synced so that the
// new name survives a power cut.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Options tune a write. The zero value replaces the file, names the
// temporary file ".NAME-*.tmp" and keeps the temporary file's mode (0600).
type Options struct {
	// TempPattern names the temporary file, as os.CreateTemp's pattern;
	// ".NAME-*.tmp" when empty. A leading dot keeps it out of folder scans
	// that skip hidden files.
	TempPattern string
	// Perm, when not zero, is the file's mode.
	Perm fs.FileMode
	// NoReplace refuses to replace an existing file: the write fails with
	// an error matching fs.ErrExist, even when the file appeared during
	// the write.
	NoReplace bool
}

// syncDir syncs a folder, so that a rename in it is durable; file systems
// that can't sync a folder (EINVAL) are taken at their word. It is a
// variable for tests.
var syncDir = func(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte, opts Options) error {
	return Write(path, opts, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write writes path atomically with what write writes. Nothing is left
// behind when it fails: neither the temporary file nor a partial path.
// When only the final sync of the folder fails, the file is in place but
// may not survive a power cut, and the error says so.
func Write(path string, opts Options, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	pattern := opts.TempPattern
	if pattern == "" {
		pattern = "." + filepath.Base(path) + "-*.tmp"
	}
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return err
	}
	defer func() {
		// Once linked or renamed, only the temporary name (if any) goes.
		if rmErr := os.Remove(tmp.Name()); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("remove temporary file: %w", rmErr)
		}
	}()
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if opts.Perm != 0 {
		if err := os.Chmod(tmp.Name(), opts.Perm); err != nil {
			return err
		}
	}
	if opts.NoReplace {
		if err := link(tmp.Name(), path); err != nil {
			return err
		}
	} else if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// link puts tmp in place at path without replacing a file already there.
// A hard link does that in one step; on file systems without hard links it
// falls back to a rename after checking that path is free.
func link(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", path, fs.ErrExist)
	}
	if _, statErr := os.Lstat(path); statErr == nil {
		return fmt.Errorf("%s: %w", path, fs.ErrExist)
	}
	return os.Rename(tmp, path)
}
