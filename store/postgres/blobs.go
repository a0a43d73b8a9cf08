package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopmuse/shopmuse/store"
)

// Blob and counter keys are bytea, compared byte by byte as Badger does. A
// prefix is the range [prefix, prefixEnd(prefix)).

// prefixEnd is the smallest byte string greater than every string that
// starts with p, or nil when there is none (p is empty or all 0xff).
func prefixEnd(p string) []byte {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return b[:i+1]
		}
	}
	return nil
}

// prefixRange returns the SQL condition on column col for keys starting
// with p, with its arguments numbered from n.
func prefixRange(col, p string, n int) (string, []any) {
	end := prefixEnd(p)
	if end == nil {
		return fmt.Sprintf("%s >= $%d", col, n), []any{[]byte(p)}
	}
	return fmt.Sprintf("%s >= $%d AND %s < $%d", col, n, col, n+1), []any{[]byte(p), end}
}

// GetBlob returns the blob, or ok=false (also when it expired).
func (s *Store) GetBlob(ctx context.Context, namespace, k string) ([]byte, bool, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, "SELECT value FROM blobs WHERE namespace = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)",
		[]byte(namespace), []byte(k), time.Now()).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get blob %s/%s: %w", namespace, k, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, true, nil
}

const putBlobs = `INSERT INTO blobs (namespace, key, value, expires_at)
	SELECT $1, k, v, $4 FROM unnest($2::bytea[], $3::bytea[]) AS u(k, v)
	ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, version = EXCLUDED.version`

// PutBlob stores a blob, replacing any before it.
func (s *Store) PutBlob(ctx context.Context, namespace, k string, v []byte) error {
	if err := store.CheckKey(namespace, k); err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, putBlobs, []byte(namespace), [][]byte{[]byte(k)}, [][]byte{nonNil(v)}, nil); err != nil {
			return err
		}
		return s.emit(ctx, tx, store.ChangeBlob, store.BlobChange{Namespace: namespace, Key: k})
	})
	if err != nil {
		return fmt.Errorf("put blob %s/%s: %w", namespace, k, err)
	}
	return nil
}

// GetBlobVersion returns the blob and its version (0: no blob, or an
// expired one).
func (s *Store) GetBlobVersion(ctx context.Context, namespace, k string) ([]byte, int64, error) {
	var v []byte
	var version int64
	err := s.pool.QueryRow(ctx, "SELECT value, version FROM blobs WHERE namespace = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)",
		[]byte(namespace), []byte(k), time.Now()).Scan(&v, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get blob %s/%s: %w", namespace, k, err)
	}
	return nonNil(v), version, nil
}

// swapBlob writes the blob if it has version $4 and is live; it returns a
// row when it did. Under READ COMMITTED a concurrent writer of the row
// blocks this UPDATE until it commits, and the WHERE is then checked
// against the row it left, so of two swaps from one version one wins.
const swapBlob = `UPDATE blobs SET value = $3, expires_at = NULL, version = nextval('blob_versions')
	WHERE namespace = $1 AND key = $2 AND version = $4 AND (expires_at IS NULL OR expires_at > $5)
	RETURNING version`

// createBlob writes the blob if there is none, or only an expired one. Of
// two concurrent inserts the second waits for the first and then finds
// the conflict, a live row, and returns nothing.
const createBlob = `INSERT INTO blobs (namespace, key, value) VALUES ($1, $2, $3)
	ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, expires_at = NULL, version = EXCLUDED.version
	WHERE blobs.expires_at IS NOT NULL AND blobs.expires_at <= $4
	RETURNING version`

