package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/shopmuse/shopmuse/shop"
)

// Event is an interaction as stored: the fact plus its place in the log.
type Event struct {
	Seq uint64
	shop.Interaction
}

// RecordResult says what RecordInteractions did.
type RecordResult struct {
	// Recorded are the new events, in input order.
	Recorded []shop.Interaction
	// Duplicates counts inputs already recorded (same user, product, kind and
	// time); recording a fact twice is harmless, so they are not errors.
	Duplicates int
}

// errRejected aborts a transaction whose input failed a check that needs the
// store (an unknown user or product); the UserErrors travel beside it.
var errRejected = errors.New("input rejected")

// RecordInteractions appends normalised interactions to the event log, their
// indexes and the per-product counters in one transaction. An interaction
// naming an unknown user or product rejects the whole batch with NOT_FOUND
// errors under field (["input", "3", "userID"]) and writes nothing.
func (s *Badger) RecordInteractions(ctx context.Context, its []shop.Interaction, field string) (RecordResult, []shop.UserError, error) {
	var res RecordResult
	var userErrs []shop.UserError
	err := s.update(ctx, func(txn *badger.Txn) error {
		res, userErrs = RecordResult{}, nil
		if userErrs = s.checkRefs(txn, its, field); len(userErrs) > 0 {
			return errRejected
		}
		counts := map[string]int64{}
		inBatch := map[string]bool{}
		for _, it := range its {
			// The per-user index key is unique for (user, product, kind,
			// time), the identity of a fact, so it doubles as the dedup check.
			ukey := userIndexKey(&it)
			if inBatch[string(ukey)] {
				res.Duplicates++
				continue
			}
			inBatch[string(ukey)] = true
			if _, err := txn.Get(ukey); err == nil {
				res.Duplicates++
				continue
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			seq, err := s.seq.Next()
			if err != nil {
				return fmt.Errorf("next event number: %w", err)
			}
			ev := encodeEvent(seq, &it)
			for _, kv := range [][2][]byte{
				{eventKey(seq), ev},
				{ukey, ev},
				{productIndexKey(&it), ev},
			} {
				if err := txn.Set(kv[0], kv[1]); err != nil {
					return err
				}
			}
			counts[counterKey(it.ProductID, it.Kind)]++
			res.Recorded = append(res.Recorded, it)
		}
		if err := countOutcomes(txn, res.Recorded); err != nil {
			return err
		}
		return addCounts(txn, counts)
	})
	if errors.Is(err, errRejected) {
		return RecordResult{}, userErrs, nil
	}
	if err != nil {
		return RecordResult{}, nil, fmt.Errorf("record interactions: %w", err)
	}
	return res, nil, nil
}

// checkRefs returns NOT_FOUND errors for unknown users and products.
func (s *Badger) checkRefs(txn *badger.Txn, its []shop.Interaction, field string) []shop.UserError {
	exists := map[string]bool{}
	lookup := func(prefix []byte, id string) bool {
		k := string(prefix) + id
		if v, ok := exists[k]; ok {
			return v
		}
		_, err := txn.Get([]byte(k))
		exists[k] = err == nil
		return err == nil
	}
	var errs []shop.UserError
	for i, it := range its {
		row := strconv.Itoa(i)
		if !lookup(prefixUser, it.UserID) {
			errs = append(errs, shop.UserError{Field: []string{field, row, "userID"}, Code: shop.CodeNotFound,
				Message: fmt.Sprintf("no user with id %q", it.UserID)})
		}
		if !lookup(prefixProd, it.ProductID) {
			errs = append(errs, shop.UserError{Field: []string{field, row, "productID"}, Code: shop.CodeNotFound,
				Message: fmt.Sprintf("no product with id %q", it.ProductID)})
		}
	}
	return errs
}

// Exist reports, for each ID, whether a product (products=true) or user exists.
func (s *Badger) Exist(ctx context.Context, products bool, ids []string) ([]bool, error) {
	prefix := prefixUser
	if products {
		prefix = prefixProd
	}
	out := make([]bool, len(ids))
	err := s.db.View(func(txn *badger.Txn) error {
		for i, id := range ids {
			_, err := txn.Get(key(prefix, id))
			if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			out[i] = err == nil
		}
		return nil
	})
	return out, err
}

// UserInteractions returns up to first of the user's interactions, newest first.
func (s *Badger) UserInteractions(ctx context.Context, userID string, first int) ([]Event, error) {
	return s.indexScan(ctx, prefixByUser, userID, first)
}

// ProductInteractions returns up to first of the product's interactions, newest first.
func (s *Badger) ProductInteractions(ctx context.Context, productID string, first int) ([]Event, error) {
	return s.indexScan(ctx, prefixByProd, productID, first)
}

func (s *Badger) indexScan(ctx context.Context, prefix []byte, id string, first int) ([]Event, error) {
	var out []Event
	p := append(key(prefix, id), 0)
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true, PrefetchSize: min(first, 100)})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(out) < first; it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := it.Item().Value(func(v []byte) error {
				ev, err := decodeEvent(v)
				out = append(out, ev)
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list interactions of %q: %w", id, err)
	}
	return out, nil
}

// EachEvent calls fn for every event in arrival order: how the recommendation
// engine rebuilds its in-memory view at start.
func (s *Badger) EachEvent(ctx context.Context, fn func(Event) error) error {
	return scanAfter(s.db, prefixEvent, "", func(v []byte) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		ev, err := decodeEvent(v)
		if err != nil {
			return false, err
		}
		return true, fn(ev)
	})
}

