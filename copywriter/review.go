package copywriter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// Status is a variant's review state (issue 18). With review off every
// variant counts as approved.
type Status string

const (
	StatusPending  Status = "PENDING"
	StatusApproved Status = "APPROVED"
	StatusRejected Status = "REJECTED"
)

// Valid reports whether s is one of the three states.
func (s Status) Valid() bool {
	return s == StatusPending || s == StatusApproved || s == StatusRejected
}

func (s Status) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

func (s *Status) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok || !Status(str).Valid() {
		return fmt.Errorf("%v is not a CopyStatus (PENDING, APPROVED, REJECTED)", v)
	}
	*s = Status(str)
	return nil
}

// Review is what the review workflow knows of a variant. It is attached to
// served variants (never cached with them): nil means the workflow did not
// look at the variant, which with review off means approved.
type Review struct {
	Status       Status
	ReviewedBy   string
	ReviewedAt   time.Time
	RejectReason string
	Edited       bool
}

// FactProvider supplies facts about a product that do not come from the
// catalogue but that copy may state: image facts an admin approved. Copy is
// written and checked with them as if they were the product's attributes.
type FactProvider interface {
	ApprovedFacts(ctx context.Context, productID string) ([]shop.Attribute, error)
}

// withFacts returns the product with the extra facts as attributes (a copy:
// the caller's product is never changed) and a fingerprint of the facts for
// cache keys and variant IDs ("" when there are none, so IDs of copy
// written without extra facts do not change).
func withFacts(p *shop.Product, facts []shop.Attribute) (*shop.Product, string) {
	if len(facts) == 0 {
		return p, ""
	}
	q := *p
	q.Attributes = append(slices.Clone(p.Attributes), facts...)
	h := sha256.New()
	for _, f := range facts {
		h.Write([]byte(f.Name))
		h.Write([]byte{0})
		h.Write([]byte(f.Value))
		h.Write([]byte{0})
	}
	return &q, hex.EncodeToString(h.Sum(nil))[:12]
}

// productFactsFor adds the approved extra facts to a request's product.
func (w *Writer) productFactsFor(ctx context.Context, p *shop.Product) (*shop.Product, string, error) {
	if w.facts == nil {
		return p, "", nil
	}
	fs, err := w.facts.ApprovedFacts(ctx, p.ID)
	if err != nil {
		return nil, "", fmt.Errorf("approved facts of %s: %w", p.ID, err)
	}
	q, fp := withFacts(p, fs)
	return q, fp, nil
}

// Check runs every check on a variant of a product as Generate would: with
// the approved extra facts. An edited variant is re-checked with it.
func (w *Writer) Check(ctx context.Context, p *shop.Product, reader persona.Persona, ch Channel, lang shop.Language, v Variant) ([]Check, error) {
	q, _, err := w.productFactsFor(ctx, p)
	if err != nil {
		return nil, err
	}
	return CheckVariant(q, reader, ch, lang, v), nil
}
