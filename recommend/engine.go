package recommend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
)

// Deps are the engine's collaborators, injected so that the embedded and the
// production (Qdrant, remote embedder) set-ups share this code.
type Deps struct {
	// Products holds the product embeddings, keyed by product ID; the caller
	// keeps it up to date on upsertProducts. Nil disables content retrieval,
	// similar-item Related and MMR diversity.
	Products vector.Index
	// Embedder embeds users' declared interests into the Products space.
	// Nil disables interest-based cold start.
	Embedder QueryEmbedder
	// NewIndex makes an empty index for the MF item factors (dimension
	// factors+1, see mfModel.augment). Nil serves MF by an exact scan, which
	// is fast enough up to a few hundred thousand items.
	NewIndex func(dim int) (vector.Index, error)
	// Images holds product image embeddings, keyed by product ID (nil:
	// none). Content retrieval mixes them in with weight ImageWeight in
	// (0, 1]: (1-w)×text + w×image cosine, for users whose history has
	// image vectors and candidates that have one.
	Images      vector.Index
	ImageWeight float64
}

// QueryEmbedder is the part of embeddings.Embedder the engine uses; every
// embeddings.Embedder satisfies it. Declaring it here keeps this package
// buildable and testable without the embedder implementations.
type QueryEmbedder interface {
	Name() string
	Dim() int
	EmbedQuery(ctx context.Context, text string) ([]float32, error)
}

// Engine serves recommendations. Create it with New, feed it with the
// Add/Upsert/Delete methods, train it with Train or Run.
type Engine struct {
	cfg     Config
	ds      *Dataset
	deps    Deps
	log     *slog.Logger
	models  atomic.Pointer[models]
	overlay atomic.Pointer[overlays]
	trainMu sync.Mutex
	// erasureMu serialises DeleteUser with the model swap of Train.
	erasureMu sync.Mutex
	trained   atomic.Uint64 // dataset seq at the last training snapshot
	interest  interestCache
	// merch is the shop's merchandising rules (SetMerchandising).
	merch atomic.Pointer[merchHolder]
}

// models is one consistent set of trained models; it is replaced whole.
type models struct {
	cf     *cfModel
	mf     *mfModel
	repeat *repeatModel // learned at Train and Restore, not persisted
	rebuy  *rebuyModel  // likewise
	// fit is the blend weights fitted at training (Config.AutoTune); nil:
	// the configured ones.
	fit       *fitted
	trainedAt time.Time
	// trainedSeq is how many events the models were trained on.
	trainedSeq uint64
}

// overlays are the real-time item-CF increments: cur collects new events;
// prev holds those that arrived during the running training and are dropped
// once its model (which includes them... or not) is swapped in.
type overlays struct{ cur, prev *cfOverlay }

// New returns an engine with an empty dataset and no trained models; it
// already serves popular, trending, seen and content recommendations.
func New(cfg Config, deps Deps) (*Engine, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if deps.Products != nil && deps.Embedder != nil && deps.Products.Dim() != deps.Embedder.Dim() {
		return nil, fmt.Errorf("recommend: product index has dimension %d but the embedder %s has %d",
			deps.Products.Dim(), deps.Embedder.Name(), deps.Embedder.Dim())
	}
	e := &Engine{cfg: c, ds: newDataset(&c), deps: deps, log: c.Logger.With("component", "recommend")}
	e.models.Store(&models{})
	e.overlay.Store(&overlays{cur: newOverlay()})
	e.interest.m = map[string][]float32{}
	return e, nil
}

// Dataset exposes the engine's dataset (read-only use: stats, evaluation).
func (e *Engine) Dataset() *Dataset { return e.ds }

// AddInteractions records events; the next Recommend reflects them (seen
// items, real-time item-CF, MF fold-in, counters). Cheap: O(batch ×
// CFRealtimeItems).
func (e *Engine) AddInteractions(its []shop.Interaction) error {
	pairs, err := e.ds.addInteractions(its, e.cfg.CFRealtimeItems)
	if err != nil {
		return err
	}
	e.overlay.Load().cur.applyRealtime(pairs, e.models.Load().cf)
	return nil
}

