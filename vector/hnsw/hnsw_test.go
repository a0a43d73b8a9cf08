package hnsw

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
)

// clustered draws n vectors around `clusters` gaussian centres, the shape of
// real embeddings (topics), which is harder for a graph than uniform noise.
func clustered(r *rand.Rand, n, dim, clusters int) [][]float32 {
	centres := make([][]float32, clusters)
	for i := range centres {
		centres[i] = make([]float32, dim)
		for j := range centres[i] {
			centres[i][j] = float32(r.NormFloat64())
		}
	}
	out := make([][]float32, n)
	for i := range out {
		c := centres[r.IntN(clusters)]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + 0.8*float32(r.NormFloat64())
		}
		out[i] = v
	}
	return out
}

func cosine(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb)
}

// exact returns the IDs of the k points most similar to q among those keep
// accepts.
func exact(ids []string, data [][]float32, q []float32, k int, keep func(i int) bool) []string {
	type sc struct {
		id string
		s  float64
	}
	var all []sc
	for i, v := range data {
		if keep == nil || keep(i) {
			all = append(all, sc{ids[i], cosine(q, v)})
		}
	}
	slices.SortFunc(all, func(a, b sc) int { return cmp.Compare(b.s, a.s) })
	var out []string
	for _, s := range all[:min(k, len(all))] {
		out = append(out, s.id)
	}
	return out
}

func overlap(hits []vector.Hit, want []string) int {
	n := 0
	for _, h := range hits {
		if slices.Contains(want, h.ID) {
			n++
		}
	}
	return n
}

func idsFor(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%05d", i)
	}
	return ids
}

func upsertAll(t testing.TB, x *Index, ids []string, data [][]float32, payload func(i int) vector.Payload) {
	t.Helper()
	pts := make([]vector.Point, len(data))
	for i := range data {
		pts[i] = vector.Point{ID: ids[i], Vector: data[i]}
		if payload != nil {
			pts[i].Payload = payload(i)
		}
	}
	if err := x.Upsert(context.Background(), pts); err != nil {
		t.Fatal(err)
	}
}

