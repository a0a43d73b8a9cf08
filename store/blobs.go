package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Blobs are values other packages own and encode themselves: the copy cache,
// model snapshots, index state. Each lives under b/<namespace>/<key>.

// GetBlob returns the blob, or ok=false.
func (s *Badger) GetBlob(ctx context.Context, namespace, k string) ([]byte, bool, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(blobKey(namespace, k))
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get blob %s/%s: %w", namespace, k, err)
	}
	return out, true, nil
}

// PutBlob stores a blob, replacing any before it.
func (s *Badger) PutBlob(ctx context.Context, namespace, k string, v []byte) error {
	if err := CheckKey(namespace, k); err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	err := s.update(ctx, func(txn *badger.Txn) error { return txn.Set(blobKey(namespace, k), v) })
	if err != nil {
		return fmt.Errorf("put blob %s/%s: %w", namespace, k, err)
	}
	return nil
}

// PutBlobTTL stores a blob that Badger drops after ttl: caches that must not
// grow without bound. A blob written under WithSubject is linked to that
// user and erased with them (DeleteUser).
func (s *Badger) PutBlobTTL(ctx context.Context, namespace, k string, v []byte, ttl time.Duration) error {
	if err := CheckKey(namespace, k); err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	err := s.update(ctx, func(txn *badger.Txn) error {
		if id, ok := SubjectFrom(ctx); ok {
			if err := txn.SetEntry(badger.NewEntry(subjectKeyFor(id, namespace, k), nil).WithTTL(ttl)); err != nil {
				return err
			}
		}
		return txn.SetEntry(badger.NewEntry(blobKey(namespace, k), v).WithTTL(ttl))
	})
	if err != nil {
		return fmt.Errorf("put blob %s/%s: %w", namespace, k, err)
	}
	return nil
}

// DeleteBlobs removes every blob of a namespace whose key starts with prefix.
func (s *Badger) DeleteBlobs(ctx context.Context, namespace, prefix string) error {
	return s.dropPrefix(blobKey(namespace, prefix))
}

func blobKey(namespace, k string) []byte {
	return []byte(string(prefixBlob) + namespace + "/" + k)
}

// Blob is one stored blob with its key (without the namespace).
type Blob struct {
	Key   string
	Value []byte
	// Delete, among the blobs PutBlobIf writes with its swap, removes the
	// blob instead (Value is ignored): a delete that only happens if the
	// swap does. Other writes ignore it.
	Delete bool
}

// ListBlobs returns up to first blobs of a namespace whose keys start with
// prefix and sort after after, in key order, and whether more follow.
func (s *Badger) ListBlobs(ctx context.Context, namespace, prefix, after string, first int) ([]Blob, bool, error) {
	var out []Blob
	more := false
	p := blobKey(namespace, prefix)
	base := len(blobKey(namespace, ""))
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true, PrefetchSize: min(max(first, 1), 100)})
		defer it.Close()
		start := p
		if after != "" {
			start = blobKey(namespace, after)
		}
		for it.Seek(start); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := string(it.Item().Key()[base:])
			if after != "" && k == after {
				continue
			}
			if len(out) == first {
				more = true
				return nil
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out = append(out, Blob{Key: k, Value: v})
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("list blobs %s/%s: %w", namespace, prefix, err)
	}
	return out, more, nil
}

// PutBlobs stores several blobs of a namespace in one transaction.
func (s *Badger) PutBlobs(ctx context.Context, namespace string, blobs []Blob) error {
	for _, b := range blobs {
		if err := CheckKey(namespace, b.Key); err != nil {
			return fmt.Errorf("put blobs: %w", err)
		}
	}
	err := s.update(ctx, func(txn *badger.Txn) error {
		for _, b := range blobs {
			if err := txn.Set(blobKey(namespace, b.Key), b.Value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put blobs %s: %w", namespace, err)
	}
	return nil
}

// GetBlobVersion returns the blob and its version: the commit timestamp
// of its last write, which Badger never hands out twice. 0: no blob.
func (s *Badger) GetBlobVersion(ctx context.Context, namespace, k string) ([]byte, int64, error) {
	var out []byte
	var version int64
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(blobKey(namespace, k))
		if err != nil {
			return err
		}
		version = int64(item.Version())
		out, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get blob %s/%s: %w", namespace, k, err)
	}
	return out, version, nil
}

// PutBlobIf stores the blob and those in with if k still has version. The
// read of k is part of the transaction, so a write to k committed after it
// fails the commit with a conflict; update then runs fn again, which sees
// the new version and writes nothing.
func (s *Badger) PutBlobIf(ctx context.Context, namespace, k string, v []byte, version int64, with ...Blob) (bool, error) {
	for _, key := range append([]string{k}, blobKeysOf(with)...) {
		if err := CheckKey(namespace, key); err != nil {
			return false, fmt.Errorf("put blob: %w", err)
		}
	}
	var swapped bool
	err := s.update(ctx, func(txn *badger.Txn) error {
		swapped = false
		var cur int64
		item, err := txn.Get(blobKey(namespace, k))
		switch {
		case err == nil:
			cur = int64(item.Version())
		case !errors.Is(err, badger.ErrKeyNotFound):
			return err
		}
		if cur != version {
			return nil
		}
		for _, b := range with {
			set := txn.Set
			if b.Delete {
				set = func(key, _ []byte) error { return txn.Delete(key) }
			}
			if err := set(blobKey(namespace, b.Key), b.Value); err != nil {
				return err
			}
		}
		if err := txn.Set(blobKey(namespace, k), v); err != nil {
			return err
		}
		swapped = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("put blob %s/%s if version %d: %w", namespace, k, version, err)
	}
	return swapped, nil
}

func blobKeysOf(bs []Blob) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Key
	}
	return out
}
