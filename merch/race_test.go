package merch

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// lockstep is a store two replicas share whose next reads of the rules
// each return only once all have read: the interleaving in which two
// read-merge-writes each start from the same rule set.
type lockstep struct {
	*memStore
	mu      sync.Mutex
	waiting int
	all     *sync.WaitGroup
}

// arm makes the next n reads wait for each other.
func (s *lockstep) arm(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting = n
	s.all = &sync.WaitGroup{}
	s.all.Add(n)
}

func (s *lockstep) step() {
	s.mu.Lock()
	wg := s.all
	if s.waiting == 0 {
		s.mu.Unlock()
		return
	}
	s.waiting--
	s.mu.Unlock()
	wg.Done()
	wg.Wait()
}

func (s *lockstep) GetBlob(ctx context.Context, ns, k string) ([]byte, bool, error) {
	defer s.step()
	return s.memStore.GetBlob(ctx, ns, k)
}

func (s *lockstep) GetBlobVersion(ctx context.Context, ns, k string) ([]byte, int64, error) {
	defer s.step()
	return s.memStore.GetBlobVersion(ctx, ns, k)
}

// twoReplicas opens two services over one lockstep store.
func twoReplicas(t *testing.T) (*lockstep, *Service, *Service) {
	t.Helper()
	st := &lockstep{memStore: &memStore{}}
	clock := func() time.Time { return now }
	a, err := Open(context.Background(), st, nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), st, nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	return st, a, b
}

type result struct {
	rules []Rule
	ids   []string
	errs  []shop.UserError
	err   error
}

// both runs fa and fb at once, each from the same read of the rules.
func both(st *lockstep, fa, fb func() result) (ra, rb result) {
	st.arm(2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ra = fa() }()
	go func() { defer wg.Done(); rb = fb() }()
	wg.Wait()
	return ra, rb
}

func upsert(s *Service, in ...RuleInput) func() result {
	return func() result {
		rules, errs, err := s.Upsert(context.Background(), in)
		return result{rules: rules, errs: errs, err: err}
	}
}

func hide(id, product string) RuleInput {
	return RuleInput{ID: ptr(id), Action: ActionHide, Condition: &Condition{ProductIDs: []string{product}}}
}

func storedIDs(t *testing.T, s *Service) string {
	t.Helper()
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	rules, _ := s.List(100, "")
	var ids []string
	for _, r := range rules {
		ids = append(ids, r.ID)
	}
	return fmt.Sprint(ids)
}

// Two replicas upserting different rules from the same rule set keep both.
func TestUpsertsOnTwoReplicasAtOnceKeepBoth(t *testing.T) {
	st, a, b := twoReplicas(t)
	ra, rb := both(st, upsert(a, hide("ra", "p1")), upsert(b, hide("rb", "p2")))
	for _, r := range []result{ra, rb} {
		if r.err != nil || r.errs != nil || len(r.rules) != 1 {
			t.Fatalf("upsert: %+v", r)
		}
	}
	if got := storedIDs(t, a); got != "[ra rb]" {
		t.Fatalf("stored after two concurrent upserts: %s, want [ra rb] (an upsert was lost)", got)
	}
}

// A delete and an upsert at once on two replicas: the rule deleted stays
// deleted and the one upserted stays.
func TestDeleteAndUpsertOnTwoReplicasAtOnce(t *testing.T) {
	st, a, b := twoReplicas(t)
	if _, errs, err := a.Upsert(context.Background(), []RuleInput{hide("old", "p1"), hide("keep", "p2")}); err != nil || errs != nil {
		t.Fatal(errs, err)
	}
	del := func() result {
		ids, errs, err := a.Delete(context.Background(), []string{"old"})
		return result{ids: ids, errs: errs, err: err}
	}
	ra, rb := both(st, del, upsert(b, hide("new", "p3")))
	if ra.err != nil || ra.errs != nil || fmt.Sprint(ra.ids) != "[old]" {
		t.Fatalf("delete: %+v", ra)
	}
	if rb.err != nil || rb.errs != nil {
		t.Fatalf("upsert: %+v", rb)
	}
	if got := storedIDs(t, b); got != "[keep new]" {
		t.Fatalf("stored after a delete and an upsert at once: %s, want [keep new]", got)
	}
}

