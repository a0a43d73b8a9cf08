package app

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/experiment"
	"github.com/shopmuse/shopmuse/internal/natstest"
	"github.com/shopmuse/shopmuse/merch"
	"github.com/shopmuse/shopmuse/shop"
)

// Writes two replicas make at once to state kept in one blob lose
// nothing, and the checks across that state hold for both together.

func TestReplicasUpsertRulesAtOnce(t *testing.T) { backends(t, testReplicasUpsertRulesAtOnce) }

func testReplicasUpsertRulesAtOnce(t *testing.T, st backend) {
	ctx := context.Background()
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url)}
	a := startReplica(t, st, bc, "a", nil)
	b := startReplica(t, st, bc, "b", nil)
	const writers, each = 3, 8
	hide := func(id string) merch.RuleInput {
		return merch.RuleInput{ID: &id, Action: merch.ActionHide, Condition: &merch.Condition{ProductIDs: []string{id}}}
	}
	var wg sync.WaitGroup
	for _, r := range []*replica{a, b} {
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					id := fmt.Sprintf("%s-%d-%02d", r.cfg.Replica, w, i)
					if _, errs, err := r.UpsertMerchandisingRules(ctx, []merch.RuleInput{hide(id)}); err != nil || errs != nil {
						t.Errorf("%s: %v %v", id, errs, err)
						return
					}
				}
			}()
		}
	}
	// Meanwhile b deletes rules a wrote before.
	if _, errs, err := a.UpsertMerchandisingRules(ctx, []merch.RuleInput{hide("old-1"), hide("old-2")}); err != nil || errs != nil {
		t.Fatal(errs, err)
	}
	if ids, errs, err := b.DeleteMerchandisingRules(ctx, []string{"old-1", "old-2"}); err != nil || errs != nil || len(ids) != 2 {
		t.Fatalf("delete: %v %v %v", ids, errs, err)
	}
	wg.Wait()
	want := 2 * writers * each
	for _, r := range []*replica{a, b} {
		eventually(t, 10*time.Second, r.cfg.Replica+" to hold every rule", func() bool { return r.Merch.Count() == want })
	}
	// Two PINs on one position, one per replica, at once: one is stored.
	for round := range 5 {
		pos := round + 1
		pin := func(id string) []merch.RuleInput {
			return []merch.RuleInput{{ID: &id, Action: merch.ActionPin, Position: &pos, Condition: &merch.Condition{ProductIDs: []string{id}}}}
		}
		var refused [2]bool
		var wg sync.WaitGroup
		for i, r := range []*replica{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs, err := r.UpsertMerchandisingRules(ctx, pin(fmt.Sprintf("pin-%d-%s", pos, r.cfg.Replica)))
				if err != nil {
					t.Error(err)
				}
				refused[i] = len(errs) > 0 && errs[0].Code == shop.CodeDuplicate
			}()
		}
		wg.Wait()
		if refused[0] == refused[1] {
			t.Fatalf("round %d: two PINs on position %d from two replicas at once, refused %v; want exactly one refused", round, pos, refused)
		}
	}
}

func TestReplicasCreateExperimentsAtOnce(t *testing.T) {
	backends(t, testReplicasCreateExperimentsAtOnce)
}

func testReplicasCreateExperimentsAtOnce(t *testing.T, st backend) {
	ctx := context.Background()
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url)}
	a := startReplica(t, st, bc, "a", nil)
	b := startReplica(t, st, bc, "b", nil)
	in := experiment.Input{Name: "blend", Arms: []experiment.ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1}}}
	for round := range 4 {
		var mu sync.Mutex
		var created []*experiment.Experiment
		var wg sync.WaitGroup
		for _, r := range []*replica{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e, errs, err := r.CreateExperiment(ctx, in)
				if err != nil || (errs != nil && errs[0].Code != shop.CodeDuplicate) {
					t.Errorf("create on %s: %v %+v", r.cfg.Replica, err, errs)
					return
				}
				if e != nil {
					mu.Lock()
					created = append(created, e)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(created) != 1 {
			t.Fatalf("round %d: %d experiments created on two replicas at once, want 1", round, len(created))
		}
		id := created[0].ID
		for _, r := range []*replica{a, b} {
			eventually(t, 10*time.Second, r.cfg.Replica+" to run "+id, func() bool {
				run := r.Experiments.Running()
				return run != nil && run.ID == id
			})
		}
		// The replica that did not create it stops it.
		other := a
		if r, _ := a.Experiments.Get(id); r != nil && r == created[0] {
			other = b
		}
		if _, errs, err := other.StopExperiment(ctx, id); err != nil || errs != nil {
			t.Fatal(err, errs)
		}
		for _, r := range []*replica{a, b} {
			eventually(t, 10*time.Second, r.cfg.Replica+" to see it stopped", func() bool { return r.Experiments.Running() == nil })
		}
	}
}
