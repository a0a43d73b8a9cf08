package main

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// GenConfig describes a synthetic interaction log with latent tastes and a
// long-tail popularity, written in the `eval --write-split` format.
type GenConfig struct {
	Users, Items, Interactions int
	Topics                     int     // latent taste clusters
	TasteProb                  float64 // P(event follows the user's tastes) vs global popularity
	Zipf                       float64 // popularity exponent (item rank r has weight 1/r^Zipf)
	MinPerUser                 int     // minimum events per user
	UniquePairs                bool    // at most one event per (user, item), like ratings
	RatingsOnly                bool    // every event is RATE with a value 1..5 (MovieLens-like)
	TestFrac                   float64 // per user, the most recent frac of events go to test.csv
	Seed                       uint64
}

// Preset returns a named generator configuration: "shop" (5k users, 3k
// items, 200k events) or "ml100k" (943 users, 1682 items, 100k ratings).
func Preset(name string) (GenConfig, error) {
	switch name {
	case "shop":
		return GenConfig{Users: 5000, Items: 3000, Interactions: 200000, Topics: 24, TasteProb: 0.8,
			Zipf: 0.9, MinPerUser: 5, TestFrac: 0.2, Seed: 1}, nil
	case "ml100k":
		return GenConfig{Users: 943, Items: 1682, Interactions: 100000, Topics: 19, TasteProb: 0.75,
			Zipf: 1.0, MinPerUser: 20, UniquePairs: true, RatingsOnly: true, TestFrac: 0.2, Seed: 2}, nil
	case "tiny":
		return GenConfig{Users: 300, Items: 200, Interactions: 9000, Topics: 6, TasteProb: 0.85,
			Zipf: 0.8, MinPerUser: 5, TestFrac: 0.2, Seed: 3}, nil
	}
	return GenConfig{}, fmt.Errorf("unknown preset %q (shop, ml100k, tiny)", name)
}

type cdf []float64

func newCDF(w []float64) cdf {
	c := make(cdf, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		c[i] = s
	}
	for i := range c {
		c[i] /= s
	}
	return c
}

func (c cdf) sample(r *rand.Rand) int {
	i, _ := slices.BinarySearch(c, r.Float64())
	return min(i, len(c)-1)
}

var kinds = []string{"VIEW", "CLICK", "LIKE", "ADD_TO_CART", "PURCHASE", "RATE"}
var kindW = newCDF([]float64{0.5, 0.2, 0.1, 0.08, 0.07, 0.05})

// Generate writes DIR/train.csv and DIR/test.csv.
func Generate(dir string, g GenConfig) error {
	r := rand.New(rand.NewPCG(g.Seed, 0x9e3779b97f4a7c15))
	// Items: a topic each and a global popularity rank (random permutation).
	itemTopic := make([]int, g.Items)
	perm := r.Perm(g.Items)
	popW := make([]float64, g.Items)
	byTopic := make([][]int, g.Topics)
	for i := range g.Items {
		itemTopic[i] = r.IntN(g.Topics)
		popW[i] = 1 / math.Pow(float64(perm[i]+1), g.Zipf)
		byTopic[itemTopic[i]] = append(byTopic[itemTopic[i]], i)
	}
	global := newCDF(popW)
	topicCDF := make([]cdf, g.Topics)
	for t, items := range byTopic {
		w := make([]float64, len(items))
		for k, i := range items {
			w[k] = popW[i]
		}
		if len(w) == 0 {
			w = []float64{1}
			byTopic[t] = []int{r.IntN(g.Items)}
		}
		topicCDF[t] = newCDF(w)
	}
	// Users: 1-3 taste topics with random weights; activity is log-normal.
	type user struct {
		topics []int
		tw     cdf
		n      int
	}
	us := make([]user, g.Users)
	act := make([]float64, g.Users)
	sum := 0.0
	for u := range us {
		nt := 1 + r.IntN(3)
		ts := make([]int, nt)
		w := make([]float64, nt)
		for k := range ts {
			ts[k] = r.IntN(g.Topics)
			w[k] = 0.2 + r.Float64()
		}
		us[u] = user{topics: ts, tw: newCDF(w)}
		act[u] = math.Exp(r.NormFloat64() * 0.9)
		sum += act[u]
	}
	rest := g.Interactions - g.MinPerUser*g.Users
	if rest < 0 {
		return fmt.Errorf("interactions %d < users*min %d", g.Interactions, g.MinPerUser*g.Users)
	}
	total := 0
	for u := range us {
		us[u].n = g.MinPerUser + int(float64(rest)*act[u]/sum)
		if g.UniquePairs {
			us[u].n = min(us[u].n, g.Items/2)
		}
		total += us[u].n
	}
	for total < g.Interactions { // distribute the rounding remainder
		u := r.IntN(g.Users)
		if g.UniquePairs && us[u].n >= g.Items/2 {
			continue
		}
		us[u].n++
		total++
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	open := func(name string) (*os.File, *bufio.Writer, error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return nil, nil, err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		_, err = w.WriteString("userID,productID,kind,value,occurredAt,copyVariantID\n")
		return f, w, err
	}
	ftr, wtr, err := open("train.csv")
	if err != nil {
		return err
	}
	defer ftr.Close()
	fte, wte, err := open("test.csv")
	if err != nil {
		return err
	}
	defer fte.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	span := 180 * 24 * time.Hour
	type ev struct {
		item int
		at   time.Time
	}
	for u := range us {
		seen := map[int]bool{}
		evs := make([]ev, 0, us[u].n)
		for len(evs) < us[u].n {
			var it int
			if r.Float64() < g.TasteProb {
				t := us[u].topics[us[u].tw.sample(r)]
				it = byTopic[t][topicCDF[t].sample(r)]
			} else {
				it = global.sample(r)
			}
			if g.UniquePairs {
				if seen[it] {
					continue
				}
				seen[it] = true
			}
			evs = append(evs, ev{it, t0.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Second)})
		}
		slices.SortStableFunc(evs, func(a, b ev) int { return a.at.Compare(b.at) })
		nTest := int(math.Round(g.TestFrac * float64(len(evs))))
		nTest = min(nTest, len(evs)-1)
		for k, e := range evs {
			kind, val := "", ""
			if g.RatingsOnly {
				kind = "RATE"
			} else {
				kind = kinds[kindW.sample(r)]
			}
			if kind == "RATE" {
				val = strconv.Itoa(1 + r.IntN(5))
			}
			w := wtr
			if k >= len(evs)-nTest {
				w = wte
			}
			fmt.Fprintf(w, "u%05d,p%05d,%s,%s,%s,\n", u, e.item, kind, val, e.at.Format(time.RFC3339))
		}
	}
	if err := wtr.Flush(); err != nil {
		return err
	}
	return wte.Flush()
}