// AddInteractionsOnce is AddInteractions for events that may have been
// added already, as a replica receives its own writes back from the bus and
// a change may arrive twice: an event the user already holds (same product,
// kind, second and value) is skipped, so applying a batch again changes
// nothing. It returns how many events were added.
func (e *Engine) AddInteractionsOnce(its []shop.Interaction) (int, error) {
	pairs, n, err := e.ds.addInteractionsOnce(its, e.cfg.CFRealtimeItems)
	if err != nil {
		return 0, err
	}
	e.overlay.Load().cur.applyRealtime(pairs, e.models.Load().cf)
	return n, nil
}

// LoadInteractions bulk-loads events, e.g. the store's event log at
// startup, without the real-time item-CF increments (Train or Restore
// provides the model for history). Use AddInteractions for live events.
func (e *Engine) LoadInteractions(its []shop.Interaction) error {
	_, err := e.ds.addInteractions(its, 0)
	return err
}

// UpsertProducts records catalogue facts (filters, categories, titles).
// The caller upserts the product's embedding into Deps.Products itself.
func (e *Engine) UpsertProducts(ps []shop.Product) error { return e.ds.UpsertProducts(ps) }

// DeleteProducts stops recommending the products at once.
func (e *Engine) DeleteProducts(ids []string) { e.ds.DeleteProducts(ids) }

// UpsertUsers records declared profiles.
func (e *Engine) UpsertUsers(us []shop.User) error { return e.ds.UpsertUsers(us) }

// DeleteUser erases the user from the dataset and drops their trained user
// vector at once. Item-level aggregates (item factors, co-occurrence) hold no
// per-user rows; their statistical trace of the user disappears at the next
// training, which erasure brings forward.
func (e *Engine) DeleteUser(id string) bool {
	// erasureMu orders erasure against Train's swap, so a model trained on a
	// snapshot taken before the erasure cannot bring the user back.
	e.erasureMu.Lock()
	defer e.erasureMu.Unlock()
	known := e.ds.DeleteUser(id)
	old := e.models.Load()
	if old.mf != nil {
		if _, ok := old.mf.userIdx[id]; ok {
			nm := *old
			nm.mf = old.mf.withoutUsers(map[string]bool{id: true})
			e.models.Store(&nm)
		}
	}
	if known {
		e.trained.Store(0) // Untrained counts everything: the trainer runs soon
	}
	return known
}

// withoutUsers returns a copy of m without the given users' vectors.
func (m *mfModel) withoutUsers(drop map[string]bool) *mfModel {
	c := *m
	c.userIdx = make(map[string]int32, len(m.userIdx))
	c.userIDs = slices.Clone(m.userIDs)
	c.p = slices.Clone(m.p)
	for id, u := range m.userIdx {
		if drop[id] {
			c.userIDs[u] = ""
			clear(c.p[int(u)*c.k : int(u+1)*c.k])
			continue
		}
		c.userIdx[id] = u
	}
	return &c
}

// Request asks for recommendations for one user.
type Request struct {
	UserID   string
	N        int // 1..MaxN; 0 means 10
	Filter   *shop.ProductFilter
	Exclude  []string
	Language shop.Language // ZH (default) or EN, for reason messages
	// Placement decides what the list may hold; empty means FOR_YOU.
	Placement Placement
	// Tuning overrides the engine's blend weights, MMR lambda and category
	// cap for this request only (an experiment arm's configuration); nil or
	// zero fields keep the engine's. Its MF part is ignored: models are
	// trained once for every arm.
	Tuning *Tuning
	// RuleSets names the merchandising rule sets active for this request
	// (an experiment arm's ruleSets); rules without a rule set always apply.
	RuleSets []string
}

// MaxN bounds one request's result size.
const MaxN = 200

// Recommendation is one recommended item with the reasons of the
// retrievers that proposed it, best first.
type Recommendation struct {
	ItemID  string
	Score   float64
	Reasons []Reason
}

// ErrUnknownItem is returned by Related for an item the catalogue lacks.
var ErrUnknownItem = errors.New("recommend: unknown item")

