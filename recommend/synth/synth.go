// Package synth generates a synthetic shop for tests and benchmarks: users
// and products with latent topic vectors, a category tree aligned with the
// topics, a long-tail popularity, product embeddings that reflect the topics
// (with noise), declared interests, and an interaction log with a
// view→click→cart→purchase funnel. Users choose items by taste, so a model
// that learns tastes must clearly beat popularity.
package synth

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// Shape constants of the generated world.
const (
	Categories    = 10
	SubCategories = 5 // per category; each (category, sub) is one topic
	Topics        = Categories * SubCategories
	LatentDim     = 16
	EmbeddingDim  = 32
	Days          = 90
)

var categoryNames = [Categories]string{"数码", "服饰", "美妆", "家居", "运动", "食品", "母婴", "图书", "宠物", "户外"}

// Shop is a generated world.
type Shop struct {
	Products     []shop.Product
	Embeddings   [][]float32 // aligned with Products, unit length
	Users        []shop.User
	Interactions []shop.Interaction // ascending by time
	Now          time.Time          // just after the last interaction
	// TopicOf is each product's topic; UserTopics each user's main topics.
	TopicOf    []int
	UserTopics [][]int
	topicEmb   [][]float32
}

// TopicName is the interest word of a topic (what users declare).
func TopicName(t int) string {
	return fmt.Sprintf("%s-%d", categoryNames[t/SubCategories], t%SubCategories)
}

func normalize(v []float64) []float64 {
	var n float64
	for _, x := range v {
		n += x * x
	}
	n = math.Sqrt(n)
	if n == 0 {
		return v
	}
	for i := range v {
		v[i] /= n
	}
	return v
}

func randVec(r *rand.Rand, d int) []float64 {
	v := make([]float64, d)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}

// world is a generated catalogue and user base with the samplers the
// event generators share.
type world struct {
	r                      *rand.Rand
	s                      *Shop
	start                  time.Time
	itemLatent, userLatent [][]float64
	byTopic                [][]int
	cdf                    [][]float64
	globalCDF              []float64
	activity               []float64
	totalAct               float64
}

func (w *world) sample(c []float64) int {
	x := w.r.Float64() * c[len(c)-1]
	return sort.SearchFloat64s(c, x)
}

// tasteItem draws an item from one of user u's topics, accepted by affinity.
func (w *world) tasteItem(u int) int {
	r, s := w.r, w.s
	item := 0
	for try := 0; try < 20; try++ {
		t := s.UserTopics[u][r.IntN(len(s.UserTopics[u]))]
		if len(w.byTopic[t]) == 0 {
			continue
		}
		item = w.byTopic[t][w.sample(w.cdf[t])]
		var aff float64
		for j := range w.userLatent[u] {
			aff += w.userLatent[u][j] * w.itemLatent[item][j]
		}
		if r.Float64() < math.Exp(4*(aff-1)) {
			break
		}
	}
	return item
}

// Generate builds a shop with the given numbers of users and products and
// about the given number of interaction events, deterministically from seed.
// Its visits are independent: a shopper rarely comes back to an item, and
// never re-buys one on purpose (the shop of the no-repeat protocol);
// GenerateFunnel makes the shop with sessions, revisits and re-purchases.
func Generate(users, products, interactions int, seed int64) *Shop {
	w := newWorld(users, products, seed)
	w.visits(interactions)
	return w.s
}

