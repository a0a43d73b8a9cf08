package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// fact is an interaction's identity: (user, product, kind, time).
type fact struct {
	user, product string
	kind          int16
	ns            int64
}

func factOf(it *shop.Interaction) fact {
	return fact{it.UserID, it.ProductID, int16(it.Kind.Code()), it.OccurredAt.UnixNano()}
}

// RecordInteractions appends interactions with one multi-row insert in one
// transaction, with the per-product and copy-variant counts and the
// outbox's change. An unknown user or product rejects the whole batch with
// NOT_FOUND errors and writes nothing; a fact already recorded (in the
// store or earlier in the batch) counts as a duplicate.
func (s *Store) RecordInteractions(ctx context.Context, its []shop.Interaction, field string) (store.RecordResult, []shop.UserError, error) {
	var res store.RecordResult
	var userErrs []shop.UserError
	// Deduplicate the batch here; the unique index catches the rest.
	unique := make([]shop.Interaction, 0, len(its))
	inBatch := make(map[fact]bool, len(its))
	dups := 0
	for i := range its {
		f := factOf(&its[i])
		if inBatch[f] {
			dups++
			continue
		}
		inBatch[f] = true
		unique = append(unique, its[i])
	}
	n := len(unique)
	users, prods := make([]string, n), make([]string, n)
	kinds, nss := make([]int16, n), make([]int64, n)
	values, variants := make([]*float64, n), make([]string, n)
	for i := range unique {
		it := &unique[i]
		users[i], prods[i], kinds[i], nss[i] = it.UserID, it.ProductID, int16(it.Kind.Code()), it.OccurredAt.UnixNano()
		values[i], variants[i] = it.Value, it.CopyVariantID
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		res, userErrs = store.RecordResult{}, nil
		var err error
		if userErrs, err = checkRefs(ctx, tx, its, field); err != nil {
			return err
		}
		if len(userErrs) > 0 {
			return errRejected
		}
		rows, err := tx.Query(ctx, `INSERT INTO events (user_id, product_id, kind, occurred_ns, value, copy_variant_id)
			SELECT u, p, k, o, v, c FROM unnest($1::text[], $2::text[], $3::smallint[], $4::bigint[], $5::float8[], $6::text[])
				WITH ORDINALITY AS t(u, p, k, o, v, c, i) ORDER BY i
			ON CONFLICT DO NOTHING
			RETURNING user_id, product_id, kind, occurred_ns`, users, prods, kinds, nss, values, variants)
		if err != nil {
			return err
		}
		inserted := make(map[fact]bool, n)
		var f fact
		if _, err := pgx.ForEachRow(rows, []any{&f.user, &f.product, &f.kind, &f.ns}, func() error {
			inserted[f] = true
			return nil
		}); err != nil {
			return err
		}
		res.Duplicates = dups + n - len(inserted)
		var pc, vc counts
		for i := range unique {
			it := &unique[i]
			if !inserted[factOf(it)] {
				continue
			}
			res.Recorded = append(res.Recorded, *it)
			pc.add(it.ProductID, strconv.Itoa(it.Kind.Code()), 1)
			if it.CopyVariantID != "" {
				if fld, ok := outcomeField(it.Kind); ok {
					vc.add(it.CopyVariantID, fld, 1)
				}
			}
		}
		if len(res.Recorded) == 0 {
			return nil
		}
		// Counts and the outbox row in one round trip.
		var b pgx.Batch
		pc.queue(&b, productCounts)
		vc.queue(&b, variantCounts)
		if err := s.queueEmit(&b, store.ChangeInteractions, res.Recorded); err != nil {
			return err
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if errors.Is(err, errRejected) {
		return store.RecordResult{}, userErrs, nil
	}
	if err != nil {
		return store.RecordResult{}, nil, fmt.Errorf("record interactions: %w", err)
	}
	return res, nil, nil
}

// errRejected rolls back a batch that failed a check needing the store.
var errRejected = errors.New("input rejected")

// checkRefs returns NOT_FOUND errors for unknown users and products, in
// the Badger backend's order and words. The users are locked FOR SHARE
// until the batch commits: an erasure waits for it, then erases its events.
func checkRefs(ctx context.Context, tx pgx.Tx, its []shop.Interaction, field string) ([]shop.UserError, error) {
	userSet, prodSet := map[string]bool{}, map[string]bool{}
	var userIDs, prodIDs []string
	for i := range its {
		if !userSet[its[i].UserID] {
			userSet[its[i].UserID] = true
			userIDs = append(userIDs, its[i].UserID)
		}
		if !prodSet[its[i].ProductID] {
			prodSet[its[i].ProductID] = true
			prodIDs = append(prodIDs, its[i].ProductID)
		}
	}
	sortStrings(userIDs)
	// Both reads in one round trip.
	var b pgx.Batch
	users, prods := map[string]bool{}, map[string]bool{}
	collect := func(set map[string]bool) func(pgx.Rows) error {
		return func(rows pgx.Rows) error {
			var id string
			_, err := pgx.ForEachRow(rows, []any{&id}, func() error { set[id] = true; return nil })
			return err
		}
	}
	b.Queue("SELECT id FROM users WHERE id = ANY($1) ORDER BY id FOR SHARE", userIDs).Query(collect(users))
	b.Queue("SELECT id FROM products WHERE id = ANY($1)", prodIDs).Query(collect(prods))
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, err
	}
	var errs []shop.UserError
	for i, it := range its {
		row := strconv.Itoa(i)
		if !users[it.UserID] {
			errs = append(errs, shop.UserError{Field: []string{field, row, "userID"}, Code: shop.CodeNotFound,
				Message: fmt.Sprintf("no user with id %q", it.UserID)})
		}
		if !prods[it.ProductID] {
			errs = append(errs, shop.UserError{Field: []string{field, row, "productID"}, Code: shop.CodeNotFound,
				Message: fmt.Sprintf("no product with id %q", it.ProductID)})
		}
	}
	return errs, nil
}

func existing(ctx context.Context, q querier, sql string, ids []string) (map[string]bool, error) {
	rows, err := q.Query(ctx, sql, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	var id string
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error { out[id] = true; return nil })
	return out, err
}

// outcomeField is the copy-variant counter an interaction adds to, if any.
func outcomeField(k shop.InteractionKind) (string, bool) {
	switch k {
	case shop.KindClick:
		return "c", true
	case shop.KindAddToCart:
		return "a", true
	case shop.KindPurchase:
		return "p", true
	}
	return "", false
}

// Exist reports, for each ID, whether a product (products=true) or user exists.
func (s *Store) Exist(ctx context.Context, products bool, ids []string) ([]bool, error) {
	sql := "SELECT id FROM users WHERE id = ANY($1)"
	if products {
		sql = "SELECT id FROM products WHERE id = ANY($1)"
	}
	set, err := existing(ctx, s.pool, sql, ids)
	if err != nil {
		return nil, fmt.Errorf("exist: %w", err)
	}
	out := make([]bool, len(ids))
	for i, id := range ids {
		out[i] = set[id]
	}
	return out, nil
}

const eventCols = "seq, user_id, product_id, kind, occurred_ns, value, copy_variant_id"

func scanEvents(rows pgx.Rows, fn func(store.Event) error) error {
	var ev store.Event
	var seq, ns int64
	var kind int16
	var value *float64
	_, err := pgx.ForEachRow(rows, []any{&seq, &ev.UserID, &ev.ProductID, &kind, &ns, &value, &ev.CopyVariantID}, func() error {
		k, ok := shop.KindFromCode(byte(kind))
		if !ok || kind < 0 {
			return fmt.Errorf("corrupt event %d: kind %d", seq, kind)
		}
		e := ev
		e.Seq, e.Kind, e.OccurredAt, e.Value = uint64(seq), k, time.Unix(0, ns).UTC(), nil
		if value != nil {
			v := *value
			e.Value = &v
		}
		return fn(e)
	})
	return err
}

// UserInteractions returns up to first of the user's interactions, newest first.
func (s *Store) UserInteractions(ctx context.Context, userID string, first int) ([]store.Event, error) {
	return s.listEvents(ctx, "SELECT "+eventCols+" FROM events WHERE user_id = $1 ORDER BY occurred_ns DESC, kind, product_id LIMIT $2", userID, first)
}

// ProductInteractions returns up to first of the product's interactions, newest first.
func (s *Store) ProductInteractions(ctx context.Context, productID string, first int) ([]store.Event, error) {
	return s.listEvents(ctx, "SELECT "+eventCols+" FROM events WHERE product_id = $1 ORDER BY occurred_ns DESC, kind, user_id LIMIT $2", productID, first)
}

func (s *Store) listEvents(ctx context.Context, sql, id string, first int) ([]store.Event, error) {
	if first <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, sql, id, first)
	if err != nil {
		return nil, fmt.Errorf("list interactions of %q: %w", id, err)
	}
	var out []store.Event
	if err := scanEvents(rows, func(ev store.Event) error { out = append(out, ev); return nil }); err != nil {
		return nil, fmt.Errorf("list interactions of %q: %w", id, err)
	}
	return out, nil
}

