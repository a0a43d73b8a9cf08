package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/gorse-io/gorse/common/floats"
	"github.com/gorse-io/gorse/dataset"
	gmodel "github.com/gorse-io/gorse/model"
	"github.com/gorse-io/gorse/model/cf"
	"github.com/gorse-io/gorse/storage/data"
)

// GorseVersion is the gorse module version this benchmark is pinned to (go.mod).
const GorseVersion = "v0.5.11"

// GorseDataset builds a gorse dataset.Dataset whose user and item indices
// equal ours: every user and every catalogue item is added in our order,
// then the distinct train pairs as implicit positive feedback.
func GorseDataset(d *Data) *dataset.Dataset {
	ds := dataset.NewDataset(time.Now(), len(d.Users), len(d.Items))
	for _, u := range d.Users {
		ds.AddUser(data.User{UserId: u})
	}
	for _, i := range d.Items {
		ds.AddItem(data.Item{ItemId: i})
	}
	for u, items := range d.Train {
		for _, i := range items {
			ds.AddFeedback(d.Users[u], d.Items[i], time.Time{})
		}
	}
	return ds
}

// emptyValidation is passed to Fit as the validation set: gorse evaluates it
// (sampled-candidate NDCG) only at epoch 0 and the last epoch, which then
// costs nothing; we evaluate with full ranking ourselves.
func emptyValidation() *dataset.Dataset { return dataset.NewDataset(time.Now(), 0, 0) }

// Config is one hyper-parameter setting of a gorse model.
type Config struct {
	Model      string  `json:"model"` // "bpr" or "als"
	Factors    int     `json:"factors"`
	Epochs     int     `json:"epochs"`
	Lr         float64 `json:"lr,omitempty"` // BPR only
	Reg        float64 `json:"reg"`
	Alpha      float64 `json:"alpha,omitempty"` // ALS only: weight of missing entries
	InitStdDev float64 `json:"init_std"`
	Seed       int64   `json:"seed"`
}

func (c Config) String() string {
	if c.Model == "bpr" {
		return fmt.Sprintf("bpr(factors=%d epochs=%d lr=%g reg=%g init_std=%g)", c.Factors, c.Epochs, c.Lr, c.Reg, c.InitStdDev)
	}
	return fmt.Sprintf("als(factors=%d epochs=%d reg=%g alpha=%g init_std=%g)", c.Factors, c.Epochs, c.Reg, c.Alpha, c.InitStdDev)
}

func (c Config) params() gmodel.Params {
	p := gmodel.Params{
		gmodel.NFactors:    c.Factors,
		gmodel.NEpochs:     c.Epochs,
		gmodel.Reg:         float32(c.Reg),
		gmodel.InitMean:    float32(0),
		gmodel.InitStdDev:  float32(c.InitStdDev),
		gmodel.RandomState: c.Seed,
	}
	if c.Model == "bpr" {
		p[gmodel.Lr] = float32(c.Lr)
	} else {
		p[gmodel.Alpha] = float32(c.Alpha)
	}
	return p
}

// Fit trains a gorse BPR or ALS model on d.Train with jobs goroutines and
// returns it with the wall-clock training time.
func Fit(ctx context.Context, d *Data, c Config, jobs int) (cf.MatrixFactorization, time.Duration, error) {
	ds := GorseDataset(d)
	var m cf.MatrixFactorization
	switch c.Model {
	case "bpr":
		m = cf.NewBPR(c.params())
	case "als":
		m = cf.NewALS(c.params())
	default:
		return nil, 0, fmt.Errorf("unknown gorse model %q", c.Model)
	}
	cfg := cf.NewFitConfig().SetJobs(jobs).SetVerbose(max(c.Epochs, 1))
	start := time.Now()
	m.Fit(ctx, ds, emptyValidation(), cfg)
	el := time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, el, err
	}
	// Sanity: gorse's index must agree with ours.
	ui, ii := m.GetUserIndex(), m.GetItemIndex()
	if int(ui.Count()) != len(d.Users) || int(ii.Count()) != len(d.Items) {
		return nil, el, fmt.Errorf("gorse index size mismatch: users %d/%d items %d/%d", ui.Count(), len(d.Users), ii.Count(), len(d.Items))
	}
	for k := range min(len(d.Items), 5) {
		if ii.Id(d.Items[k]) != int32(k) {
			return nil, el, fmt.Errorf("gorse item index mismatch at %d", k)
		}
	}
	return m, el, nil
}

