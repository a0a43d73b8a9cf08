package evalrec

import (
	"context"
	"log/slog"
	"math"
	"sort"
	"time"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/recommend/neural"
	"github.com/shopmuse/shopmuse/shop"
)

// neumfModel is NeuMF trained on the train part, as a ranker: the evaluation
// decides whether it earns a place in the blend, and reports it either way.
type neumfModel struct {
	m      *neural.Model
	users  map[string]int32
	items  []string
	itemIx map[string]int32
	took   time.Duration
}

// trainNeuMF trains NeuMF with its defaults on the distinct (user, item)
// pairs of train; every kind of interaction is a positive, as for Gorse.
func trainNeuMF(ctx context.Context, train []shop.Interaction, products []shop.Product, log *slog.Logger) (*neumfModel, error) {
	nm := &neumfModel{users: map[string]int32{}, itemIx: map[string]int32{}}
	for _, p := range products {
		nm.itemIx[p.ID] = int32(len(nm.items))
		nm.items = append(nm.items, p.ID)
	}
	seen := map[[2]int32]bool{}
	var pairs []neural.Pair
	for _, it := range train {
		i, ok := nm.itemIx[it.ProductID]
		if !ok {
			continue
		}
		u, ok := nm.users[it.UserID]
		if !ok {
			u = int32(len(nm.users))
			nm.users[it.UserID] = u
		}
		if !seen[[2]int32{u, i}] {
			seen[[2]int32{u, i}] = true
			pairs = append(pairs, neural.Pair{User: u, Item: i})
		}
	}
	cfg := neural.DefaultConfig()
	cfg.Log = log
	start := time.Now()
	m, err := neural.Train(ctx, pairs, len(nm.users), len(nm.items), cfg)
	if err != nil {
		return nil, err
	}
	nm.m, nm.took = m, time.Since(start)
	return nm, nil
}

// ranker ranks the whole catalogue for a user by NeuMF's score.
func (nm *neumfModel) ranker() recommend.Ranker {
	return func(_ context.Context, userID string, k int, exclude map[string]bool) ([]string, error) {
		u, ok := nm.users[userID]
		if !ok {
			return nil, nil
		}
		scores := make([]float32, len(nm.items))
		nm.m.ScoreAll(u, scores)
		idx := make([]int, 0, len(scores))
		for i, s := range scores {
			if !exclude[nm.items[i]] && !math.IsInf(float64(s), -1) {
				idx = append(idx, i)
			}
		}
		sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
		out := make([]string, 0, k)
		for _, i := range idx[:min(k, len(idx))] {
			out = append(out, nm.items[i])
		}
		return out, nil
	}
}
