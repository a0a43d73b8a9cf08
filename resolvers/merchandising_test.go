package resolvers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/recommend"
)

// asAdmin runs an operation with the admin role, as api.Keys does for an
// admin key (the test handler has no key middleware).
func asAdmin(r *client.Request) {
	r.HTTP = r.HTTP.WithContext(api.WithRole(r.HTTP.Context(), api.RoleAdmin))
}

type merchRec struct {
	Score   float64
	Product struct{ ID, Brand, Category string }
	Reasons []struct {
		Kind, Message string
		RuleID        *string
	}
}

func (r merchRec) merchReason() (msg string, ruleID *string, ok bool) {
	for i, rs := range r.Reasons {
		if rs.Kind == recommend.ReasonMerchandising {
			if i != 0 {
				return "", nil, false // must come first
			}
			return rs.Message, rs.RuleID, true
		}
	}
	return "", nil, false
}

func merchIDs(rs []merchRec) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Product.ID
	}
	return out
}

// merchShop: phones (华为 and 小米), cups (some on promotion), snacks, a
// lamp nobody has touched and an unavailable one; a crowd that makes them
// popular, amy (female, 25) who viewed phones and bought ph-02, bob (male,
// 40); trained models.
func merchShop(t *testing.T, c *client.Client) {
	t.Helper()
	var products []map[string]any
	for i := range 12 {
		brand := "华为"
		if i%2 == 1 {
			brand = "小米"
		}
		cup := map[string]any{"id": fmt.Sprintf("cup-%02d", i), "title": fmt.Sprintf("膳魔师保温杯 %d", i), "brand": "膳魔师",
			"category": "家居/杯具", "tags": []string{"保温"}, "price": map[string]any{"amount": "99.00"}}
		if i < 4 {
			cup["promotion"] = "限时优惠"
		}
		products = append(products,
			map[string]any{"id": fmt.Sprintf("ph-%02d", i), "title": fmt.Sprintf("%s手机 %d", brand, i), "brand": brand,
				"category": "数码/手机", "tags": []string{"5G"}, "price": map[string]any{"amount": fmt.Sprintf("%d.00", 1999+100*i)}},
			cup,
			map[string]any{"id": fmt.Sprintf("sn-%02d", i), "title": fmt.Sprintf("三只松鼠坚果 %d", i), "brand": "三只松鼠",
				"category": "食品/零食", "price": map[string]any{"amount": "29.00"}})
	}
	products = append(products,
		map[string]any{"id": "lamp-new", "title": "飞利浦台灯", "brand": "飞利浦", "category": "家居/灯具", "price": map[string]any{"amount": "199.00"}},
		map[string]any{"id": "lamp-off", "title": "飞利浦落地灯", "brand": "飞利浦", "category": "家居/灯具", "price": map[string]any{"amount": "399.00"}, "available": false})
	var pr struct {
		UpsertProducts struct{ UserErrors []userError }
	}
	c.MustPost(`mutation($in: [ProductInput!]!) { upsertProducts(input: $in) { userErrors { field message code } } }`, &pr, client.Var("in", products))
	users := []map[string]any{
		{"id": "amy", "age": 25, "gender": "FEMALE", "interests": []string{"拍照"}},
		{"id": "bob", "age": 40, "gender": "MALE", "interests": []string{"户外"}},
	}
	now := time.Now().UTC()
	at := func(hoursAgo int) string { return now.Add(-time.Duration(hoursAgo) * time.Hour).Format(time.RFC3339) }
	var events []map[string]any
	for u := range 20 {
		id := fmt.Sprintf("crowd-%02d", u)
		users = append(users, map[string]any{"id": id})
		for k := range 6 {
			p := []string{"ph", "cup", "sn"}[(u+k)%3] + fmt.Sprintf("-%02d", (u*5+k*7)%12)
			events = append(events, map[string]any{"userID": id, "productID": p, "kind": "VIEW", "occurredAt": at(200 - k*10 - u)})
			if k%2 == 0 {
				events = append(events, map[string]any{"userID": id, "productID": p, "kind": "ADD_TO_CART", "occurredAt": at(199 - k*10 - u)})
			}
		}
	}
	events = append(events,
		map[string]any{"userID": "amy", "productID": "ph-00", "kind": "VIEW", "occurredAt": at(30)},
		map[string]any{"userID": "amy", "productID": "ph-01", "kind": "VIEW", "occurredAt": at(29)},
		map[string]any{"userID": "amy", "productID": "cup-00", "kind": "VIEW", "occurredAt": at(28)},
		map[string]any{"userID": "amy", "productID": "ph-02", "kind": "PURCHASE", "occurredAt": at(27)},
		map[string]any{"userID": "bob", "productID": "sn-00", "kind": "VIEW", "occurredAt": at(26)})
	var ur struct {
		UpsertUsers struct{ UserErrors []userError }
	}
	c.MustPost(`mutation($in: [UserInput!]!) { upsertUsers(input: $in) { userErrors { field message code } } }`, &ur, client.Var("in", users))
	record(t, c, events...)
	var tr map[string]any
	c.MustPost(`mutation { trainModels { users } }`, &tr)
	if len(pr.UpsertProducts.UserErrors)+len(ur.UpsertUsers.UserErrors) > 0 {
		t.Fatalf("seed: %+v %+v", pr, ur)
	}
}

