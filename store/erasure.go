package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// A blob built from one user's personal data (copy written for their
// persona) is linked to that user under s/<userID>\x00<namespace>/<key>, so
// that erasing the user erases the blob with them.
var prefixSubject = []byte("s/")

type subjectKey struct{}

// WithSubject marks what is written under ctx as built from userID's
// personal data; PutBlobTTL links such blobs to the user.
func WithSubject(ctx context.Context, userID string) context.Context {
	return context.WithValue(ctx, subjectKey{}, userID)
}

// SubjectFrom returns the user WithSubject named, if any.
func SubjectFrom(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(subjectKey{}).(string)
	return id, ok && id != ""
}

func subjectKeyFor(userID, namespace, k string) []byte {
	return append(append(append(append([]byte(nil), prefixSubject...), userID...), 0), blobKey(namespace, k)...)
}

// eraseSubjectBlobs deletes up to limit blobs linked to userID, with their
// links, and returns how many it deleted.
func (s *Badger) eraseSubjectBlobs(txn *badger.Txn, userID string, limit int) (int, error) {
	p := append(append(append([]byte(nil), prefixSubject...), userID...), 0)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
	var links [][]byte
	for it.Rewind(); it.Valid() && len(links) < limit; it.Next() {
		links = append(links, it.Item().KeyCopy(nil))
	}
	it.Close()
	for _, l := range links {
		if err := txn.Delete(bytes.TrimPrefix(l, p)); err != nil {
			return 0, err
		}
		if err := txn.Delete(l); err != nil {
			return 0, err
		}
	}
	return len(links), nil
}

// DeleteBlob removes one blob; a missing one is not an error.
func (s *Badger) DeleteBlob(ctx context.Context, namespace, k string) error {
	err := s.update(ctx, func(txn *badger.Txn) error { return txn.Delete(blobKey(namespace, k)) })
	if err != nil {
		return fmt.Errorf("delete blob %s/%s: %w", namespace, k, err)
	}
	return nil
}

// CollectGarbage rewrites value-log files that are mostly stale, until none
// is: each training rewrites the model snapshot, and without this the old
// ones (with erased users' factors) stay on disk for ever. Badger never
// rewrites the file it is writing to, so the space it can return is bounded
// by the value-log file size (Options.ValueLogFileSize).
func (s *Badger) CollectGarbage(ctx context.Context) error {
	if s.db.Opts().InMemory {
		return nil // no value log to collect
	}
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	for ctx.Err() == nil {
		err := s.db.RunValueLogGC(0.5)
		switch {
		case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrRejected):
			return nil
		case err != nil:
			return fmt.Errorf("value log GC: %w", err)
		}
	}
	return ctx.Err()
}

// CollectGarbageEvery runs s.CollectGarbage every d until ctx ends.
func CollectGarbageEvery(ctx context.Context, s Store, d time.Duration, onErr func(error)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.CollectGarbage(ctx); err != nil && ctx.Err() == nil {
			onErr(err)
		}
	}
}

// DiskSize is the bytes the store's files take on disk.
func (s *Badger) DiskSize() int64 {
	lsm, vlog := s.db.Size()
	return lsm + vlog
}
