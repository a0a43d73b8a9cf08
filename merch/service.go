package merch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// Namespace is the store blob namespace the rules live in; a replica
// reloads them when another changes it.
const Namespace = "merch"

// The rule set is one blob, so a batch is written whole or not at all.
// Changes are compare-and-swaps of it (store.UpdateBlob): each validates
// against the rule set it replaces, so no replica's change is lost and the
// checks that span rules (PINs on one position, the caps) hold across
// replicas.
const (
	blobNS  = Namespace
	blobKey = "rules"
)

// blobStore is the part of the store the rules use.
type blobStore interface {
	GetBlob(ctx context.Context, namespace, k string) ([]byte, bool, error)
	store.BlobSwapper
}

// Service keeps the rules: stored in the store, compiled in memory, and
// installed in the recommender after every change and every Reload.
type Service struct {
	st      blobStore
	install func(recommend.Merchandising)
	now     func() time.Time
	// mu serialises changes (read, merge, write, install) in this
	// process; the compare-and-swap serialises them across replicas.
	mu  sync.Mutex
	cur atomic.Pointer[state]
}

type state struct {
	rules []Rule // in ID order
	index *Index
}

// Open loads the stored rules and installs them with install (typically
// recommend.Engine.SetMerchandising).
func Open(ctx context.Context, st blobStore, install func(recommend.Merchandising), now func() time.Time) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	s := &Service{st: st, install: install, now: now}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload re-reads the rules from the store and installs them: what a
// replica calls when another replica changed them.
func (s *Service) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rules, err := s.load(ctx)
	if err != nil {
		return err
	}
	s.set(rules)
	return nil
}

func (s *Service) load(ctx context.Context) ([]Rule, error) {
	b, ok, err := s.st.GetBlob(ctx, blobNS, blobKey)
	if err != nil {
		return nil, fmt.Errorf("merch: load rules: %w", err)
	}
	return decode(b, ok)
}

func decode(b []byte, ok bool) ([]Rule, error) {
	if !ok {
		return nil, nil
	}
	var rules []Rule
	if err := json.Unmarshal(b, &rules); err != nil {
		return nil, fmt.Errorf("merch: decode rules: %w", err)
	}
	return rules, nil
}

