package retrieval

import (
	"runtime"
	"sync"
)

// fileMapping is an index file mapped into memory (mapFile): the numeric
// arrays of a loaded snapshot — its vectors, which chromem-go's documents
// share, and its postings — lie where the file does. Everything that holds
// them (the snapshot, its keyword index and its vector scan) holds the
// mapping too, so that it stays mapped while any of them can be used. It
// is unmapped by Index.Close, or by the garbage collector once nothing
// holds it (after a reindex replaced the snapshot, say). Strings are never
// taken from the mapping: they go out to callers, who may keep them.
type fileMapping struct {
	state *mappingState
}

type mappingState struct {
	mu    sync.Mutex
	data  []byte // nil once unmapped
	unmap func([]byte) error
}

func newFileMapping(data []byte, unmap func([]byte) error) *fileMapping {
	m := &fileMapping{state: &mappingState{data: data, unmap: unmap}}
	runtime.AddCleanup(m, (*mappingState).release, m.state)
	return m
}

// release unmaps the file now. Nothing that points into it may be used
// after.
func (m *fileMapping) release() {
	if m != nil {
		m.state.release()
	}
}

func (s *mappingState) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data != nil && s.unmap != nil {
		s.unmap(s.data) // An error leaves the pages mapped: nothing to do.
	}
	s.data = nil
}
