package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// What a shopper's own client may record. A shopper token lives in a
// browser, so whatever it sends may be forged: without these, one shopper
// could post a thousand backdated clicks on one product and move it to the
// top of every new shopper's list, or pick the winning copy variant.
const (
	// MaxShopperBatch events per request.
	MaxShopperBatch = 20
	// shopperClockSkew: a shopper's events happen now, give or take.
	shopperClockSkew = 5 * time.Minute
	// shopperRepeatGap: the same product and kind from the same shopper
	// counts once per gap; repeats within it are duplicates.
	shopperRepeatGap = 10 * time.Minute
	// shopperRecentEvents is how much of the shopper's history the repeat
	// check reads.
	shopperRecentEvents = 200
)

// RecordShopperInteractions records events a shopper's own client sends
// (the caller has checked the user and the kinds): at most MaxShopperBatch,
// each happening now, a copy variant only if the product has served it,
// and one event per product and kind per shopperRepeatGap, later repeats
// counted as duplicates.
func (a *App) RecordShopperInteractions(ctx context.Context, in []shop.InteractionInput) (store.RecordResult, []shop.UserError, error) {
	if len(in) > MaxShopperBatch {
		return store.RecordResult{}, []shop.UserError{{Field: []string{"input"}, Code: shop.CodeTooLarge,
			Message: fmt.Sprintf("a shopper token records at most %d events per request", MaxShopperBatch)}}, nil
	}
	now := a.Store.Now()
	var errs []shop.UserError
	for i, it := range in {
		field := func(f string) []string { return []string{"input", strconv.Itoa(i), f} }
		if at := it.OccurredAt; at != nil && (at.Before(now.Add(-shopperClockSkew)) || at.After(now.Add(shopperClockSkew))) {
			errs = append(errs, shop.UserError{Field: field("occurredAt"), Code: shop.CodeInvalid,
				Message: "a shopper's events happen now: leave occurredAt out"})
		}
		if v := it.CopyVariantID; v != nil {
			ok, err := a.Engage.Served(ctx, it.ProductID, *v)
			if err != nil {
				return store.RecordResult{}, nil, err
			}
			if !ok {
				errs = append(errs, shop.UserError{Field: field("copyVariantID"), Code: shop.CodeNotFound,
					Message: "no such copy variant was served for this product"})
			}
		}
	}
	// Checked before repeats are dropped: a forged ID is refused even on
	// an event that would count as a repeat.
	if _, idErrs := a.verifyRecommendationIDs(in); idErrs != nil {
		errs = append(errs, idErrs...)
	}
	if errs != nil {
		return store.RecordResult{}, errs, nil
	}
	kept, repeats, err := a.withoutRepeats(ctx, in, now)
	if err != nil {
		return store.RecordResult{}, nil, err
	}
	res := store.RecordResult{}
	if len(kept) > 0 {
		var errs []shop.UserError
		if res, errs, err = a.RecordInteractions(ctx, kept); err != nil || errs != nil {
			return res, errs, err
		}
	}
	res.Duplicates += repeats
	return res, nil, nil
}

// withoutRepeats drops events whose shopper recorded the same product and
// kind within shopperRepeatGap (in the store or earlier in the batch).
func (a *App) withoutRepeats(ctx context.Context, in []shop.InteractionInput, now time.Time) ([]shop.InteractionInput, int, error) {
	type key struct {
		user, product string
		kind          shop.InteractionKind
	}
	seen := map[key]bool{}
	read := map[string]bool{}
	var kept []shop.InteractionInput
	for _, it := range in {
		if !read[it.UserID] {
			read[it.UserID] = true
			evs, err := a.Store.UserInteractions(ctx, it.UserID, shopperRecentEvents)
			if err != nil {
				return nil, 0, err
			}
			for _, ev := range evs {
				if now.Sub(ev.OccurredAt) < shopperRepeatGap {
					seen[key{ev.UserID, ev.ProductID, ev.Kind}] = true
				}
			}
		}
		k := key{it.UserID, it.ProductID, it.Kind}
		if seen[k] {
			continue
		}
		seen[k] = true
		kept = append(kept, it)
	}
	return kept, len(in) - len(kept), nil
}
