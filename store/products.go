package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/dgraph-io/badger/v4"
	"github.com/shopmuse/shopmuse/shop"
)

// UpsertProducts writes normalised products (see shop.NormalizeProducts) in one
// transaction. A new product gets version 1; a changed product keeps createdAt,
// bumps updatedAt and its version; an unchanged one is left as it is, so that
// re-importing a catalogue does not invalidate caches keyed on the version.
func (s *Badger) UpsertProducts(ctx context.Context, products []shop.Product) ([]shop.Product, error) {
	ids := make([]string, len(products))
	for i := range products {
		ids[i] = products[i].ID
	}
	s.products.Invalidate(ids)
	defer s.products.Invalidate(ids)
	out := make([]shop.Product, len(products))
	err := s.update(ctx, func(txn *badger.Txn) error {
		now := s.now().UTC()
		for i, p := range products {
			old, found, err := getJSON[shop.Product](txn, key(prefixProd, p.ID))
			if err != nil {
				return err
			}
			switch {
			case !found:
				p.Version, p.CreatedAt, p.UpdatedAt = 1, now, now
			case sameProductContent(&old, &p):
				out[i] = old
				continue
			default:
				p.Version, p.CreatedAt, p.UpdatedAt = old.Version+1, old.CreatedAt, now
			}
			if err := setJSON(txn, key(prefixProd, p.ID), &p); err != nil {
				return err
			}
			out[i] = p
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("upsert products: %w", err)
	}
	return out, nil
}

func sameProductContent(a, b *shop.Product) bool {
	x, y := *a, *b
	x.Version, x.CreatedAt, x.UpdatedAt = 0, x.CreatedAt.UTC(), x.UpdatedAt.UTC()
	y.Version, y.CreatedAt, y.UpdatedAt = 0, x.CreatedAt, x.UpdatedAt
	return reflect.DeepEqual(x, y)
}

// Product returns one product, or nil when there is none with that ID.
func (s *Badger) Product(ctx context.Context, id string) (*shop.Product, error) {
	ps, err := s.Products(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// Products returns the products with the given IDs in the same order, nil
// where there is none: the shape a dataloader wants.
func (s *Badger) Products(ctx context.Context, ids []string) ([]*shop.Product, error) {
	s.lookups.Add(1)
	out := make([]*shop.Product, len(ids))
	gen := s.products.Generation()
	var fresh []*shop.Product
	err := s.db.View(func(txn *badger.Txn) error {
		for i, id := range ids {
			if p, ok := s.products.Get(id); ok {
				cp := *p // a caller may set fields of its copy; slices stay shared and read-only
				out[i] = &cp
				continue
			}
			p, found, err := getJSON[shop.Product](txn, key(prefixProd, id))
			if err != nil {
				return err
			}
			if found {
				out[i] = &p
				cached := p
				fresh = append(fresh, &cached)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get products: %w", err)
	}
	s.products.Fill(gen, fresh)
	return out, nil
}

// DeleteProducts removes products and returns the IDs that existed. Their
// events stay in the log: they are facts about users, erased with the user.
func (s *Badger) DeleteProducts(ctx context.Context, ids []string) ([]string, error) {
	s.products.Invalidate(ids)
	defer s.products.Invalidate(ids)
	var deleted []string
	err := s.update(ctx, func(txn *badger.Txn) error {
		deleted = deleted[:0]
		for _, id := range ids {
			k := key(prefixProd, id)
			if _, err := txn.Get(k); errors.Is(err, badger.ErrKeyNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if err := txn.Delete(k); err != nil {
				return err
			}
			deleted = append(deleted, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete products: %w", err)
	}
	return deleted, nil
}

// Page is one page of a listing in key order.
type Page[T any] struct {
	Items []T
	// HasNext says whether more items follow the last one.
	HasNext bool
}

// Fill is the step of a listing scan that every backend shares: it decodes
// one stored JSON document, skips it unless keep accepts it (nil keeps
// all), and appends it until first items are in, after which one more
// accepted document only sets HasNext. It reports whether to scan on.
func (p *Page[T]) Fill(first int, doc []byte, keep func(*T) bool) (bool, error) {
	var v T
	if err := json.Unmarshal(doc, &v); err != nil {
		return false, fmt.Errorf("decode %T: %w", v, err)
	}
	if keep != nil && !keep(&v) {
		return true, nil
	}
	if len(p.Items) == first {
		p.HasNext = true
		return false, nil
	}
	p.Items = append(p.Items, v)
	return true, nil
}

// ListProducts returns up to first products after the product ID after ("" =
// from the start), in ID order, that pass the filter.
func (s *Badger) ListProducts(ctx context.Context, first int, after string, filter *shop.ProductFilter) (Page[shop.Product], error) {
	var page Page[shop.Product]
	err := scanAfter(s.db, prefixProd, after, func(v []byte) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		return page.Fill(first, v, filter.Matches)
	})
	if err != nil {
		return page, fmt.Errorf("list products: %w", err)
	}
	return page, nil
}

// CountProducts counts the products that pass the filter. Without a filter it
// reads keys only.
func (s *Badger) CountProducts(ctx context.Context, filter *shop.ProductFilter) (int, error) {
	if filter.IsZero() {
		return s.countPrefix(prefixProd)
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

// EachProduct calls fn for every product in ID order.
func (s *Badger) EachProduct(ctx context.Context, fn func(*shop.Product) error) error {
	return scanAfter(s.db, prefixProd, "", func(v []byte) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		var p shop.Product
		if err := json.Unmarshal(v, &p); err != nil {
			return false, fmt.Errorf("decode product: %w", err)
		}
		return true, fn(&p)
	})
}

func (s *Badger) countPrefix(prefix []byte) (int, error) {
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n, err
}

// scanAfter iterates the values under prefix whose key sorts after
// prefix+after, until fn returns false or an error.
func scanAfter(db *badger.DB, prefix []byte, after string, fn func(v []byte) (bool, error)) error {
	return db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 64})
		defer it.Close()
		start := prefix
		if after != "" {
			start = key(prefix, after)
		}
		for it.Seek(start); it.Valid(); it.Next() {
			if after != "" && bytes.Equal(it.Item().Key(), start) {
				continue
			}
			var cont bool
			err := it.Item().Value(func(v []byte) error {
				var err error
				cont, err = fn(v)
				return err
			})
			if err != nil || !cont {
				return err
			}
		}
		return nil
	})
}

func getJSON[T any](txn *badger.Txn, k []byte) (T, bool, error) {
	var v T
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return v, false, nil
	}
	if err != nil {
		return v, false, err
	}
	err = item.Value(func(b []byte) error { return json.Unmarshal(b, &v) })
	if err != nil {
		return v, false, fmt.Errorf("decode %q: %w", k, err)
	}
	return v, true, nil
}

func setJSON(txn *badger.Txn, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(k, b)
}