const recQuery = `query($u: ID!, $n: Int, $p: Placement, $x: [ID!], $l: Language) {
  recommendations(userID: $u, first: $n, placement: $p, exclude: $x, language: $l) { score product { id brand category } reasons { kind message ruleID } } }`

func recsFor(t *testing.T, c *client.Client, user string, n int, vars ...client.Option) []merchRec {
	t.Helper()
	var r struct{ Recommendations []merchRec }
	c.MustPost(recQuery, &r, append([]client.Option{client.Var("u", user), client.Var("n", n), asAdmin}, vars...)...)
	return r.Recommendations
}

const relQuery = `query($id: ID!, $n: Int, $x: [ID!]) {
  productRecommendations(productID: $id, first: $n, exclude: $x) { score product { id brand category } reasons { kind message ruleID } } }`

func relatedTo(t *testing.T, c *client.Client, id string, n int, vars ...client.Option) []merchRec {
	t.Helper()
	var r struct{ ProductRecommendations []merchRec }
	c.MustPost(relQuery, &r, append([]client.Option{client.Var("id", id), client.Var("n", n), asAdmin}, vars...)...)
	return r.ProductRecommendations
}

type ruleOut struct {
	ID, Action string
	Position   *int
	Factor     *float64
	Placements []string
	RuleSet    *string
}

const upsertRules = `mutation($in: [MerchandisingRuleInput!]!) {
  upsertMerchandisingRules(input: $in) { rules { id action position factor placements ruleSet } userErrors { field message code } } }`

func upsert(t *testing.T, c *client.Client, rules ...map[string]any) ([]ruleOut, []userError) {
	t.Helper()
	var r struct {
		UpsertMerchandisingRules struct {
			Rules      []ruleOut
			UserErrors []userError
		}
	}
	c.MustPost(upsertRules, &r, client.Var("in", rules), asAdmin)
	return r.UpsertMerchandisingRules.Rules, r.UpsertMerchandisingRules.UserErrors
}

func mustUpsert(t *testing.T, c *client.Client, rules ...map[string]any) []ruleOut {
	t.Helper()
	out, errs := upsert(t, c, rules...)
	if len(errs) > 0 || len(out) != len(rules) {
		t.Fatalf("upsert: %+v %+v", out, errs)
	}
	return out
}

func deleteRules(t *testing.T, c *client.Client, ids ...string) []string {
	t.Helper()
	var r struct {
		DeleteMerchandisingRules struct{ DeletedIDs []string }
	}
	c.MustPost(`mutation($ids: [ID!]!) { deleteMerchandisingRules(ids: $ids) { deletedIDs } }`, &r, client.Var("ids", ids), asAdmin)
	return r.DeleteMerchandisingRules.DeletedIDs
}

func ruleCount(t *testing.T, c *client.Client) int {
	t.Helper()
	var r struct{ MerchandisingRules struct{ TotalCount int } }
	c.MustPost(`{ merchandisingRules { totalCount } }`, &r, asAdmin)
	return r.MerchandisingRules.TotalCount
}

