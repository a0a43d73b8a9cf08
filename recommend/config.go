package recommend

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// Retriever names, used as keys of Config.Weights and as Reason kinds.
const (
	RetrieverItemCF   = "itemcf"
	RetrieverMF       = "mf"
	RetrieverContent  = "content"
	RetrieverPopular  = "popular"
	RetrieverTrending = "trending"
	RetrieverSeen     = "seen"
	RetrieverSession  = "session"
	// RetrieverRepeat re-offers the shopper's own history items by their
	// learned chance of being carted or bought next (repeat.go).
	RetrieverRepeat = "repeat"
)

// Retrievers lists every retriever in a fixed order.
var Retrievers = []string{RetrieverRepeat, RetrieverSeen, RetrieverSession, RetrieverItemCF, RetrieverMF, RetrieverContent, RetrieverTrending, RetrieverPopular}

// MF algorithms.
const (
	AlgoEALS = "eals"
	AlgoBPR  = "bpr"
)

// The regularisation of each algorithm when MFConfig.Reg is 0. They differ
// by two orders of magnitude: eALS's is scaled by each row's weight
// (RegExponent), BPR's is the weight decay of one SGD step.
const (
	DefaultEALSReg = 0.3
	DefaultBPRReg  = 0.01
)

// MFConfig configures matrix factorisation.
type MFConfig struct {
	Algorithm string // AlgoEALS (default) or AlgoBPR
	Factors   int    // latent dimension
	Epochs    int
	Reg       float64 // L2 regularisation; 0: DefaultEALSReg or DefaultBPRReg
	// RegExponent (eALS) scales Reg per row by the row's total weight to
	// this power (0: a plain, fixed penalty); see scaledReg.
	RegExponent float64
	Seed        int64
	Workers     int // goroutines; default 2 (the machine has 2 cores)

	// eALS: an observed (u,i) has weight 1 + Alpha*log(1+strength); the
	// missing-data weight of item i is C * f_i^Omega / sum_j f_j^Omega with f
	// the item's popularity (Omega 0 gives uniform weighting) and C = C0 times
	// the average number of items per user.
	Alpha float64
	C0    float64
	Omega float64

	// BPR: learning rate of SGD; each epoch draws as many triples as there
	// are (user,item) pairs.
	LearningRate float64
}