// Query is what a retriever gets: the request plus the user's history.
type Query struct {
	UserID   string
	Language shop.Language
	Filter   *shop.ProductFilter
	N        int
	now      int64
	// retrieveN is how many candidates each retriever proposes: enough for
	// the blend, filters and MMR to choose from, no more.
	retrieveN int
	user      userView
	history   map[string]bool // items the user interacted with
	// affinity is the user's history strength per top-level category, for
	// the popular retriever's categories and the calibrated category cap.
	affinity map[string]float64
	exclude  map[string]bool // explicit exclusions and purchases
	// due maps the shopper's bought consumables that are due again to the
	// days since they bought them; they are not excluded.
	due map[string]int
	// hist is every history item's state, most recent first, with its ID
	// and product: one walk of the events per request.
	hist      []*histState
	histIDs   []string
	histProds []*shop.Product
	// merch is the merchandising rules that apply to this request; nil
	// when none can.
	merch MerchPlan
}

// allowed reports whether item id may be recommended at all: known to the
// catalogue, available, passing the filter and not excluded.
func (e *Engine) allowed(q *Query, id string) bool {
	if q.exclude[id] {
		return false
	}
	p, _ := e.ds.Product(id)
	return e.allowedProduct(q, id, p)
}

// allowedProduct is allowed for an item already looked up (p nil: unknown).
func (e *Engine) allowedProduct(q *Query, id string, p *shop.Product) bool {
	return p != nil && !q.exclude[id] && p.Available && q.Filter.Matches(p)
}

// fresh is allowed and not already in the user's history: what the
// discovery retrievers propose.
func (e *Engine) fresh(q *Query, id string) bool { return !q.history[id] && e.allowed(q, id) }

// Retriever proposes candidates for a query.
type Retriever interface {
	Name() string
	Retrieve(ctx context.Context, q *Query) []Candidate
}

// retrievers returns the engine's retrievers in blend order.
func (e *Engine) retrievers() []Retriever {
	return []Retriever{repeatRetriever{e}, seenRetriever{e}, sessionRetriever{e}, itemCFRetriever{e}, mfRetriever{e}, contentRetriever{e},
		trendingRetriever{e}, popularRetriever{e}}
}

func (e *Engine) query(req *Request) (*Query, error) {
	if req.N == 0 {
		req.N = 10
	}
	if req.N < 0 || req.N > MaxN {
		return nil, fmt.Errorf("recommend: N must be between 1 and %d, got %d", MaxN, req.N)
	}
	if req.Language == "" {
		req.Language = shop.LanguageZH
	}
	now := e.cfg.Now().Unix()
	q := &Query{UserID: req.UserID, Language: req.Language, Filter: req.Filter, N: req.N, now: now,
		retrieveN: min(e.cfg.RetrieveN, max(5*req.N, 50)),
		user:      e.ds.view(req.UserID, now), history: map[string]bool{}, exclude: map[string]bool{}}
	for _, id := range req.Exclude {
		q.exclude[id] = true
	}
	for _, h := range q.user.items {
		q.history[h.id] = true
	}
	q.hist, q.histIDs, q.histProds = e.walkHistory(&q.user)
	q.due = e.dueAgain(q)
	if e.cfg.ExcludePurchased {
		// A bought item leaves the lists unless it is a consumable due
		// again, or the shopper carted it again since.
		for i, st := range q.hist {
			if _, due := q.due[q.histIDs[i]]; st.stage == stageBought && st.again < 0 && !due {
				q.exclude[q.histIDs[i]] = true
			}
		}
	}
	q.affinity = e.categoryAffinity(q.user.items)
	return q, nil
}

// Recommend returns up to N items for the user. Unknown users get the
// cold-start blend (interests when declared, then trending and popular).
func (e *Engine) Recommend(ctx context.Context, req Request) ([]Recommendation, error) {
	mix := e.mixFor(req.Tuning)
	r, recs, err := e.retrieve(ctx, req, mix)
	if r == nil {
		return recs, err
	}
	return e.rank(ctx, r, mix), nil
}

// retrieval is one request's query and its retrievers' lists: what the
// blend's weights, MMR and category cap do not change, so the fit of the
// blend (autotune.go) retrieves once per validation user and ranks many
// times.
type retrieval struct {
	req   Request
	q     *Query
	lists map[string][]Candidate
}

