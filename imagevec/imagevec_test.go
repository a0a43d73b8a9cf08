package imagevec

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/vision"
)

// memStore is the part of the store the service uses, in memory.
type memStore struct {
	mu       sync.Mutex
	products map[string]*shop.Product
	blobs    map[string][]byte
}

func newMemStore(ps ...shop.Product) *memStore {
	m := &memStore{products: map[string]*shop.Product{}, blobs: map[string][]byte{}}
	for i := range ps {
		m.products[ps[i].ID] = &ps[i]
	}
	return m
}

func (m *memStore) Product(_ context.Context, id string) (*shop.Product, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.products[id]
	if !ok {
		return nil, nil
	}
	c := *p
	return &c, nil
}

func (m *memStore) GetBlob(_ context.Context, ns, k string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[ns+"/"+k]
	return b, ok, nil
}

func (m *memStore) PutBlob(_ context.Context, ns, k string, v []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs[ns+"/"+k] = v
	return nil
}

func (m *memStore) DeleteBlob(_ context.Context, ns, k string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blobs, ns+"/"+k)
	return nil
}

func (m *memStore) ListBlobs(_ context.Context, ns, prefix, after string, first int) ([]store.Blob, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.blobs {
		if rest, ok := strings.CutPrefix(k, ns+"/"); ok && strings.HasPrefix(rest, prefix) && rest > after {
			keys = append(keys, rest)
		}
	}
	sort.Strings(keys)
	more := len(keys) > first
	keys = keys[:min(len(keys), first)]
	out := make([]store.Blob, len(keys))
	for i, k := range keys {
		out[i] = store.Blob{Key: k, Value: m.blobs[ns+"/"+k]}
	}
	return out, more, nil
}

// png is a PNG signature followed by a tag that tells the stand-in
// embedding server which answer to give.
func png(tag string) []byte { return append([]byte("\x89PNG\r\n\x1a\n"), tag...) }

// imageServer serves /<tag>.png as png(tag).
func imageServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(png(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), ".png")))
	}))
	t.Cleanup(srv.Close)
	return srv
}

const dim = 4

