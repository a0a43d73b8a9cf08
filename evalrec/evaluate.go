package evalrec

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
}

// Report is what Evaluate measured.
type Report struct {
	Format string
	Split  SplitInfo
	K      int
	// Evaluated is how many test users were ranked (--max-users samples).
	Evaluated int
	Rows      []Row
	Tune      *TuneResult
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
	o.Tuning.Apply(&cfg)
	cfg.Now = func() time.Time { return now }
	cfg.Logger = quiet
	cfg.TrainAfter, cfg.TrainEvery = 0, 0
	return cfg
}

// holdout is one split with what the evaluation needs besides recommend.Split.
type holdout struct {
	sp   recommend.Split    // train events, T_u, training items
	held []shop.Interaction // the held-out events themselves (test.csv)
	eval recommend.Split    // sp with exclusions and T_u for --exclude
	now  time.Time          // just after the last training event
}

// eventKey identifies an event for the multiset difference all − train.
type eventKey struct {
	u, p, k, cv string
	t           int64
	v           float64
}

func keyOf(it *shop.Interaction) eventKey {
	k := eventKey{u: it.UserID, p: it.ProductID, k: string(it.Kind), cv: it.CopyVariantID, t: it.OccurredAt.UnixNano(), v: -1}
	if it.Value != nil { // values are never negative, so -1 means none
		k.v = *it.Value
	}
	return k
}

// makeHoldout splits with recommend.SplitInteractions (the one split
// implementation) and recovers the held-out events as the multiset
// difference, since SplitInteractions keeps only their items.
func makeHoldout(its []shop.Interaction, method recommend.SplitMethod, frac float64, seed int64, exclude string) holdout {
	sp := recommend.SplitInteractions(its, method, frac, seed)
	inTrain := make(map[eventKey]int, len(sp.Train))
	var last time.Time
	for i := range sp.Train {
		inTrain[keyOf(&sp.Train[i])]++
		if t := sp.Train[i].OccurredAt; t.After(last) {
			last = t
		}
	}
	h := holdout{sp: sp, eval: sp, now: last.Add(time.Second)}
	for i := range its {
		k := keyOf(&its[i])
		if inTrain[k] > 0 {
			inTrain[k]--
			continue
		}
		h.held = append(h.held, its[i])
	}
	slices.SortStableFunc(h.held, func(a, b shop.Interaction) int { return a.OccurredAt.Compare(b.OccurredAt) })
	if exclude == "purchased" {
		// Only bought items leave the ranking; an item viewed in train and
		// bought (or viewed again) in test is a legitimate target.
		ev := recommend.Split{Train: sp.Train, Test: map[string]map[string]bool{}, TrainItems: map[string]map[string]bool{}}
		for _, it := range sp.Train {
			if it.Kind == shop.KindPurchase {
				if ev.TrainItems[it.UserID] == nil {
					ev.TrainItems[it.UserID] = map[string]bool{}
				}
				ev.TrainItems[it.UserID][it.ProductID] = true
			}
		}
		for _, it := range h.held {
			if ev.TrainItems[it.UserID][it.ProductID] {
				continue
			}
			if ev.Test[it.UserID] == nil {
				ev.Test[it.UserID] = map[string]bool{}
			}
			ev.Test[it.UserID][it.ProductID] = true
		}
		h.eval = ev
	}
	return h
}

func splitMethod(s string) recommend.SplitMethod {
	if s == "random" {
		return recommend.SplitRandom
	}
	return recommend.SplitByTime
}

// modelNames is the evaluated set in table order.
func modelNames(o Options) []string {
	if len(o.Models) > 0 {
		return o.Models
	}
	names := []string{"popularity"}
	for _, r := range []string{recommend.RetrieverPopular, recommend.RetrieverTrending, recommend.RetrieverContent,
		recommend.RetrieverItemCF, recommend.RetrieverMF, recommend.RetrieverSeen} {
		// With every training item excluded the seen-not-bought retriever
		// has nothing left to propose: a row of zeros says nothing. The
		// session retriever is left out too: the split's one clock puts
		// almost no user inside a running session.
		if r == recommend.RetrieverSeen && o.Exclude == "train" {
			continue
		}
		names = append(names, r)
	}
	return append(names, "blend")
}

// evaluate scores one ranker, with a progress line on stderr every 2 s.
func evaluate(ctx context.Context, e *recommend.Engine, name string, sp recommend.Split, k, catalogue, maxUsers int, stderr io.Writer) (recommend.Metrics, error) {
	r, err := e.Ranker(name)
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

	h := makeHoldout(d.Interactions, splitMethod(o.Split), o.Holdout, o.Seed, o.Exclude)
	users := map[string]bool{}
	for i := range d.Interactions {
		users[d.Interactions[i].UserID] = true
	}
	rep := &Report{Format: d.Format, K: o.K, Split: SplitInfo{Users: len(users), TestUsers: len(h.eval.Test),
		TrainEvents: len(h.sp.Train), TestEvents: len(h.held), Products: len(d.Products), StubbedProducts: d.Stubbed, Clock: h.now}}
	rep.Evaluated = len(h.eval.Test)
	if o.MaxUsers > 0 {
		rep.Evaluated = min(rep.Evaluated, o.MaxUsers)
	}
	if len(h.eval.Test) == 0 {
		return nil, fmt.Errorf("no user has a held-out item to predict (too few interactions per user?)")
	}
	if o.WriteSplit != "" {
		done := p.step("writing the split to %s", o.WriteSplit)
		if err := WriteSplit(o.WriteSplit, d, h); err != nil {
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
		done := p.step("ranking the catalogue with %s", name)
		m, err := evaluate(ctx, e, name, h.eval, o.K, catalogue, o.MaxUsers, stderr)
		if err != nil {
			return nil, err
		}
		done()
		dur, has := trainOf(name)
		rep.Rows = append(rep.Rows, Row{Model: name, Metrics: m, Train: dur, HasTrain: has})
	}

	if o.NeuMF && len(o.Models) == 0 {
		done := p.step("training NeuMF on %d events", len(h.sp.Train))
		nm, err := trainNeuMF(ctx, h.sp.Train, d.Products, engineLogger(stderr))
		if err != nil {
			return nil, err
		}
		done()
		done = p.step("ranking the catalogue with neumf")
		m, err := recommend.Evaluate(ctx, nm.ranker(), h.eval, o.K, catalogue, o.MaxUsers)
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
	split := "time (each user's most recent"
	if o.Split == "random" {
		split = fmt.Sprintf("random (seed %d,", o.Seed)
	}
	evaluated := rep.Evaluated
	fmt.Fprintf(w, "split: %s %.0f%%); full ranking over %d products minus each user's %s items; %d of %d test users evaluated\n\n",
		split, 100*o.Holdout, s.Products, map[string]string{"train": "training", "purchased": "purchased"}[o.Exclude], evaluated, s.TestUsers)
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
	fmt.Fprintln(w, "\ntrain: wall time of the model's own training (blend: item-CF + MF + product embeddings; content: embeddings;\n- : counters kept on ingest). popularity = the global best-seller baseline.")
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
		Tool string `json:"tool"`
		K    int    `json:"k"`
		Rows []row  `json:"rows"`
	}{Tool: "shopmuse", K: rep.K}
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
