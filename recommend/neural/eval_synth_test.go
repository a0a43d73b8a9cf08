package neural

import (
	"context"
	"log/slog"
	"math"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend/synth"
)

// synthSplit turns a synth shop into train pairs and a per-user hold-out:
// each user's most recent 20% of events (at least one event stays in
// training), the test set being the held-out items not among the user's
// training items. This mirrors recommend.SplitInteractions(SplitByTime, 0.2)
// on int indices. Training pairs are the distinct (user, item) pairs.
func synthSplit(s *synth.Shop, frac float64) *world {
	uIdx := make(map[string]int32, len(s.Users))
	for k, u := range s.Users {
		uIdx[u.ID] = int32(k)
	}
	iIdx := make(map[string]int32, len(s.Products))
	for k, p := range s.Products {
		iIdx[p.ID] = int32(k)
	}
	events := make([][]int32, len(s.Users)) // Interactions are ascending by time
	for _, it := range s.Interactions {
		u := uIdx[it.UserID]
		events[u] = append(events[u], iIdx[it.ProductID])
	}
	w := &world{nUsers: len(s.Users), nItems: len(s.Products),
		trainItems: make([][]int32, len(s.Users)), test: make([][]int32, len(s.Users))}
	seen := make([]bool, w.nItems)
	for u, ev := range events {
		nTest := int(math.Round(frac * float64(len(ev))))
		if len(ev) < 2 {
			nTest = 0
		}
		nTest = min(nTest, len(ev)-1)
		cut := len(ev) - nTest
		for _, i := range ev[:cut] {
			if !seen[i] {
				seen[i] = true
				w.trainItems[u] = append(w.trainItems[u], i)
				w.train = append(w.train, Pair{User: int32(u), Item: i, Weight: 1})
			}
		}
		for _, i := range ev[cut:] {
			if !seen[i] {
				seen[i] = true // also dedups the test set
				w.test[u] = append(w.test[u], i)
			}
		}
		for _, i := range ev {
			seen[i] = false
		}
	}
	return w
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

// TestSynthEval is the offline measurement, not run by default:
//
//	NEUMF_EVAL=1 go test -run TestSynthEval -v -timeout 30m ./recommend/neural/
//
// NEUMF_USERS/ITEMS/EVENTS size the synth shop (5000/3000/200000);
// NEUMF_EPOCHS, NEUMF_LR, NEUMF_WORKERS, NEUMF_FACTORS override the config.
func TestSynthEval(t *testing.T) {
	if os.Getenv("NEUMF_EVAL") == "" {
		t.Skip("set NEUMF_EVAL=1 to run the synth measurement")
	}
	began := time.Now()
	s := synth.Generate(envInt("NEUMF_USERS", 5000), envInt("NEUMF_ITEMS", 3000), envInt("NEUMF_EVENTS", 200000), 1)
	w := synthSplit(s, 0.2)
	testUsers := 0
	for _, ts := range w.test {
		if len(ts) > 0 {
			testUsers++
		}
	}
	t.Logf("synth: %d users, %d items, %d events → %d train pairs, %d test users (%v)",
		w.nUsers, w.nItems, len(s.Interactions), len(w.train), testUsers, time.Since(began).Round(time.Millisecond))

	cfg := DefaultConfig()
	cfg.Epochs = envInt("NEUMF_EPOCHS", cfg.Epochs)
	cfg.LearningRate = envFloat("NEUMF_LR", cfg.LearningRate)
	cfg.Workers = envInt("NEUMF_WORKERS", cfg.Workers)
	cfg.Factors = envInt("NEUMF_FACTORS", cfg.Factors)
	cfg.L2 = envFloat("NEUMF_L2", cfg.L2)
	cfg.Log = slog.New(slog.NewTextHandler(t.Output(), nil))
	t.Logf("config %+v, GOMAXPROCS %d", cfg, runtime.GOMAXPROCS(0))

	began = time.Now()
	cpu0 := cpuTime()
	m, err := Train(context.Background(), w.train, w.nUsers, w.nItems, cfg)
	if err != nil {
		t.Fatal(err)
	}
	wall, cpu := time.Since(began), cpuTime()-cpu0
	t.Logf("train: %v wall (%v/epoch), %v CPU (%v/epoch)", wall.Round(time.Millisecond),
		(wall / time.Duration(max(cfg.Epochs, 1))).Round(time.Millisecond), cpu.Round(time.Millisecond),
		(cpu / time.Duration(max(cfg.Epochs, 1))).Round(time.Millisecond))

	began = time.Now()
	nm := evaluate(10, w.nItems, w.trainItems, w.test, m.ScoreAll)
	evalTook := time.Since(began)
	pm := evaluate(10, w.nItems, w.trainItems, w.test, popularity(w.train, w.nItems))
	report := func(name string, x metrics) {
		t.Logf("%-10s users=%d NDCG@10=%.4f Recall@10=%.4f HitRate@10=%.4f MAP@10=%.4f",
			name, x.Users, x.NDCG, x.Recall, x.HitRate, x.MapAtK)
	}
	report("NeuMF", nm)
	report("popularity", pm)
	t.Logf("full-ranking evaluation of %d users took %v", nm.Users, evalTook.Round(time.Millisecond))
	if nm.NDCG <= pm.NDCG {
		t.Errorf("NeuMF NDCG@10 %.4f does not beat popularity %.4f", nm.NDCG, pm.NDCG)
	}
}
