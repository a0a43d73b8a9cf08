package askeval

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/shop"
)

// Result is one question's outcome.
type Result struct {
	Item    Item
	Answer  assistant.Answer
	Err     error
	Latency time.Duration
	Correct bool
	Why     string // what was wrong, for dev failures
	// Supported: the answer states facts, passes its checks and is right.
	Supported bool
	// Citations that quote the catalogue and concern the question.
	GoodCitations, Citations int
	NDCG                     float64 // need questions
}

// Metrics are the scores of one part of the set.
type Metrics struct {
	N int
	// Accuracy per category, and over the answerable attribute questions
	// (attribute, colloquial, typo, yes/no, q&a).
	Accuracy     map[string]float64
	Count        map[string]int
	AttrAccuracy float64
	OverallAcc   float64
	CitationPrec float64
	// RefusalPrecision: of the UNKNOWN/HANDOFF answers, the share that
	// should have refused. RefusalRecall: of the questions that should be
	// refused, the share refused.
	RefusalPrecision, RefusalRecall float64
	// AnswerPrecision is the "refusal precision": when it answers,
	// the facts support the answer (checks pass and the answer is right).
	AnswerPrecision float64
	NDCG5           float64
	P50, P99        time.Duration
}

// Repeats is how many times Run times each question; the latency reported
// is the median, so that a pause of the machine (eight engineers share two
// cores) does not pass for the answerer's.
const Repeats = 3

// Run answers every item with a and scores it.
func Run(ctx context.Context, a assistant.Answerer, set *Set, items []Item) []Result {
	byID := map[string]*shop.Product{}
	for i := range set.Products {
		byID[set.Products[i].ID] = &set.Products[i]
	}
	qaByID := map[string]assistant.QA{}
	for _, q := range set.QAs {
		qaByID[q.ID] = q
	}
	out := make([]Result, 0, len(items))
	for _, it := range items {
		var ans assistant.Answer
		var err error
		var lat []time.Duration
		for range Repeats {
			start := time.Now()
			ans, err = a.Answer(ctx, it.Question)
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		r := Result{Item: it, Answer: ans, Err: err, Latency: lat[len(lat)/2]}
		if err == nil {
			score(&r, byID, set.QAs)
		} else {
			r.Why = "error: " + err.Error()
		}
		out = append(out, r)
	}
	return out
}

func score(r *Result, byID map[string]*shop.Product, qas []assistant.QA) {
	it, ans := r.Item, r.Answer
	if ans.Kind != it.Expect {
		r.Why = fmt.Sprintf("kind %s, want %s", ans.Kind, it.Expect)
	}
	cited := func(c assistant.Citation) bool {
		return slices.ContainsFunc(ans.Citations, func(x assistant.Citation) bool { return x.ProductID == c.ProductID && x.Field == c.Field })
	}
	// citations: quote the catalogue, concern the question
	var products []*shop.Product
	for _, c := range ans.Citations {
		if p := byID[c.ProductID]; p != nil {
			products = append(products, p)
		}
	}
	checks := assistant.CheckAnswer(ans, products, qas)
	quotes := func(c assistant.Citation) bool {
		one := assistant.Answer{Kind: ans.Kind, Citations: []assistant.Citation{c}}
		cs := assistant.CheckAnswer(one, []*shop.Product{byID[c.ProductID]}, qas)
		return byID[c.ProductID] != nil && cs[0].Passed
	}
	if !ans.Kind.Refusal() {
		for _, c := range ans.Citations {
			r.Citations++
			ok := quotes(c)
			switch it.Category {
			case CatNeed:
				ok = ok && it.Relevance[c.ProductID] > 0
			default:
				ok = ok && (slices.Contains(it.About, c.ProductID) || len(it.About) == 0)
				if len(it.Fields) > 0 && c.Field != assistant.FieldTitle {
					ok = ok && slices.ContainsFunc(it.Fields, func(f assistant.Citation) bool { return f.ProductID == c.ProductID && f.Field == c.Field })
				}
			}
			if ok {
				r.GoodCitations++
			}
		}
	}
	if r.Why == "" {
		switch it.Expect {
		case assistant.KindAnswer:
			if !slices.ContainsFunc(it.Fields, cited) {
				r.Why = fmt.Sprintf("cites %v, want one of %v", fields(ans.Citations), fields(it.Fields))
			} else if it.Verdict != "" && verdictOf(ans.Text) != it.Verdict {
				r.Why = fmt.Sprintf("says %q, want %s", ans.Text, it.Verdict)
			}
		case assistant.KindComparison:
			for _, f := range it.Fields {
				if !cited(f) {
					r.Why = fmt.Sprintf("does not cite %s of %s", f.Field, f.ProductID)
				}
			}
			for _, id := range it.About {
				if !slices.ContainsFunc(ans.Citations, func(c assistant.Citation) bool { return c.ProductID == id }) {
					r.Why = "does not cite " + id
				}
			}
			if r.Why == "" && it.Winner != "" && (len(ans.Products) == 0 || ans.Products[0].ProductID != it.Winner || ans.Products[0].Score <= ans.Products[len(ans.Products)-1].Score) {
				r.Why = fmt.Sprintf("does not favour %s", it.Winner)
			}
		case assistant.KindProducts:
			if len(ans.Products) == 0 {
				r.Why = "no products"
			}
			for _, h := range ans.Products {
				if it.Relevance[h.ProductID] == 0 {
					r.Why = fmt.Sprintf("lists %s, outside the filter", h.ProductID)
					break
				}
			}
		}
	}
	r.Correct = r.Why == ""
	if !ans.Kind.Refusal() && r.Correct && copywriter.Passed(checks) {
		r.Supported = true
	} else if !ans.Kind.Refusal() && r.Correct {
		r.Why = "checks failed: " + failed(checks)
	}
	if it.Category == CatNeed {
		r.NDCG = ndcg5(ans.Products, it.Relevance)
	}
}

func failed(cs []copywriter.Check) string {
	var out []string
	for _, c := range cs {
		if !c.Passed {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return strings.Join(out, "; ")
}

func fields(cs []assistant.Citation) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ProductID+"/"+c.Field)
	}
	return out
}

