package recommend

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopmuse/shopmuse/internal/topk"
	"github.com/shopmuse/shopmuse/shop"
)

// event is one interaction in compact form: 24 bytes instead of a
// shop.Interaction's ~100, so a million events stay small.
type event struct {
	t     int64 // unix seconds
	item  int32 // dense item index
	value float32
	kind  uint8
}

type userRec struct {
	id        string
	events    []event // ascending by time
	interests []string
	// age and gender are the declared profile, for merchandising segments.
	age    *int
	gender *shop.Gender
}

// decayed is an exponentially decayed sum: its value at time t is
// v * 2^(-(t-ref)/halfLife). Adding an old event discounts it to ref.
type decayed struct {
	v   float64
	ref int64
}

func (d *decayed) add(w float64, t int64, half float64) {
	if d.v == 0 || t >= d.ref {
		d.v = d.v*decay(t-d.ref, half) + w
		d.ref = t
		return
	}
	d.v += w * decay(d.ref-t, half)
	if d.v < 0 { // erasure can subtract rounding error below zero
		d.v = 0
	}
}

func (d *decayed) at(t int64, half float64) float64 {
	return d.v * math.Exp2(-float64(t-d.ref)/half)
}

type itemRec struct {
	id      string
	product *shop.Product // nil when the catalogue does not (or no longer) know it
	pop     decayed
	trend   decayed
	events  int32
}

// decay is 2^(-dt/half) for dt >= 0; future events (client clock drift)
// count as now.
func decay(dt int64, half float64) float64 {
	if dt <= 0 || half <= 0 {
		return 1
	}
	return math.Exp2(-float64(dt) / half)
}

// Dataset is the in-memory view of users, products and interactions that the
// retrievers and the trainer read. Users and items get dense int32 indices so
// that models can use flat arrays. All methods are safe for concurrent use;
// writes hold the lock only for in-memory appends.
type Dataset struct {
	cfg                *Config
	halfPop, halfTrend float64 // seconds
	mu                 sync.RWMutex
	userIdx            map[string]int32
	users              []userRec // erased users leave an empty slot
	itemIdx            map[string]int32
	items              []itemRec
	nEvents            int
	seq                atomic.Uint64 // interactions accepted since start
	top                atomic.Pointer[topLists]
	rebuilding         atomic.Bool
}

// NewDataset returns an empty dataset using cfg's kind weights and half-lives.
func NewDataset(cfg Config) (*Dataset, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return newDataset(&c), nil
}

func newDataset(c *Config) *Dataset {
	return &Dataset{cfg: c, halfPop: c.PopularHalfLife.Seconds(), halfTrend: c.TrendingHalfLife.Seconds(),
		userIdx: map[string]int32{}, itemIdx: map[string]int32{}}
}

// realtimePair is what a new event means for real-time item-CF: the event's
// item, its weight and the user's recent other items with theirs.
type realtimePair struct {
	item   string
	w      float64
	recent []weightedItem
}

type weightedItem struct {
	id string
	w  float64
}

// validateInteractions checks every row first so that a bad batch changes
// nothing.
func validateInteractions(its []shop.Interaction) error {
	for i := range its {
		it := &its[i]
		if code, msg := shop.ValidateID(it.UserID); code != "" {
			return fmt.Errorf("recommend: interaction %d: userID %s", i, msg)
		}
		if code, msg := shop.ValidateID(it.ProductID); code != "" {
			return fmt.Errorf("recommend: interaction %d: productID %s", i, msg)
		}
		if !it.Kind.Valid() {
			return fmt.Errorf("recommend: interaction %d: unknown kind %q", i, it.Kind)
		}
		if it.Kind == shop.KindRate && it.Value == nil {
			return fmt.Errorf("recommend: interaction %d: RATE without a value", i)
		}
		if it.OccurredAt.IsZero() {
			return fmt.Errorf("recommend: interaction %d: occurredAt is zero", i)
		}
	}
	return nil
}

// AddInteractions appends events. Unknown users and products get indices on
// the fly (events may arrive before the catalogue at startup). It validates
// the whole batch first and adds nothing when a row is bad.
func (d *Dataset) AddInteractions(its []shop.Interaction) error {
	_, err := d.addInteractions(its, 0)
	return err
}

// addInteractions also returns, when recent > 0, the real-time CF pairs.
func (d *Dataset) addInteractions(its []shop.Interaction, recent int) ([]realtimePair, error) {
	if err := validateInteractions(its); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.addLocked(its, recent), nil
}