func TestExcludeDropsItemsAndStillFillsTheList(t *testing.T) {
	c := newAppClient(newApp(t))
	merchShop(t, c)
	before := recsFor(t, c, "amy", 10)
	if len(before) != 10 {
		t.Fatalf("%d recommendations, want 10", len(before))
	}
	excl := append(merchIDs(before[:5]), "no-such-product")
	after := recsFor(t, c, "amy", 10, client.Var("x", excl))
	if len(after) != 10 {
		t.Fatalf("with exclude: %d recommendations, want 10", len(after))
	}
	for _, id := range merchIDs(after) {
		if slices.Contains(excl, id) {
			t.Errorf("excluded %s recommended", id)
		}
	}
	// Every placement honours it.
	cont := recsFor(t, c, "amy", 10, client.Var("p", "CONTINUE"))
	if len(cont) == 0 {
		t.Fatal("no CONTINUE list")
	}
	if got := recsFor(t, c, "amy", 10, client.Var("p", "CONTINUE"), client.Var("x", []string{cont[0].Product.ID})); slices.Contains(merchIDs(got), cont[0].Product.ID) {
		t.Errorf("CONTINUE kept excluded %s", cont[0].Product.ID)
	}
	rel := relatedTo(t, c, "ph-00", 5)
	if len(rel) != 5 {
		t.Fatalf("%d related, want 5", len(rel))
	}
	rel2 := relatedTo(t, c, "ph-00", 5, client.Var("x", merchIDs(rel[:2])))
	for _, id := range merchIDs(rel2) {
		if slices.Contains(merchIDs(rel[:2]), id) {
			t.Errorf("related: excluded %s recommended", id)
		}
	}
	if len(rel2) != 5 {
		t.Errorf("related with exclude: %d items, want 5", len(rel2))
	}
	// Too many, or malformed: BAD_USER_INPUT, nothing served.
	many := make([]string, recommend.MaxExclude+1)
	for i := range many {
		many[i] = fmt.Sprintf("x%d", i)
	}
	for _, q := range []string{recQuery, relQuery} {
		var r map[string]any
		err := c.Post(q, &r, client.Var("u", "amy"), client.Var("id", "ph-00"), client.Var("x", many), asAdmin)
		if err == nil || !strings.Contains(err.Error(), "BAD_USER_INPUT") {
			t.Errorf("501 exclusions: %v", err)
		}
		err = c.Post(q, &r, client.Var("u", "amy"), client.Var("id", "ph-00"), client.Var("x", []string{" padded "}), asAdmin)
		if err == nil || !strings.Contains(err.Error(), "BAD_USER_INPUT") {
			t.Errorf("malformed exclusion: %v", err)
		}
	}
}

