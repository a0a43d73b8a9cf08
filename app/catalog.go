package app

import (
	"context"
	"fmt"
	"strconv"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// The catalogue writes. Each validates and normalises its whole batch first
// (one bad row: nothing is written, and the row is named in a UserError),
// commits it in one store transaction, then brings the recommender and the
// search index up to date. The store is the truth: a failure to update a
// derived index is logged, and that index reconciles with the store at the
// next start.

// UpsertProducts creates or replaces products.
func (a *App) UpsertProducts(ctx context.Context, in []shop.ProductInput) ([]shop.Product, []shop.UserError, error) {
	products, errs := shop.NormalizeProducts(in, "input")
	if errs != nil {
		return nil, errs, nil
	}
	saved, err := a.Store.UpsertProducts(ctx, products)
	if err != nil {
		return nil, nil, err
	}
	if err := a.Recommend.UpsertProducts(saved); err != nil {
		a.log.Error("recommend: upsert products", "err", err)
	}
	if err := a.Search.Upsert(ctx, saved); err != nil {
		a.log.Error("index upserted products", "err", err, "count", len(saved))
	}
	if a.Images != nil {
		a.Images.Upsert(ctx, saved) // embeds in the background
	}
	return saved, nil, nil
}

// DeleteProducts deletes products and returns the IDs that existed.
func (a *App) DeleteProducts(ctx context.Context, ids []string) ([]string, []shop.UserError, error) {
	if errs := checkIDs(ids, "ids"); errs != nil {
		return nil, errs, nil
	}
	deleted, err := a.Store.DeleteProducts(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	a.Recommend.DeleteProducts(deleted)
	if err := a.dropProductQAs(ctx, deleted); err != nil {
		a.log.Error("delete the Q&A entries of deleted products", "err", err, "count", len(deleted))
	}
	if err := a.dropUnanswered(ctx, deleted); err != nil {
		a.log.Error("drop the unanswered questions of deleted products", "err", err, "count", len(deleted))
	}
	if len(deleted) > 0 {
		if err := a.Search.Delete(ctx, deleted); err != nil {
			a.log.Error("unindex deleted products", "err", err, "count", len(deleted))
		}
		if a.Images != nil {
			if err := a.Images.Delete(ctx, deleted); err != nil {
				a.log.Error("delete image vectors", "err", err, "count", len(deleted))
			}
		}
	}
	return deleted, nil, nil
}

// UpsertUsers creates or replaces user profiles.
func (a *App) UpsertUsers(ctx context.Context, in []shop.UserInput) ([]shop.User, []shop.UserError, error) {
	users, errs := shop.NormalizeUsers(in, "input")
	if errs != nil {
		return nil, errs, nil
	}
	saved, err := a.Store.UpsertUsers(ctx, users)
	if err != nil {
		return nil, nil, err
	}
	if err := a.Recommend.UpsertUsers(saved); err != nil {
		a.log.Error("recommend: upsert users", "err", err)
	}
	return saved, nil, nil
}

// DeleteUser erases a user: their profile and interactions, the copy cached
// for their persona, copy under review written for their persona (with its
// words in the review audit log), their campaign messages (running campaigns skip them),
// their row in the serving models and then in the saved snapshot, so the
// erased user's factors do not survive on disk. It reports whether the
// user existed.
//
// Before anything is erased the saved snapshot is marked stale: if saving
// the new one fails (after its retries), the next start does not restore
// the old snapshot, with the user's factors, but trains without them. The
// next successful save clears the mark, and value-log garbage collection
// after it removes the old snapshot's bytes.
func (a *App) DeleteUser(ctx context.Context, id string) (bool, []shop.UserError, error) {
	if code, msg := shop.ValidateID(id); code != "" {
		return false, []shop.UserError{{Field: []string{"id"}, Message: msg, Code: code}}, nil
	}
	// Detached from the request: an erasure whose client hung up must
	// still reach the disk.
	dctx, done, err := a.detach(ctx)
	if err != nil {
		return false, nil, err
	}
	defer done()
	_, wasStale, err := a.Store.GetBlob(dctx, modelsNS, modelsStaleKey)
	if err != nil {
		return false, nil, fmt.Errorf("erase user %q: %w", id, err)
	}
	if err := a.Store.PutBlob(dctx, modelsNS, modelsStaleKey, []byte(id)); err != nil {
		return false, nil, fmt.Errorf("erase user %q: mark the model snapshot stale: %w", id, err)
	}
	existed, err := a.Store.DeleteUser(dctx, id)
	if err != nil {
		return false, nil, err
	}
	if err := a.Engage.EraseUser(dctx, id); err != nil {
		return existed, nil, err
	}
	if err := a.eraseCounts(dctx, id); err != nil {
		return existed, nil, err
	}
	if err := a.Review.EraseUser(dctx, id); err != nil {
		return existed, nil, err
	}
	if !a.Recommend.DeleteUser(id) && !wasStale {
		// The models never had the user, so neither has the snapshot they
		// were saved as: no need to rewrite it (bulk erasures stay cheap).
		if err := a.Store.DeleteBlob(dctx, modelsNS, modelsStaleKey); err != nil {
			return existed, nil, fmt.Errorf("erase user %q: %w", id, err)
		}
		return existed, nil, nil
	}
	if err := a.saveSnapshot(dctx, nil); err != nil {
		return existed, nil, err
	}
	return existed, nil, nil
}

// RecordInteractions appends interactions to the event log; the shopper's
// very next recommendations reflect them. Interactions already recorded
// (same user, product, kind and time) count as duplicates, not errors.
func (a *App) RecordInteractions(ctx context.Context, in []shop.InteractionInput) (store.RecordResult, []shop.UserError, error) {
	its, errs := shop.NormalizeInteractions(in, a.Store.Now(), "input")
	if errs != nil {
		return store.RecordResult{}, errs, nil
	}
	claims, errs := a.verifyRecommendationIDs(in)
	if errs != nil {
		return store.RecordResult{}, errs, nil
	}
	res, errs, err := a.Store.RecordInteractions(ctx, its, "input")
	if err != nil || errs != nil {
		return res, errs, err
	}
	if len(res.Recorded) > 0 {
		add := a.Recommend.AddInteractions
		if a.rep.bus != nil {
			// The bus brings the same events back: whichever arrives
			// first counts them (app/replicas.go).
			add = func(its []shop.Interaction) error { _, err := a.Recommend.AddInteractionsOnce(its); return err }
		}
		if err := add(res.Recorded); err != nil {
			a.log.Error("recommend: add interactions", "err", err)
		}
		a.afterRecorded(ctx, res.Recorded, claims)
	}
	return res, nil, nil
}

// Exist reports, for each ID, whether such a product (isProduct) or user is
// in the store; the importer checks references with it.
func (a *App) Exist(ctx context.Context, isProduct bool, ids []string) ([]bool, error) {
	return a.Store.Exist(ctx, isProduct, ids)
}

// checkIDs validates a list of IDs given to a delete.
func checkIDs(ids []string, field string) []shop.UserError {
	if errs := shop.BatchTooLarge(len(ids), field); errs != nil {
		return errs
	}
	var errs []shop.UserError
	for i, id := range ids {
		if code, msg := shop.ValidateID(id); code != "" {
			errs = append(errs, shop.UserError{Field: []string{field, strconv.Itoa(i)}, Message: msg, Code: code})
		}
	}
	return errs
}
