package multitenant

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// store keeps each tenant's settings in a JSON file of the data directory,
// so that a restart keeps what administrators saved.
type store struct {
	dir string
	mu  sync.Mutex
}

func newStore(dir string) (*store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return &store{dir: dir}, nil
}

func (s *store) path(tenant string) string { return filepath.Join(s.dir, tenant+".json") }

// load returns the saved settings of tenant, or def when none were saved.
func (s *store) load(tenant string, def settings) (settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := os.ReadFile(s.path(tenant))
	if errors.Is(err, fs.ErrNotExist) {
		return def, nil
	}
	if err != nil {
		return def, err
	}
	var v settings
	if err := json.Unmarshal(b, &v); err != nil {
		return def, fmt.Errorf("%s: %w", s.path(tenant), err)
	}
	return v, nil
}

// save writes the settings of tenant (readable by the process owner only:
// they hold the client secret), replacing the file atomically.
func (s *store) save(tenant string, v settings) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, tenant+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path(tenant))
}
