package store

import (
	"context"
	"errors"
	"time"
)

// Change is one committed write, recorded in the outbox in the same
// transaction as the write itself, so that publishing it to other replicas
// can fail and be retried without losing anything.
type Change struct {
	Seq     int64     // outbox position, assigned by the store, increasing
	Kind    string    // one of the Change* kinds
	Payload []byte    // JSON, per Kind
	At      time.Time // when the write committed (store clock)
}

// Change kinds and their JSON payloads.
const (
	// ChangeInteractions: array of the accepted shop.Interaction values, as stored.
	ChangeInteractions = "interactions"
	// ChangeProducts: array of upserted product IDs.
	ChangeProducts = "products"
	// ChangeProductsDeleted: array of deleted product IDs.
	ChangeProductsDeleted = "products.deleted"
	// ChangeUsers: array of upserted user IDs.
	ChangeUsers = "users"
	// ChangeUserErased: the erased user's ID, a JSON string.
	ChangeUserErased = "user.erased"
	// ChangeBlob: BlobChange with Key (PutBlob) or Keys (PutBlobs: one change
	// per call; PutBlobIf: also the keys it deleted with its swap). Blobs
	// written with PutBlobTTL are caches and emit nothing.
	ChangeBlob = "blob"
	// ChangeBlobDeleted: BlobChange with Prefix (DeleteBlobs) or Key (DeleteBlob).
	ChangeBlobDeleted = "blob.deleted"
	// ChangeCounters: CounterChange with the keys AddCounters touched.
	ChangeCounters = "counters"
)

// BlobChange is the payload of ChangeBlob and ChangeBlobDeleted.
type BlobChange struct {
	Namespace string   `json:"namespace"`
	Key       string   `json:"key,omitempty"`
	Keys      []string `json:"keys,omitempty"`
	Prefix    *string  `json:"prefix,omitempty"`
}

// CounterChange is the payload of ChangeCounters.
type CounterChange struct {
	Namespace string   `json:"namespace"`
	Keys      []string `json:"keys"`
}

// ErrNoOutbox is returned by a backend without an outbox (Badger: a single
// replica has no one to tell).
var ErrNoOutbox = errors.New("store: this backend keeps no outbox")

// Outbox is implemented by the postgres backend.
type Outbox interface {
	// PendingChanges returns up to limit changes with Seq > after, in Seq order.
	PendingChanges(ctx context.Context, after int64, limit int) ([]Change, error)
	// MarkPublished records that every change with Seq <= upTo was published (it may delete them).
	MarkPublished(ctx context.Context, upTo int64) error
}