func newWorld(users, products int, seed int64) *world {
	r := rand.New(rand.NewPCG(uint64(seed), 0xda7a))
	s := &Shop{Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	start := s.Now.Add(-Days * 24 * time.Hour)

	topicLatent := make([][]float64, Topics)
	for t := range topicLatent {
		topicLatent[t] = normalize(randVec(r, LatentDim))
	}
	// A fixed random projection maps latent space to embedding space, so
	// content similarity reflects (noisily) what drives choices.
	proj := make([][]float64, EmbeddingDim)
	for i := range proj {
		proj[i] = randVec(r, LatentDim)
	}
	embed := func(lat []float64, noise float64) []float32 {
		e := make([]float64, EmbeddingDim)
		for i := range e {
			for j, x := range lat {
				e[i] += proj[i][j] * x
			}
			e[i] += noise * r.NormFloat64()
		}
		e = normalize(e)
		out := make([]float32, EmbeddingDim)
		for i := range e {
			out[i] = float32(e[i])
		}
		return out
	}
	s.topicEmb = make([][]float32, Topics)
	for t := range s.topicEmb {
		s.topicEmb[t] = embed(topicLatent[t], 0)
	}

	// Products: topic, latent = topic + noise, Zipf-like popularity.
	itemLatent := make([][]float64, products)
	s.TopicOf = make([]int, products)
	byTopic := make([][]int, Topics)
	pop := make([]float64, products)
	for i := 0; i < products; i++ {
		t := r.IntN(Topics)
		s.TopicOf[i] = t
		lat := slices.Clone(topicLatent[t])
		for j, x := range randVec(r, LatentDim) {
			lat[j] += 0.6 * x / math.Sqrt(LatentDim)
		}
		itemLatent[i] = normalize(lat)
		byTopic[t] = append(byTopic[t], i)
		pop[i] = 1 / math.Pow(float64(r.IntN(products)+1), 0.8)
		cat := fmt.Sprintf("%s/类目%d", categoryNames[t/SubCategories], t%SubCategories)
		created := start.Add(time.Duration(r.Int64N(int64(Days * 24 * time.Hour / 2))))
		s.Products = append(s.Products, shop.Product{
			ID: fmt.Sprintf("p%06d", i), Title: fmt.Sprintf("%s 好物 %d", categoryNames[t/SubCategories], i),
			Brand: fmt.Sprintf("品牌%d", r.IntN(50)), Category: cat,
			Tags:      []string{TopicName(t)},
			Price:     shop.Money{Amount: shop.Decimal(100 * (10 + r.IntN(2000))), CurrencyCode: "CNY"},
			Available: r.Float64() > 0.03, Language: shop.LanguageZH, Version: 1,
			CreatedAt: created, UpdatedAt: created,
		})
		s.Embeddings = append(s.Embeddings, embed(itemLatent[i], 0.35))
	}
	// Per-topic popularity CDFs for sampling.
	cdf := make([][]float64, Topics)
	for t, items := range byTopic {
		acc := 0.0
		for _, i := range items {
			acc += pop[i]
			cdf[t] = append(cdf[t], acc)
		}
	}
	var globalCDF []float64
	acc := 0.0
	for _, p := range pop {
		acc += p
		globalCDF = append(globalCDF, acc)
	}

	// Users: 1–3 main topics; activity log-normal.
	activity := make([]float64, users)
	var totalAct float64
	userLatent := make([][]float64, users)
	s.UserTopics = make([][]int, users)
	for u := 0; u < users; u++ {
		n := 1 + r.IntN(3)
		lat := make([]float64, LatentDim)
		for k := 0; k < n; k++ {
			t := r.IntN(Topics)
			s.UserTopics[u] = append(s.UserTopics[u], t)
			for j := range lat {
				lat[j] += topicLatent[t][j]
			}
		}
		userLatent[u] = normalize(lat)
		activity[u] = math.Exp(r.NormFloat64() * 0.8)
		totalAct += activity[u]
		us := shop.User{ID: fmt.Sprintf("u%05d", u), CreatedAt: start, UpdatedAt: start}
		if r.Float64() < 0.5 {
			us.Interests = []string{TopicName(s.UserTopics[u][0])}
		}
		s.Users = append(s.Users, us)
	}
	return &world{r: r, s: s, start: start, itemLatent: itemLatent, userLatent: userLatent, byTopic: byTopic,
		cdf: cdf, globalCDF: globalCDF, activity: activity, totalAct: totalAct}
}

// visits generates the independent visits of Generate.
func (w *world) visits(interactions int) {
	r, s, start := w.r, w.s, w.start
	users := len(s.Users)
	activity, totalAct := w.activity, w.totalAct
	// Events: each "visit" views an item, then maybe click, cart, purchase.
	events := make([]ev, 0, interactions)
	span := int64(Days * 24 * time.Hour)
	// Every user gets their share (at least one visit), so the total may
	// exceed interactions by a few funnel events per user.
	for u := 0; u < users; u++ {
		budget := max(2, int(math.Round(activity[u]/totalAct*float64(interactions))))
		var seen []int
		for b := 0; b < budget; {
			var item int
			switch x := r.Float64(); {
			case x < 0.15 && len(seen) > 0: // come back to something seen
				item = seen[r.IntN(len(seen))]
			case x < 0.25: // the crowd's favourites
				item = w.sample(w.globalCDF)
			default: // taste: one of my topics, accepted by affinity
				item = w.tasteItem(u)
			}
			seen = append(seen, item)
			t := start.Add(time.Duration(r.Int64N(span)))
			kinds := []shop.InteractionKind{shop.KindView}
			if r.Float64() < 0.4 {
				kinds = append(kinds, shop.KindClick)
				if r.Float64() < 0.3 {
					kinds = append(kinds, shop.KindAddToCart)
					if r.Float64() < 0.5 {
						kinds = append(kinds, shop.KindPurchase)
					}
				}
			}
			for k, kind := range kinds {
				events = append(events, ev{u, item, kind, t.Add(time.Duration(k) * time.Minute)})
				b++
			}
		}
	}
	s.setInteractions(events)
}

// ev is one generated event: user and product by index, kind and time.
type ev struct {
	u, i int
	k    shop.InteractionKind
	t    time.Time
}

// setInteractions sorts the generated events by time into the shop's
// interactions and sets its clock just after the last one.
func (s *Shop) setInteractions(events []ev) {
	slices.SortStableFunc(events, func(a, b ev) int { return a.t.Compare(b.t) })
	s.Interactions = make([]shop.Interaction, len(events))
	for n, e := range events {
		s.Interactions[n] = shop.Interaction{UserID: s.Users[e.u].ID, ProductID: s.Products[e.i].ID, Kind: e.k, OccurredAt: e.t}
	}
	if len(events) > 0 {
		s.Now = events[len(events)-1].t.Add(time.Minute)
	}
}

// Embedder embeds the generated interest words (TopicName) to their topic's
// position in product-embedding space, and any other text to a fixed
// pseudo-random unit vector. It satisfies embeddings.Embedder's query side.
type Embedder struct{ s *Shop }

// Embedder returns the shop's interest embedder.
func (s *Shop) Embedder() *Embedder { return &Embedder{s} }

func (e *Embedder) Name() string { return fmt.Sprintf("synth-topics-%d", EmbeddingDim) }
func (e *Embedder) Dim() int     { return EmbeddingDim }

func (e *Embedder) EmbedQuery(_ context.Context, text string) ([]float32, error) {
	for t := 0; t < Topics; t++ {
		if TopicName(t) == text {
			return slices.Clone(e.s.topicEmb[t]), nil
		}
	}
	h := fnv.New64a()
	h.Write([]byte(text))
	r := rand.New(rand.NewPCG(h.Sum64(), 1))
	v := normalize(randVec(r, EmbeddingDim))
	out := make([]float32, EmbeddingDim)
	for i := range v {
		out[i] = float32(v[i])
	}
	return out, nil
}

func (e *Embedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i], _ = e.EmbedQuery(ctx, t)
	}
	return out, nil
}
