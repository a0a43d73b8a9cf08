package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/imagevec"
	"github.com/shopmuse/shopmuse/internal/natstest"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vision"
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

// clipStandIn answers OpenAI /v1/embeddings requests for images that are
// a PNG signature and a colour name with the colour's vector.
func clipStandIn(t *testing.T) string {
	colours := map[string]string{"red": "[1, 0.05, 0, 0]", "blue": "[0, 1, 0, 0]"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Input []string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.URL.Path != "/v1/embeddings" || len(req.Input) != 1 {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(req.Input[0], "data:image/png;base64,"))
		v, ok := colours[string(data[min(8, len(data)):])]
		if err != nil || !ok {
			http.Error(w, "unknown image", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object": "list", "data": [{"index": 0, "embedding": `+v+`}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// TestUploadedImageVectorReachesReplicas: an image uploaded to extract
// facts on one replica is embedded there and stored like an imageURL's
// vector; the other replica indexes it through the imagevec reload, and
// both drop it when the product is deleted.
func TestUploadedImageVectorReachesReplicas(t *testing.T) {
	st := sharedStore(t)
	be := backend{name: "memory", use: func(c *Config) { c.OpenedStore = st }, pending: st.pending}
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url)}
	llm := &inFlightLLM{release: make(chan struct{})}
	llm.close() // answer at once
	chat, clip := llm.server(t), clipStandIn(t)
	images := func(c *Config) {
		c.ImageEmbedder = &imagevec.Config{Provider: imagevec.ProviderOpenAI, URL: clip, Model: "clip", Dim: 4, Weight: 0.5, Concurrency: 1,
			Timeout: 5 * time.Second}
	}
	a := startReplica(t, be, bc, "a", func(c *Config) {
		images(c)
		c.Vision = &vision.Config{Provider: "openai", Model: "m", BaseURL: chat, APIKey: "x"}
	})
	b := startReplica(t, be, bc, "b", images)
	for _, r := range []*replica{a, b} {
		eventually(t, 10*time.Second, r.cfg.Replica+" ready", func() bool { ok, _ := r.Ready(); return ok })
	}
	ctx := context.Background()
	price := shop.MoneyInput{Amount: 4900}
	if _, ues, err := a.UpsertProducts(ctx, []shop.ProductInput{{ID: "mug", Title: "陶瓷马克杯", Category: "家居/杯具", Price: &price}}); err != nil || ues != nil {
		t.Fatal(err, ues)
	}
	img := base64.StdEncoding.EncodeToString(append([]byte("\x89PNG\r\n\x1a\n"), "red"...))
	if _, ues, err := a.ExtractImageFacts(ctx, "mug", &img); err != nil || ues != nil {
		t.Fatal(err, ues)
	}
	a.Images.Wait()
	red := func(r *replica) bool {
		v, ok, _ := r.Images.Index().Vector(ctx, "mug")
		return ok && v[0] > 0.9
	}
	if !red(a) {
		t.Fatal("the uploaded image was not embedded on the replica it reached")
	}
	if _, ok, _ := a.Store.GetBlob(ctx, imagevec.Namespace, "mug"); !ok {
		t.Fatal("the uploaded image's vector was not stored")
	}
	eventually(t, 5*time.Second, "b to index the uploaded image's vector", func() bool { return red(b) })
	if _, _, err := a.DeleteProducts(ctx, []string{"mug"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "both replicas to drop a deleted product's upload vector", func() bool {
		_, stored, _ := a.Store.GetBlob(ctx, imagevec.Namespace, "mug")
		return !stored && !red(a) && !red(b)
	})
}