// embedServer speaks the OpenAI /v1/embeddings or Ollama /api/embed
// protocol; the image's tag chooses the answer: "red", "blue" good vectors;
// "short" a wrong dimension, "nan" a NaN literal, "huge" a value beyond
// float32, "zero" the zero vector, "500" HTTP 500, "slow" an answer after
// the client's timeout, "two" two vectors for one image.
func embedServer(t *testing.T, provider string, requests *int) *httptest.Server {
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		*requests++
		mu.Unlock()
		var b64 string
		switch provider {
		case ProviderOpenAI:
			var req openaiRequest
			if r.URL.Path != "/v1/embeddings" || json.Unmarshal(body, &req) != nil || len(req.Input) != 1 || req.Model != "clip" || req.Modality != "image" {
				http.Error(w, "bad request "+r.URL.Path, http.StatusBadRequest)
				return
			}
			var ok bool
			if b64, ok = strings.CutPrefix(req.Input[0], "data:image/png;base64,"); !ok {
				http.Error(w, "not a data URL", http.StatusBadRequest)
				return
			}
		case ProviderOllama:
			var req ollamaRequest
			if r.URL.Path != "/api/embed" || json.Unmarshal(body, &req) != nil || len(req.Images) != 1 || req.Model != "clip" {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			b64 = req.Images[0]
		}
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(data) < 8 {
			http.Error(w, "not base64", http.StatusBadRequest)
			return
		}
		vecs := map[string]string{"red": "[1, 0.1, 0, 0]", "blue": "[0, 0, 1, 0.2]", "short": "[1, 0, 0]", "nan": "[NaN, 0, 0, 0]",
			"huge": "[1e39, 0, 0, 0]", "zero": "[0, 0, 0, 0]"}
		tag := string(data[8:])
		switch tag {
		case "500":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		v, ok := vecs[tag]
		if tag == "two" {
			v, ok = "[1, 0, 0, 0]", true
		}
		if !ok {
			http.Error(w, "unknown image", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if provider == ProviderOpenAI {
			d := `{"object": "embedding", "index": 0, "embedding": ` + v + `}`
			if tag == "two" {
				d += "," + d
			}
			io.WriteString(w, `{"object": "list", "model": "clip", "data": [`+d+`]}`)
		} else {
			if tag == "two" {
				v += "," + v
			}
			io.WriteString(w, `{"model": "clip", "embeddings": [`+v+`]}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newService(t *testing.T, provider string, st Store) (*Service, *int) {
	t.Helper()
	requests := new(int)
	srv := embedServer(t, provider, requests)
	url := srv.URL
	if provider == ProviderOpenAI {
		url += "/v1"
	}
	cfg := Config{Provider: provider, URL: url, Model: "clip", Dim: dim, Timeout: 300 * time.Millisecond}
	c, err := NewClient(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(st, vision.NewFetcher(2*time.Second, true), c, Options{Name: cfg.Name(), Dim: dim, Weight: 0.5, Concurrency: 3,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, requests
}

// TestEmbedsGoodImagesAndCountsEveryFailure: in both protocols good
// answers are stored and indexed (normalised); a wrong dimension, NaN, a
// value beyond float32, a zero vector, two vectors, HTTP 500, a timeout
// and an unreachable image URL leave the product without a vector, store
// nothing and are counted by reason.
func TestEmbedsGoodImagesAndCountsEveryFailure(t *testing.T) {
	for _, provider := range []string{ProviderOpenAI, ProviderOllama} {
		t.Run(provider, func(t *testing.T) {
			img := imageServer(t)
			var ps []shop.Product
			tags := []string{"red", "blue", "short", "nan", "huge", "zero", "two", "500", "slow"}
			for _, tag := range tags {
				ps = append(ps, shop.Product{ID: tag, Version: 1, ImageURL: img.URL + "/" + tag + ".png", Category: "c"})
			}
			ps = append(ps, shop.Product{ID: "unreachable", Version: 1, ImageURL: "http://127.0.0.1:1/x.png"},
				shop.Product{ID: "noimage", Version: 1})
			st := newMemStore(ps...)
			s, _ := newService(t, provider, st)
			s.Upsert(context.Background(), ps)
			s.Wait()
			ctx := context.Background()
			for _, p := range ps {
				v, ok, err := s.Index().Vector(ctx, p.ID)
				_, stored, _ := st.GetBlob(ctx, Namespace, p.ID)
				want := p.ID == "red" || p.ID == "blue"
				if err != nil || ok != want || stored != want {
					t.Errorf("%s: indexed %v stored %v, want %v (%v)", p.ID, ok, stored, want, err)
				}
				if ok {
					var n float64
					for _, x := range v {
						n += float64(x) * float64(x)
					}
					if math.Abs(n-1) > 1e-5 {
						t.Errorf("%s: norm² %v, want 1", p.ID, n)
					}
				}
			}
			for reason, want := range map[string]float64{ReasonMalformed: 5, ReasonRequest: 2, ReasonFetch: 1, ReasonStore: 0} {
				if got := s.Failures(reason); got != want {
					t.Errorf("failures{%s} = %v, want %v", reason, got, want)
				}
			}
			if s.Embedded() != 2 {
				t.Errorf("embedded %v, want 2", s.Embedded())
			}
		})
	}
}

// TestUnchangedImageIsNotEmbeddedAgain and a changed or removed image
// drops the old vector; deleted products lose theirs; another service on
// the same store (a replica) loads the vectors, and Reload follows them.
func TestVectorsFollowTheCatalogue(t *testing.T) {
	img := imageServer(t)
	ctx := context.Background()
	red := shop.Product{ID: "a", Version: 1, ImageURL: img.URL + "/red.png"}
	st := newMemStore(red)
	s, requests := newService(t, ProviderOpenAI, st)
	s.Upsert(ctx, []shop.Product{red})
	s.Wait()
	red.Version = 2
	s.Upsert(ctx, []shop.Product{red})
	s.Wait()
	if *requests != 1 {
		t.Fatalf("%d requests for one unchanged image, want 1", *requests)
	}

	// A replica loads what is stored.
	r, _ := newService(t, ProviderOpenAI, st)
	if err := r.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := r.Index().Vector(ctx, "a"); !ok {
		t.Fatal("replica did not load the stored vector")
	}

	// The image changes: the old vector goes at once, the new one comes.
	blue := shop.Product{ID: "a", Version: 3, ImageURL: img.URL + "/blue.png"}
	st.products["a"] = &blue
	s.Upsert(ctx, []shop.Product{blue})
	s.Wait()
	v, ok, _ := s.Index().Vector(ctx, "a")
	if !ok || v[2] < 0.9 {
		t.Fatalf("after the image changed: %v %v", v, ok)
	}
	if err := r.Reload(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if rv, ok, _ := r.Index().Vector(ctx, "a"); !ok || rv[2] < 0.9 {
		t.Fatalf("replica after reload: %v %v", rv, ok)
	}

	// Deleted: the blob and the vector go; the replica follows on reload.
	if err := s.Delete(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.GetBlob(ctx, Namespace, "a"); ok {
		t.Fatal("blob kept after delete")
	}
	if err := r.Reload(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := r.Index().Vector(ctx, "a"); ok {
		t.Fatal("replica kept a deleted product's vector")
	}

	// Backfill queues only products without a vector for their image.
	st.products["a"] = &red
	if n := s.Backfill(ctx, []shop.Product{red, {ID: "b"}}); n != 1 {
		t.Fatalf("backfill queued %d, want 1", n)
	}
	s.Wait()
	if n := s.Backfill(ctx, []shop.Product{red}); n != 0 {
		t.Fatalf("second backfill queued %d, want 0", n)
	}
}

// TestVectorOfAnotherModelIsIgnored: a stored vector of another model or
// dimension is not loaded.
func TestVectorOfAnotherModelIsIgnored(t *testing.T) {
	ctx := context.Background()
	st := newMemStore(shop.Product{ID: "a", ImageURL: "http://x/a.png"})
	b, _ := json.Marshal(record{Embedder: "openai/other/4", ImageURL: "http://x/a.png", Vector: []float32{1, 0, 0, 0}})
	st.PutBlob(ctx, Namespace, "a", b)
	s, _ := newService(t, ProviderOpenAI, st)
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Index().Vector(ctx, "a"); ok {
		t.Fatal("loaded another model's vector")
	}
}

func TestFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if _, ok, err := FromEnv(env(nil), false); ok || err != nil {
		t.Fatalf("unset: %v %v", ok, err)
	}
	good := map[string]string{"SHOPMUSE_IMAGE_EMBEDDER": "ollama", "SHOPMUSE_IMAGE_EMBED_URL": "http://clip:11434/",
		"SHOPMUSE_IMAGE_EMBED_MODEL": "clip", "SHOPMUSE_IMAGE_EMBED_DIM": "512"}
	c, ok, err := FromEnv(env(good), true)
	if !ok || err != nil || c.URL != "http://clip:11434" || c.Dim != 512 || c.Weight != DefaultWeight ||
		c.Concurrency != DefaultConcurrency || !c.AllowPrivate || c.Name() != "ollama/clip/512" {
		t.Fatalf("good: %+v %v %v", c, ok, err)
	}
	for k, v := range map[string]string{"SHOPMUSE_IMAGE_EMBEDDER": "clip", "SHOPMUSE_IMAGE_EMBED_URL": "ftp://x",
		"SHOPMUSE_IMAGE_EMBED_MODEL": "", "SHOPMUSE_IMAGE_EMBED_DIM": "0", "SHOPMUSE_IMAGE_WEIGHT": "NaN",
		"SHOPMUSE_IMAGE_EMBED_CONCURRENCY": "100"} {
		bad := map[string]string{}
		for kk, vv := range good {
			bad[kk] = vv
		}
		bad[k] = v
		if _, _, err := FromEnv(env(bad), false); err == nil || !strings.Contains(err.Error(), "SHOPMUSE_IMAGE_") {
			t.Errorf("%s=%q: %v", k, v, err)
		}
	}
	for _, u := range []string{"", "clip:11434", "http://", "http://u:p@clip", "http://clip/?q=1", "%zz"} {
		bad := map[string]string{}
		for kk, vv := range good {
			bad[kk] = vv
		}
		bad["SHOPMUSE_IMAGE_EMBED_URL"] = u
		if _, _, err := FromEnv(env(bad), false); err == nil {
			t.Errorf("URL %q accepted", u)
		} else if strings.Contains(err.Error(), "u:p") {
			t.Errorf("error shows credentials: %v", err)
		}
	}
	if _, err := NewClient(Config{Provider: ProviderOllama, URL: "::", Model: "m", Dim: 4}, nil); err == nil {
		t.Fatal("NewClient took a bad URL")
	}
}

// TestUploadedImagesStandForTheProduct: an uploaded image is embedded and
// stored like an imageURL's (a replica loads it); an unchanged product
// keeps it, neither Upsert nor Backfill replaces it with the URL's; a
// changed imageURL (a newer image) or deleting the product drops it; and
// an upload for a product deleted meanwhile stores nothing.
func TestUploadedImagesStandForTheProduct(t *testing.T) {
	for _, provider := range []string{ProviderOpenAI, ProviderOllama} {
		t.Run(provider, func(t *testing.T) {
			img := imageServer(t)
			ctx := context.Background()
			bare := shop.Product{ID: "bare", Version: 1}
			shown := shop.Product{ID: "shown", Version: 1, ImageURL: img.URL + "/blue.png"}
			st := newMemStore(bare, shown)
			s, requests := newService(t, provider, st)
			s.Upsert(ctx, []shop.Product{bare, shown})
			s.Wait()
			s.EmbedUpload("bare", "", png("red"), "image/png")
			s.EmbedUpload("shown", shown.ImageURL, png("red"), "image/png")
			s.Wait()
			isRed := func(s *Service, id string) bool {
				v, ok, _ := s.Index().Vector(ctx, id)
				return ok && v[0] > 0.9
			}
			for _, id := range []string{"bare", "shown"} {
				if !isRed(s, id) {
					t.Fatalf("%s: the uploaded (red) image is not its vector", id)
				}
				b, ok, _ := st.GetBlob(ctx, Namespace, id)
				var r record
				if !ok || json.Unmarshal(b, &r) != nil || r.Upload == "" {
					t.Fatalf("%s: stored %s", id, b)
				}
			}
			// A replica loads it, and reloads it when told of the key.
			rep, _ := newService(t, provider, st)
			if err := rep.Reload(ctx, []string{"bare", "shown"}); err != nil {
				t.Fatal(err)
			}
			if !isRed(rep, "bare") || !isRed(rep, "shown") {
				t.Fatal("a replica did not load the uploaded images' vectors")
			}
			// Unchanged products keep the upload.
			before := *requests
			bare.Version, shown.Version = 2, 2
			s.Upsert(ctx, []shop.Product{bare, shown})
			rep.Refresh(ctx, []shop.Product{bare, shown})
			s.Wait()
			if n := s.Backfill(ctx, []shop.Product{bare, shown}); n != 0 {
				t.Fatalf("backfill queued %d over uploads, want 0", n)
			}
			s.Wait()
			if *requests != before || !isRed(s, "bare") || !isRed(s, "shown") || !isRed(rep, "shown") {
				t.Fatalf("an unchanged product lost its upload (%d requests since)", *requests-before)
			}
			// A new imageURL is a newer image: it replaces the upload.
			shown.Version, shown.ImageURL = 3, img.URL+"/blue.png?v=2"
			st.products["shown"] = &shown
			s.Upsert(ctx, []shop.Product{shown})
			s.Wait()
			if v, ok, _ := s.Index().Vector(ctx, "shown"); !ok || v[2] < 0.9 {
				t.Fatalf("after a new imageURL: %v %v, want the blue URL's vector", v, ok)
			}
			// Deleting the product deletes the upload's vector.
			delete(st.products, "bare")
			if err := s.Delete(ctx, []string{"bare"}); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := st.GetBlob(ctx, Namespace, "bare"); ok || isRed(s, "bare") {
				t.Fatal("a deleted product kept its upload's vector")
			}
			if err := rep.Reload(ctx, []string{"bare"}); err != nil || isRed(rep, "bare") {
				t.Fatalf("the replica kept a deleted product's upload vector (%v)", err)
			}
			s.EmbedUpload("bare", "", png("red"), "image/png")
			s.Wait()
			if _, ok, _ := st.GetBlob(ctx, Namespace, "bare"); ok {
				t.Fatal("an upload for a deleted product was stored")
			}
		})
	}
}

// gatedFetcher serves png(tag) for a URL ".../<tag>.png", holding the URL
// named gate until open is closed.
type gatedFetcher struct {
	gate    string
	started chan struct{}
	open    chan struct{}
}

func (f *gatedFetcher) Fetch(ctx context.Context, url string) ([]byte, string, error) {
	if url == f.gate {
		close(f.started)
		<-f.open
	}
	tag := strings.TrimSuffix(url[strings.LastIndex(url, "/")+1:], ".png")
	return png(tag), "image/png", nil
}

// tagEmbedder embeds png("red") as (1,0,0,0) and png("blue") as (0,0,1,0).
type tagEmbedder struct{}

func (tagEmbedder) Embed(_ context.Context, data []byte, _ string) ([]float32, error) {
	if strings.HasSuffix(string(data), "red") {
		return []float32{1, 0, 0, 0}, nil
	}
	return []float32{0, 0, 1, 0}, nil
}

// TestStaleUploadLeavesTheNewImageQueued: an upload begun while the
// product showed an older imageURL arrives after the product's new
// imageURL was queued (the only worker busy elsewhere): the upload no
// longer describes the product, and the new image is still embedded
// (the upload replaced the queued job, and the product was left with no
// vector at all).
func TestStaleUploadLeavesTheNewImageQueued(t *testing.T) {
	ctx := context.Background()
	busy := shop.Product{ID: "busy", Version: 1, ImageURL: "http://img/busy.png"}
	p := shop.Product{ID: "p", Version: 2, ImageURL: "http://img/blue.png"}
	st := newMemStore(busy, p)
	f := &gatedFetcher{gate: busy.ImageURL, started: make(chan struct{}), open: make(chan struct{})}
	s, err := New(st, f, tagEmbedder{}, Options{Name: "tag", Dim: dim, Weight: 0.5, Concurrency: 1,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Upsert(ctx, []shop.Product{busy})
	<-f.started // the only worker is busy
	s.Upsert(ctx, []shop.Product{p})
	// The upload was read while p showed its first image.
	s.EmbedUpload("p", "http://img/old.png", png("red"), "image/png")
	close(f.open)
	s.Wait()
	v, ok, err := s.Index().Vector(ctx, "p")
	if err != nil || !ok || v[2] < 0.9 {
		t.Fatalf("p's vector %v %v %v; want its new image's (blue)", v, ok, err)
	}
	b, ok, _ := st.GetBlob(ctx, Namespace, "p")
	var r record
	if !ok || json.Unmarshal(b, &r) != nil || r.ImageURL != p.ImageURL || r.Upload != "" {
		t.Fatalf("stored %s", b)
	}
}

// TestUploadOnAnotherReplicaIsNotOverwritten: replica B is embedding a
// product's imageURL when an admin's upload for the same image is stored
// by replica A (B has not reloaded it yet); B's URL vector does not
// replace the stored upload, on either replica.
func TestUploadOnAnotherReplicaIsNotOverwritten(t *testing.T) {
	ctx := context.Background()
	p := shop.Product{ID: "p", Version: 1, ImageURL: "http://img/blue.png"}
	st := newMemStore(p)
	open := func(f Fetcher) *Service {
		s, err := New(st, f, tagEmbedder{}, Options{Name: "tag", Dim: dim, Weight: 0.5, Concurrency: 1,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	gate := &gatedFetcher{gate: p.ImageURL, started: make(chan struct{}), open: make(chan struct{})}
	a, b := open(&gatedFetcher{}), open(gate)
	b.Upsert(ctx, []shop.Product{p})
	<-gate.started // B fetches the URL's image
	a.EmbedUpload("p", p.ImageURL, png("red"), "image/png")
	a.Wait()
	close(gate.open)
	b.Wait()
	bl, ok, _ := st.GetBlob(ctx, Namespace, "p")
	var r record
	if !ok || json.Unmarshal(bl, &r) != nil || r.Upload == "" || r.Vector[0] < 0.9 {
		t.Fatalf("stored %s; want the upload's (red) vector", bl)
	}
	if err := b.Reload(ctx, []string{"p"}); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Service{"A": a, "B": b} {
		if v, ok, _ := s.Index().Vector(ctx, "p"); !ok || v[0] < 0.9 {
			t.Fatalf("replica %s indexes %v %v; want the upload's (red) vector", name, v, ok)
		}
	}
}
