package recommend

import (
	"context"
	"math"
	"slices"
	"strings"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
)

// sortCandidates orders best first, ties by ID so results are deterministic.
func sortCandidates(cs []Candidate) []Candidate {
	slices.SortFunc(cs, func(a, b Candidate) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		case a.ItemID < b.ItemID:
			return -1
		case a.ItemID > b.ItemID:
			return 1
		}
		return 0
	})
	return cs
}

// seenRetriever re-offers items the user viewed, clicked, liked or carted
// recently and has not bought since: in e-commerce the strongest short-term
// signal. Carted beats clicked/liked beats viewed; older signals decay.
type seenRetriever struct{ e *Engine }

func (seenRetriever) Name() string { return RetrieverSeen }

var seenStrength = map[shop.InteractionKind]float64{
	shop.KindView: 1, shop.KindClick: 2, shop.KindLike: 2, shop.KindAddToCart: 3,
}

func (r seenRetriever) Retrieve(_ context.Context, q *Query) []Candidate {
	e := r.e
	type st struct {
		score  float64
		carted bool
		bought int64
	}
	window := int64(e.cfg.SeenWindow.Seconds())
	half := e.cfg.SeenHalfLife.Seconds()
	m := map[int32]*st{}
	buy := uint8(shop.KindPurchase.Code())
	cart := uint8(shop.KindAddToCart.Code())
	// Oldest first, so a purchase resets what came before it.
	for _, ev := range q.user.events {
		s := m[ev.item]
		if s == nil {
			s = &st{}
			m[ev.item] = s
		}
		if ev.kind == buy {
			*s = st{bought: ev.t}
			continue
		}
		k, _ := shop.KindFromCode(ev.kind)
		w := seenStrength[k]
		if w == 0 || q.now-ev.t > window {
			continue
		}
		s.score = math.Max(s.score, w*decay(q.now-ev.t, half))
		if ev.kind == cart {
			s.carted = true
		}
	}
	var out []Candidate
	for item, s := range m {
		if s.score <= 0 {
			continue
		}
		id := q.user.itemIDs[item]
		if !e.allowed(q, id) {
			continue
		}
		out = append(out, Candidate{ItemID: id, Score: s.score, Reason: seenReason(q.Language, s.carted)})
	}
	out = sortCandidates(out)
	return out[:min(len(out), q.retrieveN)]
}

// itemCFRetriever scores items by their similarity to the user's recent
// items: sum over history items i of conf(strength_i) * sim(i, j), from the
// trained neighbours plus the real-time overlay.
type itemCFRetriever struct{ e *Engine }

func (itemCFRetriever) Name() string { return RetrieverItemCF }

func (r itemCFRetriever) Retrieve(_ context.Context, q *Query) []Candidate {
	e := r.e
	cf := e.models.Load().cf
	ov := e.overlay.Load()
	hist := q.user.items[:min(len(q.user.items), e.cfg.CFHistory)]
	if len(hist) == 0 {
		return nil
	}
	type acc struct {
		score, best float64
		sim         float32 // the best contributor's similarity
		src         int
	}
	scores := make(map[string]acc, 256) // values, not pointers: thousands of entries
	add := func(h int, j string, w float64, sim float32) {
		a, ok := scores[j]
		if !ok {
			a.src = -1
		}
		s := w * float64(sim)
		a.score += s
		if s > a.best {
			a.best, a.src, a.sim = s, h, sim
		}
		scores[j] = a
	}
	for h, it := range hist {
		w := float64(confidence(float32(it.strength)))
		if w <= 0 {
			continue
		}
		if cf != nil {
			if i, ok := cf.idx[it.id]; ok {
				for _, nb := range cf.nbr[i] {
					add(h, cf.ids[nb.j], w, nb.s)
				}
			}
		}
		for _, o := range []*cfOverlay{ov.cur, ov.prev} {
			if o == nil {
				continue
			}
			o.mu.RLock()
			o.neighbours(it.id, func(j string, s float32) { add(h, j, w, s) })
			o.mu.RUnlock()
		}
	}
	// Rank first and check the (locking) filters only until enough pass:
	// a heavy user's neighbourhood holds thousands of items.
	ranked := make([]Candidate, 0, len(scores))
	for id, a := range scores {
		if a.score > 0 {
			ranked = append(ranked, Candidate{ItemID: id, Score: a.score})
		}
	}
	ranked = sortCandidates(ranked)
	out := make([]Candidate, 0, min(len(ranked), q.retrieveN))
	hs := e.historyScoring()
	for _, c := range ranked {
		if len(out) == q.retrieveN {
			break
		}
		if hs && !e.allowed(q, c.ItemID) || !hs && !e.fresh(q, c.ItemID) {
			continue
		}
		a := scores[c.ItemID]
		src := hist[a.src]
		if floors := cfFloors(cf); floors.cites(e.topCategory(src.id), e.topCategory(c.ItemID), a.sim) {
			c.Reason = becauseReason(q.Language, src.best, src.id, titleOf(e.ds, src.id))
			c.Reason.Strength = float64(a.sim)
		} else {
			c.Reason = e.fallbackReason(q, c.ItemID)
		}
		out = append(out, c)
	}
	return out
}

