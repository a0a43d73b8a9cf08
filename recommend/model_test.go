package recommend

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend/synth"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/exact"
)

func TestSnapshotRoundTrip(t *testing.T) {
	s := synth.Generate(300, 200, 6000, 3)
	ctx := context.Background()
	a := synthEngine(t, s, s.Interactions, nil)
	if _, err := a.Train(ctx); err != nil {
		t.Fatal(err)
	}
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// A restarted process: same data fed again, models restored, no training.
	b := synthEngine(t, s, s.Interactions, func(c *Config) {})
	if err := b.Restore(ctx, snap); err != nil {
		t.Fatal(err)
	}
	again, err := b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(snap, again) {
		t.Error("snapshot of a restored engine differs from the original")
	}
	for _, u := range []string{"u00001", "u00042", "u00299", "nobody"} {
		ra, err := a.Recommend(ctx, Request{UserID: u, N: 10})
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Recommend(ctx, Request{UserID: u, N: 10})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(ra), ids(rb)) {
			t.Errorf("%s: original %v, restored %v", u, ids(ra), ids(rb))
		}
	}
	// MF alone must survive the trip too (not just the popularity parts).
	ma, _ := a.Ranker(RetrieverMF)
	mb, _ := b.Ranker(RetrieverMF)
	la, _ := ma(ctx, "u00007", 10, nil)
	lb, _ := mb(ctx, "u00007", 10, nil)
	if len(la) != 10 || !slices.Equal(la, lb) {
		t.Errorf("MF original %v restored %v", la, lb)
	}
	for _, bad := range [][]byte{nil, []byte("junk"), snap[:len(snap)/2], append(slices.Clone(snap), 0)} {
		if err := b.Restore(ctx, bad); err == nil {
			t.Errorf("restore of %d corrupt bytes succeeded", len(bad))
		}
	}
}

// TestMFBeatsPopularity is the quality gate: on the synthetic shop, where
// users choose by taste, MF must clearly beat the best-seller list.
func TestMFBeatsPopularity(t *testing.T) {
	s := synth.Generate(1500, 800, 40000, 11)
	sp := SplitInteractions(s.Interactions, SplitByTime, 0.2, 1)
	ctx := context.Background()
	eval := func(e *Engine, name string) Metrics {
		r, err := e.Ranker(name)
		if err != nil {
			t.Fatal(err)
		}
		maxUsers := 0
		if raceEnabled { // 15x slower: a sample keeps -race runs quick
			maxUsers = 300
		}
		m, err := Evaluate(ctx, r, sp, 10, len(s.Products), maxUsers)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-10s %s", name, m)
		return m
	}
	var pop Metrics
	for _, algo := range []string{AlgoEALS, AlgoBPR} {
		e := synthEngine(t, s, sp.Train, func(c *Config) { c.MF.Algorithm = algo })
		if _, err := e.Train(ctx); err != nil {
			t.Fatal(err)
		}
		if algo == AlgoEALS {
			pop = eval(e, "popularity")
		}
		mf := eval(e, RetrieverMF)
		if mf.NDCG < 2*pop.NDCG || mf.NDCG-pop.NDCG < 0.04 || mf.Recall < 1.5*pop.Recall {
			t.Errorf("%s: NDCG@10 %.4f / Recall@10 %.4f vs popularity %.4f / %.4f: not a clear win",
				algo, mf.NDCG, mf.Recall, pop.NDCG, pop.Recall)
		}
	}
}

