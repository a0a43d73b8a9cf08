package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/demo"
	"github.com/shopmuse/shopmuse/shop"
)

// loadDemo fills an empty store with the demo shop, once, through the same
// use cases as any client's writes: a store that has ever held data (even
// if it was all deleted later) keeps an event log or a catalogue, and a
// marker blob stops a second load after everything is gone.
func (a *App) loadDemo(ctx context.Context) (err error) {
	marker, version, err := a.Store.GetBlobVersion(ctx, "meta", "demo-loaded")
	if err != nil {
		return err
	}
	stale := version != 0 && staleDemoClaim(string(marker), time.Now())
	if version != 0 && !stale {
		return nil
	}
	empty, err := a.Store.IsEmpty()
	if err != nil || !empty {
		return err
	}
	// Replicas starting at once on a new store would each load it, with
	// interactions stamped a moment apart: the one that claims the marker
	// loads, the others leave it to that one. A claim on a store still
	// empty long after it was made is one whose replica died before its
	// first write: it is taken over (by one replica, the swap decides).
	claim := fmt.Sprintf("%s%s by %s", demoClaimPrefix, time.Now().UTC().Format(time.RFC3339), a.cfg.Replica)
	if mine, err := a.Store.PutBlobIf(ctx, "meta", "demo-loaded", []byte(claim), version); err != nil || !mine {
		if err == nil {
			a.log.Info("another replica loads the demo shop")
		}
		return err
	}
	if stale {
		a.log.Warn("the replica that claimed the demo shop wrote none of it; loading it here", "claim", string(marker))
	}
	defer func() {
		if err == nil {
			return
		}
		// A load that failed before its first write gives the claim
		// back, so that the next start loads the demo shop; one that
		// wrote some of it keeps the claim (the store is not empty).
		if empty, eerr := a.Store.IsEmpty(); eerr == nil && empty {
			if derr := a.Store.DeleteBlob(context.WithoutCancel(ctx), "meta", "demo-loaded"); derr != nil {
				a.log.Warn("give back the demo shop's claim", "err", derr)
			}
		}
	}()
	start := time.Now()
	d := demo.Generate(a.Store.Now())
	if err := inBatches(d.Products, func(b []shop.ProductInput) ([]shop.UserError, error) {
		_, errs, err := a.UpsertProducts(ctx, b)
		return errs, err
	}); err != nil {
		return fmt.Errorf("products: %w", err)
	}
	if err := inBatches(d.Users, func(b []shop.UserInput) ([]shop.UserError, error) {
		_, errs, err := a.UpsertUsers(ctx, b)
		return errs, err
	}); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	if err := inBatches(d.Interactions, func(b []shop.InteractionInput) ([]shop.UserError, error) {
		_, errs, err := a.RecordInteractions(ctx, b)
		return errs, err
	}); err != nil {
		return fmt.Errorf("interactions: %w", err)
	}
	var qas []assistant.QA
	for _, q := range demo.QAs() {
		qas = append(qas, assistant.QA{ID: q.ID, ProductID: q.ProductID, Question: q.Question, Answer: q.Answer})
	}
	if err := inBatches(qas, func(b []assistant.QA) ([]shop.UserError, error) {
		_, errs, err := a.UpsertProductQAs(ctx, b)
		return errs, err
	}); err != nil {
		return fmt.Errorf("Q&A entries: %w", err)
	}
	if err := a.Store.PutBlob(ctx, "meta", "demo-loaded", []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		return err
	}
	a.log.Info("loaded the demo shop", "products", len(d.Products), "users", len(d.Users),
		"interactions", len(d.Interactions), "qas", len(qas), "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// inBatches writes items in batches of shop.MaxBatch; a batch's first
// UserError (the demo data is ours, so any is a bug) becomes the error.
func inBatches[T any](items []T, write func([]T) ([]shop.UserError, error)) error {
	for i := 0; i < len(items); i += shop.MaxBatch {
		errs, err := write(items[i:min(i+shop.MaxBatch, len(items))])
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			return fmt.Errorf("%s: %s (%s)", errs[0].Field, errs[0].Message, errs[0].Code)
		}
	}
	return nil
}

// demoClaimPrefix starts the marker while the demo shop is being loaded;
// once loaded it holds the time alone.
const demoClaimPrefix = "loading since "

// demoClaimStale is how long a claim may stand on a store that is still
// empty: the claiming replica writes its first products within seconds.
const demoClaimStale = 10 * time.Minute

// staleDemoClaim reports whether marker is a claim made more than
// demoClaimStale before now.
func staleDemoClaim(marker string, now time.Time) bool {
	rest, ok := strings.CutPrefix(marker, demoClaimPrefix)
	if !ok {
		return false
	}
	stamp, _, _ := strings.Cut(rest, " ")
	at, err := time.Parse(time.RFC3339, stamp)
	return err == nil && now.Sub(at) > demoClaimStale
}
