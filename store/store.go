// Package store persists shopmuse's state in Badger: the catalogue, user
// profiles, the interaction event log with its indexes and counters, and
// opaque blobs (copy cache, model snapshots, index state) for other packages.
//
// Key layout (every key starts with a one-letter namespace and a slash; IDs
// never contain control characters, so 0x00 separates an ID from what follows):
//
//	v/schema                          schema version (uint32, big endian)
//	p/<productID>                     product, JSON
//	u/<userID>                        user profile, JSON
//	e/<seq:8>                         event log, append-only, in arrival order (binary event)
//	iu/<userID> 0x00 <inv:8> <kind:1> <productID>   per-user index, newest first (binary event)
//	ip/<productID> 0x00 <inv:8> <kind:1> <userID>   per-product index, newest first (binary event)
//	c/<productID> 0x00 <kind:1>       per-product count of events by kind (uint64)
//	vc/<variantID> 0x00 <field:1>     copy variant counters (impressions, clicks, carts, purchases)
//	vs/<productID> 0x00 <channel> 0x00 <variantID>  variants a product has served -> segment
//	b/<namespace>/<key>               blobs owned by other packages
//	n/<namespace>/<key>               counters owned by other packages (int64)
//	q/events                          Badger sequence for event numbers
//
// inv is math.MaxInt64 minus occurredAt in Unix nanoseconds, so a forward scan
// yields the newest events first. An interaction is a fact identified by
// (user, product, kind, time): the per-user index key is exactly that, so it
// also deduplicates. Every mutation validates first and then writes in one
// transaction; a write conflict is retried.
package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

const schemaVersion = 1

var (
	keySchema    = []byte("v/schema")
	keyEventSeq  = []byte("q/events")
	prefixProd   = []byte("p/")
	prefixUser   = []byte("u/")
	prefixEvent  = []byte("e/")
	prefixByUser = []byte("iu/")
	prefixByProd = []byte("ip/")
	prefixCount  = []byte("c/")
	prefixBlob   = []byte("b/")
)

// Options configure Open.
type Options struct {
	// InMemory keeps everything in memory (tests); Dir is ignored.
	InMemory bool
	// Logger receives Badger's warnings and errors; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ValueLogFileSize is the size of one value-log file (default
	// DefaultValueLogFileSize). Garbage collection reclaims whole files but
	// never the one being written, so this bounds the stale bytes kept.
	ValueLogFileSize int64
}

// DefaultValueLogFileSize is 64 MB: Badger's 1 GB default would keep a
// gigabyte of stale model snapshots before collecting any.
const DefaultValueLogFileSize = 64 << 20

// Badger is the embedded Store, the default: one process per data
// directory. It is safe for concurrent use.
type Badger struct {
	db  *badger.DB
	seq *badger.Sequence
	now func() time.Time
	// lookups counts Products and Users calls (each one batch read), so
	// tests can prove dataloaders batch.
	lookups  atomic.Int64
	products *ProductCache
	// gcMu keeps value-log collections one at a time (Badger refuses
	// concurrent ones).
	gcMu sync.Mutex
	// dropMu makes writes wait for a prefix delete: Badger's DropPrefix
	// blocks every write while it runs (they fail with ErrBlockedWrites,
	// and so does a second DropPrefix), so update holds it shared and
	// dropPrefix alone.
	dropMu sync.RWMutex
}

// Lookups is the number of Products and Users calls so far.
func (s *Badger) Lookups() int64 { return s.lookups.Load() }