// mfRetriever ranks items by p_u·q_i. The user vector is the trained one when
// the user's history is unchanged since training, else it is folded in from
// the current history, so MF reacts to new events without retraining.
type mfRetriever struct{ e *Engine }

func (mfRetriever) Name() string { return RetrieverMF }

func (r mfRetriever) Retrieve(ctx context.Context, q *Query) []Candidate {
	e := r.e
	mf := e.models.Load().mf
	if mf == nil || len(q.user.items) == 0 {
		return nil
	}
	p := mf.userVector(q.UserID, q.user)
	if p == nil {
		return nil
	}
	top, err := mf.topItems(ctx, p, q.retrieveN, e.mfSkip(q))
	if err != nil {
		e.log.WarnContext(ctx, "MF retrieval failed", "user", q.UserID, "err", err)
		return nil
	}
	reason := mfReason(q.Language)
	out := make([]Candidate, len(top))
	for i, t := range top {
		out[i] = Candidate{ItemID: t.id, Score: t.score, Reason: reason}
	}
	return out
}

// mfSkip is what MF must not propose: disallowed items, and history items
// unless HistoryScoring.
func (e *Engine) mfSkip(q *Query) func(string) bool {
	if e.historyScoring() {
		return func(id string) bool { return !e.allowed(q, id) }
	}
	return func(id string) bool { return !e.fresh(q, id) }
}

// userVector returns the user's factor vector: trained or folded in.
func (m *mfModel) userVector(userID string, uv userView) []float32 {
	if u, ok := m.userIdx[userID]; ok && int(m.userN[u]) == uv.nEvents {
		return m.user(u)
	}
	ids := make([]string, len(uv.items))
	ws := make([]float64, len(uv.items))
	for i, h := range uv.items {
		ids[i], ws[i] = h.id, h.strength
	}
	return m.foldIn(ids, ws)
}

// contentRetriever searches the product embedding index with the user's
// profile: a recency- and strength-weighted mean of the embeddings of recent
// items, and each declared interest embedded as text. A product is reachable
// here as soon as its embedding is indexed, before anyone interacts with it.
type contentRetriever struct{ e *Engine }

func (contentRetriever) Name() string { return RetrieverContent }

const (
	contentHistory   = 20
	contentInterests = 5
)

