// Package engage closes the loop between recommendations and copy: it writes
// personal copy for the products recommended to a shopper, chooses which
// variant to show by Thompson sampling on what shoppers clicked, counts
// impressions, reports each variant's performance, and runs push and email
// campaigns. It is the one place besides the resolvers that joins recommend
// and copywriter, which never import each other.
package engage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shopmuse/shopmuse/bandit"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/review"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// DefaultVariants is how many variants compete for each product, channel
// and persona segment.
const DefaultVariants = 3

// personaHistory is how many recent interactions shape a user's persona.
const personaHistory = 200

// Config configures a Service.
type Config struct {
	// Variants compete per product, channel and segment (1–5; default 3).
	Variants int
	// Selector chooses among them; nil means a default Thompson sampler.
	Selector *bandit.Selector
	// FlushEvery is how often buffered impressions reach the store.
	FlushEvery time.Duration
	// Review, when on, lets only approved variants reach shoppers and the
	// bandit; nil or off: every checked variant competes.
	Review *review.Service
	Log    *slog.Logger
}

// Service is safe for concurrent use.
type Service struct {
	st       *store.Store
	rec      *recommend.Engine
	copy     *copywriter.Writer
	sel      *bandit.Selector
	review   *review.Service
	variants int
	flush    time.Duration
	log      *slog.Logger

	// Impressions are counted in memory and written in batches: a read
	// query must not turn into a contended write per served variant.
	mu      sync.Mutex
	pending map[store.Served]int64
	// pendingByVariant sums pending per variant for Stats on the hot path.
	pendingByVariant map[string]int64

	campaigns campaignRunner
	// life bounds the campaign goroutines: Run cancels it at shutdown and
	// waits for them before its last flush, so none writes to a closed store.
	life     context.Context
	stopLife context.CancelFunc
	running  sync.WaitGroup
}

