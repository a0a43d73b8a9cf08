package app

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// A shop's Q&A entries (its customer service's answers) are facts the
// assistant cites as qa:<id>. They are blobs of their own namespace, one per
// entry keyed by its ID, and an in-memory index by product that Reload
// rebuilds from the store (another replica may have written).
//
// Writes take turns across replicas: each swaps the guard blob qaTurnKey
// (store.PutBlobIf) from the version it read, with its entries in the same
// transaction, after checking the caps against an index current as of that
// version (reloaded first when another replica's write moved it). So two
// replicas cannot both fill a product's last place: the second swap fails,
// and its retry sees the first's entries. A delete removes its entries in
// its turn (store.Blob.Delete), so nothing of it is removed after the turn,
// when another replica may have written the same IDs again.

// qaNS is the blob namespace of Q&A entries.
const qaNS = "assistant-qa"

// qaTurnKey is the guard blob every Q&A write swaps. It starts with a
// control character, which no entry's ID may hold.
const qaTurnKey = "\x00turn"

// Limits on Q&A entries. Every answer is held in memory, so the total is
// bounded too: 50,000 entries of at most 2,000 characters each.
const (
	MaxQAQuestionLen = 500
	MaxQAAnswerLen   = 2000
	MaxQAsPerProduct = 200
	MaxQAs           = 50_000
)

// qaIndex is the in-memory copy of the stored Q&A entries.
type qaIndex struct {
	// writeMu serialises writes, so the per-product and total caps checked
	// before a write still hold after it.
	writeMu sync.Mutex
	mu      sync.RWMutex
	byID    map[string]assistant.QA
	// byProduct holds each product's entries in ID order.
	byProduct map[string][]assistant.QA
	// turn is the version of the guard blob (qaTurnKey) the index is
	// current as of; -1: unknown.
	turn int64
}

func newQAIndex() *qaIndex {
	return &qaIndex{byID: map[string]assistant.QA{}, byProduct: map[string][]assistant.QA{}, turn: -1}
}

// ProductQAs returns a product's Q&A entries in ID order.
func (a *App) ProductQAs(productID string) []assistant.QA {
	a.qas.mu.RLock()
	defer a.qas.mu.RUnlock()
	return slices.Clone(a.qas.byProduct[productID])
}

// ReloadQAs re-reads every Q&A entry from the store: a replica calls it
// when another one changed them. Entries that no longer decode are logged
// and skipped.
func (a *App) ReloadQAs(ctx context.Context) error {
	// The guard's version first: the entries listed after it are at least
	// as new as it says.
	_, turn, err := a.Store.GetBlobVersion(ctx, qaNS, qaTurnKey)
	if err != nil {
		return fmt.Errorf("reload Q&A entries: %w", err)
	}
	byID := map[string]assistant.QA{}
	after := ""
	for {
		page, more, err := a.Store.ListBlobs(ctx, qaNS, "", after, 1000)
		if err != nil {
			return fmt.Errorf("reload Q&A entries: %w", err)
		}
		for _, b := range page {
			if b.Key == qaTurnKey || len(b.Value) == 0 {
				continue // the guard, or a tombstone (earlier deletes left them)
			}
			var qa assistant.QA
			if err := json.Unmarshal(b.Value, &qa); err != nil || qa.ID != b.Key {
				a.log.Warn("skipping an undecodable Q&A entry", "key", b.Key, "err", err)
				continue
			}
			byID[qa.ID] = qa
		}
		if !more || len(page) == 0 {
			break
		}
		after = page[len(page)-1].Key
	}
	a.qas.mu.Lock()
	a.qas.byID = byID
	a.qas.turn = turn
	a.qas.rebuildLocked()
	a.qas.mu.Unlock()
	return nil
}

