package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// pageChunk is how many rows a filtered listing or a full scan reads per
// query: keyset pagination, no cursor held open while the caller works.
const pageChunk = 1000

// UpsertProducts writes products in one transaction, with Badger's version
// rules (see store.Store).
func (s *Store) UpsertProducts(ctx context.Context, products []shop.Product) ([]shop.Product, error) {
	ids := make([]string, len(products))
	for i := range products {
		ids[i] = products[i].ID
	}
	s.products.Invalidate(ids)
	defer s.products.Invalidate(ids)
	var out []shop.Product
	err := s.tx(ctx, func(tx pgx.Tx) error {
		out = make([]shop.Product, len(products))
		cur, err := lockDocs[shop.Product](ctx, tx, "products", ids)
		if err != nil {
			return err
		}
		existed := make(map[string]bool, len(cur))
		for id := range cur {
			existed[id] = true
		}
		dirty := map[string]bool{}
		now := s.now().UTC()
		for i, p := range products {
			old, found := cur[p.ID]
			switch {
			case !found:
				p.Version, p.CreatedAt, p.UpdatedAt = 1, now, now
			case sameProductContent(&old, &p):
				out[i] = old
				continue
			default:
				p.Version, p.CreatedAt, p.UpdatedAt = old.Version+1, old.CreatedAt, now
			}
			cur[p.ID] = p
			dirty[p.ID] = true
			out[i] = p
		}
		changed, err := writeDocs(ctx, tx, "products", cur, dirty, existed)
		if err != nil || len(changed) == 0 {
			return err
		}
		return s.emit(ctx, tx, store.ChangeProducts, changed)
	})
	if err != nil {
		return nil, fmt.Errorf("upsert products: %w", err)
	}
	return out, nil
}

// sameProductContent is the Badger backend's: equal but for version and times.
func sameProductContent(a, b *shop.Product) bool {
	x, y := *a, *b
	x.Version, x.CreatedAt, x.UpdatedAt = 0, x.CreatedAt.UTC(), x.UpdatedAt.UTC()
	y.Version, y.CreatedAt, y.UpdatedAt = 0, x.CreatedAt, x.UpdatedAt
	return reflect.DeepEqual(x, y)
}

// lockDocs reads and locks the rows of table with these IDs, in ID order
// (one order for every writer: no deadlock between two batches).
func lockDocs[T any](ctx context.Context, tx pgx.Tx, table string, ids []string) (map[string]T, error) {
	rows, err := tx.Query(ctx, "SELECT id, doc FROM "+table+" WHERE id = ANY($1) ORDER BY id FOR UPDATE", ids)
	if err != nil {
		return nil, err
	}
	out := map[string]T{}
	var id string
	var doc []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &doc}, func() error {
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return fmt.Errorf("decode %s %q: %w", table, id, err)
		}
		out[id] = v
		return nil
	})
	return out, err
}

// writeDocs inserts the dirty documents that did not exist and updates the
// others, and returns the written IDs in ID order.
func writeDocs[T any](ctx context.Context, tx pgx.Tx, table string, cur map[string]T, dirty, existed map[string]bool) ([]string, error) {
	var insIDs, updIDs []string
	var insDocs, updDocs [][]byte
	for id := range dirty {
		b, err := json.Marshal(cur[id])
		if err != nil {
			return nil, err
		}
		if existed[id] {
			updIDs, updDocs = append(updIDs, id), append(updDocs, b)
		} else {
			insIDs, insDocs = append(insIDs, id), append(insDocs, b)
		}
	}
	if len(insIDs) > 0 {
		if _, err := tx.Exec(ctx, "INSERT INTO "+table+" (id, doc) SELECT * FROM unnest($1::text[], $2::bytea[])", insIDs, insDocs); err != nil {
			return nil, err
		}
	}
	if len(updIDs) > 0 {
		if _, err := tx.Exec(ctx, "UPDATE "+table+" t SET doc = u.doc FROM unnest($1::text[], $2::bytea[]) AS u(id, doc) WHERE t.id = u.id", updIDs, updDocs); err != nil {
			return nil, err
		}
	}
	ids := append(insIDs, updIDs...)
	sortStrings(ids)
	return ids, nil
}

