// Package vector holds the Index interface that every vector store behind
// shopmuse implements: the embedded HNSW index (vector/hnsw) and the Qdrant
// adapter (vector/qdrant). Vectors are float32 and compared by cosine
// similarity; implementations may assume callers pass L2-normalised vectors
// but must not break on others.
package vector

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/shopmuse/shopmuse/shop"
)

// Payload is what a point carries besides its vector: the product facts that
// filters look at. Collections of non-product vectors leave it zero.
type Payload struct {
	Category  string        `json:"category,omitempty"`
	Brand     string        `json:"brand,omitempty"`
	Price     shop.Decimal  `json:"price,omitempty"`
	Available bool          `json:"available,omitempty"`
	Tags      []string      `json:"tags,omitempty"`
	Language  shop.Language `json:"language,omitempty"`
}

// PayloadOf extracts the filterable facts of a product.
func PayloadOf(p *shop.Product) Payload {
	return Payload{Category: p.Category, Brand: p.Brand, Price: p.Price.Amount,
		Available: p.Available, Tags: p.Tags, Language: p.Language}
}

// Matches reports whether a point with this payload passes the filter, with
// the same semantics as shop.ProductFilter.Matches.
func (pl *Payload) Matches(f *shop.ProductFilter) bool {
	if f.IsZero() {
		return true
	}
	p := shop.Product{Category: pl.Category, Brand: pl.Brand, Price: shop.Money{Amount: pl.Price},
		Available: pl.Available, Tags: pl.Tags, Language: pl.Language}
	return f.Matches(&p)
}

// Point is one vector with its caller-chosen ID (a product ID, 1–128 chars).
type Point struct {
	ID      string
	Vector  []float32
	Payload Payload
}

// Validate checks a point the way every Index must before writing
// anything: a non-empty ID, the index's dimension (wrapping ErrDimension)
// and finite values, since one NaN or infinity would poison every score it
// touches. Indexes wrap the error with their name and the point's position
// in the batch.
func (p *Point) Validate(dim int) error {
	if p.ID == "" {
		return errors.New("empty ID")
	}
	if len(p.Vector) != dim {
		return fmt.Errorf("ID %q: vector has %d values, index has %d: %w", p.ID, len(p.Vector), dim, ErrDimension)
	}
	if j := NonFinite(p.Vector); j >= 0 {
		return fmt.Errorf("ID %q: value %d is %v", p.ID, j, p.Vector[j])
	}
	return nil
}

// NonFinite returns the index of the first NaN or infinity in v, or -1.
// Indexes check queries with it too.
func NonFinite(v []float32) int {
	for j, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return j
		}
	}
	return -1
}

// Hit is one search result; Score is the cosine similarity, higher is closer.
type Hit struct {
	ID    string
	Score float32
}

// ErrDimension is returned when a vector's length differs from the index's.
var ErrDimension = errors.New("vector: wrong dimension")

// Index is a collection of vectors of one dimension with filtered k-NN search.
type Index interface {
	// Upsert inserts or replaces points by ID.
	Upsert(ctx context.Context, points []Point) error
	// Delete removes points; unknown IDs are ignored.
	Delete(ctx context.Context, ids []string) error
	// Search returns up to k points closest to query that pass filter (nil
	// matches all), best first.
	Search(ctx context.Context, query []float32, k int, filter *shop.ProductFilter) ([]Hit, error)
	// Vector returns the stored vector of id, or ok=false when absent.
	Vector(ctx context.Context, id string) (vec []float32, ok bool, err error)
	// Count is the number of live points.
	Count(ctx context.Context) (int, error)
	// Dim is the dimension every vector must have.
	Dim() int
	Close() error
}
