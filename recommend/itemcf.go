package recommend

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/shopmuse/shopmuse/internal/topk"
)

// nbr is one neighbour of an item in a CF model.
type nbr struct {
	j int32
	s float32
}

// cfModel is a trained item-to-item model: for every item its most similar
// items by cosine over users' weighted histories (all kinds), separately
// by purchases and carts only (for complementary products), and the items
// shoppers move on to from it within a session (session.go).
type cfModel struct {
	ids  []string
	idx  map[string]int32
	nbr  [][]nbr
	buy  [][]nbr
	next [][]nbr
	norm []float32 // sum of squared weights per item, for real-time updates
	// cite and citeNext are the floors a reason's similarity must clear
	// (cite.go), learned at Train and Restore.
	cite, citeNext citeFloors
}

func (m *cfModel) size() int {
	n := 0
	for i := range m.nbr {
		n += len(m.nbr[i]) + len(m.buy[i]) + len(m.next[i])
	}
	return n
}

// trainCF computes both neighbour sets from td using workers goroutines.
func trainCF(ctx context.Context, td *trainData, cfg *Config) (*cfModel, error) {
	m := &cfModel{ids: td.itemIDs, idx: make(map[string]int32, len(td.itemIDs))}
	for i, id := range td.itemIDs {
		m.idx[id] = int32(i)
	}
	all := td.transpose(cfg.CFHistory, func(u *trainUser, k int) float32 { return confidence(u.w[k]) })
	var err error
	if m.nbr, m.norm, err = cooccur(ctx, td, all, cfg, func(u *trainUser, k int) float32 { return confidence(u.w[k]) }); err != nil {
		return nil, err
	}
	buy := td.transpose(cfg.CFHistory, func(u *trainUser, k int) float32 { return confidence(u.buy[k]) })
	if m.buy, _, err = cooccur(ctx, td, buy, cfg, func(u *trainUser, k int) float32 { return confidence(u.buy[k]) }); err != nil {
		return nil, err
	}
	if m.next, err = trainSessions(ctx, len(td.itemIDs), td.trans, cfg); err != nil {
		return nil, err
	}
	return m, nil
}

// cooccur accumulates, for each item i, sum_u w_ui*w_uj over users holding
// both, into a dense scratch row (one per worker), then keeps the top
// neighbours by shrunk cosine. Cost is sum over users of |history|^2.
func cooccur(ctx context.Context, td *trainData, iu *itemUsers, cfg *Config, weight func(u *trainUser, k int) float32) ([][]nbr, []float32, error) {
	n := len(td.itemIDs)
	norm := make([]float32, n)
	for i := 0; i < n; i++ {
		var s float32
		for p := iu.off[i]; p < iu.off[i+1]; p++ {
			s += iu.w[p] * iu.w[p]
		}
		norm[i] = s
	}
	out := make([][]nbr, n)
	workers := max(cfg.MF.Workers, 1)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			acc := make([]float32, n)
			cnt := make([]int32, n)
			var touched []int32
			top := newNbrTop(cfg.CFNeighbours)
			for i := w; i < n; i += workers {
				if i%4096 == w && ctx.Err() != nil {
					errs[w] = fmt.Errorf("recommend: item-CF: %w", ctx.Err())
					return
				}
				if iu.off[i] == iu.off[i+1] {
					continue
				}
				touched = touched[:0]
				for p := iu.off[i]; p < iu.off[i+1]; p++ {
					u := &td.users[iu.users[p]]
					wi := iu.w[p]
					for k, j := range u.items {
						if k >= cfg.CFHistory {
							break
						}
						if j == int32(i) {
							continue
						}
						wj := weight(u, k)
						if wj <= 0 {
							continue
						}
						if cnt[j] == 0 {
							touched = append(touched, j)
						}
						acc[j] += wi * wj
						cnt[j]++
					}
				}
				top.Reset()
				ni := float64(norm[i])
				for _, j := range touched {
					c := float64(cnt[j])
					sim := float32(float64(acc[j]) / math.Sqrt(ni*float64(norm[j])) * c / (c + cfg.CFShrink))
					top.Push(nbr{j, sim}, float64(sim))
					acc[j], cnt[j] = 0, 0
				}
				out[i] = top.Sorted()
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	return out, norm, nil
}

// newNbrTop keeps the k best neighbours by score, ties by the smaller
// index: the order the lists are stored in.
func newNbrTop(k int) *topk.Keeper[nbr] {
	return topk.New(k, func(a, b nbr) bool { return a.j > b.j })
}

// cfOverlay holds real-time co-occurrence increments that arrived after the
// serving model's snapshot. It is approximate on purpose: an increment is
// normalised by the item norms of the trained model rather than renormalising
// every affected pair, which keeps recordInteractions O(recent items). The
// next training folds the events in exactly.
type cfOverlay struct {
	mu sync.RWMutex
	m  map[string]map[string]float32
	n  int
}

// maxOverlayPairs bounds the overlay's memory between trainings.
const maxOverlayPairs = 2_000_000

func newOverlay() *cfOverlay { return &cfOverlay{m: map[string]map[string]float32{}} }

func (o *cfOverlay) add(a, b string, s float32) {
	for _, p := range [2][2]string{{a, b}, {b, a}} {
		row := o.m[p[0]]
		if row == nil {
			row = map[string]float32{}
			o.m[p[0]] = row
		}
		if _, ok := row[p[1]]; !ok {
			o.n++
		}
		row[p[1]] += s
	}
}

// neighbours calls fn for each overlay neighbour of id; called with o.mu held.
func (o *cfOverlay) neighbours(id string, fn func(j string, s float32)) {
	for j, s := range o.m[id] {
		fn(j, s)
	}
}

// applyRealtime adds the co-occurrence of each new event with the user's
// recent items to the overlay.
func (o *cfOverlay) applyRealtime(pairs []realtimePair, m *cfModel) {
	if len(pairs) == 0 {
		return
	}
	normOf := func(id string, w float32) float64 {
		if m != nil {
			if i, ok := m.idx[id]; ok && m.norm[i] > 0 {
				return float64(m.norm[i] + w*w)
			}
		}
		return float64(1 + w*w)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, p := range pairs {
		wj := confidence(float32(p.w))
		nj := normOf(p.item, wj)
		for _, r := range p.recent {
			if r.id == p.item || r.w <= 0 || o.n >= maxOverlayPairs {
				continue
			}
			wi := confidence(float32(r.w))
			o.add(r.id, p.item, float32(float64(wi*wj)/math.Sqrt(nj*normOf(r.id, wi))))
		}
	}
}
