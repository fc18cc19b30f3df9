package retrieval

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// One writer per folder. Two processes can share a data folder (a `bot
// serve` and a `bot index`, two `bot index` runs, replicas on one volume)
// and a corpus folder (two bots ingesting into it). Whoever writes holds an
// OS file lock (flock) on a lock file in the folder for as long as it
// writes:
//
//   - Reindex holds DIR/index.lock, in the data folder, from before it reads
//     the corpus until the new index is saved, so that the index saved last
//     is built from a corpus read after the previous save: no update is lost.
//   - Ingest holds CORPUS/.ingest.lock while it names and writes a file in
//     CORPUS/ingested.
//
// Readers take no lock: searching, and opening an index, never wait for a
// writer, and a writer never waits for them. A long-running `bot serve`
// holds the lock only during its own reindexes.
//
// Temporary files are deleted only by a holder of the folder's lock, when
// no other writer can be writing them (Open cleans only when it gets the
// lock without waiting). Their names carry the writer's process ID, for
// the operator. The lock file itself is never deleted: a process waiting on
// a deleted file would lock a different one than the next writer.
//
// The kernel releases a lock when its holder exits, killed or not, so a
// crash never leaves a folder locked. Where flock is missing (lock_other.go)
// folders are not locked and temporary files are not cleaned.

const (
	// dataLockName is the lock file of a data folder.
	dataLockName = "index.lock"
	// ingestLockName is the lock file of a corpus folder, for Ingest: a dot
	// file, which the corpus loader skips. It is beside the ingest folder,
	// not in it, so that the folder holds only articles.
	ingestLockName = ".ingest.lock"
)

// DefaultLockWait is how long a writer waits for another process to
// release a folder's lock when Options.LockWait is zero.
const DefaultLockWait = 10 * time.Minute

// lockPoll is how often a waiting writer tries the lock again.
const lockPoll = 100 * time.Millisecond

// LockedError is returned when another process held a folder's lock for
// longer than the writer would wait. It matches ErrReindexRunning (with
// errors.Is): callers that retry a busy reindex retry this too.
type LockedError struct {
	// Dir is the folder.
	Dir string
	// Holder is who holds the lock, as it described itself ("process 1234
	// (bot index) on HOST since 2025-01-02T15:04:05Z"), or "" when unknown.
	Holder string
	// Waited is how long the writer waited.
	Waited time.Duration
}

func (e *LockedError) Error() string {
	holder := e.Holder
	if holder == "" {
		holder = "another process"
	}
	return fmt.Sprintf("%s is being written by %s; gave up after waiting %s", e.Dir, holder, e.Waited.Round(time.Second))
}

// Is makes a LockedError match ErrReindexRunning.
func (e *LockedError) Is(target error) bool { return target == ErrReindexRunning }

// folderLock is a held lock on a folder.
type folderLock struct {
	f *os.File
}

// lockFolder takes the lock of dir (its lock file name), waiting up to wait
// for another process to release it; ctx ends the wait early. waiting, when
// not nil, is called once, before the first wait, with the holder's
// description. owner says who takes it, for those who wait on it.
func lockFolder(ctx context.Context, dir, name, owner string, wait time.Duration, waiting func(holder string)) (*folderLock, error) {
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	start := time.Now()
	for first := true; ; first = false {
		ok, err := tryLockFile(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			break
		}
		holder := readHolder(f)
		if first && waiting != nil && wait > 0 {
			waiting(holder)
		}
		if time.Since(start) >= wait {
			f.Close()
			return nil, &LockedError{Dir: dir, Holder: holder, Waited: time.Since(start)}
		}
		t := time.NewTimer(min(lockPoll, max(wait-time.Since(start), 0)))
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("wait for %s to release %s: %w", orAnother(holder), dir, context.Cause(ctx))
		case <-t.C:
		}
	}
	// Say who holds it, for whoever waits next (the host tells apart
	// containers sharing a volume, where every process is PID 1). Best
	// effort: the lock holds without it.
	if err := f.Truncate(0); err == nil {
		host, _ := os.Hostname()
		f.WriteAt([]byte(fmt.Sprintf("process %d (%s) on %s since %s\n", os.Getpid(), owner, cmp.Or(host, "this host"), time.Now().UTC().Format(time.RFC3339))), 0)
	}
	return &folderLock{f: f}, nil
}

// tryLockFolder takes the lock of dir only when it is free; it returns nil
// when another process holds it or the lock file can't be opened (a
// read-only folder).
func tryLockFolder(dir, name, owner string) *folderLock {
	if !locksWork {
		return nil
	}
	l, err := lockFolder(context.Background(), dir, name, owner, 0, nil)
	if err != nil {
		return nil
	}
	return l
}

