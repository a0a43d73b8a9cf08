package neural

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"
)

// Config controls training.
type Config struct {
	// Factors is the embedding size of each branch (GMF and MLP each have
	// their own user and item tables of this width).
	Factors int
	// MLPHidden is the first MLP layer's width; the MLP is
	// 2·Factors → MLPHidden → MLPHidden/2, ReLU after each layer.
	MLPHidden int
	Epochs    int
	BatchSize int
	// LearningRate is Adam's step size (β1 0.9, β2 0.999).
	LearningRate float64
	// Negatives is the number of uniformly sampled unobserved items per
	// positive, drawn afresh every epoch.
	Negatives int
	// L2 is added to the gradient as L2·θ for every dense weight and every
	// embedding row touched by a mini-batch.
	L2 float64
	// Workers splits each mini-batch between goroutines (0: GOMAXPROCS).
	// Results are deterministic for a fixed Seed and Workers; they differ
	// slightly between worker counts (float summation order).
	Workers int
	Seed    uint64
	Log     *slog.Logger // nil: silent
}

// DefaultConfig is the NCF paper's setup: 32-d embeddings, MLP 64→32→16,
// 4 negatives, batch 256, Adam 1e-3, no L2. Epochs is 8 because on the synth
// shop (5000 users × 3000 items, ~14 positives per user) NDCG@10 peaks at
// 5–8 epochs and falls by ~13% at 20 as the model memorises; L2 of 1e-5 or
// more only hurt there.
func DefaultConfig() Config {
	return Config{
		Factors: 32, MLPHidden: 32, Epochs: 8, BatchSize: 256, LearningRate: 1e-3,
		Negatives: 4, L2: 0, Workers: 2, Seed: 1,
	}
}

func (c *Config) validate() error {
	switch {
	case c.Factors < 1:
		return errors.New("neural: Factors must be ≥ 1")
	case c.MLPHidden < 2:
		return errors.New("neural: MLPHidden must be ≥ 2")
	case c.Epochs < 0:
		return errors.New("neural: Epochs must be ≥ 0")
	case c.BatchSize < 1:
		return errors.New("neural: BatchSize must be ≥ 1")
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0):
		return errors.New("neural: LearningRate must be > 0")
	case c.Negatives < 1:
		return errors.New("neural: Negatives must be ≥ 1")
	case !(c.L2 >= 0) || math.IsInf(c.L2, 0):
		return errors.New("neural: L2 must be ≥ 0")
	case c.Workers < 0:
		return errors.New("neural: Workers must be ≥ 0")
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return nil
}

// Pair is an implicit positive. Weight scales the positive's loss; 0 means 1.
type Pair struct {
	User, Item int32
	Weight     float32
}

// sample is one training example of an epoch.
type sample struct {
	u, i int32
	y, w float32
}

const (
	adamB1  = 0.9
	adamB2  = 0.999
	adamEps = 1e-7 // Keras' default
)

// trainer owns the parameters, the Adam state and the per-batch buffers.
//
// Parallelism: each mini-batch is split into contiguous chunks, one per
// worker. Workers read the parameters, add dense gradients to private
// buffers and write embedding-row gradients into the example's own slot, so
// the gradient phase shares no written memory. After a barrier, the apply
// phase gives each of the four embedding tables and the dense block to one
// worker (round-robin), which sums the slots in batch order and takes the
// Adam step. Every sum has a fixed order, hence determinism per worker count
// and -race cleanliness without locks or atomics.
type trainer[T float] struct {
	n       *net[T]
	cfg     Config
	workers int

	mEmb, vEmb     [numTables][]T
	mDense, vDense [numDense][]T
	step           int
	lrT            float64 // bias-corrected step size of the current step

	batch []sample
	eg    [numTables][]T // per-example row gradients, BatchSize·f each
	wk    []*worker[T]

	acc     [numTables][]T     // summed row gradients of the batch
	stamp   [numTables][]int32 // step that last touched the row
	touched [numTables][]int32
	gsum    [numDense][]T

	jobs []chan int
	done chan struct{}
}

type worker[T float] struct {
	s    *scratch[T]
	dg   [numDense][]T
	loss float64
	_    [64]byte // keep hot per-worker fields on separate cache lines
}

