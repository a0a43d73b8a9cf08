package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend"
)

// TestServedRecommendationsScoreWhatEvalReports: a funnel shop whose
// events end now is loaded through GraphQL like a client's data; every
// held-out shopper's recommendations(first: 10) is scored against the
// split eval wrote, and must land within 3% of the NDCG@10 eval reports
// for its blend. eval's number counts only because this holds.
func TestServedRecommendationsScoreWhatEvalReports(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a shop through GraphQL and trains twice")
	}
	ctx := context.Background()
	dir := t.TempDir()
	shopDir, split := filepath.Join(dir, "shop"), filepath.Join(dir, "split")
	getenv := func(string) string { return "" }
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"eval", "--gen", "users=400,products=800,interactions=16000", "--seed", "3", "--out", shopDir},
		getenv, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	endNow(t, filepath.Join(shopDir, "interactions.csv"))
	report := filepath.Join(dir, "eval.json")
	if err := run(ctx, []string{"eval", "--interactions", filepath.Join(shopDir, "interactions.csv"),
		"--products", filepath.Join(shopDir, "products.jsonl"), "--users", filepath.Join(shopDir, "users.jsonl"),
		"--models", "blend", "--neumf=false", "--write-split", split, "--json", report}, getenv, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	evalNDCG := blendNDCG(t, report)

	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": filepath.Join(dir, "data"),
		"SHOPMUSE_DEMO": "off", "SHOPMUSE_RATE_LIMIT": "0", "SHOPMUSE_TRAIN_AFTER": "0", "SHOPMUSE_TRAIN_EVERY": "0"})
	defer stop()
	load := func(mutation string, rows []map[string]any) {
		for i := 0; i < len(rows); i += 1000 {
			res := gqlPost(t, base, mutation, map[string]any{"input": rows[i:min(i+1000, len(rows))]})
			if b, _ := json.Marshal(res); strings.Contains(string(b), `"code"`) {
				t.Fatalf("load: %s", b)
			}
		}
	}
	load(`mutation($input: [ProductInput!]!) { upsertProducts(input: $input) { userErrors { field code } } }`, jsonLines(t, filepath.Join(shopDir, "products.jsonl")))
	load(`mutation($input: [UserInput!]!) { upsertUsers(input: $input) { userErrors { field code } } }`, jsonLines(t, filepath.Join(shopDir, "users.jsonl")))
	load(`mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { userErrors { field code } } }`, interactionRows(t, filepath.Join(split, "train.csv")))
	gqlPost(t, base, `mutation { trainModels { users } }`, nil)

	sp := recommend.Split{Test: pairs(t, filepath.Join(split, "targets.csv")), TrainItems: pairs(t, filepath.Join(split, "exclude.csv"))}
	served := func(ctx context.Context, userID string, k int, exclude map[string]bool) ([]string, error) {
		var res struct {
			Recommendations []struct{ Product struct{ ID string } }
		}
		fromJSON(t, gqlPost(t, base, `query($u: ID!, $k: Int) { recommendations(userID: $u, first: $k) { product { id } } }`,
			map[string]any{"u": userID, "k": k}), &res)
		var ids []string
		for _, r := range res.Recommendations {
			if !exclude[r.Product.ID] {
				ids = append(ids, r.Product.ID)
			}
		}
		return ids, nil
	}
	m, err := recommend.Evaluate(ctx, served, sp, 10, 800, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("NDCG@10 over %d shoppers: served %.4f, eval's blend %.4f", len(sp.Test), m.NDCG, evalNDCG)
	if len(sp.Test) < 200 || evalNDCG <= 0 {
		t.Fatalf("%d test shoppers, eval NDCG %v: the split is too small to compare", len(sp.Test), evalNDCG)
	}
	if math.Abs(m.NDCG-evalNDCG) > 0.03*evalNDCG {
		t.Fatalf("served NDCG@10 %.4f is more than 3%% from eval's %.4f: eval does not score what the service serves", m.NDCG, evalNDCG)
	}
}

// endNow shifts a generated interactions.csv so that its last event
// happened a minute ago, as a live shop's would.
func endNow(t *testing.T, path string) {
	t.Helper()
	rows := readCSV(t, path)
	col := slices.Index(rows[0], "occurredAt")
	var last time.Time
	for _, r := range rows[1:] {
		if at, err := time.Parse(time.RFC3339Nano, r[col]); err == nil && at.After(last) {
			last = at
		}
	}
	shift := time.Until(last.Add(time.Minute)) * -1
	for _, r := range rows[1:] {
		at, err := time.Parse(time.RFC3339Nano, r[col])
		if err != nil {
			t.Fatal(err)
		}
		r[col] = at.Add(shift).UTC().Format(time.RFC3339Nano)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("%s: %v (%d rows)", path, err, len(rows))
	}
	return rows
}

func jsonLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// interactionRows turns an interactions CSV into InteractionInput objects.
func interactionRows(t *testing.T, path string) []map[string]any {
	t.Helper()
	rows := readCSV(t, path)
	var out []map[string]any
	for _, r := range rows[1:] {
		m := map[string]any{}
		for i, name := range rows[0] {
			if r[i] == "" {
				continue
			}
			if name == "value" {
				var v float64
				if err := json.Unmarshal([]byte(r[i]), &v); err != nil {
					t.Fatal(err)
				}
				m[name] = v
				continue
			}
			m[name] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// pairs reads a userID,productID file into user → items.
func pairs(t *testing.T, path string) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	for _, r := range readCSV(t, path)[1:] {
		if out[r[0]] == nil {
			out[r[0]] = map[string]bool{}
		}
		out[r[0]][r[1]] = true
	}
	return out
}

func blendNDCG(t *testing.T, path string) float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Rows []struct {
			Model string
			NDCG  float64
		}
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if r.Model == "blend" {
			return r.NDCG
		}
	}
	t.Fatalf("%s has no blend row", path)
	return 0
}
