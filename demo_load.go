package main

import (
	"context"
	"fmt"
	"time"

	"github.com/shopmuse/shopmuse/demo"
	"github.com/shopmuse/shopmuse/shop"
)

// loadDemo fills an empty store with the demo shop, once: a store that has
// ever held data (even if it was all deleted later) keeps an event log or a
// catalogue, and a marker blob stops a second load after everything is gone.
func (a *app) loadDemo(ctx context.Context) error {
	if _, loaded, err := a.store.GetBlob(ctx, "meta", "demo-loaded"); err != nil || loaded {
		return err
	}
	empty, err := a.store.IsEmpty()
	if err != nil || !empty {
		return err
	}
	start := time.Now()
	d := demo.Generate(a.store.Now())
	for i := 0; i < len(d.Products); i += shop.MaxBatch {
		ps, errs := shop.NormalizeProducts(d.Products[i:min(i+shop.MaxBatch, len(d.Products))], "demo")
		if errs != nil {
			return fmt.Errorf("demo products: %v", errs[0])
		}
		if _, err := a.store.UpsertProducts(ctx, ps); err != nil {
			return err
		}
	}
	for i := 0; i < len(d.Users); i += shop.MaxBatch {
		us, errs := shop.NormalizeUsers(d.Users[i:min(i+shop.MaxBatch, len(d.Users))], "demo")
		if errs != nil {
			return fmt.Errorf("demo users: %v", errs[0])
		}
		if _, err := a.store.UpsertUsers(ctx, us); err != nil {
			return err
		}
	}
	for i := 0; i < len(d.Interactions); i += shop.MaxBatch {
		its, errs := shop.NormalizeInteractions(d.Interactions[i:min(i+shop.MaxBatch, len(d.Interactions))], a.store.Now(), "demo")
		if errs != nil {
			return fmt.Errorf("demo interactions: %v", errs[0])
		}
		if _, errs, err := a.store.RecordInteractions(ctx, its, "demo"); err != nil || errs != nil {
			return fmt.Errorf("demo interactions: %v %v", err, errs)
		}
	}
	if err := a.store.PutBlob(ctx, "meta", "demo-loaded", []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		return err
	}
	a.log.Info("loaded the demo shop", "products", len(d.Products), "users", len(d.Users),
		"interactions", len(d.Interactions), "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}