func mustNew(t testing.TB, dim int, o Options) *Index {
	t.Helper()
	x, err := New(dim, o)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestRecallClustered(t *testing.T) {
	const n, dim, k = 2500, 32, 10
	r := rand.New(rand.NewPCG(1, 1))
	data := clustered(r, n, dim, 20)
	queries := clustered(r, 200, dim, 20)
	ids := idsFor(n)
	// Gaussian noise in 32 dimensions has a high intrinsic dimension, so this
	// needs more than the default ef=64. efConstruction is lowered to keep
	// the test quick under -race.
	x := mustNew(t, dim, Options{EfConstruction: 100, EfSearch: 128})
	upsertAll(t, x, ids, data, nil)
	if c, _ := x.Count(context.Background()); c != n {
		t.Fatalf("Count = %d, want %d", c, n)
	}
	got := 0
	for _, q := range queries {
		hits, err := x.Search(context.Background(), q, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != k {
			t.Fatalf("got %d hits, want %d", len(hits), k)
		}
		for i := 1; i < len(hits); i++ {
			if hits[i].Score > hits[i-1].Score {
				t.Fatalf("hits not best first: %v", hits)
			}
		}
		if want := cosine(q, data[slices.Index(ids, hits[0].ID)]); math.Abs(want-float64(hits[0].Score)) > 1e-4 {
			t.Fatalf("score %v, cosine is %v", hits[0].Score, want)
		}
		got += overlap(hits, exact(ids, data, q, k, nil))
	}
	recall := float64(got) / float64(k*len(queries))
	t.Logf("recall@%d = %.4f", k, recall)
	if recall < 0.95 {
		t.Fatalf("recall@%d = %.4f, want >= 0.95", k, recall)
	}
}

func TestDeletesNeverReturned(t *testing.T) {
	const n, dim, k = 2000, 16, 10
	ctx := context.Background()
	r := rand.New(rand.NewPCG(2, 2))
	data := clustered(r, n, dim, 10)
	ids := idsFor(n)
	x := mustNew(t, dim, Options{EfConstruction: 64})
	upsertAll(t, x, ids, data, nil)

	deleted := map[string]bool{}
	check := func(stage string) {
		t.Helper()
		got, total := 0, 0
		for qi := range 100 {
			q := data[r.IntN(n)]
			hits, err := x.Search(ctx, q, k, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hits {
				if deleted[h.ID] {
					t.Fatalf("%s: query %d returned deleted %s", stage, qi, h.ID)
				}
			}
			want := exact(ids, data, q, k, func(i int) bool { return !deleted[ids[i]] })
			if len(hits) != len(want) {
				t.Fatalf("%s: %d hits, want %d", stage, len(hits), len(want))
			}
			got += overlap(hits, want)
			total += len(want)
		}
		if rc := float64(got) / float64(total); rc < 0.95 {
			t.Fatalf("%s: recall %.3f after deletes, want >= 0.95", stage, rc)
		}
		c, _ := x.Count(ctx)
		if c != n-len(deleted) {
			t.Fatalf("%s: Count = %d, want %d", stage, c, n-len(deleted))
		}
	}
	deleteSome := func(m int) {
		var batch []string
		for len(batch) < m {
			id := ids[r.IntN(n)]
			if !deleted[id] {
				deleted[id] = true
				batch = append(batch, id)
			}
		}
		batch = append(batch, "no-such-id") // unknown IDs are ignored
		if err := x.Delete(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}

	deleteSome(n / 10) // below the compaction threshold: tombstones
	if st := x.Stats(); st.Deleted != n/10 {
		t.Fatalf("after 10%% deletes Stats = %+v, want %d tombstones", st, n/10)
	}
	check("tombstones")
	for _, id := range []string{ids[0], ids[1]} {
		if _, ok, _ := x.Vector(ctx, id); ok == deleted[id] {
			t.Fatalf("Vector(%s) ok=%v, deleted=%v", id, ok, deleted[id])
		}
	}

	deleteSome(n / 2) // past it: the graph is rebuilt from live nodes
	if st := x.Stats(); st.Deleted != 0 || st.Nodes != n-len(deleted) {
		t.Fatalf("after compaction Stats = %+v, want no tombstones and %d nodes", st, n-len(deleted))
	}
	check("compacted")

	var rest []string
	for _, id := range ids {
		if !deleted[id] {
			rest = append(rest, id)
			deleted[id] = true
		}
	}
	if err := x.Delete(ctx, rest); err != nil {
		t.Fatal(err)
	}
	if hits, err := x.Search(ctx, data[0], k, nil); err != nil || len(hits) != 0 {
		t.Fatalf("empty index returned %v, %v", hits, err)
	}
	upsertAll(t, x, ids[:1], data[:1], nil) // and it still takes inserts
	if hits, _ := x.Search(ctx, data[0], k, nil); len(hits) != 1 || hits[0].ID != ids[0] {
		t.Fatalf("after re-insert got %v", hits)
	}
}

func TestUpsertReplaces(t *testing.T) {
	const n, dim = 500, 8
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 3))
	data := clustered(r, n, dim, 5)
	ids := idsFor(n)
	x := mustNew(t, dim, Options{})
	upsertAll(t, x, ids, data, nil)

	// Move p00007 to the exact position of a fresh, far-away vector.
	moved := make([]float32, dim)
	for j := range moved {
		moved[j] = -data[7][j]
	}
	if err := x.Upsert(ctx, []vector.Point{{ID: ids[7], Vector: moved, Payload: vector.Payload{Brand: "new"}}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := x.Count(ctx); c != n {
		t.Fatalf("Count = %d after replacing, want %d", c, n)
	}
	v, ok, err := x.Vector(ctx, ids[7])
	if err != nil || !ok || !slices.Equal(v, moved) {
		t.Fatalf("Vector = %v %v %v, want the new vector", v, ok, err)
	}
	hits, err := x.Search(ctx, moved, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hits[0].ID != ids[7] || hits[0].Score < 0.9999 {
		t.Fatalf("searching the new vector: %v", hits)
	}
	hits, _ = x.Search(ctx, data[7], 50, nil)
	for _, h := range hits {
		if h.ID == ids[7] {
			t.Fatalf("old vector of %s still found: %v", ids[7], h)
		}
	}
	brand := "new"
	hits, _ = x.Search(ctx, data[0], 5, &shop.ProductFilter{Brand: &brand})
	if len(hits) != 1 || hits[0].ID != ids[7] {
		t.Fatalf("payload not replaced: %v", hits)
	}
	// Within one batch the last point of an ID wins.
	err = x.Upsert(ctx, []vector.Point{{ID: "dup", Vector: data[1]}, {ID: "dup", Vector: data[2]}})
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := x.Vector(ctx, "dup"); !slices.Equal(v, data[2]) {
		t.Fatalf("batch duplicate: got %v, want the last", v)
	}
	if c, _ := x.Count(ctx); c != n+1 {
		t.Fatalf("Count = %d, want %d", c, n+1)
	}
}

func TestUpsertValidatesFirst(t *testing.T) {
	ctx := context.Background()
	x := mustNew(t, 3, Options{})
	good := vector.Point{ID: "a", Vector: []float32{1, 0, 0}}
	for name, bad := range map[string]vector.Point{
		"dimension": {ID: "b", Vector: []float32{1, 0}},
		"NaN":       {ID: "b", Vector: []float32{float32(math.NaN()), 0, 0}},
		"Inf":       {ID: "b", Vector: []float32{float32(math.Inf(1)), 0, 0}},
		"empty ID":  {ID: "", Vector: []float32{1, 0, 0}},
	} {
		err := x.Upsert(ctx, []vector.Point{good, bad})
		if err == nil {
			t.Fatalf("%s: Upsert accepted a bad point", name)
		}
		if name == "dimension" && !errors.Is(err, vector.ErrDimension) {
			t.Fatalf("dimension error %v does not wrap ErrDimension", err)
		}
		if c, _ := x.Count(ctx); c != 0 {
			t.Fatalf("%s: a rejected batch wrote %d points", name, c)
		}
	}
	if _, err := x.Search(ctx, []float32{1, 0}, 1, nil); !errors.Is(err, vector.ErrDimension) {
		t.Fatalf("short query: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := x.Upsert(cancelled, []vector.Point{good}); err == nil {
		t.Fatal("Upsert with a cancelled context succeeded")
	}
	if c, _ := x.Count(ctx); c != 0 {
		t.Fatalf("cancelled upsert wrote %d points", c)
	}
	// A zero vector is stored (its cosine with anything is 0), not rejected.
	if err := x.Upsert(ctx, []vector.Point{good, {ID: "z", Vector: []float32{0, 0, 0}}}); err != nil {
		t.Fatal(err)
	}
	hits, err := x.Search(ctx, []float32{2, 0, 0}, 2, nil)
	if err != nil || len(hits) != 2 || hits[0].ID != "a" || math.Abs(float64(hits[0].Score)-1) > 1e-6 || hits[1].Score != 0 {
		t.Fatalf("got %v, %v", hits, err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Search(ctx, []float32{1, 0, 0}, 1, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("search after Close: %v", err)
	}
	if err := x.Upsert(ctx, []vector.Point{good}); !errors.Is(err, ErrClosed) {
		t.Fatalf("upsert after Close: %v", err)
	}
}

func TestFilteredSearch(t *testing.T) {
	const n, dim, k = 3000, 16, 10
	ctx := context.Background()
	r := rand.New(rand.NewPCG(4, 4))
	data := clustered(r, n, dim, 20)
	ids := idsFor(n)
	// Nested tags: every "one" point is also a "ten" point, as in annbench.
	tags := make([][]string, n)
	for i := range tags {
		switch u := r.Float64(); {
		case u < 0.01:
			tags[i] = []string{"ten", "one"}
		case u < 0.10:
			tags[i] = []string{"ten"}
		}
	}
	queries := clustered(r, 100, dim, 20)
	for _, plan := range []struct {
		name      string
		neverScan bool
	}{
		{"planned", false},
		// Force the filtered graph walk even where a scan would be chosen.
		{"graph walk", true},
	} {
		x := mustNew(t, dim, Options{EfConstruction: 64})
		x.neverScan = plan.neverScan
		upsertAll(t, x, ids, data, func(i int) vector.Payload {
			return vector.Payload{Tags: tags[i], Category: "数码/手机"}
		})
		for _, tag := range []string{"ten", "one"} {
			f := &shop.ProductFilter{Tags: []string{tag}}
			got, total := 0, 0
			for _, q := range queries {
				hits, err := x.Search(ctx, q, k, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range hits {
					if !slices.Contains(tags[slices.Index(ids, h.ID)], tag) {
						t.Fatalf("%s/%s: %s does not match the filter", plan.name, tag, h.ID)
					}
				}
				want := exact(ids, data, q, k, func(i int) bool { return slices.Contains(tags[i], tag) })
				got += overlap(hits, want)
				total += len(want)
			}
			rc := float64(got) / float64(total)
			t.Logf("%s filter %s: recall@%d = %.4f", plan.name, tag, k, rc)
			if rc < 0.95 {
				t.Fatalf("%s filter %s: recall %.4f, want >= 0.95", plan.name, tag, rc)
			}
		}
		// A filter nothing matches returns nothing; a zero filter is no filter.
		none := "家居"
		if hits, err := x.Search(ctx, queries[0], k, &shop.ProductFilter{Category: &none}); err != nil || len(hits) != 0 {
			t.Fatalf("%s: non-matching filter gave %v, %v", plan.name, hits, err)
		}
		if hits, _ := x.Search(ctx, queries[0], k, &shop.ProductFilter{}); len(hits) != k {
			t.Fatalf("%s: zero filter gave %d hits", plan.name, len(hits))
		}
	}
}

func TestPersistenceRoundTrip(t *testing.T) {
	const n, dim = 1500, 12
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vectors.hnsw")
	x, err := Open(path, dim, Options{M: 8})
	if !errors.Is(err, ErrNeedsRebuild) || !errors.Is(err, fs.ErrNotExist) || x == nil {
		t.Fatalf("Open of a missing file: %v, %v", x, err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	data := clustered(r, n, dim, 8)
	ids := idsFor(n)
	upsertAll(t, x, ids, data, func(i int) vector.Payload {
		return vector.Payload{Category: "家居/杯具", Brand: fmt.Sprint("b", i%7), Price: shop.Decimal(i * 100),
			Available: i%2 == 0, Tags: []string{"t", fmt.Sprint(i % 3)}, Language: shop.LanguageZH}
	})
	if err := x.Delete(ctx, ids[:50]); err != nil { // tombstones are saved too
		t.Fatal(err)
	}
	brand := "b3"
	f := &shop.ProductFilter{Brand: &brand}
	before := make([][]vector.Hit, 20)
	for i := range before {
		before[i], _ = x.Search(ctx, data[i*7], 10, nil)
	}
	beforeF, _ := x.Search(ctx, data[0], 10, f)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("save left %d files behind, want only the index", len(entries))
	}

	y, err := Open(path, dim, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if c, _ := y.Count(ctx); c != n-50 {
		t.Fatalf("reopened Count = %d, want %d", c, n-50)
	}
	if st := y.Stats(); st.Deleted != 50 {
		t.Fatalf("reopened Stats = %+v, want 50 tombstones", st)
	}
	for i := range before {
		after, _ := y.Search(ctx, data[i*7], 10, nil)
		if !slices.Equal(before[i], after) {
			t.Fatalf("query %d: before %v, after %v", i, before[i], after)
		}
	}
	if afterF, _ := y.Search(ctx, data[0], 10, f); !slices.Equal(beforeF, afterF) || len(afterF) == 0 {
		t.Fatalf("filtered: before %v, after %v", beforeF, afterF)
	}
	v, ok, _ := y.Vector(ctx, ids[100])
	if !ok || !slices.Equal(v, data[100]) {
		t.Fatal("vector changed across save/load")
	}
	if _, ok, _ := y.Vector(ctx, ids[10]); ok {
		t.Fatal("deleted point came back after load")
	}
	// The reopened index keeps working, with the file's M.
	upsertAll(t, y, []string{"new"}, [][]float32{data[3]}, nil)
	if hits, _ := y.Search(ctx, data[3], 2, nil); len(hits) != 2 || (hits[0].ID != "new" && hits[1].ID != "new") {
		t.Fatalf("insert after load: %v", hits)
	}
}

func TestCorruptFileDetected(t *testing.T) {
	const dim = 8
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "v.hnsw")
	x, _ := Open(path, dim, Options{})
	r := rand.New(rand.NewPCG(6, 6))
	upsertAll(t, x, idsFor(300), clustered(r, 300, dim, 4), nil)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	flipped := slices.Clone(good)
	flipped[len(flipped)/2] ^= 0x10
	for name, content := range map[string][]byte{
		"bit flip":  flipped,
		"truncated": good[:len(good)-100],
		"empty":     {},
		"garbage":   []byte("not an index at all, just some text"),
	} {
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		y, err := Open(path, dim, Options{})
		if !errors.Is(err, ErrNeedsRebuild) || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: Open error %v, want ErrNeedsRebuild and ErrCorrupt", name, err)
		}
		if c, _ := y.Count(ctx); c != 0 {
			t.Fatalf("%s: corrupt file yielded %d points", name, c)
		}
		upsertAll(t, y, []string{"x"}, [][]float32{make([]float32, dim)}, nil)
		if c, _ := y.Count(ctx); c != 1 {
			t.Fatalf("%s: index from a corrupt file is not usable", name)
		}
	}
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, dim+1, Options{})
	if !errors.Is(err, ErrNeedsRebuild) || !errors.Is(err, vector.ErrDimension) {
		t.Fatalf("dimension change: %v, want ErrNeedsRebuild and ErrDimension", err)
	}
	if _, err := Open(path, dim, Options{}); err != nil {
		t.Fatalf("the intact file no longer opens: %v", err)
	}
}

func TestConcurrentInsertSearch(t *testing.T) {
	const dim, writers, batches, batch, k = 16, 2, 10, 60, 5
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 7))
	data := clustered(r, writers*batches*batch, dim, 8)
	ids := idsFor(len(data))
	x := mustNew(t, dim, Options{EfConstruction: 64, Workers: 2})
	upsertAll(t, x, []string{"seed"}, [][]float32{data[0]}, nil)

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				lo := (w*batches + b) * batch
				pts := make([]vector.Point, batch)
				for i := range pts {
					pts[i] = vector.Point{ID: ids[lo+i], Vector: data[lo+i]}
				}
				if err := x.Upsert(ctx, pts); err != nil {
					errs <- err
					return
				}
				if b%3 == 2 { // deletes and replacements race with searches too
					if err := x.Delete(ctx, []string{ids[lo]}); err != nil {
						errs <- err
					}
					if err := x.Upsert(ctx, pts[1:2]); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	var readers sync.WaitGroup
	for range 3 {
		readers.Go(func() {
			rr := rand.New(rand.NewPCG(8, 8))
			for {
				select {
				case <-done:
					return
				default:
				}
				q := data[rr.IntN(len(data))]
				hits, err := x.Search(ctx, q, k, nil)
				if err != nil {
					errs <- err
					return
				}
				seen := map[string]bool{}
				for _, h := range hits {
					if seen[h.ID] {
						errs <- fmt.Errorf("duplicate %s in %v", h.ID, hits)
						return
					}
					seen[h.ID] = true
				}
				if _, _, err := x.Vector(ctx, ids[rr.IntN(len(ids))]); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := 1 + writers*batches*batch - writers*(batches/3)
	if c, _ := x.Count(ctx); c != want {
		t.Fatalf("Count = %d, want %d", c, want)
	}
	// Every live point is findable by its own vector.
	missed := 0
	for i, id := range ids {
		v, ok, _ := x.Vector(ctx, id)
		if !ok {
			continue
		}
		if !slices.Equal(v, data[i]) {
			t.Fatalf("%s holds the wrong vector", id)
		}
		hits, _ := x.Search(ctx, v, 1, nil)
		if len(hits) == 0 || hits[0].Score < 0.9999 {
			missed++
		}
	}
	if missed > want/100 {
		t.Fatalf("%d of %d points not found by their own vector", missed, want)
	}
}

func TestFilterCacheSeesWrites(t *testing.T) {
	const n, dim = 400, 8
	ctx := context.Background()
	r := rand.New(rand.NewPCG(10, 10))
	data := clustered(r, n, dim, 4)
	ids := idsFor(n)
	x := mustNew(t, dim, Options{})
	upsertAll(t, x, ids, data, func(i int) vector.Payload {
		if i < 3 {
			return vector.Payload{Brand: "acme"}
		}
		return vector.Payload{Brand: "other"}
	})
	brand := "acme"
	f := &shop.ProductFilter{Brand: &brand}
	count := func() int {
		t.Helper()
		hits, err := x.Search(ctx, data[0], 10, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(hits)
	}
	if c := count(); c != 3 {
		t.Fatalf("%d acme hits, want 3", c)
	}
	if err := x.Upsert(ctx, []vector.Point{{ID: "new", Vector: data[5], Payload: vector.Payload{Brand: "ACME"}}}); err != nil {
		t.Fatal(err)
	}
	if c := count(); c != 4 {
		t.Fatalf("after an upsert %d acme hits, want 4 (stale filter cache?)", c)
	}
	if err := x.Delete(ctx, []string{ids[0]}); err != nil {
		t.Fatal(err)
	}
	if c := count(); c != 3 {
		t.Fatalf("after a delete %d acme hits, want 3 (stale filter cache?)", c)
	}
	// Replacing a point's payload moves it out of the match set.
	if err := x.Upsert(ctx, []vector.Point{{ID: ids[1], Vector: data[1], Payload: vector.Payload{Brand: "other"}}}); err != nil {
		t.Fatal(err)
	}
	if c := count(); c != 2 {
		t.Fatalf("after a payload change %d acme hits, want 2", c)
	}
}