const (
	phaseGrad = iota
	phaseApply
)

// applyJobs orders the apply phase's jobs (numTables = the dense block) so
// that round-robin over two workers gives each one user table and one item
// table: a batch touches up to 1+Negatives times more item rows than user
// rows, so splitting users from items would leave one worker idle.
var applyJobs = [numTables + 1]int{tPG, tQG, tQM, tPM, numTables}

func newTrainer[T float](n *net[T], cfg Config) *trainer[T] {
	t := &trainer[T]{n: n, cfg: cfg, workers: cfg.Workers}
	for tb := range numTables {
		t.mEmb[tb] = make([]T, len(n.emb[tb]))
		t.vEmb[tb] = make([]T, len(n.emb[tb]))
		t.acc[tb] = make([]T, len(n.emb[tb]))
		t.stamp[tb] = make([]int32, len(n.emb[tb])/n.f)
		for r := range t.stamp[tb] {
			t.stamp[tb][r] = -1
		}
		t.touched[tb] = make([]int32, 0, cfg.BatchSize)
		t.eg[tb] = make([]T, cfg.BatchSize*n.f)
	}
	for d := range numDense {
		t.mDense[d] = make([]T, len(n.dense[d]))
		t.vDense[d] = make([]T, len(n.dense[d]))
		t.gsum[d] = make([]T, len(n.dense[d]))
	}
	for range t.workers {
		w := &worker[T]{s: newScratch(n)}
		for d := range numDense {
			w.dg[d] = make([]T, len(n.dense[d]))
		}
		t.wk = append(t.wk, w)
	}
	return t
}

// start launches workers 1..W-1; worker 0 is the calling goroutine.
func (t *trainer[T]) start() {
	t.done = make(chan struct{}, t.workers)
	t.jobs = make([]chan int, t.workers)
	for w := 1; w < t.workers; w++ {
		t.jobs[w] = make(chan int, 1)
		go func() {
			for ph := range t.jobs[w] {
				t.run(ph, w)
				t.done <- struct{}{}
			}
		}()
	}
}

func (t *trainer[T]) stop() {
	for w := 1; w < t.workers; w++ {
		close(t.jobs[w])
	}
}

// phase runs ph on every worker and waits for all of them (the channel
// operations are the happens-before edges that make the phases race-free).
func (t *trainer[T]) phase(ph int) {
	for w := 1; w < t.workers; w++ {
		t.jobs[w] <- ph
	}
	t.run(ph, 0)
	for w := 1; w < t.workers; w++ {
		<-t.done
	}
}

func (t *trainer[T]) run(ph, w int) {
	switch ph {
	case phaseGrad:
		t.grad(w)
	case phaseApply:
		for j := w; j < len(applyJobs); j += t.workers {
			if tb := applyJobs[j]; tb < numTables {
				t.accumulate(tb)
				t.adamTable(tb)
			} else {
				t.sumDense()
				t.adamDense()
			}
		}
	}
}

// grad is worker w's share of the gradient phase.
func (t *trainer[T]) grad(w int) {
	wk := t.wk[w]
	for d := range numDense {
		clear(wk.dg[d])
	}
	wk.loss = 0
	b := len(t.batch)
	lo, hi := b*w/t.workers, b*(w+1)/t.workers
	f := t.n.f
	var eg [numTables][]T
	for k := lo; k < hi; k++ {
		s := &t.batch[k]
		for tb := range numTables {
			eg[tb] = t.eg[tb][k*f : (k+1)*f]
		}
		wk.loss += t.n.example(s.u, s.i, float64(s.y), float64(s.w), wk.s, &wk.dg, &eg)
	}
}

// accumulate sums table tb's per-example row gradients into acc, visiting
// the batch in order; a row's first touch in this step overwrites, so acc
// never needs clearing.
func (t *trainer[T]) accumulate(tb int) {
	f := t.n.f
	t.touched[tb] = t.touched[tb][:0]
	stamp := int32(t.step)
	for k := range t.batch {
		r := t.batch[k].u
		if isItemTable(tb) {
			r = t.batch[k].i
		}
		dst := t.acc[tb][int(r)*f : int(r+1)*f]
		src := t.eg[tb][k*f : (k+1)*f]
		if t.stamp[tb][r] != stamp {
			t.stamp[tb][r] = stamp
			t.touched[tb] = append(t.touched[tb], r)
			copy(dst, src)
		} else {
			axpy(1, src, dst)
		}
	}
}

