package recommend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// The engine fits its blend weights to the shop it runs on (Config.AutoTune):
// at every Train it carves a validation split out of its own events (each
// user's last visit with carts or purchases held out, the funnel protocol of
// `eval`), trains a second set of models on the rest, and runs the search
// of `eval --tune` (BlendSearch) over a few multiples of each retriever's
// weight. The serving models are trained on every event as before; the
// weights found are served with them and saved in their snapshot.

// fitted is the outcome of one fit: the weights served (every retriever
// named) and what they scored on validation.
type fitted struct {
	weights           map[string]float64
	mmrLambda, catCap float64 // 0: the configured ones
	valDefault, value float64
	users, trials     int
	took              time.Duration
	stopped           bool // by the time budget, not persisted
}

// String is the fit as the log and the training report show it.
func (f *fitted) String() string {
	var ws []string
	for _, name := range Retrievers {
		if v, ok := f.weights[name]; ok {
			ws = append(ws, name+"="+strconv.FormatFloat(v, 'g', 4, 64))
		}
	}
	stop := ""
	if f.stopped {
		stop = ", stopped by its time budget"
	}
	return fmt.Sprintf("%s, mmr_lambda=%g, category_cap=%g (validation NDCG@10 %.4f -> %.4f on %d users, %d trials%s)",
		strings.Join(ws, ","), f.mmrLambda, f.catCap, f.valDefault, f.value, f.users, f.trials, stop)
}

// Autotune settings (Config.AutoTune*: zero takes these).
const (
	// defaultAutoTuneUsers validation users are scored per trial.
	defaultAutoTuneUsers = 500
	// defaultAutoTuneEvents bounds the events the validation models are
	// trained on: a larger shop is subsampled by user.
	defaultAutoTuneEvents = 200_000
	// Unless Config.AutoTuneTime says otherwise, the search (after the
	// validation training) may take autoTuneShare of the serving models'
	// training time, and at least autoTuneMinTime: on a small shop, whose
	// models train in a second, the whole search takes a few seconds.
	autoTuneShare   = 0.5
	autoTuneMinTime = 10 * time.Second
	// autoTuneMargin: a step must gain this much validation NDCG
	// (relative) to be taken, and autoTuneZ standard errors of the
	// per-user differences (a paired test): a few hundred validation
	// users are a noisy sample, and the default weights win ties.
	autoTuneMargin = 0.01
	autoTuneZ      = 1.5
	// autoTuneMinUsers: with fewer validation users the fit is noise and
	// the default weights stay.
	autoTuneMinUsers = 100
)

// autoTuneMultipliers are the steps of each retriever's weight, as
// multiples of its configured weight.
var autoTuneMultipliers = []float64{0, 0.5, 1, 2}

// autoTuneParams are the retrievers the fit moves. The session retriever
// is left out: a split's single clock puts almost no user inside a running
// visit, so validation cannot see it.
// Content, trending and popular carry small weights for warm users (cold
// users have their own, ColdWeights) and moved validation NDCG by less
// than its noise, so they keep theirs.
var autoTuneParams = []string{RetrieverRepeat, RetrieverSeen, RetrieverMF, RetrieverItemCF, ParamDiversity}

// EnvAutoTune turns the fit off ("off"); SHOPMUSE_REC_WEIGHTS set by an
// operator turns it off too (ParseTuning, Tuning.Apply).
const EnvAutoTune = "SHOPMUSE_REC_AUTOTUNE"

