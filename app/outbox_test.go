package app

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// outboxStore is a Badger store with an outbox in memory, recording each
// write's change as the PostgreSQL store records it in the write's
// transaction: replicas in one test process share it, as replicas share
// PostgreSQL.
type outboxStore struct {
	store.Store
	mu        sync.Mutex
	rows      []store.Change
	published int64
}

func (s *outboxStore) record(kind string, v any) {
	b, _ := json.Marshal(v)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows = append(s.rows, store.Change{Seq: int64(len(s.rows) + 1), Kind: kind, Payload: b, At: time.Now()})
}

func (s *outboxStore) PendingChanges(_ context.Context, after int64, limit int) ([]store.Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Change
	for _, c := range s.rows {
		if c.Seq > after && c.Seq > s.published && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *outboxStore) MarkPublished(_ context.Context, upTo int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.published = max(s.published, upTo)
	return nil
}

// pending counts the changes not yet published.
func (s *outboxStore) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rows) - int(s.published)
}

func (s *outboxStore) UpsertProducts(ctx context.Context, ps []shop.Product) ([]shop.Product, error) {
	out, err := s.Store.UpsertProducts(ctx, ps)
	if err == nil {
		ids := make([]string, len(out))
		for i, p := range out {
			ids[i] = p.ID
		}
		s.record(store.ChangeProducts, ids)
	}
	return out, err
}

func (s *outboxStore) DeleteProducts(ctx context.Context, ids []string) ([]string, error) {
	out, err := s.Store.DeleteProducts(ctx, ids)
	if err == nil && len(out) > 0 {
		s.record(store.ChangeProductsDeleted, out)
	}
	return out, err
}

func (s *outboxStore) UpsertUsers(ctx context.Context, us []shop.User) ([]shop.User, error) {
	out, err := s.Store.UpsertUsers(ctx, us)
	if err == nil {
		ids := make([]string, len(out))
		for i, u := range out {
			ids[i] = u.ID
		}
		s.record(store.ChangeUsers, ids)
	}
	return out, err
}

func (s *outboxStore) DeleteUser(ctx context.Context, id string) (bool, error) {
	ok, err := s.Store.DeleteUser(ctx, id)
	if err == nil {
		s.record(store.ChangeUserErased, id)
	}
	return ok, err
}

func (s *outboxStore) RecordInteractions(ctx context.Context, its []shop.Interaction, field string) (store.RecordResult, []shop.UserError, error) {
	res, errs, err := s.Store.RecordInteractions(ctx, its, field)
	if err == nil && errs == nil && len(res.Recorded) > 0 {
		s.record(store.ChangeInteractions, res.Recorded)
	}
	return res, errs, err
}

func (s *outboxStore) PutBlob(ctx context.Context, ns, k string, v []byte) error {
	err := s.Store.PutBlob(ctx, ns, k, v)
	if err == nil {
		s.record(store.ChangeBlob, store.BlobChange{Namespace: ns, Key: k})
	}
	return err
}

func (s *outboxStore) PutBlobs(ctx context.Context, ns string, blobs []store.Blob) error {
	err := s.Store.PutBlobs(ctx, ns, blobs)
	if err == nil {
		keys := make([]string, len(blobs))
		for i, b := range blobs {
			keys[i] = b.Key
		}
		s.record(store.ChangeBlob, store.BlobChange{Namespace: ns, Keys: keys})
	}
	return err
}

func (s *outboxStore) PutBlobIf(ctx context.Context, ns, k string, v []byte, version int64, with ...store.Blob) (bool, error) {
	ok, err := s.Store.PutBlobIf(ctx, ns, k, v, version, with...)
	if err == nil && ok {
		change := store.BlobChange{Namespace: ns, Key: k}
		if len(with) > 0 {
			change = store.BlobChange{Namespace: ns, Keys: []string{k}}
			for _, b := range with {
				change.Keys = append(change.Keys, b.Key)
			}
		}
		s.record(store.ChangeBlob, change)
	}
	return ok, err
}

func (s *outboxStore) DeleteBlob(ctx context.Context, ns, k string) error {
	err := s.Store.DeleteBlob(ctx, ns, k)
	if err == nil {
		s.record(store.ChangeBlobDeleted, store.BlobChange{Namespace: ns, Key: k})
	}
	return err
}

func (s *outboxStore) DeleteBlobs(ctx context.Context, ns, prefix string) error {
	err := s.Store.DeleteBlobs(ctx, ns, prefix)
	if err == nil {
		s.record(store.ChangeBlobDeleted, store.BlobChange{Namespace: ns, Prefix: &prefix})
	}
	return err
}

func (s *outboxStore) AddCounters(ctx context.Context, ns string, deltas map[string]int64) error {
	err := s.Store.AddCounters(ctx, ns, deltas)
	if err == nil {
		var keys []string
		for k := range deltas {
			keys = append(keys, k)
		}
		s.record(store.ChangeCounters, store.CounterChange{Namespace: ns, Keys: keys})
	}
	return err
}

func (s *outboxStore) AddCountersOnce(ctx context.Context, ns, onceKey string, deltas map[string]int64) (bool, error) {
	added, err := s.Store.AddCountersOnce(ctx, ns, onceKey, deltas)
	if err == nil && added {
		keys := []string{onceKey}
		for k := range deltas {
			if k != onceKey {
				keys = append(keys, k)
			}
		}
		s.record(store.ChangeCounters, store.CounterChange{Namespace: ns, Keys: keys})
	}
	return added, err
}