func (t *trainer[T]) sumDense() {
	for d := range numDense {
		g := t.gsum[d]
		copy(g, t.wk[0].dg[d])
		for w := 1; w < t.workers; w++ {
			axpy(1, t.wk[w].dg[d], g)
		}
	}
}

// adamUpdate takes one Adam step on p with the batch-summed gradient g.
// The loss is the batch mean, hence the 1/B.
func (t *trainer[T]) adamUpdate(p, g, m, v []T) {
	invB := T(1 / float64(len(t.batch)))
	l2 := T(t.cfg.L2)
	lr := t.lrT
	m, v, g = m[:len(p)], v[:len(p)], g[:len(p)]
	for k := range p {
		gk := g[k]*invB + l2*p[k]
		mk := T(adamB1)*m[k] + T(1-adamB1)*gk
		vk := T(adamB2)*v[k] + T(1-adamB2)*gk*gk
		m[k], v[k] = mk, vk
		p[k] -= T(lr * float64(mk) / (math.Sqrt(float64(vk)) + adamEps))
	}
}

// adamTable updates only the rows the batch touched ("lazy" Adam, as TF's
// LazyAdam): a dense update of every embedding row per batch would cost
// O(users+items) per step and dominate training, while an untouched row's
// gradient is zero anyway. The moments of untouched rows are therefore not
// decayed between their touches.
func (t *trainer[T]) adamTable(tb int) {
	f := t.n.f
	for _, r := range t.touched[tb] {
		lo, hi := int(r)*f, int(r+1)*f
		t.adamUpdate(t.n.emb[tb][lo:hi], t.acc[tb][lo:hi], t.mEmb[tb][lo:hi], t.vEmb[tb][lo:hi])
	}
}

func (t *trainer[T]) adamDense() {
	for d := range numDense {
		t.adamUpdate(t.n.dense[d], t.gsum[d], t.mDense[d], t.vDense[d])
	}
}

// trainBatch takes one optimisation step on batch and returns its summed loss.
func (t *trainer[T]) trainBatch(batch []sample) float64 {
	t.batch = batch
	t.step++
	c1 := 1 - math.Pow(adamB1, float64(t.step))
	c2 := 1 - math.Pow(adamB2, float64(t.step))
	t.lrT = t.cfg.LearningRate * math.Sqrt(c2) / c1
	t.phase(phaseGrad)
	t.phase(phaseApply)
	var loss float64
	for _, w := range t.wk {
		loss += w.loss
	}
	return loss
}

// initNet draws the initial parameters: embeddings N(0, 0.01²) as in the NCF
// paper, He-normal for the ReLU layers, Glorot-uniform for the prediction
// layer, zero biases.
func initNet[T float](n *net[T], rng *rand.Rand) {
	for tb := range numTables {
		for k := range n.emb[tb] {
			n.emb[tb][k] = T(0.01 * rng.NormFloat64())
		}
	}
	he := func(p []T, fanIn int) {
		sd := math.Sqrt(2 / float64(fanIn))
		for k := range p {
			p[k] = T(sd * rng.NormFloat64())
		}
	}
	he(n.dense[dW1], 2*n.f)
	he(n.dense[dW2], n.h1)
	lim := math.Sqrt(6 / float64(n.f+n.h2+1))
	for k := range n.dense[dH] {
		n.dense[dH][k] = T(lim * (2*rng.Float64() - 1))
	}
}

// positives is the users' positive items in CSR form, sorted per user, for
// rejecting sampled negatives that are in fact positives.
type positives struct {
	off   []int32
	items []int32
}

func newPositives(pairs []Pair, nUsers int) positives {
	p := positives{off: make([]int32, nUsers+1), items: make([]int32, len(pairs))}
	for _, pr := range pairs {
		p.off[pr.User+1]++
	}
	for u := range nUsers {
		p.off[u+1] += p.off[u]
	}
	fill := slices.Clone(p.off[:nUsers])
	for _, pr := range pairs {
		p.items[fill[pr.User]] = pr.Item
		fill[pr.User]++
	}
	for u := range nUsers {
		slices.Sort(p.items[p.off[u]:p.off[u+1]])
	}
	return p
}

