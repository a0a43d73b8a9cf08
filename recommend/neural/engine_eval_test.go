//go:build neuraleval

// This cross-check runs NeuMF through the engine's own evaluation protocol
// (recommend.SplitInteractions + recommend.Evaluate). It sits behind a build
// tag so that the package's default tests do not depend on the recommend
// package, which may be mid-change:
//
//	NEUMF_EVAL=1 go test -tags neuraleval -run TestEngineEval -v -timeout 30m ./recommend/neural/

package neural

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/recommend/synth"
)

func TestEngineEval(t *testing.T) {
	if os.Getenv("NEUMF_EVAL") == "" {
		t.Skip("set NEUMF_EVAL=1 to run the engine-protocol measurement")
	}
	ctx := context.Background()
	s := synth.Generate(envInt("NEUMF_USERS", 5000), envInt("NEUMF_ITEMS", 3000), envInt("NEUMF_EVENTS", 200000), 1)
	sp := recommend.SplitInteractions(s.Interactions, recommend.SplitByTime, 0.2, 1)

	uIdx := map[string]int32{}
	for k, u := range s.Users {
		uIdx[u.ID] = int32(k)
	}
	iIdx := map[string]int32{}
	ids := make([]string, len(s.Products))
	for k, p := range s.Products {
		iIdx[p.ID] = int32(k)
		ids[k] = p.ID
	}
	type key struct{ u, i int32 }
	dup := map[key]bool{}
	var pairs []Pair
	for _, it := range sp.Train {
		k := key{uIdx[it.UserID], iIdx[it.ProductID]}
		if !dup[k] {
			dup[k] = true
			pairs = append(pairs, Pair{User: k.u, Item: k.i, Weight: 1})
		}
	}

	cfg := DefaultConfig()
	cfg.Epochs = envInt("NEUMF_EPOCHS", cfg.Epochs)
	cfg.LearningRate = envFloat("NEUMF_LR", cfg.LearningRate)
	began := time.Now()
	m, err := Train(ctx, pairs, len(s.Users), len(s.Products), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained on %d pairs in %v", len(pairs), time.Since(began).Round(time.Millisecond))

	ranker := func(score func(u int32, out []float32)) recommend.Ranker {
		return func(_ context.Context, userID string, k int, exclude map[string]bool) ([]string, error) {
			out := make([]float32, len(ids))
			score(uIdx[userID], out)
			var top []int32
			for i := range out {
				if exclude[ids[i]] {
					continue
				}
				if len(top) == k && out[i] <= out[top[k-1]] {
					continue
				}
				if len(top) < k {
					top = append(top, 0)
				}
				p := len(top) - 1
				for p > 0 && out[top[p-1]] < out[i] {
					top[p] = top[p-1]
					p--
				}
				top[p] = int32(i)
			}
			res := make([]string, len(top))
			for r, i := range top {
				res[r] = ids[i]
			}
			return res, nil
		}
	}
	nm, err := recommend.Evaluate(ctx, ranker(m.ScoreAll), sp, 10, len(ids), 0)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := recommend.Evaluate(ctx, ranker(popularity(pairs, len(ids))), sp, 10, len(ids), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("NeuMF      %v", nm)
	t.Logf("popularity %v", pm)
	if nm.NDCG <= pm.NDCG {
		t.Errorf("NeuMF does not beat popularity")
	}
}
