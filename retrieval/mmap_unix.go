//go:build unix

package retrieval

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f into memory, private and copy on write:
// nothing written there reaches the file. It returns the function that
// unmaps it.
func mapFile(f *os.File, size int) ([]byte, func([]byte) error, error) {
	b, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, fmt.Errorf("map %s: %w", f.Name(), err)
	}
	return b, syscall.Munmap, nil
}