// Product returns one product, or nil.
func (s *Store) Product(ctx context.Context, id string) (*shop.Product, error) {
	ps, err := s.Products(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// Products returns the products with the given IDs in order, nil where
// there is none. Cached products cost no query: serving recommendations
// reads twenty of them per request.
func (s *Store) Products(ctx context.Context, ids []string) ([]*shop.Product, error) {
	s.lookups.Add(1)
	out := make([]*shop.Product, len(ids))
	gen := s.products.Generation()
	var missing []string
	for i, id := range ids {
		if p, ok := s.products.Get(id); ok {
			cp := *p // a caller may set fields of its copy; slices stay shared and read-only
			out[i] = &cp
			continue
		}
		missing = append(missing, id)
	}
	if len(missing) == 0 {
		return out, nil
	}
	found, err := readDocs[shop.Product](ctx, s.pool, "products", missing)
	if err != nil {
		return nil, fmt.Errorf("get products: %w", err)
	}
	fresh := make([]*shop.Product, 0, len(found))
	for i, id := range ids {
		if out[i] != nil {
			continue
		}
		if p, ok := found[id]; ok {
			cp := p
			out[i] = &cp
			fresh = append(fresh, &p)
		}
	}
	s.products.Fill(gen, fresh)
	return out, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readDocs[T any](ctx context.Context, q querier, table string, ids []string) (map[string]T, error) {
	rows, err := q.Query(ctx, "SELECT id, doc FROM "+table+" WHERE id = ANY($1)", ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]T, len(ids))
	var id string
	var doc []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &doc}, func() error {
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return fmt.Errorf("decode %s %q: %w", table, id, err)
		}
		out[id] = v
		return nil
	})
	return out, err
}

// ForgetProducts drops cached copies: another replica changed them.
func (s *Store) ForgetProducts(ids []string) { s.products.Invalidate(ids) }

// DeleteProducts removes products and returns the IDs that existed, in
// input order. Their events stay: they are facts about users.
func (s *Store) DeleteProducts(ctx context.Context, ids []string) ([]string, error) {
	s.products.Invalidate(ids)
	defer s.products.Invalidate(ids)
	var deleted []string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		deleted = nil
		rows, err := tx.Query(ctx, "DELETE FROM products WHERE id = ANY($1) RETURNING id", ids)
		if err != nil {
			return err
		}
		gone, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		set := make(map[string]bool, len(gone))
		for _, id := range gone {
			set[id] = true
		}
		for _, id := range ids {
			if set[id] {
				deleted = append(deleted, id)
				delete(set, id)
			}
		}
		if len(gone) == 0 {
			return nil
		}
		sortStrings(gone)
		return s.emit(ctx, tx, store.ChangeProductsDeleted, gone)
	})
	if err != nil {
		return nil, fmt.Errorf("delete products: %w", err)
	}
	return deleted, nil
}

// scanDocs calls fn for each document of table with an ID after after, in
// ID order, a chunk per query, until fn returns false.
func scanDocs(ctx context.Context, q querier, table, after string, chunk int, fn func(id string, doc []byte) (bool, error)) error {
	for {
		rows, err := q.Query(ctx, "SELECT id, doc FROM "+table+" WHERE id > $1 ORDER BY id LIMIT $2", after, chunk)
		if err != nil {
			return err
		}
		n := 0
		stop := false
		var id string
		var doc []byte
		_, err = pgx.ForEachRow(rows, []any{&id, &doc}, func() error {
			n++
			after = id
			if stop {
				return nil
			}
			cont, err := fn(id, doc)
			stop = !cont
			return err
		})
		if err != nil || stop || n < chunk {
			return err
		}
	}
}

