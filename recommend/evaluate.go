package recommend

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// SplitMethod chooses how a split holds out each user's events.
type SplitMethod int

const (
	// SplitByTime holds out each user's most recent share of events.
	SplitByTime SplitMethod = iota
	// SplitRandom holds out a random subset of each user's events.
	SplitRandom
	// SplitLastTargets holds out, at each user's own time, their last
	// Protocol.LastN target events (say their last two carts or purchases)
	// and everything the user did from the first of them on: what a shop
	// wants to know is what the shopper does next, viewed items included.
	SplitLastTargets
)

// TargetRule says which held-out items count as targets.
type TargetRule int

const (
	// TargetsAll counts every held-out item, also one the user had seen in
	// training: a shopper who views, comes back and buys is the normal
	// e-commerce funnel, and the service must predict that purchase.
	TargetsAll TargetRule = iota
	// TargetsNew counts only items the user never touched in training
	// (the "no-repeat protocol" of the collaborative-filtering literature).
	TargetsNew
)

// ExcludeRule says which of a user's items leave their ranking; an
// excluded item is never a target either (it cannot be recommended).
type ExcludeRule int

const (
	// ExcludePurchased removes items bought in training, as the service does.
	ExcludePurchased ExcludeRule = iota
	// ExcludeTrain removes every item of the user's training events.
	ExcludeTrain
	// ExcludeNone removes nothing.
	ExcludeNone
)

// Protocol describes an offline evaluation: how each user's events are
// split, which held-out events are targets, and what the ranking excludes.
type Protocol struct {
	Method SplitMethod
	// Frac is the share held out by SplitByTime and SplitRandom.
	Frac float64
	// LastN is how many target events SplitLastTargets holds out per user.
	LastN int
	// SessionGap, when > 0, moves SplitLastTargets' cut back to the start of
	// the session (events less than SessionGap apart) of the first
	// held-out target: recommendations are asked for when a shopper
	// arrives, not between the view and the cart of the same visit.
	SessionGap time.Duration
	Seed       int64
	// TargetKinds are the kinds of held-out events whose items are targets
	// (and, for SplitLastTargets, the events counted back from the end);
	// empty means every kind.
	TargetKinds []shop.InteractionKind
	Targets     TargetRule
	Exclude     ExcludeRule
	// Consumable, when set, names the items ExcludePurchased keeps: the
	// service shows a consumable again once it is due (ConsumableItems),
	// so buying one again is a target, not an exclusion.
	Consumable func(productID string) bool
}

// NoRepeatProtocol is the protocol of the first releases: each user's most
// recent frac of events held out, targets only items new to the user, every
// training item excluded from the ranking.
func NoRepeatProtocol(method SplitMethod, frac float64, seed int64) Protocol {
	return Protocol{Method: method, Frac: frac, Seed: seed, Targets: TargetsNew, Exclude: ExcludeTrain}
}

// Split is a per-user hold-out.
type Split struct {
	// Train feeds the models, ascending by time.
	Train []shop.Interaction
	// Held are the held-out events, ascending by time.
	Held []shop.Interaction
	// Test maps a user to their target items (users without any are absent).
	Test map[string]map[string]bool
	// TrainItems maps a user to the items removed from their ranking: all
	// training items under ExcludeTrain, the bought ones under
	// ExcludePurchased, none under ExcludeNone.
	TrainItems map[string]map[string]bool
	// Touched maps a user to every item of their training events.
	Touched map[string]map[string]bool
}

// SplitInteractions is SplitProtocol under the no-repeat protocol: frac of
// every user's events held out, targets new to the user, training items
// excluded. Users with fewer than 2 events stay wholly in training.
func SplitInteractions(its []shop.Interaction, method SplitMethod, frac float64, seed int64) Split {
	return SplitProtocol(its, NoRepeatProtocol(method, frac, seed))
}