// CountEvents counts the events in the log.
func (s *Badger) CountEvents(ctx context.Context) (int, error) { return s.countPrefix(prefixEvent) }

// ProductCounts returns the product's event counts by kind.
func (s *Badger) ProductCounts(ctx context.Context, productID string) (map[shop.InteractionKind]int64, error) {
	out := map[shop.InteractionKind]int64{}
	err := s.db.View(func(txn *badger.Txn) error {
		for _, k := range shop.InteractionKinds {
			n, err := readCount(txn, []byte(counterKey(productID, k)))
			if err != nil {
				return err
			}
			if n != 0 {
				out[k] = n
			}
		}
		return nil
	})
	return out, err
}

// eraseEvents deletes up to limit events of the user with everything derived
// from them, and returns how many it deleted.
func (s *Badger) eraseEvents(txn *badger.Txn, userID string, limit int) (int, error) {
	var evs []Event
	var idxKeys [][]byte
	p := append(key(prefixByUser, userID), 0)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
	for it.Rewind(); it.Valid() && len(evs) < limit; it.Next() {
		idxKeys = append(idxKeys, it.Item().KeyCopy(nil))
		err := it.Item().Value(func(v []byte) error {
			ev, err := decodeEvent(v)
			evs = append(evs, ev)
			return err
		})
		if err != nil {
			it.Close()
			return 0, err
		}
	}
	it.Close()
	counts := map[string]int64{}
	for i, ev := range evs {
		for _, k := range [][]byte{idxKeys[i], eventKey(ev.Seq), productIndexKey(&ev.Interaction)} {
			if err := txn.Delete(k); err != nil {
				return 0, err
			}
		}
		counts[counterKey(ev.ProductID, ev.Kind)]--
	}
	return len(evs), addCounts(txn, counts)
}

func addCounts(txn *badger.Txn, deltas map[string]int64) error {
	for k, d := range deltas {
		n, err := readCount(txn, []byte(k))
		if err != nil {
			return err
		}
		n += d
		if n <= 0 {
			err = txn.Delete([]byte(k))
		} else {
			err = txn.Set([]byte(k), binary.BigEndian.AppendUint64(nil, uint64(n)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func readCount(txn *badger.Txn, k []byte) (int64, error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n int64
	err = item.Value(func(v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("corrupt counter %q", k)
		}
		n = int64(binary.BigEndian.Uint64(v))
		return nil
	})
	return n, err
}

func counterKey(productID string, k shop.InteractionKind) string {
	return string(prefixCount) + productID + "\x00" + string(rune(k.Code()))
}

func eventKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte{}, prefixEvent...), seq)
}

// userIndexKey is iu/<user> 0x00 <inv:8> <kind:1> <product>: newest first,
// and unique per fact.
func userIndexKey(it *shop.Interaction) []byte {
	k := append(key(prefixByUser, it.UserID), 0)
	k = binary.BigEndian.AppendUint64(k, uint64(math.MaxInt64-it.OccurredAt.UnixNano()))
	return append(append(k, byte(it.Kind.Code())), it.ProductID...)
}

// productIndexKey is ip/<product> 0x00 <inv:8> <kind:1> <user>.
func productIndexKey(it *shop.Interaction) []byte {
	k := append(key(prefixByProd, it.ProductID), 0)
	k = binary.BigEndian.AppendUint64(k, uint64(math.MaxInt64-it.OccurredAt.UnixNano()))
	return append(append(k, byte(it.Kind.Code())), it.UserID...)
}

// Event encoding, version 1:
//
//	ver:1 kind:1 flags:1 occurredAt:8 (Unix ns) seq:8 [value:8 if flags&1]
//	then user, product and copy-variant IDs, each as uvarint length + bytes.
const eventVersion = 1

func encodeEvent(seq uint64, it *shop.Interaction) []byte {
	b := make([]byte, 0, 32+len(it.UserID)+len(it.ProductID)+len(it.CopyVariantID))
	flags := byte(0)
	if it.Value != nil {
		flags |= 1
	}
	b = append(b, eventVersion, byte(it.Kind.Code()), flags)
	b = binary.BigEndian.AppendUint64(b, uint64(it.OccurredAt.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, seq)
	if it.Value != nil {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(*it.Value))
	}
	for _, s := range []string{it.UserID, it.ProductID, it.CopyVariantID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeEvent(b []byte) (Event, error) {
	var ev Event
	bad := func(what string) (Event, error) { return Event{}, fmt.Errorf("corrupt event: %s", what) }
	if len(b) < 19 || b[0] != eventVersion {
		return bad("header")
	}
	kind, ok := shop.KindFromCode(b[1])
	if !ok {
		return bad("kind")
	}
	ev.Kind = kind
	flags := b[2]
	ev.OccurredAt = time.Unix(0, int64(binary.BigEndian.Uint64(b[3:11]))).UTC()
	ev.Seq = binary.BigEndian.Uint64(b[11:19])
	b = b[19:]
	if flags&1 != 0 {
		if len(b) < 8 {
			return bad("value")
		}
		v := math.Float64frombits(binary.BigEndian.Uint64(b[:8]))
		ev.Value = &v
		b = b[8:]
	}
	for _, dst := range []*string{&ev.UserID, &ev.ProductID, &ev.CopyVariantID} {
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n {
			return bad("ids")
		}
		*dst = string(b[w : w+int(n)])
		b = b[w+int(n):]
	}
	return ev, nil
}