// Open opens (creating if needed) the store in dir.
func Open(dir string, o Options) (*Badger, error) {
	bo := badger.DefaultOptions(dir).
		// An acknowledged write must survive a process crash: fsync the value
		// log on every commit. Batches keep the cost per event small.
		WithSyncWrites(true).
		WithLogger(badgerLogger{o.Logger}).
		WithNumVersionsToKeep(1).
		WithCompactL0OnClose(true)
	if o.ValueLogFileSize > 0 {
		bo = bo.WithValueLogFileSize(o.ValueLogFileSize)
	} else {
		bo = bo.WithValueLogFileSize(DefaultValueLogFileSize)
	}
	if o.InMemory {
		bo = bo.WithInMemory(true).WithDir("").WithValueDir("")
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("open badger at %q: %w", dir, err)
	}
	s := &Badger{db: db, now: o.Now, products: NewProductCache(50_000)}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	if s.seq, err = db.GetSequence(keyEventSeq, 1024); err != nil {
		db.Close()
		return nil, fmt.Errorf("event sequence: %w", err)
	}
	return s, nil
}

// migrate stamps a new store with the schema version and refuses a store
// written by a newer shopmuse.
func (s *Badger) migrate() error {
	return s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(keySchema)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return txn.Set(keySchema, binary.BigEndian.AppendUint32(nil, schemaVersion))
		}
		if err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		return item.Value(func(v []byte) error {
			if len(v) != 4 {
				return fmt.Errorf("corrupt schema version")
			}
			if got := binary.BigEndian.Uint32(v); got > schemaVersion {
				return fmt.Errorf("store schema version %d is newer than this build's %d", got, schemaVersion)
			}
			return nil
		})
	})
}

// Close releases the sequence and closes Badger cleanly.
func (s *Badger) Close() error {
	var errs []error
	if s.seq != nil {
		errs = append(errs, s.seq.Release())
	}
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
}

// Now is the store's clock, shared with validation so both agree on "now".
func (s *Badger) Now() time.Time { return s.now() }

// How update retries a write conflict: after a random pause, up to
// maxConflictPause, which doubles from 1 ms with each conflict. A conflict
// means another writer committed a key this one read (a counter, most
// often: many clicks on one product or experiment arm at once), so there
// is progress; the random pauses spread the writers out. 16 quick retries
// were not enough: of 64 clicks on one product at once, a fifth failed.
const (
	maxConflictRetries = 200
	maxConflictPause   = 32 * time.Millisecond
)

// update runs fn in a read-write transaction, retrying on write conflicts
// (concurrent writers touching the same counters) a bounded number of times.
func (s *Badger) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	var err error
	for attempt := 0; attempt < maxConflictRetries; attempt++ {
		if err = ctx.Err(); err != nil {
			return err
		}
		s.dropMu.RLock()
		err = s.db.Update(fn)
		s.dropMu.RUnlock()
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
		pause := min(time.Millisecond<<min(attempt, 5), maxConflictPause)
		time.Sleep(rand.N(pause) + time.Millisecond/4)
	}
	return fmt.Errorf("gave up after repeated write conflicts: %w", err)
}

// dropPrefix deletes every key under prefix, while no write runs.
func (s *Badger) dropPrefix(prefix []byte) error {
	s.dropMu.Lock()
	defer s.dropMu.Unlock()
	return s.db.DropPrefix(prefix)
}

// Sizes reports Badger's on-disk LSM and value-log sizes in bytes.
func (s *Badger) Sizes() (lsm, vlog int64) { return s.db.Size() }

// IsEmpty reports whether the store holds no products and no users: a fresh
// store, which is when the demo shop is loaded.
func (s *Badger) IsEmpty() (bool, error) {
	empty := true
	err := s.db.View(func(txn *badger.Txn) error {
		for _, prefix := range [][]byte{prefixProd, prefixUser, prefixEvent} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
			it.Rewind()
			if it.Valid() {
				empty = false
			}
			it.Close()
		}
		return nil
	})
	return empty, err
}

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	if b.l != nil {
		b.l.Error("badger", "msg", fmt.Sprintf(f, a...))
	}
}

func (b badgerLogger) Warningf(f string, a ...any) {
	if b.l != nil {
		b.l.Warn("badger", "msg", fmt.Sprintf(f, a...))
	}
}
func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}

func key(prefix []byte, parts ...string) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p) + 1
	}
	k := make([]byte, 0, n)
	k = append(k, prefix...)
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}
