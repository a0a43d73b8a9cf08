package review

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// racing is a store two replicas share. The next n reads of one key each
// return only once all n have read, so each replica starts from the same
// state; and a write holding wait's text waits until a write holding
// first's text returned, so the writes land in that order.
type racing struct {
	store.Store
	mu          sync.Mutex
	key         string
	waiting     int
	all         *sync.WaitGroup
	first, wait []byte
	firstDone   chan struct{}
	holdKey     string
	reached     chan struct{}
	release     chan struct{}
}

func newRacing(st store.Store) *racing { return &racing{Store: st} }

func (s *racing) arm(key string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key, s.waiting, s.all = key, n, &sync.WaitGroup{}
	s.all.Add(n)
}

// order makes writes holding wait land after one holding first.
func (s *racing) order(first, wait string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.first, s.wait, s.firstDone = []byte(first), []byte(wait), make(chan struct{})
}

func (s *racing) step(k string) {
	s.mu.Lock()
	if k != s.key || s.waiting == 0 {
		s.mu.Unlock()
		return
	}
	s.waiting--
	wg := s.all
	s.mu.Unlock()
	wg.Done()
	wg.Wait()
}

func (s *racing) write(blobs []store.Blob, put func() error) error {
	s.mu.Lock()
	first, wait, done := s.first, s.wait, s.firstDone
	s.mu.Unlock()
	has := func(text []byte) bool {
		for _, b := range blobs {
			if len(text) > 0 && bytes.Contains(b.Value, text) {
				return true
			}
		}
		return false
	}
	if done != nil && has(wait) && !has(first) {
		<-done
	}
	err := put()
	if done != nil && has(first) {
		s.mu.Lock()
		if s.firstDone == done {
			close(done)
			s.firstDone = nil
		}
		s.mu.Unlock()
	}
	return err
}

func (s *racing) GetBlob(ctx context.Context, ns, k string) ([]byte, bool, error) {
	defer s.step(k)
	defer s.held(k)
	return s.Store.GetBlob(ctx, ns, k)
}

// hold makes the next read of k, once done, signal reached and wait for
// release.
func (s *racing) hold(k string) (reached chan struct{}, release chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdKey, s.reached, s.release = k, make(chan struct{}), make(chan struct{})
	return s.reached, s.release
}

func (s *racing) held(k string) {
	s.mu.Lock()
	if k != s.holdKey || s.reached == nil {
		s.mu.Unlock()
		return
	}
	reached, release := s.reached, s.release
	s.reached = nil
	s.mu.Unlock()
	close(reached)
	<-release
}

func (s *racing) GetBlobVersion(ctx context.Context, ns, k string) ([]byte, int64, error) {
	defer s.step(k)
	return s.Store.GetBlobVersion(ctx, ns, k)
}

func (s *racing) PutBlobs(ctx context.Context, ns string, blobs []store.Blob) error {
	return s.write(blobs, func() error { return s.Store.PutBlobs(ctx, ns, blobs) })
}

func (s *racing) PutBlobIf(ctx context.Context, ns, k string, v []byte, version int64, with ...store.Blob) (bool, error) {
	var ok bool
	err := s.write(append([]store.Blob{{Key: k, Value: v}}, with...), func() error {
		var err error
		ok, err = s.Store.PutBlobIf(ctx, ns, k, v, version, with...)
		return err
	})
	return ok, err
}

