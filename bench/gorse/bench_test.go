package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-4 }

func set(ids ...int32) map[int32]bool {
	m := map[int32]bool{}
	for _, i := range ids {
		m[i] = true
	}
	return m
}

func TestUserMetricsHandComputed(t *testing.T) {
	cases := []struct {
		name                  string
		top                   []int32
		rel                   map[int32]bool
		k                     int
		recall, ndcg, hit, ap float64
	}{
		// hits at ranks 2 and 5 of 5; |T|=3.
		// DCG = 1/log2(3)+1/log2(6) = 0.63093+0.38685 = 1.01778
		// IDCG = 1+0.63093+0.5 = 2.13093 -> NDCG 0.47762
		// AP = (1/3)(1/2 + 2/5) = 0.3
		{"two hits", []int32{1, 2, 3, 4, 5}, set(2, 5, 9), 5, 2.0 / 3, 0.47762, 1, 0.3},
		{"perfect single", []int32{7, 1, 2}, set(7), 3, 1, 1, 1, 1},
		{"miss", []int32{1, 2, 3}, set(9), 3, 0, 0, 0, 0},
		// |T| > K: hit at rank 1 of K=2; IDCG = 1+0.63093; AP = (1/2)(1/1)
		{"more relevant than K", []int32{4, 5}, set(4, 8, 9), 2, 1.0 / 3, 1 / 1.63093, 1, 0.5},
		// list longer than K is cut: the hit at rank 3 does not count
		{"cut at K", []int32{1, 2, 3}, set(3), 2, 0, 0, 0, 0},
		// hits at ranks 1 and 3, |T|=2, K=3: DCG = 1+0.5, IDCG = 1.63093;
		// AP = (1/2)(1 + 2/3)
		{"ranks 1 and 3", []int32{6, 0, 2}, set(6, 2), 3, 1, 1.5 / 1.63093, 1, (1 + 2.0/3) / 2},
	}
	for _, c := range cases {
		r, n, h, a := UserMetrics(c.top, c.rel, c.k)
		if !near(r, c.recall) || !near(n, c.ndcg) || !near(h, c.hit) || !near(a, c.ap) {
			t.Errorf("%s: got recall=%.5f ndcg=%.5f hit=%v ap=%.5f, want %.5f %.5f %v %.5f",
				c.name, r, n, h, a, c.recall, c.ndcg, c.hit, c.ap)
		}
	}
}

func TestAggregateAndCoverage(t *testing.T) {
	tops := [][]int32{{1, 2}, nil, {2, 3}} // user 1 not evaluated
	rels := []map[int32]bool{set(1), nil, set(9)}
	m := Aggregate(tops, rels, 2, 10)
	if m.Users != 2 || !near(m.Recall, 0.5) || !near(m.HitRate, 0.5) || !near(m.NDCG, 0.5) || !near(m.MAP, 0.5) {
		t.Fatalf("aggregate: %+v", m)
	}
	if !near(m.Coverage, 0.3) { // {1,2,3} of 10
		t.Fatalf("coverage %v, want 0.3", m.Coverage)
	}
}

func TestTopK(t *testing.T) {
	scores := []float32{0.5, 0.9, 0.9, float32(math.NaN()), 0.1, 0.7}
	got := TopK(scores, set(5), 3)
	want := []int32{1, 2, 0} // tie 1/2 broken by index, 5 excluded
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("TopK = %v, want %v", got, want)
	}
	if got := TopK(scores, nil, 10); len(got) != 6 || got[5] != 3 {
		t.Fatalf("TopK all = %v (NaN must rank last)", got)
	}
}

func TestBuildDataDedupAndTestSet(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(s), 0) }
	train := []Event{{"a", "x", "VIEW", at(2)}, {"a", "y", "CLICK", at(1)}, {"a", "x", "PURCHASE", at(3)}, {"b", "y", "VIEW", at(1)}}
	test := []Event{{"a", "x", "VIEW", at(5)}, {"a", "z", "VIEW", at(6)}, {"a", "z", "LIKE", at(7)}, {"c", "x", "VIEW", at(5)}, {"b", "y", "VIEW", at(8)}}
	d := BuildData(train, test)
	a := d.UserIdx["a"]
	if len(d.Train[a]) != 2 || d.Items[d.Train[a][0]] != "y" { // dedup, first-occurrence order
		t.Fatalf("train a = %v", d.Train[a])
	}
	if len(d.Test[a]) != 1 || d.Items[d.Test[a][0]] != "z" { // x is in train, z deduplicated
		t.Fatalf("test a = %v", d.Test[a])
	}
	users, info := EvalUsers(d)
	if len(users) != 1 || info.SkippedNoTrain != 1 || info.SkippedEmpty != 1 || info.TestUsers != 3 {
		t.Fatalf("eval users %v info %+v", users, info)
	}
	if len(d.Items) != 3 || d.NumTrainPairs() != 3 {
		t.Fatalf("items %v pairs %d", d.Items, d.NumTrainPairs())
	}
	v := d.HoldOut(0.5, 2)
	if len(v.Train[a]) != 1 || len(v.Test[a]) != 1 || v.Items[v.Test[a][0]] != "x" {
		t.Fatalf("holdout a: %v / %v", v.Train[a], v.Test[a])
	}
}

