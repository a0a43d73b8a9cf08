// Package search keeps the product search indexes in step with the store and
// answers searchProducts and similarProducts: BM25 over the built-in
// tokeniser's terms, k-NN over product embeddings, fused by reciprocal rank.
package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/shopmuse/shopmuse/embeddings"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/vector"
)

// DefaultLexicalWeight is alpha of the fusion: the weight of the normalised
// BM25 score against 1-alpha for the embedding similarity. On the labelled
// demo queries (search_test.go) reciprocal rank fusion scored NDCG@10 0.968,
// below BM25 alone (0.984); relative score fusion at 0.5 gave 0.974, at 0.7
// 0.982 and at 0.8 0.988. The built-in embedder matches the same words BM25
// does, only more loosely, so it is the weaker signal; with an LLM embedder a
// lower alpha is worth measuring.
const DefaultLexicalWeight = 0.8

// candidates is how deep each retriever's list goes before fusion.
const candidates = 100

// embedBatch bounds one embedding call (an LLM endpoint's request size).
const embedBatch = 128

// Hit is one search result.
type Hit struct {
	ProductID string
	Score     float64
	// Reason says why the hit was chosen, where a caller has one to give
	// (the shopping assistant's suggestions); empty for search.
	Reason string
}

// Options configure Open.
type Options struct {
	// Save persists the vector index (the embedded index's Save); nil when the
	// backend persists by itself (Qdrant).
	Save func() error
	// Rebuild says the vector index came up empty (missing or corrupt file):
	// every product is embedded again.
	Rebuild bool
	Log     *slog.Logger
	// LexicalWeight is the fusion's alpha; 0 means DefaultLexicalWeight.
	LexicalWeight float64
}

// Service is the product search service. Writers are serialised; searches
// run concurrently with them.
type Service struct {
	st      store.Store
	emb     embeddings.Embedder
	builtin *embeddings.Builtin // the same embedder when it is the built-in one
	vec     vector.Index
	lex     *Lexical
	log     *slog.Logger
	save    func() error
	alpha   float64

	// images, when set (SetImages), holds image vectors by product ID;
	// imageWeight is their share of similarProducts' score.
	images      vector.Index
	imageWeight float64

	mu      sync.Mutex // serialises index writers
	indexed state
	dirty   bool
}

// state records what the vector index holds, so that a restart re-embeds
// only what changed: product versions under an embedder and IDF fit.
type state struct {
	Embedder    string           `json:"embedder"`
	Fingerprint string           `json:"fingerprint"`
	Versions    map[string]int64 `json:"versions"`
}

const (
	blobNS   = "search"
	blobIDF  = "idf"
	blobPref = "state/"
)