func TestEvaluateMetrics(t *testing.T) {
	sp := Split{
		Test:       map[string]map[string]bool{"u": {"a": true, "b": true}, "v": {"c": true}},
		TrainItems: map[string]map[string]bool{"u": {"x": true}, "v": {}},
	}
	perfect := func(_ context.Context, u string, k int, ex map[string]bool) ([]string, error) {
		if ex["x"] != (u == "u") {
			return nil, fmt.Errorf("exclusions not passed")
		}
		if u == "u" {
			return []string{"a", "b", "z"}, nil
		}
		return []string{"z", "c"}, nil
	}
	m, err := Evaluate(context.Background(), perfect, sp, 2, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	// u: both at ranks 1,2 → recall 1, NDCG 1, AP 1. v: c at rank 2 →
	// recall 1, NDCG 1/log2(3) = 0.6309, AP 0.5. Coverage: a b z c of 10
	// (z, the third of u's list, is beyond k=2 and does not count twice).
	if m.Users != 2 || !approx(m.Recall, 1, 1e-9) || !approx(m.NDCG, (1+0.6309297535714575)/2, 1e-9) ||
		!approx(m.HitRate, 1, 1e-9) || !approx(m.MAP, 0.75, 1e-9) || !approx(m.Coverage, 0.4, 1e-9) {
		t.Errorf("metrics %+v", m)
	}
}

func TestSplit(t *testing.T) {
	var its []shop.Interaction
	for i := 0; i < 10; i++ {
		its = append(its, shop.Interaction{UserID: "u", ProductID: fmt.Sprintf("p%d", i), Kind: shop.KindView,
			OccurredAt: t0.Add(time.Duration(10-i) * time.Hour)}) // p0 is the newest
	}
	its = append(its, shop.Interaction{UserID: "solo", ProductID: "p0", Kind: shop.KindView, OccurredAt: t0})
	sp := SplitInteractions(its, SplitByTime, 0.2, 1)
	if len(sp.Train) != 9 || len(sp.Test["u"]) != 2 || !sp.Test["u"]["p0"] || !sp.Test["u"]["p1"] || sp.Test["solo"] != nil {
		t.Errorf("time split: train %d test %v", len(sp.Train), sp.Test)
	}
	rs := SplitInteractions(its, SplitRandom, 0.2, 1)
	if len(rs.Train) != 9 || len(rs.Test["u"]) != 2 {
		t.Errorf("random split: train %d test %v", len(rs.Train), rs.Test)
	}
}

// TestConcurrentServeIngestTrain runs Recommend, Related, AddInteractions,
// DeleteUser, Snapshot and Train at once; run it with -race.
func TestConcurrentServeIngestTrain(t *testing.T) {
	s := synth.Generate(300, 200, 6000, 5)
	e := synthEngine(t, s, s.Interactions[:3000], func(c *Config) { c.MF.Epochs = 3 })
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 16)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				u := s.Users[r.IntN(len(s.Users))].ID
				if _, err := e.Recommend(ctx, Request{UserID: u, N: 20}); err != nil {
					errs <- err
					return
				}
				if _, err := e.Related(ctx, RelatedRequest{ItemID: s.Products[r.IntN(len(s.Products))].ID, N: 5}); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 3000; i < len(s.Interactions); i += 50 {
			if err := e.AddInteractions(s.Interactions[i:min(i+50, len(s.Interactions))]); err != nil {
				errs <- err
				return
			}
			if i%1000 == 0 {
				e.DeleteUser(s.Interactions[i].UserID)
				_, _ = e.Snapshot()
			}
		}
	}()
	for i := 0; i < 3; i++ {
		if _, err := e.Train(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestMFThroughIndexMatchesExact checks the MIPS→cosine augmentation: an
// exact cosine index over the augmented item vectors must rank exactly as
// the inner product does.
func TestMFThroughIndexMatchesExact(t *testing.T) {
	s := synth.Generate(400, 300, 8000, 9)
	ctx := context.Background()
	var made []*exact.Index
	e := synthEngine(t, s, s.Interactions, nil)
	e.deps.NewIndex = func(dim int) (vector.Index, error) {
		f := exact.New(dim)
		made = append(made, f)
		return f, nil
	}
	if _, err := e.Train(ctx); err != nil {
		t.Fatal(err)
	}
	if len(made) != 1 || made[0].Dim() != e.cfg.MF.Factors+1 {
		t.Fatalf("MF index not built: %d indexes", len(made))
	}
	if n, _ := made[0].Count(ctx); n != len(s.Products) {
		t.Errorf("MF index holds %d of %d items", n, len(s.Products))
	}
	exact, _ := e.Ranker(RetrieverMF)
	for _, u := range []string{"u00003", "u00100", "u00399"} {
		q, err := e.query(&Request{UserID: u, N: 10})
		if err != nil {
			t.Fatal(err)
		}
		viaIndex := mfRetriever{e}.Retrieve(ctx, q)
		want, _ := exact(ctx, u, 10, nil)
		got := make([]string, 0, 10)
		for _, c := range viaIndex[:min(10, len(viaIndex))] {
			got = append(got, c.ItemID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: via index %v, exact %v", u, got, want)
		}
		// Scores come back as inner products, not cosines.
		p := e.models.Load().mf.userVector(u, q.user)
		m := e.models.Load().mf
		if ip := float64(vector.Dot(p, m.item(m.itemIdx[viaIndex[0].ItemID]))); !approx(ip, viaIndex[0].Score, 1e-3) {
			t.Errorf("%s: score %v, inner product %v", u, viaIndex[0].Score, ip)
		}
	}
	// Restore rebuilds the index.
	snap, err := e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Restore(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if len(made) != 2 {
		t.Errorf("restore built %d indexes, want a second one", len(made)-1)
	}
}

// TestScaledRegularisation: frequency-scaled regularisation must stay finite
// for catalogue items nobody touched (with Omega > 0 they have no weight at
// all, which once made their solution 0/0), and the default Reg must serve
// a small and a five-times-larger shop without collapsing either towards
// popularity (a fixed penalty has a cliff: 10 helped the 3k-user eval shop,
// 20 collapsed it to popularity's NDCG).
func TestScaledRegularisation(t *testing.T) {
	ctx := context.Background()
	for _, size := range []struct{ users, items, events int }{{600, 400, 15000}, {3000, 2000, 75000}} {
		s := synth.Generate(size.users, size.items, size.events, 5)
		// Extra products with no events at all.
		for i := range 20 {
			p := s.Products[0]
			p.ID = fmt.Sprintf("untouched%02d", i)
			s.Products = append(s.Products, p)
			s.Embeddings = append(s.Embeddings, s.Embeddings[0])
		}
		sp := SplitInteractions(s.Interactions, SplitByTime, 0.2, 1)
		e := synthEngine(t, s, sp.Train, nil)
		if _, err := e.Train(ctx); err != nil {
			t.Fatal(err)
		}
		m := e.models.Load().mf
		if m.regNu != DefaultConfig().MF.RegExponent || m.reg != DefaultEALSReg {
			t.Fatalf("model trained with reg %v nu %v, want the defaults", m.reg, m.regNu)
		}
		for i, v := range m.q {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%d users: item factor %d is %v", size.users, i, v)
			}
		}
		r, _ := e.Ranker(RetrieverMF)
		mf, err := Evaluate(ctx, r, sp, 10, len(s.Products), 500)
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := e.Ranker("popularity")
		pop, err := Evaluate(ctx, pr, sp, 10, len(s.Products), 500)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d users: mf %s / popularity %s", size.users, mf, pop)
		if mf.NDCG < 2*pop.NDCG || mf.Coverage < 5*pop.Coverage {
			t.Errorf("%d users: MF NDCG %.4f coverage %.3f vs popularity %.4f / %.3f: collapsed towards popularity",
				size.users, mf.NDCG, mf.Coverage, pop.NDCG, pop.Coverage)
		}
	}
}
