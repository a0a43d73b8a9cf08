package recommend

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/shopmuse/shopmuse/vector"
)

// mfModel is a trained matrix factorisation: score(u,i) = p_u · q_i.
type mfModel struct {
	algo    string
	k       int
	itemIDs []string
	itemIdx map[string]int32
	q       []float32 // nItems*k
	c       []float32 // missing-data weight per item, used by fold-in
	gram    []float64 // k*k: sum_i c_i q_i q_i^T, cached for fold-in
	userIDs []string
	userIdx map[string]int32
	userN   []int32   // the user's event count at training: unchanged → p_u is current
	p       []float32 // nUsers*k
	reg     float64
	regNu   float64 // frequency scaling of reg (MFConfig.RegExponent)
	cSum    float64 // sum of c, the missing-data weight of a whole user row
	alpha   float64
	maxNorm float32 // max ‖q_i‖, for the MIPS→cosine augmentation
	// servable marks items that had catalogue metadata at training; the exact
	// scan skips the others.
	servable []bool
	index    vector.Index // ANN over augmented item vectors; nil → exact scan
}

func (m *mfModel) size() int { return 4 * (len(m.q) + len(m.p)) }

func (m *mfModel) item(i int32) []float32 { return m.q[int(i)*m.k : int(i+1)*m.k] }
func (m *mfModel) user(u int32) []float32 { return m.p[int(u)*m.k : int(u+1)*m.k] }

// mfData is the training matrix in both orientations, with eALS weights.
type mfData struct {
	nUsers, nItems int
	uOff           []int32 // user-major CSR
	uItems         []int32
	uW             []float32
	iu             *itemUsers // item-major, weights w_ui
	c              []float32  // missing-data weight per item
}

func newMFData(td *trainData, cfg *MFConfig) *mfData {
	d := &mfData{nUsers: len(td.users), nItems: len(td.itemIDs)}
	d.uOff = make([]int32, 1, d.nUsers+1)
	for ui := range td.users {
		u := &td.users[ui]
		for k, it := range u.items {
			d.uItems = append(d.uItems, it)
			d.uW = append(d.uW, 1+float32(cfg.Alpha)*confidence(u.w[k]))
		}
		d.uOff = append(d.uOff, int32(len(d.uItems)))
	}
	d.iu = td.transpose(0, func(u *trainUser, k int) float32 { return 1 + float32(cfg.Alpha)*confidence(u.w[k]) })
	// Popularity-weighted missing data (He et al. 2016, eq. 7): popular items
	// the user did not touch are more likely true negatives.
	d.c = make([]float32, d.nItems)
	var sum float64
	pw := make([]float64, d.nItems)
	for i := 0; i < d.nItems; i++ {
		f := float64(d.iu.off[i+1] - d.iu.off[i])
		pw[i] = math.Pow(f, cfg.Omega)
		if cfg.Omega == 0 {
			pw[i] = 1
		}
		sum += pw[i]
	}
	// C0 is relative to the average user's number of items, so the balance
	// between observed and missing weight does not depend on catalogue size.
	total := cfg.C0 * float64(len(d.uItems)) / float64(max(d.nUsers, 1))
	for i := range pw {
		if sum > 0 {
			d.c[i] = float32(total * pw[i] / sum)
		}
	}
	return d
}

func newMFModel(td *trainData, cfg *MFConfig, d *mfData) *mfModel {
	k := cfg.Factors
	m := &mfModel{algo: cfg.Algorithm, k: k, itemIDs: td.itemIDs, itemIdx: make(map[string]int32, d.nItems),
		q: make([]float32, d.nItems*k), p: make([]float32, d.nUsers*k), c: d.c,
		userIDs: make([]string, d.nUsers), userIdx: make(map[string]int32, d.nUsers), userN: make([]int32, d.nUsers),
		reg: cfg.Reg, regNu: cfg.RegExponent, alpha: cfg.Alpha}
	for i, id := range td.itemIDs {
		m.itemIdx[id] = int32(i)
	}
	for ui := range td.users {
		m.userIDs[ui] = td.users[ui].id
		m.userIdx[td.users[ui].id] = int32(ui)
		m.userN[ui] = int32(td.users[ui].n)
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed))
	scale := 0.1 / math.Sqrt(float64(k))
	for i := range m.q {
		m.q[i] = float32(rng.NormFloat64() * scale)
	}
	for i := range m.p {
		m.p[i] = float32(rng.NormFloat64() * scale)
	}
	return m
}