// New returns a Service.
func New(st *store.Store, rec *recommend.Engine, copy *copywriter.Writer, cfg Config) (*Service, error) {
	if cfg.Variants == 0 {
		cfg.Variants = DefaultVariants
	}
	if cfg.Variants < 1 || cfg.Variants > copywriter.MaxVariants {
		return nil, fmt.Errorf("engage: variants must be between 1 and %d", copywriter.MaxVariants)
	}
	if cfg.Selector == nil {
		sel, err := bandit.NewSelector(bandit.DefaultSelectorConfig())
		if err != nil {
			return nil, err
		}
		cfg.Selector = sel
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Service{st: st, rec: rec, copy: copy, sel: cfg.Selector, review: cfg.Review, variants: cfg.Variants, flush: cfg.FlushEvery,
		log: cfg.Log, pending: map[store.Served]int64{}, pendingByVariant: map[string]int64{}}
	s.campaigns.init()
	s.life, s.stopLife = context.WithCancel(context.Background())
	return s, nil
}

// Persona is a user's declared profile plus their recent behaviour.
func (s *Service) Persona(ctx context.Context, u *shop.User) (persona.Persona, error) {
	return UserPersona(ctx, s.st, u)
}

// UserPersona builds a user's persona from the store: the declared profile
// plus the categories, price band and recent views of their latest
// interactions.
func UserPersona(ctx context.Context, st *store.Store, u *shop.User) (persona.Persona, error) {
	evs, err := st.UserInteractions(ctx, u.ID, personaHistory)
	if err != nil {
		return persona.Persona{}, err
	}
	its := make([]shop.Interaction, len(evs))
	ids := make([]string, 0, len(evs))
	seen := map[string]bool{}
	for i, ev := range evs {
		its[i] = ev.Interaction
		if !seen[ev.ProductID] {
			seen[ev.ProductID] = true
			ids = append(ids, ev.ProductID)
		}
	}
	ps, err := st.Products(ctx, ids)
	if err != nil {
		return persona.Persona{}, err
	}
	byID := make(map[string]*shop.Product, len(ps))
	for _, p := range ps {
		if p != nil {
			byID[p.ID] = p
		}
	}
	b := persona.BehaviourFrom(its, func(id string) *shop.Product { return byID[id] })
	return persona.FromUser(u, b), nil
}

// Served is copy chosen for one shopper: the variant shown, among the
// result's competing variants. With review on and nothing approved, the
// result holds no variant and Variant is zero (Ok is false): the shopper
// gets no copy rather than unreviewed copy.
type Served struct {
	Result  copywriter.Result
	Variant copywriter.Variant
}

// Ok reports whether a variant was chosen.
func (s Served) Ok() bool { return s.Variant.ID != "" }

// ServeCopy writes (or reads from the cache) the competing variants for a
// product, channel and persona, chooses one by Thompson sampling on their
// click-through so far, and counts the impression.
func (s *Service) ServeCopy(ctx context.Context, p *shop.Product, shopper persona.Persona, ch copywriter.Channel, lang *shop.Language) (Served, error) {
	res, err := s.copy.Generate(ctx, copywriter.Request{Product: p, Persona: shopper, Channel: ch, Language: lang, Variants: s.variants})
	if err != nil {
		return Served{}, err
	}
	if len(res.Variants) == 0 {
		return Served{}, errors.New("engage: the writer returned no variant")
	}
	// Only approved variants compete (and are counted): a pending one must
	// neither be shown nor gather the bandit's impressions.
	if err := s.review.Annotate(ctx, &res, p, true); err != nil {
		return Served{}, err
	}
	if len(res.Variants) == 0 {
		return Served{Result: res}, nil
	}
	stats, err := s.Stats(ctx, variantIDs(res.Variants))
	if err != nil {
		return Served{}, err
	}
	v := res.Variants[s.sel.Choose(stats)]
	if !noImpressions(ctx) {
		s.countImpression(store.Served{ProductID: p.ID, Channel: string(ch), Segment: shopper.Segment(), VariantID: v.ID})
	}
	return Served{Result: res, Variant: v}, nil
}

type noImpressionsKey struct{}

// WithoutImpressions marks copy served under ctx as not counting toward the
// bandit: callers that cannot be tied to a shopper (catalog keys) could
// otherwise skew it with a loop.
func WithoutImpressions(ctx context.Context) context.Context {
	return context.WithValue(ctx, noImpressionsKey{}, true)
}

func noImpressions(ctx context.Context) bool {
	v, _ := ctx.Value(noImpressionsKey{}).(bool)
	return v
}

func variantIDs(vs []copywriter.Variant) []string {
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	return ids
}

func (s *Service) countImpression(sv store.Served) {
	s.mu.Lock()
	s.pending[sv]++
	s.pendingByVariant[sv.VariantID]++
	s.mu.Unlock()
}

// Stats returns the variants' counters, stored plus not yet flushed, in order.
// It reads the two apart from a concurrent Flush, so right after one a batch
// may be counted twice or not at all for an instant; the selector is
// indifferent to that and the next call is exact again.
func (s *Service) Stats(ctx context.Context, ids []string) ([]bandit.VariantStats, error) {
	stored, err := s.st.VariantStats(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]bandit.VariantStats, len(ids))
	s.mu.Lock()
	for i, id := range ids {
		c := stored[id]
		out[i] = bandit.VariantStats{VariantID: id, Impressions: c.Impressions + s.pendingByVariant[id], Clicks: c.Clicks,
			Carts: c.Carts, Purchases: c.Purchases}
	}
	s.mu.Unlock()
	return out, nil
}

