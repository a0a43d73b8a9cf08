package imagevec

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/hnsw"
)

// Namespace holds the vectors as blobs, one per product ID.
const Namespace = "imagevec"

// Store is what the service needs of the store.
type Store interface {
	Product(ctx context.Context, id string) (*shop.Product, error)
	GetBlob(ctx context.Context, namespace, k string) ([]byte, bool, error)
	PutBlob(ctx context.Context, namespace, k string, v []byte) error
	DeleteBlob(ctx context.Context, namespace, k string) error
	ListBlobs(ctx context.Context, namespace, prefix, after string, first int) ([]store.Blob, bool, error)
}

// Fetcher downloads an image URL (vision.Fetcher).
type Fetcher interface {
	Fetch(ctx context.Context, url string) ([]byte, string, error)
}

// Embedder embeds an image (Client).
type Embedder interface {
	Embed(ctx context.Context, data []byte, mime string) ([]float32, error)
}

// Failure reasons, the label of the failures counter.
const (
	ReasonFetch     = "fetch"     // the image URL could not be had
	ReasonRequest   = "request"   // the endpoint failed or timed out
	ReasonMalformed = "malformed" // the answer was not a usable vector
	ReasonStore     = "store"     // the vector could not be stored
)

// record is a stored vector: the image it came from under which model.
// For an uploaded image, Upload is the SHA-256 of its bytes and ImageURL
// the product's imageURL when it was uploaded: the upload stands for the
// product until its imageURL changes (a newer image), like a vector of
// the URL.
type record struct {
	Embedder string    `json:"embedder"`
	ImageURL string    `json:"imageURL"`
	Upload   string    `json:"upload,omitempty"`
	Vector   []float32 `json:"vector"`
}

// job is an image to embed for a product: its imageURL, or uploaded bytes
// (data) given while the product showed url.
type job struct {
	url  string
	data []byte
	mime string
}

func (j job) upload() bool { return j.data != nil }

// Options configure New.
type Options struct {
	Name        string // the embedder's identity (Config.Name)
	Dim         int
	Weight      float64
	Concurrency int
	Log         *slog.Logger
	// Registerer receives the counters (nil: none registered).
	Registerer prometheus.Registerer
}

// Service keeps one image vector per product. Safe for concurrent use.
type Service struct {
	st     Store
	fetch  Fetcher
	emb    Embedder
	o      Options
	idx    *hnsw.Index
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	urls    map[string]string // product ID -> image URL of its indexed vector
	uploads map[string]bool   // product IDs whose indexed vector is of an uploaded image
	pending map[string]job    // product ID -> image to embed
	active  int               // workers running
	idle    *sync.Cond        // signalled when pending is empty and no worker runs
	// write orders a worker's last look at the product and its writes
	// (blob, index) against Delete: without it, a product deleted between
	// the look and the writes kept a vector (blob and index) for good.
	write sync.Mutex

	embedded prometheus.Counter
	failures *prometheus.CounterVec
}

// New builds the service; Load fills it from the store. Embedding runs
// until Close.
func New(st Store, f Fetcher, emb Embedder, o Options) (*Service, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if !(o.Weight > 0 && o.Weight <= 1) {
		o.Weight = DefaultWeight
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	idx, err := hnsw.New(o.Dim, hnsw.Options{})
	if err != nil {
		return nil, fmt.Errorf("imagevec: index: %w", err)
	}
	s := &Service{st: st, fetch: f, emb: emb, o: o, idx: idx, log: o.Log.With("component", "imagevec"),
		urls: map[string]string{}, uploads: map[string]bool{}, pending: map[string]job{}}
	s.idle = sync.NewCond(&s.mu)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.embedded = prometheus.NewCounter(prometheus.CounterOpts{Name: "shopmuse_image_embeddings_total",
		Help: "Product images embedded and stored."})
	s.failures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shopmuse_image_embedding_failures_total",
		Help: "Product images left without a vector, by reason (fetch, request, malformed, store)."}, []string{"reason"})
	if o.Registerer != nil {
		s.embedded = register(o.Registerer, s.embedded)
		s.failures = register(o.Registerer, s.failures)
	}
	return s, nil
}