// parallel runs fn over [0,n) split into contiguous stripes, one per worker.
func parallel(n, workers int, fn func(lo, hi int)) {
	if workers <= 1 || n < 2*workers {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+step, n))
	}
	wg.Wait()
}

// gramian returns sum_r c_r x_r x_r^T over the rows of x (c nil = 1).
func gramian(x []float32, k int, c []float32, workers int) []float64 {
	n := len(x) / k
	parts := make([][]float64, workers)
	var mu sync.Mutex
	idx := 0
	parallel(n, workers, func(lo, hi int) {
		g := make([]float64, k*k)
		for r := lo; r < hi; r++ {
			row := x[r*k : (r+1)*k]
			w := 1.0
			if c != nil {
				w = float64(c[r])
			}
			for a := 0; a < k; a++ {
				va := w * float64(row[a])
				for b := a; b < k; b++ {
					g[a*k+b] += va * float64(row[b])
				}
			}
		}
		mu.Lock()
		parts[idx] = g
		idx++
		mu.Unlock()
	})
	g := make([]float64, k*k)
	for _, p := range parts {
		for i := range p {
			g[i] += p[i]
		}
	}
	for a := 0; a < k; a++ {
		for b := 0; b < a; b++ {
			g[a*k+b] = g[b*k+a]
		}
	}
	return g
}

// trainEALS runs element-wise ALS for implicit feedback with weighted missing
// data (He, Zhang, Kan, Chua: "Fast Matrix Factorization for Online
// Recommendation with Implicit Feedback", SIGIR 2016). Each sweep costs
// O(|R|k + (M+N)k^2). Users (then items) are independent given the other
// side, so they are updated in parallel; the prediction cache r̂ is kept per
// row in a local buffer, so no shared state is written concurrently.
func trainEALS(ctx context.Context, td *trainData, cfg *MFConfig, progress func(epoch int)) (*mfModel, error) {
	d := newMFData(td, cfg)
	m := newMFModel(td, cfg, d)
	k, workers := cfg.Factors, cfg.Workers
	var cSum float64
	for _, c := range d.c {
		cSum += float64(c)
	}
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("recommend: eALS epoch %d: %w", epoch, err)
		}
		sq := gramian(m.q, k, d.c, workers)
		parallel(d.nUsers, workers, func(lo, hi int) {
			pred := make([]float64, 0, 64)
			for u := lo; u < hi; u++ {
				items := d.uItems[d.uOff[u]:d.uOff[u+1]]
				ws := d.uW[d.uOff[u]:d.uOff[u+1]]
				pu := m.p[u*k : (u+1)*k]
				pred = pred[:0]
				rowW := cSum
				for n, i := range items {
					pred = append(pred, float64(vector.Dot(pu, m.q[int(i)*k:int(i+1)*k])))
					rowW += float64(ws[n])
				}
				lambda := scaledReg(cfg.Reg, cfg.RegExponent, rowW)
				for f := 0; f < k; f++ {
					puf := float64(pu[f])
					var num, den float64
					for n, i := range items {
						qif := float64(m.q[int(i)*k+f])
						w, ci := float64(ws[n]), float64(d.c[i])
						rf := pred[n] - puf*qif
						num += (w - (w-ci)*rf) * qif
						den += (w - ci) * qif * qif
					}
					for g := 0; g < k; g++ {
						if g != f {
							num -= float64(pu[g]) * sq[g*k+f]
						}
					}
					den += sq[f*k+f] + lambda
					nv := num / den
					for n, i := range items {
						pred[n] += (nv - puf) * float64(m.q[int(i)*k+f])
					}
					pu[f] = float32(nv)
				}
			}
		})
		sp := gramian(m.p, k, nil, workers)
		iu := d.iu
		parallel(d.nItems, workers, func(lo, hi int) {
			pred := make([]float64, 0, 64)
			for i := lo; i < hi; i++ {
				users := iu.users[iu.off[i]:iu.off[i+1]]
				ws := iu.w[iu.off[i]:iu.off[i+1]]
				qi := m.q[i*k : (i+1)*k]
				ci := float64(d.c[i])
				pred = pred[:0]
				rowW := ci * float64(d.nUsers)
				for n, u := range users {
					pred = append(pred, float64(vector.Dot(qi, m.p[int(u)*k:int(u+1)*k])))
					rowW += float64(ws[n])
				}
				lambda := scaledReg(cfg.Reg, cfg.RegExponent, rowW)
				for f := 0; f < k; f++ {
					qif := float64(qi[f])
					var num, den float64
					for n, u := range users {
						puf := float64(m.p[int(u)*k+f])
						w := float64(ws[n])
						rf := pred[n] - qif*puf
						num += (w - (w-ci)*rf) * puf
						den += (w - ci) * puf * puf
					}
					for g := 0; g < k; g++ {
						if g != f {
							num -= ci * float64(qi[g]) * sp[g*k+f]
						}
					}
					den += ci*sp[f*k+f] + lambda
					nv := num / den
					for n, u := range users {
						pred[n] += (nv - qif) * float64(m.p[int(u)*k+f])
					}
					qi[f] = float32(nv)
				}
			}
		})
		if progress != nil {
			progress(epoch)
		}
	}
	m.finish(workers)
	return m, nil
}