// SplitProtocol splits its per user under p. A user whose events would all
// be held out stays wholly in training (there would be nothing to learn the
// user from).
func SplitProtocol(its []shop.Interaction, p Protocol) Split {
	byUser := map[string][]int{}
	var users []string
	for i := range its {
		u := its[i].UserID
		if _, ok := byUser[u]; !ok {
			users = append(users, u)
		}
		byUser[u] = append(byUser[u], i)
	}
	isTarget := func(k shop.InteractionKind) bool {
		return len(p.TargetKinds) == 0 || slices.Contains(p.TargetKinds, k)
	}
	rng := rand.New(rand.NewPCG(uint64(p.Seed), 0x5b11))
	sp := Split{Test: map[string]map[string]bool{}, TrainItems: map[string]map[string]bool{}, Touched: map[string]map[string]bool{}}
	for _, u := range users {
		idx := byUser[u]
		var cut int // idx[:cut] train, idx[cut:] held out
		switch p.Method {
		case SplitByTime, SplitRandom:
			nTest := int(math.Round(p.Frac * float64(len(idx))))
			if len(idx) < 2 {
				nTest = 0
			}
			nTest = min(nTest, len(idx)-1)
			if p.Method == SplitByTime {
				slices.SortStableFunc(idx, func(a, b int) int { return its[a].OccurredAt.Compare(its[b].OccurredAt) })
			} else {
				rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
			}
			cut = len(idx) - nTest
		case SplitLastTargets:
			slices.SortStableFunc(idx, func(a, b int) int { return its[a].OccurredAt.Compare(its[b].OccurredAt) })
			cut = len(idx)
			for n, k := 0, len(idx)-1; k >= 0 && n < p.LastN; k-- {
				if isTarget(its[idx[k]].Kind) {
					cut, n = k, n+1
				}
			}
			// Events at the same instant as the first held-out target are
			// the same moment, and with SessionGap the same visit: they go
			// with it.
			for cut > 0 && cut < len(idx) {
				gap := its[idx[cut]].OccurredAt.Sub(its[idx[cut-1]].OccurredAt)
				if gap > 0 && gap >= p.SessionGap {
					break
				}
				cut--
			}
			if cut == 0 {
				cut = len(idx)
			}
		}
		touched := map[string]bool{}
		excluded := map[string]bool{}
		for _, i := range idx[:cut] {
			it := &its[i]
			sp.Train = append(sp.Train, *it)
			touched[it.ProductID] = true
			if p.Exclude == ExcludeTrain || (p.Exclude == ExcludePurchased && it.Kind == shop.KindPurchase &&
				(p.Consumable == nil || !p.Consumable(it.ProductID))) {
				excluded[it.ProductID] = true
			}
		}
		sp.Touched[u], sp.TrainItems[u] = touched, excluded
		for _, i := range idx[cut:] {
			it := &its[i]
			sp.Held = append(sp.Held, *it)
			if !isTarget(it.Kind) || excluded[it.ProductID] || (p.Targets == TargetsNew && touched[it.ProductID]) {
				continue
			}
			if sp.Test[u] == nil {
				sp.Test[u] = map[string]bool{}
			}
			sp.Test[u][it.ProductID] = true
		}
	}
	byTime := func(a, b shop.Interaction) int { return a.OccurredAt.Compare(b.OccurredAt) }
	slices.SortStableFunc(sp.Train, byTime)
	slices.SortStableFunc(sp.Held, byTime)
	return sp
}

// Ranker returns the top k items for a user, never one in exclude.
type Ranker func(ctx context.Context, userID string, k int, exclude map[string]bool) ([]string, error)

// Metrics are averaged over the evaluated users.
type Metrics struct {
	K        int
	Users    int
	Recall   float64 // hits / |relevant|
	NDCG     float64
	HitRate  float64 // share of users with at least one hit
	MAP      float64 // mean average precision at K
	Coverage float64 // distinct recommended items / catalogue size
}

func (m Metrics) String() string {
	return fmt.Sprintf("users=%d NDCG@%d=%.4f Recall@%d=%.4f HitRate@%d=%.4f MAP@%d=%.4f coverage=%.4f",
		m.Users, m.K, m.NDCG, m.K, m.Recall, m.K, m.HitRate, m.K, m.MAP, m.Coverage)
}