// Config tunes the engine. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// KindWeights is the strength of one event of each kind. RATE is scaled by
	// the rating: max(0, (value-2)/3) * weight, so 2 stars or less is no
	// positive signal and 5 stars is the full weight.
	KindWeights map[shop.InteractionKind]float64
	// HalfLife decays event strength for item-CF, MF and user profiles.
	HalfLife time.Duration
	// PopularHalfLife and TrendingHalfLife decay the item counters behind the
	// popular and trending retrievers.
	PopularHalfLife  time.Duration
	TrendingHalfLife time.Duration
	// SeenWindow bounds how old a view/click/cart may be to be re-offered by
	// the seen-but-not-bought retriever; SeenHalfLife decays its score.
	SeenWindow   time.Duration
	SeenHalfLife time.Duration

	// SessionGap splits a user's events into sessions: a longer pause starts
	// a new one, and a session whose last event is older is over.
	// SessionItems caps how many of the current session's distinct items
	// the session retriever starts from.
	SessionGap   time.Duration
	SessionItems int

	// CFNeighbours is how many neighbours per item item-CF (and the session
	// model) keeps.
	CFNeighbours int
	// CFHistory caps how many of a user's most recent distinct items enter
	// co-occurrence counting (bounds the quadratic cost of heavy users) and
	// query-time scoring.
	CFHistory int
	// CFRealtimeItems is how many of the user's recent items a new event is
	// paired with in the real-time co-occurrence update.
	CFRealtimeItems int
	// CFShrink damps similarities supported by few users (sim * n/(n+shrink)).
	CFShrink float64

	MF MFConfig

	// Weights scales each retriever's normalised scores in the blend.
	Weights map[string]float64
	// ColdWeights replace Weights for users without history: their
	// declared interests (content) lead, then trending and popular.
	ColdWeights map[string]float64
	// RetrieveN caps how many candidates each retriever proposes; a request
	// asks each for max(5N, 50) up to this cap.
	RetrieveN int
	// MMRLambda trades relevance (1) against diversity (0).
	MMRLambda float64
	// MaxPerCategory caps results per top-level category as a fraction of N
	// (at least one); it is relaxed when too few candidates remain.
	MaxPerCategory float64
	// ExcludePurchased drops items the user has bought, except consumables
	// due again (rebuy.go) and items the shopper carted again since. Off,
	// bought items compete like any other (eval's --exclude none).
	ExcludePurchased bool
	// HistoryScoring lets item-CF and MF score items of the shopper's own
	// history (not only fresh ones), so taste ranks the items a shopper
	// may come back to; the repeat retriever adds their learned chance. It
	// acts only where the data says shoppers come back (the trained repeat
	// model finds at least minHistoryShare of carts and purchases on
	// history items).
	HistoryScoring bool

	// AutoTune fits the blend weights (and MMR lambda and category cap)
	// to the shop at every Train, on a validation split of its own events
	// (autotune.go), and serves those instead of Weights, MMRLambda and
	// MaxPerCategory to warm users; the fit is saved with the models'
	// snapshot. Tuning.Apply turns it off when any of those is given
	// explicitly (SHOPMUSE_REC_WEIGHTS, ...) or SHOPMUSE_REC_AUTOTUNE=off.
	// AutoTuneUsers (validation users scored per trial), AutoTuneEvents
	// (events the validation models train on; a larger shop is subsampled
	// by user) and AutoTuneTime (the search's budget after the validation
	// training; 0: half the serving models' training, at least 10 s) bound
	// its cost; zero takes the defaults.
	AutoTune       bool
	AutoTuneUsers  int
	AutoTuneEvents int
	AutoTuneTime   time.Duration

	// Now is the clock; tests and replays of history set it.
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultConfig returns the defaults. MF and blend settings come from the
// grid searches in tune_test.go on the synthetic shop; the evaluation issue
// may tune them further on real data.
func DefaultConfig() Config {
	return Config{
		KindWeights: map[shop.InteractionKind]float64{
			shop.KindView: 1, shop.KindClick: 2, shop.KindLike: 3,
			shop.KindAddToCart: 4, shop.KindPurchase: 6, shop.KindRate: 5,
		},
		HalfLife:         30 * 24 * time.Hour,
		PopularHalfLife:  30 * 24 * time.Hour,
		TrendingHalfLife: 3 * 24 * time.Hour,
		SeenWindow:       14 * 24 * time.Hour,
		SeenHalfLife:     3 * 24 * time.Hour,
		SessionGap:       30 * time.Minute,
		SessionItems:     5,
		CFNeighbours:     50,
		CFHistory:        100,
		CFRealtimeItems:  20,
		CFShrink:         5,
		// eALS settings from eval --tune's coordinate search on validation
		// splits of the 3k- and 5k-user synthetic shops (the README's
		// "Recommendation quality" section has the runs): 48 factors gain
		// 2-3% NDCG over 32 at half the cost of 64, and frequency-scaled
		// regularisation keeps one Reg right across shop sizes. Reg 0 means
		// the algorithm's own default (DefaultEALSReg, DefaultBPRReg).
		MF: MFConfig{
			Algorithm: AlgoEALS, Factors: 48, Epochs: 15, RegExponent: 0.5, Seed: 1, Workers: 2,
			Alpha: 0.3, C0: 30, Omega: 0.5, LearningRate: 0.05,
		},
		// From TestTuneBlend (10k users, 20k products, 200k events, time
		// split): MF leads; item-CF at 0.3 keeps NDCG and adds coverage;
		// content and popularity matter for cold start, not for accuracy.
		Weights: map[string]float64{
			RetrieverSeen: 0.6, RetrieverSession: 0.5, RetrieverItemCF: 0.3, RetrieverMF: 1.0,
			RetrieverContent: 0.1, RetrieverTrending: 0.05, RetrieverPopular: 0.05,
			// The repeat retriever adds weight × its item's learned chance of
			// being carted or bought next (over the model's best), not a rank
			// discount. With HistoryScoring, 6 was best on the validation
			// splits (eval --validation, never the test part) of three
			// generated funnel shops and one without repeats (seeds 11-13,
			// 14: NDCG@10 0.4343, 0.4317, 0.4496, 0.2570; at 4: 0.4272,
			// 0.4243, 0.4468, 0.2658; at 8: 0.4359, 0.4310, 0.4482,
			// 0.2485), and above the best without HistoryScoring (32:
			// 0.4310, 0.4234, 0.4380, 0.2264).
			RetrieverRepeat: 6,
		},
		ColdWeights: map[string]float64{
			RetrieverContent: 1, RetrieverTrending: 0.3, RetrieverPopular: 0.2,
		},
		RetrieveN:        200,
		MMRLambda:        0.85,
		MaxPerCategory:   0.5,
		ExcludePurchased: true,
		HistoryScoring:   true,
		AutoTune:         true,
		Now:              time.Now,
		Logger:           slog.Default(),
	}
}

