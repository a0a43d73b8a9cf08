package neural

import (
	"math"

	"github.com/viterin/vek"

	"github.com/shopmuse/shopmuse/vector"
)

// float is the element type of the network. Training and serving use
// float32; the gradient check instantiates the very same code with float64 so
// finite differences are precise enough to prove the backward pass.
type float interface{ float32 | float64 }

// Embedding tables, indexed by user (tPG, tPM) or item (tQG, tQM).
const (
	tPG = iota // GMF user embeddings
	tQG        // GMF item embeddings
	tPM        // MLP user embeddings
	tQM        // MLP item embeddings
	numTables
)

// Dense parameters.
const (
	dW1 = iota // h1 × 2f, row-major: first MLP layer over [p_m; q_m]
	dB1
	dW2 // h2 × h1: second MLP layer
	dB2
	dH // f + h2: the prediction layer over [gmf; mlp]
	dB // 1: its bias
	numDense
)

// net is a NeuMF network with every parameter in a flat slice:
//
//	gmf   = p_g ⊙ q_g
//	a1    = relu(W1 [p_m; q_m] + b1)
//	a2    = relu(W2 a1 + b2)
//	logit = h · [gmf; a2] + b,  p = σ(logit)
type net[T float] struct {
	f, h1, h2      int
	nUsers, nItems int
	emb            [numTables][]T
	dense          [numDense][]T
}

func newNet[T float](f, h1, h2, nUsers, nItems int) *net[T] {
	n := &net[T]{f: f, h1: h1, h2: h2, nUsers: nUsers, nItems: nItems}
	for t := range numTables {
		rows := nUsers
		if isItemTable(t) {
			rows = nItems
		}
		n.emb[t] = make([]T, rows*f)
	}
	sz := n.denseSizes()
	for d := range numDense {
		n.dense[d] = make([]T, sz[d])
	}
	return n
}

func isItemTable(t int) bool { return t == tQG || t == tQM }

func (n *net[T]) denseSizes() [numDense]int {
	return [numDense]int{n.h1 * 2 * n.f, n.h1, n.h2 * n.h1, n.h2, n.f + n.h2, 1}
}

func (n *net[T]) row(t int, r int32) []T {
	return n.emb[t][int(r)*n.f : int(r+1)*n.f]
}

// scratch holds one example's activations; one per worker so the inner loop
// never allocates.
type scratch[T float] struct {
	x0, z1, a1, z2, a2, dz1, dz2 []T
}

func newScratch[T float](n *net[T]) *scratch[T] {
	return &scratch[T]{
		x0: make([]T, 2*n.f), z1: make([]T, n.h1), a1: make([]T, n.h1),
		z2: make([]T, n.h2), a2: make([]T, n.h2), dz1: make([]T, n.h1), dz2: make([]T, n.h2),
	}
}

// dotT is the inner product for either element type: vector.Dot (vek32's
// AVX2 kernel) for float32, vek's float64 kernel for the gradient check.
func dotT[T float](a, b []T) T {
	if a32, ok := any(a).([]float32); ok {
		return T(vector.Dot(a32, any(b).([]float32)))
	}
	a64, b64 := any(a).([]float64), any(b).([]float64)
	if len(a64) == 0 { // vek panics on empty input
		return 0
	}
	return T(vek.Dot(a64, b64))
}

// axpy: y += a·x.
// Unrolled by four: the compiler does not vectorise, and this is the
// hottest loop of training (the first layer's weight and input gradients).
func axpy[T float](a T, x, y []T) {
	n := len(x)
	y = y[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		x4, y4 := x[i:i+4:i+4], y[i:i+4:i+4]
		y4[0] += a * x4[0]
		y4[1] += a * x4[1]
		y4[2] += a * x4[2]
		y4[3] += a * x4[3]
	}
	for ; i < n; i++ {
		y[i] += a * x[i]
	}
}

