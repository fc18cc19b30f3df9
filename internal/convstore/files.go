package convstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/newsbot/newsbot/internal/atomicfile"
)

// Files keeps conversations in a folder, one JSON file each, written
// atomically. One process writes a folder: replicas share a Postgres
// store instead. It is safe for concurrent use.
type Files struct {
	dir string
	opt Options

	// mu serialises Append's read-modify-write, and guards lastSweep.
	mu        sync.Mutex
	lastSweep time.Time
}

// fileFormat is the content of a conversation's file.
type fileFormat struct {
	Updated time.Time `json:"updated"`
	Turns   []Turn    `json:"turns"`
}

// maxFileBytes bounds what is read of one conversation's file.
const maxFileBytes = 1 << 20

// OpenFiles returns a store keeping conversations in dir, which it
// creates when missing.
func OpenFiles(dir string, opts Options) (*Files, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	return &Files{dir: dir, opt: opts.withDefaults()}, nil
}

func (f *Files) path(key string) string { return filepath.Join(f.dir, key+".json") }

// Turns returns a conversation's turns, oldest first: none when it is
// unknown or has expired.
func (f *Files) Turns(ctx context.Context, key string) ([]Turn, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := f.read(key)
	if err != nil {
		return nil, err
	}
	return c.Turns, nil
}

// read reads a conversation; the zero value when there is none or it has
// expired.
func (f *Files) read(key string) (fileFormat, error) {
	file, err := os.Open(f.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return fileFormat{}, nil
	}
	if err != nil {
		return fileFormat{}, fmt.Errorf("conversation %s: %w", key, err)
	}
	defer file.Close()
	var c fileFormat
	if err := json.NewDecoder(io.LimitReader(file, maxFileBytes)).Decode(&c); err != nil {
		return fileFormat{}, fmt.Errorf("conversation %s: %w", key, err)
	}
	if f.opt.Now().Sub(c.Updated) > f.opt.TTL {
		return fileFormat{}, nil
	}
	return c, nil
}

// Append adds turns to a conversation (starting it), keeps its last max
// turns, and restarts its idle time. Now and then it deletes the files of
// expired conversations.
func (f *Files) Append(ctx context.Context, key string, max int, turns ...Turn) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.read(key)
	if err != nil {
		// A damaged file is replaced: it holds nothing worth more than
		// the new turns.
		c = fileFormat{}
	}
	now := f.opt.Now()
	c = fileFormat{Updated: now.UTC(), Turns: keep(c.Turns, turns, max)}
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("conversation %s: %w", key, err)
	}
	if err := atomicfile.WriteFile(f.path(key), data, atomicfile.Options{Perm: 0o600}); err != nil {
		return fmt.Errorf("conversation %s: %w", key, err)
	}
	if now.Sub(f.lastSweep) >= sweepEvery {
		f.lastSweep = now
		f.sweep(now)
	}
	return nil
}

// sweep deletes the files of conversations idle past the time to live,
// and the files that don't decode.
func (f *Files) sweep(now time.Time) {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		key, ok := strings.CutSuffix(e.Name(), ".json")
		if e.IsDir() || !ok || checkKey(key) != nil {
			continue
		}
		if updated, err := f.updated(key); err != nil || now.Sub(updated) > f.opt.TTL {
			_ = os.Remove(f.path(key))
		}
	}
}

// updated is when a conversation's file was last written, by its content.
func (f *Files) updated(key string) (time.Time, error) {
	file, err := os.Open(f.path(key))
	if err != nil {
		return time.Time{}, err
	}
	defer file.Close()
	var c fileFormat
	if err := json.NewDecoder(io.LimitReader(file, maxFileBytes)).Decode(&c); err != nil {
		return time.Time{}, err
	}
	return c.Updated, nil
}

// Close releases nothing: a Files holds no open file between calls.
func (f *Files) Close() {}
