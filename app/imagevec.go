package app

import (
	"context"
	"fmt"

	"github.com/shopmuse/shopmuse/imagevec"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vision"
)

// Image embeddings (issue 18 part 3): with Config.ImageEmbedder set, each
// product's imageURL is embedded in the background and the vector feeds
// similarProducts and the recommender's content retriever as a second
// signal. The store's blobs (namespace imagevec.Namespace) are the truth;
// every replica loads them at start and reloads the keys another replica
// wrote (ReloadOn).

// openImages builds the image embedding service, loads the stored vectors
// and hands the image index to search; openRecommend hands it to the
// recommender.
func (a *App) openImages(ctx context.Context) error {
	if a.cfg.ImageEmbedder == nil {
		return nil
	}
	c := *a.cfg.ImageEmbedder
	client, err := imagevec.NewClient(c, nil)
	if err != nil {
		return err
	}
	fetch := vision.NewFetcher(0, c.AllowPrivate)
	a.Images, err = imagevec.New(a.Store, fetch, client, imagevec.Options{Name: c.Name(), Dim: c.Dim, Weight: c.Weight,
		Concurrency: c.Concurrency, Log: a.log, Registerer: a.Metrics.Registry})
	if err != nil {
		return err
	}
	if err := a.Images.Load(ctx); err != nil {
		return fmt.Errorf("image vectors: %w", err)
	}
	a.Search.SetImages(a.Images.Index(), a.Images.Weight())
	a.ReloadOn(imagevec.Namespace, a.Images.Reload)
	a.log.Info("image embedder", "model", c.Name(), "weight", c.Weight, "concurrency", c.Concurrency)
	return nil
}

// backfillImages queues every product with an image and no vector.
func (a *App) backfillImages(ctx context.Context) error {
	if a.Images == nil {
		return nil
	}
	var ps []shop.Product
	if err := a.Store.EachProduct(ctx, func(p *shop.Product) error { ps = append(ps, *p); return nil }); err != nil {
		return fmt.Errorf("image vectors: read catalogue: %w", err)
	}
	a.Images.Backfill(ctx, ps)
	return nil
}