// ListProducts returns up to first products after the ID after, in ID
// order, that pass the filter. The filter runs here, as in the Badger
// backend, so both agree on what matches.
func (s *Store) ListProducts(ctx context.Context, first int, after string, filter *shop.ProductFilter) (store.Page[shop.Product], error) {
	var page store.Page[shop.Product]
	chunk := pageChunk
	if filter.IsZero() {
		chunk = max(first+1, 1)
	}
	err := scanDocs(ctx, s.pool, "products", after, chunk, func(_ string, doc []byte) (bool, error) {
		return page.Fill(first, doc, filter.Matches)
	})
	if err != nil {
		return page, fmt.Errorf("list products: %w", err)
	}
	return page, nil
}

// CountProducts counts the products that pass the filter.
func (s *Store) CountProducts(ctx context.Context, filter *shop.ProductFilter) (int, error) {
	if filter.IsZero() {
		return s.count(ctx, "products")
	}
	n := 0
	err := s.EachProduct(ctx, func(p *shop.Product) error {
		if filter.Matches(p) {
			n++
		}
		return nil
	})
	return n, err
}

func (s *Store) count(ctx context.Context, table string) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

// EachProduct calls fn for every product in ID order.
func (s *Store) EachProduct(ctx context.Context, fn func(*shop.Product) error) error {
	err := scanDocs(ctx, s.pool, "products", "", pageChunk, func(_ string, doc []byte) (bool, error) {
		var p shop.Product
		if err := json.Unmarshal(doc, &p); err != nil {
			return false, fmt.Errorf("decode product: %w", err)
		}
		return true, fn(&p)
	})
	if err != nil {
		return fmt.Errorf("each product: %w", err)
	}
	return nil
}