func TestRuleActionsThroughGraphQL(t *testing.T) {
	c := newAppClient(newApp(t))
	merchShop(t, c)
	base := recsFor(t, c, "amy", 40)
	if len(base) < 25 {
		t.Fatalf("only %d candidates", len(base))
	}

	t.Run("HIDE", func(t *testing.T) {
		if !slices.ContainsFunc(base[:20], func(r merchRec) bool { return r.Product.Brand == "小米" }) {
			t.Fatal("no 小米 phone on the first page to hide")
		}
		rs := mustUpsert(t, c, map[string]any{"action": "HIDE", "condition": map[string]any{"brands": []string{"小米"}}})
		defer deleteRules(t, c, rs[0].ID)
		got := recsFor(t, c, "amy", 20)
		if len(got) != 20 {
			t.Errorf("%d items after HIDE, want the list filled to 20", len(got))
		}
		for _, r := range got {
			if r.Product.Brand == "小米" {
				t.Errorf("hidden brand: %s", r.Product.ID)
			}
		}
		for _, r := range relatedTo(t, c, "ph-00", 10) {
			if r.Product.Brand == "小米" {
				t.Errorf("hidden brand in productRecommendations: %s", r.Product.ID)
			}
		}
	})

	t.Run("BOOST from beyond the first page", func(t *testing.T) {
		deep := base[len(base)-1].Product.ID
		rs := mustUpsert(t, c, map[string]any{"id": "boost-deep", "name": "新品推广", "action": "BOOST", "factor": 1000,
			"condition": map[string]any{"productIDs": []string{deep}}})
		defer deleteRules(t, c, rs[0].ID)
		got := recsFor(t, c, "amy", 10)
		i := slices.Index(merchIDs(got), deep)
		if i < 0 {
			t.Fatalf("boosted %s (rank %d of %d) not on the first page: %v", deep, len(base), len(base), merchIDs(got))
		}
		msg, rule, ok := got[i].merchReason()
		if !ok || msg != "店铺推荐" || rule == nil || *rule != "boost-deep" {
			t.Errorf("boosted item's reasons: %+v", got[i].Reasons)
		}
		en := recsFor(t, c, "amy", 10, client.Var("l", "EN"))
		if j := slices.Index(merchIDs(en), deep); j < 0 || en[j].Reasons[0].Message != "Recommended by the shop" {
			t.Errorf("English reason: %+v", en)
		}
	})

	t.Run("BURY", func(t *testing.T) {
		top := base[0].Product.ID
		rs := mustUpsert(t, c, map[string]any{"action": "BURY", "factor": 1000, "condition": map[string]any{"productIDs": []string{top}}})
		defer deleteRules(t, c, rs[0].ID)
		got := recsFor(t, c, "amy", 5)
		if slices.Contains(merchIDs(got), top) {
			t.Errorf("buried %s still in the top 5: %v", top, merchIDs(got))
		}
		for _, r := range got {
			if _, _, ok := r.merchReason(); ok {
				t.Errorf("a buried list carries a merchandising reason: %+v", r)
			}
		}
	})

	t.Run("PIN", func(t *testing.T) {
		// lamp-new: no interactions, not a candidate; cups on promotion at 2.
		rs := mustUpsert(t, c,
			map[string]any{"id": "pin-lamp", "action": "PIN", "position": 1, "condition": map[string]any{"productIDs": []string{"lamp-new"}}},
			map[string]any{"id": "pin-promo", "action": "PIN", "position": 3, "condition": map[string]any{"categoryPrefix": "家居/杯具", "onPromotion": true}})
		defer deleteRules(t, c, rs[0].ID, rs[1].ID)
		got := recsFor(t, c, "amy", 10)
		if len(got) != 10 || got[0].Product.ID != "lamp-new" {
			t.Fatalf("pinned lamp-new not first: %v", merchIDs(got))
		}
		if msg, rule, ok := got[0].merchReason(); !ok || msg != "店铺推荐" || *rule != "pin-lamp" {
			t.Errorf("pinned reasons: %+v", got[0].Reasons)
		}
		if !strings.HasPrefix(got[2].Product.ID, "cup-0") || got[2].Product.ID > "cup-03" {
			t.Errorf("position 3 is %s, want a cup on promotion", got[2].Product.ID)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Score > got[i-1].Score {
				t.Errorf("scores rise at %d: %v > %v", i, got[i].Score, got[i-1].Score)
			}
		}
		// Exclusions beat pins; a pin past the list is not placed.
		if got := recsFor(t, c, "amy", 10, client.Var("x", []string{"lamp-new"})); slices.Contains(merchIDs(got), "lamp-new") {
			t.Error("an excluded item was pinned")
		}
		// Pins hold on productRecommendations and in a short list.
		if rel := relatedTo(t, c, "sn-01", 3); len(rel) == 0 || rel[0].Product.ID != "lamp-new" {
			t.Errorf("productRecommendations ignores the pin: %v", merchIDs(rel))
		}
	})

	t.Run("PIN never shows a bought durable or an unavailable item", func(t *testing.T) {
		rs := mustUpsert(t, c,
			map[string]any{"action": "PIN", "position": 1, "condition": map[string]any{"productIDs": []string{"ph-02"}}},
			map[string]any{"action": "PIN", "position": 2, "condition": map[string]any{"productIDs": []string{"lamp-off"}}})
		defer deleteRules(t, c, rs[0].ID, rs[1].ID)
		got := recsFor(t, c, "amy", 10)
		if slices.Contains(merchIDs(got), "ph-02") || slices.Contains(merchIDs(got), "lamp-off") {
			t.Errorf("pinned a bought phone or an unavailable lamp: %v", merchIDs(got))
		}
		if len(got) != 10 {
			t.Errorf("%d items, want 10", len(got))
		}
	})

	t.Run("placements, segments, windows and rule sets", func(t *testing.T) {
		now := time.Now().UTC()
		rs := mustUpsert(t, c,
			map[string]any{"id": "only-discover", "action": "PIN", "position": 1, "placements": []string{"DISCOVER"}, "condition": map[string]any{"productIDs": []string{"sn-05"}}},
			map[string]any{"id": "only-men", "action": "PIN", "position": 2, "segment": map[string]any{"gender": "MALE"}, "condition": map[string]any{"productIDs": []string{"sn-06"}}},
			map[string]any{"id": "later", "action": "PIN", "position": 3, "startsAt": now.Add(time.Hour).Format(time.RFC3339), "condition": map[string]any{"productIDs": []string{"sn-07"}}},
			map[string]any{"id": "now", "action": "PIN", "position": 4, "startsAt": now.Add(-time.Hour).Format(time.RFC3339),
				"endsAt": now.Add(time.Hour).Format(time.RFC3339), "condition": map[string]any{"productIDs": []string{"sn-08"}}},
			map[string]any{"id": "arm-b", "action": "PIN", "position": 5, "ruleSet": "arm-b", "condition": map[string]any{"productIDs": []string{"sn-09"}}})
		defer deleteRules(t, c, "only-discover", "only-men", "later", "now", "arm-b")
		if rs[4].RuleSet == nil || *rs[4].RuleSet != "arm-b" || rs[0].RuleSet != nil || len(rs[0].Placements) != 1 {
			t.Errorf("stored rules: %+v", rs)
		}
		pos := func(list []merchRec, id string) int { return slices.Index(merchIDs(list), id) + 1 }
		amy := recsFor(t, c, "amy", 10)
		if pos(amy, "sn-05") == 1 || pos(amy, "sn-06") == 2 || pos(amy, "sn-07") == 3 || pos(amy, "sn-09") == 5 {
			t.Errorf("a rule out of its placement, segment, window or rule set applied: %v", merchIDs(amy))
		}
		if pos(amy, "sn-08") != 4 {
			t.Errorf("the rule in its window did not apply: %v", merchIDs(amy))
		}
		if d := recsFor(t, c, "amy", 10, client.Var("p", "DISCOVER")); pos(d, "sn-05") != 1 {
			t.Errorf("DISCOVER rule did not apply on DISCOVER: %v", merchIDs(d))
		}
		if b := recsFor(t, c, "bob", 10); pos(b, "sn-06") != 2 {
			t.Errorf("segment rule did not apply to bob: %v", merchIDs(b))
		}
		// productRecommendations has no shopper: segment rules stay off.
		if rel := relatedTo(t, c, "ph-00", 5); pos(rel, "sn-06") == 2 || pos(rel, "sn-05") == 1 {
			t.Errorf("segment or placement rule on productRecommendations: %v", merchIDs(rel))
		}
	})
}