// scaledReg is the L2 penalty of one row: reg·rowWeight^nu, the
// frequency-scaled regularisation of Rendle et al. ("Revisiting the
// Performance of iALS on Item Recommendation Benchmarks", RecSys 2022). With
// nu = 1 the penalty grows with the row's total weight (observed plus
// missing), so one reg suits shops of any size and density; a fixed penalty
// that suits one shop collapses the model to popularity on a smaller one.
func scaledReg(reg, nu, rowWeight float64) float64 {
	if nu == 0 {
		return reg
	}
	// An item nobody touched has no weight at all (with Omega > 0 not even
	// missing-data weight); the floor keeps its penalty, and so its
	// solution, finite.
	return reg * math.Pow(max(rowWeight, 1), nu)
}

// finish caches what serving and fold-in need.
func (m *mfModel) finish(workers int) {
	m.gram = gramian(m.q, m.k, m.c, workers)
	m.cSum = 0
	for _, c := range m.c {
		m.cSum += float64(c)
	}
	var mx float32
	for i := 0; i < len(m.q)/max(m.k, 1); i++ {
		if n := vector.Dot(m.item(int32(i)), m.item(int32(i))); n > mx {
			mx = n
		}
	}
	m.maxNorm = float32(math.Sqrt(float64(mx)))
}

// trainBPR runs Bayesian Personalised Ranking (Rendle et al. 2009) with SGD
// on sampled (user, positive, negative) triples. To run on two cores without
// data races it uses the stratified scheme of DSGD (Gemulla et al. 2011):
// users and items are split into W blocks, and in each of W sub-epochs worker
// w only touches user block w and item block (w+s) mod W, so no two workers
// ever write the same row. Negatives are drawn from the same item block,
// which keeps the sampling uniform over an epoch.
func trainBPR(ctx context.Context, td *trainData, cfg *MFConfig, epochs int, progress func(epoch int)) (*mfModel, error) {
	d := newMFData(td, cfg)
	m := newMFModel(td, cfg, d)
	k, W := cfg.Factors, max(cfg.Workers, 1)
	lr, reg := float32(cfg.LearningRate), float32(cfg.Reg)
	// Pairs per (user block, item block), and each user's sorted items for
	// rejecting sampled negatives the user actually touched.
	type pair struct{ u, i int32 }
	// Items go to blocks at random: dense indices follow insertion order,
	// which often follows the catalogue's categories, and a negative drawn
	// from the positive's own block must not be biased towards its category.
	perm := rand.New(rand.NewPCG(uint64(cfg.Seed), 0xb10c)).Perm(d.nItems)
	itemBlock := make([]int, d.nItems)
	for i, p := range perm {
		itemBlock[i] = p % W
	}
	blocks := make([][]pair, W*W)
	sortedItems := make([][]int32, d.nUsers)
	for u := 0; u < d.nUsers; u++ {
		items := d.uItems[d.uOff[u]:d.uOff[u+1]]
		sortedItems[u] = slices.Sorted(slices.Values(items))
		for _, i := range items {
			b := (u%W)*W + itemBlock[i]
			blocks[b] = append(blocks[b], pair{int32(u), i})
		}
	}
	blockItems := make([][]int32, W)
	for i := 0; i < d.nItems; i++ {
		blockItems[itemBlock[i]] = append(blockItems[itemBlock[i]], int32(i))
	}
	rngs := make([]*rand.Rand, W)
	for w := range rngs {
		rngs[w] = rand.New(rand.NewPCG(uint64(cfg.Seed)+uint64(w), 0xb9e))
	}
	grad := make([][]float32, W)
	for w := range grad {
		grad[w] = make([]float32, k)
	}
	for epoch := 0; epoch < epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("recommend: BPR epoch %d: %w", epoch, err)
		}
		for s := 0; s < W; s++ {
			var wg sync.WaitGroup
			for w := 0; w < W; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					ib := (w + s) % W
					ps := blocks[w*W+ib]
					cands := blockItems[ib]
					if len(ps) == 0 || len(cands) < 2 {
						return
					}
					rng, tmp := rngs[w], grad[w]
					for range len(ps) {
						pr := ps[rng.IntN(len(ps))]
						var j int32
						for try := 0; try < 10; try++ {
							j = cands[rng.IntN(len(cands))]
							if _, found := slices.BinarySearch(sortedItems[pr.u], j); !found {
								break
							}
						}
						pu := m.p[int(pr.u)*k : int(pr.u+1)*k]
						qi := m.q[int(pr.i)*k : int(pr.i+1)*k]
						qj := m.q[int(j)*k : int(j+1)*k]
						x := vector.Dot(pu, qi) - vector.Dot(pu, qj)
						g := float32(1 / (1 + math.Exp(float64(x)))) // sigma(-x)
						for f := 0; f < k; f++ {
							tmp[f] = pu[f]
							pu[f] += lr * (g*(qi[f]-qj[f]) - reg*pu[f])
						}
						for f := 0; f < k; f++ {
							qi[f] += lr * (g*tmp[f] - reg*qi[f])
							qj[f] += lr * (-g*tmp[f] - reg*qj[f])
						}
					}
				}(w)
			}
			wg.Wait()
		}
		if progress != nil {
			progress(epoch)
		}
	}
	// Fold-in of unseen users solves the eALS least squares against these
	// item factors with uniform missing weights.
	uniform := float32(cfg.C0 * float64(len(d.uItems)) / float64(max(d.nUsers, 1)) / float64(max(d.nItems, 1)))
	for i := range m.c {
		m.c[i] = uniform
	}
	m.finish(cfg.Workers)
	return m, nil
}