// unlock releases the lock. The holder's description goes first, so that
// the file does not name a process that no longer writes.
func (l *folderLock) unlock() {
	if l == nil {
		return
	}
	l.f.Truncate(0)
	l.f.Close() // closing the last descriptor releases the lock
}

// readHolder reads the description a holder wrote in the lock file.
func readHolder(f *os.File) string {
	b := make([]byte, 256)
	n, _ := f.ReadAt(b, 0)
	return string(bytes.TrimSpace(b[:n]))
}

func orAnother(holder string) string {
	if holder == "" {
		return "another process"
	}
	return holder
}

// ownedTemp is an os.CreateTemp pattern for a temporary file named prefix +
// this process's ID + "-*" + suffix.
func ownedTemp(prefix, suffix string) string {
	return fmt.Sprintf("%s%d-*%s", prefix, os.Getpid(), suffix)
}

// owner returns who takes the index's locks, as told to waiting processes.
func (ix *Index) owner() string {
	if ix.lockOwner != "" {
		return ix.lockOwner
	}
	return "newsbot"
}

// lockData takes the data folder's lock for a reindex, reporting
// StageWaiting when another process holds it. Holding it, it deletes the
// temporary files of saves that were killed, and adopts the saved index when
// another process saved one since this one was loaded (see adoptSaved).
func (ix *Index) lockData(ctx context.Context, report func(Progress)) (*folderLock, error) {
	if !locksWork {
		return nil, nil
	}
	l, err := lockFolder(ctx, ix.dir, dataLockName, ix.owner(), ix.lockWait, func(holder string) {
		ix.log.Info("waiting for another process to finish writing the index", "dir", ix.dir, "holder", holder, "wait", ix.lockWait)
		report(Progress{Stage: StageWaiting, Holder: orAnother(holder)})
	})
	if err != nil {
		return nil, err
	}
	removeStaleTemps(ix.dir)
	ix.adoptSaved(ctx)
	return l, nil
}

// cleanTemps deletes the temporary files of killed saves in the data
// folder, but only when no other process holds its lock: a writer's file
// in progress is never touched.
func (ix *Index) cleanTemps() {
	if l := tryLockFolder(ix.dir, dataLockName, ix.owner()); l != nil {
		removeStaleTemps(ix.dir)
		l.unlock()
	}
}

// lockIngest takes the ingest lock of a corpus folder and deletes the
// temporary files of ingests that were killed in its ingest folder dir.
func (ix *Index) lockIngest(ctx context.Context, corpus, dir string) (*folderLock, error) {
	if !locksWork {
		return nil, nil
	}
	l, err := lockFolder(ctx, corpus, ingestLockName, ix.owner(), ix.lockWait, func(holder string) {
		ix.log.Info("waiting for another process to finish adding a file", "dir", dir, "holder", holder)
	})
	if err != nil {
		return nil, err
	}
	ix.removeIngestTemps(dir)
	return l, nil
}

// adoptSaved replaces the live snapshot with the saved index when another
// process saved a different one since this one was loaded or saved (a `bot
// index` while `bot serve` runs), so that a reindex reuses its vectors and
// reports its changes against what is on disk. It must be called holding
// the data folder's lock. A saved index this one can't use (damaged, built
// by another embedder or chunker) is left alone; the reindex then saves
// its own (see onDisk).
func (ix *Index) adoptSaved(ctx context.Context) {
	m, err := readManifest(ix.dir)
	if err != nil || sameSave(m, ix.cur.Load().manifest) {
		return
	}
	if m.Embedder != ix.emb.Info() || m.Chunker != ix.chunkerID() {
		return
	}
	snap, err := ix.loadSnapshot(ix.dir)
	if err != nil {
		ix.log.Warn("another process saved an index this one cannot read; it will be replaced", "dir", ix.dir, "err", err)
		return
	}
	if reason := ix.attach(snap); reason != "" {
		return
	}
	if ctx.Err() != nil {
		return
	}
	ix.cur.Store(snap)
	ix.filler.fill(snap, ix.log)
	ix.stale.Store(nil)
	ix.log.Info("loaded the index another process saved", "dir", ix.dir, "articles", len(snap.articles), "passages", len(snap.passages))
}

// onDisk reports whether the saved index is the snapshot s, so that a
// reindex that changes nothing need not save it.
func (ix *Index) onDisk(s *snapshot) bool {
	m, err := readManifest(ix.dir)
	return err == nil && sameSave(m, s.manifest)
}

// sameSave reports whether two manifests describe the same save.
func sameSave(a, b manifest) bool {
	return a.Created.Equal(b.Created) && a.Articles == b.Articles && a.Passages == b.Passages
}