func TestRuleValidationWritesNothing(t *testing.T) {
	c := newAppClient(newApp(t))
	merchShop(t, c)
	good := map[string]any{"id": "ok", "action": "BOOST", "factor": 2, "condition": map[string]any{"brands": []string{"华为"}}}
	mustUpsert(t, c, map[string]any{"id": "stored-pin", "action": "PIN", "position": 7, "condition": map[string]any{"productIDs": []string{"sn-01"}}})
	cases := []struct {
		rule  map[string]any
		field string
		code  string
	}{
		{map[string]any{"action": "PIN", "condition": map[string]any{"brands": []string{"华为"}}}, "position", "REQUIRED"},
		{map[string]any{"action": "PIN", "position": 0, "condition": map[string]any{"brands": []string{"华为"}}}, "position", "INVALID"},
		{map[string]any{"action": "BOOST", "factor": 0, "condition": map[string]any{"brands": []string{"华为"}}}, "factor", "INVALID"},
		{map[string]any{"action": "BURY", "factor": -2, "condition": map[string]any{"brands": []string{"华为"}}}, "factor", "INVALID"},
		{map[string]any{"action": "BOOST", "condition": map[string]any{"brands": []string{"华为"}}}, "factor", "REQUIRED"},
		{map[string]any{"action": "HIDE", "factor": 2, "condition": map[string]any{"brands": []string{"华为"}}}, "factor", "INVALID"},
		{map[string]any{"action": "HIDE", "condition": map[string]any{"brands": []string{"华为"}},
			"startsAt": "2030-01-02T00:00:00Z", "endsAt": "2030-01-01T00:00:00Z"}, "endsAt", "INVALID"},
		{map[string]any{"action": "HIDE", "condition": map[string]any{"brands": []string{"华为"}}, "endsAt": "2020-01-01T00:00:00Z"}, "endsAt", "INVALID"},
		{map[string]any{"action": "HIDE", "condition": map[string]any{"minPrice": "100", "maxPrice": "50"}}, "minPrice", "INVALID"},
		{map[string]any{"action": "HIDE", "condition": map[string]any{}}, "condition", "REQUIRED"},
		{map[string]any{"action": "HIDE", "condition": map[string]any{"brands": []string{}}}, "brands", "INVALID"},
		{map[string]any{"action": "HIDE", "condition": map[string]any{"categoryPrefix": "/"}}, "categoryPrefix", "INVALID"},
		{map[string]any{"action": "PIN", "position": 1, "condition": map[string]any{"available": false}}, "available", "INVALID"},
		{map[string]any{"action": "HIDE", "placements": []string{}, "condition": map[string]any{"tags": []string{"5G"}}}, "placements", "INVALID"},
		{map[string]any{"action": "HIDE", "ruleSet": "Arm B", "condition": map[string]any{"tags": []string{"5G"}}}, "ruleSet", "INVALID"},
		{map[string]any{"action": "HIDE", "ruleSet": strings.Repeat("a", 65), "condition": map[string]any{"tags": []string{"5G"}}}, "ruleSet", "TOO_LONG"},
		{map[string]any{"action": "HIDE", "name": strings.Repeat("名", 101), "condition": map[string]any{"tags": []string{"5G"}}}, "name", "TOO_LONG"},
		{map[string]any{"action": "HIDE", "condition": map[string]any{"tags": []string{strings.Repeat("t", 51)}}}, "tags", "TOO_LONG"},
		{map[string]any{"action": "HIDE", "segment": map[string]any{"minAge": 50, "maxAge": 20}, "condition": map[string]any{"tags": []string{"5G"}}}, "minAge", "INVALID"},
		{map[string]any{"id": "ok", "action": "HIDE", "condition": map[string]any{"tags": []string{"5G"}}}, "id", "DUPLICATE"},
		// A stored PIN holds position 7 for every list, time and shopper.
		{map[string]any{"action": "PIN", "position": 7, "placements": []string{"FOR_YOU"}, "condition": map[string]any{"productIDs": []string{"sn-02"}}}, "position", "DUPLICATE"},
	}
	for _, tc := range cases {
		_, errs := upsert(t, c, good, tc.rule)
		found := slices.ContainsFunc(errs, func(e userError) bool {
			return e.Code == tc.code && len(e.Field) >= 3 && e.Field[1] == "1" && slices.Contains(e.Field[2:], tc.field)
		})
		if !found {
			t.Errorf("%v: want %s on %s, got %+v", tc.rule, tc.code, tc.field, errs)
		}
	}
	// Two new PINs on one position for the same placement; but not for
	// different placements, segments or windows.
	pinAt := func(pos int, extra map[string]any) map[string]any {
		r := map[string]any{"action": "PIN", "position": pos, "condition": map[string]any{"tags": []string{"保温"}}}
		for k, v := range extra {
			r[k] = v
		}
		return r
	}
	if _, errs := upsert(t, c, pinAt(2, nil), pinAt(2, map[string]any{"placements": []string{"FOR_YOU"}})); len(errs) != 1 || errs[0].Code != "DUPLICATE" {
		t.Errorf("two PINs at 2: %+v", errs)
	}
	if _, errs := upsert(t, c, pinAt(3, map[string]any{"placements": []string{"DISCOVER"}}), pinAt(3, map[string]any{"placements": []string{"FOR_YOU"}}),
		pinAt(3, map[string]any{"placements": []string{"CONTINUE"}, "segment": map[string]any{"gender": "MALE"}}),
		pinAt(3, map[string]any{"placements": []string{"CONTINUE"}, "segment": map[string]any{"gender": "FEMALE"}}),
		pinAt(4, map[string]any{"endsAt": "2099-01-01T00:00:00Z"}), pinAt(4, map[string]any{"startsAt": "2099-01-01T00:00:00Z"})); len(errs) != 0 {
		t.Errorf("PINs that never meet refused: %+v", errs)
	}
	if n := ruleCount(t, c); n != 7 {
		t.Fatalf("%d rules stored, want 7 (the first and the last batch)", n)
	}
	// More than 1,000 in one call.
	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = map[string]any{"action": "HIDE", "condition": map[string]any{"productIDs": []string{fmt.Sprintf("x%d", i)}}}
	}
	if _, errs := upsert(t, c, many...); len(errs) != 1 || errs[0].Code != "TOO_LARGE" {
		t.Errorf("1,001 rules: %+v", errs)
	}
	if n := ruleCount(t, c); n != 7 {
		t.Errorf("%d rules after refused batches, want 7", n)
	}
}