// Scorer fills scores (len = catalogue) for user u.
type Scorer func(u int32, scores []float32)

// MFScorer scores with the model's dot product p_u·q_i — the same as gorse's
// internalPredict / Predict(userId, itemId), without the map lookups.
func MFScorer(m cf.MatrixFactorization, nItems int) Scorer {
	return func(u int32, scores []float32) {
		pu := m.GetUserFactor(u)
		for i := range nItems {
			scores[i] = floats.Dot(pu, m.GetItemFactor(int32(i)))
		}
	}
}

// PopularityScorer ranks items by the number of distinct train users.
func PopularityScorer(d *Data) Scorer {
	cnt := make([]float32, len(d.Items))
	for _, items := range d.Train {
		for _, i := range items {
			cnt[i]++
		}
	}
	return func(_ int32, scores []float32) { copy(scores, cnt) }
}

// RandomScorer gives every (user, item) a pseudo-random score (a sanity floor).
func RandomScorer(seed uint64) Scorer {
	return func(u int32, scores []float32) {
		r := rand.New(rand.NewPCG(seed, uint64(u)))
		for i := range scores {
			scores[i] = r.Float32()
		}
	}
}

// EvalInfo says which users were evaluated and why others were skipped.
type EvalInfo struct {
	TestUsers      int `json:"test_users"`       // users with a row in test.csv
	Evaluated      int `json:"evaluated_users"`  // non-empty T_u and some train
	SkippedNoTrain int `json:"skipped_no_train"` // in test, no train interactions
	SkippedEmpty   int `json:"skipped_empty_test"`
}

// EvalUsers lists the users to evaluate.
func EvalUsers(d *Data) ([]int32, EvalInfo) {
	var info EvalInfo
	var users []int32
	for u := range d.Users {
		if !d.InTest[u] {
			continue
		}
		info.TestUsers++
		switch {
		case len(d.Train[u]) == 0:
			info.SkippedNoTrain++
		case len(d.Test[u]) == 0:
			info.SkippedEmpty++
		default:
			users = append(users, int32(u))
		}
	}
	info.Evaluated = len(users)
	return users, info
}

// Evaluate scores every catalogue item for each user in users, removes the
// user's excluded items (train items unless the split says otherwise), takes the top k and aggregates the metrics.
func Evaluate(ctx context.Context, d *Data, users []int32, score Scorer, k, jobs int, progress func(done, total int)) Metrics {
	tops := make([][]int32, len(d.Users))
	rels := make([]map[int32]bool, len(d.Users))
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	next := make(chan int32)
	go func() {
		defer close(next)
		for _, u := range users {
			select {
			case next <- u:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range max(jobs, 1) {
		wg.Go(func() {
			scores := make([]float32, len(d.Items))
			for u := range next {
				score(u, scores)
				ex := make(map[int32]bool, len(d.Train[u]))
				for _, i := range d.excluded(u) {
					ex[i] = true
				}
				rel := make(map[int32]bool, len(d.Test[u]))
				for _, i := range d.Test[u] {
					rel[i] = true
				}
				top := TopK(scores, ex, k)
				if top == nil {
					top = []int32{}
				}
				tops[u], rels[u] = top, rel
				if progress != nil {
					mu.Lock()
					done++
					progress(done, len(users))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return Aggregate(tops, rels, k, len(d.Items))
}

// parseModels splits a comma list.
func parseList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x7e57)) }