// qaTurn runs one Q&A write in its turn. write, called with the index
// current as of the guard's version, checks what it must and returns the
// blobs to write (nil: nothing is written and qaTurn returns false; empty:
// the guard alone is swapped, a turn that only orders writes); they
// are written with the guard's swap, or write runs again after a reload
// when another replica's write came first. apply then updates the index
// under its lock. write may run several times, so it must only compute.
func (a *App) qaTurn(ctx context.Context, write func() ([]store.Blob, error), apply func(x *qaIndex)) (bool, error) {
	for attempt := range store.MaxSwapAttempts {
		_, version, err := a.Store.GetBlobVersion(ctx, qaNS, qaTurnKey)
		if err != nil {
			return false, fmt.Errorf("Q&A write: %w", err)
		}
		a.qas.mu.RLock()
		current := a.qas.turn == version
		a.qas.mu.RUnlock()
		if !current {
			if err := a.ReloadQAs(ctx); err != nil {
				return false, err
			}
			a.qas.mu.RLock()
			current = a.qas.turn == version
			a.qas.mu.RUnlock()
		}
		if current {
			blobs, err := write()
			if err != nil || blobs == nil {
				return false, err
			}
			token := rand.Text()
			ok, err := a.Store.PutBlobIf(ctx, qaNS, qaTurnKey, []byte(token), version, blobs...)
			if err != nil {
				return false, fmt.Errorf("Q&A write: %w", err)
			}
			if ok {
				// The index is current as of this write's version if no
				// other write followed it; else it is reloaded next turn.
				cur, next, err := a.Store.GetBlobVersion(ctx, qaNS, qaTurnKey)
				a.qas.mu.Lock()
				apply(a.qas)
				a.qas.turn = -1
				if err == nil && string(cur) == token {
					a.qas.turn = next
				}
				a.qas.rebuildLocked()
				a.qas.mu.Unlock()
				return true, nil
			}
		}
		if err := store.SwapBackoff(ctx, attempt); err != nil {
			return false, err
		}
	}
	return false, fmt.Errorf("Q&A write: %w", store.ErrContended)
}

func (x *qaIndex) rebuildLocked() {
	x.byProduct = map[string][]assistant.QA{}
	for _, qa := range x.byID {
		x.byProduct[qa.ProductID] = append(x.byProduct[qa.ProductID], qa)
	}
	for _, qs := range x.byProduct {
		slices.SortFunc(qs, func(a, b assistant.QA) int { return strings.Compare(a.ID, b.ID) })
	}
}

// CheckProductQAs validates a batch of Q&A entries as UpsertProductQAs
// does, without writing: the importer checks a file's lines with it.
func (a *App) CheckProductQAs(ctx context.Context, in []assistant.QA) ([]assistant.QA, []shop.UserError, error) {
	qas, errs, err := a.checkProductQAs(ctx, in)
	if err != nil || errs != nil {
		return nil, errs, err
	}
	return qas, a.qas.checkCaps(qas), nil
}

// checkProductQAs is CheckProductQAs without the caps.
func (a *App) checkProductQAs(ctx context.Context, in []assistant.QA) ([]assistant.QA, []shop.UserError, error) {
	if errs := shop.BatchTooLarge(len(in), "input"); errs != nil {
		return nil, errs, nil
	}
	qas, errs := normalizeQAs(in)
	// Every row's product is looked up, also when other fields are bad,
	// so one answer names every problem.
	missing, err := a.missingProducts(ctx, qas)
	if err != nil {
		return nil, nil, err
	}
	errs = append(errs, missing...)
	if errs != nil {
		slices.SortStableFunc(errs, func(x, y shop.UserError) int {
			xi, _ := strconv.Atoi(x.Field[1])
			yi, _ := strconv.Atoi(y.Field[1])
			return xi - yi
		})
		return nil, errs, nil
	}
	return qas, nil, nil
}

// missingProducts names the rows whose product does not exist (rows whose
// product ID is not valid are left to normalizeQAs).
func (a *App) missingProducts(ctx context.Context, qas []assistant.QA) ([]shop.UserError, error) {
	var ids []string
	var at []int
	for i, qa := range qas {
		if code, _ := shop.ValidateID(qa.ProductID); code == "" {
			ids, at = append(ids, qa.ProductID), append(at, i)
		}
	}
	found, err := a.Store.Exist(ctx, true, ids)
	if err != nil {
		return nil, err
	}
	var errs []shop.UserError
	for k, ok := range found {
		if !ok {
			errs = append(errs, shop.UserError{Field: []string{"input", strconv.Itoa(at[k]), "productID"},
				Message: fmt.Sprintf("no product with id %q", ids[k]), Code: shop.CodeNotFound})
		}
	}
	return errs, nil
}

