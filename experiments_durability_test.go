package main

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/app"
)

// TestExperimentCountsAndCapsSurviveSIGKILL: exposures, clicks and
// frequency-cap showings flushed before a SIGKILL (the flush runs every
// app.DefaultFlushEvery) are there after the restart.
func TestExperimentCountsAndCapsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server binary; skipped with -short")
	}
	t.Setenv("SHOPMUSE_REC_FATIGUE", "2/24h")
	bin := durBuild(t)
	data := t.TempDir()
	srv := durStart(t, bin, data)
	var products, users, views []map[string]any
	for i := range 30 {
		products = append(products, map[string]any{"id": fmt.Sprintf("k%02d", i), "title": fmt.Sprintf("商品%d", i),
			"category": []string{"数码/相机", "家居/杯具"}[i%2], "price": map[string]any{"amount": "10.00"}})
	}
	for i := range 6 {
		users = append(users, map[string]any{"id": fmt.Sprintf("ku%d", i)})
		for k := range 5 {
			views = append(views, map[string]any{"userID": fmt.Sprintf("ku%d", i), "productID": fmt.Sprintf("k%02d", (i*5+k)%30), "kind": "VIEW"})
		}
	}
	var seeded struct{ RecordInteractions struct{ Accepted int } }
	srv.mustGQL(`mutation($p: [ProductInput!]!, $u: [UserInput!]!, $v: [InteractionInput!]!) {
	  upsertProducts(input: $p) { userErrors { code } } upsertUsers(input: $u) { userErrors { code } }
	  recordInteractions(input: $v) { accepted } }`, map[string]any{"p": products, "u": users, "v": views}, &seeded)
	if seeded.RecordInteractions.Accepted != len(views) {
		t.Fatalf("seed: %+v", seeded)
	}
	var created struct {
		CreateExperiment struct{ Experiment struct{ ID string } }
	}
	srv.mustGQL(createQuery, map[string]any{"in": map[string]any{"name": "crash", "arms": []any{
		map[string]any{"name": "A"}, map[string]any{"name": "B", "config": map[string]any{"mmrLambda": 0.5}}}}}, &created)
	id := created.CreateExperiment.Experiment.ID
	list := func(s *durServer, user string) []experimentRec {
		var r struct{ Recommendations []experimentRec }
		s.mustGQL(`query($u: ID) { recommendations(userID: $u, first: 5) { recommendationID experimentArm product { id } } }`,
			map[string]any{"u": user}, &r)
		return r.Recommendations
	}
	served := 0
	var shown []string
	for _, u := range users {
		for range 2 {
			recs := list(srv, u["id"].(string))
			served += len(recs)
			if u["id"] == "ku0" {
				for _, r := range recs {
					shown = append(shown, r.Product.ID)
				}
			}
		}
	}
	recs := list(srv, "ku1")
	served += len(recs)
	var rec struct{ RecordInteractions struct{ Accepted int } }
	srv.mustGQL(`mutation($in: [InteractionInput!]!) { recordInteractions(input: $in) { accepted } }`, map[string]any{"in": []any{
		map[string]any{"userID": "ku1", "productID": recs[0].Product.ID, "kind": "CLICK", "recommendationID": recs[0].RecommendationID}}}, &rec)
	if rec.RecordInteractions.Accepted != 1 {
		t.Fatalf("click: %+v", rec)
	}
	arm := *recs[0].ExperimentArm
	// Past several flush intervals (the machine may be busy), then no
	// shutdown, no last flush.
	time.Sleep(4 * app.DefaultFlushEvery)
	srv.kill()

	srv = durStart(t, bin, data)
	defer srv.kill()
	var r struct {
		ExperimentReport struct{ Arms []armReport }
	}
	srv.mustGQL(reportQuery, map[string]any{"id": id}, &r)
	exposures, clicks := 0, map[string]int{}
	for _, a := range r.ExperimentReport.Arms {
		exposures += a.Exposures
		clicks[a.Name] = a.Clicks
	}
	if exposures != served || clicks[arm] != 1 || clicks["A"]+clicks["B"] != 1 {
		t.Fatalf("after SIGKILL: %d exposures (served %d), clicks %v (clicked in %s)", exposures, served, clicks, arm)
	}
	// ku0 saw its items twice without a click: they still rest.
	for _, r := range list(srv, "ku0") {
		if slices.Contains(shown, r.Product.ID) {
			t.Fatalf("%s was shown twice before the crash and is listed after it: %v", r.Product.ID, shown)
		}
	}
	t.Logf("%d exposures and 1 click flushed before SIGKILL, all there after the restart", served)
}
