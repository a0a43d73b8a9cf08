package resolvers

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"
)

type placedRec struct {
	Product struct{ ID string }
	Reasons []struct{ Kind, Message string }
}

// placementShop: 20 food items bought again every 26 to 37 days by 12 shoppers
// (a consumable), 20 phones bought once (a durable), and trained models.
func placementShop(t *testing.T, c *client.Client) {
	t.Helper()
	var products []map[string]any
	for i := range 20 {
		products = append(products,
			map[string]any{"id": fmt.Sprintf("food-%02d", i), "title": fmt.Sprintf("五常大米 %d", i), "category": "食品/粮油", "price": map[string]any{"amount": "59.00"}},
			map[string]any{"id": fmt.Sprintf("phone-%02d", i), "title": fmt.Sprintf("华为手机 %d", i), "category": "数码/手机", "price": map[string]any{"amount": "3999.00"}})
	}
	var pr struct {
		UpsertProducts struct{ UserErrors []userError }
	}
	c.MustPost(`mutation($in: [ProductInput!]!) { upsertProducts(input: $in) { userErrors { field message code } } }`, &pr, client.Var("in", products))
	var users []map[string]any
	var events []map[string]any
	now := time.Now().UTC()
	at := func(daysAgo int, minute int) string {
		return now.Add(-time.Duration(daysAgo)*24*time.Hour + time.Duration(minute)*time.Minute).Format(time.RFC3339)
	}
	for u := range 12 {
		id := fmt.Sprintf("buyer-%02d", u)
		users = append(users, map[string]any{"id": id})
		food, phone := fmt.Sprintf("food-%02d", u), fmt.Sprintf("phone-%02d", u)
		gap := 26 + u // days between re-purchases, 26 to 37
		for d := 110; d > 0; d -= gap {
			events = append(events, map[string]any{"userID": id, "productID": food, "kind": "VIEW", "occurredAt": at(d, 0)},
				map[string]any{"userID": id, "productID": food, "kind": "PURCHASE", "occurredAt": at(d, 2)})
		}
		events = append(events, map[string]any{"userID": id, "productID": phone, "kind": "VIEW", "occurredAt": at(50, 0)},
			map[string]any{"userID": id, "productID": phone, "kind": "PURCHASE", "occurredAt": at(50, 5)},
			map[string]any{"userID": id, "productID": fmt.Sprintf("phone-%02d", (u+1)%20), "kind": "VIEW", "occurredAt": at(9, 0)})
	}
	// The shopper under test bought rice 35 days ago, and a phone.
	users = append(users, map[string]any{"id": "shopper"})
	events = append(events, map[string]any{"userID": "shopper", "productID": "food-15", "kind": "PURCHASE", "occurredAt": at(35, 0)},
		map[string]any{"userID": "shopper", "productID": "phone-15", "kind": "PURCHASE", "occurredAt": at(20, 0)})
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

func record(t *testing.T, c *client.Client, events ...map[string]any) {
	t.Helper()
	var r struct {
		RecordInteractions struct{ UserErrors []userError }
	}
	c.MustPost(`mutation($in: [InteractionInput!]!) { recordInteractions(input: $in) { userErrors { field message code } } }`, &r, client.Var("in", events))
	if len(r.RecordInteractions.UserErrors) > 0 {
		t.Fatalf("record: %+v", r.RecordInteractions.UserErrors)
	}
}

func placed(t *testing.T, c *client.Client, placement string) []placedRec {
	t.Helper()
	var r struct{ Recommendations []placedRec }
	c.MustPost(`query($p: Placement) { recommendations(userID: "shopper", first: 40, placement: $p) { product { id } reasons { kind message } } }`,
		&r, client.Var("p", placement))
	return r.Recommendations
}

func ids(recs []placedRec) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Product.ID
	}
	return out
}

func reasonOf(recs []placedRec, id string) string {
	for _, r := range recs {
		if r.Product.ID == id && len(r.Reasons) > 0 {
			return r.Reasons[0].Message
		}
	}
	return ""
}

