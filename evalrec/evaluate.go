package evalrec

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/shopmuse/shopmuse/embeddings"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/exact"
)

// Row is one model's result.
type Row struct {
	Model   string
	Metrics recommend.Metrics
	// Train is the model's training time; HasTrain is false for models that
	// are counters maintained on ingest (popular, trending, seen).
	Train    time.Duration
	HasTrain bool
}

// SplitInfo describes the hold-out.
type SplitInfo struct {
	Users, TestUsers          int
	TrainEvents, TestEvents   int
	Products, StubbedProducts int
	Clock                     time.Time // the engine's fixed clock
	// Targets counts (user, item) targets; TargetsSeen those the user had
	// touched in training (viewed, clicked, carted...).
	Targets, TargetsSeen int
}

// seenTargets counts the targets the user had already touched in training.
func seenTargets(sp recommend.Split) (seen, total int) {
	for u, items := range sp.Test {
		for id := range items {
			total++
			if sp.Touched[u][id] {
				seen++
			}
		}
	}
	return seen, total
}

// Report is what Evaluate measured.
type Report struct {
	Format string
	// Protocol is "funnel protocol" or "no-repeat protocol".
	Protocol string
	Split    SplitInfo
	K        int
	// Evaluated is how many test users were ranked (--max-users samples).
	Evaluated int
	Rows      []Row
	Tune      *TuneResult
	// ReasonsCited counts the blend's item-CF reasons that cite a history
	// item, ReasonsAgree those citing the item that contributed most.
	ReasonsCited, ReasonsAgree int
	// Rules describes the --rules replay (nil without it).
	Rules *RulesInfo
	proto recommend.Protocol
}

// Row returns the named row, if present.
func (r *Report) Row(model string) (Row, bool) {
	for _, x := range r.Rows {
		if x.Model == model {
			return x, true
		}
	}
	return Row{}, false
}

// world holds what every engine of one run shares: the catalogue, users and
// the product embeddings (computed once, read-only afterwards).
type world struct {
	data      *Data
	emb       *embeddings.Builtin
	idx       *exact.Index
	embedTime time.Duration
}

// newWorld embeds the catalogue with the built-in embedder (as the service
// does by default): fitted on the catalogue, fields weighted.
func newWorld(ctx context.Context, d *Data, dim int) (*world, error) {
	start := time.Now()
	emb := embeddings.NewBuiltin(dim)
	ps := make([]*shop.Product, len(d.Products))
	for i := range d.Products {
		ps[i] = &d.Products[i]
	}
	emb.FitProducts(ps)
	vecs, err := embeddings.EmbedProducts(ctx, emb, ps)
	if err != nil {
		return nil, err
	}
	idx := exact.New(emb.Dim())
	pts := make([]vector.Point, 0, len(ps))
	for i, p := range ps {
		if slices.Max(vecs[i]) == 0 && slices.Min(vecs[i]) == 0 { // no text: cosine undefined, leave unindexed
			continue
		}
		pts = append(pts, vector.Point{ID: p.ID, Vector: vecs[i], Payload: vector.PayloadOf(p)})
	}
	if err := idx.Upsert(ctx, pts); err != nil {
		return nil, err
	}
	return &world{data: d, emb: emb, idx: idx, embedTime: time.Since(start)}, nil
}