// CheckProductQACaps checks the caps (MaxQAsPerProduct, MaxQAs) for a
// whole set of entries at once, of any size; only ID and ProductID are
// read. The importer checks a file with it: CheckProductQAs sees one batch
// at a time, and skips the caps while a batch names products not stored
// yet.
func (a *App) CheckProductQACaps(in []assistant.QA) []shop.UserError {
	return a.qas.checkCaps(in)
}

// UpsertProductQAs creates or replaces Q&A entries. The whole batch is
// validated first (IDs, lengths, products that exist, the caps: in the
// write's turn, so they hold across replicas); one bad row writes nothing
// and is named in a UserError.
func (a *App) UpsertProductQAs(ctx context.Context, in []assistant.QA) ([]assistant.QA, []shop.UserError, error) {
	a.qas.writeMu.Lock()
	defer a.qas.writeMu.Unlock()
	qas, errs, err := a.checkProductQAs(ctx, in)
	if err != nil || errs != nil {
		return nil, errs, err
	}
	blobs := make([]store.Blob, len(qas))
	for i, qa := range qas {
		b, err := json.Marshal(qa)
		if err != nil {
			return nil, nil, fmt.Errorf("encode Q&A entry %q: %w", qa.ID, err)
		}
		blobs[i] = store.Blob{Key: qa.ID, Value: b}
	}
	var capErrs []shop.UserError
	_, err = a.qaTurn(ctx, func() ([]store.Blob, error) {
		if capErrs = a.qas.checkCaps(qas); capErrs != nil {
			return nil, nil
		}
		// The products again, in the turn: one deleted since takes a
		// turn to drop its entries (dropProductQAs), so either that turn
		// comes first and this lookup sees the product gone, or it comes
		// after this write's and deletes its entries.
		var err error
		if capErrs, err = a.missingProducts(ctx, qas); err != nil || capErrs != nil {
			return nil, err
		}
		return blobs, nil
	}, func(x *qaIndex) {
		for _, qa := range qas {
			x.byID[qa.ID] = qa
		}
	})
	if err != nil || capErrs != nil {
		return nil, capErrs, err
	}
	return qas, nil, nil
}

// checkCaps refuses a batch that would leave a product with more than
// MaxQAsPerProduct entries or the shop with more than MaxQAs.
func (x *qaIndex) checkCaps(qas []assistant.QA) []shop.UserError {
	x.mu.RLock()
	defer x.mu.RUnlock()
	total := len(x.byID)
	perProduct := map[string]int{}
	for _, qa := range qas {
		old, exists := x.byID[qa.ID]
		if !exists {
			total++
		} else if old.ProductID != qa.ProductID {
			perProduct[old.ProductID]--
		}
		if !exists || old.ProductID != qa.ProductID {
			perProduct[qa.ProductID]++
		}
	}
	if total > MaxQAs {
		return []shop.UserError{{Field: []string{"input"}, Code: shop.CodeTooLarge,
			Message: fmt.Sprintf("the shop would hold %d Q&A entries; at most %d are allowed", total, MaxQAs)}}
	}
	for i, qa := range qas {
		if n := len(x.byProduct[qa.ProductID]) + perProduct[qa.ProductID]; n > MaxQAsPerProduct {
			return []shop.UserError{{Field: []string{"input", strconv.Itoa(i), "productID"}, Code: shop.CodeTooLarge,
				Message: fmt.Sprintf("product %q would have %d Q&A entries; at most %d are allowed", qa.ProductID, n, MaxQAsPerProduct)}}
		}
	}
	return nil
}

// DeleteProductQAs deletes Q&A entries and returns the IDs that existed.
func (a *App) DeleteProductQAs(ctx context.Context, ids []string) ([]string, []shop.UserError, error) {
	if errs := checkIDs(ids, "ids"); errs != nil {
		return nil, errs, nil
	}
	deleted, err := a.deleteQAs(ctx, ids)
	return deleted, nil, err
}