// Open builds the lexical index from the store, loads or fits the built-in
// embedder's IDF, and brings the vector index up to date with the catalogue.
func Open(ctx context.Context, st store.Store, emb embeddings.Embedder, vec vector.Index, o Options) (*Service, error) {
	if emb.Dim() != vec.Dim() {
		return nil, fmt.Errorf("search: embedder %s has %d dimensions, the vector index %d", emb.Name(), emb.Dim(), vec.Dim())
	}
	s := &Service{st: st, emb: emb, vec: vec, lex: NewLexical(), log: o.Log, save: o.Save, alpha: o.LexicalWeight}
	if s.alpha <= 0 || s.alpha > 1 {
		s.alpha = DefaultLexicalWeight
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.builtin, _ = emb.(*embeddings.Builtin)
	var all []shop.Product
	if err := st.EachProduct(ctx, func(p *shop.Product) error { all = append(all, *p); return nil }); err != nil {
		return nil, fmt.Errorf("search: read catalogue: %w", err)
	}
	s.lex.Upsert(all)
	if err := s.loadIDF(ctx, all); err != nil {
		return nil, err
	}
	s.indexed = state{Embedder: emb.Name(), Fingerprint: s.fingerprint(), Versions: map[string]int64{}}
	if !o.Rebuild {
		b, ok, err := st.GetBlob(ctx, blobNS, blobPref+emb.Name())
		if err != nil {
			return nil, err
		}
		var saved state
		if ok && json.Unmarshal(b, &saved) == nil && saved.Embedder == emb.Name() && saved.Fingerprint == s.indexed.Fingerprint && saved.Versions != nil {
			s.indexed.Versions = saved.Versions
		}
	}
	if err := s.reconcile(ctx, all); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) fingerprint() string {
	if s.builtin != nil {
		return s.builtin.Fingerprint()
	}
	return ""
}

// loadIDF restores the built-in embedder's document frequencies, or fits them
// on the catalogue when there are none or the catalogue has outgrown them.
func (s *Service) loadIDF(ctx context.Context, all []shop.Product) error {
	if s.builtin == nil {
		return nil
	}
	b, ok, err := s.st.GetBlob(ctx, blobNS, blobIDF)
	if err != nil {
		return err
	}
	if ok {
		if err := s.builtin.UnmarshalBinary(b); err != nil {
			s.log.Warn("search: stored IDF state unreadable; refitting", "err", err)
		}
	}
	if !s.builtin.ShouldRefit(len(all)) {
		return nil
	}
	return s.refit(ctx, all)
}

// Refit fits the built-in embedder's IDF again when the catalogue has
// outgrown the fit it opened with (a first bulk load through Upsert: the
// demo seed, an import into an empty store) and embeds every product again
// under the new fit. It changes the embedder, so call it before serving.
func (s *Service) Refit(ctx context.Context) error {
	if s.builtin == nil {
		return nil
	}
	var all []shop.Product
	if err := s.st.EachProduct(ctx, func(p *shop.Product) error { all = append(all, *p); return nil }); err != nil {
		return fmt.Errorf("search: read catalogue: %w", err)
	}
	if !s.builtin.ShouldRefit(len(all)) {
		return nil
	}
	if err := s.refit(ctx, all); err != nil {
		return err
	}
	s.mu.Lock()
	s.indexed = state{Embedder: s.emb.Name(), Fingerprint: s.fingerprint(), Versions: map[string]int64{}}
	s.mu.Unlock()
	return s.reconcile(ctx, all)
}

func (s *Service) refit(ctx context.Context, all []shop.Product) error {
	ps := make([]*shop.Product, len(all))
	for i := range all {
		ps[i] = &all[i]
	}
	s.builtin.FitProducts(ps)
	b, err := s.builtin.MarshalBinary()
	if err != nil {
		return err
	}
	s.log.Info("search: fitted the built-in embedder's IDF", "products", len(all))
	return s.st.PutBlob(ctx, blobNS, blobIDF, b)
}

// reconcile embeds products whose indexed version differs from the store's
// and removes vectors of products that are gone.
func (s *Service) reconcile(ctx context.Context, all []shop.Product) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var stale []shop.Product
	live := make(map[string]bool, len(all))
	for _, p := range all {
		live[p.ID] = true
		if s.indexed.Versions[p.ID] != p.Version {
			stale = append(stale, p)
		}
	}
	var gone []string
	for id := range s.indexed.Versions {
		if !live[id] {
			gone = append(gone, id)
		}
	}
	if len(stale) == 0 && len(gone) == 0 {
		return nil
	}
	start := time.Now()
	s.log.Info("search: updating the vector index", "embed", len(stale), "delete", len(gone), "embedder", s.emb.Name())
	if err := s.upsertLocked(ctx, stale, true); err != nil {
		return err
	}
	if err := s.deleteLocked(ctx, gone); err != nil {
		return err
	}
	s.log.Info("search: vector index up to date", "products", len(all), "took", time.Since(start).Round(time.Millisecond).String())
	return s.saveLocked(ctx)
}

// Upsert (re-)indexes products just written to the store. Versions already
// indexed are skipped, so re-importing an unchanged catalogue costs nothing.
func (s *Service) Upsert(ctx context.Context, ps []shop.Product) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := ps[:0:0]
	for _, p := range ps {
		if v, ok := s.indexed.Versions[p.ID]; !ok || v != p.Version {
			changed = append(changed, p)
		}
	}
	s.lex.Upsert(changed)
	return s.upsertLocked(ctx, changed, false)
}

