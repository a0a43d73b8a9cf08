package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// TestAdminPreviewCountsNoImpression: the console's shopper view asks for a
// shopper's recommendations with their copy as a preview (the request
// extension {"preview": true}); that must not count impressions, or each
// look at a shopper would skew the bandit. The extension is honoured for
// admin keys only: a service key's answers go to shoppers, so they count.
func TestAdminPreviewCountsNoImpression(t *testing.T) {
	const serviceKey = "console-service-key-0123456789abcd"
	base, stop := startServer(t, map[string]string{
		"SHOPMUSE_ADDR":     "127.0.0.1:0",
		"SHOPMUSE_DATA":     t.TempDir(),
		"SHOPMUSE_API_KEYS": consoleAdminKey + ":admin," + serviceKey + ":service",
	})
	defer stop()
	post := func(key string, preview bool, query string, vars map[string]any, into any) {
		t.Helper()
		req := map[string]any{"query": query, "variables": vars}
		if preview {
			req["extensions"] = map[string]any{"preview": true}
		}
		b, _ := json.Marshal(req)
		r, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Data   json.RawMessage
			Errors []any
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Errors != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v %v", query, resp.StatusCode, err, out.Errors)
		}
		if err := json.Unmarshal(out.Data, into); err != nil {
			t.Fatal(err)
		}
	}
	const recs = `{ recommendations(userID: "u003", first: 1) { product { id } copy(channel: PUSH) { variants { id } } } }`
	var r struct {
		Recommendations []struct {
			Product struct{ ID string }
			Copy    struct{ Variants []struct{ ID string } }
		}
	}
	impressions := func(pid string) int {
		t.Helper()
		var p struct {
			CopyPerformance struct{ Variants []struct{ Impressions int } }
		}
		post(consoleAdminKey, false, `query($p: ID!) { copyPerformance(productID: $p, channel: PUSH) { variants { impressions } } }`, map[string]any{"p": pid}, &p)
		n := 0
		for _, v := range p.CopyPerformance.Variants {
			n += v.Impressions
		}
		return n
	}

	post(consoleAdminKey, true, recs, nil, &r)
	if len(r.Recommendations) != 1 || len(r.Recommendations[0].Copy.Variants) != 1 {
		t.Fatalf("preview: %+v", r)
	}
	pid := r.Recommendations[0].Product.ID
	if n := impressions(pid); n != 0 {
		t.Errorf("an admin preview counted %d impressions", n)
	}
	post(consoleAdminKey, false, recs, nil, &r)
	if n := impressions(pid); n != 1 {
		t.Errorf("an admin request without preview counted %d impressions, want 1", n)
	}
	post(serviceKey, true, recs, nil, &r)
	if n := impressions(pid); n != 2 {
		t.Errorf("a service key's preview counted %d impressions in all, want 2: only admins may preview", n)
	}
}
