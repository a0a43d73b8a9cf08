package main

import (
	"strings"
	"testing"
)

// TestMerchandisingRulesAreForAdmins: catalog, service and shopper
// credentials can neither read nor write the rules, and only admins see
// which rule a merchandising reason came from.
func TestMerchandisingRulesAreForAdmins(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin,svc-1:service,cat-1:catalog", "SHOPMUSE_SHOPPER_TOKEN_SECRET": testShopperSecret})
	defer stop()
	seed := `mutation {
	  upsertProducts(input: [{id: "p1", title: "佳能 EOS R50 微单相机", category: "数码/相机", price: {amount: "4999.00"}},
	                         {id: "p2", title: "保温杯", category: "家居/杯具", price: {amount: "99.00"}}]) { userErrors { code } }
	  upsertUsers(input: [{id: "u1", name: "小安"}]) { userErrors { code } }
	  recordInteractions(input: [{userID: "u1", productID: "p2", kind: VIEW}]) { accepted userErrors { code } }
	}`
	if _, out, _ := post(t, base, "adm-1", seed); out["errors"] != nil {
		t.Fatalf("seed: %v", out)
	}
	u1 := shopperToken(t, "u1", "1h")
	const write = `mutation { upsertMerchandisingRules(input: [{id: "pin-cam", action: PIN, position: 1, condition: {productIDs: ["p1"]}}]) {
	  rules { id } userErrors { code } } }`
	for _, who := range []string{"cat-1", "svc-1", u1} {
		for _, q := range []string{write, `{ merchandisingRules { totalCount } }`, `mutation { deleteMerchandisingRules(ids: ["pin-cam"]) { deletedIDs } }`} {
			if _, out, _ := post(t, base, who, q); codes(out) != "FORBIDDEN" {
				t.Errorf("%.8s… %s: %v", who, q, out)
			}
		}
	}
	if _, out, _ := post(t, base, "adm-1", write); out["errors"] != nil || !strings.Contains(toJSON(out), `"id":"pin-cam"`) {
		t.Fatalf("admin write: %v", out)
	}
	const q = `{ recommendations(userID: "u1", first: 2) { product { id } reasons { kind message ruleID } } }`
	for who, want := range map[string]string{"adm-1": `"ruleID":"pin-cam"`, "svc-1": `"ruleID":null`, u1: `"ruleID":null`} {
		_, out, _ := post(t, base, who, q)
		if s := toJSON(out); !strings.Contains(s, `"kind":"merchandising","message":"店铺推荐",`+want) {
			t.Errorf("%.8s…: %s", who, s)
		}
	}
	if _, out, _ := post(t, base, "adm-1", `{ merchandisingRules { totalCount nodes { id action position condition { productIDs } } } }`); !strings.Contains(toJSON(out), `"totalCount":1`) {
		t.Errorf("admin read: %v", out)
	}
}
