// Package annbench is the `bench ann` command: it measures the embedded HNSW
// index (vector/hnsw) on TEXMEX fvecs/ivecs files — recall@k and
// single-thread queries per second for a sweep of ef, unfiltered and under
// filters of chosen selectivity — and generates clustered synthetic data
// with exact ground truth. hnswlib_baseline.py prints the same lines for
// hnswlib on the same files, so the two can be compared side by side.
package annbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/viterin/vek/vek32"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/hnsw"
)

const usage = `usage:
  bench ann --base base.fvecs --query query.fvecs --gt gt.ivecs [--k 10] [--m 16]
            [--ef-construction 200] [--ef 10,20,40,80,160] [--filter-selectivity 0.1,0.01]
  bench ann --gen N,D --out DIR [--queries 10000] [--seed 1]
`

// Run executes `bench ann` with args (without the sub-command words),
// writing results to out and progress to stderr.
func Run(ctx context.Context, args []string, out io.Writer) error {
	return RunWithProgress(ctx, args, out, os.Stderr)
}

// RunWithProgress is Run with progress messages sent to progress.
func RunWithProgress(ctx context.Context, args []string, out, progress io.Writer) error {
	fs := flag.NewFlagSet("bench ann", flag.ContinueOnError)
	fs.SetOutput(progress)
	fs.Usage = func() { fmt.Fprint(progress, usage); fs.PrintDefaults() }
	base := fs.String("base", "", "base vectors (.fvecs)")
	query := fs.String("query", "", "query vectors (.fvecs)")
	gt := fs.String("gt", "", "ground-truth neighbour ids per query (.ivecs)")
	k := fs.Int("k", 10, "neighbours per query")
	m := fs.Int("m", 16, "HNSW M")
	efC := fs.Int("ef-construction", 200, "HNSW efConstruction")
	efList := fs.String("ef", "10,20,40,80,160", "comma-separated ef values to measure")
	sels := fs.String("filter-selectivity", "", "comma-separated filter selectivities to measure, e.g. 0.1,0.01")
	workers := fs.Int("workers", min(2, runtime.GOMAXPROCS(0)), "goroutines for building and ground truth")
	gen := fs.String("gen", "", "generate N,D clustered vectors instead of benchmarking")
	outDir := fs.String("out", "", "directory for --gen output")
	nq := fs.Int("queries", 10000, "queries to generate with --gen")
	seed := fs.Uint64("seed", 1, "random seed for --gen and filter payloads")
	runs := fs.Int("runs", 3, "timed passes over the queries per ef; the fastest is reported, since a shared machine only ever slows a pass down")
	indexPath := fs.String("index", "", "load the built index from this file when it holds one (skipping the build), else build and save it there; "+
		"it must come from a run on the same base with the same --filter-selectivity (filter tags are stored in it)")
	clock := fs.String("clock", "wall", "what qps is measured against: wall time, or thread (the search thread's CPU time, Linux; steadier on a shared machine)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the search passes to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench ann: unexpected argument %q", fs.Arg(0))
	}
	if *gen != "" {
		n, d, err := parsePair(*gen)
		if err != nil {
			return fmt.Errorf("bench ann: --gen: %w", err)
		}
		if *outDir == "" {
			return errors.New("bench ann: --gen needs --out DIR")
		}
		if *nq <= 0 {
			return errors.New("bench ann: --queries must be positive")
		}
		return generate(ctx, *outDir, n, d, *nq, *seed, *workers, progress)
	}
	if *base == "" || *query == "" || *gt == "" {
		fs.Usage()
		return errors.New("bench ann: --base, --query and --gt are required")
	}
	efs, err := parseInts(*efList)
	if err != nil {
		return fmt.Errorf("bench ann: --ef: %w", err)
	}
	var selectivities []float64
	if *sels != "" {
		for _, f := range strings.Split(*sels, ",") {
			s, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || s <= 0 || s > 1 {
				return fmt.Errorf("bench ann: --filter-selectivity: %q is not in (0,1]", f)
			}
			selectivities = append(selectivities, s)
		}
	}
	if *clock != "wall" && *clock != "thread" {
		return fmt.Errorf("bench ann: --clock must be wall or thread, not %q", *clock)
	}
	if *k <= 0 || *m < 2 || *efC <= 0 {
		return errors.New("bench ann: --k, --m and --ef-construction must be positive (m >= 2)")
	}
	cfg := benchConfig{k: *k, m: *m, efC: *efC, efs: efs, sels: selectivities, workers: max(1, *workers),
		seed: *seed, runs: max(1, *runs), cpuProfile: *cpuProfile, indexPath: *indexPath, threadClock: *clock == "thread"}
	return bench(ctx, cfg, *base, *query, *gt, out, progress)
}

