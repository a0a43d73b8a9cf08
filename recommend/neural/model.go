package neural

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"sync"
)

// Model is a trained NeuMF network. Scoring is safe for concurrent use. A
// zero Model is only good as the target of UnmarshalBinary.
type Model struct {
	n      *net[float32]
	losses []float64
	// itemPre[i] = W1[:, f:] · q_m(i): the item's share of the first MLP
	// layer, which does not depend on the user, so ScoreAll pays it once per
	// model instead of once per (user, item).
	itemPre []float32
	zeroRow []float32  // the embedding of an unknown user
	pool    *sync.Pool // of *userState
}

// userState is the per-call precomputation of one user.
type userState struct {
	hg  []float32 // h_gmf ⊙ p_g(u)
	pre []float32 // b1 + W1[:, :f] · p_m(u)
	a1  []float32
}

func newModel(n *net[float32], losses []float64) *Model {
	m := &Model{n: n, losses: losses, zeroRow: make([]float32, n.f), pool: new(sync.Pool)}
	f, h1 := n.f, n.h1
	m.itemPre = make([]float32, n.nItems*h1)
	w1 := n.dense[dW1]
	for i := range n.nItems {
		q := n.row(tQM, int32(i))
		for h := range h1 {
			m.itemPre[i*h1+h] = dotT(w1[h*2*f+f:(h+1)*2*f], q)
		}
	}
	m.pool.New = func() any {
		return &userState{hg: make([]float32, f), pre: make([]float32, h1), a1: make([]float32, h1)}
	}
	return m
}

// Users is the number of users the model was trained over.
func (m *Model) Users() int { return m.n.nUsers }

// Items is the number of items; ScoreAll writes this many scores.
func (m *Model) Items() int { return m.n.nItems }

// Losses is the mean training loss of each epoch.
func (m *Model) Losses() []float64 { return append([]float64(nil), m.losses...) }

func (m *Model) user(u int32) *userState {
	st := m.pool.Get().(*userState)
	n := m.n
	pg, pm := m.zeroRow, m.zeroRow
	if u >= 0 && int(u) < n.nUsers {
		pg, pm = n.row(tPG, u), n.row(tPM, u)
	}
	hv := n.dense[dH]
	for k := range n.f {
		st.hg[k] = hv[k] * pg[k]
	}
	w1, b1 := n.dense[dW1], n.dense[dB1]
	for h := range n.h1 {
		st.pre[h] = b1[h] + dotT(w1[h*2*n.f:h*2*n.f+n.f], pm)
	}
	return st
}

func (m *Model) score(st *userState, i int32) float32 {
	n := m.n
	h1 := n.h1
	pre := m.itemPre[int(i)*h1 : int(i+1)*h1]
	for h := range h1 {
		st.a1[h] = max(st.pre[h]+pre[h], 0)
	}
	w2, b2, hm := n.dense[dW2], n.dense[dB2], n.dense[dH][n.f:]
	l := n.dense[dB][0] + dotT(st.hg, n.row(tQG, i))
	for j := range n.h2 {
		if z := b2[j] + dotT(w2[j*h1:(j+1)*h1], st.a1); z > 0 {
			l += hm[j] * z
		}
	}
	return l
}

// Score writes the logit of each item for user to out (len(out) ≥
// len(items)); σ(logit) is the predicted interaction probability, and
// ranking by logit avoids float32 saturation near 1. A user outside the
// trained range scores with a zero embedding (the items' user-independent
// part); an item outside it scores -Inf.
func (m *Model) Score(user int32, items []int32, out []float32) {
	out = out[:len(items)]
	st := m.user(user)
	for k, i := range items {
		if i < 0 || int(i) >= m.n.nItems {
			out[k] = float32(math.Inf(-1))
			continue
		}
		out[k] = m.score(st, i)
	}
	m.pool.Put(st)
}

// ScoreAll writes the logit of every item for user to out (len(out) ≥ Items()).
func (m *Model) ScoreAll(user int32, out []float32) {
	out = out[:m.n.nItems]
	st := m.user(user)
	for i := range out {
		out[i] = m.score(st, int32(i))
	}
	m.pool.Put(st)
}

// Snapshot format, little-endian:
//
//	magic "SMNEUMF\x00", version u32 = 1,
//	f, h1, h2, nUsers, nItems, nLosses u32,
//	losses f64…, embedding tables pg qg pm qm f32…, dense w1 b1 w2 b2 h b f32…,
//	crc32 (IEEE) of everything before it u32.
const (
	snapMagic   = "SMNEUMF\x00"
	snapVersion = 1
	snapHeader  = len(snapMagic) + 4 + 6*4
)

// MarshalBinary encodes the model in a versioned, checksummed format.
func (m *Model) MarshalBinary() ([]byte, error) {
	n := m.n
	size := snapHeader + 8*len(m.losses) + 4
	for _, t := range n.emb {
		size += 4 * len(t)
	}
	for _, d := range n.dense {
		size += 4 * len(d)
	}
	b := make([]byte, 0, size)
	b = append(b, snapMagic...)
	for _, v := range []int{snapVersion, n.f, n.h1, n.h2, n.nUsers, n.nItems, len(m.losses)} {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	for _, l := range m.losses {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(l))
	}
	put := func(s []float32) {
		for _, v := range s {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	for _, t := range n.emb {
		put(t)
	}
	for _, d := range n.dense {
		put(d)
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	return b, nil
}

// UnmarshalBinary replaces m with the encoded model. m must not be in use.
func (m *Model) UnmarshalBinary(b []byte) error {
	if len(b) < snapHeader+4 || string(b[:len(snapMagic)]) != snapMagic {
		return errors.New("neural: not a NeuMF snapshot")
	}
	body := b[:len(b)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return errors.New("neural: snapshot checksum mismatch")
	}
	var hdr [7]int
	for k := range hdr {
		hdr[k] = int(binary.LittleEndian.Uint32(body[len(snapMagic)+4*k:]))
	}
	if hdr[0] != snapVersion {
		return fmt.Errorf("neural: snapshot version %d, want %d", hdr[0], snapVersion)
	}
	f, h1, h2, nUsers, nItems, nLosses := hdr[1], hdr[2], hdr[3], hdr[4], hdr[5], hdr[6]
	if f < 1 || h1 < 1 || h2 < 1 || nUsers < 1 || nItems < 1 {
		return errors.New("neural: snapshot has empty dimensions")
	}
	// Check the size before allocating, in 64-bit arithmetic, so a corrupt
	// header cannot request a huge allocation.
	want := uint64(snapHeader) + 8*uint64(nLosses) +
		4*(2*uint64(nUsers)*uint64(f)+2*uint64(nItems)*uint64(f)) +
		4*(uint64(h1)*2*uint64(f)+uint64(h1)+uint64(h2)*uint64(h1)+uint64(h2)+uint64(f)+uint64(h2)+1)
	if want != uint64(len(body)) {
		return fmt.Errorf("neural: snapshot is %d bytes, header implies %d", len(body), want)
	}
	n := newNet[float32](f, h1, h2, nUsers, nItems)
	p := body[snapHeader:]
	losses := make([]float64, nLosses)
	for k := range losses {
		losses[k] = math.Float64frombits(binary.LittleEndian.Uint64(p))
		p = p[8:]
	}
	get := func(s []float32) {
		for k := range s {
			s[k] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*k:]))
		}
		p = p[4*len(s):]
	}
	for _, t := range n.emb {
		get(t)
	}
	for _, d := range n.dense {
		get(d)
	}
	*m = *newModel(n, losses) // a fresh pool: old states may have other sizes
	return nil
}
