package store

import (
	"context"
	"fmt"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// Store is what the use cases need of persistence. Two backends implement
// it: Badger (this package, embedded, the default) and PostgreSQL
// (store/postgres, shared by several replicas). The conformance suite in
// store/storetest holds both to the same behaviour: validation, userErrors,
// ordering, cursors and erasure.
//
// Every write is one transaction: it happens entirely or not at all.
type Store interface {
	// Now is the store's clock, shared with validation so both agree on "now".
	Now() time.Time
	// IsEmpty reports whether the store holds no products, users or events.
	IsEmpty() (bool, error)
	// Close releases the backend.
	Close() error

	// UpsertProducts writes normalised products (see shop.NormalizeProducts).
	// A new product gets version 1; a changed one keeps createdAt and bumps
	// updatedAt and its version; an unchanged one is returned as stored.
	UpsertProducts(ctx context.Context, products []shop.Product) ([]shop.Product, error)
	// Product returns one product, or nil.
	Product(ctx context.Context, id string) (*shop.Product, error)
	// Products returns the products with the given IDs in order, nil where
	// there is none.
	Products(ctx context.Context, ids []string) ([]*shop.Product, error)
	// DeleteProducts removes products and returns the IDs that existed.
	DeleteProducts(ctx context.Context, ids []string) ([]string, error)
	// ListProducts returns up to first products after the ID after ("" = from
	// the start), in ID (byte) order, that pass the filter.
	ListProducts(ctx context.Context, first int, after string, filter *shop.ProductFilter) (Page[shop.Product], error)
	// CountProducts counts the products that pass the filter.
	CountProducts(ctx context.Context, filter *shop.ProductFilter) (int, error)
	// EachProduct calls fn for every product in ID order.
	EachProduct(ctx context.Context, fn func(*shop.Product) error) error
	// ForgetProducts drops cached copies of these products: another replica
	// changed them (the bus calls it). Writes through this Store need not.
	ForgetProducts(ids []string)

	// UpsertUsers writes normalised users, keeping createdAt.
	UpsertUsers(ctx context.Context, users []shop.User) ([]shop.User, error)
	// User returns one user, or nil.
	User(ctx context.Context, id string) (*shop.User, error)
	// Users returns the users with the given IDs in order, nil where absent.
	Users(ctx context.Context, ids []string) ([]*shop.User, error)
	// ListUsers returns up to first users after the ID after, in ID order.
	ListUsers(ctx context.Context, first int, after string) (Page[shop.User], error)
	// CountUsers counts every user.
	CountUsers(ctx context.Context) (int, error)
	// EachUser calls fn for every user in ID order.
	EachUser(ctx context.Context, fn func(*shop.User) error) error
	// DeleteUser erases a user: profile, every interaction and what was
	// derived from them, and every blob linked to them (WithSubject). It
	// reports whether the user or any of their events existed.
	DeleteUser(ctx context.Context, id string) (bool, error)

	// RecordInteractions appends normalised interactions. One naming an
	// unknown user or product rejects the batch with NOT_FOUND errors under
	// field and writes nothing; a fact already recorded is a duplicate.
	RecordInteractions(ctx context.Context, its []shop.Interaction, field string) (RecordResult, []shop.UserError, error)
	// Exist reports, for each ID, whether a product (products=true) or user exists.
	Exist(ctx context.Context, products bool, ids []string) ([]bool, error)
	// UserInteractions returns up to first of the user's interactions,
	// newest first (then by kind code and product ID).
	UserInteractions(ctx context.Context, userID string, first int) ([]Event, error)
	// ProductInteractions returns up to first of the product's
	// interactions, newest first (then by kind code and user ID).
	ProductInteractions(ctx context.Context, productID string, first int) ([]Event, error)
	// EachEvent calls fn for every event in arrival (Seq) order.
	EachEvent(ctx context.Context, fn func(Event) error) error
	// CountEvents counts the events.
	CountEvents(ctx context.Context) (int, error)
	// ProductCounts returns the product's event counts by kind.
	ProductCounts(ctx context.Context, productID string) (map[shop.InteractionKind]int64, error)

	// AddImpressions adds impression counts and remembers which variants
	// each product served.
	AddImpressions(ctx context.Context, counts map[Served]int64) error
	// VariantStats returns the counters of the given variants (zero when none).
	VariantStats(ctx context.Context, ids []string) (map[string]VariantCounts, error)
	// ProductVariants lists the variants a product has served on a channel,
	// in variant ID order.
	ProductVariants(ctx context.Context, productID, channel string) ([]VariantRef, error)

	// Blobs: namespace + key -> bytes other packages encode themselves.
	// Namespaces and keys of blobs and counters are bounded (CheckKey) on
	// every backend alike: PostgreSQL's B-tree cannot index much longer.
	GetBlob(ctx context.Context, namespace, k string) ([]byte, bool, error)
	PutBlob(ctx context.Context, namespace, k string, v []byte) error
	// PutBlobs stores several blobs of a namespace in one transaction.
	PutBlobs(ctx context.Context, namespace string, blobs []Blob) error
	// GetBlobVersion returns a blob with its version, for PutBlobIf; version
	// 0 means there is no blob (an expired cache blob counts as none). A
	// version is a number that changes with every write of the blob, by any
	// method, and never comes back, also after a delete and a new write.
	GetBlobVersion(ctx context.Context, namespace, k string) ([]byte, int64, error)
	// PutBlobIf is a compare-and-swap: it stores the blob k (and the blobs
	// in with, of the same namespace) in one transaction, but only if k
	// still has the version GetBlobVersion returned (0: only if there is
	// none), and reports whether it did. false means another writer came
	// first and nothing was written: read again and retry (UpdateBlob does).
	// The blob written is kept (a cache blob's expiry is dropped); a blob in
	// with under k itself is ignored; one with Delete is removed.
	PutBlobIf(ctx context.Context, namespace, k string, v []byte, version int64, with ...Blob) (bool, error)
	// PutBlobTTL stores a cache entry that disappears after ttl; under
	// WithSubject it is linked to that user and erased with them.
	PutBlobTTL(ctx context.Context, namespace, k string, v []byte, ttl time.Duration) error
	// ListBlobs returns up to first blobs whose keys start with prefix and
	// sort after after, in key (byte) order, and whether more follow.
	ListBlobs(ctx context.Context, namespace, prefix, after string, first int) ([]Blob, bool, error)
	// DeleteBlob removes one blob; a missing one is not an error.
	DeleteBlob(ctx context.Context, namespace, k string) error
	// DeleteBlobs removes every blob of a namespace whose key starts with prefix.
	DeleteBlobs(ctx context.Context, namespace, prefix string) error

	// Counters: int64 totals only ever added to; one that reaches zero or
	// less is removed.
	AddCounters(ctx context.Context, namespace string, deltas map[string]int64) error
	// AddCountersOnce adds deltas at most once per onceKey, across every
	// process sharing the store: in one transaction, only if the counter
	// onceKey is absent, it sets it to 1 and adds the deltas, and reports
	// whether it did. Of concurrent callers with the same onceKey exactly
	// one adds. A delta for onceKey itself is ignored. The once-key is an
	// ordinary counter: Counters lists it and DeleteCounters removes it
	// (after which the next call adds again).
	AddCountersOnce(ctx context.Context, namespace, onceKey string, deltas map[string]int64) (bool, error)
	Counters(ctx context.Context, namespace, prefix string) (map[string]int64, error)
	DeleteCounters(ctx context.Context, namespace, prefix string) error

	// CollectGarbage returns the space of what was overwritten or deleted
	// (Badger's value log; expired cache blobs in PostgreSQL).
	CollectGarbage(ctx context.Context) error
}

// Sizer is implemented by backends that know their size on disk (Badger).
type Sizer interface {
	// Sizes reports the on-disk LSM and value-log sizes in bytes.
	Sizes() (lsm, vlog int64)
}

var _ Store = (*Badger)(nil)

// ForgetProducts drops cached copies of the products.
func (s *Badger) ForgetProducts(ids []string) { s.products.Invalidate(ids) }

// Bounds on blob and counter names, the same on every backend: a
// PostgreSQL B-tree index row holds at most 2704 bytes, and Badger's keys
// would take far more, so a write Badger accepts and PostgreSQL refuses is
// refused on both. Callers hash what could be longer (the copy cache does).
const (
	MaxNamespaceBytes = 128
	MaxKeyBytes       = 1024
)

// CheckKey refuses a blob or counter namespace or key over the bounds.
func CheckKey(namespace, k string) error {
	if len(namespace) > MaxNamespaceBytes {
		return fmt.Errorf("namespace of %d bytes: at most %d", len(namespace), MaxNamespaceBytes)
	}
	if len(k) > MaxKeyBytes {
		return fmt.Errorf("key of %d bytes in %.40q: at most %d", len(k), namespace, MaxKeyBytes)
	}
	return nil
}