// The placements follow what the shopper does, on the very next call.
func TestPlacementsFollowTheShopperInRealTime(t *testing.T) {
	c := newAppClient(newApp(t))
	placementShop(t, c)

	// A consumable bought 35 days ago, in a category bought again every 30.
	again := placed(t, c, "BUY_AGAIN")
	if got := ids(again); !slices.Equal(got, []string{"food-15"}) {
		t.Fatalf("BUY_AGAIN = %v, want the rice bought 35 days ago (and not the phone, a durable)", got)
	}
	if msg := reasonOf(again, "food-15"); !strings.Contains(msg, "35 天前购买") {
		t.Fatalf("BUY_AGAIN reason %q does not say when it was bought", msg)
	}
	forYou := ids(placed(t, c, "FOR_YOU"))
	if slices.Contains(forYou, "phone-15") {
		t.Fatal("FOR_YOU offers a durable the shopper bought")
	}
	if !slices.Contains(forYou, "food-15") {
		t.Fatalf("FOR_YOU leaves out the consumable that is due again: %v", forYou)
	}

	// A view, then a cart: CONTINUE at once, the cart with its own reason.
	record(t, c, map[string]any{"userID": "shopper", "productID": "phone-03", "kind": "VIEW"})
	if cont := placed(t, c, "CONTINUE"); !slices.Equal(ids(cont), []string{"phone-03"}) || reasonOf(cont, "phone-03") != "你最近看过" {
		t.Fatalf("CONTINUE after a view = %+v", cont)
	}
	record(t, c, map[string]any{"userID": "shopper", "productID": "phone-07", "kind": "ADD_TO_CART"})
	cont := placed(t, c, "CONTINUE")
	if !slices.Contains(ids(cont), "phone-07") || reasonOf(cont, "phone-07") != "还在你的购物车里" {
		t.Fatalf("CONTINUE right after ADD_TO_CART = %+v", cont)
	}
	for _, id := range []string{"phone-03", "phone-07", "phone-15", "food-15"} {
		if slices.Contains(ids(placed(t, c, "DISCOVER")), id) {
			t.Fatalf("DISCOVER offers %s, which the shopper touched", id)
		}
	}

	// Buying the carted phone takes it out of CONTINUE and FOR_YOU at once.
	record(t, c, map[string]any{"userID": "shopper", "productID": "phone-07", "kind": "PURCHASE"})
	if slices.Contains(ids(placed(t, c, "CONTINUE")), "phone-07") {
		t.Fatal("a bought item stays in CONTINUE")
	}
	if slices.Contains(ids(placed(t, c, "FOR_YOU")), "phone-07") {
		t.Fatal("a bought durable stays in FOR_YOU")
	}
	// Buying the rice again: no longer due, so it leaves BUY_AGAIN and FOR_YOU.
	record(t, c, map[string]any{"userID": "shopper", "productID": "food-15", "kind": "PURCHASE"})
	if got := ids(placed(t, c, "BUY_AGAIN")); len(got) != 0 {
		t.Fatalf("BUY_AGAIN right after the re-purchase = %v", got)
	}
	if slices.Contains(ids(placed(t, c, "FOR_YOU")), "food-15") {
		t.Fatal("a consumable bought a moment ago is in FOR_YOU")
	}
}

func TestPlacementRejectsUnknownValues(t *testing.T) {
	c := newAppClient(newApp(t))
	var r map[string]any
	err := c.Post(`{ recommendations(userID: "u1", placement: SOMEWHERE) { product { id } } }`, &r)
	if err == nil || !strings.Contains(err.Error(), "SOMEWHERE") {
		t.Fatalf("an unknown placement: %v", err)
	}
}

// A bought item the shopper carts again is in consideration again:
// CONTINUE shows it, the purchase does not hide it. A view after the
// purchase does not (a look at the order).
func TestPlacementsBoughtThenCartedAgain(t *testing.T) {
	c := newAppClient(newApp(t))
	placementShop(t, c)
	record(t, c, map[string]any{"userID": "shopper", "productID": "phone-15", "kind": "VIEW"})
	if slices.Contains(ids(placed(t, c, "CONTINUE")), "phone-15") {
		t.Fatal("a bought phone viewed again is in CONTINUE")
	}
	record(t, c, map[string]any{"userID": "shopper", "productID": "phone-15", "kind": "ADD_TO_CART"})
	cont := placed(t, c, "CONTINUE")
	if !slices.Contains(ids(cont), "phone-15") || reasonOf(cont, "phone-15") != "还在你的购物车里" {
		t.Fatalf("CONTINUE after carting a bought phone again = %+v", cont)
	}
}

// gqlparser matches enum variables case-insensitively; a lower-case
// placement is a bad input, not an internal error.
func TestPlacementVariableIsCaseChecked(t *testing.T) {
	c := newAppClient(newApp(t))
	var r map[string]any
	err := c.Post(`query($p: Placement) { recommendations(userID: "u1", placement: $p) { product { id } } }`, &r, client.Var("p", "for_you"))
	if err == nil || !strings.Contains(err.Error(), "BAD_USER_INPUT") && !strings.Contains(err.Error(), "FOR_YOU") {
		t.Fatalf("placement for_you: %v", err)
	}
}
