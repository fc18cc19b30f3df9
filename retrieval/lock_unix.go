//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package retrieval

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// locksWork: folders are locked with flock(2).
const locksWork = true

// tryLockFile takes an exclusive flock on f without waiting. It reports
// false when another open file (of this process or another) holds it.
func tryLockFile(f *os.File) (bool, error) {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, unix.EINTR):
			continue
		}
		return false, err
	}
}
