package resolvers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/fatigue"
	"github.com/shopmuse/shopmuse/recommend"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// popular gives the catalogue a popularity: shoppers v1…v3 view forty
// products, so a new shopper's lists are full.
func popular(t *testing.T, c *client.Client) {
	t.Helper()
	var in []map[string]any
	for i := range 40 {
		in = append(in, map[string]any{"userID": fmt.Sprintf("v%d", 1+i%3), "productID": fmt.Sprintf("p%03d", i), "kind": "VIEW"})
	}
	var resp struct {
		UpsertUsers        struct{ UserErrors []userError }
		RecordInteractions struct{ UserErrors []userError }
	}
	c.MustPost(`mutation($in: [InteractionInput!]!) {
	  upsertUsers(input: [{id: "v1"}, {id: "v2"}, {id: "v3"}]) { userErrors { code } }
	  recordInteractions(input: $in) { userErrors { code } } }`, &resp, client.Var("in", in))
	if len(resp.UpsertUsers.UserErrors)+len(resp.RecordInteractions.UserErrors) > 0 {
		t.Fatalf("popular: %+v", resp)
	}
}

type servedRec struct {
	Product          struct{ ID string }
	RecommendationID string
	ExperimentArm    *string
}

func servedIDs(recs []servedRec) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Product.ID
	}
	return out
}

// TestFrequencyCapThroughGraphQL: with SHOPMUSE_REC_FATIGUE=2/1h, items a
// shopper was shown twice without reacting leave their list; a click brings
// the clicked one back at once, and the rest return once the hour (plus at
// most a quarter, the counting bucket) has passed.
func TestFrequencyCapThroughGraphQL(t *testing.T) {
	clk := &fakeClock{t: time.Now().UTC()}
	a, err := app.Open(context.Background(), app.Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Fatigue: fatigue.Config{Shows: 2, Window: time.Hour}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	c := newAppClient(a)
	seed(t, c)
	popular(t, c)
	listN := func(n int) []string {
		t.Helper()
		var resp struct{ Recommendations []servedRec }
		c.MustPost(`query($n: Int) { recommendations(userID: "u1", first: $n) { product { id } recommendationID experimentArm } }`, &resp, client.Var("n", n))
		for _, r := range resp.Recommendations {
			if r.RecommendationID == "" || r.ExperimentArm != nil {
				t.Fatalf("without an experiment: %+v", r)
			}
		}
		return servedIDs(resp.Recommendations)
	}
	list := func() []string { t.Helper(); return listN(5) }
	first := list()
	if len(first) != 5 {
		t.Fatalf("first list: %v", first)
	}
	if second := list(); !slices.Equal(first, second) {
		t.Fatalf("the list changed before the cap was reached: %v then %v", first, second)
	}
	third := list()
	for _, id := range first {
		if slices.Contains(third, id) {
			t.Fatalf("%s was shown twice without a click and is still listed: %v then %v", id, first, third)
		}
	}
	// Flushed or buffered, the count is the same.
	if err := a.FlushCounts(context.Background()); err != nil {
		t.Fatal(err)
	}
	var rec struct {
		RecordInteractions struct {
			Accepted   int
			UserErrors []userError
		}
	}
	c.MustPost(`mutation($p: ID!) { recordInteractions(input: [{userID: "u1", productID: $p, kind: CLICK}]) { accepted userErrors { code } } }`,
		&rec, client.Var("p", first[1]))
	if rec.RecordInteractions.Accepted != 1 {
		t.Fatalf("click: %+v", rec)
	}
	// Past its two showings, the third list rests too; only the clicked
	// item is back among the first five.
	fourth := list()
	if !slices.Contains(fourth, first[1]) {
		t.Fatalf("the clicked item %s did not come back: %v", first[1], fourth)
	}
	for _, id := range slices.Concat(first[:1], first[2:]) {
		if slices.Contains(fourth, id) {
			t.Fatalf("%s is back before its pause ended: %v", id, fourth)
		}
	}
	// What the engine ranks for u1 without the cap, to compare with.
	uncapped := func() []string {
		t.Helper()
		recs, err := a.Recommend.Recommend(context.Background(), recommend.Request{UserID: "u1", N: 40})
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(recs))
		for i, r := range recs {
			ids[i] = r.ItemID
		}
		return ids
	}
	clk.Add(40 * time.Minute)
	ref, got := uncapped(), listN(40)
	still := 0
	for _, id := range slices.Concat(first[:1], first[2:]) {
		if slices.Contains(got, id) {
			t.Fatalf("%s is back after 40 minutes of a one-hour pause: %v", id, got)
		}
		if slices.Contains(ref, id) {
			still++
		}
	}
	if still < 2 {
		t.Fatalf("the engine no longer ranks the rested items (%v in %v): the test cannot tell", first, ref)
	}
	clk.Add(50 * time.Minute) // 1.5 h after the first showings: none rests
	ref, got = uncapped(), listN(40)
	if !slices.Equal(ref, got) {
		t.Fatalf("after the pause the list differs from the uncapped one:\n%v\n%v", got, ref)
	}
	back := 0
	for _, id := range first {
		if slices.Contains(got, id) {
			back++
		}
	}
	if back < 2 {
		t.Fatalf("only %d of %v are back: %v", back, first, got)
	}
}

