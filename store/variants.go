package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/shopmuse/shopmuse/shop"
)

// Copy variant statistics. Key layout:
//
//	vc/<variantID> 0x00 <field:1>   counter (int64): i impressions, c clicks, a carts, p purchases
//	vs/<productID> 0x00 <channel> 0x00 <variantID>   the variants a product has served, value = segment
//
// Impressions arrive on the read path (copy served with recommendations) and
// are written in batches by the caller; outcomes arrive with
// recordInteractions and are counted in its transaction.
var (
	prefixVariantCount = []byte("vc/")
	prefixVariantSeen  = []byte("vs/")
)

// VariantCounts are one copy variant's counters.
type VariantCounts struct {
	Impressions, Clicks, Carts, Purchases int64
}

// Add returns the sum of two sets of counters.
func (c VariantCounts) Add(d VariantCounts) VariantCounts {
	return VariantCounts{c.Impressions + d.Impressions, c.Clicks + d.Clicks, c.Carts + d.Carts, c.Purchases + d.Purchases}
}

// Served names a variant that was shown for a product on a channel to a
// persona segment.
type Served struct {
	ProductID, Channel, Segment, VariantID string
}

// VariantRef is a variant a product has served.
type VariantRef struct {
	VariantID, Segment string
}

const (
	fieldImpressions = 'i'
	fieldClicks      = 'c'
	fieldCarts       = 'a'
	fieldPurchases   = 'p'
)

var variantFields = []byte{fieldImpressions, fieldClicks, fieldCarts, fieldPurchases}

func variantCountKey(id string, field byte) []byte {
	return append(append(key(prefixVariantCount, id), 0), field)
}

// outcomeField is the counter an interaction with copy adds to, if any.
func outcomeField(k shop.InteractionKind) (byte, bool) {
	switch k {
	case shop.KindClick:
		return fieldClicks, true
	case shop.KindAddToCart:
		return fieldCarts, true
	case shop.KindPurchase:
		return fieldPurchases, true
	}
	return 0, false
}

// AddImpressions adds impression counts and remembers which variants each
// product served, in one transaction.
func (s *Badger) AddImpressions(ctx context.Context, counts map[Served]int64) error {
	if len(counts) == 0 {
		return nil
	}
	err := s.update(ctx, func(txn *badger.Txn) error {
		deltas := map[string]int64{}
		for sv, n := range counts {
			deltas[string(variantCountKey(sv.VariantID, fieldImpressions))] += n
			k := key(prefixVariantSeen, sv.ProductID, sv.Channel, sv.VariantID)
			if err := txn.Set(k, []byte(sv.Segment)); err != nil {
				return err
			}
		}
		return addCounts(txn, deltas)
	})
	if err != nil {
		return fmt.Errorf("add impressions: %w", err)
	}
	return nil
}

// VariantStats returns the counters of the given variants (zero when none).
func (s *Badger) VariantStats(ctx context.Context, ids []string) (map[string]VariantCounts, error) {
	out := make(map[string]VariantCounts, len(ids))
	err := s.db.View(func(txn *badger.Txn) error {
		for _, id := range ids {
			var c VariantCounts
			for _, f := range variantFields {
				n, err := readCount(txn, variantCountKey(id, f))
				if err != nil {
					return err
				}
				switch f {
				case fieldImpressions:
					c.Impressions = n
				case fieldClicks:
					c.Clicks = n
				case fieldCarts:
					c.Carts = n
				case fieldPurchases:
					c.Purchases = n
				}
			}
			out[id] = c
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("variant stats: %w", err)
	}
	return out, nil
}

// ProductVariants lists the variants a product has served on a channel.
func (s *Badger) ProductVariants(ctx context.Context, productID, channel string) ([]VariantRef, error) {
	var out []VariantRef
	p := append(key(prefixVariantSeen, productID, channel), 0)
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id := strings.TrimPrefix(string(it.Item().Key()), string(p))
			seg, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out = append(out, VariantRef{VariantID: id, Segment: string(seg)})
		}
		return nil
	})
	return out, err
}

// countOutcomes adds the copy outcomes of newly recorded interactions to
// their variants' counters, inside the recording transaction.
func countOutcomes(txn *badger.Txn, its []shop.Interaction) error {
	deltas := map[string]int64{}
	for _, it := range its {
		if it.CopyVariantID == "" {
			continue
		}
		if f, ok := outcomeField(it.Kind); ok {
			deltas[string(variantCountKey(it.CopyVariantID, f))]++
		}
	}
	return addCounts(txn, deltas)
}