func (s *Service) upsertLocked(ctx context.Context, ps []shop.Product, progress bool) error {
	last := time.Now()
	for start := 0; start < len(ps); start += embedBatch {
		batch := ps[start:min(start+embedBatch, len(ps))]
		vecs, err := s.embed(ctx, batch)
		if err != nil {
			return fmt.Errorf("search: embed products: %w", err)
		}
		points := make([]vector.Point, len(batch))
		for i := range batch {
			points[i] = vector.Point{ID: batch[i].ID, Vector: vecs[i], Payload: vector.PayloadOf(&batch[i])}
		}
		if err := s.vec.Upsert(ctx, points); err != nil {
			return fmt.Errorf("search: index products: %w", err)
		}
		for _, p := range batch {
			s.indexed.Versions[p.ID] = p.Version
		}
		s.dirty = true
		if progress && time.Since(last) > 2*time.Second {
			last = time.Now()
			s.log.Info("search: embedding", "done", start+len(batch), "of", len(ps))
		}
	}
	return nil
}

func (s *Service) embed(ctx context.Context, ps []shop.Product) ([][]float32, error) {
	ptrs := make([]*shop.Product, len(ps))
	for i := range ps {
		ptrs[i] = &ps[i]
	}
	return embeddings.EmbedProducts(ctx, s.emb, ptrs)
}

// Delete removes products from both indexes.
func (s *Service) Delete(ctx context.Context, ids []string) error {
	s.lex.Delete(ids)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteLocked(ctx, ids)
}

func (s *Service) deleteLocked(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.vec.Delete(ctx, ids); err != nil {
		return fmt.Errorf("search: delete vectors: %w", err)
	}
	for _, id := range ids {
		delete(s.indexed.Versions, id)
	}
	s.dirty = true
	return nil
}

// Save persists the vector index and what it holds, when anything changed.
func (s *Service) Save(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveLocked(ctx)
}

// saveLocked writes the index first and the state second: a crash between
// the two leaves an older state, which only costs re-embedding.
func (s *Service) saveLocked(ctx context.Context) error {
	if !s.dirty {
		return nil
	}
	if s.save != nil {
		if err := s.save(); err != nil {
			return fmt.Errorf("search: save vector index: %w", err)
		}
	}
	b, err := json.Marshal(s.indexed)
	if err != nil {
		return err
	}
	if err := s.st.PutBlob(ctx, blobNS, blobPref+s.emb.Name(), b); err != nil {
		return err
	}
	s.dirty = false
	return nil
}

// SaveEvery saves the index periodically until ctx ends.
func (s *Service) SaveEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Save(ctx); err != nil && !errors.Is(err, context.Canceled) {
				s.log.Error("search: periodic save", "err", err)
			}
		}
	}
}

// Lexical returns up to k products by BM25 score.
func (s *Service) Lexical(query string, k int, filter *shop.ProductFilter) []Hit {
	return toHits(s.lex.Search(query, k, filter))
}

// Semantic returns up to k products by embedding similarity to the query.
func (s *Service) Semantic(ctx context.Context, query string, k int, filter *shop.ProductFilter) ([]Hit, error) {
	q, err := s.emb.EmbedQuery(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("search: embed query: %w", err)
	}
	if allZero(q) {
		return nil, nil // no known term: nothing is similar
	}
	hits, err := s.vec.Search(ctx, q, k, filter)
	if err != nil {
		return nil, fmt.Errorf("search: vector search: %w", err)
	}
	return toHits(hits), nil
}

// Search is hybrid: BM25 and embedding similarity, each min-max normalised
// over its candidate list and mixed by alpha (relative score fusion, as
// Weaviate does). The score is the fused score in [0, 1].
func (s *Service) Search(ctx context.Context, query string, k int, filter *shop.ProductFilter) ([]Hit, error) {
	if k <= 0 {
		return nil, nil
	}
	depth := max(candidates, k)
	lex := s.Lexical(query, depth, filter)
	sem, err := s.Semantic(ctx, query, depth, filter)
	if err != nil {
		return nil, err
	}
	fused := map[string]float64{}
	addNormalised(fused, lex, s.alpha)
	addNormalised(fused, sem, 1-s.alpha)
	out := make([]Hit, 0, len(fused))
	for id, sc := range fused {
		out = append(out, Hit{ProductID: id, Score: sc})
	}
	sortHits(out)
	if len(out) > k {
		out = out[:k]
	}
	return out, nil
}

// addNormalised adds weight × the min-max normalised score of each hit
// (hits are sorted best first; a single hit or a tie normalises to 1).
func addNormalised(dst map[string]float64, hits []Hit, weight float64) {
	if len(hits) == 0 {
		return
	}
	hi, lo := hits[0].Score, hits[len(hits)-1].Score
	for _, h := range hits {
		x := 1.0
		if hi > lo {
			x = (h.Score - lo) / (hi - lo)
		}
		dst[h.ProductID] += weight * x
	}
}