// retrieve runs the retrievers mix weights on for req. CONTINUE and
// BUY_AGAIN have their own lists: retrieve answers them (nil retrieval).
func (e *Engine) retrieve(ctx context.Context, req Request, mix servingMix) (*retrieval, []Recommendation, error) {
	q, err := e.query(&req)
	if err != nil {
		return nil, nil, err
	}
	q.merch = e.merchPlan(q, cmp.Or(req.Placement, PlacementForYou), req.RuleSets)
	switch req.Placement {
	case "", PlacementForYou, PlacementDiscover:
	case PlacementContinue, PlacementBuyAgain:
		recs, err := e.recommendPlacement(ctx, q, req.Placement)
		return nil, recs, err
	default:
		return nil, nil, fmt.Errorf("recommend: unknown placement %q", req.Placement)
	}
	lists := e.retrieveAll(ctx, q, e.retrievers(), weightsFor(mix, q, req.Placement))
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("recommend: %w", err)
	}
	return &retrieval{req: req, q: q, lists: lists}, nil, nil
}

// weightsFor are the blend weights of one request: the cold-start ones
// for a shopper without history, and for DISCOVER none on the history
// retrievers.
func weightsFor(mix servingMix, q *Query, p Placement) map[string]float64 {
	weights := mix.weights
	if len(q.user.items) == 0 {
		weights = mix.coldWeights
	}
	if p == PlacementDiscover {
		// Only what the shopper never touched: the history retrievers sit out.
		weights = maps.Clone(weights)
		weights[RetrieverRepeat], weights[RetrieverSeen] = 0, 0
	}
	return weights
}

// rank blends a retrieval's lists with mix, filters, applies the
// merchandising and diversifies: the page. A retriever mix weights on
// must have been on in the retrieval.
func (e *Engine) rank(ctx context.Context, r *retrieval, mix servingMix) []Recommendation {
	req, q, lists := &r.req, r.q, r.lists
	weights := weightsFor(mix, q, req.Placement)
	discover := req.Placement == PlacementDiscover
	merged := e.blend(lists, weights)
	// Retrievers already skip disallowed items; this is the one place that
	// guarantees it, whatever a retriever does.
	keep := func(id string, p *shop.Product) bool {
		return e.allowedProduct(q, id, p) && !(discover && q.history[id])
	}
	// Merchandising (in the same pass): hide, boost and bury before the
	// cut; pins take their places around what diversify picks.
	kept, rescored := e.merchAdjust(q.merch, merged, keep)
	pinned, pos, kept := e.merchPins(q.merch, kept, req.N, true,
		func(id string) bool { return e.allowed(q, id) && !(discover && q.history[id]) })
	if rescored {
		kept = topOf(kept, diversifyPool(req.N-len(pinned)))
	}
	chosen := placePins(e.diversify(ctx, kept, req.N-len(pinned), shares(q.affinity), mix), pinned, pos, req.N, blendedScore, setBlendedScore)
	return withMerchReasons(finish(chosen, lists), chosen, q.Language)
}

// servingMix is what one request blends and diversifies with: the engine's
// configuration, or a Request.Tuning's overrides of it.
type servingMix struct {
	weights, coldWeights   map[string]float64
	mmrLambda, categoryCap float64
}

// ServedWeights are the blend weights warm users are served with: those
// fitted to the shop at the last Train (Config.AutoTune), else the
// configured ones. The map must not be modified.
func (e *Engine) ServedWeights() map[string]float64 {
	if f := e.fit(); f != nil {
		return f.weights
	}
	return e.cfg.Weights
}

// fit is the fit served (nil: the configuration).
func (e *Engine) fit() *fitted {
	if e.cfg.AutoTune {
		return e.models.Load().fit
	}
	return nil
}

// mixFor applies a request's tuning to the engine's configuration, the way
// Tuning.Apply does at start-up (weights: warm users only; named ones
// override, others keep theirs).
func (e *Engine) mixFor(t *Tuning) servingMix {
	m := servingMix{weights: e.cfg.Weights, coldWeights: e.cfg.ColdWeights, mmrLambda: e.cfg.MMRLambda, categoryCap: e.cfg.MaxPerCategory}
	if f := e.fit(); f != nil {
		m.weights, m.mmrLambda, m.categoryCap = f.weights, cmp.Or(f.mmrLambda, m.mmrLambda), cmp.Or(f.catCap, m.categoryCap)
	}
	if t == nil {
		return m
	}
	c := Config{Weights: m.weights, MMRLambda: m.mmrLambda, MaxPerCategory: m.categoryCap}
	Tuning{Weights: t.Weights, MMRLambda: t.MMRLambda, CategoryCap: t.CategoryCap}.Apply(&c)
	m.weights, m.mmrLambda, m.categoryCap = c.Weights, c.MMRLambda, c.MaxPerCategory
	return m
}

