package experiment

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// Two managers over one store are two replicas whose bus has not yet
// delivered each other's changes (Reload).

func runningStored(t *testing.T, st store.Store) []string {
	t.Helper()
	blobs, _, err := st.ListBlobs(context.Background(), Namespace, keyExperiment, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range blobs {
		if bytes.Contains(b.Value, []byte(`"status":"RUNNING"`)) {
			out = append(out, b.Key)
		}
	}
	return out
}

// A replica that has not heard of the experiment another created is
// refused all the same: the store, not its memory, decides.
func TestCreateOnAReplicaThatHasNotReloadedIsRefused(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	a, b := openManager(t, st), openManager(t, st)
	x, errs, err := a.Create(ctx, twoArms())
	if err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	_, errs, err = b.Create(ctx, twoArms())
	if err != nil || len(errs) != 1 || errs[0].Code != shop.CodeDuplicate {
		t.Fatalf("a second experiment on another replica: %v %+v, want DUPLICATE", err, errs)
	}
	if got := runningStored(t, st); len(got) != 1 {
		t.Fatalf("running in the store: %v", got)
	}
	// b stops what a created, though it has not loaded it, and may then
	// create; a, still thinking x runs, is refused because b's runs.
	if _, errs, err := b.Stop(ctx, x.ID); err != nil || errs != nil {
		t.Fatalf("stopping another replica's new experiment: %v %+v", err, errs)
	}
	y, errs, err := b.Create(ctx, twoArms())
	if err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if y.ID <= x.ID {
		t.Fatalf("IDs across replicas do not sort by creation: %s after %s", y.ID, x.ID)
	}
	if _, errs, _ := a.Create(ctx, twoArms()); len(errs) != 1 || errs[0].Code != shop.CodeDuplicate {
		t.Fatalf("a third experiment: %+v, want DUPLICATE", errs)
	}
	if got := runningStored(t, st); len(got) != 1 || got[0] != keyExperiment+y.ID {
		t.Fatalf("running in the store: %v, want only %s", got, y.ID)
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if r := a.Running(); r == nil || r.ID != y.ID {
		t.Fatalf("a runs %+v after Reload, want %s", r, y.ID)
	}
}

// Replicas creating at once: exactly one experiment runs, the others get
// DUPLICATE; and a Stop racing a Create never leaves two running.
func TestCreatesOnManyReplicasAtOnceRunOne(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	const replicas = 4
	var ms []*Manager
	for range replicas {
		ms = append(ms, openManager(t, st))
	}
	var current string
	for round := range 5 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var created []string
		dups := 0
		start := make(chan struct{})
		for _, m := range ms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if current != "" && m == ms[0] {
					// One replica stops the running experiment while
					// the others create.
					if _, errs, err := m.Stop(ctx, current); err != nil || errs != nil {
						t.Errorf("stop: %v %+v", err, errs)
					}
					return
				}
				e, errs, err := m.Create(ctx, twoArms())
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Error(err)
				case errs == nil:
					created = append(created, e.ID)
				case errs[0].Code == shop.CodeDuplicate:
					dups++
				default:
					t.Errorf("create: %+v", errs)
				}
			}()
		}
		close(start)
		wg.Wait()
		running := runningStored(t, st)
		if len(running) > 1 || len(created) > 1 {
			t.Fatalf("round %d: created %v (%d refused); running in the store: %v, want at most one", round, created, dups, running)
		}
		if current == "" && (len(created) != 1 || len(running) != 1) {
			t.Fatalf("round %d, nothing running before: created %v (%d refused), running %v; want one", round, created, dups, running)
		}
		current = ""
		if len(running) == 1 {
			current = running[0][len(keyExperiment):]
		}
	}
}

// Replicas starting at once on a new store agree on one signing secret,
// so that a recommendation ID one signs the other accepts.
func TestReplicasStartingAtOnceShareTheSigningSecret(t *testing.T) {
	st := &lockstepStore{Store: openStore(t), key: keySecret}
	st.arm(2)
	var ms [2]*Manager
	var wg sync.WaitGroup
	for i := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := Open(context.Background(), st, Options{})
			if err != nil {
				t.Error(err)
				return
			}
			ms[i] = m
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if !bytes.Equal(ms[0].secret, ms[1].secret) {
		t.Fatal("two replicas started at once sign with different secrets")
	}
	stored, _, _ := st.GetBlob(context.Background(), Namespace, keySecret)
	if !bytes.Equal(stored, ms[0].secret) {
		t.Fatal("the replicas sign with a secret the store does not hold")
	}
}