// withDefaults fills zero fields from DefaultConfig and validates the rest.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.KindWeights == nil {
		c.KindWeights = d.KindWeights
	}
	for k, w := range c.KindWeights {
		if !k.Valid() {
			return c, fmt.Errorf("recommend: config: unknown interaction kind %q", k)
		}
		if w < 0 {
			return c, fmt.Errorf("recommend: config: weight of %s is negative", k)
		}
	}
	durs := []*time.Duration{&c.HalfLife, &c.PopularHalfLife, &c.TrendingHalfLife, &c.SeenWindow, &c.SeenHalfLife, &c.SessionGap}
	ddurs := []time.Duration{d.HalfLife, d.PopularHalfLife, d.TrendingHalfLife, d.SeenWindow, d.SeenHalfLife, d.SessionGap}
	for i, p := range durs {
		if *p == 0 {
			*p = ddurs[i]
		}
	}
	ints := []*int{&c.CFNeighbours, &c.CFHistory, &c.CFRealtimeItems, &c.RetrieveN, &c.SessionItems, &c.AutoTuneUsers, &c.AutoTuneEvents}
	dints := []int{d.CFNeighbours, d.CFHistory, d.CFRealtimeItems, d.RetrieveN, d.SessionItems, defaultAutoTuneUsers, defaultAutoTuneEvents}
	for i, p := range ints {
		if *p <= 0 {
			*p = dints[i]
		}
	}
	if c.CFShrink < 0 {
		return c, fmt.Errorf("recommend: config: CFShrink must not be negative")
	}
	if c.MF == (MFConfig{}) {
		c.MF = d.MF
	}
	m, dm := &c.MF, d.MF
	if m.Algorithm == "" {
		m.Algorithm = dm.Algorithm
	}
	if m.Algorithm != AlgoEALS && m.Algorithm != AlgoBPR {
		return c, fmt.Errorf("recommend: config: MF algorithm %q is neither %q nor %q", m.Algorithm, AlgoEALS, AlgoBPR)
	}
	if m.Factors <= 0 {
		m.Factors = dm.Factors
	}
	if m.Epochs <= 0 {
		m.Epochs = dm.Epochs
	}
	if m.Reg <= 0 {
		m.Reg = DefaultEALSReg
		if m.Algorithm == AlgoBPR {
			m.Reg = DefaultBPRReg
		}
	}
	if m.Workers <= 0 {
		m.Workers = dm.Workers
	}
	if m.Alpha <= 0 {
		m.Alpha = dm.Alpha
	}
	if m.C0 <= 0 {
		m.C0 = dm.C0
	}
	if m.Omega < 0 {
		return c, fmt.Errorf("recommend: config: MF Omega must not be negative")
	}
	if m.RegExponent < 0 || m.RegExponent > 1 {
		return c, fmt.Errorf("recommend: config: MF RegExponent must be in [0,1]")
	}
	if m.LearningRate <= 0 {
		m.LearningRate = dm.LearningRate
	}
	if c.Weights == nil {
		c.Weights = d.Weights
	}
	if c.ColdWeights == nil {
		c.ColdWeights = d.ColdWeights
	}
	if c.MMRLambda <= 0 || c.MMRLambda > 1 {
		c.MMRLambda = d.MMRLambda
	}
	if c.MaxPerCategory <= 0 {
		c.MaxPerCategory = d.MaxPerCategory
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// kindWeight returns the strength of one event.
func (c *Config) kindWeight(kind uint8, value float32) float64 {
	k, _ := shop.KindFromCode(kind)
	w := c.KindWeights[k]
	if k == shop.KindRate {
		v := (float64(value) - 2) / 3
		if v < 0 {
			v = 0
		}
		w *= v
	}
	return w
}

// ParseWeights reads blend weights written as "mf=1,itemcf=0.3" (the form
// of SHOPMUSE_REC_WEIGHTS and eval --weights). Every name must be a
// retriever and every weight a finite number ≥ 0; empty input is no
// override (nil).
func ParseWeights(s string) (map[string]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		name, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		name = strings.TrimSpace(name)
		if !ok || !slices.Contains(Retrievers, name) {
			return nil, fmt.Errorf("%q is not retriever=weight with retriever one of %s", part, strings.Join(Retrievers, ", "))
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || w < 0 || math.IsInf(w, 0) || math.IsNaN(w) {
			return nil, fmt.Errorf("%q: the weight must be a number ≥ 0", part)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%q: %s is named twice", part, name)
		}
		out[name] = w
	}
	return out, nil
}

// MFOverrides are matrix-factorisation settings by name, written as
// "factors=64,epochs=20,reg=0.3,nu=0.5,alpha=0.3,c0=30,omega=0.5" (the form of
// SHOPMUSE_REC_MF and eval --mf; bpr=1 selects BPR, lr its learning rate).
type MFOverrides map[string]float64

// mfKeys are the names MFOverrides accepts.
var mfKeys = []string{"factors", "epochs", "reg", "nu", "alpha", "c0", "omega", "lr", "bpr"}

// ParseMFOverrides reads MFOverrides; empty input is no override (nil).
func ParseMFOverrides(s string) (MFOverrides, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := MFOverrides{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k = strings.TrimSpace(k)
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || !slices.Contains(mfKeys, k) {
			return nil, fmt.Errorf("%q is not key=number ≥ 0 with key one of %s", part, strings.Join(mfKeys, ", "))
		}
		if (k == "factors" || k == "epochs") && (f < 1 || f > 1024 || f != math.Trunc(f)) {
			return nil, fmt.Errorf("%q: %s must be a whole number from 1 to 1024", part, k)
		}
		if k == "nu" && f > 1 {
			return nil, fmt.Errorf("%q: nu must be in [0,1]", part)
		}
		out[k] = f
	}
	return out, nil
}

// Apply writes the overrides into mf.
func (o MFOverrides) Apply(mf *MFConfig) {
	for k, v := range o {
		switch k {
		case "factors":
			mf.Factors = int(v)
		case "epochs":
			mf.Epochs = int(v)
		case "reg":
			mf.Reg = v
		case "nu":
			mf.RegExponent = v
		case "alpha":
			mf.Alpha = v
		case "c0":
			mf.C0 = v
		case "omega":
			mf.Omega = v
		case "lr":
			mf.LearningRate = v
		case "bpr":
			if v != 0 {
				mf.Algorithm = AlgoBPR
			}
		}
	}
}