// Two PINs on one position for the same placement are refused across
// replicas too: of two upserted at once, one is stored and the other gets
// the DUPLICATE userError.
func TestPinsOnOnePositionFromTwoReplicasAtOnce(t *testing.T) {
	st, a, b := twoReplicas(t)
	pin := func(id, product string) RuleInput {
		pos := 1
		return RuleInput{ID: ptr(id), Action: ActionPin, Position: &pos, Condition: &Condition{ProductIDs: []string{product}}}
	}
	ra, rb := both(st, upsert(a, pin("pa", "p1")), upsert(b, pin("pb", "p2")))
	if ra.err != nil || rb.err != nil {
		t.Fatal(ra.err, rb.err)
	}
	refused := 0
	for _, r := range []result{ra, rb} {
		if len(r.errs) > 0 {
			refused++
			if r.errs[0].Code != shop.CodeDuplicate {
				t.Errorf("the second PIN: %+v, want DUPLICATE", r.errs)
			}
		}
	}
	if refused != 1 {
		t.Fatalf("%d of two PINs on position 1 refused, want 1: %+v %+v", refused, ra.errs, rb.errs)
	}
	if got := storedIDs(t, a); got != "[pa]" && got != "[pb]" {
		t.Fatalf("stored: %s, want one PIN", got)
	}
}

// The rule cap holds across replicas: two batches that each fit, but not
// together, are not both stored.
func TestRuleCapAcrossReplicas(t *testing.T) {
	st, a, b := twoReplicas(t)
	for k := 0; k < MaxRules-MaxBatch; k += MaxBatch {
		var in []RuleInput
		for i := k; i < k+MaxBatch; i++ {
			in = append(in, hide(fmt.Sprintf("r%05d", i), "p"))
		}
		if _, errs, err := a.Upsert(context.Background(), in); err != nil || errs != nil {
			t.Fatal(errs, err)
		}
	}
	batch := func(prefix string) []RuleInput {
		out := make([]RuleInput, MaxBatch/2+1)
		for i := range out {
			out[i] = hide(fmt.Sprintf("%s%04d", prefix, i), "p")
		}
		return out
	}
	ra, rb := both(st, upsert(a, batch("a")...), upsert(b, batch("b")...))
	if ra.err != nil || rb.err != nil {
		t.Fatal(ra.err, rb.err)
	}
	if (ra.errs == nil) == (rb.errs == nil) {
		t.Fatalf("two batches over the cap together: refused %v and %v, want exactly one refused", ra.errs != nil, rb.errs != nil)
	}
	if err := a.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.Count() > MaxRules {
		t.Fatalf("%d rules stored, over the cap of %d", a.Count(), MaxRules)
	}
}

// Many writers on two replicas over a real store lose no rule.
func TestManyUpsertsOnTwoReplicasOverBadger(t *testing.T) {
	st, err := store.Open("", store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := func() time.Time { return now }
	var reps []*Service
	for range 2 {
		s, err := Open(context.Background(), st, nil, clock)
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, s)
	}
	const writers, each = 4, 10
	var wg sync.WaitGroup
	for ri, s := range reps {
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					id := fmt.Sprintf("r%d-%d-%02d", ri, w, i)
					if _, errs, err := s.Upsert(context.Background(), []RuleInput{hide(id, id)}); err != nil || errs != nil {
						t.Errorf("%s: %v %v", id, errs, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	if err := reps[0].Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := reps[0].Count(), 2*writers*each; got != want {
		t.Fatalf("%d rules stored after %d upserts of one new rule each", got, want)
	}
}
