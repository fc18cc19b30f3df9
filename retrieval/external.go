package retrieval

import (
	"context"
	"log/slog"
)

// An index can also keep its vectors in a store outside the process, which
// several replicas share: Options.Vectors opens it (package
// retrieval/pgvector has the one there is, a PostgreSQL table searched
// with pgvector). The index keeps, saves and loads its own copy of the
// vectors all the same. The outside store is bound to every snapshot the
// index builds (ExternalStore.Bind) and searched instead of the
// snapshot's own vectors, which it falls back on. A snapshot loaded from
// disk is checked against it before it goes live (BoundStore.Attach); a
// reindex brings it in line with the new snapshot in a transaction that
// commits only once the index file is saved (BoundStore.Sync), and keeps
// an unchanged snapshot only while the store still holds it
// (BoundStore.Current).

// StoreOpener opens the outside store of an index; Open calls it once,
// after the index's embedder and chunker are known.
type StoreOpener func(info StoreInfo) (ExternalStore, error)

// StoreInfo tells an outside store what it will hold.
type StoreInfo struct {
	// Embedder made the vectors and Chunker names how the passages were
	// cut: vectors of another embedder or chunker must never be mixed with
	// these.
	Embedder EmbedderInfo
	Chunker  string
	// Logger is the index's.
	Logger *slog.Logger
}

// ExternalStore is a store of an index's vectors outside the process.
type ExternalStore interface {
	// Bind returns the store as it searches snapshot s. It is called for
	// every snapshot the index builds, loaded or reindexed, before the
	// snapshot goes live; local searches the snapshot's own vectors, for
	// the store to fall back on.
	Bind(s SnapshotView, local VectorStore) BoundStore
	// Close releases the store's connections; Index.Close calls it.
	Close()
}

// BoundStore is an outside store bound to one snapshot.
type BoundStore interface {
	VectorStore
	// Attach checks the store against the snapshot, loaded from disk,
	// before it goes live. A stale reason that is not "" means the index
	// must be rebuilt first (Index.Stale); otherwise use tells whether the
	// snapshot searches the store, or its own vectors until the next
	// reindex brings the store in line.
	Attach(ctx context.Context) (stale string, use bool)
	// Current reports whether the store still holds the snapshot as it
	// was attached or synced: a reindex that finds the corpus unchanged
	// keeps the live snapshot only then.
	Current(ctx context.Context) bool
	// Sync begins to bring the store in line with the snapshot, which a
	// reindex has just built. Nothing of it is visible until Commit, which
	// the reindex calls once the index file is saved; after any failure
	// before that, Rollback leaves the store as it was.
	Sync(ctx context.Context) (StoreSync, error)
}

// StoreSync is a BoundStore.Sync under way.
type StoreSync interface {
	Commit(ctx context.Context) error
	// Rollback abandons the sync unless it was committed.
	Rollback()
}

// SnapshotView is what an outside store sees of one snapshot: its articles
// and its passages with their vectors, numbered as VectorStore.Nearest
// numbers them. It is read-only: don't modify what it returns.
type SnapshotView struct{ s *snapshot }

// Len returns the number of passages.
func (v SnapshotView) Len() int { return len(v.s.passages) }

// Articles returns the snapshot's articles, sorted by ID.
func (v SnapshotView) Articles() []ArticleInfo { return v.s.articles }

// Lookup returns the number of the passage with the given ID.
func (v SnapshotView) Lookup(id string) (int, bool) {
	i, ok := v.s.byID[id]
	return i, ok
}

// Passage returns passage i.
func (v SnapshotView) Passage(i int) Passage { return v.s.passages[i].Passage }

// ArticleHash returns the hash of passage i's article (ArticleInfo.Hash):
// it tells the passage's text from another version's.
func (v SnapshotView) ArticleHash(i int) string { return v.s.passages[i].ArticleHash }

// Vector returns passage i's vector.
func (v SnapshotView) Vector(i int) []float32 { return v.s.passages[i].vec }

// ArticlePassages returns the numbers of an article's passages, in order;
// none when the snapshot doesn't hold it.
func (v SnapshotView) ArticlePassages(id string) []int { return v.s.articleRange(id) }

// noSync is the StoreSync of an index without an outside store.
type noSync struct{}

func (noSync) Commit(context.Context) error { return nil }
func (noSync) Rollback()                    {}

// attach checks the outside store, if any, against s, a snapshot loaded
// from disk, and returns why the index must be rebuilt, or "": s then
// searches the store, or its own vectors when the store said so.
func (ix *Index) attach(s *snapshot) string {
	if s.bound == nil {
		return ""
	}
	stale, use := s.bound.Attach(context.Background())
	if stale == "" && !use {
		s.vectors, s.bound = s.local, nil
	}
	return stale
}

// storeCurrent reports whether the outside store, if any, still holds
// snapshot s as it was synced: Reindex's "nothing changed" shortcut is only
// taken then.
func (ix *Index) storeCurrent(ctx context.Context, s *snapshot) bool {
	if ix.ext == nil {
		return true
	}
	return s.bound != nil && s.bound.Current(ctx)
}

// syncStore begins to bring the outside store, if any, in line with s.
func (ix *Index) syncStore(ctx context.Context, s *snapshot) (StoreSync, error) {
	if s.bound == nil {
		return noSync{}, nil
	}
	return s.bound.Sync(ctx)
}
