package resolvers

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

	"github.com/99designs/gqlgen/client"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/imagevec"
	"github.com/shopmuse/shopmuse/vision"
)

// clipStandIn answers image embedding requests in the OpenAI
// (/v1/embeddings, data URL in "input") or Ollama (/api/embed, "images")
// shape. Images are a PNG signature and a colour name; the vector is the
// colour's, so two products with "red" pictures look alike.
func clipStandIn(t *testing.T, provider string) *httptest.Server {
	colours := map[string][]float64{"red": {1, 0.05, 0, 0}, "blue": {0, 1, 0, 0}, "green": {0, 0, 1, 0}, "grey": {0, 0, 0, 1}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model  string
			Input  []string
			Images []string
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var b64 string
		switch {
		case provider == imagevec.ProviderOpenAI && r.URL.Path == "/v1/embeddings" && len(req.Input) == 1:
			b64 = strings.TrimPrefix(req.Input[0], "data:image/png;base64,")
		case provider == imagevec.ProviderOllama && r.URL.Path == "/api/embed" && len(req.Images) == 1:
			b64 = req.Images[0]
		default:
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(data) < 8 {
			http.Error(w, "bad image", http.StatusBadRequest)
			return
		}
		v, ok := colours[string(data[8:])]
		if !ok {
			http.Error(w, "unknown image", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if provider == imagevec.ProviderOpenAI {
			json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": []any{map[string]any{"index": 0, "embedding": v}}})
		} else {
			json.NewEncoder(w).Encode(map[string]any{"embeddings": [][]float64{v}})
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSimilarProductsUseImagesOnlyWhenConfigured: a kettle's text
// neighbour is the other kettle; a mug photographed like it (same
// "picture") becomes its nearest neighbour only with the image embedder
// on. A product without an image vector keeps the text-only answer, and
// an unreachable image URL stores nothing and is counted.
func TestSimilarProductsUseImagesOnlyWhenConfigured(t *testing.T) {
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(append([]byte("\x89PNG\r\n\x1a\n"), strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), ".png")...))
	}))
	defer img.Close()
	products := []map[string]any{
		{"id": "kettle-a", "title": "象印 电热水壶 1.5L 不锈钢", "category": "家电/厨房电器", "price": map[string]any{"amount": "399"}, "imageURL": img.URL + "/red.png"},
		{"id": "kettle-b", "title": "美的 电热水壶 1.7L 不锈钢", "category": "家电/厨房电器", "price": map[string]any{"amount": "199"}, "imageURL": img.URL + "/blue.png"},
		{"id": "mug", "title": "陶瓷马克杯 350ml 咖啡杯", "category": "家居/杯具", "price": map[string]any{"amount": "49"}, "imageURL": img.URL + "/red.png"},
		{"id": "tee", "title": "纯棉圆领T恤 白色", "category": "服饰/T恤", "price": map[string]any{"amount": "79"}, "imageURL": img.URL + "/green.png"},
		{"id": "sock", "title": "羊毛袜 三双装", "category": "服饰/袜子", "price": map[string]any{"amount": "59"}, "imageURL": "http://127.0.0.1:1/sock.png"},
		{"id": "plain", "title": "电热水壶 清洁剂", "category": "家居/清洁", "price": map[string]any{"amount": "19"}},
	}
	similar := func(t *testing.T, a *app.App, id string) []string {
		t.Helper()
		c := newAppClient(a)
		var resp struct {
			UpsertProducts struct {
				Products []struct {
					ID      string
					Version int
				}
				UserErrors []userError
			}
		}
		c.MustPost(upsertProducts, &resp, client.Var("input", products))
		if len(resp.UpsertProducts.UserErrors) > 0 {
			t.Fatal(resp.UpsertProducts.UserErrors)
		}
		if a.Images != nil {
			a.Images.Wait()
		}
		var q struct {
			SimilarProducts []struct {
				Product struct{ ID string }
				Score   float64
			}
		}
		c.MustPost(`query($id: ID!) { similarProducts(productID: $id, first: 3) { product { id } score } }`, &q, client.Var("id", id))
		var ids []string
		for _, h := range q.SimilarProducts {
			ids = append(ids, h.Product.ID)
		}
		return ids
	}

	off := newApp(t)
	if got := similar(t, off, "kettle-a"); len(got) == 0 || got[0] != "kettle-b" {
		t.Fatalf("without images kettle-a's neighbours are %v, want kettle-b first", got)
	}
	withoutImages := similar(t, off, "plain")

	for _, provider := range []string{imagevec.ProviderOpenAI, imagevec.ProviderOllama} {
		t.Run(provider, func(t *testing.T) {
			srv := clipStandIn(t, provider)
			url := srv.URL
			if provider == imagevec.ProviderOpenAI {
				url += "/v1"
			}
			a, err := app.Open(context.Background(), app.Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				ImageEmbedder: &imagevec.Config{Provider: provider, URL: url, Model: "clip", Dim: 4, Weight: 0.5, Concurrency: 2,
					Timeout: 5 * time.Second, AllowPrivate: true}})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			got := similar(t, a, "kettle-a")
			if len(got) == 0 || got[0] != "mug" {
				t.Fatalf("with images kettle-a's neighbours are %v, want mug (same picture) first", got)
			}
			if a.Images.Embedded() != 4 || a.Images.Failures(imagevec.ReasonFetch) != 1 {
				t.Fatalf("embedded %v, fetch failures %v; want 4 and 1 (sock's URL is unreachable)",
					a.Images.Embedded(), a.Images.Failures(imagevec.ReasonFetch))
			}
			if _, ok, _ := a.Store.GetBlob(context.Background(), imagevec.Namespace, "sock"); ok {
				t.Fatal("a vector was stored for an unreachable image")
			}
			// No image vector: exactly today's answer.
			if p := similar(t, a, "plain"); strings.Join(p, ",") != strings.Join(withoutImages, ",") {
				t.Fatalf("product without an image: %v, without the embedder %v", p, withoutImages)
			}
		})
	}
}

