//go:build unix

package multitenant

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkPrivate refuses a data directory that is not the process user's,
// or that others may write to: a directory planted by another user would
// hand them the portal's settings.
func checkPrivate(dir string, info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case !ok:
		return fmt.Errorf("data directory %s: cannot read its owner", dir)
	case int(st.Uid) != os.Geteuid():
		return fmt.Errorf("data directory %s belongs to user %d, not to this process's user (%d): choose another with -data", dir, st.Uid, os.Geteuid())
	case info.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("data directory %s may be written by other users (mode %v): chmod go-w it, or choose another with -data", dir, info.Mode().Perm())
	}
	return nil
}