// Evaluate ranks for every test user (excluding sp.TrainItems) and
// scores the top k against their held-out items. catalogue is the number of
// items for coverage. maxUsers > 0 evaluates a deterministic sample.
func Evaluate(ctx context.Context, rank Ranker, sp Split, k, catalogue, maxUsers int) (Metrics, error) {
	users := make([]string, 0, len(sp.Test))
	for u := range sp.Test {
		users = append(users, u)
	}
	slices.Sort(users)
	if maxUsers > 0 && len(users) > maxUsers {
		rng := rand.New(rand.NewPCG(7, 7))
		rng.Shuffle(len(users), func(a, b int) { users[a], users[b] = users[b], users[a] })
		users = users[:maxUsers]
		slices.Sort(users)
	}
	type res struct{ recall, ndcg, hit, ap float64 }
	results := make([]res, len(users))
	recs := make([][]string, len(users))
	var firstErr error
	var mu sync.Mutex
	parallel(len(users), 2, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			u := users[i]
			top, err := rank(ctx, u, k, sp.TrainItems[u])
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("recommend: evaluate user %q: %w", u, err)
				}
				mu.Unlock()
				return
			}
			top = top[:min(len(top), k)]
			recs[i] = top
			rel := sp.Test[u]
			var dcg, idcg, hits, precSum float64
			for r, id := range top {
				if rel[id] {
					hits++
					dcg += 1 / math.Log2(float64(r)+2)
					precSum += hits / float64(r+1)
				}
			}
			for r := 0; r < min(len(rel), k); r++ {
				idcg += 1 / math.Log2(float64(r)+2)
			}
			results[i] = res{recall: hits / float64(len(rel)), ndcg: dcg / idcg,
				ap: precSum / float64(min(len(rel), k))}
			if hits > 0 {
				results[i].hit = 1
			}
		}
	})
	if firstErr != nil {
		return Metrics{}, firstErr
	}
	m := Metrics{K: k, Users: len(users)}
	distinct := map[string]bool{}
	for i, r := range results {
		m.Recall += r.recall
		m.NDCG += r.ndcg
		m.HitRate += r.hit
		m.MAP += r.ap
		for _, id := range recs[i] {
			distinct[id] = true
		}
	}
	if n := float64(len(users)); n > 0 {
		m.Recall /= n
		m.NDCG /= n
		m.HitRate /= n
		m.MAP /= n
	}
	if catalogue > 0 {
		m.Coverage = float64(len(distinct)) / float64(catalogue)
	}
	return m, nil
}

// Ranker returns a Ranker over one retriever (RetrieverMF, RetrieverItemCF,
// RetrieverPopular, ...), over the global best sellers for "popularity", or,
// for "blend", over Recommend, so each can be
// compared on the same split. Single retrievers rank exactly (MF scans all
// items rather than asking the ANN index), which is the "full ranking"
// protocol.
func (e *Engine) Ranker(name string) (Ranker, error) {
	if name == "blend" {
		return e.PlacementRanker(PlacementForYou), nil
	}
	if name == "popularity" { // the global best-seller baseline
		return func(ctx context.Context, userID string, k int, exclude map[string]bool) ([]string, error) {
			out := make([]string, 0, k)
			for _, s := range e.ds.topLists(e.cfg.Now()).popular {
				if len(out) == k {
					break
				}
				if !exclude[s.id] {
					out = append(out, s.id)
				}
			}
			return out, nil
		}, nil
	}
	var r Retriever
	for _, x := range e.retrievers() {
		if x.Name() == name {
			r = x
		}
	}
	if r == nil {
		return nil, fmt.Errorf("recommend: no retriever %q", name)
	}
	return func(ctx context.Context, userID string, k int, exclude map[string]bool) ([]string, error) {
		q, err := e.query(&Request{UserID: userID, N: k})
		if err != nil {
			return nil, err
		}
		for id := range exclude {
			q.exclude[id] = true
		}
		var cands []Candidate
		if name == RetrieverMF {
			cands = e.mfExact(ctx, q, k)
		} else {
			cands = r.Retrieve(ctx, q)
		}
		out := make([]string, 0, k)
		for _, c := range cands {
			if len(out) == k {
				break
			}
			if !exclude[c.ItemID] {
				out = append(out, c.ItemID)
			}
		}
		return out, nil
	}, nil
}

// mfExact ranks all items by the MF score, bypassing any ANN index.
func (e *Engine) mfExact(ctx context.Context, q *Query, k int) []Candidate {
	mf := e.models.Load().mf
	if mf == nil {
		return nil
	}
	exact := *mf
	exact.index = nil
	p := exact.userVector(q.UserID, q.user)
	if p == nil {
		return nil
	}
	top, _ := exact.topItems(ctx, p, k, e.mfSkip(q))
	out := make([]Candidate, len(top))
	for i, t := range top {
		out[i] = Candidate{ItemID: t.id, Score: t.score}
	}
	return out
}

// PlacementRanker is Engine.Recommend itself for one placement: what the
// service serves there.
func (e *Engine) PlacementRanker(p Placement) Ranker {
	return func(ctx context.Context, userID string, k int, exclude map[string]bool) ([]string, error) {
		ex := make([]string, 0, len(exclude))
		for id := range exclude {
			ex = append(ex, id)
		}
		recs, err := e.Recommend(ctx, Request{UserID: userID, N: k, Exclude: ex, Placement: p})
		if err != nil {
			return nil, err
		}
		out := make([]string, len(recs))
		for i, r := range recs {
			out[i] = r.ItemID
		}
		return out, nil
	}
}