// verdictOf reads a yes/no answer's first word.
func verdictOf(text string) string {
	t := strings.ToLower(strings.TrimSpace(text))
	switch {
	case strings.HasPrefix(t, "是的"), strings.HasPrefix(t, "是"), strings.HasPrefix(t, "yes"), strings.HasPrefix(t, "对"):
		return "yes"
	case strings.HasPrefix(t, "不是"), strings.HasPrefix(t, "不"), strings.HasPrefix(t, "no"), strings.HasPrefix(t, "没有"):
		return "no"
	}
	return ""
}

// ndcg5 scores the first five listed products by graded relevance against
// the best possible list of the right set. An empty right set and an empty
// list score 1 (nothing to find, nothing listed).
func ndcg5(hits []assistant.ProductHit, rel map[string]int) float64 {
	gain := func(g int) float64 { return math.Pow(2, float64(g)) - 1 }
	dcg := 0.0
	for i, h := range hits {
		if i == 5 {
			break
		}
		dcg += gain(rel[h.ProductID]) / math.Log2(float64(i+2))
	}
	var grades []int
	for _, g := range rel {
		grades = append(grades, g)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(grades)))
	idcg := 0.0
	for i, g := range grades {
		if i == 5 {
			break
		}
		idcg += gain(g) / math.Log2(float64(i+2))
	}
	if idcg == 0 {
		if len(hits) == 0 {
			return 1
		}
		return 0
	}
	return dcg / idcg
}

// answerable attribute categories: the accuracy target's scope.
var attrCategories = []string{CatAttr, CatColloquial, CatCrossLang, CatTypo, CatYesNo, CatQA}

// Score sums results into metrics.
func Score(rs []Result) Metrics {
	m := Metrics{N: len(rs), Accuracy: map[string]float64{}, Count: map[string]int{}}
	correct := map[string]int{}
	var attrN, attrOK, ok, good, cites, refused, refusedRight, shouldRefuse, answered, supported, needs int
	var ndcg float64
	var lat []time.Duration
	for _, r := range rs {
		c := r.Item.Category
		m.Count[c]++
		if r.Correct {
			correct[c]++
			ok++
		}
		if slices.Contains(attrCategories, c) {
			attrN++
			if r.Correct {
				attrOK++
			}
		}
		good += r.GoodCitations
		cites += r.Citations
		if r.Item.Expect.Refusal() {
			shouldRefuse++
		}
		if r.Err == nil && r.Answer.Kind.Refusal() {
			refused++
			if r.Item.Expect.Refusal() {
				refusedRight++
			}
		} else if r.Err == nil {
			answered++
			if r.Supported {
				supported++
			}
		}
		if c == CatNeed {
			needs++
			ndcg += r.NDCG
		}
		lat = append(lat, r.Latency)
	}
	for c, n := range m.Count {
		m.Accuracy[c] = float64(correct[c]) / float64(n)
	}
	div := func(a, b int) float64 {
		if b == 0 {
			return math.NaN()
		}
		return float64(a) / float64(b)
	}
	m.AttrAccuracy = div(attrOK, attrN)
	m.OverallAcc = div(ok, len(rs))
	m.CitationPrec = div(good, cites)
	m.RefusalPrecision = div(refusedRight, refused)
	m.RefusalRecall = div(refusedRight, shouldRefuse)
	m.AnswerPrecision = div(supported, answered)
	if needs > 0 {
		m.NDCG5 = ndcg / float64(needs)
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		m.P50 = lat[len(lat)/2]
		m.P99 = lat[min(len(lat)-1, int(math.Ceil(float64(len(lat))*0.99))-1)]
	}
	return m
}

// Targets of the built-in answerer (issue 17).
const (
	TargetAttrAccuracy    = 0.9
	TargetAnswerPrecision = 0.97
	TargetP99             = 20 * time.Millisecond
)

// scoreParts scores the dev part and the held-out part apart.
func scoreParts(rs []Result) (dev, held Metrics) {
	var d, h []Result
	for _, r := range rs {
		if r.Item.HeldOut {
			h = append(h, r)
		} else {
			d = append(d, r)
		}
	}
	return Score(d), Score(h)
}

