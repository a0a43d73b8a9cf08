package imagevec

import (
	"context"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// gatedStore holds a worker's look at one product (after it read it)
// until released, so that a delete can fall between the look and the
// worker's writes.
type gatedStore struct {
	*memStore
	id      string
	reached chan struct{}
	release chan struct{}
}

func (g *gatedStore) Product(ctx context.Context, id string) (*shop.Product, error) {
	p, err := g.memStore.Product(ctx, id)
	if id == g.id {
		close(g.reached)
		<-g.release
	}
	return p, err
}

// A product deleted while its image was being embedded keeps no vector:
// neither the blob nor the index entry the worker was about to write.
func TestDeleteDuringEmbeddingLeavesNoVector(t *testing.T) {
	img := imageServer(t)
	ctx := context.Background()
	p := shop.Product{ID: "a", Version: 1, ImageURL: img.URL + "/red.png"}
	st := &gatedStore{memStore: newMemStore(p), id: "a", reached: make(chan struct{}), release: make(chan struct{})}
	s, _ := newService(t, ProviderOpenAI, st)
	s.Upsert(ctx, []shop.Product{p})
	<-st.reached // the worker has read the product, not yet written
	deleted := make(chan error, 1)
	go func() {
		// As app.DeleteProducts: the store first, then the vectors.
		st.mu.Lock()
		delete(st.products, "a")
		st.mu.Unlock()
		deleted <- s.Delete(ctx, []string{"a"})
	}()
	// Give the delete time to run ahead of the worker if nothing stops it
	// (the fixed code waits for the worker; no timing is needed there).
	time.Sleep(100 * time.Millisecond)
	close(st.release)
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	s.Wait()
	if _, ok, _ := s.Index().Vector(ctx, "a"); ok {
		t.Error("the deleted product is still in the image index")
	}
	if _, ok, _ := st.GetBlob(ctx, Namespace, "a"); ok {
		t.Error("the deleted product's vector is still stored")
	}
}