// engine builds an engine over the catalogue, the users and the given
// events, with cfg (whose Now should be the fixed split clock).
func (w *world) engine(cfg recommend.Config, events []shop.Interaction) (*recommend.Engine, error) {
	e, err := recommend.New(cfg, recommend.Deps{Products: w.idx, Embedder: w.emb})
	if err != nil {
		return nil, err
	}
	if err := e.UpsertProducts(w.data.Products); err != nil {
		return nil, err
	}
	if len(w.data.Users) > 0 {
		if err := e.UpsertUsers(w.data.Users); err != nil {
			return nil, err
		}
	}
	for start := 0; start < len(events); start += 10000 {
		if err := e.LoadInteractions(events[start:min(start+10000, len(events))]); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// baseConfig is the service's default configuration with a fixed clock:
// the models see the world as it was at the split, so decay, trending and
// "recent" mean the same as they would have then.
func baseConfig(now time.Time, o Options) recommend.Config {
	cfg := recommend.DefaultConfig()
	if o.HalfLife > 0 {
		cfg.HalfLife = o.HalfLife
	}
	if o.HistoryScoring != "" {
		cfg.HistoryScoring = o.HistoryScoring == "true"
	}
	o.Tuning.Apply(&cfg)
	if o.NoAutoTune {
		cfg.AutoTune = false
	}
	// The engine's own exclusion follows the protocol's: under --exclude
	// none a bought item may come back (consumables are bought again).
	cfg.ExcludePurchased = o.Exclude != "none"
	cfg.Now = func() time.Time { return now }
	cfg.Logger = quiet
	return cfg
}

// holdout is one split and the clock the engine is stopped at.
type holdout struct {
	sp  recommend.Split // train, held-out events, targets, exclusions
	now time.Time       // just after the last training event
}

// protocol turns the flags into a recommend.Protocol for the data its:
// --target-kinds auto means purchases and carts when the data has any (a
// shop's log), else every kind (ratings, reviews).
func protocol(o Options, its []shop.Interaction, seed int64) recommend.Protocol {
	p := recommend.Protocol{Frac: o.Holdout, LastN: o.LastN, SessionGap: o.SessionGap, Seed: seed}
	switch o.Split {
	case "last-n":
		p.Method = recommend.SplitLastTargets
	case "random":
		p.Method = recommend.SplitRandom
	default:
		p.Method = recommend.SplitByTime
	}
	if o.Targets == "new" {
		p.Targets = recommend.TargetsNew
	}
	switch o.Exclude {
	case "train":
		p.Exclude = recommend.ExcludeTrain
	case "none":
		p.Exclude = recommend.ExcludeNone
	}
	kinds, _ := parseKinds(o.TargetKinds) // validated by parseFlags
	if kinds == nil {
		kinds = []shop.InteractionKind{}
		for i := range its {
			if k := its[i].Kind; k == shop.KindPurchase || k == shop.KindAddToCart {
				kinds = []shop.InteractionKind{shop.KindPurchase, shop.KindAddToCart}
				break
			}
		}
	}
	p.TargetKinds = kinds
	p.Consumable = o.consumable
	return p
}

// protocolLabel names the protocol in the table and the JSON: the
// no-repeat protocol is the one where only items new to the user count.
func protocolLabel(o Options) string {
	if o.Targets == "new" {
		return "no-repeat protocol"
	}
	return "funnel protocol"
}

// makeHoldout splits with recommend.SplitProtocol (the one split
// implementation) and stops the clock just after the last training event:
// the engine then sees the world as the service would have at the split.
func makeHoldout(its []shop.Interaction, p recommend.Protocol) holdout {
	sp := recommend.SplitProtocol(its, p)
	var last time.Time
	if n := len(sp.Train); n > 0 {
		last = sp.Train[n-1].OccurredAt
	}
	return holdout{sp: sp, now: last.Add(time.Second)}
}

// modelNames is the evaluated set in table order.
func modelNames(o Options) []string {
	if len(o.Models) > 0 {
		return o.Models
	}
	names := []string{"popularity"}
	for _, r := range []string{recommend.RetrieverPopular, recommend.RetrieverTrending, recommend.RetrieverContent,
		recommend.RetrieverItemCF, recommend.RetrieverMF, recommend.RetrieverSeen, recommend.RetrieverRepeat} {
		// With every training item excluded the seen-not-bought retriever
		// has nothing left to propose: a row of zeros says nothing. The
		// session retriever is left out too: the split's one clock puts
		// almost no user inside a running session.
		if (r == recommend.RetrieverSeen || r == recommend.RetrieverRepeat) && o.Exclude == "train" {
			continue
		}
		names = append(names, r)
	}
	if o.Exclude != "train" {
		names = append(names, "reoffer")
	}
	return append(append(names, "blend"), placementRows(o.Placement)...)
}

// placementRows are the rows of --placement: Engine.Recommend asked for
// other placements than FOR_YOU (the blend row), scored on the same targets.
func placementRows(placement string) []string {
	var rows []string
	for _, p := range recommend.Placements[1:] {
		if placement == "all" || placement == string(p) {
			rows = append(rows, "blend/"+string(p))
		}
	}
	return rows
}

// reofferRanker is the "re-offer what the shopper viewed but did not buy"
// baseline: the user's training items never bought, most recently touched
// first, with no time window and nothing else. Where it beats the blend,
// the engine under-uses the shopper's own history.
func reofferRanker(train []shop.Interaction) recommend.Ranker {
	type touch struct {
		last   time.Time
		bought bool
	}
	hist := map[string]map[string]*touch{}
	for _, it := range train {
		m := hist[it.UserID]
		if m == nil {
			m = map[string]*touch{}
			hist[it.UserID] = m
		}
		t := m[it.ProductID]
		if t == nil {
			t = &touch{}
			m[it.ProductID] = t
		}
		if it.OccurredAt.After(t.last) {
			t.last = it.OccurredAt
		}
		t.bought = t.bought || it.Kind == shop.KindPurchase
	}
	return func(_ context.Context, u string, k int, exclude map[string]bool) ([]string, error) {
		var ids []string
		for id, t := range hist[u] {
			if !t.bought && !exclude[id] {
				ids = append(ids, id)
			}
		}
		m := hist[u]
		slices.SortFunc(ids, func(a, b string) int {
			if c := m[b].last.Compare(m[a].last); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		return ids[:min(len(ids), k)], nil
	}
}

// ranker is the named model over e: "blend" is Engine.Recommend itself,
// "reoffer" the history baseline, the rest recommend's diagnosis rankers.
func ranker(e *recommend.Engine, name string, train []shop.Interaction) (recommend.Ranker, error) {
	if name == "reoffer" {
		return reofferRanker(train), nil
	}
	if p, ok := strings.CutPrefix(name, "blend/"); ok {
		return e.PlacementRanker(recommend.Placement(p)), nil
	}
	return e.Ranker(name)
}

// evaluate scores one ranker, with a progress line on stderr every 2 s.
func evaluate(ctx context.Context, e *recommend.Engine, name string, sp recommend.Split, k, catalogue, maxUsers int, stderr io.Writer) (recommend.Metrics, error) {
	r, err := ranker(e, name, sp.Train)
	if err != nil {
		return recommend.Metrics{}, err
	}
	total := len(sp.Test)
	if maxUsers > 0 {
		total = min(total, maxUsers)
	}
	var done atomic.Int64
	counted := func(ctx context.Context, u string, k int, ex map[string]bool) ([]string, error) {
		done.Add(1)
		return r(ctx, u, k, ex)
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fmt.Fprintf(stderr, "  %-10s %d/%d users\n", name, done.Load(), total)
			}
		}
	}()
	m, err := recommend.Evaluate(ctx, counted, sp, k, catalogue, maxUsers)
	close(stop)
	<-finished
	return m, err
}

// Evaluate runs the whole evaluation of o, printing the table on stdout.
func Evaluate(ctx context.Context, o Options, stdout, stderr io.Writer) (*Report, error) {
	p := progress{stderr}
	done := p.step("loading %s", o.Interactions)
	d, err := Load(o.Interactions, o.Products, o.Users, o.Format, time.Now())
	if err != nil {
		return nil, err
	}
	done()
	fmt.Fprintf(stderr, "  %s: %d interactions, %d products (%d without metadata), %d users with a profile\n",
		d.Format, len(d.Interactions), len(d.Products), d.Stubbed, len(d.Users))

	o.consumable = consumables(d)
	proto := protocol(o, d.Interactions, o.Seed)
	h := makeHoldout(d.Interactions, proto)
	if o.Validation {
		// The split --tune validates on: the same protocol applied to the
		// training part, so the test part plays no role at all.
		proto = protocol(o, h.sp.Train, o.Seed+1)
		h = makeHoldout(h.sp.Train, proto)
		fmt.Fprintf(stderr, "  --validation: scoring the validation split of the training part (%d events)\n", len(h.sp.Train)+len(h.sp.Held))
	}
	users := map[string]bool{}
	for i := range d.Interactions {
		users[d.Interactions[i].UserID] = true
	}
	rep := &Report{Format: d.Format, K: o.K, Protocol: protocolLabel(o), proto: proto, Split: SplitInfo{Users: len(users), TestUsers: len(h.sp.Test),
		TrainEvents: len(h.sp.Train), TestEvents: len(h.sp.Held), Products: len(d.Products), StubbedProducts: d.Stubbed, Clock: h.now}}
	rep.Split.TargetsSeen, rep.Split.Targets = seenTargets(h.sp)

	rep.Evaluated = len(h.sp.Test)
	if o.MaxUsers > 0 {
		rep.Evaluated = min(rep.Evaluated, o.MaxUsers)
	}
	if len(h.sp.Test) == 0 {
		return nil, fmt.Errorf("no user has a held-out item to predict (too few interactions per user?)")
	}
	if o.WriteSplit != "" {
		done := p.step("writing the split to %s", o.WriteSplit)
		val := makeHoldout(h.sp.Train, protocol(o, h.sp.Train, o.Seed+1)) // the split --tune validates on
		if err := WriteSplit(o.WriteSplit, d, h, &val, rep.Protocol); err != nil {
			return nil, err
		}
		done()
	}

	done = p.step("embedding %d products (built-in embedder, dim %d)", len(d.Products), o.EmbedDim)
	w, err := newWorld(ctx, d, o.EmbedDim)
	if err != nil {
		return nil, err
	}
	done()
	cfg := baseConfig(h.now, o)
	cfg.Logger = engineLogger(stderr)
	e, err := w.engine(cfg, h.sp.Train)
	if err != nil {
		return nil, err
	}
	done = p.step("training item-CF and MF on %d events (clock %s)", len(h.sp.Train), h.now.Format(time.RFC3339))
	tr, err := e.Train(ctx)
	if err != nil {
		return nil, err
	}
	done()
	for _, m := range tr.Models {
		if m.Name == "blend" { // the engine's own fit (recommend.Config.AutoTune)
			fmt.Fprintf(stderr, "  blend %s, in %v\n", m.Details, m.Duration.Round(time.Millisecond))
		}
	}
	trainOf := func(name string) (time.Duration, bool) {
		switch name {
		case "blend":
			return tr.Duration + w.embedTime, true
		case recommend.RetrieverContent:
			return w.embedTime, true
		}
		for _, m := range tr.Models {
			if m.Name == name || strings.HasPrefix(m.Name, name+":") {
				return m.Duration, true
			}
		}
		return 0, false
	}
	catalogue := len(d.Products)
	for _, name := range modelNames(o) {
		what := "ranking with " + name + " alone (diagnosis)"
		switch name {
		case "blend":
			what = "asking Engine.Recommend (the serving path) for every test user"
		case "blend/DISCOVER", "blend/CONTINUE", "blend/BUY_AGAIN":
			what = "asking Engine.Recommend for the " + strings.TrimPrefix(name, "blend/") + " placement"
		case "popularity", "reoffer":
			what = "ranking with the " + name + " baseline"
		}
		done := p.step("%s", what)
		m, err := evaluate(ctx, e, name, h.sp, o.K, catalogue, o.MaxUsers, stderr)
		if err != nil {
			return nil, err
		}
		done()
		dur, has := trainOf(name)
		rep.Rows = append(rep.Rows, Row{Model: name, Metrics: m, Train: dur, HasTrain: has})
	}

	if slices.Contains(modelNames(o), "blend") {
		rep.ReasonsCited, rep.ReasonsAgree = reasonAgreement(ctx, e, h.sp, o.K, o.MaxUsers)
	}
	if o.Rules != "" {
		row, info, err := evaluateRules(ctx, e, o, h, catalogue, stderr)
		if err != nil {
			return nil, err
		}
		rep.Rows = append(rep.Rows, row)
		rep.Rules = info
	}
	if o.NeuMF && len(o.Models) == 0 {
		done := p.step("training NeuMF on %d events", len(h.sp.Train))
		nm, err := trainNeuMF(ctx, h.sp.Train, d.Products, engineLogger(stderr))
		if err != nil {
			return nil, err
		}
		done()
		done = p.step("ranking the catalogue with neumf")
		m, err := recommend.Evaluate(ctx, nm.ranker(), h.sp, o.K, catalogue, o.MaxUsers)
		if err != nil {
			return nil, err
		}
		done()
		rep.Rows = append(rep.Rows, Row{Model: "neumf", Metrics: m, Train: nm.took, HasTrain: true})
	}

	if o.Tune {
		snap, err := e.Snapshot()
		if err != nil {
			return nil, err
		}
		tres, err := tune(ctx, o, w, h, snap, tr.Duration, stderr)
		if err != nil {
			return nil, err
		}
		rep.Tune = tres
		rep.Rows = append(rep.Rows, tres.TestRow)
	}

	writeTable(stdout, o, rep)
	if o.JSON != "" {
		if err := writeJSON(o.JSON, rep); err != nil {
			return nil, err
		}
	}
	if rep.Tune != nil {
		writeTuneResult(stdout, rep)
	}
	if o.Plot != "" {
		if err := mkdirFor(o.Plot); err != nil {
			return nil, err
		}
		if err := WritePlot(o.Plot, rep, o.Interactions); err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "chart written to %s\n", o.Plot)
	}
	return rep, nil
}

func writeTable(w io.Writer, o Options, rep *Report) {
	s := rep.Split
	fmt.Fprintf(w, "dataset: %s (%s): %d users, %d products, %d train / %d test events\n",
		o.Interactions, rep.Format, s.Users, s.Products, s.TrainEvents, s.TestEvents)
	var split string
	switch o.Split {
	case "last-n":
		split = fmt.Sprintf("each user's last %d target events and what followed them, from the start of that visit (%v gap)", o.LastN, o.SessionGap)
	case "random":
		split = fmt.Sprintf("a random %.0f%% of each user's events (seed %d)", 100*o.Holdout, o.Seed)
	default:
		split = fmt.Sprintf("each user's most recent %.0f%% of events", 100*o.Holdout)
	}
	kinds := rep.proto.TargetKinds
	kindNames := "every kind"
	if len(kinds) > 0 {
		var ks []string
		for _, k := range kinds {
			ks = append(ks, strings.ToLower(string(k)))
		}
		kindNames = strings.Join(ks, ", ")
	}
	targets := "every held-out item, also one the user touched in training"
	if o.Targets == "new" {
		targets = "only items the user did not touch in training"
	}
	excluded := map[string]string{"train": "every training item", "purchased": "items bought in training", "none": "nothing"}[o.Exclude]
	fmt.Fprintf(w, "protocol: %s. held out: %s; targets: %s (%s); excluded from the ranking and the targets: %s\n",
		rep.Protocol, split, targets, kindNames, excluded)
	if rep.ReasonsCited > 0 {
		defer fmt.Fprintf(w, "\nreasons (blend): %d cite a history item (because you bought X); %.1f%% of them cite the item that contributed most\n",
			rep.ReasonsCited, 100*float64(rep.ReasonsAgree)/float64(rep.ReasonsCited))
	}
	fmt.Fprintf(w, "clock stopped at %s; %d of %d test users evaluated; %d targets, %.0f%% of them touched by the same user in training\n\n",
		s.Clock.Format(time.RFC3339), rep.Evaluated, s.TestUsers, s.Targets, 100*float64(s.TargetsSeen)/max(1, float64(s.Targets)))
	k := rep.K
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-16s\tNDCG@%d\tRecall@%d\tHitRate@%d\tMAP@%d\tcoverage\ttrain\t\n", "model", k, k, k, k)
	for _, r := range rep.Rows {
		train := "-"
		if r.HasTrain {
			train = fmt.Sprintf("%.2fs", r.Train.Seconds())
		}
		m := r.Metrics
		fmt.Fprintf(tw, "%-16s\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%s\t\n", r.Model, m.NDCG, m.Recall, m.HitRate, m.MAP, m.Coverage, train)
	}
	tw.Flush()
	writeRulesLine(w, rep)
	fmt.Fprintln(w, "\nblend (and blend-tuned): Engine.Recommend, what the service serves (every retriever, the blend, filters, MMR,\n"+
		"category cap), with the clock stopped at the split; blend/P: the same for placement P (--placement). Every other row is for diagnosis: one retriever alone\n"+
		"(popular ... seen; mf ranks exactly), or a baseline: popularity = the global best sellers, reoffer = the user's\n"+
		"training items never bought, most recent first.\n"+
		"train: wall time of the model's own training (blend: item-CF + MF + product embeddings; content: embeddings;\n- : counters kept on ingest).")
}

// writeJSON writes the rows as {"rows": [{model, recall, ndcg, hitrate, map,
// coverage, train_s}]}, the shape of bench/gorse's --json.
func writeJSON(path string, rep *Report) error {
	type row struct {
		Model    string  `json:"model"`
		Recall   float64 `json:"recall"`
		NDCG     float64 `json:"ndcg"`
		HitRate  float64 `json:"hitrate"`
		MAP      float64 `json:"map"`
		Coverage float64 `json:"coverage"`
		TrainS   float64 `json:"train_s"`
	}
	out := struct {
		Tool     string `json:"tool"`
		K        int    `json:"k"`
		Protocol string `json:"protocol"`
		Rows     []row  `json:"rows"`
	}{Tool: "shopmuse", K: rep.K, Protocol: rep.Protocol}
	for _, r := range rep.Rows {
		m := r.Metrics
		out.Rows = append(out.Rows, row{r.Model, m.Recall, m.NDCG, m.HitRate, m.MAP, m.Coverage, r.Train.Seconds()})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// consumables says which products are in a category shoppers buy again, by
// the engine's own rule: the service shows those again once due, so the
// "purchased" exclusion keeps them (recommend.Protocol.Consumable).
func consumables(d *Data) func(productID string) bool {
	category := make(map[string]string, len(d.Products))
	for i := range d.Products {
		category[d.Products[i].ID] = d.Products[i].Category
	}
	return recommend.ConsumableItems(d.Interactions, func(id string) string { return category[id] })
}

// reasonAgreement asks Engine.Recommend for every test user (as the blend
// row does) and counts the item-CF reasons that cite a history item, and
// those whose cited item is, by an independent recount, the one that
// contributed most (recommend.Engine.ReasonAgreement).
func reasonAgreement(ctx context.Context, e *recommend.Engine, sp recommend.Split, k, maxUsers int) (cited, agree int) {
	n := 0
	for _, u := range slices.Sorted(maps.Keys(sp.Test)) {
		if maxUsers > 0 && n == maxUsers {
			break
		}
		n++
		recs, err := e.Recommend(ctx, recommend.Request{UserID: u, N: k, Exclude: slices.Collect(maps.Keys(sp.TrainItems[u]))})
		if err != nil {
			continue
		}
		a, c := e.ReasonAgreement(u, recs)
		agree, cited = agree+a, cited+c
	}
	return cited, agree
}