// addInteractionsOnce is addInteractions for events that may have been
// added already: it skips each whose user already holds an event with the
// same product, kind, second and value, checked and added under one lock.
// It returns the pairs and how many events were added.
func (d *Dataset) addInteractionsOnce(its []shop.Interaction, recent int) ([]realtimePair, int, error) {
	if err := validateInteractions(its); err != nil {
		return nil, 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	fresh := make([]shop.Interaction, 0, len(its))
	for _, it := range its {
		if !d.holdsLocked(&it) {
			fresh = append(fresh, it)
		}
	}
	return d.addLocked(fresh, recent), len(fresh), nil
}

// holdsLocked reports whether the user already has this event (to the
// second: the dataset keeps Unix seconds). Called with d.mu held.
func (d *Dataset) holdsLocked(it *shop.Interaction) bool {
	ui, ok := d.userIdx[it.UserID]
	if !ok {
		return false
	}
	ii, ok := d.itemIdx[it.ProductID]
	if !ok {
		return false
	}
	var v float32
	if it.Value != nil {
		v = float32(*it.Value)
	}
	t, kind := it.OccurredAt.Unix(), uint8(it.Kind.Code())
	evs := d.users[ui].events
	k, _ := slices.BinarySearchFunc(evs, t, func(e event, t int64) int { return cmp.Compare(e.t, t) })
	for ; k < len(evs) && evs[k].t == t; k++ {
		if e := evs[k]; e.item == ii && e.kind == kind && e.value == v {
			return true
		}
	}
	return false
}

// addLocked adds events; called with d.mu held.
func (d *Dataset) addLocked(its []shop.Interaction, recent int) []realtimePair {
	var pairs []realtimePair
	for i := range its {
		it := &its[i]
		ui := d.internUser(it.UserID)
		ii := d.internItem(it.ProductID)
		var v float32
		if it.Value != nil {
			v = float32(*it.Value)
		}
		ev := event{t: it.OccurredAt.Unix(), item: ii, value: v, kind: uint8(it.Kind.Code())}
		u := &d.users[ui]
		if recent > 0 {
			if w := d.cfg.kindWeight(ev.kind, ev.value); w > 0 {
				pairs = append(pairs, realtimePair{item: it.ProductID, w: w, recent: d.recentItems(u, ii, recent)})
			}
		}
		// Events mostly arrive in time order; a back-filled one is inserted
		// in place so the list stays sorted.
		n := len(u.events)
		if n == 0 || u.events[n-1].t <= ev.t {
			u.events = append(u.events, ev)
		} else {
			pos, _ := slices.BinarySearchFunc(u.events, ev.t, func(e event, t int64) int {
				if e.t <= t {
					return -1
				}
				return 1
			})
			u.events = slices.Insert(u.events, pos, ev)
		}
		w := d.cfg.kindWeight(ev.kind, ev.value)
		item := &d.items[ii]
		item.pop.add(w, ev.t, d.halfPop)
		item.trend.add(w, ev.t, d.halfTrend)
		item.events++
		d.nEvents++
	}
	d.seq.Add(uint64(len(its)))
	return pairs
}

// recentItems returns up to n distinct items the user touched most recently,
// other than skip, with their kind weight. Called with d.mu held.
func (d *Dataset) recentItems(u *userRec, skip int32, n int) []weightedItem {
	var out []weightedItem
	seen := map[int32]int{}
	for k := len(u.events) - 1; k >= 0 && len(out) < n; k-- {
		e := u.events[k]
		if e.item == skip {
			continue
		}
		w := d.cfg.kindWeight(e.kind, e.value)
		if j, ok := seen[e.item]; ok {
			out[j].w = max(out[j].w, w)
			continue
		}
		seen[e.item] = len(out)
		out = append(out, weightedItem{id: d.items[e.item].id, w: w})
	}
	return out
}

func (d *Dataset) internUser(id string) int32 {
	if i, ok := d.userIdx[id]; ok {
		return i
	}
	i := int32(len(d.users))
	d.users = append(d.users, userRec{id: id})
	d.userIdx[id] = i
	return i
}

func (d *Dataset) internItem(id string) int32 {
	if i, ok := d.itemIdx[id]; ok {
		return i
	}
	i := int32(len(d.items))
	d.items = append(d.items, itemRec{id: id})
	d.itemIdx[id] = i
	return i
}

// UpsertProducts records product metadata (for filters, reasons and
// categories). The products are copied.
func (d *Dataset) UpsertProducts(ps []shop.Product) error {
	for i := range ps {
		if code, msg := shop.ValidateID(ps[i].ID); code != "" {
			return fmt.Errorf("recommend: product %d: id %s", i, msg)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range ps {
		p := ps[i]
		p.Tags = slices.Clone(p.Tags)
		p.Attributes = nil // not used here; don't hold the memory
		p.Description = ""
		d.items[d.internItem(p.ID)].product = &p
	}
	d.top.Store(nil)
	return nil
}

// DeleteProducts forgets products' metadata so they are never recommended.
// Their past events stay (they still describe users' tastes) until the
// events themselves go.
func (d *Dataset) DeleteProducts(ids []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		if i, ok := d.itemIdx[id]; ok {
			d.items[i].product = nil
		}
	}
	d.top.Store(nil)
}

// UpsertUsers records declared profiles (interests feed cold start).
func (d *Dataset) UpsertUsers(us []shop.User) error {
	for i := range us {
		if code, msg := shop.ValidateID(us[i].ID); code != "" {
			return fmt.Errorf("recommend: user %d: id %s", i, msg)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range us {
		ui := d.internUser(us[i].ID)
		d.users[ui].interests = slices.Clone(us[i].Interests)
		d.users[ui].age, d.users[ui].gender = clonePtr(us[i].Age), clonePtr(us[i].Gender)
	}
	return nil
}

// DeleteUser erases a user: their profile, their events, and their share of
// every item counter. It reports whether the user was known.
func (d *Dataset) DeleteUser(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	ui, ok := d.userIdx[id]
	if !ok {
		return false
	}
	for _, e := range d.users[ui].events {
		w := d.cfg.kindWeight(e.kind, e.value)
		it := &d.items[e.item]
		it.pop.add(-w, e.t, d.halfPop)
		it.trend.add(-w, e.t, d.halfTrend)
		it.events--
		d.nEvents--
	}
	d.users[ui] = userRec{}
	delete(d.userIdx, id)
	d.top.Store(nil)
	return true
}

// unknownUsers returns which of ids the dataset does not (or no longer) know.
func (d *Dataset) unknownUsers(ids []string) map[string]bool {
	gone := map[string]bool{}
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, id := range ids {
		if _, ok := d.userIdx[id]; !ok && id != "" {
			gone[id] = true
		}
	}
	return gone
}

// Product returns the catalogue facts of an item; callers must not modify it.
func (d *Dataset) Product(id string) (*shop.Product, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	i, ok := d.itemIdx[id]
	if !ok || d.items[i].product == nil {
		return nil, false
	}
	return d.items[i].product, true
}

// products looks up several items under one lock; absent ones are nil.
func (d *Dataset) products(ids []string) []*shop.Product {
	out := make([]*shop.Product, len(ids))
	d.mu.RLock()
	defer d.mu.RUnlock()
	for k, id := range ids {
		if i, ok := d.itemIdx[id]; ok {
			out[k] = d.items[i].product
		}
	}
	return out
}

// productSlots is the candidates' products with each item's dense index
// (-1 when absent): a key callers may cache by (merchandising does). The
// slices are sc's, grown as needed.
func (d *Dataset) productSlots(cands []blended, sc *merchScratch) ([]*shop.Product, []int32) {
	out, slots := grow(sc.prods, len(cands)), grow(sc.slots, len(cands))
	sc.prods, sc.slots = out, slots
	d.mu.RLock()
	defer d.mu.RUnlock()
	for k := range cands {
		out[k], slots[k] = nil, -1
		if i, ok := d.itemIdx[cands[k].ItemID]; ok {
			out[k], slots[k] = d.items[i].product, i
		}
	}
	return out, slots
}

// slots returns items' dense indices (-1 when unknown).
func (d *Dataset) slots(ids []string) []int32 {
	out := make([]int32, len(ids))
	d.mu.RLock()
	defer d.mu.RUnlock()
	for k, id := range ids {
		out[k] = -1
		if i, ok := d.itemIdx[id]; ok {
			out[k] = i
		}
	}
	return out
}

// Stats are the dataset's sizes.
type Stats struct {
	Users, Items, Products, Interactions int
	// Seq counts interactions accepted since the process started.
	Seq uint64
}

// Stats returns the current sizes.
func (d *Dataset) Stats() Stats {
	d.mu.RLock()
	defer d.mu.RUnlock()
	s := Stats{Users: len(d.userIdx), Items: len(d.itemIdx), Interactions: d.nEvents, Seq: d.seq.Load()}
	for i := range d.items {
		if d.items[i].product != nil {
			s.Products++
		}
	}
	return s
}

// histItem aggregates a user's events on one item.
type histItem struct {
	id        string
	strength  float64 // sum of kind weights, decayed by HalfLife
	best      uint8   // strongest kind seen, for the reason text
	bestW     float64
	last      int64
	purchased bool
	events    int
}

// userView is what a request needs of a user, copied out under the lock.
type userView struct {
	id        string
	known     bool
	interests []string
	age       *int
	gender    *shop.Gender
	items     []histItem // most recent first
	events    []event    // the raw events, oldest first (capped)
	nEvents   int
	itemIDs   map[int32]string
}

const maxViewEvents = 2000

// view copies the user's recent history out of the dataset.
func (d *Dataset) view(userID string, now int64) userView {
	d.mu.RLock()
	defer d.mu.RUnlock()
	uv := userView{id: userID}
	ui, ok := d.userIdx[userID]
	if !ok {
		return uv
	}
	u := &d.users[ui]
	uv.known = true
	uv.interests = u.interests
	uv.age, uv.gender = u.age, u.gender
	uv.nEvents = len(u.events)
	evs := u.events
	if len(evs) > maxViewEvents {
		evs = evs[len(evs)-maxViewEvents:]
	}
	uv.events = slices.Clone(evs)
	uv.itemIDs = make(map[int32]string, 16)
	pos := map[int32]int{}
	half := d.cfg.HalfLife.Seconds()
	for k := len(evs) - 1; k >= 0; k-- {
		e := evs[k]
		j, ok := pos[e.item]
		if !ok {
			j = len(uv.items)
			pos[e.item] = j
			id := d.items[e.item].id
			uv.itemIDs[e.item] = id
			uv.items = append(uv.items, histItem{id: id, last: e.t})
		}
		h := &uv.items[j]
		w := d.cfg.kindWeight(e.kind, e.value)
		h.strength += w * decay(now-e.t, half)
		h.events++
		if w > h.bestW {
			h.bestW, h.best = w, e.kind
		}
		if e.kind == uint8(shop.KindPurchase.Code()) {
			h.purchased = true
		}
	}
	return uv
}

// topLists caches the most popular and trending available products overall
// and per top-level category. Rebuilding scans all items, so it happens at
// most once a second after new events (and every topTTL regardless);
// popularity does not need to move faster. Catalogue changes and erasure
// invalidate it at once.
type topLists struct {
	built          time.Time // data clock the scores were decayed to
	wall           time.Time // when it was built
	seq            uint64    // dataset seq it reflects
	popular, trend []scored
	popularByCat   map[string][]scored
	trendByCat     map[string][]scored
}

type scored struct {
	id    string
	score float64
}

const (
	topTTL    = 5 * time.Second
	topMinAge = time.Second
	topN      = 500
	topNByCat = 200
)

func (d *Dataset) topLists(now time.Time) *topLists {
	t := d.top.Load()
	if t == nil {
		return d.rebuildTop(now)
	}
	// Stale lists are served while one goroutine rebuilds them, so no
	// request pays for the full scan.
	age := time.Since(t.wall)
	stale := age >= topTTL || (age >= topMinAge && d.seq.Load() != t.seq) ||
		now.Sub(t.built).Abs() >= topTTL
	if stale && d.rebuilding.CompareAndSwap(false, true) {
		go func() {
			defer d.rebuilding.Store(false)
			d.rebuildTop(now)
		}()
	}
	return t
}

func (d *Dataset) rebuildTop(now time.Time) *topLists {
	ts := now.Unix()
	t := &topLists{built: now, wall: time.Now(), popularByCat: map[string][]scored{}, trendByCat: map[string][]scored{}}
	d.mu.RLock()
	t.seq = d.seq.Load()
	pop := newTopK(topN)
	trend := newTopK(topN)
	popCat := map[string]*topk.Keeper[scored]{}
	trendCat := map[string]*topk.Keeper[scored]{}
	for i := range d.items {
		it := &d.items[i]
		if it.product == nil || !it.product.Available || it.events <= 0 {
			continue
		}
		p := it.pop.at(ts, d.halfPop)
		tr := it.trend.at(ts, d.halfTrend)
		pop.Push(scored{it.id, p}, p)
		trend.Push(scored{it.id, tr}, tr)
		cat := it.product.TopCategory()
		if popCat[cat] == nil {
			popCat[cat], trendCat[cat] = newTopK(topNByCat), newTopK(topNByCat)
		}
		popCat[cat].Push(scored{it.id, p}, p)
		trendCat[cat].Push(scored{it.id, tr}, tr)
	}
	d.mu.RUnlock()
	t.popular, t.trend = pop.Sorted(), trend.Sorted()
	for c := range popCat {
		t.popularByCat[c] = popCat[c].Sorted()
		t.trendByCat[c] = trendCat[c].Sorted()
	}
	d.top.Store(t)
	return t
}

// newTopK keeps the k best scored items, ties by ID for determinism.
func newTopK(k int) *topk.Keeper[scored] {
	return topk.New(k, func(a, b scored) bool { return a.id > b.id })
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