type benchConfig struct {
	k, m, efC, workers int
	runs               int
	cpuProfile         string
	indexPath          string
	threadClock        bool
	efs                []int
	sels               []float64
	seed               uint64
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func parsePair(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not N,D", s)
	}
	v, err := parseInts(a + "," + b)
	if err != nil {
		return 0, 0, err
	}
	return v[0], v[1], nil
}

func normalizeAll(v []float32, dim int) {
	for i := 0; i < len(v); i += dim {
		row := v[i : i+dim]
		var s float64
		for _, x := range row {
			s += float64(x) * float64(x)
		}
		if s > 0 {
			inv := float32(1 / math.Sqrt(s))
			for j := range row {
				row[j] *= inv
			}
		}
	}
}

func bench(ctx context.Context, cfg benchConfig, basePath, queryPath, gtPath string, out, progress io.Writer) error {
	base, dim, err := readFvecs(basePath)
	if err != nil {
		return fmt.Errorf("bench ann: %w", err)
	}
	queries, qdim, err := readFvecs(queryPath)
	if err != nil {
		return fmt.Errorf("bench ann: %w", err)
	}
	if qdim != dim {
		return fmt.Errorf("bench ann: queries have dimension %d, base %d", qdim, dim)
	}
	truth, gtk, err := readIvecs(gtPath)
	if err != nil {
		return fmt.Errorf("bench ann: %w", err)
	}
	n, nq := len(base)/dim, len(queries)/dim
	if len(truth)/gtk != nq {
		return fmt.Errorf("bench ann: %d ground-truth rows for %d queries", len(truth)/gtk, nq)
	}
	if gtk < cfg.k {
		return fmt.Errorf("bench ann: ground truth has %d neighbours per query, --k is %d", gtk, cfg.k)
	}
	normalizeAll(base, dim)
	normalizeAll(queries, dim)
	fmt.Fprintf(progress, "bench ann: %d base and %d query vectors of dimension %d\n", n, nq, dim)

	// Nested filter tags: a point with u < s carries the tag of selectivity
	// s, so the filter {tags:[tag]} matches a fraction s of the points.
	var tags [][]string
	var tagOf []string
	if len(cfg.sels) > 0 {
		r := rand.New(rand.NewPCG(cfg.seed, 77))
		tags = make([][]string, n)
		for _, s := range cfg.sels {
			tagOf = append(tagOf, "sel"+strconv.FormatFloat(s, 'g', -1, 64))
		}
		for i := range tags {
			u := r.Float64()
			for j, s := range cfg.sels {
				if u < s {
					tags[i] = append(tags[i], tagOf[j])
				}
			}
		}
	}

	opts := hnsw.Options{M: cfg.m, EfConstruction: cfg.efC, Workers: cfg.workers}
	var idx *hnsw.Index
	if cfg.indexPath != "" {
		idx, err = hnsw.Open(cfg.indexPath, dim, opts)
		if err != nil && !errors.Is(err, hnsw.ErrNeedsRebuild) {
			return fmt.Errorf("bench ann: %w", err)
		}
	} else {
		idx, err = hnsw.New(dim, opts)
		if err != nil {
			return fmt.Errorf("bench ann: %w", err)
		}
	}
	defer idx.Close() // saves when --index is set
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	start := time.Now()
	const chunk = 10000
	loaded := false
	if c, _ := idx.Count(ctx); c != 0 {
		loaded = true
		if c != n {
			return fmt.Errorf("bench ann: %s holds %d points, the base has %d", cfg.indexPath, c, n)
		}
		fmt.Fprintf(progress, "loaded the index from %s; not rebuilding\n", cfg.indexPath)
		fmt.Fprintf(out, "build_s=loaded\n")
	}
	for lo := 0; !loaded && lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		pts := make([]vector.Point, hi-lo)
		for i := range pts {
			pts[i] = vector.Point{ID: ids[lo+i], Vector: base[(lo+i)*dim : (lo+i+1)*dim]}
			if tags != nil {
				pts[i].Payload.Tags = tags[lo+i]
			}
		}
		if err := idx.Upsert(ctx, pts); err != nil {
			return fmt.Errorf("bench ann: build: %w", err)
		}
		fmt.Fprintf(progress, "built %d/%d (%.1fs)\n", hi, n, time.Since(start).Seconds())
	}
	if !loaded {
		fmt.Fprintf(out, "build_s=%.2f\n", time.Since(start).Seconds())
	}

	byID := make(map[string]int32, n)
	for i, id := range ids {
		byID[id] = int32(i)
	}
	truthRows := func(q int) []int32 { return truth[q*gtk : q*gtk+cfg.k] }
	measure := func(label string, ef int, filter *shop.ProductFilter, want func(q int) []int32) error {
		results := make([][]vector.Hit, nq)
		now := func() time.Duration { return time.Duration(time.Now().UnixNano()) }
		if cfg.threadClock {
			tnow, unlock, ok := threadClock()
			if !ok {
				return errors.New("bench ann: --clock thread needs Linux")
			}
			defer unlock()
			now = tnow
		}
		secs := math.Inf(1)
		for range cfg.runs {
			t0 := now()
			for q := range nq {
				hits, err := idx.SearchEf(ctx, queries[q*dim:(q+1)*dim], cfg.k, ef, filter)
				if err != nil {
					return fmt.Errorf("bench ann: search: %w", err)
				}
				results[q] = hits
			}
			secs = min(secs, (now() - t0).Seconds())
		}
		found, total := 0, 0
		for q, hits := range results {
			w := want(q)
			total += len(w)
			for _, h := range hits {
				if slices.Contains(w, byID[h.ID]) {
					found++
				}
			}
		}
		recall := 1.0
		if total > 0 {
			recall = float64(found) / float64(total)
		}
		fmt.Fprintf(out, "%sef=%d recall@%d=%.4f qps=%.0f\n", label, ef, cfg.k, recall, float64(nq)/secs)
		return nil
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return fmt.Errorf("bench ann: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench ann: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	// Warm caches and the searcher pool so the first ef isn't penalised.
	for q := range min(nq, 1000) {
		if _, err := idx.SearchEf(ctx, queries[q*dim:(q+1)*dim], cfg.k, cfg.efs[0], nil); err != nil {
			return fmt.Errorf("bench ann: search: %w", err)
		}
	}
	for _, ef := range cfg.efs {
		if err := measure("", ef, nil, truthRows); err != nil {
			return err
		}
	}
	for j, s := range cfg.sels {
		tag := tagOf[j]
		var subset []int32
		for i := range n {
			if slices.Contains(tags[i], tag) {
				subset = append(subset, int32(i))
			}
		}
		fmt.Fprintf(progress, "exact ground truth under filter %g (%d matching points)...\n", s, len(subset))
		ft := groundTruth(base, queries, dim, cfg.k, cfg.workers, subset)
		filter := &shop.ProductFilter{Tags: []string{tag}}
		for _, ef := range cfg.efs {
			if err := measure(fmt.Sprintf("filter=%g ", s), ef, filter, func(q int) []int32 { return ft[q] }); err != nil {
				return err
			}
		}
	}
	return nil
}

// groundTruth returns, for each query, the ids of its k nearest base vectors
// (by inner product; callers normalise) among subset (nil: all), nearest
// first. It is an exact scan split over workers goroutines, in blocks of
// queries × base vectors so a block of base stays in cache while several
// queries use it, rather than streaming the whole base once per query.
func groundTruth(base, queries []float32, dim, k, workers int, subset []int32) [][]int32 {
	if subset == nil {
		subset = make([]int32, len(base)/dim)
		for i := range subset {
			subset[i] = int32(i)
		}
	}
	const qBlock, bBlock = 16, 1024
	nq := len(queries) / dim
	out := make([][]int32, nq)
	type sc struct {
		s float32
		i int32
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			tops := make([][]sc, qBlock)
			for {
				q0 := int(next.Add(qBlock)) - qBlock
				if q0 >= nq {
					return
				}
				q1 := min(nq, q0+qBlock)
				for j := range tops {
					tops[j] = tops[j][:0]
				}
				for b0 := 0; b0 < len(subset); b0 += bBlock {
					block := subset[b0:min(len(subset), b0+bBlock)]
					for q := q0; q < q1; q++ {
						qv := queries[q*dim : (q+1)*dim]
						top := tops[q-q0]
						for _, i := range block {
							s := vek32.Dot(qv, base[int(i)*dim:(int(i)+1)*dim])
							if len(top) == k && s <= top[k-1].s {
								continue
							}
							// Insertion into a short sorted list beats a heap at k≈100.
							j := len(top)
							top = append(top, sc{s, i})
							for j > 0 && top[j-1].s < s {
								top[j] = top[j-1]
								j--
							}
							top[j] = sc{s, i}
							if len(top) > k {
								top = top[:k]
							}
						}
						tops[q-q0] = top
					}
				}
				for q := q0; q < q1; q++ {
					row := make([]int32, len(tops[q-q0]))
					for j, t := range tops[q-q0] {
						row[j] = t.i
					}
					out[q] = row
				}
			}
		})
	}
	wg.Wait()
	return out
}

