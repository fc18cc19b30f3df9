//go:build !unix

package retrieval

import (
	"fmt"
	"os"
)

// mapFile reads the first size bytes of f into the heap, where memory mapping isn't
// available; there is nothing to unmap.
func mapFile(f *os.File, size int) ([]byte, func([]byte) error, error) {
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return b, nil, nil
}
