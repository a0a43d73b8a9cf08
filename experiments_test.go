package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// gqlAs posts a query with a key (or token) and variables, fails on a
// top-level error, and decodes data into into.
func gqlAs(t *testing.T, base, key, query string, vars map[string]any, into any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || out.Errors != nil {
		t.Fatalf("%s: status %d: %v", query, resp.StatusCode, out.Errors)
	}
	if err := json.Unmarshal(out.Data, into); err != nil {
		t.Fatal(err)
	}
}

type gqlUserError struct {
	Field []string
	Code  string
}

type experimentRec struct {
	RecommendationID string
	ExperimentArm    *string
	Product          struct{ ID string }
}

type armReport struct {
	Name                                       string
	Users, Exposures, Clicks, Carts, Purchases int
	Revenue                                    string
	Ctr                                        struct{ Value, Low, High float64 }
	PBest                                      float64
}

const reportQuery = `query($id: ID!) { experimentReport(id: $id) { primaryMetric winner sampleRatioP sampleRatioMismatch
  arms { name users exposures clicks carts purchases revenue ctr { value low high } pBest } } }`

const createQuery = `mutation($in: ExperimentInput!) { createExperiment(input: $in) {
  experiment { id status arms { name weight control config { mmrLambda placement ruleSets weights { retriever weight } } } }
  userErrors { field code message } } }`

func expEnv(dir string) map[string]string {
	return map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": dir, "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin,svc-1:service,cat-1:catalog", "SHOPMUSE_SHOPPER_TOKEN_SECRET": testShopperSecret,
		"SHOPMUSE_REC_FATIGUE": "off"}
}