// register registers c or returns the collector already registered (an App
// reopened on the same registry keeps counting in the first one's series).
func register[C prometheus.Collector](r prometheus.Registerer, c C) C {
	if err := r.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old
			}
		}
	}
	return c
}

// Index is the image vector index, keyed by product ID, with the products'
// filter payload.
func (s *Service) Index() vector.Index { return s.idx }

// Weight is the image similarity's share in a combined score.
func (s *Service) Weight() float64 { return s.o.Weight }

// Embedded and Failures read the counters (tests, logs).
func (s *Service) Embedded() float64 { return counterValue(s.embedded) }

// Failures reads the failure counter of a reason.
func (s *Service) Failures(reason string) float64 {
	return counterValue(s.failures.WithLabelValues(reason))
}

// Load reads every stored vector into the index; it is the full Reload.
func (s *Service) Load(ctx context.Context) error {
	after := ""
	n := 0
	for {
		bs, more, err := s.st.ListBlobs(ctx, Namespace, "", after, 500)
		if err != nil {
			return fmt.Errorf("imagevec: load: %w", err)
		}
		for _, b := range bs {
			if err := s.apply(ctx, b.Key, b.Value, true); err != nil {
				return err
			}
			n++
			after = b.Key
		}
		if !more || len(bs) == 0 {
			break
		}
	}
	s.log.Info("image vectors loaded", "blobs", n)
	return nil
}

// Reload re-reads the vectors of the given product IDs (the keys of a blob
// change another replica made); nil keys reloads everything.
func (s *Service) Reload(ctx context.Context, keys []string) error {
	if keys == nil {
		return s.Load(ctx)
	}
	for _, k := range keys {
		b, ok, err := s.st.GetBlob(ctx, Namespace, k)
		if err != nil {
			return fmt.Errorf("imagevec: reload %q: %w", k, err)
		}
		if err := s.apply(ctx, k, b, ok); err != nil {
			return err
		}
	}
	return nil
}

// apply puts a stored record into the index, or takes the product out when
// there is none, it is unreadable, of another model, or its product is gone
// or shows another image now.
func (s *Service) apply(ctx context.Context, id string, b []byte, ok bool) error {
	var r record
	if ok && (json.Unmarshal(b, &r) != nil || r.Embedder != s.o.Name || len(r.Vector) != s.o.Dim) {
		ok = false
	}
	var p *shop.Product
	if ok {
		var err error
		if p, err = s.st.Product(ctx, id); err != nil {
			return fmt.Errorf("imagevec: read product %q: %w", id, err)
		}
		ok = p != nil && p.ImageURL == r.ImageURL
	}
	if !ok {
		return s.drop(ctx, []string{id})
	}
	if err := s.idx.Upsert(ctx, []vector.Point{{ID: id, Vector: r.Vector, Payload: vector.PayloadOf(p)}}); err != nil {
		return fmt.Errorf("imagevec: index %q: %w", id, err)
	}
	s.mu.Lock()
	s.urls[id], s.uploads[id] = r.ImageURL, r.Upload != ""
	s.mu.Unlock()
	return nil
}

func (s *Service) drop(ctx context.Context, ids []string) error {
	s.mu.Lock()
	for _, id := range ids {
		delete(s.urls, id)
		delete(s.uploads, id)
	}
	s.mu.Unlock()
	return s.idx.Delete(ctx, ids)
}

// Upsert is called after products were written: a product whose image is
// already embedded only gets its filter payload refreshed; one with a new
// image is queued for embedding (in the background, never blocking the
// caller); one without an image loses its vector.
func (s *Service) Upsert(ctx context.Context, ps []shop.Product) {
	s.refresh(ctx, ps, true)
}

// Refresh is Upsert for a replica that learnt of products another replica
// wrote: that replica embeds, and its blob change reaches Reload here.
func (s *Service) Refresh(ctx context.Context, ps []shop.Product) {
	s.refresh(ctx, ps, false)
}

