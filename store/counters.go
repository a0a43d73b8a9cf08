package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Counters are int64 totals other packages own and only ever add to:
// experiment exposures and outcomes, recommendation impressions. They live
// under n/<namespace>/<key>. Adding deltas, not writing totals, is what lets
// several writers (buffers flushed by several replicas) sum up correctly.
var prefixCounter = []byte("n/")

func counterBlobKey(namespace, k string) []byte {
	return []byte(string(prefixCounter) + namespace + "/" + k)
}

// AddCounters adds each delta to its counter of the namespace, in one
// transaction. A counter that reaches zero or less is removed.
func (s *Badger) AddCounters(ctx context.Context, namespace string, deltas map[string]int64) error {
	if len(deltas) == 0 {
		return nil
	}
	keyed := make(map[string]int64, len(deltas))
	for k, d := range deltas {
		if err := CheckKey(namespace, k); err != nil {
			return fmt.Errorf("add counters: %w", err)
		}
		keyed[string(counterBlobKey(namespace, k))] += d
	}
	if err := s.update(ctx, func(txn *badger.Txn) error { return addCounts(txn, keyed) }); err != nil {
		return fmt.Errorf("add counters %s: %w", namespace, err)
	}
	return nil
}

// AddCountersOnce sets the counter onceKey to 1 and adds the deltas, in
// one transaction, unless onceKey is already there. The transaction reads
// onceKey, so Badger's conflict detection makes concurrent callers take
// turns: the one that commits second conflicts, retries (s.update) and then
// finds the key.
func (s *Badger) AddCountersOnce(ctx context.Context, namespace, onceKey string, deltas map[string]int64) (bool, error) {
	if err := CheckKey(namespace, onceKey); err != nil {
		return false, fmt.Errorf("add counters once: %w", err)
	}
	once := string(counterBlobKey(namespace, onceKey))
	keyed := make(map[string]int64, len(deltas))
	for k, d := range deltas {
		if err := CheckKey(namespace, k); err != nil {
			return false, fmt.Errorf("add counters once: %w", err)
		}
		if k != onceKey {
			keyed[string(counterBlobKey(namespace, k))] += d
		}
	}
	var added bool
	err := s.update(ctx, func(txn *badger.Txn) error {
		added = false
		n, err := readCount(txn, []byte(once))
		if err != nil || n > 0 {
			return err
		}
		if err := txn.Set([]byte(once), binary.BigEndian.AppendUint64(nil, 1)); err != nil {
			return err
		}
		added = true
		return addCounts(txn, keyed)
	})
	if err != nil {
		return false, fmt.Errorf("add counters %s once %q: %w", namespace, onceKey, err)
	}
	return added, nil
}

// Counters returns the counters of a namespace whose keys start with prefix,
// keyed without the namespace.
func (s *Badger) Counters(ctx context.Context, namespace, prefix string) (map[string]int64, error) {
	out := map[string]int64{}
	p := counterBlobKey(namespace, prefix)
	base := len(counterBlobKey(namespace, ""))
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := it.Item().KeyCopy(nil)
			n, err := readCount(txn, k)
			if err != nil {
				return err
			}
			out[strings.Clone(string(k[base:]))] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("counters %s/%s: %w", namespace, prefix, err)
	}
	return out, nil
}

// DeleteCounters removes the counters of a namespace whose keys start with
// prefix.
func (s *Badger) DeleteCounters(ctx context.Context, namespace, prefix string) error {
	if err := s.dropPrefix(counterBlobKey(namespace, prefix)); err != nil {
		return fmt.Errorf("delete counters %s/%s: %w", namespace, prefix, err)
	}
	return nil
}
