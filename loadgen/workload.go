package loadgen

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// Workload is one kind of request in the mix: a GraphQL document and a
// generator of its variables. The set is a table, not code paths, so that a
// query the server does not support yet (a field another team is adding)
// shows up as an error class in the report instead of needing a code change.
type Workload struct {
	Name  string
	Query string
	// NeedsProducts says Vars picks from Data.ProductIDs, which must then
	// not be empty.
	NeedsProducts bool
	Vars          func(r *rand.Rand, d *Data) map[string]any
}

// Data is what variable generators pick from: product IDs fetched from the
// server at start, the demo shop's user IDs and search queries.
type Data struct {
	ProductIDs    []string
	UserIDs       []string
	SearchQueries []string
	First         int // --first, for the listing workloads
}

// DemoUserIDs are the demo shop's users, u001..u072.
func DemoUserIDs() []string {
	ids := make([]string, 72)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%03d", i+1)
	}
	return ids
}

// DemoSearchQueries are queries shoppers type into the demo shop, in both
// of its languages (a sample of demo/judgements.go, which is unexported).
var DemoSearchQueries = []string{
	"拍照手机", "降噪耳机", "保温杯", "婴儿奶粉", "戴森吸尘器", "5000mAh", "防水手机",
	"跑步鞋", "口红", "保湿面霜", "冲锋衣", "空气炸锅", "咖啡", "羽绒服", "智能手表",
	"华为手机", "学生平板", "千元以内耳机", "扫地机器人", "露营帐篷",
	"running shoes", "noise cancelling headphones", "lipstick", "waterproof phone",
	"smartwatch", "air fryer", "coffee", "baby formula", "mirrorless camera", "perfume",
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// Workloads is the table of known workloads by name.
var Workloads = map[string]Workload{
	"products": {
		Name:  "products",
		Query: `query LoadProducts($first: Int) { products(first: $first) { nodes { id title price { amount currencyCode } } pageInfo { hasNextPage endCursor } } }`,
		Vars:  func(r *rand.Rand, d *Data) map[string]any { return map[string]any{"first": d.First} },
	},
	"search": {
		Name:  "search",
		Query: `query LoadSearch($q: String!) { searchProducts(query: $q, first: 10) { product { id title } score } }`,
		Vars:  func(r *rand.Rand, d *Data) map[string]any { return map[string]any{"q": pick(r, d.SearchQueries)} },
	},
	"recommendations": {
		Name:  "recommendations",
		Query: `query LoadRecommendations($u: ID!, $first: Int) { recommendations(userID: $u, first: $first) { product { id title } score reasons { kind message } } }`,
		Vars: func(r *rand.Rand, d *Data) map[string]any {
			return map[string]any{"u": pick(r, d.UserIDs), "first": d.First}
		},
	},
	"copy": {
		Name:          "copy",
		Query:         `query LoadCopy($p: ID!) { generatedCopy(productID: $p, channel: PUSH) { variants { text } } }`,
		NeedsProducts: true,
		Vars:          func(r *rand.Rand, d *Data) map[string]any { return map[string]any{"p": pick(r, d.ProductIDs)} },
	},
	"product": {
		Name:          "product",
		Query:         `query LoadProduct($p: ID!) { product(id: $p) { id title description brand category price { amount currencyCode } attributes { name value } } }`,
		NeedsProducts: true,
		Vars:          func(r *rand.Rand, d *Data) map[string]any { return map[string]any{"p": pick(r, d.ProductIDs)} },
	},
}

// MixEntry is one workload of the mix with its relative weight.
type MixEntry struct {
	Workload Workload
	Weight   float64
}

// ParseMix reads "products=1,search=2": names from table, positive
// weights. A name without "=w" has weight 1.
func ParseMix(s string, table map[string]Workload) ([]MixEntry, error) {
	var mix []MixEntry
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, ws, hasW := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		w := 1.0
		if hasW {
			var err error
			w, err = strconv.ParseFloat(strings.TrimSpace(ws), 64)
			if err != nil || w < 0 || w != w {
				return nil, fmt.Errorf("--mix %q: weight of %s must be a number >= 0", s, name)
			}
		}
		wl, ok := table[name]
		if !ok {
			return nil, fmt.Errorf("--mix: unknown workload %q (known: %s)", name, strings.Join(names(table), ", "))
		}
		if seen[name] {
			return nil, fmt.Errorf("--mix: workload %q given twice", name)
		}
		seen[name] = true
		if w == 0 {
			continue
		}
		mix = append(mix, MixEntry{Workload: wl, Weight: w})
	}
	if len(mix) == 0 {
		return nil, fmt.Errorf("--mix %q: no workload with a positive weight", s)
	}
	return mix, nil
}

func names(table map[string]Workload) []string {
	var ns []string
	for n := range table {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// chooser picks mix entries in proportion to their weights.
type chooser struct {
	cum   []float64
	total float64
}

func newChooser(mix []MixEntry) chooser {
	c := chooser{cum: make([]float64, len(mix))}
	for i, m := range mix {
		c.total += m.Weight
		c.cum[i] = c.total
	}
	return c
}

func (c chooser) pick(r *rand.Rand) int {
	x := r.Float64() * c.total
	i := sort.SearchFloat64s(c.cum, x)
	// x == cum[i] belongs to the next bucket; SearchFloat64s returns the
	// first cum >= x, so step over an exact hit (and never past the end).
	for i < len(c.cum)-1 && c.cum[i] <= x {
		i++
	}
	return i
}