func (s *Service) refresh(ctx context.Context, ps []shop.Product, embed bool) {
	var points []vector.Point
	var gone, check []string
	// queue holds the images to embed until the replaced vectors are
	// gone: queued at once, a worker could store the new vector before
	// the old one's deletion below, which then took the new one too.
	queue := map[string]job{}
	s.mu.Lock()
	for i := range ps {
		p := &ps[i]
		url, have := s.urls[p.ID]
		// An upload waiting to be embedded for the image the product
		// still shows stays queued: it is the newer image.
		j, queued := s.pending[p.ID]
		upload := queued && j.upload() && j.url == p.ImageURL
		switch {
		case have && url == p.ImageURL:
			if !upload {
				delete(s.pending, p.ID)
			}
			if v, ok, err := s.idx.Vector(ctx, p.ID); err == nil && ok {
				points = append(points, vector.Point{ID: p.ID, Vector: v, Payload: vector.PayloadOf(p)})
			}
		case have:
			// The image changed: the old vector no longer describes it.
			gone = append(gone, p.ID)
			delete(s.urls, p.ID)
			delete(s.uploads, p.ID)
			fallthrough
		default:
			delete(s.pending, p.ID)
			switch {
			case upload:
				queue[p.ID] = j
			case embed && p.ImageURL != "":
				queue[p.ID] = job{url: p.ImageURL}
			case p.ImageURL != "":
				check = append(check, p.ID)
			}
		}
	}
	s.mu.Unlock()
	if len(points) > 0 {
		if err := s.idx.Upsert(ctx, points); err != nil {
			s.log.Warn("image vectors: refreshing payloads", "err", err)
		}
	}
	if len(gone) > 0 {
		if err := s.idx.Delete(ctx, gone); err != nil {
			s.log.Warn("image vectors: dropping replaced images", "err", err)
		}
		if embed {
			for _, id := range gone {
				if err := s.st.DeleteBlob(ctx, Namespace, id); err != nil {
					s.log.Warn("image vectors: deleting a replaced image's vector", "product", id, "err", err)
				}
			}
		}
	}
	if len(queue) > 0 {
		s.mu.Lock()
		for id, j := range queue {
			if _, newer := s.pending[id]; !newer {
				s.pending[id] = j
			}
		}
		s.startWorkersLocked()
		s.mu.Unlock()
	}
	// A replica may learn of a vector's blob before its product's change;
	// apply refused it then, so look again now that the product is here.
	if len(check) > 0 {
		if err := s.Reload(ctx, check); err != nil {
			s.log.Warn("image vectors: reloading", "err", err)
		}
	}
}

// Backfill queues every product with an image but no vector (at start).
func (s *Service) Backfill(ctx context.Context, ps []shop.Product) int {
	n := 0
	s.mu.Lock()
	for i := range ps {
		p := &ps[i]
		if j, queued := s.pending[p.ID]; queued && j.upload() && j.url == p.ImageURL {
			continue // an upload for this image is queued
		}
		if p.ImageURL != "" && s.urls[p.ID] != p.ImageURL {
			s.pending[p.ID] = job{url: p.ImageURL}
			n++
		}
	}
	s.startWorkersLocked()
	s.mu.Unlock()
	if n > 0 {
		s.log.Info("image vectors: backfilling", "products", n)
	}
	return n
}

// EmbedUpload embeds an uploaded image of a product in the background
// (mime is the checked type of data), while the product shows imageURL
// (maybe none): stored like a vector of an imageURL, it stands for the
// product, in place of a vector of that URL, until the product's imageURL
// changes or the product is deleted; an upload for an image the product
// no longer shows is dropped. data must not change afterwards.
func (s *Service) EmbedUpload(id, imageURL string, data []byte, mime string) {
	if len(data) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if j, queued := s.pending[id]; queued && j.url != imageURL {
		// The product shows another image since the upload was read
		// (an Upsert queued it meanwhile): the upload no longer
		// describes it, and replacing the queued job would leave the
		// product with no vector of its new image.
		return
	}
	s.pending[id] = job{url: imageURL, data: data, mime: mime}
	s.startWorkersLocked()
}

// Delete forgets deleted products' vectors. Call it after the products
// left the store: a worker embedding one of them either wrote before this
// (and its writes are undone here) or finds the product gone.
func (s *Service) Delete(ctx context.Context, ids []string) error {
	s.mu.Lock()
	for _, id := range ids {
		delete(s.pending, id)
	}
	s.mu.Unlock()
	// Not between a worker's look at a product and its writes.
	s.write.Lock()
	defer s.write.Unlock()
	var errs []error
	for _, id := range ids {
		if err := s.st.DeleteBlob(ctx, Namespace, id); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.drop(ctx, ids))
	return errors.Join(errs...)
}

