package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/shopmuse/shopmuse/imagevec"
	"github.com/shopmuse/shopmuse/shop"
)

// TestImageVectorsReloadOnTheirNamespace: a vector another replica stored
// reaches this one's index through the reload registered for the imagevec
// namespace, and its deletion takes it out.
func TestImageVectorsReloadOnTheirNamespace(t *testing.T) {
	ctx := context.Background()
	cfg := imagevec.Config{Provider: imagevec.ProviderOpenAI, URL: "http://127.0.0.1:1/v1", Model: "clip", Dim: 4, Weight: 0.5, Concurrency: 1}
	a, err := Open(ctx, Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ImageEmbedder: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// Written as another replica would: the store, then the blob.
	if _, err := a.Store.UpsertProducts(ctx, []shop.Product{{ID: "p", Title: "t", Category: "c", ImageURL: "http://img/p.png"}}); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"embedder": cfg.Name(), "imageURL": "http://img/p.png", "vector": []float32{1, 0, 0, 0}})
	if err := a.Store.PutBlob(ctx, imagevec.Namespace, "p", b); err != nil {
		t.Fatal(err)
	}
	if err := a.runReloads(ctx, imagevec.Namespace, []string{"p"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := a.Images.Index().Vector(ctx, "p"); !ok {
		t.Fatal("the reload did not load the vector")
	}
	if err := a.Store.DeleteBlob(ctx, imagevec.Namespace, "p"); err != nil {
		t.Fatal(err)
	}
	if err := a.runReloads(ctx, imagevec.Namespace, []string{"p"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := a.Images.Index().Vector(ctx, "p"); ok {
		t.Fatal("the reload kept a deleted vector")
	}
}
