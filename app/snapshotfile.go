package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The serving models' snapshot is a file, replaced atomically by each save.
// It used to be a Badger blob: every training wrote a new one, and Badger
// reclaims an overwritten value only after compactions and value-log
// garbage collection get round to it, so disk grew with every training and
// an erased user's factors stayed on disk long after the erasure. A
// replaced file frees its blocks at once. A store that still holds the
// blob is read once and the blob deleted at the next save.

// SnapshotPath is where the models' snapshot lives under the data directory.
func (c Config) SnapshotPath() string { return filepath.Join(c.Data, "models", "recommend.snapshot") }

// readSnapshotFile returns the snapshot, or ok=false when there is none.
func readSnapshotFile(path string) ([]byte, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read model snapshot: %w", err)
	}
	return b, true, nil
}

// writeSnapshotFile replaces the snapshot atomically: a temporary file in
// the same directory, synced, renamed over the old one, and the directory
// synced, so a crash leaves the old snapshot or the new, never half of one.
func writeSnapshotFile(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".recommend-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// removeSnapshotFile deletes the snapshot; a missing one is no error.
func removeSnapshotFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove model snapshot: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