// deleteQAs deletes Q&A entries by ID, any number of them (no batch
// limit: dropProductQAs may delete MaxQAsPerProduct entries per product
// of a whole batch of products).
func (a *App) deleteQAs(ctx context.Context, ids []string) ([]string, error) {
	return a.deleteQAsWhere(ctx, false, func(x *qaIndex) []string {
		var out []string
		seen := map[string]bool{}
		for _, id := range ids {
			if _, ok := x.byID[id]; ok && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		return out
	})
}

// deleteQAsWhere deletes the entries pick chooses from the index, in a
// turn: the index is then current (it holds what other replicas wrote),
// and the entries are deleted with the guard's swap, so a write on another
// replica checks its caps without them, and one that writes an ID again
// after the turn keeps it. always takes the turn also when there is
// nothing to delete.
func (a *App) deleteQAsWhere(ctx context.Context, always bool, pick func(x *qaIndex) []string) ([]string, error) {
	a.qas.writeMu.Lock()
	defer a.qas.writeMu.Unlock()
	var deleted []string
	ok, err := a.qaTurn(ctx, func() ([]store.Blob, error) {
		a.qas.mu.RLock()
		deleted = pick(a.qas)
		a.qas.mu.RUnlock()
		if len(deleted) == 0 && !always {
			return nil, nil
		}
		dels := make([]store.Blob, len(deleted))
		for i, id := range deleted {
			dels[i] = store.Blob{Key: id, Delete: true}
		}
		return dels, nil
	}, func(x *qaIndex) {
		for _, id := range deleted {
			delete(x.byID, id)
		}
	})
	if err != nil || !ok {
		return nil, err
	}
	return deleted, nil
}

// normalizeQAs trims and validates a batch of Q&A entries.
func normalizeQAs(in []assistant.QA) ([]assistant.QA, []shop.UserError) {
	var errs []shop.UserError
	bad := func(i int, field string, code shop.ErrorCode, msg string) {
		errs = append(errs, shop.UserError{Field: []string{"input", strconv.Itoa(i), field}, Message: msg, Code: code})
	}
	out := make([]assistant.QA, len(in))
	first := map[string]int{}
	for i, qa := range in {
		if code, msg := shop.ValidateID(qa.ID); code != "" {
			bad(i, "id", code, msg)
		} else if j, dup := first[qa.ID]; dup {
			bad(i, "id", shop.CodeDuplicate, fmt.Sprintf("id %q is also input %d", qa.ID, j))
		} else {
			first[qa.ID] = i
		}
		if code, msg := shop.ValidateID(qa.ProductID); code != "" {
			bad(i, "productID", code, msg)
		}
		var code shop.ErrorCode
		var msg string
		if qa.Question, code, msg = cleanText(qa.Question, MaxQAQuestionLen); code != "" {
			bad(i, "question", code, msg)
		}
		if qa.Answer, code, msg = cleanText(qa.Answer, MaxQAAnswerLen); code != "" {
			bad(i, "answer", code, msg)
		}
		out[i] = qa
	}
	return out, errs
}

// cleanText trims s and checks it: valid UTF-8, not empty, at most max
// characters, no control characters but line breaks and tabs (they would
// reach prompts and logs).
func cleanText(s string, max int) (string, shop.ErrorCode, string) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return s, shop.CodeInvalid, "must be valid UTF-8"
	case s == "":
		return s, shop.CodeRequired, "must not be empty"
	case utf8.RuneCountInString(s) > max:
		return s, shop.CodeTooLong, fmt.Sprintf("must be at most %d characters", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			return s, shop.CodeInvalid, "must not contain control or format characters"
		}
	}
	return s, "", ""
}

// dropProductQAs deletes the Q&A entries of deleted products, so that no
// entry outlives its product (and counts against the caps), also those
// another replica wrote. It takes a turn also when there are none: a
// write about the products under way on another replica then either
// finds them gone in its turn or comes first and is deleted here.
func (a *App) dropProductQAs(ctx context.Context, productIDs []string) error {
	if len(productIDs) == 0 {
		return nil
	}
	_, err := a.deleteQAsWhere(ctx, true, func(x *qaIndex) []string {
		var ids []string
		for _, pid := range productIDs {
			for _, qa := range x.byProduct[pid] {
				ids = append(ids, qa.ID)
			}
		}
		return ids
	})
	return err
}