// CONTINUE and BUY_AGAIN list what the shopper already chose: an open cart
// asked for again and again stays, and those showings do not rest the
// item in other lists.
func TestFrequencyCapSparesContinue(t *testing.T) {
	a, err := app.Open(context.Background(), app.Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Fatigue: fatigue.Config{Shows: 2, Window: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	c := newAppClient(a)
	seed(t, c)
	popular(t, c)
	var resp struct{ Recommendations []servedRec }
	c.MustPost(`{ recommendations(userID: "u1", first: 1, placement: DISCOVER) { product { id } recommendationID } }`, &resp)
	carted := servedIDs(resp.Recommendations)
	if len(carted) != 1 {
		t.Fatalf("nothing to cart: %+v", resp)
	}
	var rec struct{ RecordInteractions struct{ Accepted int } }
	c.MustPost(`mutation($p: ID!) { recordInteractions(input: [{userID: "u1", productID: $p, kind: ADD_TO_CART}]) { accepted } }`,
		&rec, client.Var("p", carted[0]))
	for i := range 5 {
		c.MustPost(`{ recommendations(userID: "u1", first: 5, placement: CONTINUE) { product { id } recommendationID } }`, &resp)
		if !slices.Contains(servedIDs(resp.Recommendations), carted[0]) {
			t.Fatalf("request %d: the open cart %s left CONTINUE under the cap: %v", i+1, carted[0], servedIDs(resp.Recommendations))
		}
	}
	if resting, err := a.Fatigue.Resting(context.Background(), "u1"); err != nil || slices.Contains(resting, carted[0]) {
		t.Fatalf("showings in CONTINUE rested %s elsewhere (resting %v, err %v)", carted[0], resting, err)
	}
}

// An arm's ruleSets turn on the merchandising rules of those sets for its
// shoppers only: the experiment measures what a rule is worth.
func TestExperimentArmRuleSets(t *testing.T) {
	c := newAppClient(newApp(t))
	seed(t, c)
	popular(t, c)
	var users []map[string]any
	for i := range 24 {
		users = append(users, map[string]any{"id": fmt.Sprintf("s%02d", i)})
	}
	var up struct {
		UpsertUsers struct{ UserErrors []userError }
	}
	c.MustPost(`mutation($u: [UserInput!]!) { upsertUsers(input: $u) { userErrors { code } } }`, &up, client.Var("u", users))
	var rules struct {
		UpsertMerchandisingRules struct{ UserErrors []userError }
	}
	c.MustPost(`mutation { upsertMerchandisingRules(input: [{id: "pin-b", action: PIN, position: 1, ruleSet: "armb",
	  condition: {productIDs: ["p039"]}}]) { userErrors { field code message } } }`, &rules)
	if len(rules.UpsertMerchandisingRules.UserErrors) > 0 {
		t.Fatalf("rule: %+v", rules.UpsertMerchandisingRules.UserErrors)
	}
	var exp struct {
		CreateExperiment struct{ UserErrors []userError }
	}
	c.MustPost(`mutation { createExperiment(input: {name: "pin test", arms: [{name: "A"}, {name: "B", config: {ruleSets: ["armb"]}}]}) {
	  userErrors { field code message } } }`, &exp)
	if len(exp.CreateExperiment.UserErrors) > 0 {
		t.Fatalf("experiment: %+v", exp.CreateExperiment.UserErrors)
	}
	seen := map[string]int{}
	for _, u := range users {
		var resp struct {
			Recommendations []struct {
				Product       struct{ ID string }
				ExperimentArm *string
				Reasons       []struct{ Kind string }
			}
		}
		c.MustPost(`query($u: ID!) { recommendations(userID: $u, first: 5) { product { id } experimentArm reasons { kind } } }`,
			&resp, client.Var("u", u["id"]))
		recs := resp.Recommendations
		if len(recs) == 0 || recs[0].ExperimentArm == nil {
			t.Fatalf("%s: no arm: %+v", u["id"], recs)
		}
		arm := *recs[0].ExperimentArm
		seen[arm]++
		pinned := recs[0].Product.ID == "p039" && len(recs[0].Reasons) > 0 && recs[0].Reasons[0].Kind == "merchandising"
		if arm == "B" && !pinned {
			t.Errorf("%s in arm B: p039 not pinned first by its arm's rule set: %+v", u["id"], recs)
		}
		if arm == "A" {
			for _, r := range recs {
				if len(r.Reasons) > 0 && r.Reasons[0].Kind == "merchandising" {
					t.Errorf("%s in arm A (control) got the arm B rule: %+v", u["id"], recs)
				}
			}
		}
	}
	if seen["A"] == 0 || seen["B"] == 0 {
		t.Fatalf("24 shoppers all in one arm: %v", seen)
	}
}

// The console's shopper view previews a shopper's list: looking at it as
// often as a merchant likes neither rests the items nor counts exposures.
func TestPreviewCountsNoShowing(t *testing.T) {
	a, err := app.Open(context.Background(), app.Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Fatigue: fatigue.Config{Shows: 2, Window: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	c := newAppClient(a)
	seed(t, c)
	popular(t, c)
	ctx := context.Background()
	req := recommend.Request{UserID: "u1", N: 5}
	for range 4 {
		if _, err := a.PreviewRecommendations(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if resting, err := a.Fatigue.Resting(ctx, "u1"); err != nil || len(resting) > 0 {
		t.Fatalf("four previews rested %v (err %v)", resting, err)
	}
	for range 2 {
		if _, err := a.ServeRecommendations(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if resting, err := a.Fatigue.Resting(ctx, "u1"); err != nil || len(resting) == 0 {
		t.Fatalf("two served lists rested nothing (err %v): the check above proves nothing", err)
	}
}