// PutBlobIf stores the blob and those in with, in one transaction with its
// outbox change, if k still has version (0: if there is none).
func (s *Store) PutBlobIf(ctx context.Context, namespace, k string, v []byte, version int64, with ...store.Blob) (bool, error) {
	keys := []string{k}
	for _, b := range with {
		keys = append(keys, b.Key)
	}
	for _, key := range keys {
		if err := store.CheckKey(namespace, key); err != nil {
			return false, fmt.Errorf("put blob: %w", err)
		}
	}
	// The other blobs: of two with one key the last wins, and k is v.
	last := map[string]store.Blob{}
	for _, b := range with {
		if b.Key != k {
			last[b.Key] = b
		}
	}
	others := make([]string, 0, len(last))
	for key := range last {
		others = append(others, key)
	}
	sort.Strings(others)
	var swapped bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		swapped = false
		var rows pgx.Rows
		var err error
		if version == 0 {
			rows, err = tx.Query(ctx, createBlob, []byte(namespace), []byte(k), nonNil(v), time.Now())
		} else {
			rows, err = tx.Query(ctx, swapBlob, []byte(namespace), []byte(k), nonNil(v), version, time.Now())
		}
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if n == 0 {
			return nil // another writer came first: write nothing
		}
		var ks, vs, dels [][]byte
		for _, key := range others {
			if last[key].Delete {
				dels = append(dels, []byte(key))
			} else {
				ks, vs = append(ks, []byte(key)), append(vs, nonNil(last[key].Value))
			}
		}
		if len(ks) > 0 {
			if _, err := tx.Exec(ctx, putBlobs, []byte(namespace), ks, vs, nil); err != nil {
				return err
			}
		}
		if len(dels) > 0 {
			if _, err := tx.Exec(ctx, "DELETE FROM blobs WHERE namespace = $1 AND key = ANY($2::bytea[])", []byte(namespace), dels); err != nil {
				return err
			}
		}
		change := store.BlobChange{Namespace: namespace, Key: k}
		if len(others) > 0 {
			change = store.BlobChange{Namespace: namespace, Keys: append([]string{k}, others...)}
		}
		if err := s.emit(ctx, tx, store.ChangeBlob, change); err != nil {
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

func nonNil(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

// PutBlobs stores several blobs of a namespace in one transaction; the
// outbox gets one change naming every key. Of two blobs with one key the
// last wins.
func (s *Store) PutBlobs(ctx context.Context, namespace string, blobs []store.Blob) error {
	if len(blobs) == 0 {
		return nil
	}
	last := make(map[string][]byte, len(blobs))
	for _, b := range blobs {
		if err := store.CheckKey(namespace, b.Key); err != nil {
			return fmt.Errorf("put blobs: %w", err)
		}
		last[b.Key] = b.Value
	}
	keys := make([]string, 0, len(last))
	for k := range last {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ks, vs := make([][]byte, len(keys)), make([][]byte, len(keys))
	for i, k := range keys {
		ks[i], vs[i] = []byte(k), nonNil(last[k])
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, putBlobs, []byte(namespace), ks, vs, nil); err != nil {
			return err
		}
		return s.emit(ctx, tx, store.ChangeBlob, store.BlobChange{Namespace: namespace, Keys: keys})
	})
	if err != nil {
		return fmt.Errorf("put blobs %s: %w", namespace, err)
	}
	return nil
}

// PutBlobTTL stores a cache blob that expires after ttl. Caches are not
// published: each replica fills its own misses from the shared store.
func (s *Store) PutBlobTTL(ctx context.Context, namespace, k string, v []byte, ttl time.Duration) error {
	if err := store.CheckKey(namespace, k); err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	exp := time.Now().Add(ttl)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if id, ok := store.SubjectFrom(ctx); ok {
			if _, err := tx.Exec(ctx, `INSERT INTO blob_subjects (user_id, namespace, key, expires_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (user_id, namespace, key) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
				id, []byte(namespace), []byte(k), exp); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, putBlobs, []byte(namespace), [][]byte{[]byte(k)}, [][]byte{nonNil(v)}, exp)
		return err
	})
	if err != nil {
		return fmt.Errorf("put blob %s/%s: %w", namespace, k, err)
	}
	return nil
}

// ListBlobs returns up to first blobs of a namespace whose keys start with
// prefix and sort after after, in key order, and whether more follow.
func (s *Store) ListBlobs(ctx context.Context, namespace, prefix, after string, first int) ([]store.Blob, bool, error) {
	cond, args := prefixRange("key", prefix, 3)
	args = append([]any{[]byte(namespace), time.Now()}, args...)
	sql := "SELECT key, value FROM blobs WHERE namespace = $1 AND (expires_at IS NULL OR expires_at > $2) AND " + cond
	if after != "" {
		args = append(args, []byte(after))
		sql += fmt.Sprintf(" AND key > $%d", len(args))
	}
	sql += " ORDER BY key"
	if first >= 0 {
		args = append(args, first+1)
		sql += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list blobs %s/%s: %w", namespace, prefix, err)
	}
	var out []store.Blob
	more := false
	var k, v []byte
	_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error {
		if first >= 0 && len(out) == first {
			more = true
			return nil
		}
		out = append(out, store.Blob{Key: string(k), Value: append([]byte{}, v...)})
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("list blobs %s/%s: %w", namespace, prefix, err)
	}
	return out, more, nil
}

// DeleteBlob removes one blob; a missing one is not an error.
func (s *Store) DeleteBlob(ctx context.Context, namespace, k string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM blobs WHERE namespace = $1 AND key = $2", []byte(namespace), []byte(k)); err != nil {
			return err
		}
		return s.emit(ctx, tx, store.ChangeBlobDeleted, store.BlobChange{Namespace: namespace, Key: k})
	})
	if err != nil {
		return fmt.Errorf("delete blob %s/%s: %w", namespace, k, err)
	}
	return nil
}

// DeleteBlobs removes every blob of a namespace whose key starts with prefix.
func (s *Store) DeleteBlobs(ctx context.Context, namespace, prefix string) error {
	cond, args := prefixRange("key", prefix, 2)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM blobs WHERE namespace = $1 AND "+cond, append([]any{[]byte(namespace)}, args...)...); err != nil {
			return err
		}
		return s.emit(ctx, tx, store.ChangeBlobDeleted, store.BlobChange{Namespace: namespace, Prefix: &prefix})
	})
	if err != nil {
		return fmt.Errorf("delete blobs %s/%s: %w", namespace, prefix, err)
	}
	return nil
}

// AddCounters adds each delta to its counter of the namespace, in one
// transaction; a counter that reaches zero or less is removed.
func (s *Store) AddCounters(ctx context.Context, namespace string, deltas map[string]int64) error {
	if len(deltas) == 0 {
		return nil
	}
	var c counts
	keys := make([]string, 0, len(deltas))
	for k, d := range deltas {
		if err := store.CheckKey(namespace, k); err != nil {
			return fmt.Errorf("add counters: %w", err)
		}
		c.add(namespace, k, d)
		keys = append(keys, k)
	}
	sort.Strings(keys)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := c.apply(ctx, tx, genericCounters); err != nil {
			return err
		}
		return s.emit(ctx, tx, store.ChangeCounters, store.CounterChange{Namespace: namespace, Keys: keys})
	})
	if err != nil {
		return fmt.Errorf("add counters %s: %w", namespace, err)
	}
	return nil
}

// AddCountersOnce sets the counter onceKey to 1 and adds the deltas, in
// one transaction, unless onceKey is already there. The INSERT … ON
// CONFLICT DO NOTHING of onceKey decides: a concurrent transaction
// inserting the same key waits for this one and then inserts nothing (or
// inserts, if this one rolled back), so exactly one adds the deltas.
func (s *Store) AddCountersOnce(ctx context.Context, namespace, onceKey string, deltas map[string]int64) (bool, error) {
	if err := store.CheckKey(namespace, onceKey); err != nil {
		return false, fmt.Errorf("add counters once: %w", err)
	}
	var c counts
	keys := []string{onceKey}
	for k, d := range deltas {
		if err := store.CheckKey(namespace, k); err != nil {
			return false, fmt.Errorf("add counters once: %w", err)
		}
		if k != onceKey {
			c.add(namespace, k, d)
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var added bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		added = false
		tag, err := tx.Exec(ctx, "INSERT INTO counters (namespace, key, n) VALUES ($1, $2, 1) ON CONFLICT (namespace, key) DO NOTHING",
			[]byte(namespace), []byte(onceKey))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		added = true
		if err := c.apply(ctx, tx, genericCounters); err != nil {
			return err
		}
		return s.emit(ctx, tx, store.ChangeCounters, store.CounterChange{Namespace: namespace, Keys: keys})
	})
	if err != nil {
		return false, fmt.Errorf("add counters %s once %q: %w", namespace, onceKey, err)
	}
	return added, nil
}

// Counters returns the counters of a namespace whose keys start with
// prefix, keyed without the namespace.
func (s *Store) Counters(ctx context.Context, namespace, prefix string) (map[string]int64, error) {
	cond, args := prefixRange("key", prefix, 2)
	rows, err := s.pool.Query(ctx, "SELECT key, n FROM counters WHERE namespace = $1 AND "+cond, append([]any{[]byte(namespace)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("counters %s/%s: %w", namespace, prefix, err)
	}
	out := map[string]int64{}
	var k []byte
	var n int64
	if _, err := pgx.ForEachRow(rows, []any{&k, &n}, func() error { out[string(k)] = n; return nil }); err != nil {
		return nil, fmt.Errorf("counters %s/%s: %w", namespace, prefix, err)
	}
	return out, nil
}

// DeleteCounters removes the counters of a namespace whose keys start with prefix.
func (s *Store) DeleteCounters(ctx context.Context, namespace, prefix string) error {
	cond, args := prefixRange("key", prefix, 2)
	if _, err := s.pool.Exec(ctx, "DELETE FROM counters WHERE namespace = $1 AND "+cond, append([]any{[]byte(namespace)}, args...)...); err != nil {
		return fmt.Errorf("delete counters %s/%s: %w", namespace, prefix, err)
	}
	return nil
}

// AddImpressions adds impression counts and remembers which variants each
// product served, in one transaction.
func (s *Store) AddImpressions(ctx context.Context, cs map[store.Served]int64) error {
	if len(cs) == 0 {
		return nil
	}
	var c counts
	type seenKey struct{ product, channel, variant string }
	seen := map[seenKey]string{}
	for sv, n := range cs {
		c.add(sv.VariantID, "i", n)
		seen[seenKey{sv.ProductID, sv.Channel, sv.VariantID}] = sv.Segment
	}
	keys := make([]seenKey, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.product != b.product {
			return a.product < b.product
		}
		if a.channel != b.channel {
			return a.channel < b.channel
		}
		return a.variant < b.variant
	})
	ps, chs, vs, segs := make([]string, len(keys)), make([]string, len(keys)), make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		ps[i], chs[i], vs[i], segs[i] = k.product, k.channel, k.variant, seen[k]
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := c.apply(ctx, tx, variantCounts); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO variants_seen (product_id, channel, variant_id, segment)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
			ON CONFLICT (product_id, channel, variant_id) DO UPDATE SET segment = EXCLUDED.segment`, ps, chs, vs, segs)
		return err
	})
	if err != nil {
		return fmt.Errorf("add impressions: %w", err)
	}
	return nil
}

// VariantStats returns the counters of the given variants (zero when none).
func (s *Store) VariantStats(ctx context.Context, ids []string) (map[string]store.VariantCounts, error) {
	out := make(map[string]store.VariantCounts, len(ids))
	for _, id := range ids {
		out[id] = store.VariantCounts{}
	}
	rows, err := s.pool.Query(ctx, "SELECT variant_id, field, n FROM variant_counts WHERE variant_id = ANY($1)", ids)
	if err != nil {
		return nil, fmt.Errorf("variant stats: %w", err)
	}
	var id, f string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&id, &f, &n}, func() error {
		c := out[id]
		switch f {
		case "i":
			c.Impressions = n
		case "c":
			c.Clicks = n
		case "a":
			c.Carts = n
		case "p":
			c.Purchases = n
		}
		out[id] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("variant stats: %w", err)
	}
	return out, nil
}

// ProductVariants lists the variants a product has served on a channel.
func (s *Store) ProductVariants(ctx context.Context, productID, channel string) ([]store.VariantRef, error) {
	rows, err := s.pool.Query(ctx, "SELECT variant_id, segment FROM variants_seen WHERE product_id = $1 AND channel = $2 ORDER BY variant_id", productID, channel)
	if err != nil {
		return nil, fmt.Errorf("product variants: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.VariantRef, error) {
		var v store.VariantRef
		err := r.Scan(&v.VariantID, &v.Segment)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("product variants: %w", err)
	}
	return out, nil
}