// example runs forward and backward for one (user, item, label, weight) and
// returns its loss w·BCE(σ(logit), y). Dense gradients are ADDED to dg (a
// worker's private buffers); the four embedding-row gradients are WRITTEN to
// eg (this example's own slots), so workers never share a written cell.
func (n *net[T]) example(u, i int32, y, w float64, s *scratch[T], dg *[numDense][]T, eg *[numTables][]T) float64 {
	f, h1, h2 := n.f, n.h1, n.h2
	pg, qg := n.row(tPG, u), n.row(tQG, i)
	pm, qm := n.row(tPM, u), n.row(tQM, i)
	w1, b1, w2, b2, hv := n.dense[dW1], n.dense[dB1], n.dense[dW2], n.dense[dB2], n.dense[dH]

	// Forward.
	x0 := s.x0
	copy(x0[:f], pm)
	copy(x0[f:], qm)
	for h := range h1 {
		z := b1[h] + dotT(w1[h*2*f:(h+1)*2*f], x0)
		s.z1[h] = z
		s.a1[h] = max(z, 0)
	}
	for j := range h2 {
		z := b2[j] + dotT(w2[j*h1:(j+1)*h1], s.a1)
		s.z2[j] = z
		s.a2[j] = max(z, 0)
	}
	logit := n.dense[dB][0] + dotT(hv[f:], s.a2)
	for k := range f {
		logit += hv[k] * pg[k] * qg[k]
	}

	// Loss and dL/dlogit in float64: softplus(x) − y·x is the stable form of
	// −y·log σ(x) − (1−y)·log(1−σ(x)).
	x := float64(logit)
	loss := w * (math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) - y*x)
	dl := T(w * (1/(1+math.Exp(-x)) - y))

	// Prediction layer.
	gh := dg[dH]
	for k := range f {
		gh[k] += dl * pg[k] * qg[k]
	}
	axpy(dl, s.a2, gh[f:])
	dg[dB][0] += dl

	// GMF branch.
	epg, eqg := eg[tPG], eg[tQG]
	for k := range f {
		c := dl * hv[k]
		epg[k] = c * qg[k]
		eqg[k] = c * pg[k]
	}

	// Second MLP layer; ReLU passes gradient only where z > 0.
	gw2, gb2 := dg[dW2], dg[dB2]
	clear(s.dz1)
	for j := range h2 {
		var d T
		if s.z2[j] > 0 {
			d = dl * hv[f+j]
		}
		s.dz2[j] = d
		if d == 0 {
			continue
		}
		gb2[j] += d
		axpy(d, s.a1, gw2[j*h1:(j+1)*h1])
		axpy(d, w2[j*h1:(j+1)*h1], s.dz1) // dz1 = W2ᵀ dz2, masked below
	}

	// First MLP layer, and the gradient into [p_m; q_m].
	gw1, gb1 := dg[dW1], dg[dB1]
	epm, eqm := eg[tPM], eg[tQM]
	clear(epm)
	clear(eqm)
	for h := range h1 {
		if s.z1[h] <= 0 {
			continue
		}
		d := s.dz1[h]
		if d == 0 {
			continue
		}
		gb1[h] += d
		axpy(d, x0, gw1[h*2*f:(h+1)*2*f])
		row := w1[h*2*f : (h+1)*2*f]
		axpy(d, row[:f], epm)
		axpy(d, row[f:], eqm)
	}
	return loss
}

// logit is the forward pass alone (used by the gradient check and as the
// reference for the precomputed serving path).
func (n *net[T]) logit(u, i int32, s *scratch[T]) T {
	f := n.f
	copy(s.x0[:f], n.row(tPM, u))
	copy(s.x0[f:], n.row(tQM, i))
	for h := range n.h1 {
		s.a1[h] = max(n.dense[dB1][h]+dotT(n.dense[dW1][h*2*f:(h+1)*2*f], s.x0), 0)
	}
	for j := range n.h2 {
		s.a2[j] = max(n.dense[dB2][j]+dotT(n.dense[dW2][j*n.h1:(j+1)*n.h1], s.a1), 0)
	}
	hv := n.dense[dH]
	l := n.dense[dB][0] + dotT(hv[f:], s.a2)
	pg, qg := n.row(tPG, u), n.row(tQG, i)
	for k := range f {
		l += hv[k] * pg[k] * qg[k]
	}
	return l
}
