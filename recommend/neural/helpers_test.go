package neural

import (
	"math"
	"math/rand/v2"
	"slices"
)

// world is a synthetic dataset with latent tastes: items belong to topics
// and have a long-tail popularity; each user likes one or two topics and
// picks mostly popular items from them, sometimes a globally popular one.
// The last item of each user's sequence is held out.
type world struct {
	nUsers, nItems int
	train          []Pair
	trainItems     [][]int32 // per user
	test           [][]int32 // per user: the held-out item(s)
}

func newWorld(nUsers, nItems, topics, perUser int, seed uint64) *world {
	r := rand.New(rand.NewPCG(seed, 99))
	w := &world{nUsers: nUsers, nItems: nItems, trainItems: make([][]int32, nUsers), test: make([][]int32, nUsers)}
	topicOf := make([]int, nItems)
	byTopic := make([][]int32, topics)
	pop := make([]float64, nItems)
	for i := range nItems {
		topicOf[i] = r.IntN(topics)
		byTopic[topicOf[i]] = append(byTopic[topicOf[i]], int32(i))
		pop[i] = 1 / math.Pow(float64(r.IntN(nItems)+1), 0.7)
	}
	pick := func(cands []int32) int32 {
		var tot float64
		for _, i := range cands {
			tot += pop[i]
		}
		x := r.Float64() * tot
		for _, i := range cands {
			x -= pop[i]
			if x <= 0 {
				return i
			}
		}
		return cands[len(cands)-1]
	}
	all := make([]int32, nItems)
	for i := range all {
		all[i] = int32(i)
	}
	for u := range nUsers {
		tastes := []int{r.IntN(topics)}
		if r.IntN(2) == 0 {
			tastes = append(tastes, r.IntN(topics))
		}
		n := perUser/2 + r.IntN(perUser)
		var seq []int32
		for tries := 0; len(seq) < n && tries < 50*n; tries++ {
			var i int32
			if r.Float64() < 0.2 {
				i = pick(all)
			} else {
				i = pick(byTopic[tastes[r.IntN(len(tastes))]])
			}
			if !slices.Contains(seq, i) {
				seq = append(seq, i)
			}
		}
		last := len(seq) - 1
		for _, i := range seq[:last] {
			w.train = append(w.train, Pair{User: int32(u), Item: i})
			w.trainItems[u] = append(w.trainItems[u], i)
		}
		w.test[u] = seq[last:]
	}
	return w
}

type metrics struct {
	Users                         int
	NDCG, Recall, HitRate, MapAtK float64
}

// evaluate ranks all items for every user with a test set, the user's
// training items excluded, and scores the top k: Recall = hits/|T_u|; NDCG
// with binary gains and IDCG over min(k, |T_u|); HitRate = any hit; MAP =
// (1/min(k,|T_u|)) Σ precision@i at hits.
func evaluate(k, nItems int, trainItems, test [][]int32, score func(u int32, out []float32)) metrics {
	var m metrics
	scores := make([]float32, nItems)
	seen := make([]bool, nItems)
	top := make([]int32, 0, k)
	for u := range test {
		if len(test[u]) == 0 {
			continue
		}
		score(int32(u), scores)
		for _, i := range trainItems[u] {
			seen[i] = true
		}
		top = top[:0]
		for i := range nItems {
			if seen[i] {
				continue
			}
			// Insertion into a descending top-k; ties keep the lower index.
			if len(top) == k && scores[i] <= scores[top[k-1]] {
				continue
			}
			if len(top) < k {
				top = append(top, 0)
			}
			p := len(top) - 1
			for p > 0 && scores[top[p-1]] < scores[i] {
				top[p] = top[p-1]
				p--
			}
			top[p] = int32(i)
		}
		for _, i := range trainItems[u] {
			seen[i] = false
		}
		var hits, dcg, idcg, prec float64
		for r, i := range top {
			if slices.Contains(test[u], i) {
				hits++
				dcg += 1 / math.Log2(float64(r)+2)
				prec += hits / float64(r+1)
			}
		}
		for r := range min(k, len(test[u])) {
			idcg += 1 / math.Log2(float64(r)+2)
		}
		m.Users++
		m.Recall += hits / float64(len(test[u]))
		m.NDCG += dcg / idcg
		m.MapAtK += prec / float64(min(k, len(test[u])))
		if hits > 0 {
			m.HitRate++
		}
	}
	if m.Users > 0 {
		n := float64(m.Users)
		m.NDCG /= n
		m.Recall /= n
		m.HitRate /= n
		m.MapAtK /= n
	}
	return m
}

// popularity scores items by their number of training positives.
func popularity(pairs []Pair, nItems int) func(u int32, out []float32) {
	cnt := make([]float32, nItems)
	for _, p := range pairs {
		cnt[p.Item]++
	}
	return func(_ int32, out []float32) { copy(out, cnt) }
}
