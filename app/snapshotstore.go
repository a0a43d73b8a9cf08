package app

import "context"

// modelsSnapshotKey names the snapshot blob in a shared store.
const modelsSnapshotKey = "snapshot"

// readSnapshot returns the saved snapshot: in a shared store (PostgreSQL)
// the blob models/snapshot, where every replica finds it; with Badger the
// file, or a blob left by a version from before snapshots were files.
func (a *App) readSnapshot(ctx context.Context) ([]byte, bool, error) {
	if a.cfg.sharedStore() {
		return a.Store.GetBlob(ctx, modelsNS, modelsSnapshotKey)
	}
	snap, ok, err := readSnapshotFile(a.cfg.SnapshotPath())
	if err != nil || ok {
		return snap, ok, err
	}
	return a.Store.GetBlob(ctx, modelsNS, modelsKey)
}

// writeSnapshot saves a trained snapshot where readSnapshot reads it.
func (a *App) writeSnapshot(ctx context.Context, snap []byte) error {
	switch {
	case a.putSnapshot != nil:
		return a.putSnapshot(ctx, snap)
	case a.cfg.sharedStore():
		return a.Store.PutBlob(ctx, modelsNS, modelsSnapshotKey, snap)
	}
	return writeSnapshotFile(a.cfg.SnapshotPath(), snap)
}

// removeSnapshot deletes the saved snapshot (nothing was trained).
func (a *App) removeSnapshot(ctx context.Context) error {
	if a.cfg.sharedStore() {
		return a.Store.DeleteBlob(ctx, modelsNS, modelsSnapshotKey)
	}
	return removeSnapshotFile(a.cfg.SnapshotPath())
}