func TestRulesPageAndDelete(t *testing.T) {
	c := newAppClient(newApp(t))
	var in []map[string]any
	for i := range 5 {
		in = append(in, map[string]any{"id": fmt.Sprintf("r%d", i), "action": "HIDE", "condition": map[string]any{"productIDs": []string{fmt.Sprintf("p%d", i)}}})
	}
	mustUpsert(t, c, in...)
	var page struct {
		MerchandisingRules struct {
			Nodes    []struct{ ID string }
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
			TotalCount int
		}
	}
	c.MustPost(`{ merchandisingRules(first: 2) { nodes { id } pageInfo { hasNextPage endCursor } totalCount } }`, &page, asAdmin)
	if len(page.MerchandisingRules.Nodes) != 2 || !page.MerchandisingRules.PageInfo.HasNextPage || page.MerchandisingRules.TotalCount != 5 {
		t.Fatalf("first page: %+v", page)
	}
	c.MustPost(`query($a: String) { merchandisingRules(first: 10, after: $a) { nodes { id } pageInfo { hasNextPage endCursor } totalCount } }`, &page,
		client.Var("a", page.MerchandisingRules.PageInfo.EndCursor), asAdmin)
	if got := page.MerchandisingRules.Nodes; len(got) != 3 || got[0].ID != "r2" || page.MerchandisingRules.PageInfo.HasNextPage {
		t.Fatalf("second page: %+v", page)
	}
	if got := deleteRules(t, c, "r1", "r3", "nope"); !slices.Equal(got, []string{"r1", "r3"}) {
		t.Errorf("deleted %v", got)
	}
	if n := ruleCount(t, c); n != 3 {
		t.Errorf("%d rules after delete, want 3", n)
	}
}

func TestRulesSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	open := func() *app.App {
		a, err := app.Open(context.Background(), app.Config{Data: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open()
	c := newAppClient(a)
	merchShop(t, c)
	mustUpsert(t, c, map[string]any{"id": "pin-lamp", "action": "PIN", "position": 1, "condition": map[string]any{"productIDs": []string{"lamp-new"}}})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a = open()
	defer a.Close()
	c = newAppClient(a)
	if n := ruleCount(t, c); n != 1 {
		t.Fatalf("%d rules after restart, want 1", n)
	}
	if got := recsFor(t, c, "amy", 5); len(got) == 0 || got[0].Product.ID != "lamp-new" {
		t.Errorf("rule not applied after restart: %v", merchIDs(got))
	}
}

func TestCampaignMessagesHonourRulesAndExclude(t *testing.T) {
	a := newApp(t)
	c := newAppClient(a)
	merchShop(t, c)
	top := recsFor(t, c, "amy", 3)
	mustUpsert(t, c,
		map[string]any{"id": "pin-lamp", "action": "PIN", "position": 1, "condition": map[string]any{"productIDs": []string{"lamp-new"}}},
		map[string]any{"id": "hide-xiaomi", "action": "HIDE", "condition": map[string]any{"brands": []string{"小米"}}})
	var cr struct {
		CreateCampaign struct {
			Campaign   *struct{ ID string }
			UserErrors []userError
		}
	}
	const create = `mutation($x: [ID!]) { createCampaign(input: {channel: PUSH, userIDs: ["amy", "bob"], productsPerUser: 5, exclude: $x}) {
	  campaign { id } userErrors { field message code } } }`
	many := make([]string, recommend.MaxExclude+1)
	for i := range many {
		many[i] = fmt.Sprintf("x%d", i)
	}
	c.MustPost(create, &cr, client.Var("x", many), asAdmin)
	if cr.CreateCampaign.Campaign != nil || len(cr.CreateCampaign.UserErrors) != 1 || cr.CreateCampaign.UserErrors[0].Code != "TOO_LARGE" {
		t.Fatalf("501 exclusions: %+v", cr.CreateCampaign)
	}
	c.MustPost(create, &cr, client.Var("x", merchIDs(top)), asAdmin)
	if cr.CreateCampaign.Campaign == nil {
		t.Fatalf("create: %+v", cr.CreateCampaign.UserErrors)
	}
	id := cr.CreateCampaign.Campaign.ID
	var st struct {
		Campaign struct {
			Status      string
			MessageList struct {
				Edges []struct {
					Node struct {
						UserID string
						Items  []struct {
							Product struct{ ID, Brand string }
							Reasons []struct {
								Kind   string
								RuleID *string
							}
						}
					}
				}
			}
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.MustPost(`query($id: ID!) { campaign(id: $id) { status messageList { edges { node { userID items { product { id brand } reasons { kind ruleID } } } } } } }`,
			&st, client.Var("id", id), asAdmin)
		if st.Campaign.Status == "COMPLETED" || st.Campaign.Status == "FAILED" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.Campaign.Status != "COMPLETED" || len(st.Campaign.MessageList.Edges) != 2 {
		t.Fatalf("campaign: %+v", st.Campaign)
	}
	for _, e := range st.Campaign.MessageList.Edges {
		m := e.Node
		if len(m.Items) == 0 || m.Items[0].Product.ID != "lamp-new" || m.Items[0].Reasons[0].Kind != "merchandising" ||
			m.Items[0].Reasons[0].RuleID == nil || *m.Items[0].Reasons[0].RuleID != "pin-lamp" {
			t.Errorf("%s: the pin is not first: %+v", m.UserID, m.Items)
		}
		for _, it := range m.Items {
			if it.Product.Brand == "小米" {
				t.Errorf("%s: hidden brand in the message: %s", m.UserID, it.Product.ID)
			}
			if m.UserID == "amy" && slices.Contains(merchIDs(top), it.Product.ID) {
				t.Errorf("excluded %s in amy's message", it.Product.ID)
			}
		}
	}
}

// TestRuleSetsComeFromTheRequest: a rule in a rule set applies only when
// the request names the set (the experiments' arms set Request.RuleSets).
func TestRuleSetsComeFromTheRequest(t *testing.T) {
	a := newApp(t)
	c := newAppClient(a)
	merchShop(t, c)
	mustUpsert(t, c, map[string]any{"id": "arm-b", "action": "PIN", "position": 1, "ruleSet": "arm-b", "condition": map[string]any{"productIDs": []string{"lamp-new"}}})
	for _, sets := range [][]string{nil, {"arm-a"}, {"arm-a", "arm-b"}} {
		recs, err := a.Recommend.Recommend(context.Background(), recommend.Request{UserID: "amy", N: 5, RuleSets: sets})
		if err != nil {
			t.Fatal(err)
		}
		pinned := len(recs) > 0 && recs[0].ItemID == "lamp-new"
		if want := slices.Contains(sets, "arm-b"); pinned != want {
			t.Errorf("rule sets %v: pinned %v, want %v", sets, pinned, want)
		}
	}
}