// EachEvent calls fn for every event in arrival order, a chunk per query.
func (s *Store) EachEvent(ctx context.Context, fn func(store.Event) error) error {
	const chunk = 10_000
	after := int64(0)
	for {
		rows, err := s.pool.Query(ctx, "SELECT "+eventCols+" FROM events WHERE seq > $1 ORDER BY seq LIMIT $2", after, chunk)
		if err != nil {
			return fmt.Errorf("each event: %w", err)
		}
		var batch []store.Event
		if err := scanEvents(rows, func(ev store.Event) error { batch = append(batch, ev); return nil }); err != nil {
			return fmt.Errorf("each event: %w", err)
		}
		for _, ev := range batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(ev); err != nil {
				return err
			}
		}
		if len(batch) < chunk {
			return nil
		}
		after = int64(batch[len(batch)-1].Seq)
	}
}

// CountEvents counts the events.
func (s *Store) CountEvents(ctx context.Context) (int, error) { return s.count(ctx, "events") }

// ProductCounts returns the product's event counts by kind.
func (s *Store) ProductCounts(ctx context.Context, productID string) (map[shop.InteractionKind]int64, error) {
	rows, err := s.pool.Query(ctx, "SELECT kind, n FROM product_counts WHERE product_id = $1", productID)
	if err != nil {
		return nil, fmt.Errorf("product counts: %w", err)
	}
	out := map[shop.InteractionKind]int64{}
	var kind int16
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&kind, &n}, func() error {
		if k, ok := shop.KindFromCode(byte(kind)); ok && n != 0 {
			out[k] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("product counts: %w", err)
	}
	return out, nil
}