// TestSplitProtocolFiles: a split with targets.csv, exclude.csv and
// protocol.json (what shopmuse's eval writes) is scored under that rule:
// a target the user viewed in train counts, only the listed items leave the
// ranking, and a pair outside the split is an error.
func TestSplitProtocolFiles(t *testing.T) {
	dir := t.TempDir()
	head := "userID,productID,kind,value,occurredAt,copyVariantID\n"
	files := map[string]string{
		"train.csv": head + "a,x,VIEW,,2026-01-01T00:00:00Z,\na,y,PURCHASE,,2026-01-01T00:01:00Z,\nb,z,VIEW,,2026-01-01T00:00:00Z,\n",
		"test.csv":  head + "a,x,ADD_TO_CART,,2026-01-02T00:00:00Z,\nb,x,VIEW,,2026-01-02T00:00:00Z,\n",
		// a's target x was viewed in train; b's held-out view is no target.
		"targets.csv":   "userID,productID\na,x\n",
		"exclude.csv":   "userID,productID\na,y\n",
		"protocol.json": `{"protocol":"funnel protocol"}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := LoadSplit(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := d.UserIdx["a"], d.UserIdx["b"]
	if d.Protocol != "funnel protocol" || len(d.Test[a]) != 1 || d.Items[d.Test[a][0]] != "x" || len(d.Test[b]) != 0 {
		t.Fatalf("protocol %q targets a=%v b=%v", d.Protocol, d.Test[a], d.Test[b])
	}
	if ex := d.excluded(a); len(ex) != 1 || d.Items[ex[0]] != "y" {
		t.Fatalf("a excludes %v, want only y", ex)
	}
	users, _ := EvalUsers(d)
	if len(users) != 1 || users[0] != a {
		t.Fatalf("evaluated %v, want only a", users)
	}
	// A scorer that prefers the viewed x: under the file's rule it is a hit
	// (by default x would be excluded as a train item).
	x := d.ItemIdx["x"]
	m := Evaluate(context.Background(), d, users, func(_ int32, s []float32) {
		for i := range s {
			s[i] = 0
		}
		s[x] = 1
	}, 1, 1, nil)
	if m.NDCG != 1 {
		t.Fatalf("NDCG %v, want 1 (x is a target and not excluded)", m.NDCG)
	}
	if err := os.WriteFile(filepath.Join(dir, "targets.csv"), []byte("userID,productID\na,nowhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSplit(dir); err == nil {
		t.Fatal("a target outside the split loaded without error")
	}
}

func TestReadEventsFormat(t *testing.T) {
	dir := t.TempDir()
	body := "userID,productID,kind,value,occurredAt,copyVariantID\n" +
		"u1,p1,RATE,4,2026-01-02T03:04:05Z,\n" +
		"u1,p2,VIEW,,2026-01-02T03:04:06.5+01:00,v7\n"
	p := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	es, err := ReadEvents(p)
	if err != nil || len(es) != 2 || es[0].Kind != "RATE" || es[1].Item != "p2" || es[1].At.IsZero() {
		t.Fatalf("events %+v err %v", es, err)
	}
}

// TestEndToEnd generates a small split with latent tastes, runs the whole
// program (with a tiny tuning grid) and checks that gorse's BPR and ALS beat
// random ranking, that the popularity baseline is computed and that the JSON
// is written.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	dir := t.TempDir()
	g, _ := Preset("tiny")
	if err := Generate(dir, g); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(dir, "out.json")
	o := opts{split: dir, k: 10, jobs: 2, models: "popularity,random,bpr,als", jsonOut: jsonPath,
		factors: "8,16", bprEpochs: "50", bprLr: "0.05", bprReg: "0.01", bprInit: "0.001",
		alsEpochs: "20", alsReg: "0.06", alsAlpha: "0.01,0.1", alsInit: "0.1",
		tune: true, valFrac: 0.2, valMin: 3, valUsers: 0, seed: 1}
	var out bytes.Buffer
	if err := run(context.Background(), o, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	var rep Report
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	rows := map[string]Row{}
	for _, r := range rep.Rows {
		rows[r.Model] = r
	}
	for _, name := range []string{"popularity", "random", "gorse-bpr", "gorse-als"} {
		if _, ok := rows[name]; !ok {
			t.Fatalf("no row %q in %s", name, b)
		}
		if !strings.Contains(out.String(), name) {
			t.Fatalf("table lacks %q", name)
		}
	}
	rnd := rows["random"]
	for _, name := range []string{"gorse-bpr", "gorse-als"} {
		r := rows[name]
		if r.NDCG < 1.5*rnd.NDCG || r.Recall < 1.5*rnd.Recall {
			t.Errorf("%s does not beat random: %+v vs %+v", name, r.Metrics, rnd.Metrics)
		}
		if r.TrainS <= 0 || r.Params == nil {
			t.Errorf("%s: train_s %v params %v", name, r.TrainS, r.Params)
		}
	}
	pop := rows["popularity"]
	if pop.Users != rep.Eval.Evaluated || pop.NDCG <= 0 || pop.Coverage <= 0 || pop.Coverage > 0.2 {
		t.Errorf("popularity row %+v", pop)
	}
	if len(rep.Tuning) != 6 { // BPR: 2 factor values; ALS: 2 factors × 2 alphas
		t.Errorf("tuning results %d, want 6", len(rep.Tuning))
	}
}
