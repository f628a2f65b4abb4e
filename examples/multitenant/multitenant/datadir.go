package multitenant

import (
	"fmt"
	"os"
	"path/filepath"
)

// DefaultDataDir is the data directory of the single-process demo: in the
// user's configuration directory (~/.config on Linux), never in a shared
// temporary one.
func DefaultDataDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "franceconnect-multitenant"), nil
}

// prepareDataDir creates dir (readable by the user only) or checks the one
// that is there: a directory, the process user's, not writable by others.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("data directory %s is not a directory (a symbolic link is refused)", dir)
	}
	return checkPrivate(dir, info)
}