// generate writes clustered synthetic data shaped like real embeddings:
// N/1000 clusters of uneven size, each a random low-dimensional (12-d)
// gaussian subspace around its centre plus a little isotropic noise. Real
// embeddings are clustered by topic and have a low intrinsic dimension;
// isotropic gaussian noise in D dimensions would be far harder (and less
// realistic) for any graph index. Queries come from the same distribution
// but are not base points. gt.ivecs holds the exact 100 nearest by cosine.
func generate(ctx context.Context, dir string, n, dim, nq int, seed uint64, workers int, progress io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench ann: %w", err)
	}
	const intrinsic = 12
	r := rand.New(rand.NewPCG(seed, 0xc105e2))
	clusters := max(1, n/1000)
	type cluster struct {
		centre []float32
		basis  []float32 // intrinsic × dim
		weight float64
	}
	cs := make([]cluster, clusters)
	var totalW float64
	for c := range cs {
		cs[c].centre = make([]float32, dim)
		for j := range cs[c].centre {
			cs[c].centre[j] = float32(r.NormFloat64())
		}
		spread := 0.5 + 0.5*r.Float64() // clusters differ in how tight they are
		cs[c].basis = make([]float32, intrinsic*dim)
		for j := range cs[c].basis {
			cs[c].basis[j] = float32(r.NormFloat64() * spread / math.Sqrt(intrinsic))
		}
		cs[c].weight = math.Exp(r.NormFloat64()) // log-normal cluster sizes
		totalW += cs[c].weight
	}
	cum := make([]float64, clusters)
	acc := 0.0
	for c := range cs {
		acc += cs[c].weight / totalW
		cum[c] = acc
	}
	draw := func(dst []float32) {
		c, _ := slices.BinarySearch(cum, r.Float64())
		cl := &cs[min(c, clusters-1)]
		copy(dst, cl.centre)
		for z := range intrinsic {
			f := float32(r.NormFloat64())
			row := cl.basis[z*dim : (z+1)*dim]
			for j := range dst {
				dst[j] += f * row[j]
			}
		}
		for j := range dst {
			dst[j] += float32(0.05 * r.NormFloat64())
		}
	}
	base := make([]float32, n*dim)
	for i := range n {
		draw(base[i*dim : (i+1)*dim])
	}
	queries := make([]float32, nq*dim)
	for i := range nq {
		draw(queries[i*dim : (i+1)*dim])
	}
	if err := writeFvecs(filepath.Join(dir, "base.fvecs"), base, dim); err != nil {
		return fmt.Errorf("bench ann: %w", err)
	}
	if err := writeFvecs(filepath.Join(dir, "query.fvecs"), queries, dim); err != nil {
		return fmt.Errorf("bench ann: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Fprintf(progress, "wrote %d base and %d query vectors of dimension %d to %s; computing exact ground truth...\n", n, nq, dim, dir)
	start := time.Now()
	normalizeAll(base, dim)
	normalizeAll(queries, dim)
	gtk := min(100, n)
	rows := groundTruth(base, queries, dim, gtk, workers, nil)
	flat := make([]int32, 0, nq*gtk)
	for _, row := range rows {
		flat = append(flat, row...)
	}
	if err := writeIvecs(filepath.Join(dir, "gt.ivecs"), flat, gtk); err != nil {
		return fmt.Errorf("bench ann: %w", err)
	}
	fmt.Fprintf(progress, "ground truth (%d nearest) in %.1fs\n", gtk, time.Since(start).Seconds())
	return nil
}