func (r contentRetriever) Retrieve(ctx context.Context, q *Query) []Candidate {
	e := r.e
	idx := e.deps.Products
	if idx == nil {
		return nil
	}
	best := map[string]Candidate{}
	offer := func(c Candidate) {
		if old, ok := best[c.ItemID]; !ok || c.Score > old.Score {
			best[c.ItemID] = c
		}
	}
	// Search with the filter so that a narrow filter still yields enough,
	// and a little deeper to make up for the history items skipped.
	k := q.retrieveN
	extra := min(len(q.history), k)
	hist := q.user.items[:min(len(q.user.items), contentHistory)]
	var hvecs [][]float32
	var hsrc []histItem
	profile := make([]float32, idx.Dim())
	var total float64
	for _, h := range hist {
		v, ok, err := idx.Vector(ctx, h.id)
		if err != nil || !ok || len(v) != len(profile) {
			continue
		}
		v = normalized(v)
		if v == nil {
			continue
		}
		w := h.strength
		for i := range profile {
			profile[i] += float32(w) * v[i]
		}
		total += w
		hvecs = append(hvecs, v)
		hsrc = append(hsrc, h)
	}
	img := imageProfileOf(ctx, e.deps.Images, e.deps.ImageWeight, hist)
	var tprof []float32
	if total > 0 {
		tprof = normalized(profile)
		hits, err := idx.Search(ctx, tprof, k+extra, q.Filter)
		if err != nil {
			e.log.WarnContext(ctx, "content retrieval failed", "user", q.UserID, "err", err)
		}
		for _, hit := range hits {
			// Dissimilar items are no content match, only padding.
			if hit.Score <= 0 || !e.fresh(q, hit.ID) {
				continue
			}
			hit.Score = float32(img.mix(ctx, hit.ID, float64(hit.Score)))
			// Name the history item most like this hit.
			src := 0
			if v, ok, err := idx.Vector(ctx, hit.ID); err == nil && ok && len(v) == len(profile) {
				bs := float32(math.Inf(-1))
				for i, hv := range hvecs {
					if s := vector.Dot(hv, v); s > bs {
						bs, src = s, i
					}
				}
			}
			h := hsrc[src]
			offer(Candidate{ItemID: hit.ID, Score: float64(hit.Score),
				Reason: similarToSeenReason(q.Language, h.best, h.id, titleOf(e.ds, h.id))})
		}
	}
	if img.profile != nil {
		// Items whose images look like those the user engaged with, scored
		// as above: a text neighbour and an image neighbour get one score.
		hits, err := img.idx.Search(ctx, img.profile, k+extra, q.Filter)
		if err != nil {
			e.log.WarnContext(ctx, "image content retrieval failed", "user", q.UserID, "err", err)
		}
		for _, hit := range hits {
			if hit.Score <= 0 || !e.fresh(q, hit.ID) {
				continue
			}
			var ts float64
			if tprof != nil {
				if v, ok, err := idx.Vector(ctx, hit.ID); err == nil && ok && len(v) == len(tprof) {
					ts = float64(vector.Dot(tprof, v))
				}
			}
			w := img.weight
			h := img.source(ctx, hit.ID)
			offer(Candidate{ItemID: hit.ID, Score: (1-w)*ts + w*float64(hit.Score),
				Reason: similarToSeenReason(q.Language, h.best, h.id, titleOf(e.ds, h.id))})
		}
	}
	if e.deps.Embedder != nil {
		interests := q.user.interests[:min(len(q.user.interests), contentInterests)]
		for _, in := range interests {
			v, err := e.embedInterest(ctx, in)
			if err != nil {
				e.log.WarnContext(ctx, "interest embedding failed", "user", q.UserID, "err", err)
				continue
			}
			hits, err := idx.Search(ctx, v, k/len(interests)+extra, q.Filter)
			if err != nil {
				e.log.WarnContext(ctx, "interest retrieval failed", "user", q.UserID, "err", err)
				continue
			}
			for _, hit := range hits {
				// Below minInterestScore a "match" is hashing noise (the
				// built-in embedder's unrelated texts reach cosine ±0.07),
				// and "matches your interest: coffee" on a down jacket is
				// worse than no reason at all.
				if hit.Score >= minInterestScore && e.fresh(q, hit.ID) {
					offer(Candidate{ItemID: hit.ID, Score: float64(hit.Score), Reason: interestReason(q.Language, in)})
				}
			}
		}
	}
	out := make([]Candidate, 0, len(best))
	for _, c := range best {
		out = append(out, c)
	}
	out = sortCandidates(out)
	return out[:min(len(out), k)]
}

// imageProfile is a user's image profile: the strength-weighted mean of
// the image vectors of recent items that have one.
type imageProfile struct {
	idx     vector.Index
	weight  float64
	profile []float32 // nil: no history item has an image vector
	vecs    [][]float32
	src     []histItem
}

func imageProfileOf(ctx context.Context, idx vector.Index, weight float64, hist []histItem) imageProfile {
	ip := imageProfile{idx: idx, weight: weight}
	if idx == nil || !(weight > 0 && weight <= 1) {
		return ip
	}
	p := make([]float32, idx.Dim())
	var total float64
	for _, h := range hist {
		v, ok, err := idx.Vector(ctx, h.id)
		if err != nil || !ok || len(v) != len(p) {
			continue
		}
		if v = normalized(v); v == nil {
			continue
		}
		for i := range p {
			p[i] += float32(h.strength) * v[i]
		}
		total += h.strength
		ip.vecs = append(ip.vecs, v)
		ip.src = append(ip.src, h)
	}
	if total > 0 {
		ip.profile = normalized(p)
	}
	return ip
}