// retrieveAll runs the retrievers concurrently.
func (e *Engine) retrieveAll(ctx context.Context, q *Query, rs []Retriever, weights map[string]float64) map[string][]Candidate {
	out := make([][]Candidate, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		if weights[r.Name()] <= 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = r.Retrieve(ctx, q)
		}()
	}
	wg.Wait()
	m := make(map[string][]Candidate, len(rs))
	for i, r := range rs {
		m[r.Name()] = out[i]
	}
	return m
}

// blended is one merged candidate. Its reasons stay references into the
// retrievers' lists until the item makes the final cut: most candidates
// never do, and building their reasons was the largest allocation of a
// request.
type blended struct {
	ItemID string
	Score  float64
	refs   []contribRef
	// merchRule is the merchandising rule that pinned or boosted the item;
	// slot is its dataset index + 1 (0: unknown), set by merchAdjust.
	merchRule string
	slot      int32
}

func blendedScore(b *blended) float64       { return b.Score }
func setBlendedScore(b *blended, s float64) { b.Score = s }

type contribRef struct {
	list  string // retriever name
	rank  int32
	score float64
}

// blend normalises each retriever's list by rank (1/log2(rank+2), the DCG
// discount, which makes lists with incomparable raw scores commensurable),
// weights it and sums per item, best first.
func (e *Engine) blend(lists map[string][]Candidate, weights map[string]float64) []blended {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	pos := make(map[string]int, n)
	out := make([]blended, 0, n)
	for _, name := range Retrievers {
		w := weights[name]
		if w <= 0 {
			continue
		}
		for rank, c := range lists[name] {
			s := w / math.Log2(float64(rank)+2)
			if name == RetrieverRepeat {
				// Calibrated: the score is the item's learned chance of being
				// carted or bought next, relative to the model's best.
				s = w * c.Score
			}
			i, ok := pos[c.ItemID]
			if !ok {
				i = len(out)
				pos[c.ItemID] = i
				out = append(out, blended{ItemID: c.ItemID})
			}
			b := &out[i]
			b.Score += s
			b.refs = append(b.refs, contribRef{name, int32(rank), s})
		}
	}
	slices.SortStableFunc(out, func(a, b blended) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return out
}

// finish materialises the reasons of the chosen items: per retriever, best
// contribution first, duplicates of the same message dropped.
func finish(chosen []blended, lists map[string][]Candidate) []Recommendation {
	out := make([]Recommendation, len(chosen))
	for i := range chosen {
		b := &chosen[i]
		slices.SortStableFunc(b.refs, func(x, y contribRef) int {
			switch {
			case x.score > y.score:
				return -1
			case x.score < y.score:
				return 1
			}
			return 0
		})
		rs := make([]Reason, 0, len(b.refs))
		for _, ref := range b.refs {
			r := lists[ref.list][ref.rank].Reason
			if !slices.ContainsFunc(rs, func(x Reason) bool { return x.Message == r.Message }) {
				rs = append(rs, r)
			}
		}
		out[i] = Recommendation{ItemID: b.ItemID, Score: b.Score, Reasons: rs}
	}
	return out
}

// categoryAffinity sums the history's strength per top-level category.
func (e *Engine) categoryAffinity(hist []histItem) map[string]float64 {
	if len(hist) == 0 {
		return nil
	}
	ids := make([]string, len(hist))
	for i, h := range hist {
		ids[i] = h.id
	}
	aff := map[string]float64{}
	for i, p := range e.ds.products(ids) {
		if p != nil && hist[i].strength > 0 {
			aff[p.TopCategory()] += hist[i].strength
		}
	}
	return aff
}

// shares normalises an affinity to fractions of the whole history.
func shares(aff map[string]float64) map[string]float64 {
	var total float64
	for _, v := range aff {
		total += v
	}
	out := make(map[string]float64, len(aff))
	for c, v := range aff {
		out[c] = v / total
	}
	return out
}

// diversify picks n items by maximal marginal relevance (Carbonell &
// Goldstein 1998) over product embeddings, with a per-top-category cap that
// is relaxed only when too few candidates remain. The cap is calibrated
// (after Steck, "Calibrated Recommendations", RecSys 2018): a category may
// fill at least MaxPerCategory of the page, and as much as its share of the
// user's history, so a shopper who only buys electronics is not pushed into
// other departments while a broad one still sees a varied page.
func (e *Engine) diversify(ctx context.Context, cands []blended, n int, shares map[string]float64, mix servingMix) []blended {
	if len(cands) == 0 {
		return nil
	}
	pool := cands[:min(len(cands), diversifyPool(n))]
	maxScore := pool[0].Score
	ids := make([]string, len(pool))
	for i := range pool {
		ids[i] = pool[i].ItemID
	}
	prods := e.ds.products(ids)
	vecs := make([][]float32, len(pool))
	if e.deps.Products != nil && mix.mmrLambda < 1 {
		for i, id := range ids {
			if v, ok, err := e.deps.Products.Vector(ctx, id); err == nil && ok {
				vecs[i] = normalized(v)
			}
		}
	}
	capOf := func(cat string) int {
		return max(1, int(math.Ceil(math.Max(mix.categoryCap, shares[cat])*float64(n))))
	}
	perCat := map[string]int{}
	taken := make([]bool, len(pool))
	maxSim := make([]float64, len(pool))
	out := make([]blended, 0, n)
	for pass := 0; pass < 2 && len(out) < n; pass++ {
		for len(out) < n {
			best, bestVal := -1, math.Inf(-1)
			for i := range pool {
				if taken[i] {
					continue
				}
				if pass == 0 && prods[i] != nil && perCat[prods[i].TopCategory()] >= capOf(prods[i].TopCategory()) {
					continue
				}
				v := mix.mmrLambda*pool[i].Score/maxScore - (1-mix.mmrLambda)*maxSim[i]
				if v > bestVal {
					best, bestVal = i, v
				}
			}
			if best < 0 {
				break
			}
			taken[best] = true
			out = append(out, pool[best])
			if prods[best] != nil {
				perCat[prods[best].TopCategory()]++
			}
			if vb := vecs[best]; vb != nil {
				for i := range pool {
					if !taken[i] && vecs[i] != nil {
						maxSim[i] = math.Max(maxSim[i], float64(vector.Dot(vb, vecs[i])))
					}
				}
			}
		}
	}
	return out
}

// diversifyPool is how many of the best candidates diversify chooses n
// from.
func diversifyPool(n int) int { return max(3*n, 30) }

func normalized(v []float32) []float32 {
	n := math.Sqrt(float64(vector.Dot(v, v)))
	if n == 0 {
		return nil
	}
	out := make([]float32, len(v))
	for i := range v {
		out[i] = float32(float64(v[i]) / n)
	}
	return out
}

// interestCache memoises interest embeddings: the same few hundred interest
// words recur across users, and embedding may be a network call.
type interestCache struct {
	mu sync.Mutex
	m  map[string][]float32
}

const maxInterestCache = 10000

func (e *Engine) embedInterest(ctx context.Context, text string) ([]float32, error) {
	c := &e.interest
	c.mu.Lock()
	v, ok := c.m[text]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := e.deps.Embedder.EmbedQuery(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("recommend: embed interest %q: %w", text, err)
	}
	c.mu.Lock()
	if len(c.m) >= maxInterestCache {
		clear(c.m)
	}
	c.m[text] = v
	c.mu.Unlock()
	return v, nil
}

// dueAgain returns the shopper's bought consumables that are due again,
// with the days since the last purchase of each.
func (e *Engine) dueAgain(q *Query) map[string]int {
	rb := e.models.Load().rebuy
	if rb == nil || len(rb.stats) == 0 {
		return nil
	}
	var due map[string]int
	for i, st := range q.hist {
		p := q.histProds[i]
		if st.bought == 0 || p == nil {
			continue
		}
		if rb.due(p.Category, float64(q.now-st.bought)/86400) {
			if due == nil {
				due = map[string]int{}
			}
			due[q.histIDs[i]] = daysSince(q.now, st.bought)
		}
	}
	return due
}

// daysSince is whole days from t to now (unix seconds), rounded: the
// number a reason shows.
func daysSince(now, t int64) int { return int((now - t + 43200) / 86400) }
