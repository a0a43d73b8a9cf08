package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/dgraph-io/badger/v4"
	"github.com/shopmuse/shopmuse/shop"
)

// UpsertUsers writes normalised users in one transaction, keeping createdAt.
func (s *Badger) UpsertUsers(ctx context.Context, users []shop.User) ([]shop.User, error) {
	out := make([]shop.User, len(users))
	err := s.update(ctx, func(txn *badger.Txn) error {
		now := s.now().UTC()
		for i, u := range users {
			old, found, err := getJSON[shop.User](txn, key(prefixUser, u.ID))
			if err != nil {
				return err
			}
			u.CreatedAt, u.UpdatedAt = now, now
			if found {
				u.CreatedAt = old.CreatedAt
				cmp := u
				cmp.UpdatedAt = old.UpdatedAt
				if reflect.DeepEqual(jsonOf(cmp), jsonOf(old)) {
					out[i] = old
					continue
				}
			}
			if err := setJSON(txn, key(prefixUser, u.ID), &u); err != nil {
				return err
			}
			out[i] = u
		}
		return nil
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
func (s *Badger) User(ctx context.Context, id string) (*shop.User, error) {
	us, err := s.Users(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return us[0], nil
}

// Users returns the users with the given IDs in order, nil where absent.
func (s *Badger) Users(ctx context.Context, ids []string) ([]*shop.User, error) {
	s.lookups.Add(1)
	out := make([]*shop.User, len(ids))
	err := s.db.View(func(txn *badger.Txn) error {
		for i, id := range ids {
			u, found, err := getJSON[shop.User](txn, key(prefixUser, id))
			if err != nil {
				return err
			}
			if found {
				out[i] = &u
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get users: %w", err)
	}
	return out, nil
}

// ListUsers returns up to first users after the user ID after, in ID order.
func (s *Badger) ListUsers(ctx context.Context, first int, after string) (Page[shop.User], error) {
	var page Page[shop.User]
	err := scanAfter(s.db, prefixUser, after, func(v []byte) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		return page.Fill(first, v, nil)
	})
	if err != nil {
		return page, fmt.Errorf("list users: %w", err)
	}
	return page, nil
}

// CountUsers counts every user.
func (s *Badger) CountUsers(ctx context.Context) (int, error) { return s.countPrefix(prefixUser) }

// EachUser calls fn for every user in ID order.
func (s *Badger) EachUser(ctx context.Context, fn func(*shop.User) error) error {
	return scanAfter(s.db, prefixUser, "", func(v []byte) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		var u shop.User
		if err := json.Unmarshal(v, &u); err != nil {
			return false, fmt.Errorf("decode user: %w", err)
		}
		return true, fn(&u)
	})
}

// DeleteUser erases a user: the profile and every interaction of theirs, from
// the log, both indexes, the dedup markers and the per-product counters, and
// every blob linked to them (WithSubject: copy written for their persona).
// It reports whether the user or any of their events existed.
//
// A user with a very long history may not fit one transaction; then events go
// in several, and the profile last, so that an interrupted erasure leaves the
// user visible and a retry finishes it.
func (s *Badger) DeleteUser(ctx context.Context, id string) (bool, error) {
	existed := false
	for {
		more := false
		err := s.update(ctx, func(txn *badger.Txn) error {
			more = false
			n, err := s.eraseEvents(txn, id, 5000)
			if err != nil {
				return err
			}
			if n > 0 {
				existed = true
			}
			if n == 5000 {
				more = true
				return nil
			}
			// What was built from their data (copy for their persona).
			if n, err = s.eraseSubjectBlobs(txn, id, 5000); err != nil {
				return err
			}
			if n == 5000 {
				more = true
				return nil
			}
			k := key(prefixUser, id)
			if _, err := txn.Get(k); err == nil {
				existed = true
				return txn.Delete(k)
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			return nil
		})
		if err != nil {
			return existed, fmt.Errorf("erase user %q: %w", id, err)
		}
		if !more {
			return existed, nil
		}
	}
}