// set compiles and installs a rule set (sorted by ID).
func (s *Service) set(rules []Rule) {
	slices.SortFunc(rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	st := &state{rules: rules, index: Compile(rules)}
	s.cur.Store(st)
	if s.install == nil {
		return
	}
	if len(rules) == 0 {
		s.install(nil) // no rules: no per-request work at all
		return
	}
	s.install(st.index)
}

func (s *Service) state() *state {
	if st := s.cur.Load(); st != nil {
		return st
	}
	return &state{}
}

// Upsert validates a batch against the stored rules and stores it: on any
// error nothing is written. It returns the batch's rules as stored.
func (s *Service) Upsert(ctx context.Context, in []RuleInput) ([]Rule, []shop.UserError, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The store, not this process's copy, is the base: another replica
	// may have written since, and may write before this swap, which then
	// merges again onto what it wrote.
	var all, batch []Rule
	var errs []shop.UserError
	err := store.UpdateBlob(ctx, s.st, blobNS, blobKey, func(cur []byte, ok bool) ([]byte, error) {
		stored, err := decode(cur, ok)
		if err != nil {
			return nil, err
		}
		if all, batch, errs = Merge(stored, in, s.now()); len(errs) > 0 {
			return nil, store.ErrKeep
		}
		return encode(all)
	})
	if tl, ok := err.(tooLarge); ok {
		return nil, []shop.UserError(tl), nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("merch: store rules: %w", err)
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	s.set(all)
	return batch, nil, nil
}

type tooLarge []shop.UserError

func (t tooLarge) Error() string { return t[0].Message }

func encode(rules []Rule) ([]byte, error) {
	b, err := json.Marshal(rules)
	if err != nil {
		return nil, fmt.Errorf("merch: encode rules: %w", err)
	}
	if len(b) > MaxEncodedBytes {
		return nil, tooLarge{{Field: []string{"input"}, Code: shop.CodeTooLarge,
			Message: fmt.Sprintf("the rules would take %d bytes; at most %d are stored", len(b), MaxEncodedBytes)}}
	}
	return b, nil
}

// Delete removes rules by ID; unknown IDs are ignored. It returns the IDs
// removed.
func (s *Service) Delete(ctx context.Context, ids []string) ([]string, []shop.UserError, error) {
	if e := shop.BatchTooLarge(len(ids), "ids"); e != nil {
		return nil, e, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	var deleted []string
	var kept []Rule
	err := store.UpdateBlob(ctx, s.st, blobNS, blobKey, func(cur []byte, ok bool) ([]byte, error) {
		stored, err := decode(cur, ok)
		if err != nil {
			return nil, err
		}
		deleted, kept = nil, stored[:0:0]
		for _, r := range stored {
			if drop[r.ID] {
				deleted = append(deleted, r.ID)
				continue
			}
			kept = append(kept, r)
		}
		if len(deleted) == 0 {
			return nil, store.ErrKeep
		}
		return encode(kept)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("merch: store rules: %w", err)
	}
	if len(deleted) == 0 {
		return []string{}, nil, nil
	}
	s.set(kept)
	return deleted, nil, nil
}

// List pages through the rules in ID order: up to first after the ID
// after, and whether more follow.
func (s *Service) List(first int, after string) ([]Rule, bool) {
	rules := s.state().rules
	i, _ := slices.BinarySearchFunc(rules, after, func(r Rule, id string) int { return strings.Compare(r.ID, id) })
	if i < len(rules) && rules[i].ID == after && after != "" {
		i++
	}
	end := min(len(rules), i+first)
	return slices.Clone(rules[i:end]), end < len(rules)
}

// Count is the number of stored rules.
func (s *Service) Count() int { return len(s.state().rules) }

// Index is the compiled rule set in force.
func (s *Service) Index() *Index { return s.state().index }

// Parse reads a rule file for `eval --rules`: a JSON array of
// MerchandisingRuleInput objects, or one object per line (JSON lines).
// Errors name the rule (1-based) and the line it starts on.
func Parse(data []byte, now time.Time) ([]Rule, error) {
	text := string(data)
	lineAt := func(off int64) int { return 1 + strings.Count(text[:min(int(off), len(text))], "\n") }
	// startLine is the line of the next object at or after off.
	startLine := func(off int64) int {
		if i := strings.IndexByte(text[min(int(off), len(text)):], '{'); i >= 0 {
			off += int64(i)
		}
		return lineAt(off)
	}
	var in []RuleInput
	var lines []int // the line each rule starts on
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if strings.HasPrefix(strings.TrimSpace(text), "[") {
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("rules file: %v", err)
		}
		for dec.More() {
			var r RuleInput
			start := startLine(dec.InputOffset())
			if err := dec.Decode(&r); err != nil {
				return nil, fmt.Errorf("rules file: rule %d (line %d): %v", len(in)+1, lineAt(dec.InputOffset()), err)
			}
			in, lines = append(in, r), append(lines, start)
		}
	} else {
		for {
			var r RuleInput
			start := startLine(dec.InputOffset())
			err := dec.Decode(&r)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("rules file: rule %d (line %d): %v", len(in)+1, lineAt(dec.InputOffset()), err)
			}
			in, lines = append(in, r), append(lines, start)
		}
	}
	all, _, errs := Merge(nil, in, now)
	if len(errs) > 0 {
		var msgs []string
		for _, e := range errs {
			where := "the rule set"
			if len(e.Field) >= 2 {
				if i, err := strconv.Atoi(e.Field[1]); err == nil && i < len(lines) {
					where = fmt.Sprintf("rule %d (line %d)", i+1, lines[i])
				}
			}
			msgs = append(msgs, fmt.Sprintf("%s: %s: %s (%s)", where, strings.Join(e.Field[min(2, len(e.Field)):], "."), e.Message, e.Code))
		}
		return nil, fmt.Errorf("rules file: %s", strings.Join(msgs, "; "))
	}
	return all, nil
}

// RuleConnection and RuleEdge page through the rules (GraphQL
// MerchandisingRuleConnection).
type (
	RuleConnection = pagination.Connection[Rule]
	RuleEdge       = pagination.Edge[Rule]
)

// CursorKind is the cursor kind of rule pages.
const CursorKind = "mr"

// NewRuleConnection builds a connection over a page of rules.
func NewRuleConnection(items []Rule, hasNext, hasPrev bool, count pagination.Counter) *RuleConnection {
	return pagination.NewConnection(items, CursorKind, func(r *Rule) string { return r.ID }, hasNext, hasPrev, count)
}
