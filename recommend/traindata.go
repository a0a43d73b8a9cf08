package recommend

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/shopmuse/shopmuse/shop"
)

// trainData is a consistent-enough copy of the interactions for training:
// per user, the distinct items with aggregated, time-decayed strength.
// Items use the dataset's indices at snapshot time.
type trainData struct {
	now     int64
	seq     uint64
	itemIDs []string
	users   []trainUser
	nPairs  int
	// trans are the within-session steps of every user (session.go).
	trans []transition
}

type trainUser struct {
	id    string
	n     int     // events of the user at snapshot time
	items []int32 // most recent first
	w     []float32
	buy   []float32 // strength from purchases and carts only
}

// snapshotChunk is how many users are copied under one read lock, so that
// a pending writer (recordInteractions) never waits long.
const snapshotChunk = 1024

// snapshot copies the training data out of the dataset in chunks.
func (d *Dataset) snapshot(ctx context.Context, now int64) (*trainData, error) {
	td := &trainData{now: now, seq: d.seq.Load()}
	half := d.cfg.HalfLife.Seconds()
	gap := int64(d.cfg.SessionGap.Seconds())
	buyCode := uint8(shop.KindPurchase.Code())
	cartCode := uint8(shop.KindAddToCart.Code())
	pos := map[int32]int{}
	for start := 0; ; start += snapshotChunk {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("recommend: snapshot: %w", err)
		}
		d.mu.RLock()
		if start >= len(d.users) {
			td.itemIDs = make([]string, len(d.items))
			for i := range d.items {
				td.itemIDs[i] = d.items[i].id
			}
			d.mu.RUnlock()
			break
		}
		end := min(start+snapshotChunk, len(d.users))
		for ui := start; ui < end; ui++ {
			u := &d.users[ui]
			if u.id == "" || len(u.events) == 0 {
				continue
			}
			td.trans = sessionTransitions(u.events, gap, td.trans)
			tu := trainUser{id: u.id, n: len(u.events)}
			clear(pos)
			for k := len(u.events) - 1; k >= 0; k-- {
				e := u.events[k]
				w := d.cfg.kindWeight(e.kind, e.value)
				if w <= 0 {
					continue
				}
				w *= decay(now-e.t, half)
				j, ok := pos[e.item]
				if !ok {
					j = len(tu.items)
					pos[e.item] = j
					tu.items = append(tu.items, e.item)
					tu.w = append(tu.w, 0)
					tu.buy = append(tu.buy, 0)
				}
				tu.w[j] += float32(w)
				if e.kind == buyCode || e.kind == cartCode {
					tu.buy[j] += float32(w)
				}
			}
			if len(tu.items) > 0 {
				td.nPairs += len(tu.items)
				td.users = append(td.users, tu)
			}
		}
		d.mu.RUnlock()
	}
	return td, nil
}

// confidence maps an aggregated strength to the weight models use: log
// damping keeps one heavy buyer from dominating an item.
func confidence(w float32) float32 { return float32(math.Log1p(float64(w))) }

// itemUsers is the item-major (CSR) transpose of the user lists.
type itemUsers struct {
	off   []int32 // len nItems+1
	users []int32
	w     []float32
}

// transpose builds the item→users lists; cap limits each user's items to the
// most recent cap (0 = all); weight picks which strength to use.
func (td *trainData) transpose(cap int, weight func(u *trainUser, k int) float32) *itemUsers {
	n := len(td.itemIDs)
	cnt := make([]int32, n+1)
	for ui := range td.users {
		u := &td.users[ui]
		for k, it := range u.items {
			if cap > 0 && k >= cap {
				break
			}
			if weight(u, k) > 0 {
				cnt[it+1]++
			}
		}
	}
	for i := 1; i <= n; i++ {
		cnt[i] += cnt[i-1]
	}
	iu := &itemUsers{off: slices.Clone(cnt), users: make([]int32, cnt[n]), w: make([]float32, cnt[n])}
	fill := cnt[:n]
	for ui := range td.users {
		u := &td.users[ui]
		for k, it := range u.items {
			if cap > 0 && k >= cap {
				break
			}
			if w := weight(u, k); w > 0 {
				p := fill[it]
				iu.users[p], iu.w[p] = int32(ui), w
				fill[it]++
			}
		}
	}
	return iu
}