// TestUploadedImageFeedsSimilarProducts: a mug without an imageURL has no
// image vector, so kettle-a's nearest neighbour is the other kettle; once
// an admin uploads its picture (the same "red" picture as kettle-a's) to
// extract image facts, the upload is embedded and the mug comes first.
func TestUploadedImageFeedsSimilarProducts(t *testing.T) {
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(append([]byte("\x89PNG\r\n\x1a\n"), strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), ".png")...))
	}))
	defer img.Close()
	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": `{"facts": [{"name": "colour", "value": "红色", "confidence": 0.9}]}`}}}})
	}))
	defer chat.Close()
	for _, provider := range []string{imagevec.ProviderOpenAI, imagevec.ProviderOllama} {
		t.Run(provider, func(t *testing.T) {
			srv := clipStandIn(t, provider)
			url := srv.URL
			if provider == imagevec.ProviderOpenAI {
				url += "/v1"
			}
			a, err := app.Open(context.Background(), app.Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				ImageEmbedder: &imagevec.Config{Provider: provider, URL: url, Model: "clip", Dim: 4, Weight: 0.5, Concurrency: 2,
					Timeout: 5 * time.Second, AllowPrivate: true},
				Vision: &vision.Config{Provider: "openai", Model: "m", BaseURL: chat.URL + "/v1", APIKey: "x"}})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			c := newAppClient(a)
			var up struct {
				UpsertProducts struct {
					Products []struct {
						ID      string
						Version int
					}
					UserErrors []userError
				}
			}
			c.MustPost(upsertProducts, &up, client.Var("input", []map[string]any{
				{"id": "kettle-a", "title": "象印 电热水壶 1.5L 不锈钢", "category": "家电/厨房电器", "price": map[string]any{"amount": "399"}, "imageURL": img.URL + "/red.png"},
				{"id": "kettle-b", "title": "美的 电热水壶 1.7L 不锈钢", "category": "家电/厨房电器", "price": map[string]any{"amount": "199"}, "imageURL": img.URL + "/blue.png"},
				{"id": "mug", "title": "陶瓷马克杯 350ml 咖啡杯", "category": "家居/杯具", "price": map[string]any{"amount": "49"}},
			}))
			if len(up.UpsertProducts.UserErrors) > 0 {
				t.Fatal(up.UpsertProducts.UserErrors)
			}
			a.Images.Wait()
			similar := func() []string {
				var q struct {
					SimilarProducts []struct{ Product struct{ ID string } }
				}
				c.MustPost(`{ similarProducts(productID: "kettle-a", first: 2) { product { id } } }`, &q)
				var ids []string
				for _, h := range q.SimilarProducts {
					ids = append(ids, h.Product.ID)
				}
				return ids
			}
			if got := similar(); len(got) == 0 || got[0] != "kettle-b" {
				t.Fatalf("before the upload kettle-a's neighbours are %v, want kettle-b first", got)
			}
			var ex struct {
				ExtractImageFacts struct {
					Facts      []struct{ Value string }
					UserErrors []userError
				}
			}
			c.MustPost(`mutation($b: String!) { extractImageFacts(productID: "mug", image: $b) { facts { value } userErrors { code message } } }`, &ex,
				client.Var("b", base64.StdEncoding.EncodeToString(append([]byte("\x89PNG\r\n\x1a\n"), "red"...))))
			if len(ex.ExtractImageFacts.UserErrors) > 0 || len(ex.ExtractImageFacts.Facts) != 1 {
				t.Fatalf("extract: %+v", ex.ExtractImageFacts)
			}
			a.Images.Wait()
			if got := similar(); len(got) == 0 || got[0] != "mug" {
				t.Fatalf("after uploading the mug's picture kettle-a's neighbours are %v, want mug (same picture) first", got)
			}
		})
	}
}