// Flush writes buffered impressions to the store.
func (s *Service) Flush(ctx context.Context) error {
	s.mu.Lock()
	batch := s.pending
	s.pending = map[store.Served]int64{}
	s.mu.Unlock()
	err := s.st.AddImpressions(ctx, batch)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		// Put them back: counts are worth a retry at the next flush.
		for k, n := range batch {
			s.pending[k] += n
		}
		return err
	}
	// Only now are they in the store; until here Stats added them from
	// pendingByVariant.
	for k, n := range batch {
		if s.pendingByVariant[k.VariantID] -= n; s.pendingByVariant[k.VariantID] <= 0 {
			delete(s.pendingByVariant, k.VariantID)
		}
	}
	return nil
}

// Run flushes impressions periodically and resumes unfinished campaigns,
// until ctx ends; then it flushes once more.
func (s *Service) Run(ctx context.Context) {
	s.resumeCampaigns(ctx)
	t := time.NewTicker(s.flush)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// Campaigns stop where they are (they resume at the next start),
			// then the impressions they counted are flushed.
			s.stopLife()
			s.running.Wait()
			if err := s.Flush(context.WithoutCancel(ctx)); err != nil {
				s.log.Error("flush impressions", "err", err)
			}
			return
		case <-t.C:
			if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("flush impressions", "err", err)
			}
		}
	}
}

// Performance is one product's copy performance on a channel.
type Performance struct {
	Variants []VariantPerformance
	// LeaderID is the variant with the best posterior mean once it has
	// enough impressions; "" before.
	LeaderID string
}

// VariantPerformance is one variant's record with its persona segment.
type VariantPerformance struct {
	bandit.VariantPerformance
	Segment string
}

// Performance reports every variant a product has served on a channel.
func (s *Service) Performance(ctx context.Context, productID string, ch copywriter.Channel) (Performance, error) {
	refs, err := s.st.ProductVariants(ctx, productID, string(ch))
	if err != nil {
		return Performance{}, err
	}
	// Variants served since the last flush are not in the store yet.
	segments := map[string]string{}
	var ids []string
	for _, r := range refs {
		segments[r.VariantID] = r.Segment
		ids = append(ids, r.VariantID)
	}
	s.mu.Lock()
	for sv := range s.pending {
		if sv.ProductID == productID && sv.Channel == string(ch) {
			if _, ok := segments[sv.VariantID]; !ok {
				segments[sv.VariantID] = sv.Segment
				ids = append(ids, sv.VariantID)
			}
		}
	}
	s.mu.Unlock()
	stats, err := s.Stats(ctx, ids)
	if err != nil {
		return Performance{}, err
	}
	perf := s.sel.Performance(stats)
	out := Performance{Variants: make([]VariantPerformance, len(perf))}
	for i, p := range perf {
		out.Variants[i] = VariantPerformance{VariantPerformance: p, Segment: segments[p.VariantID]}
	}
	out.LeaderID, _ = bandit.Leader(perf)
	return out, nil
}

// Recommendation is a recommendation for a known shopper (UserID empty for
// product-to-product ones), so that copy can be written for them.
type Recommendation struct {
	recommend.Recommendation
	UserID string
}

// ForUser tags recommendations with the shopper they are for.
func ForUser(userID string, recs []recommend.Recommendation) []Recommendation {
	out := make([]Recommendation, len(recs))
	for i, r := range recs {
		out[i] = Recommendation{Recommendation: r, UserID: userID}
	}
	return out
}

// Served reports whether the variant was served for the product, counting
// impressions not yet flushed to the store.
func (s *Service) Served(ctx context.Context, productID, variantID string) (bool, error) {
	s.mu.Lock()
	for sv := range s.pending {
		if sv.ProductID == productID && sv.VariantID == variantID {
			s.mu.Unlock()
			return true, nil
		}
	}
	s.mu.Unlock()
	for _, ch := range copywriter.Channels {
		refs, err := s.st.ProductVariants(ctx, productID, string(ch))
		if err != nil {
			return false, err
		}
		for _, r := range refs {
			if r.VariantID == variantID {
				return true, nil
			}
		}
	}
	return false, nil
}