// SetImages adds image vectors (keyed by product ID, carrying the filter
// payload) as a second signal of Similar, weighted by weight in (0, 1].
// Call it before serving.
func (s *Service) SetImages(idx vector.Index, weight float64) {
	s.images, s.imageWeight = idx, weight
}

// Similar returns up to k products closest to the given one, itself excluded.
// ok is false when the product is not indexed. When the product has an
// image vector (SetImages), see similarWithImages.
func (s *Service) Similar(ctx context.Context, productID string, k int, filter *shop.ProductFilter) ([]Hit, bool, error) {
	v, ok, err := s.vec.Vector(ctx, productID)
	if err != nil || !ok {
		return nil, false, err
	}
	if s.images != nil {
		iv, iok, err := s.images.Vector(ctx, productID)
		if err != nil {
			s.log.WarnContext(ctx, "search: image vector", "product", productID, "err", err)
		} else if iok {
			hits, err := s.similarWithImages(ctx, productID, v, iv, k, filter)
			return hits, true, err
		}
	}
	hits, err := s.vec.Search(ctx, v, k+1, filter)
	if err != nil {
		return nil, true, fmt.Errorf("search: vector search: %w", err)
	}
	out := make([]Hit, 0, k)
	for _, h := range hits {
		if h.ID != productID && len(out) < k {
			out = append(out, Hit{ProductID: h.ID, Score: float64(h.Score)})
		}
	}
	return out, true, nil
}

// similarWithImages scores the union of the text and the image neighbours
// by (1-w)×text cosine + w×image cosine; a candidate without an image
// vector keeps its text cosine alone, as it would without images.
func (s *Service) similarWithImages(ctx context.Context, productID string, v, iv []float32, k int, filter *shop.ProductFilter) ([]Hit, error) {
	if k <= 0 {
		return nil, nil
	}
	// A product in the mixed top k is, in practice, well inside the top 4k
	// of one of the two lists; deeper lists only cost (BenchmarkSimilar).
	depth := max(4*k, 40) + 1
	th, err := s.vec.Search(ctx, v, depth, filter)
	if err != nil {
		return nil, fmt.Errorf("search: vector search: %w", err)
	}
	ih, err := s.images.Search(ctx, iv, depth, filter)
	if err != nil {
		return nil, fmt.Errorf("search: image vector search: %w", err)
	}
	text := make(map[string]float64, len(th)+len(ih))
	for _, h := range th {
		text[h.ID] = float64(h.Score)
	}
	img := make(map[string]float64, len(ih))
	for _, h := range ih {
		img[h.ID] = float64(h.Score)
		if _, ok := text[h.ID]; !ok {
			tv, ok, err := s.vec.Vector(ctx, h.ID)
			if err != nil || !ok || len(tv) != len(v) {
				continue // not in the text index: not a product we can show
			}
			text[h.ID] = float64(vector.Dot(v, tv))
		}
	}
	w := s.imageWeight
	out := make([]Hit, 0, len(text))
	for id, ts := range text {
		if id == productID {
			continue
		}
		sc := ts
		is, ok := img[id]
		if !ok {
			if cv, has, err := s.images.Vector(ctx, id); err == nil && has && len(cv) == len(iv) {
				is, ok = float64(vector.Dot(iv, cv)), true
			}
		}
		if ok {
			sc = (1-w)*ts + w*is
		}
		out = append(out, Hit{ProductID: id, Score: sc})
	}
	sortHits(out)
	return out[:min(len(out), k)], nil
}

// Vectors is the product vector index (recommendation reads it).
func (s *Service) Vectors() vector.Index { return s.vec }

// Embedder is the embedder the index was built with.
func (s *Service) Embedder() embeddings.Embedder { return s.emb }

func toHits(hs []vector.Hit) []Hit {
	out := make([]Hit, len(hs))
	for i, h := range hs {
		out[i] = Hit{ProductID: h.ID, Score: float64(h.Score)}
	}
	return out
}

func sortHits(hs []Hit) {
	sort.Slice(hs, func(i, j int) bool {
		if hs[i].Score != hs[j].Score {
			return hs[i].Score > hs[j].Score
		}
		return hs[i].ProductID < hs[j].ProductID
	})
}

func allZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}