// Report prints the metrics of both parts; verbose prints the dev part's
// failures (never the held-out part's: nobody tunes on those).
func Report(w io.Writer, set *Set, rs []Result, verbose bool) (dev, held Metrics) {
	dev, held = scoreParts(rs)
	fmt.Fprintln(w, set.Summary())
	fmt.Fprintf(w, "%-34s %10s %10s\n", "", "dev", "held-out")
	row := func(name string, a, b float64, target string) {
		fmt.Fprintf(w, "%-34s %10s %10s  %s\n", name, pct(a), pct(b), target)
	}
	fmt.Fprintf(w, "%-34s %10d %10d\n", "questions", dev.N, held.N)
	row("accuracy, answerable attribute Qs", dev.AttrAccuracy, held.AttrAccuracy, fmt.Sprintf("target ≥ %.2f", TargetAttrAccuracy))
	row("accuracy, all", dev.OverallAcc, held.OverallAcc, "")
	for _, c := range []string{CatAttr, CatColloquial, CatCrossLang, CatTypo, CatYesNo, CatQA, CatUnknown, CatHandoff, CatNeed, CatCompare} {
		row("  "+c+fmt.Sprintf(" (%d/%d)", dev.Count[c], held.Count[c]), dev.Accuracy[c], held.Accuracy[c], "")
	}
	row("citation precision", dev.CitationPrec, held.CitationPrec, "")
	row("answer precision (facts support it)", dev.AnswerPrecision, held.AnswerPrecision, fmt.Sprintf("target ≥ %.2f (the issue's refusal precision)", TargetAnswerPrecision))
	row("refusal precision (refused rightly)", dev.RefusalPrecision, held.RefusalPrecision, "")
	row("refusal recall", dev.RefusalRecall, held.RefusalRecall, "")
	row("NDCG@5, need questions", dev.NDCG5, held.NDCG5, "")
	fmt.Fprintf(w, "latency: each question timed %d times in process, its median taken\n", Repeats)
	fmt.Fprintf(w, "%-34s %10s %10s\n", "latency p50", dev.P50.Round(time.Microsecond), held.P50.Round(time.Microsecond))
	fmt.Fprintf(w, "%-34s %10s %10s  target ≤ %s\n", "latency p99", dev.P99.Round(time.Microsecond), held.P99.Round(time.Microsecond), TargetP99)
	if verbose {
		fmt.Fprintln(w, "\ndev failures:")
		for _, r := range rs {
			if !r.Item.HeldOut && (!r.Correct || r.Why != "") {
				fmt.Fprintf(w, "  %s [%s] %q on %s%v: %s\n    → %s %q\n", r.Item.ID, r.Item.Category, r.Item.Question.Text, r.Item.Question.ProductID, r.Item.Question.ProductIDs, r.Why, r.Answer.Kind, oneLine(r.Answer.Text))
			}
		}
	}
	return dev, held
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func pct(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", v)
}

// AsShoppers returns the need questions of items asked again by signed-in
// demo shoppers: the same text and label, the UserID of one of set.Users
// (taken in turn), the ID suffixed "/u". The right set of a need does not
// depend on who asks (it is the filter's), so the shopper's
// recommendations may reorder the list but must not break the filter.
// Every other item carries no user context and is left out.
func AsShoppers(set *Set, items []Item) []Item {
	if len(set.Users) == 0 {
		return nil
	}
	var out []Item
	for _, it := range items {
		if it.Category != CatNeed || it.Question.UserID != "" {
			continue
		}
		it.Question.UserID = set.Users[len(out)*7%len(set.Users)]
		it.ID += "/u"
		out = append(out, it)
	}
	return out
}

// ReportShoppers prints the need questions asked by signed-in shoppers
// (AsShoppers), dev and held-out apart.
func ReportShoppers(w io.Writer, rs []Result) (dev, held Metrics) {
	dev, held = scoreParts(rs)
	fmt.Fprintf(w, "\nneed questions asked by a signed-in demo shopper (userID given: their recommendations join the candidates)\n")
	fmt.Fprintf(w, "%-34s %10d %10d\n", "questions", dev.N, held.N)
	fmt.Fprintf(w, "%-34s %10s %10s\n", "accuracy (filter kept)", pct(dev.OverallAcc), pct(held.OverallAcc))
	fmt.Fprintf(w, "%-34s %10s %10s\n", "citation precision", pct(dev.CitationPrec), pct(held.CitationPrec))
	fmt.Fprintf(w, "%-34s %10s %10s\n", "NDCG@5", pct(dev.NDCG5), pct(held.NDCG5))
	fmt.Fprintf(w, "%-34s %10s %10s\n", "latency p50", dev.P50.Round(time.Microsecond), held.P50.Round(time.Microsecond))
	fmt.Fprintf(w, "%-34s %10s %10s\n", "latency p99", dev.P99.Round(time.Microsecond), held.P99.Round(time.Microsecond))
	return dev, held
}