// mix combines a text score with the item's image similarity to the
// profile; without a profile or an image vector the text score stands.
func (ip imageProfile) mix(ctx context.Context, id string, text float64) float64 {
	if ip.profile == nil {
		return text
	}
	v, ok, err := ip.idx.Vector(ctx, id)
	if err != nil || !ok || len(v) != len(ip.profile) {
		return text
	}
	if v = normalized(v); v == nil {
		return text
	}
	return (1-ip.weight)*text + ip.weight*float64(vector.Dot(ip.profile, v))
}

// source is the history item whose image is most like the item's.
func (ip imageProfile) source(ctx context.Context, id string) histItem {
	best := 0
	if v, ok, err := ip.idx.Vector(ctx, id); err == nil && ok && len(v) == len(ip.profile) {
		bs := float32(math.Inf(-1))
		for i, hv := range ip.vecs {
			if s := vector.Dot(hv, v); s > bs {
				bs, best = s, i
			}
		}
	}
	return ip.src[best]
}

// minInterestScore is the least cosine similarity between an interest and a
// product for the product to be offered as matching it.
const minInterestScore = 0.12

// trendingRetriever proposes what is hot over the last few days overall.
type trendingRetriever struct{ e *Engine }

func (trendingRetriever) Name() string { return RetrieverTrending }

func (r trendingRetriever) Retrieve(_ context.Context, q *Query) []Candidate {
	e := r.e
	tl := e.ds.topLists(e.cfg.Now())
	list := tl.trend
	if cat := filterTopCategory(q.Filter); cat != "" {
		list = tl.trendByCat[cat]
	}
	reason := trendingReason(q.Language)
	var out []Candidate
	for _, s := range list {
		if len(out) >= q.retrieveN {
			break
		}
		if s.score > 0 && e.fresh(q, s.id) {
			out = append(out, Candidate{ItemID: s.id, Score: s.score, Reason: reason})
		}
	}
	return out
}

// popularRetriever proposes the best sellers of the top-level categories the
// user engages with most (or of the filter's category), falling back to the
// overall best sellers for users without history.
type popularRetriever struct{ e *Engine }

func (popularRetriever) Name() string { return RetrieverPopular }

func (r popularRetriever) Retrieve(_ context.Context, q *Query) []Candidate {
	e := r.e
	tl := e.ds.topLists(e.cfg.Now())
	var cats []string
	if c := filterTopCategory(q.Filter); c != "" {
		cats = []string{c}
	} else {
		aff := q.affinity
		for c := range aff {
			cats = append(cats, c)
		}
		slices.SortFunc(cats, func(a, b string) int {
			if aff[a] != aff[b] {
				if aff[a] > aff[b] {
					return -1
				}
				return 1
			}
			if a < b {
				return -1
			}
			return 1
		})
		cats = cats[:min(len(cats), 3)]
	}
	var out []Candidate
	seen := map[string]bool{}
	if len(cats) == 0 {
		reason := popularReason(q.Language, "")
		for _, s := range tl.popular {
			if len(out) >= q.retrieveN {
				break
			}
			if s.score > 0 && e.fresh(q, s.id) {
				out = append(out, Candidate{ItemID: s.id, Score: s.score, Reason: reason})
			}
		}
		return out
	}
	// Interleave the categories by rank so the strongest affinity does not
	// crowd out the others.
	per := q.retrieveN / len(cats)
	for rank := 0; rank < topNByCat && len(out) < q.retrieveN; rank++ {
		progressed := false
		for _, c := range cats {
			list := tl.popularByCat[c]
			if rank >= len(list) || rank >= per {
				continue
			}
			progressed = true
			s := list[rank]
			if s.score > 0 && !seen[s.id] && e.fresh(q, s.id) {
				seen[s.id] = true
				out = append(out, Candidate{ItemID: s.id, Score: s.score, Reason: popularReason(q.Language, c)})
			}
		}
		if !progressed {
			break
		}
	}
	return out
}

// filterTopCategory is the top-level category a filter confines results to.
func filterTopCategory(f *shop.ProductFilter) string {
	if f == nil || f.Category == nil {
		return ""
	}
	p := shop.Product{Category: strings.Trim(*f.Category, "/")}
	return p.TopCategory()
}