func (p positives) has(u, i int32) bool {
	_, ok := slices.BinarySearch(p.items[p.off[u]:p.off[u+1]], i)
	return ok
}

func (p positives) distinct(u int32) int {
	s := p.items[p.off[u]:p.off[u+1]]
	n := 0
	for k := range s {
		if k == 0 || s[k] != s[k-1] {
			n++
		}
	}
	return n
}

// epochSamples fills buf with every positive followed by cfg.Negatives
// uniform negatives, then shuffles it. Drawn sequentially from rng, so the
// data order does not depend on the worker count.
func epochSamples(buf []sample, pairs []Pair, pos positives, nItems, negs int, full []bool, rng *rand.Rand) []sample {
	buf = buf[:0]
	for _, pr := range pairs {
		w := pr.Weight
		if w == 0 {
			w = 1
		}
		buf = append(buf, sample{u: pr.User, i: pr.Item, y: 1, w: w})
		if full[pr.User] {
			continue // the user touched every item: no negative exists
		}
		for range negs {
			// Rejection sampling; positives are a small share of the catalogue
			// for nearly every user, and the cap bounds the pathological case.
			for try := 0; try < 64; try++ {
				i := int32(rng.IntN(nItems))
				if !pos.has(pr.User, i) {
					buf = append(buf, sample{u: pr.User, i: i, y: 0, w: 1})
					break
				}
			}
		}
	}
	for k := len(buf) - 1; k > 0; k-- {
		j := rng.IntN(k + 1)
		buf[k], buf[j] = buf[j], buf[k]
	}
	return buf
}

// Train fits a NeuMF model on implicit positives over users [0, nUsers) and
// items [0, nItems). It honours ctx between mini-batches.
func Train(ctx context.Context, pairs []Pair, nUsers, nItems int, cfg Config) (*Model, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if nUsers < 1 || nItems < 2 {
		return nil, fmt.Errorf("neural: need ≥ 1 user and ≥ 2 items, got %d and %d", nUsers, nItems)
	}
	for k, p := range pairs {
		if p.User < 0 || int(p.User) >= nUsers || p.Item < 0 || int(p.Item) >= nItems {
			return nil, fmt.Errorf("neural: pair %d (%d, %d) out of range", k, p.User, p.Item)
		}
		if !(p.Weight >= 0) || math.IsInf(float64(p.Weight), 0) {
			return nil, fmt.Errorf("neural: pair %d has weight %v", k, p.Weight)
		}
	}
	log := cfg.Log
	n := newNet[float32](cfg.Factors, cfg.MLPHidden, cfg.MLPHidden/2, nUsers, nItems)
	initNet(n, rand.New(rand.NewPCG(cfg.Seed, 0x11e7)))
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5a3b1e))

	pos := newPositives(pairs, nUsers)
	full := make([]bool, nUsers)
	for u := range nUsers {
		full[u] = pos.distinct(int32(u)) >= nItems
	}

	t := newTrainer(n, cfg)
	t.start()
	defer t.stop()
	buf := make([]sample, 0, len(pairs)*(1+cfg.Negatives))
	losses := make([]float64, 0, cfg.Epochs)
	for ep := range cfg.Epochs {
		began := time.Now()
		buf = epochSamples(buf, pairs, pos, nItems, cfg.Negatives, full, rng)
		var sum float64
		for lo := 0; lo < len(buf); lo += cfg.BatchSize {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			sum += t.trainBatch(buf[lo:min(lo+cfg.BatchSize, len(buf))])
		}
		loss := sum / float64(max(len(buf), 1))
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, fmt.Errorf("neural: loss diverged at epoch %d (lower LearningRate)", ep+1)
		}
		losses = append(losses, loss)
		if log != nil {
			el := time.Since(began)
			log.Info("neumf epoch", "epoch", ep+1, "of", cfg.Epochs, "loss", loss,
				"samples", len(buf), "took", el.Round(time.Millisecond),
				"samples_per_s", int(float64(len(buf))/el.Seconds()))
		}
	}
	return newModel(n, losses), nil
}