// Two admins on two replicas decide on two facts of one product at once:
// both decisions stay.
func TestFactDecisionsOnTwoReplicasAtOnce(t *testing.T) {
	ctx := context.Background()
	st := newRacing(openStore(t))
	a, b := New(st, Options{}), New(st, Options{})
	added, err := a.AddCandidates(ctx, "mug", []Fact{{Name: "colour", Value: "深蓝色"}, {Name: "material", Value: "不锈钢"}})
	if err != nil || len(added) != 2 {
		t.Fatal(added, err)
	}
	st.arm("mug", 2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if _, ues, err := a.DecideFacts(ctx, "alice", "mug", []string{added[0].ID}, copywriter.StatusApproved); err != nil || ues != nil {
			t.Error(ues, err)
		}
	}()
	go func() {
		defer wg.Done()
		if _, ues, err := b.DecideFacts(ctx, "bob", "mug", []string{added[1].ID}, copywriter.StatusRejected); err != nil || ues != nil {
			t.Error(ues, err)
		}
	}()
	wg.Wait()
	fs, err := a.Facts(ctx, "mug", "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]copywriter.Status{}
	for _, f := range fs {
		got[f.ID] = f.Status
	}
	if got[added[0].ID] != copywriter.StatusApproved || got[added[1].ID] != copywriter.StatusRejected {
		t.Fatalf("after an approval and a rejection at once: %v, want both", got)
	}
}

// An edit on one replica and an approval on another, both from the same
// read of the record, the approval written last: the edited words are
// not lost (overwritten by an approval of the words before them).
func TestEditAndApprovalOnTwoReplicasAtOnce(t *testing.T) {
	ctx := context.Background()
	st := newRacing(openStore(t))
	a, b := New(st, Options{On: true}), New(st, Options{On: true})
	res := result(t, 1)
	if err := a.Register(ctx, &res, mug); err != nil {
		t.Fatal(err)
	}
	id := res.Variants[0].ID
	edited := "保温杯500毫升，通勤路上随手带，热水一直暖暖的。"
	st.arm(recordKey(id), 2)
	st.order(`"action":"edit"`, `"action":"approve"`)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if _, ues, err := a.Edit(ctx, "bob", id, nil, nil, edited, checker); err != nil || len(ues) != 0 {
			t.Error("edit", ues, err)
		}
	}()
	go func() {
		defer wg.Done()
		if _, ues, err := b.Approve(ctx, "alice", []string{id}, nil); err != nil || len(ues) != 0 {
			t.Error("approve", ues, err)
		}
	}()
	wg.Wait()
	r, err := a.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != edited || !r.Edited {
		t.Fatalf("after an edit and an approval at once the record holds %q (edited %v), want the edit", r.Text, r.Edited)
	}
	log, _, err := a.Audit(ctx, id, 10, "")
	if err != nil || len(log) != 2 {
		t.Fatalf("audit: %d entries (%v), want 2", len(log), err)
	}
	if log[0].Action != "approve" || log[0].Before == nil || log[0].Before.Text != edited {
		t.Fatalf("the approval's audit entry does not start from the edit: %+v", log[0])
	}
}

// The same race, the approval carrying the revision its reviewer read: the
// words changed under it on another replica, so it is a CONFLICT and the
// edited words stay pending (the turn through the guard blob makes the
// revision check exact across replicas, not only within one).
func TestApprovalOfWordsEditedOnAnotherReplicaIsAConflict(t *testing.T) {
	ctx := context.Background()
	st := newRacing(openStore(t))
	a, b := New(st, Options{On: true}), New(st, Options{On: true})
	res := result(t, 1)
	if err := a.Register(ctx, &res, mug); err != nil {
		t.Fatal(err)
	}
	id := res.Variants[0].ID
	read, err := b.Get(ctx, id)
	if err != nil || read == nil {
		t.Fatal(read, err)
	}
	seen := read.Revision()
	edited := "保温杯500毫升，通勤路上随手带，热水一直暖暖的。"
	st.arm(recordKey(id), 2)
	st.order(`"action":"edit"`, `"action":"approve"`)
	var wg sync.WaitGroup
	wg.Add(2)
	var approveErrs []shop.UserError
	go func() {
		defer wg.Done()
		if _, ues, err := a.Edit(ctx, "bob", id, nil, nil, edited, checker); err != nil || len(ues) != 0 {
			t.Error("edit", ues, err)
		}
	}()
	go func() {
		defer wg.Done()
		var err error
		if _, approveErrs, err = b.Approve(ctx, "alice", []string{id}, []string{seen}); err != nil {
			t.Error("approve", err)
		}
	}()
	wg.Wait()
	if len(approveErrs) != 1 || approveErrs[0].Code != shop.CodeConflict {
		t.Fatalf("approving words edited meanwhile on another replica: %+v, want CONFLICT", approveErrs)
	}
	r, err := a.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != edited || r.Status != copywriter.StatusPending {
		t.Fatalf("the record holds %q (%s), want the edit, still pending", r.Text, r.Status)
	}
}

