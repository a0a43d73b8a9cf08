package recommend

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/shopmuse/shopmuse/shop"
)

// SplitMethod chooses how Split holds out each user's events.
type SplitMethod int

const (
	// SplitByTime holds out each user's most recent events: the honest
	// "predict the future" protocol.
	SplitByTime SplitMethod = iota
	// SplitRandom holds out a random subset of each user's events.
	SplitRandom
)

// Split is a per-user hold-out: Train feeds the models; Test maps a user to
// the items of their held-out events that are not in their training events.
type Split struct {
	Train []shop.Interaction
	Test  map[string]map[string]bool
	// TrainItems maps a user to their training items (excluded from ranking).
	TrainItems map[string]map[string]bool
}

// SplitInteractions holds out frac (e.g. 0.2) of every user's events. Users
// with fewer than 2 events stay wholly in training.
func SplitInteractions(its []shop.Interaction, method SplitMethod, frac float64, seed int64) Split {
	byUser := map[string][]int{}
	var users []string
	for i := range its {
		u := its[i].UserID
		if _, ok := byUser[u]; !ok {
			users = append(users, u)
		}
		byUser[u] = append(byUser[u], i)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5b11))
	sp := Split{Test: map[string]map[string]bool{}, TrainItems: map[string]map[string]bool{}}
	for _, u := range users {
		idx := byUser[u]
		nTest := int(math.Round(frac * float64(len(idx))))
		if len(idx) < 2 {
			nTest = 0
		}
		nTest = min(nTest, len(idx)-1)
		switch method {
		case SplitByTime:
			slices.SortStableFunc(idx, func(a, b int) int { return its[a].OccurredAt.Compare(its[b].OccurredAt) })
		case SplitRandom:
			rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		}
		cut := len(idx) - nTest
		train := map[string]bool{}
		for _, i := range idx[:cut] {
			sp.Train = append(sp.Train, its[i])
			train[its[i].ProductID] = true
		}
		sp.TrainItems[u] = train
		for _, i := range idx[cut:] {
			p := its[i].ProductID
			if train[p] {
				continue
			}
			if sp.Test[u] == nil {
				sp.Test[u] = map[string]bool{}
			}
			sp.Test[u][p] = true
		}
	}
	slices.SortStableFunc(sp.Train, func(a, b shop.Interaction) int { return a.OccurredAt.Compare(b.OccurredAt) })
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

// Evaluate ranks for every test user (excluding their training items) and
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
		return func(ctx context.Context, userID string, k int, exclude map[string]bool) ([]string, error) {
			ex := make([]string, 0, len(exclude))
			for id := range exclude {
				ex = append(ex, id)
			}
			recs, err := e.Recommend(ctx, Request{UserID: userID, N: k, Exclude: ex})
			if err != nil {
				return nil, err
			}
			out := make([]string, len(recs))
			for i, r := range recs {
				out[i] = r.ItemID
			}
			return out, nil
		}, nil
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
	top, _ := exact.topItems(ctx, p, k, func(id string) bool { return !e.fresh(q, id) })
	out := make([]Candidate, len(top))
	for i, t := range top {
		out[i] = Candidate{ItemID: t.id, Score: t.score}
	}
	return out
}