// foldIn computes a user vector for the given history without retraining:
// one exact ALS least-squares step against the fixed item factors,
// minimising sum_{i∈R} w_i (1 - p·q_i)^2 + sum_{i∉R} c_i (p·q_i)^2 + λ‖p‖^2.
// It returns nil when no history item is known to the model.
func (m *mfModel) foldIn(items []string, strengths []float64) []float32 {
	if m.algo == AlgoBPR {
		return m.foldInBPR(items, strengths)
	}
	k := m.k
	a := slices.Clone(m.gram)
	b := make([]float64, k)
	found := false
	rowW := m.cSum
	for n, id := range items {
		i, ok := m.itemIdx[id]
		if !ok || strengths[n] <= 0 {
			continue
		}
		found = true
		w := 1 + m.alpha*float64(confidence(float32(strengths[n])))
		rowW += w
		q := m.item(i)
		d := w - float64(m.c[i])
		for x := 0; x < k; x++ {
			b[x] += w * float64(q[x])
			for y := 0; y < k; y++ {
				a[x*k+y] += d * float64(q[x]) * float64(q[y])
			}
		}
	}
	if !found {
		return nil
	}
	lambda := scaledReg(m.reg, m.regNu, rowW)
	for x := 0; x < k; x++ {
		a[x*k+x] += lambda
	}
	sol, ok := solveSPD(a, b, k)
	if !ok {
		return nil
	}
	p := make([]float32, k)
	for x := range p {
		p[x] = float32(sol[x])
	}
	return p
}

// foldInBPR fits a user vector for a BPR model by SGD on the BPR objective
// with the item factors fixed: least squares would be calibrated to the wrong
// loss. It is deterministic (fixed seed) so answers are repeatable.
func (m *mfModel) foldInBPR(items []string, strengths []float64) []float32 {
	var pos []int32
	for n, id := range items {
		if i, ok := m.itemIdx[id]; ok && strengths[n] > 0 {
			pos = append(pos, i)
		}
	}
	if len(pos) == 0 || len(m.itemIDs) < 2 {
		return nil
	}
	known := make(map[int32]bool, len(pos))
	for _, i := range pos {
		known[i] = true
	}
	k := m.k
	p := make([]float32, k)
	// Start from the mean of the positives: already a decent direction.
	for _, i := range pos {
		for f, v := range m.item(i) {
			p[f] += v / float32(len(pos))
		}
	}
	rng := rand.New(rand.NewPCG(uint64(len(pos)), 0xf01d))
	const lr, reg = 0.05, 0.01
	steps := min(20000, 200*len(pos))
	for s := 0; s < steps; s++ {
		qi := m.item(pos[rng.IntN(len(pos))])
		j := int32(rng.IntN(len(m.itemIDs)))
		if known[j] {
			continue
		}
		qj := m.item(j)
		x := vector.Dot(p, qi) - vector.Dot(p, qj)
		g := float32(1 / (1 + math.Exp(float64(x))))
		for f := 0; f < k; f++ {
			p[f] += lr * (g*(qi[f]-qj[f]) - reg*p[f])
		}
	}
	return p
}