// TestExperimentsThroughGraphQL: experiments are admin-only and validated;
// shoppers stay in their arm across calls and restarts; a click or purchase
// sent with a recommendationID counts for the arm that served it, while a
// forged or foreign one is refused and records nothing; stopExperiment
// ends assignment.
func TestExperimentsThroughGraphQL(t *testing.T) {
	dir := t.TempDir()
	base, stop := startServer(t, expEnv(dir))
	defer func() { stop() }()
	var users []string
	var products, views []map[string]any
	for i := range 12 {
		products = append(products, map[string]any{"id": fmt.Sprintf("p%02d", i), "title": fmt.Sprintf("商品%d", i),
			"category": []string{"数码/相机", "家居/杯具", "户外/露营"}[i%3], "price": map[string]any{"amount": fmt.Sprintf("%d.00", 100+i)}})
	}
	for i := range 24 {
		users = append(users, fmt.Sprintf("u%02d", i))
		views = append(views, map[string]any{"userID": users[i], "productID": fmt.Sprintf("p%02d", i%12), "kind": "VIEW"})
	}
	userIn := make([]map[string]any, len(users))
	for i, u := range users {
		userIn[i] = map[string]any{"id": u}
	}
	var seeded struct {
		UpsertProducts, UpsertUsers struct{ UserErrors []gqlUserError }
		RecordInteractions          struct{ Accepted int }
	}
	gqlAs(t, base, "adm-1", `mutation($p: [ProductInput!]!, $u: [UserInput!]!, $v: [InteractionInput!]!) {
	  upsertProducts(input: $p) { userErrors { code } } upsertUsers(input: $u) { userErrors { code } }
	  recordInteractions(input: $v) { accepted } }`, map[string]any{"p": products, "u": userIn, "v": views}, &seeded)
	if seeded.RecordInteractions.Accepted != len(views) {
		t.Fatalf("seed: %+v", seeded)
	}

	// Admin only.
	u00 := shopperToken(t, "u00", "1h")
	for _, who := range []string{"svc-1", "cat-1", u00} {
		for _, q := range []string{
			`mutation { createExperiment(input: {name: "x", arms: [{name: "A"}, {name: "B"}]}) { userErrors { code } } }`,
			`mutation { stopExperiment(id: "x") { userErrors { code } } }`,
			`{ experiments { nodes { id } } }`, `{ experiment(id: "x") { id } }`, `{ experimentReport(id: "x") { winner } }`,
		} {
			if _, out, _ := post(t, base, who, q); codes(out) != "FORBIDDEN" {
				t.Errorf("%.10s… %s: %s, want FORBIDDEN", who, q, toJSON(out))
			}
		}
	}

	// Bad inputs: userErrors with codes, nothing written.
	var bad struct {
		CreateExperiment struct {
			Experiment *struct{ ID string }
			UserErrors []gqlUserError
		}
	}
	for _, c := range []struct {
		in   map[string]any
		want string // field:code
	}{
		{map[string]any{"name": "x", "arms": []any{map[string]any{"name": "A"}}}, "input.arms:INVALID"},
		{map[string]any{"name": "x", "arms": []any{map[string]any{"name": "A"}, map[string]any{"name": "A"}}}, "input.arms.1.name:DUPLICATE"},
		{map[string]any{"name": "x", "arms": []any{map[string]any{"name": "A", "weight": 0}, map[string]any{"name": "B"}}}, "input.arms.0.weight:INVALID"},
		{map[string]any{"name": "x", "arms": []any{map[string]any{"name": "A"}, map[string]any{"name": "B", "config": map[string]any{"mmrLambda": 2}}}}, "input.arms.1.config.mmrLambda:INVALID"},
		{map[string]any{"name": "", "arms": []any{map[string]any{"name": "A"}, map[string]any{"name": "B"}}}, "input.name:REQUIRED"},
		{map[string]any{"name": "x", "arms": []any{map[string]any{"name": "A"}, map[string]any{"name": "B", "config": map[string]any{"weights": []any{map[string]any{"retriever": "nope", "weight": 1}}}}}}, "input.arms.1.config.weights.0.retriever:INVALID"},
	} {
		gqlAs(t, base, "adm-1", createQuery, map[string]any{"in": c.in}, &bad)
		var got []string
		for _, e := range bad.CreateExperiment.UserErrors {
			got = append(got, strings.Join(e.Field, ".")+":"+e.Code)
		}
		if bad.CreateExperiment.Experiment != nil || !slices.Contains(got, c.want) {
			t.Errorf("%v: got %v, want %s", c.in, got, c.want)
		}
	}
	var list struct {
		Experiments struct{ Nodes []struct{ ID, Status string } }
	}
	gqlAs(t, base, "adm-1", `{ experiments { nodes { id status } } }`, nil, &list)
	if len(list.Experiments.Nodes) != 0 {
		t.Fatalf("refused inputs were stored: %+v", list)
	}

	// An experiment: A is the control, B changes the blend, the default
	// placement and the rule sets.
	var created struct {
		CreateExperiment struct {
			Experiment struct {
				ID, Status string
				Arms       []struct {
					Name    string
					Control bool
					Config  struct {
						MmrLambda *float64
						Placement *string
						RuleSets  []string
					}
				}
			}
			UserErrors []gqlUserError
		}
	}
	gqlAs(t, base, "adm-1", createQuery, map[string]any{"in": map[string]any{"name": "discover first", "arms": []any{
		map[string]any{"name": "A", "weight": 1},
		map[string]any{"name": "B", "weight": 1, "config": map[string]any{"mmrLambda": 0.5, "placement": "DISCOVER",
			"ruleSets": []string{"summer"}, "weights": []any{map[string]any{"retriever": "popular", "weight": 2}}}}}}}, &created)
	exp := created.CreateExperiment.Experiment
	if len(created.CreateExperiment.UserErrors) != 0 || exp.Status != "RUNNING" || !exp.Arms[0].Control || exp.Arms[1].Control ||
		*exp.Arms[1].Config.MmrLambda != 0.5 || *exp.Arms[1].Config.Placement != "DISCOVER" || exp.Arms[1].Config.RuleSets[0] != "summer" {
		t.Fatalf("create: %+v", created)
	}
	gqlAs(t, base, "adm-1", createQuery, map[string]any{"in": map[string]any{"name": "second", "arms": []any{
		map[string]any{"name": "A"}, map[string]any{"name": "B"}}}}, &bad)
	if len(bad.CreateExperiment.UserErrors) != 1 || bad.CreateExperiment.UserErrors[0].Code != "DUPLICATE" {
		t.Fatalf("a second running experiment: %+v", bad)
	}

	// Sticky assignment: the same arm on every call.
	recsOf := func(key, user string) []experimentRec {
		t.Helper()
		var r struct{ Recommendations []experimentRec }
		vars := map[string]any{"u": user}
		if user == "" {
			vars["u"] = nil // a shopper token's own
		}
		gqlAs(t, base, key, `query($u: ID) { recommendations(userID: $u, first: 4) { recommendationID experimentArm product { id } } }`, vars, &r)
		return r.Recommendations
	}
	armOf := map[string]string{}
	byArm := map[string][]string{}
	for _, u := range users {
		for call := range 2 {
			recs := recsOf("svc-1", u)
			if len(recs) == 0 || recs[0].ExperimentArm == nil {
				t.Fatalf("%s: no arm on %+v", u, recs)
			}
			arm := *recs[0].ExperimentArm
			if call == 0 {
				armOf[u] = arm
				byArm[arm] = append(byArm[arm], u)
			} else if arm != armOf[u] {
				t.Fatalf("%s moved from arm %s to %s", u, armOf[u], arm)
			}
		}
	}
	if len(byArm["A"]) == 0 || len(byArm["B"]) == 0 {
		t.Fatalf("24 users all in one arm: %v", byArm)
	}
	report := func() map[string]armReport {
		t.Helper()
		var r struct {
			ExperimentReport struct {
				PrimaryMetric string
				Arms          []armReport
			}
		}
		gqlAs(t, base, "adm-1", reportQuery, map[string]any{"id": exp.ID}, &r)
		out := map[string]armReport{}
		for _, a := range r.ExperimentReport.Arms {
			out[a.Name] = a
		}
		return out
	}
	if r := report(); r["A"].Exposures+r["B"].Exposures != 2*4*len(users) || r["A"].Users != len(byArm["A"]) || r["B"].Users != len(byArm["B"]) {
		t.Fatalf("exposures and users before any click: %+v (arms %v)", r, byArm)
	}

	// Attribution: a shopper of arm A clicks with its recommendationID.
	ua, ub := byArm["A"][0], byArm["B"][0]
	tokA := shopperToken(t, ua, "1h")
	recsA, recsB := recsOf(tokA, ""), recsOf("svc-1", ub)
	record := func(key string, in []map[string]any) (int, []gqlUserError) {
		t.Helper()
		var r struct {
			RecordInteractions struct {
				Accepted   int
				UserErrors []gqlUserError
			}
		}
		gqlAs(t, base, key, `mutation($in: [InteractionInput!]!) { recordInteractions(input: $in) { accepted userErrors { field code } } }`,
			map[string]any{"in": in}, &r)
		return r.RecordInteractions.Accepted, r.RecordInteractions.UserErrors
	}
	if n, errs := record(tokA, []map[string]any{{"userID": ua, "productID": recsA[0].Product.ID, "kind": "CLICK",
		"recommendationID": recsA[0].RecommendationID}}); n != 1 || len(errs) != 0 {
		t.Fatalf("click: %d %+v", n, errs)
	}
	if r := report(); r["A"].Clicks != 1 || r["B"].Clicks != 0 {
		t.Fatalf("after the click in A: %+v", r)
	}
	// Forged (tampered), foreign (served to ub) and moved (another
	// product) IDs are refused, and nothing of the batch is recorded.
	tampered := []byte(recsA[1].RecommendationID)
	tampered[len(tampered)/2] ^= 0x01
	if tampered[len(tampered)/2] == '-' || tampered[len(tampered)/2] == '_' {
		tampered[len(tampered)/2] = 'A'
	}
	for name, in := range map[string]map[string]any{
		"forged":  {"userID": ua, "productID": recsA[1].Product.ID, "kind": "CLICK", "recommendationID": string(tampered)},
		"foreign": {"userID": ua, "productID": recsB[0].Product.ID, "kind": "CLICK", "recommendationID": recsB[0].RecommendationID},
		"moved":   {"userID": ua, "productID": recsA[2].Product.ID, "kind": "CLICK", "recommendationID": recsA[1].RecommendationID},
		"garbage": {"userID": ua, "productID": recsA[1].Product.ID, "kind": "CLICK", "recommendationID": strings.Repeat("x", 300)},
	} {
		ok := map[string]any{"userID": ua, "productID": recsA[3].Product.ID, "kind": "VIEW"}
		n, errs := record(tokA, []map[string]any{ok, in})
		if n != 0 || len(errs) != 1 || errs[0].Code == "" || strings.Join(errs[0].Field, ".") != "input.1.recommendationID" {
			t.Errorf("%s ID: accepted %d, %+v", name, n, errs)
		}
	}
	var hist struct {
		User struct{ Interactions []struct{ Kind string } }
	}
	gqlAs(t, base, "adm-1", `query($u: ID!) { user(id: $u) { interactions(first: 50) { kind } } }`, map[string]any{"u": ua}, &hist)
	if len(hist.User.Interactions) != 2 { // the seed view and the one click
		t.Fatalf("refused batches recorded something: %+v", hist)
	}
	if r := report(); r["A"].Clicks != 1 || r["B"].Clicks != 0 {
		t.Fatalf("refused IDs counted: %+v", r)
	}
	// The shop's backend reports a purchase with B's recommendationID:
	// revenue is the product's price (quantity one).
	if n, errs := record("adm-1", []map[string]any{{"userID": ub, "productID": recsB[0].Product.ID, "kind": "PURCHASE",
		"recommendationID": recsB[0].RecommendationID}}); n != 1 || len(errs) != 0 {
		t.Fatalf("purchase: %d %+v", n, errs)
	}
	var price struct {
		Product struct{ Price struct{ Amount string } }
	}
	gqlAs(t, base, "adm-1", `query($p: ID!) { product(id: $p) { price { amount } } }`, map[string]any{"p": recsB[0].Product.ID}, &price)
	before := report()
	if b := before["B"]; b.Purchases != 1 || b.Revenue != price.Product.Price.Amount || before["A"].Purchases != 0 {
		t.Fatalf("after B's purchase: %+v (price %s)", before, price.Product.Price.Amount)
	}

	// A restart keeps the assignment and the counts.
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	base, stop = startServer(t, expEnv(dir))
	for _, u := range users[:8] {
		if got := *recsOf("svc-1", u)[0].ExperimentArm; got != armOf[u] {
			t.Fatalf("after a restart %s moved from %s to %s", u, armOf[u], got)
		}
	}
	after := report()
	for _, arm := range []string{"A", "B"} {
		a, b := after[arm], before[arm]
		if a.Clicks != b.Clicks || a.Purchases != b.Purchases || a.Revenue != b.Revenue || a.Exposures < b.Exposures {
			t.Fatalf("arm %s after the restart: %+v, before %+v", arm, a, b)
		}
	}

	// stopExperiment ends assignment; the report stays.
	var stopped struct {
		StopExperiment struct {
			Experiment *struct {
				Status    string
				StoppedAt *time.Time
			}
			UserErrors []gqlUserError
		}
	}
	gqlAs(t, base, "adm-1", `mutation($id: ID!) { stopExperiment(id: $id) { experiment { status stoppedAt } userErrors { code } } }`,
		map[string]any{"id": exp.ID}, &stopped)
	if s := stopped.StopExperiment; s.Experiment == nil || s.Experiment.Status != "STOPPED" || s.Experiment.StoppedAt == nil {
		t.Fatalf("stop: %+v", stopped)
	}
	if recs := recsOf("svc-1", ua); recs[0].ExperimentArm != nil || recs[0].RecommendationID == "" {
		t.Fatalf("after stopping: %+v", recs[0])
	}
	gqlAs(t, base, "adm-1", `mutation { stopExperiment(id: "nope") { experiment { status } userErrors { code } } }`, nil, &stopped)
	if s := stopped.StopExperiment; s.Experiment != nil || len(s.UserErrors) != 1 || s.UserErrors[0].Code != "NOT_FOUND" {
		t.Fatalf("stopping an unknown experiment: %+v", stopped)
	}
	if r := report(); r["B"].Purchases != 1 {
		t.Fatalf("report after stopping: %+v", r)
	}
	gqlAs(t, base, "adm-1", `{ experiments { nodes { id status } } }`, nil, &list)
	if len(list.Experiments.Nodes) != 1 || list.Experiments.Nodes[0].Status != "STOPPED" {
		t.Fatalf("experiments: %+v", list)
	}
}
