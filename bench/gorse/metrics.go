package main

import "math"

// UserMetrics scores one user's ranked list top (already cut to at most k)
// against the relevant set rel (non-empty), with binary gains:
//
//	Recall@K  = |top ∩ rel| / |rel|
//	NDCG@K    = DCG/IDCG, DCG = Σ_{i: top_i∈rel} 1/log2(i+1), IDCG = Σ_{i=1..min(K,|rel|)} 1/log2(i+1)
//	HitRate@K = 1 if top ∩ rel ≠ ∅
//	AP@K      = (1/min(K,|rel|)) Σ_{i: top_i∈rel} precision@i
func UserMetrics(top []int32, rel map[int32]bool, k int) (recall, ndcg, hit, ap float64) {
	if len(rel) == 0 || k <= 0 {
		return 0, 0, 0, 0
	}
	if len(top) > k {
		top = top[:k]
	}
	var dcg, idcg, hits, precSum float64
	for r, id := range top {
		if rel[id] {
			hits++
			dcg += 1 / math.Log2(float64(r)+2)
			precSum += hits / float64(r+1)
		}
	}
	m := min(len(rel), k)
	for r := 0; r < m; r++ {
		idcg += 1 / math.Log2(float64(r)+2)
	}
	recall = hits / float64(len(rel))
	ndcg = dcg / idcg
	if hits > 0 {
		hit = 1
	}
	ap = precSum / float64(m)
	return
}

// Metrics are averages over the evaluated users.
type Metrics struct {
	Users    int     `json:"users"`
	Recall   float64 `json:"recall"`
	NDCG     float64 `json:"ndcg"`
	HitRate  float64 `json:"hitrate"`
	MAP      float64 `json:"map"`
	Coverage float64 `json:"coverage"`
}

// Aggregate averages per-user metrics over the users with a list (tops[u] !=
// nil) and computes coverage = |∪ top_K(u)| / catalogue.
func Aggregate(tops [][]int32, rels []map[int32]bool, k, catalogue int) Metrics {
	var m Metrics
	distinct := map[int32]bool{}
	for u, top := range tops {
		if top == nil {
			continue
		}
		if len(top) > k {
			top = top[:k]
		}
		r, n, h, a := UserMetrics(top, rels[u], k)
		m.Users++
		m.Recall += r
		m.NDCG += n
		m.HitRate += h
		m.MAP += a
		for _, id := range top {
			distinct[id] = true
		}
	}
	if m.Users > 0 {
		n := float64(m.Users)
		m.Recall /= n
		m.NDCG /= n
		m.HitRate /= n
		m.MAP /= n
	}
	if catalogue > 0 {
		m.Coverage = float64(len(distinct)) / float64(catalogue)
	}
	return m
}

// TopK returns the indices of the k highest scores, skipping excluded items;
// ties are broken by the lower index, NaN ranks last.
func TopK(scores []float32, exclude map[int32]bool, k int) []int32 {
	if k <= 0 {
		return nil
	}
	top := make([]int32, 0, k+1)
	ts := make([]float32, 0, k+1)
	for i, s := range scores {
		if s != s { // NaN
			s = float32(math.Inf(-1))
		}
		if len(top) == k && !(s > ts[k-1]) {
			continue // equal scores keep the earlier (lower) index
		}
		if exclude[int32(i)] {
			continue
		}
		// insertion position: after all scores >= s
		p := len(top)
		for p > 0 && ts[p-1] < s {
			p--
		}
		top = append(top, 0)
		ts = append(ts, 0)
		copy(top[p+1:], top[p:])
		copy(ts[p+1:], ts[p:])
		top[p], ts[p] = int32(i), s
		if len(top) > k {
			top, ts = top[:k], ts[:k]
		}
	}
	return top
}