// solveSPD solves A x = b for a symmetric positive definite A by Cholesky.
func solveSPD(a, b []float64, k int) ([]float64, bool) {
	l := make([]float64, k*k)
	for i := 0; i < k; i++ {
		for j := 0; j <= i; j++ {
			s := a[i*k+j]
			for t := 0; t < j; t++ {
				s -= l[i*k+t] * l[j*k+t]
			}
			if i == j {
				if s <= 0 {
					return nil, false
				}
				l[i*k+i] = math.Sqrt(s)
			} else {
				l[i*k+j] = s / l[j*k+j]
			}
		}
	}
	y := make([]float64, k)
	for i := 0; i < k; i++ {
		s := b[i]
		for t := 0; t < i; t++ {
			s -= l[i*k+t] * y[t]
		}
		y[i] = s / l[i*k+i]
	}
	x := make([]float64, k)
	for i := k - 1; i >= 0; i-- {
		s := y[i]
		for t := i + 1; t < k; t++ {
			s -= l[t*k+i] * x[t]
		}
		x[i] = s / l[i*k+i]
	}
	return x, true
}

// augment maps an item vector to the unit vector [q/M, sqrt(1-‖q‖²/M²)] so
// that cosine search in a vector.Index ranks by inner product: for a query
// [p/‖p‖, 0], cosine = p·q/(M‖p‖), a positive multiple of p·q
// (Bachrach et al. 2014, the MIPS→NN reduction).
func (m *mfModel) augment(i int32) []float32 {
	q := m.item(i)
	out := make([]float32, m.k+1)
	mx := m.maxNorm
	if mx == 0 {
		return out
	}
	var n2 float32
	for f, v := range q {
		out[f] = v / mx
		n2 += out[f] * out[f]
	}
	out[m.k] = float32(math.Sqrt(math.Max(0, float64(1-n2))))
	return out
}

// buildIndex loads the augmented item vectors into a fresh index.
func (m *mfModel) buildIndex(ctx context.Context, idx vector.Index, payload func(id string) (vector.Payload, bool)) error {
	const batch = 1000
	pts := make([]vector.Point, 0, batch)
	flush := func() error {
		if len(pts) == 0 {
			return nil
		}
		if err := idx.Upsert(ctx, pts); err != nil {
			return fmt.Errorf("recommend: MF index upsert: %w", err)
		}
		pts = pts[:0]
		return nil
	}
	for i, id := range m.itemIDs {
		if !m.servable[i] {
			continue
		}
		pl, _ := payload(id)
		pts = append(pts, vector.Point{ID: id, Vector: m.augment(int32(i)), Payload: pl})
		if len(pts) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// topItems returns the k items with the largest p·q_i, skipping those for
// which skip returns true. With an index it asks the ANN; else it scans.
func (m *mfModel) topItems(ctx context.Context, p []float32, k int, skip func(id string) bool) ([]scored, error) {
	if m.index != nil {
		pn := float32(math.Sqrt(float64(vector.Dot(p, p))))
		if pn == 0 {
			return nil, nil
		}
		qv := make([]float32, m.k+1)
		for f := range p {
			qv[f] = p[f] / pn
		}
		hits, err := m.index.Search(ctx, qv, k+64, nil)
		if err != nil {
			return nil, fmt.Errorf("recommend: MF search: %w", err)
		}
		out := make([]scored, 0, k)
		for _, h := range hits {
			if skip(h.ID) {
				continue
			}
			out = append(out, scored{h.ID, float64(h.Score) * float64(m.maxNorm*pn)})
			if len(out) == k {
				break
			}
		}
		return out, nil
	}
	h := newNbrTop(k)
	for i := range m.itemIDs {
		if !m.servable[i] {
			continue
		}
		x := nbr{int32(i), vector.Dot(p, m.q[i*m.k:(i+1)*m.k])}
		if !h.Admits(x, float64(x.s)) || skip(m.itemIDs[i]) {
			continue
		}
		h.Push(x, float64(x.s))
	}
	top := h.Sorted()
	out := make([]scored, len(top))
	for x, t := range top {
		out[x] = scored{m.itemIDs[t.j], float64(t.s)}
	}
	return out, nil
}
