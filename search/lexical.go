package search

import (
	"math"
	"sort"
	"sync"

	"github.com/shopmuse/shopmuse/embeddings"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
)

// BM25 parameters (Robertson's usual values).
const (
	bm25K1 = 1.2
	bm25B  = 0.75
	// Term frequencies are weighted by field, as in BM25F: a term in the
	// title says more about the product than one in the description.
	// Sub-word n-grams only rescue near misses (phones ~ phone), so they
	// count a fraction of a whole word.
	subwordWeight    = 0.25
	hanUnigramWeight = 0.5
)

// Lexical is an in-memory BM25 index over the same tokens the built-in
// embedder uses. It is safe for concurrent use.
type Lexical struct {
	mu       sync.RWMutex
	ids      []string // doc -> product ID ("" when deleted)
	docOf    map[string]int32
	payload  []vector.Payload
	length   []float32 // weighted document length
	postings map[string][]posting
	totalLen float64
	live     int
	dead     int
}

type posting struct {
	doc int32
	tf  float32
}

// NewLexical returns an empty index.
func NewLexical() *Lexical {
	return &Lexical{docOf: map[string]int32{}, postings: map[string][]posting{}}
}

// termWeights tokenises a product's weighted fields.
func termWeights(p *shop.Product) (map[string]float32, float32) {
	tf := map[string]float32{}
	var total float32
	for _, f := range embeddings.ProductFields(p) {
		for _, tok := range embeddings.Tokens(f.Text) {
			w := float32(f.Weight) * tokenWeight(tok)
			tf[tok] += w
			total += w
		}
	}
	return tf, total
}

func tokenWeight(tok string) float32 {
	if embeddings.IsSubword(tok) {
		return subwordWeight
	}
	if r := []rune(tok); len(r) == 1 && r[0] > 0x2e80 {
		return hanUnigramWeight
	}
	return 1
}

// Upsert indexes products, replacing earlier versions.
func (l *Lexical) Upsert(ps []shop.Product) {
	type prepared struct {
		tf  map[string]float32
		len float32
	}
	prep := make([]prepared, len(ps))
	for i := range ps {
		prep[i].tf, prep[i].len = termWeights(&ps[i])
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range ps {
		l.deleteLocked(ps[i].ID)
		doc := int32(len(l.ids))
		l.ids = append(l.ids, ps[i].ID)
		l.payload = append(l.payload, vector.PayloadOf(&ps[i]))
		l.length = append(l.length, prep[i].len)
		l.docOf[ps[i].ID] = doc
		for tok, w := range prep[i].tf {
			l.postings[tok] = append(l.postings[tok], posting{doc: doc, tf: w})
		}
		l.totalLen += float64(prep[i].len)
		l.live++
	}
}

// Delete removes products from the index.
func (l *Lexical) Delete(ids []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		l.deleteLocked(id)
	}
}

// deleteLocked marks a document dead. Its postings stay until compact
// rewrites the lists, which keeps a delete O(1); search skips dead docs.
func (l *Lexical) deleteLocked(id string) {
	doc, ok := l.docOf[id]
	if !ok {
		return
	}
	delete(l.docOf, id)
	l.totalLen -= float64(l.length[doc])
	l.live--
	l.ids[doc] = ""
	l.dead++
	if l.dead > 1000 && l.dead > l.live/4 {
		l.compactLocked()
	}
}

// compactLocked renumbers the live documents densely and drops dead postings.
func (l *Lexical) compactLocked() {
	remap := make([]int32, len(l.ids))
	var ids []string
	var payload []vector.Payload
	var length []float32
	for doc, id := range l.ids {
		remap[doc] = -1
		if id == "" {
			continue
		}
		remap[doc] = int32(len(ids))
		ids = append(ids, id)
		payload = append(payload, l.payload[doc])
		length = append(length, l.length[doc])
		l.docOf[id] = remap[doc]
	}
	for tok, ps := range l.postings {
		out := ps[:0]
		for _, p := range ps {
			if nd := remap[p.doc]; nd >= 0 {
				out = append(out, posting{doc: nd, tf: p.tf})
			}
		}
		if len(out) == 0 {
			delete(l.postings, tok)
		} else {
			l.postings[tok] = out
		}
	}
	l.ids, l.payload, l.length, l.dead = ids, payload, length, 0
}

// Len is the number of indexed products.
func (l *Lexical) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.live
}

// Search returns up to k products by BM25 score for the query, best first.
func (l *Lexical) Search(query string, k int, filter *shop.ProductFilter) []vector.Hit {
	qtf := map[string]float32{}
	for _, tok := range embeddings.Tokens(query) {
		qtf[tok] += tokenWeight(tok)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.live == 0 || k <= 0 {
		return nil
	}
	avgLen := float32(l.totalLen / float64(l.live))
	scores := map[int32]float32{}
	n := float64(l.live)
	for tok, qw := range qtf {
		ps := l.postings[tok]
		if len(ps) == 0 {
			continue
		}
		idf := float32(math.Log(1 + (n-float64(len(ps))+0.5)/(float64(len(ps))+0.5)))
		for _, p := range ps {
			norm := bm25K1 * (1 - bm25B + bm25B*l.length[p.doc]/avgLen)
			scores[p.doc] += qw * idf * p.tf * (bm25K1 + 1) / (p.tf + norm)
		}
	}
	hits := make([]vector.Hit, 0, len(scores))
	for doc, s := range scores {
		if l.ids[doc] == "" {
			continue
		}
		if filter != nil && !l.payload[doc].Matches(filter) {
			continue
		}
		hits = append(hits, vector.Hit{ID: l.ids[doc], Score: s})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ID < hits[j].ID
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}