// startWorkersLocked starts workers up to the concurrency for what is
// pending.
func (s *Service) startWorkersLocked() {
	if s.ctx.Err() != nil {
		return
	}
	for s.active < s.o.Concurrency && s.active < len(s.pending) {
		s.active++
		go s.work()
	}
}

func (s *Service) work() {
	for {
		s.mu.Lock()
		var id string
		var j job
		for id, j = range s.pending {
			break
		}
		if id == "" || s.ctx.Err() != nil {
			s.active--
			if s.active == 0 {
				s.idle.Broadcast()
			}
			s.mu.Unlock()
			return
		}
		delete(s.pending, id)
		s.mu.Unlock()
		s.embedOne(s.ctx, id, j)
	}
}

// embedOne fetches (unless uploaded), embeds and stores one product's
// image. A failure is logged and counted and leaves the product without a
// new image vector.
func (s *Service) embedOne(ctx context.Context, id string, j job) {
	url := j.url
	fail := func(reason string, err error) {
		if ctx.Err() != nil {
			return // shutting down
		}
		s.failures.WithLabelValues(reason).Inc()
		s.log.Warn("image embedding failed; the product has no image vector", "product", id, "reason", reason, "err", err)
	}
	data, mime := j.data, j.mime
	if !j.upload() {
		var err error
		if data, mime, err = s.fetch.Fetch(ctx, url); err != nil {
			fail(ReasonFetch, err)
			return
		}
	}
	v, err := s.emb.Embed(ctx, data, mime)
	if err != nil {
		reason := ReasonRequest
		if errors.Is(err, ErrMalformed) {
			reason = ReasonMalformed
		}
		fail(reason, err)
		return
	}
	if len(v) != s.o.Dim || vector.NonFinite(v) >= 0 {
		fail(ReasonMalformed, fmt.Errorf("%w: dimension %d, want %d", ErrMalformed, len(v), s.o.Dim))
		return
	}
	// The product may have changed or gone while its image was embedded.
	s.write.Lock()
	defer s.write.Unlock()
	p, err := s.st.Product(ctx, id)
	if err != nil {
		fail(ReasonStore, err)
		return
	}
	if p == nil || p.ImageURL != url {
		return
	}
	s.mu.Lock()
	uploaded := s.uploads[id] && s.urls[id] == url
	s.mu.Unlock()
	if uploaded && !j.upload() {
		return // an image uploaded since stands for this URL's
	}
	if !j.upload() {
		// Another replica may have stored an upload for this image
		// that this one has not reloaded yet: it stands too.
		b, ok, err := s.st.GetBlob(ctx, Namespace, id)
		if err != nil {
			fail(ReasonStore, err)
			return
		}
		var old record
		if ok && json.Unmarshal(b, &old) == nil && old.Upload != "" && old.ImageURL == url && old.Embedder == s.o.Name {
			return
		}
	}
	rec := record{Embedder: s.o.Name, ImageURL: url, Vector: v}
	if j.upload() {
		sum := sha256.Sum256(data)
		rec.Upload = hex.EncodeToString(sum[:])
	}
	b, err := json.Marshal(rec)
	if err != nil {
		fail(ReasonStore, err)
		return
	}
	if err := s.st.PutBlob(ctx, Namespace, id, b); err != nil {
		fail(ReasonStore, err)
		return
	}
	if err := s.idx.Upsert(ctx, []vector.Point{{ID: id, Vector: v, Payload: vector.PayloadOf(p)}}); err != nil {
		fail(ReasonStore, err)
		return
	}
	s.mu.Lock()
	s.urls[id], s.uploads[id] = url, j.upload()
	s.mu.Unlock()
	s.embedded.Inc()
}

// Wait blocks until nothing is pending and no worker runs (tests, and
// commands that embed a catalogue and exit).
func (s *Service) Wait() {
	s.mu.Lock()
	for s.active > 0 {
		s.idle.Wait()
	}
	s.mu.Unlock()
}

// Close stops embedding; work in flight is abandoned (a restart's Backfill
// picks it up) and Close waits for the workers to return.
func (s *Service) Close() error {
	s.cancel()
	s.Wait()
	return s.idx.Close()
}
