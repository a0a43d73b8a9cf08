package main

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
)

const testShopperSecret = "test-shopper-secret-of-32-bytes!!"

// shopperToken runs `shopmuse token` as a user would.
func shopperToken(t *testing.T, user, ttl string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"SHOPMUSE_SHOPPER_TOKEN_SECRET": testShopperSecret}
	if err := run(context.Background(), []string{"token", "--user", user, "--ttl", ttl}, func(k string) string { return env[k] }, &out, &errOut); err != nil {
		t.Fatalf("token: %v %s", err, errOut.String())
	}
	return strings.TrimSpace(out.String())
}

func codes(out map[string]any) string { return strings.Join(errorCodes(out), ",") }

// TestRolesAndShopperTokens: a catalog key is safe in a browser, a service
// key serves any shopper, and a shopper token acts only for its own user.
func TestRolesAndShopperTokens(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin,svc-1:service,rd-1:read,cat-1:catalog", "SHOPMUSE_SHOPPER_TOKEN_SECRET": testShopperSecret,
		"SHOPMUSE_SHOPPER_RATE_LIMIT": "1", "SHOPMUSE_SHOPPER_RATE_BURST": "25"})
	defer stop()
	seed := `mutation {
	  upsertProducts(input: [{id: "p1", title: "佳能 EOS R50 微单相机", category: "数码/相机", price: {amount: "4999.00"}},
	                         {id: "p2", title: "保温杯", category: "家居/杯具", price: {amount: "99.00"}}]) { userErrors { code } }
	  upsertUsers(input: [{id: "u1", name: "Ann", interests: ["拍照"]}, {id: "u2", name: "Bo"}]) { userErrors { code } }
	  recordInteractions(input: [{userID: "u1", productID: "p1", kind: PURCHASE}, {userID: "u2", productID: "p2", kind: ADD_TO_CART}]) { accepted userErrors { code } }
	}`
	if _, out, _ := post(t, base, "adm-1", seed); out["errors"] != nil || !strings.Contains(toJSON(out), `"accepted":2`) {
		t.Fatalf("seed: %v", out)
	}
	u1 := shopperToken(t, "u1", "1h")

	type check struct {
		who, query, want string // want: "" (answered) or an error code
	}
	for _, c := range []check{
		// catalog: the catalogue and copy for described personas, nothing personal.
		{"cat-1", `{ products { totalCount } searchProducts(query: "相机") { score } similarProducts(productID: "p1") { score } }`, ""},
		{"cat-1", `{ generatedCopy(productID: "p1", persona: {description: "25岁,喜欢拍照"}) { variants { text } } }`, ""},
		{"cat-1", `{ productRecommendations(productID: "p1") { score } }`, ""},
		{"cat-1", `{ recommendations(userID: "u1") { reasons { message } } }`, "FORBIDDEN"},
		{"cat-1", `{ generatedCopy(productID: "p1", persona: {userID: "u1"}) { persona } }`, "FORBIDDEN"},
		{"cat-1", `{ user(id: "u1") { id } }`, "FORBIDDEN"},
		{"cat-1", `{ copyPerformance(productID: "p1") { variants { segment } } }`, "FORBIDDEN"},
		// live per-product counts would follow one shopper on a quiet shop
		{"cat-1", `{ product(id: "p1") { title interactionCounts { kind count } } }`, "FORBIDDEN"},
		{"svc-1", `{ product(id: "p1") { title interactionCounts { kind count } } }`, ""},
		{"cat-1", `mutation { recordInteractions(input: [{userID: "u1", productID: "p1", kind: CLICK}]) { accepted } }`, "FORBIDDEN"},
		// service, and read, its old name: any shopper, no writes, no lists of shoppers.
		{"svc-1", `{ recommendations(userID: "u1") { reasons { message } } user(id: "u2") { name } copyPerformance(productID: "p1") { channel } }`, ""},
		{"rd-1", `{ recommendations(userID: "u2") { score } generatedCopy(productID: "p1", persona: {userID: "u2"}) { channel } }`, ""},
		{"svc-1", `{ users { totalCount } }`, "FORBIDDEN"},
		{"svc-1", `mutation { recordInteractions(input: [{userID: "u1", productID: "p1", kind: CLICK}]) { accepted } }`, "FORBIDDEN"},
		{"svc-1", `{ recommendations { score } }`, "BAD_USER_INPUT"},
		// a shopper token: itself only.
		{u1, `{ recommendations { reasons { message } } }`, ""},
		{u1, `{ recommendations(userID: "u1") { score } user { id name persona { segment } interactions { kind } } }`, ""},
		{u1, `{ generatedCopy(productID: "p2", persona: {userID: "u1"}) { channel } }`, ""},
		{u1, `mutation { recordInteractions(input: [{userID: "u1", productID: "p2", kind: CLICK}, {userID: "u1", productID: "p2", kind: ADD_TO_CART}]) { accepted } }`, ""},
		{u1, `{ recommendations(userID: "u2") { score } }`, "FORBIDDEN"},
		{u1, `{ user(id: "u2") { name } }`, "FORBIDDEN"},
		{u1, `{ generatedCopy(productID: "p2", persona: {userID: "u2"}) { channel } }`, "FORBIDDEN"},
		{u1, `mutation { recordInteractions(input: [{userID: "u2", productID: "p2", kind: CLICK}]) { accepted } }`, "FORBIDDEN"},
		{u1, `mutation { recordInteractions(input: [{userID: "u1", productID: "p2", kind: PURCHASE}]) { accepted } }`, "FORBIDDEN"},
		{u1, `mutation { upsertUsers(input: [{id: "u1", name: "Eve"}]) { users { id } } }`, "FORBIDDEN"},
		{u1, `{ copyPerformance(productID: "p1") { channel } }`, "FORBIDDEN"},
		{u1, `{ users { totalCount } }`, "FORBIDDEN"},
		{u1, `{ campaign(id: "c") { id } }`, "FORBIDDEN"},
	} {
		code, out, _ := post(t, base, c.who, c.query)
		who := c.who
		if len(who) > 10 {
			who = "token(u1)"
		}
		if got := codes(out); got != c.want || code != http.StatusOK {
			t.Errorf("%s %s: %d %s, want %q", who, c.query, code, toJSON(out), c.want)
		}
	}
	// The reasons that reveal u1's history reach u1's own token.
	if _, out, _ := post(t, base, u1, `{ recommendations { reasons { kind message } } }`); strings.Contains(toJSON(out), "errors") || !strings.Contains(toJSON(out), "reasons") {
		t.Fatalf("own recommendations: %v", out)
	}

	// Tokens that are expired, unsigned or signed with another secret are
	// not credentials.
	for name, tok := range map[string]string{
		"alg none": "eyJhbGciOiJub25lIn0." + strings.Split(u1, ".")[1] + ".",
		"tampered": strings.Split(u1, ".")[0] + "." + strings.Split(shopperToken(t, "u2", "1h"), ".")[1] + "." + strings.Split(u1, ".")[2],
		"garbage":  "a.b.c",
	} {
		if code, _, _ := post(t, base, tok, `{ products { totalCount } }`); code != http.StatusUnauthorized {
			t.Errorf("%s token: %d", name, code)
		}
	}
	// Tokens are rate-limited per shopper: u1 runs out, u2 and the service
	// key do not.
	var last int
	for range 40 {
		if last, _, _ = post(t, base, u1, `{ products { totalCount } }`); last == http.StatusTooManyRequests {
			break
		}
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("shopper token never rate-limited: %d", last)
	}
	if code, _, _ := post(t, base, shopperToken(t, "u2", "1h"), `{ products { totalCount } }`); code != 200 {
		t.Errorf("another shopper shares u1's bucket: %d", code)
	}
	if code, _, _ := post(t, base, "svc-1", `{ products { totalCount } }`); code != 200 {
		t.Errorf("service key shares a shopper's bucket: %d", code)
	}
}

func TestTokenCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, tc := range []struct {
		env  map[string]string
		args []string
	}{
		{map[string]string{}, []string{"token", "--user", "u1"}},
		{map[string]string{"SHOPMUSE_SHOPPER_TOKEN_SECRET": "short"}, []string{"token", "--user", "u1"}},
		{map[string]string{"SHOPMUSE_SHOPPER_TOKEN_SECRET": testShopperSecret}, []string{"token", "--user", "u1", "--ttl", "48h"}},
		{map[string]string{"SHOPMUSE_SHOPPER_TOKEN_SECRET": testShopperSecret}, []string{"token"}},
	} {
		if err := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, &out, &errOut); err == nil {
			t.Errorf("%v %v: no error", tc.env, tc.args)
		}
	}
	if tok := shopperToken(t, "u1", "24h"); strings.Count(tok, ".") != 2 {
		t.Fatalf("token %q", tok)
	}
	if _, err := loadConfig(func(k string) string {
		return map[string]string{"SHOPMUSE_SHOPPER_TOKEN_SECRET": "short"}[k]
	}); err == nil {
		t.Fatal("a short shopper token secret was accepted")
	}
}

// A shopper token lives in a browser, so its events are checked harder: a
// few per request, happening now, a served copy variant, and one per
// product and kind in ten minutes. A thousand backdated clicks once put a
// product at the top of every new shopper's list.
func TestShopperEventsCannotStuffRankings(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin", "SHOPMUSE_SHOPPER_TOKEN_SECRET": testShopperSecret})
	defer stop()
	seed := `mutation {
	  upsertProducts(input: [{id: "p1", title: "衬衫", category: "服饰/衬衫", price: {amount: "199.00"}}]) { userErrors { code } }
	  upsertUsers(input: [{id: "u1"}]) { userErrors { code } }
	}`
	if _, out, _ := post(t, base, "adm-1", seed); out["errors"] != nil {
		t.Fatalf("seed: %v", out)
	}
	u1 := shopperToken(t, "u1", "1h")
	record := func(events []string) (int, int, string) {
		t.Helper()
		_, out, _ := post(t, base, u1, `mutation { recordInteractions(input: [`+strings.Join(events, ",")+`]) { accepted duplicates userErrors { field code } } }`)
		var res struct {
			Data struct {
				RecordInteractions struct {
					Accepted, Duplicates int
					UserErrors           []struct{ Code string }
				}
			}
		}
		fromJSON(t, out, &res)
		r := res.Data.RecordInteractions
		code := ""
		if len(r.UserErrors) > 0 {
			code = r.UserErrors[0].Code
		}
		if out["errors"] != nil {
			t.Fatalf("record: %v", out)
		}
		return r.Accepted, r.Duplicates, code
	}
	click := `{userID: "u1", productID: "p1", kind: CLICK}`
	if _, _, code := record(slices.Repeat([]string{click}, 21)); code != "TOO_LARGE" {
		t.Errorf("21 events from a shopper: %q, want TOO_LARGE", code)
	}
	if _, _, code := record([]string{`{userID: "u1", productID: "p1", kind: CLICK, occurredAt: "2026-01-01T00:00:00Z"}`}); code != "INVALID" {
		t.Errorf("a backdated shopper event: %q, want INVALID", code)
	}
	if _, _, code := record([]string{`{userID: "u1", productID: "p1", kind: CLICK, copyVariantID: "zzz"}`}); code != "NOT_FOUND" {
		t.Errorf("a copy variant never served: %q, want NOT_FOUND", code)
	}
	if acc, dup, code := record(slices.Repeat([]string{click}, 20)); code != "" || acc != 20 || dup != 19 {
		t.Errorf("20 clicks on one product: accepted %d, duplicates %d, %q; want 20, 19 (one counts)", acc, dup, code)
	}
	if _, dup, _ := record([]string{click, `{userID: "u1", productID: "p1", kind: VIEW}`}); dup != 1 {
		t.Errorf("a click again within ten minutes: %d duplicates, want 1 (the view counts)", dup)
	}
	_, out, _ := post(t, base, "adm-1", `{ product(id: "p1") { interactionCounts { kind count } } }`)
	if js := toJSON(out); !strings.Contains(js, `{"count":1,"kind":"CLICK"}`) && !strings.Contains(js, `"count":1,"kind":"CLICK"`) && !strings.Contains(js, `"kind":"CLICK","count":1`) {
		t.Errorf("counts after the flood: %s, want one CLICK", js)
	}
}