// lockstepStore makes the next n reads of one blob return only once all
// n have read: the interleaving in which each replica finds it missing.
type lockstepStore struct {
	store.Store
	key     string
	mu      sync.Mutex
	waiting int
	all     *sync.WaitGroup
}

func (s *lockstepStore) arm(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting, s.all = n, &sync.WaitGroup{}
	s.all.Add(n)
}

func (s *lockstepStore) step(k string) {
	if k != s.key {
		return
	}
	s.mu.Lock()
	if s.waiting == 0 {
		s.mu.Unlock()
		return
	}
	s.waiting--
	wg := s.all
	s.mu.Unlock()
	wg.Done()
	wg.Wait()
}

func (s *lockstepStore) GetBlob(ctx context.Context, ns, k string) ([]byte, bool, error) {
	defer s.step(k)
	return s.Store.GetBlob(ctx, ns, k)
}

func (s *lockstepStore) GetBlobVersion(ctx context.Context, ns, k string) ([]byte, int64, error) {
	defer s.step(k)
	return s.Store.GetBlobVersion(ctx, ns, k)
}

// The cap on stored experiments holds on a replica whose bus lags: it
// catches up before counting.
func TestExperimentCapOnAReplicaThatHasNotReloaded(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open("", store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, b := openManager(t, st), openManager(t, st)
	for i := range MaxExperiments {
		e, errs, err := a.Create(ctx, twoArms())
		if err != nil || errs != nil {
			t.Fatal(i, err, errs)
		}
		if _, errs, err := a.Stop(ctx, e.ID); err != nil || errs != nil {
			t.Fatal(i, err, errs)
		}
	}
	_, errs, err := b.Create(ctx, twoArms())
	if err != nil || len(errs) != 1 || errs[0].Code != shop.CodeTooLarge {
		t.Fatalf("experiment %d on a replica that had not reloaded: %v %+v, want TOO_LARGE", MaxExperiments+1, err, errs)
	}
}

// parkedList parks the next listing of the experiments until released.
type parkedList struct {
	store.Store
	mu      sync.Mutex
	armed   bool
	reached chan struct{}
	release chan struct{}
}

func (s *parkedList) ListBlobs(ctx context.Context, ns, prefix, after string, first int) ([]store.Blob, bool, error) {
	s.mu.Lock()
	park := s.armed && prefix == keyExperiment
	s.armed = s.armed && !park
	s.mu.Unlock()
	if park {
		// Read first, then wait: the listing is of the store before
		// whatever happens while parked.
		blobs, more, err := s.Store.ListBlobs(ctx, ns, prefix, after, first)
		close(s.reached)
		<-s.release
		return blobs, more, err
	}
	return s.Store.ListBlobs(ctx, ns, prefix, after, first)
}

// A Reload the bus runs while this replica creates an experiment (it
// read the store before the create) does not install its older list over
// the create: the experiment created here stays known and running here
// (it was gone until the bus delivered the create's own change, and a
// stop likewise came back as running).
func TestReloadDuringACreateDoesNotUndoIt(t *testing.T) {
	ctx := context.Background()
	st := &parkedList{Store: openStore(t), reached: make(chan struct{}), release: make(chan struct{})}
	m := openManager(t, st)
	st.mu.Lock()
	st.armed = true
	st.mu.Unlock()
	reloaded := make(chan error, 1)
	go func() { reloaded <- m.Reload(ctx) }()
	<-st.reached
	type created struct {
		e    *Experiment
		errs []shop.UserError
		err  error
	}
	done := make(chan created, 1)
	go func() {
		e, errs, err := m.Create(ctx, twoArms())
		done <- created{e, errs, err}
	}()
	var c created
	got := false
	select {
	case c = <-done: // the create did not wait for the reload
		got = true
	case <-time.After(300 * time.Millisecond): // it waits for the reload
	}
	close(st.release)
	if err := <-reloaded; err != nil {
		t.Fatal(err)
	}
	if !got {
		c = <-done
	}
	if c.err != nil || c.errs != nil {
		t.Fatal(c.err, c.errs)
	}
	if _, ok := m.Get(c.e.ID); !ok {
		t.Fatalf("the experiment %s created here is unknown here after a reload that ran beside it", c.e.ID)
	}
	if r := m.Running(); r == nil || r.ID != c.e.ID {
		t.Fatalf("running here: %+v, want %s", r, c.e.ID)
	}
}

// barrierStore returns each read of an outcome's d/ marker only once n readers
// have read it (or a second has passed), so that every replica checks
// before any counts: the interleaving that made a check-then-add count
// one click n times.
type barrierStore struct {
	store.Store
	n       int
	mu      sync.Mutex
	arrived int
	all     chan struct{}
}

func (s *barrierStore) Counters(ctx context.Context, ns, prefix string) (map[string]int64, error) {
	got, err := s.Store.Counters(ctx, ns, prefix)
	if strings.HasPrefix(prefix, "d/") {
		s.mu.Lock()
		s.arrived++
		if s.arrived == s.n {
			close(s.all)
		}
		s.mu.Unlock()
		select {
		case <-s.all:
		case <-time.After(time.Second):
		}
	}
	return got, err
}

// One recommendation ID's click, handled at once by several replicas (a
// client retrying on another one, a replay), counts once.
func TestAnOutcomeOnManyReplicasAtOnceCountsOnce(t *testing.T) {
	ctx := context.Background()
	const replicas = 4
	st := &barrierStore{Store: openStore(t), n: replicas, all: make(chan struct{})}
	var ms []*Manager
	for range replicas {
		ms = append(ms, openManager(t, st))
	}
	e, errs, err := ms[0].Create(ctx, twoArms())
	if err != nil || errs != nil {
		t.Fatalf("create: %v %+v", err, errs)
	}
	for _, m := range ms[1:] {
		if err := m.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	l, err := ms[0].NewList("alice", e, 1)
	if err != nil {
		t.Fatal(err)
	}
	id := l.ID(0, "p1")
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := m.Verify(id, "alice", "p1")
			if err != nil {
				t.Error(err)
				return
			}
			if err := m.Outcome(ctx, c, "alice", shop.KindPurchase, 1999); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	rep, err := ms[0].Report(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if a := rep.Arms[1]; a.Purchases != 1 || a.Revenue != 1999 {
		t.Fatalf("one purchase handled by %d replicas at once counted %d times, revenue %v; want once, 19.99", replicas, a.Purchases, a.Revenue)
	}
}

// Outcomes no longer wait for an erasure in this process (the store
// counts each once): a shopper's clicks while another shopper is erased
// all count, none fails (Badger refused every write during an erasure's
// prefix delete), and the erased shopper's records are gone.
func TestOutcomesDuringAnErasureCount(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	m := openManager(t, st)
	e, errs, err := m.Create(ctx, twoArms())
	if err != nil || errs != nil {
		t.Fatalf("create: %v %+v", err, errs)
	}
	const clicks = 30
	l, err := m.NewList("bob", e, 0)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range clicks {
			p := "p" + strings.Repeat("x", i)
			c, err := m.Verify(l.ID(0, p), "bob", p)
			if err != nil {
				t.Error(err)
				return
			}
			if err := m.Outcome(ctx, c, "bob", shop.KindClick, 0); err != nil {
				t.Errorf("click %d during an erasure: %v", i, err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range clicks {
			if err := m.EraseUser(ctx, "alice"); err != nil {
				t.Errorf("erasure: %v", err)
			}
		}
	}()
	wg.Wait()
	rep, err := m.Report(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Arms[0].Clicks; got != clicks {
		t.Fatalf("%d of %d clicks counted", got, clicks)
	}
}

// Many shoppers' clicks on one arm at once all count. Outcomes no longer
// take turns in this process (the store counts each once), so on Badger
// they collide on the arm's counter; a fifth of them failed with its
// former 16 quick retries.
func TestManyOutcomesOnOneArmAtOnceAllCount(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	m := openManager(t, st)
	e, errs, err := m.Create(ctx, twoArms())
	if err != nil || errs != nil {
		t.Fatalf("create: %v %+v", err, errs)
	}
	const n = 64
	claims := make([]Claim, n)
	for i := range n {
		u := "u" + strings.Repeat("x", i)
		l, err := m.NewList(u, e, 0)
		if err != nil {
			t.Fatal(err)
		}
		if claims[i], err = m.Verify(l.ID(0, "p1"), u, "p1"); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := m.Outcome(ctx, claims[i], "u"+strings.Repeat("x", i), shop.KindClick, 0); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	rep, err := m.Report(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Arms[0].Clicks; got != n {
		t.Fatalf("%d of %d clicks at once counted", got, n)
	}
}
