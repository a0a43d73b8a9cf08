package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/store"
)

// copyKeys lists the copy cache's keys, with the store closed by the server.
func copyKeys(t *testing.T, dir string) map[string]bool {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "badger"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, _, err := st.ListBlobs(context.Background(), "copy", "", "", 10_000)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, b := range blobs {
		keys[b.Key] = true
	}
	return keys
}

// TestErasureIsComplete: deleteUser also removes the copy cached for the
// user's persona and their campaign messages.
func TestErasureIsComplete(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": dir, "SHOPMUSE_DEMO": "off"}
	base, stop := startServer(t, env)
	gqlPost(t, base, `mutation {
	  upsertProducts(input: [{id: "p1", title: "佳能 EOS R50 微单相机", category: "数码/相机", price: {amount: "4999.00"}},
	                         {id: "p2", title: "户外保温杯", category: "家居/杯具", price: {amount: "99.00"}},
	                         {id: "p3", title: "三脚架", category: "数码/配件", price: {amount: "199.00"}}]) { userErrors { code } }
	  upsertUsers(input: [{id: "u1", name: "Ann", age: 31, interests: ["拍照", "露营"]}, {id: "u2", name: "Bo", interests: ["咖啡"]}]) { userErrors { code } }
	  recordInteractions(input: [{userID: "u1", productID: "p1", kind: VIEW}, {userID: "u1", productID: "p3", kind: ADD_TO_CART},
	                             {userID: "u2", productID: "p2", kind: VIEW}]) { accepted }
	}`, nil)
	// Copy written for u1's persona, directly and on their recommendations.
	gqlPost(t, base, `{ generatedCopy(productID: "p2", persona: {userID: "u1"}, channel: PUSH) { variants { text } }
	  recommendations(userID: "u1") { copy(channel: EMAIL) { variants { text } } } }`, nil)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	u1Copy := copyKeys(t, dir)
	if len(u1Copy) < 2 {
		t.Fatalf("only %d copy entries cached for u1; the test cannot see them leave", len(u1Copy))
	}

	base, stop = startServer(t, env)
	defer func() { stop() }()
	// Copy for a described persona, which is nobody's data, stays.
	gqlPost(t, base, `{ generatedCopy(productID: "p2", persona: {description: "30岁,喜欢露营"}, channel: PUSH) { cached } }`, nil)
	data := gqlPost(t, base, `mutation { createCampaign(input: {channel: PUSH, userIDs: ["u1", "u2"], productsPerUser: 2}) { campaign { id } } }`, nil)
	id := data["createCampaign"].(map[string]any)["campaign"].(map[string]any)["id"].(string)
	messages := func() string {
		for range 300 {
			d := gqlPost(t, base, `query($id: ID!) { campaign(id: $id) { status messageList { edges { node { userID } } } } }`, map[string]any{"id": id})
			if s := toJSON(d); strings.Contains(s, "COMPLETED") {
				return s
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("campaign did not complete")
		return ""
	}
	if got := messages(); !strings.Contains(got, `"userID":"u1"`) || !strings.Contains(got, `"userID":"u2"`) {
		t.Fatalf("campaign messages before the erasure: %s", got)
	}
	if got := toJSON(gqlPost(t, base, `mutation { deleteUser(id: "u1") { deletedIDs } }`, nil)); !strings.Contains(got, `"u1"`) {
		t.Fatalf("deleteUser: %s", got)
	}
	if got := messages(); strings.Contains(got, `"u1"`) || !strings.Contains(got, `"userID":"u2"`) {
		t.Fatalf("campaign messages after the erasure: %s", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	after := copyKeys(t, dir)
	for k := range u1Copy {
		if after[k] {
			t.Errorf("copy cached for u1 survived the erasure: %s", k)
		}
	}
	if len(after) == 0 {
		t.Error("the erasure emptied the whole copy cache, described personas' copy included")
	}
}

// TestCatalogKeysWriteNoImpressions: copy served to a catalog key counts
// nothing toward the bandit; copy served to a service key does.
func TestCatalogKeysWriteNoImpressions(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin,svc-1:service,cat-1:catalog"})
	defer stop()
	if _, out, _ := post(t, base, "adm-1", `mutation {
	  upsertProducts(input: [{id: "p1", title: "保温杯", category: "家居/杯具", price: {amount: "99.00"}},
	                         {id: "p2", title: "不锈钢保温杯", category: "家居/杯具", price: {amount: "129.00"}}]) { userErrors { code } } }`); out["errors"] != nil {
		t.Fatal(out)
	}
	impressions := func() (int, string) {
		_, out, _ := post(t, base, "adm-1", `{ a: copyPerformance(productID: "p1", channel: PUSH) { variants { impressions } }
		  b: copyPerformance(productID: "p2", channel: PUSH) { variants { impressions } } }`)
		var perf struct {
			Data map[string]struct{ Variants []struct{ Impressions int } }
		}
		s := toJSON(out)
		if err := json.Unmarshal([]byte(s), &perf); err != nil || len(perf.Data) != 2 {
			t.Fatalf("copyPerformance: %s", s)
		}
		n := 0
		for _, p := range perf.Data {
			for _, v := range p.Variants {
				n += v.Impressions
			}
		}
		return n, s
	}
	const served = `{ productRecommendations(productID: "p1") { product { id } copy(channel: PUSH) { variants { id } } } }`
	for range 10 {
		if _, out, _ := post(t, base, "cat-1", served); out["errors"] != nil {
			t.Fatal(out)
		}
	}
	if n, got := impressions(); n != 0 {
		t.Fatalf("catalog key counted %d impressions: %s", n, got)
	}
	for range 3 {
		post(t, base, "svc-1", served)
	}
	if n, got := impressions(); n != 3 {
		t.Fatalf("service key's impressions: %d, want 3: %s", n, got)
	}
}

// TestInternalErrorsStayInTheLog: an error without a code of ours (here a
// deadline the store reports) reaches the client as a generic message
// with a code and the request ID; the detail stays in the log.
func TestInternalErrorsStayInTheLog(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_REQUEST_TIMEOUT": "1ns"})
	defer stop()
	_, out, h := post(t, base, "", `{ searchProducts(query: "保温杯") { score } products { totalCount } }`)
	s := toJSON(out)
	if !strings.Contains(s, `"code":"TIMEOUT"`) || strings.Contains(s, "deadline") || strings.Contains(s, "context") ||
		!strings.Contains(s, `"requestID":"`+h.Get("X-Request-ID")+`"`) || h.Get("X-Request-ID") == "" {
		t.Fatalf("client saw: %s (request %s)", s, h.Get("X-Request-ID"))
	}
}

// TestMetricsKey: with SHOPMUSE_METRICS_KEY set, /metrics wants it.
func TestMetricsKey(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_METRICS_KEY": "scrape-me"})
	defer stop()
	get := func(key string) (int, string) {
		header := map[string]string{}
		if key != "" {
			header["Authorization"] = "Bearer " + key
		}
		return send(t, "GET", base+"/metrics", nil, header)
	}
	for _, key := range []string{"", "wrong"} {
		if code, body := get(key); code != http.StatusUnauthorized || strings.Contains(body, "go_goroutines") {
			t.Errorf("key %q: %d", key, code)
		}
	}
	if code, body := get("scrape-me"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("right key: %d", code)
	}
}