// UpsertUsers writes users in one transaction, keeping createdAt; an
// unchanged user is returned as stored.
func (s *Store) UpsertUsers(ctx context.Context, users []shop.User) ([]shop.User, error) {
	ids := make([]string, len(users))
	for i := range users {
		ids[i] = users[i].ID
	}
	var out []shop.User
	err := s.tx(ctx, func(tx pgx.Tx) error {
		out = make([]shop.User, len(users))
		cur, err := lockDocs[shop.User](ctx, tx, "users", ids)
		if err != nil {
			return err
		}
		existed := make(map[string]bool, len(cur))
		for id := range cur {
			existed[id] = true
		}
		dirty := map[string]bool{}
		now := s.now().UTC()
		for i, u := range users {
			u.CreatedAt, u.UpdatedAt = now, now
			if old, found := cur[u.ID]; found {
				u.CreatedAt = old.CreatedAt
				cmp := u
				cmp.UpdatedAt = old.UpdatedAt
				if jsonOf(cmp) == jsonOf(old) {
					out[i] = old
					continue
				}
			}
			cur[u.ID] = u
			dirty[u.ID] = true
			out[i] = u
		}
		changed, err := writeDocs(ctx, tx, "users", cur, dirty, existed)
		if err != nil || len(changed) == 0 {
			return err
		}
		return s.emit(ctx, tx, store.ChangeUsers, changed)
	})
	if err != nil {
		return nil, fmt.Errorf("upsert users: %w", err)
	}
	return out, nil
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// User returns one user, or nil.
func (s *Store) User(ctx context.Context, id string) (*shop.User, error) {
	us, err := s.Users(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return us[0], nil
}

// Users returns the users with the given IDs in order, nil where absent.
func (s *Store) Users(ctx context.Context, ids []string) ([]*shop.User, error) {
	s.lookups.Add(1)
	found, err := readDocs[shop.User](ctx, s.pool, "users", ids)
	if err != nil {
		return nil, fmt.Errorf("get users: %w", err)
	}
	out := make([]*shop.User, len(ids))
	for i, id := range ids {
		if u, ok := found[id]; ok {
			out[i] = &u
		}
	}
	return out, nil
}

// ListUsers returns up to first users after the ID after, in ID order.
func (s *Store) ListUsers(ctx context.Context, first int, after string) (store.Page[shop.User], error) {
	var page store.Page[shop.User]
	err := scanDocs(ctx, s.pool, "users", after, max(first+1, 1), func(_ string, doc []byte) (bool, error) {
		return page.Fill(first, doc, nil)
	})
	if err != nil {
		return page, fmt.Errorf("list users: %w", err)
	}
	return page, nil
}

// CountUsers counts every user.
func (s *Store) CountUsers(ctx context.Context) (int, error) { return s.count(ctx, "users") }

// EachUser calls fn for every user in ID order.
func (s *Store) EachUser(ctx context.Context, fn func(*shop.User) error) error {
	err := scanDocs(ctx, s.pool, "users", "", pageChunk, func(_ string, doc []byte) (bool, error) {
		var u shop.User
		if err := json.Unmarshal(doc, &u); err != nil {
			return false, fmt.Errorf("decode user: %w", err)
		}
		return true, fn(&u)
	})
	if err != nil {
		return fmt.Errorf("each user: %w", err)
	}
	return nil
}

// DeleteUser erases a user in one transaction: the profile, every event of
// theirs with the per-product counts they added to, and every blob linked
// to them. The user's row is locked first, so a concurrent batch of their
// interactions either commits before (and is erased) or finds no user.
func (s *Store) DeleteUser(ctx context.Context, id string) (bool, error) {
	existed := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		existed = false
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", id).Scan(&one)
		switch {
		case err == nil:
			existed = true
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		rows, err := tx.Query(ctx, `WITH d AS (DELETE FROM events WHERE user_id = $1 RETURNING product_id, kind)
			SELECT product_id, kind, count(*) FROM d GROUP BY product_id, kind`, id)
		if err != nil {
			return err
		}
		var c counts
		var pid string
		var kind int16
		var n int64
		if _, err := pgx.ForEachRow(rows, []any{&pid, &kind, &n}, func() error {
			c.add(pid, strconv.Itoa(int(kind)), -n)
			return nil
		}); err != nil {
			return err
		}
		if len(c.keys) > 0 {
			existed = true
			if err := c.apply(ctx, tx, productCounts); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM blobs b USING blob_subjects l
			WHERE l.user_id = $1 AND b.namespace = l.namespace AND b.key = l.key`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM blob_subjects WHERE user_id = $1", id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM users WHERE id = $1", id); err != nil {
			return err
		}
		if err := purgeOutbox(ctx, tx, id); err != nil {
			return err
		}
		if !existed {
			return nil
		}
		return s.emit(ctx, tx, store.ChangeUserErased, id)
	})
	if err != nil {
		return existed, fmt.Errorf("erase user %q: %w", id, err)
	}
	return existed, nil
}

// purgeOutbox removes the user's interactions from outbox rows not yet
// published (a row left with none is deleted), so that the erased history
// never reaches the stream after the erasure. Rows are found by the
// encoded "userID" field, as json.Marshal wrote it, then decoded to filter.
// What a relay published before the erasure committed stays on the stream
// until its retention ends; replicas drop it (the user no longer exists).
func purgeOutbox(ctx context.Context, tx pgx.Tx, id string) error {
	enc, err := json.Marshal(id)
	if err != nil {
		return err
	}
	needle := append([]byte(`"userID":`), enc...)
	rows, err := tx.Query(ctx, `SELECT seq, payload FROM outbox
		WHERE kind = $1 AND position($2::bytea IN payload) > 0 ORDER BY seq FOR UPDATE`, store.ChangeInteractions, needle)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	type row struct {
		seq     int64
		payload []byte
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.seq, &x.payload)
		return x, err
	})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	for _, r := range found {
		var its []shop.Interaction
		if err := json.Unmarshal(r.payload, &its); err != nil {
			return fmt.Errorf("outbox row %d: %w", r.seq, err)
		}
		kept := its[:0]
		for _, it := range its {
			if it.UserID != id {
				kept = append(kept, it)
			}
		}
		if len(kept) == 0 {
			_, err = tx.Exec(ctx, "DELETE FROM outbox WHERE seq = $1", r.seq)
		} else {
			var b []byte
			if b, err = json.Marshal(kept); err == nil {
				_, err = tx.Exec(ctx, "UPDATE outbox SET payload = $2 WHERE seq = $1", r.seq, b)
			}
		}
		if err != nil {
			return fmt.Errorf("outbox row %d: %w", r.seq, err)
		}
	}
	return nil
}
