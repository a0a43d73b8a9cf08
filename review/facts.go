package review

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// FactsNamespace holds each product's image facts under its product ID.
const FactsNamespace = "imagefacts"

// MaxFactsPerProduct bounds what one product keeps: extraction adds at most
// MaxFactsPerExtraction, and the oldest rejected facts go first past it.
const (
	MaxFactsPerProduct    = 100
	MaxFactsPerExtraction = 20
)

// Fact sources.
const (
	SourceCatalog = "CATALOG"
	SourceImage   = "IMAGE"
)

// Fact is a candidate fact about a product.
type Fact struct {
	ID         string            `json:"id"`
	ProductID  string            `json:"productID"`
	Name       string            `json:"name"`
	Value      string            `json:"value"`
	Source     string            `json:"source"`
	Status     copywriter.Status `json:"status"`
	Confidence *float64          `json:"confidence,omitempty"`
	// Warning says why the fact deserves a second look (it contradicts the
	// catalogue); "" when nothing was noticed.
	Warning    *string   `json:"warning,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	ReviewedBy string    `json:"reviewedBy,omitempty"`
	ReviewedAt time.Time `json:"reviewedAt"`
}

// Facts returns a product's image facts, of one status when given.
func (s *Service) Facts(ctx context.Context, productID string, status copywriter.Status) ([]Fact, error) {
	all, err := s.facts(ctx, productID)
	if err != nil || status == "" {
		return all, err
	}
	out := all[:0:0]
	for _, f := range all {
		if f.Status == status {
			out = append(out, f)
		}
	}
	return out, nil
}

func (s *Service) facts(ctx context.Context, productID string) ([]Fact, error) {
	b, ok, err := s.st.GetBlob(ctx, FactsNamespace, productID)
	if err != nil {
		return nil, err
	}
	return decodeFacts(productID, b, ok)
}

func decodeFacts(productID string, b []byte, ok bool) ([]Fact, error) {
	if !ok {
		return nil, nil
	}
	var fs []Fact
	if err := json.Unmarshal(b, &fs); err != nil {
		return nil, fmt.Errorf("image facts of %s: %w", productID, err)
	}
	return fs, nil
}

// updateFacts is a read-modify-write of a product's facts that loses no
// other replica's: change gets the stored facts and returns them changed,
// or store.ErrKeep (or another error) to write nothing. It may run more
// than once.
func (s *Service) updateFacts(ctx context.Context, productID string, change func(fs []Fact) ([]Fact, error)) error {
	return store.UpdateBlob(ctx, s.st, FactsNamespace, productID, func(cur []byte, ok bool) ([]byte, error) {
		fs, err := decodeFacts(productID, cur, ok)
		if err != nil {
			return nil, err
		}
		if fs, err = change(fs); err != nil {
			return nil, err
		}
		return json.Marshal(fs)
	})
}

// ApprovedFacts are the approved image facts as attributes: what copy may
// state beyond the catalogue (copywriter.FactProvider).
func (s *Service) ApprovedFacts(ctx context.Context, productID string) ([]shop.Attribute, error) {
	fs, err := s.facts(ctx, productID)
	if err != nil {
		return nil, err
	}
	var out []shop.Attribute
	for _, f := range fs {
		if f.Status == copywriter.StatusApproved {
			out = append(out, shop.Attribute{Name: f.Name, Value: f.Value})
		}
	}
	return out, nil
}

// AddCandidates stores new PENDING image facts for a product. A candidate
// equal to a fact the product already has (same name and value) is not
// added again.
func (s *Service) AddCandidates(ctx context.Context, productID string, cands []Fact) ([]Fact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var added, fs []Fact
	err := s.updateFacts(ctx, productID, func(stored []Fact) ([]Fact, error) {
		fs, added = stored, nil
		have := map[string]bool{}
		for _, f := range fs {
			have[strings.ToLower(f.Name+"\x00"+f.Value)] = true
		}
		now := s.now().UTC()
		for _, c := range cands {
			k := strings.ToLower(c.Name + "\x00" + c.Value)
			if have[k] || len(added) == MaxFactsPerExtraction {
				continue
			}
			have[k] = true
			c.ID, c.ProductID, c.Source, c.Status, c.CreatedAt = newFactID(), productID, SourceImage, copywriter.StatusPending, now
			added = append(added, c)
		}
		if len(added) == 0 {
			return nil, store.ErrKeep
		}
		fs = append(fs, added...)
		// Past the cap, drop rejected facts first, then the oldest pending.
		for len(fs) > MaxFactsPerProduct {
			drop := -1
			for i, f := range fs {
				if f.Status == copywriter.StatusRejected {
					drop = i
					break
				}
			}
			if drop < 0 {
				for i, f := range fs {
					if f.Status == copywriter.StatusPending {
						drop = i
						break
					}
				}
			}
			if drop < 0 {
				break
			}
			fs = append(fs[:drop], fs[drop+1:]...)
		}
		return fs, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store image facts: %w", err)
	}
	// The cap may have dropped new candidates again (every other fact
	// approved): report only what was stored.
	kept := map[string]bool{}
	for _, f := range fs {
		kept[f.ID] = true
	}
	stored := added[:0]
	for _, f := range added {
		if kept[f.ID] {
			stored = append(stored, f)
		}
	}
	return stored, nil
}

func newFactID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "if_" + hex.EncodeToString(b[:])
}

// DecideFacts sets the status of a product's facts (APPROVED or REJECTED);
// an unknown ID is a userError and then nothing changes.
func (s *Service) DecideFacts(ctx context.Context, actor, productID string, ids []string, status copywriter.Status) ([]Fact, []shop.UserError, error) {
	if len(ids) == 0 {
		return nil, []shop.UserError{{Field: []string{"ids"}, Code: shop.CodeRequired, Message: "give at least one fact ID"}}, nil
	}
	if len(ids) > MaxFactsPerProduct {
		return nil, []shop.UserError{{Field: []string{"ids"}, Code: shop.CodeTooLarge, Message: fmt.Sprintf("at most %d facts at once", MaxFactsPerProduct)}}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ues []shop.UserError
	var out []Fact
	err := s.updateFacts(ctx, productID, func(fs []Fact) ([]Fact, error) {
		ues, out = nil, nil
		byID := map[string]int{}
		for i, f := range fs {
			byID[f.ID] = i
		}
		var picked []int
		seen := map[string]bool{}
		for i, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			j, ok := byID[id]
			if !ok {
				ues = append(ues, shop.UserError{Field: []string{"ids", strconv.Itoa(i)}, Code: shop.CodeNotFound,
					Message: fmt.Sprintf("product %q has no image fact %q", productID, id)})
				continue
			}
			picked = append(picked, j)
		}
		if len(ues) > 0 {
			return nil, store.ErrKeep
		}
		now := s.now().UTC()
		for _, j := range picked {
			fs[j].Status, fs[j].ReviewedBy, fs[j].ReviewedAt = status, actor, now
		}
		for _, j := range picked {
			out = append(out, fs[j])
		}
		return fs, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store image facts: %w", err)
	}
	if len(ues) > 0 {
		return nil, ues, nil
	}
	return out, nil, nil
}