// A replica that found no record registers the variant only after
// another registered it and an admin approved it: the approval stays.
func TestRegisteringKeepsADecisionMadeMeanwhile(t *testing.T) {
	ctx := context.Background()
	st := newRacing(openStore(t))
	a, b := New(st, Options{On: true}), New(st, Options{On: true})
	res := result(t, 1)
	id := res.Variants[0].ID
	reached, release := st.hold(recordKey(id))
	done := make(chan error)
	go func() {
		slow := result(t, 1)
		done <- b.Register(ctx, &slow, mug)
	}()
	<-reached // b found no record
	if err := a.Register(ctx, &res, mug); err != nil {
		t.Fatal(err)
	}
	if _, ues, err := a.Approve(ctx, "alice", []string{id}, nil); err != nil || len(ues) != 0 {
		t.Fatal(ues, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r, _ := a.Get(ctx, id); r == nil || r.Status != copywriter.StatusApproved {
		t.Fatalf("after a late registration: %+v, want the approval kept", r)
	}
}

// An approval on one replica from a record read before the shopper it was
// written for was erased on another: the erased words do not come back,
// neither in the record nor in the audit log.
func TestDecisionRacingAnErasureDoesNotBringTheWordsBack(t *testing.T) {
	ctx := context.Background()
	st := newRacing(openStore(t))
	a, b := New(st, Options{On: true}), New(st, Options{On: true})
	res := result(t, 1)
	if err := a.Register(store.WithSubject(ctx, "u1"), &res, mug); err != nil {
		t.Fatal(err)
	}
	id := res.Variants[0].ID
	words := res.Variants[0].Text
	if r, _ := a.Get(ctx, id); r == nil || r.Subject != "u1" {
		t.Fatalf("registered %+v, want subject u1", r)
	}
	reached, release := st.hold(recordKey(id))
	done := make(chan error)
	go func() {
		_, _, err := a.Approve(ctx, "alice", []string{id}, nil)
		done <- err
	}()
	<-reached // a read the record
	if err := b.EraseUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r, err := a.Get(ctx, id); err != nil || r != nil {
		t.Fatalf("after the erasure and a racing approval the record is %+v (%v), want none", r, err)
	}
	log, _, err := a.Audit(ctx, "", 100, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range log {
		for _, sn := range []*Snapshot{d.Before, d.After} {
			if sn != nil && sn.Text == words {
				t.Fatalf("the audit log holds the erased words: %+v", d)
			}
		}
	}
}

// failingDelete is a store whose next DeleteBlob of one key fails.
type failingDelete struct {
	store.Store
	key string
}

func (s *failingDelete) DeleteBlob(ctx context.Context, ns, k string) error {
	if k == s.key {
		s.key = ""
		return errors.New("the connection broke")
	}
	return s.Store.DeleteBlob(ctx, ns, k)
}

// An erasure that stopped after a record's tombstone (an error, or its
// replica died) and is run again deletes the tombstone: left, it kept the
// variant from ever being registered again (the tombstone is a blob, so
// registering-if-absent failed, and it reads as no record), so the same
// words written later for another shopper never reached the queue.
func TestErasureRunAgainRemovesTheTombstoneItLeft(t *testing.T) {
	ctx := context.Background()
	res := result(t, 1)
	id := res.Variants[0].ID
	st := &failingDelete{Store: openStore(t), key: recordKey(id)}
	s := New(st, Options{On: true})
	if err := s.Register(store.WithSubject(ctx, "u1"), &res, mug); err != nil {
		t.Fatal(err)
	}
	if err := s.EraseUser(ctx, "u1"); err == nil {
		t.Fatal("an erasure whose delete failed succeeded")
	}
	if err := s.EraseUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.GetBlob(ctx, Namespace, recordKey(id)); err != nil || ok {
		t.Fatalf("after the erasure ran again the record's blob is still there (%v)", err)
	}
	again := result(t, 1)
	if err := s.Register(store.WithSubject(ctx, "u2"), &again, mug); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Get(ctx, id); err != nil || r == nil || r.Subject != "u2" {
		t.Fatalf("the same words registered for another shopper after the erasure: %+v (%v)", r, err)
	}
}