// autoTune fits the blend weights on a validation split of the dataset.
// It returns nil (keep the configured weights) when the shop is too small
// to judge.
func (e *Engine) autoTune(ctx context.Context, log *slog.Logger, servingTrain time.Duration) (*fitted, error) {
	start := time.Now()
	budget := e.cfg.AutoTuneTime
	if budget <= 0 {
		budget = max(autoTuneMinTime, time.Duration(autoTuneShare*float64(servingTrain)))
	}
	its, prods, users := e.ds.export(e.cfg.AutoTuneEvents)
	p := Protocol{Method: SplitLastTargets, LastN: 2, SessionGap: e.cfg.SessionGap, Exclude: ExcludePurchased}
	for i := range its {
		if k := its[i].Kind; k == shop.KindPurchase || k == shop.KindAddToCart {
			p.TargetKinds = []shop.InteractionKind{shop.KindPurchase, shop.KindAddToCart}
			break
		}
	}
	if !e.cfg.ExcludePurchased {
		p.Exclude = ExcludeNone
	}
	category := make(map[string]string, len(prods))
	for i := range prods {
		category[prods[i].ID] = prods[i].Category
	}
	p.Consumable = ConsumableItems(its, func(id string) string { return category[id] })
	sp := SplitProtocol(its, p)
	if len(sp.Test) < autoTuneMinUsers || len(sp.Train) == 0 {
		log.InfoContext(ctx, "blend weights: too few validation users to fit, configured weights kept", "users", len(sp.Test))
		return nil, nil
	}
	now := sp.Train[len(sp.Train)-1].OccurredAt.Add(time.Second)
	cfg := e.cfg
	cfg.AutoTune = false
	cfg.Now = func() time.Time { return now }
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	deps := e.deps
	deps.NewIndex = nil // an exact scan: the validation models live for seconds
	ve, err := New(cfg, deps)
	if err != nil {
		return nil, err
	}
	if err := ve.UpsertProducts(prods); err != nil {
		return nil, err
	}
	if err := ve.UpsertUsers(users); err != nil {
		return nil, err
	}
	if err := ve.LoadInteractions(sp.Train); err != nil {
		return nil, err
	}
	if _, err := ve.Train(ctx); err != nil {
		return nil, fmt.Errorf("validation models: %w", err)
	}
	trained := time.Now()
	nUsers := min(len(sp.Test), e.cfg.AutoTuneUsers)
	valUsers := slices.Sorted(maps.Keys(sp.Test))
	rng := rand.New(rand.NewPCG(7, 7))
	rng.Shuffle(len(valUsers), func(a, b int) { valUsers[a], valUsers[b] = valUsers[b], valUsers[a] })
	valUsers = valUsers[:nUsers]
	slices.Sort(valUsers)
	base := e.cfg.Weights
	startT := Tuning{Weights: map[string]float64{}, MMRLambda: e.cfg.MMRLambda, CategoryCap: e.cfg.MaxPerCategory}
	for _, name := range Retrievers {
		startT.Weights[name] = base[name]
	}
	// Every weight searched is a multiple of the configured one, so the
	// lists retrieved under the configured weights serve every trial: each
	// user's retrieval runs once, each trial only ranks (Engine.rank, as
	// Recommend does).
	rets := make([]*retrieval, len(valUsers))
	errs := make([]error, len(valUsers))
	startMix := ve.mixFor(&startT)
	parallel(len(valUsers), 2, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			u := valUsers[i]
			rets[i], _, errs[i] = ve.retrieve(ctx, Request{UserID: u, N: 10, Exclude: slices.Collect(maps.Keys(sp.TrainItems[u]))}, startMix)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	perUser := func(ctx context.Context, t Tuning) ([]float64, error) {
		mix := ve.mixFor(&t)
		out := make([]float64, len(valUsers))
		parallel(len(valUsers), 2, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = ndcgAt(ve.rank(ctx, rets[i], mix), sp.Test[valUsers[i]], 10)
			}
		})
		return out, ctx.Err()
	}
	s := BlendSearch{
		PerUser: perUser, Z: autoTuneZ, Params: autoTuneParams, Margin: autoTuneMargin, Rounds: 2,
		// Diversity: the configured MMR and cap, or either off.
		Lambdas: []float64{e.cfg.MMRLambda, 1}, Caps: []float64{e.cfg.MaxPerCategory, 1},
		// MF alone (the other retrievers searched off, those not searched
		// as they are) is the second start: on a shop where nobody comes
		// back, the way there from the default blend leads downhill first.
		Solo:      []string{RetrieverMF},
		SoloKeeps: []string{RetrieverSeen, RetrieverSession, RetrieverContent, RetrieverTrending, RetrieverPopular},
		Grid: func(name string) []float64 {
			out := make([]float64, len(autoTuneMultipliers))
			for i, m := range autoTuneMultipliers {
				out[i] = m * base[name]
			}
			return out
		},
		OutOfTime: func(int) bool { return time.Since(trained) > budget },
	}
	res, err := s.Run(ctx, startT)
	if err != nil {
		return nil, err
	}
	if res.BudgetExceeded {
		log.InfoContext(ctx, "blend weights: search stopped by its time budget", "budget", budget)
	}
	return &fitted{weights: res.Best.Weights, mmrLambda: res.Best.MMRLambda, catCap: res.Best.CategoryCap, valDefault: res.Start, value: res.Score, users: nUsers,
		trials: res.Trials, took: time.Since(start), stopped: res.BudgetExceeded}, nil
}

// export copies the dataset as events, products and users for the
// validation models: every user while the events fit in maxEvents, else
// users in a fixed pseudo-random order (by a hash of their ID) until
// they would not.
func (d *Dataset) export(maxEvents int) ([]shop.Interaction, []shop.Product, []shop.User) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	prods := make([]shop.Product, 0, len(d.items))
	for i := range d.items {
		if p := d.items[i].product; p != nil {
			prods = append(prods, *p)
		}
	}
	order := make([]int, 0, len(d.users))
	for i := range d.users {
		if len(d.users[i].events) > 0 {
			order = append(order, i)
		}
	}
	if d.nEvents > maxEvents {
		key := func(i int) uint64 {
			h := fnv.New64a()
			h.Write([]byte(d.users[i].id))
			return h.Sum64()
		}
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(key(a), key(b)) })
	}
	var its []shop.Interaction
	var users []shop.User
	for _, i := range order {
		u := &d.users[i]
		if len(its)+len(u.events) > maxEvents {
			continue
		}
		users = append(users, shop.User{ID: u.id, Interests: u.interests, Age: u.age, Gender: u.gender})
		for _, ev := range u.events {
			kind, ok := shop.KindFromCode(ev.kind)
			if !ok {
				continue
			}
			it := shop.Interaction{UserID: u.id, ProductID: d.items[ev.item].id, Kind: kind, OccurredAt: time.Unix(ev.t, 0)}
			if kind == shop.KindRate {
				v := float64(ev.value)
				it.Value = &v
			}
			its = append(its, it)
		}
	}
	return its, prods, users
}

// ndcgAt is the NDCG@k of one ranked list against the relevant items.
func ndcgAt(recs []Recommendation, rel map[string]bool, k int) float64 {
	var dcg, idcg float64
	for r, rec := range recs[:min(len(recs), k)] {
		if rel[rec.ItemID] {
			dcg += 1 / math.Log2(float64(r)+2)
		}
	}
	for r := 0; r < min(len(rel), k); r++ {
		idcg += 1 / math.Log2(float64(r)+2)
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}
