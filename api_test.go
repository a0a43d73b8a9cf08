package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// post sends a GraphQL request with an optional bearer key and returns the
// status, the decoded body and the response headers.
func post(t *testing.T, base, key, query string) (int, map[string]any, http.Header) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
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
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &out)
	return resp.StatusCode, out, resp.Header
}

func errorCodes(out map[string]any) []string {
	var codes []string
	errs, _ := out["errors"].([]any)
	for _, e := range errs {
		ext, _ := e.(map[string]any)["extensions"].(map[string]any)
		c, _ := ext["code"].(string)
		codes = append(codes, c)
	}
	return codes
}

func TestAPIKeysAndRoles(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(),
		"SHOPMUSE_DEMO": "off", "SHOPMUSE_API_KEYS": "adm-secret-1:admin, rd-secret-2:read"})
	defer stop()
	const mutation = `mutation { upsertUsers(input: [{id: "u1"}]) { users { id } } }`
	if code, out, h := post(t, base, "", `{ products { totalCount } }`); code != 401 || h.Get("WWW-Authenticate") == "" || errorCodes(out)[0] != "UNAUTHENTICATED" {
		t.Fatalf("no key: %d %v", code, out)
	}
	if code, _, _ := post(t, base, "wrong", `{ products { totalCount } }`); code != 401 {
		t.Fatalf("wrong key: %d", code)
	}
	if code, out, _ := post(t, base, "rd-secret-2", `{ products { totalCount } }`); code != 200 || out["errors"] != nil {
		t.Fatalf("read key, catalogue: %d %v", code, out)
	}
	if _, out, _ := post(t, base, "rd-secret-2", mutation); strings.Join(errorCodes(out), ",") != "FORBIDDEN" {
		t.Fatalf("read key, mutation: %v", out)
	}
	if _, out, _ := post(t, base, "adm-secret-1", mutation); out["errors"] != nil {
		t.Fatalf("admin key, mutation: %v", out)
	}
	// read is service: a trusted backend, allowed any shopper, but not the
	// list of all shoppers.
	if _, out, _ := post(t, base, "rd-secret-2", `{ user(id: "u1") { id name } }`); out["errors"] != nil {
		t.Fatalf("read (service) key, one shopper: %v", out)
	}
	if _, out, _ := post(t, base, "rd-secret-2", `{ users { totalCount } }`); strings.Join(errorCodes(out), ",") != "FORBIDDEN" {
		t.Fatalf("read key, every shopper: %v", out)
	}
	if _, out, _ := post(t, base, "adm-secret-1", `{ user(id: "u1") { id name } users { totalCount } }`); out["errors"] != nil {
		t.Fatalf("admin key, personal data: %v", out)
	}
	// Campaigns say whom they target and what they were sent: admin only.
	if _, out, _ := post(t, base, "rd-secret-2", `{ campaign(id: "c") { id } }`); strings.Join(errorCodes(out), ",") != "FORBIDDEN" {
		t.Fatalf("read key, campaign: %v", out)
	}
	if _, out, _ := post(t, base, "rd-secret-2", `{ generatedCopy(productID: "nope", persona: {description: "25岁"}) { persona } }`); strings.Join(errorCodes(out), ",") != "NOT_FOUND" {
		t.Fatalf("read key, copy for a described persona should pass the role check: %v", out)
	}
}

func TestRefusesOpenAccessOffLoopback(t *testing.T) {
	env := map[string]string{"SHOPMUSE_ADDR": "0.0.0.0:8080"}
	if _, err := loadConfig(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "SHOPMUSE_INSECURE") {
		t.Fatalf("open access on 0.0.0.0 allowed: %v", err)
	}
	env["SHOPMUSE_INSECURE"] = "1"
	if _, err := loadConfig(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	delete(env, "SHOPMUSE_INSECURE")
	env["SHOPMUSE_API_KEYS"] = "k:admin"
	if _, err := loadConfig(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	env["SHOPMUSE_API_KEYS"] = "k:owner"
	if _, err := loadConfig(func(k string) string { return env[k] }); err == nil || strings.Contains(err.Error(), "k:") {
		t.Fatalf("bad role accepted or key echoed: %v", err)
	}
}

func TestLimits(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(),
		"SHOPMUSE_DEMO": "off", "SHOPMUSE_MAX_DEPTH": "4", "SHOPMUSE_MAX_COMPLEXITY": "500",
		"SHOPMUSE_MAX_BODY_BYTES": "2048", "SHOPMUSE_RATE_LIMIT": "5", "SHOPMUSE_RATE_BURST": "40"})
	defer stop()
	if _, out, _ := post(t, base, "", `{ products(first: 1) { edges { node { similar(first: 1) { product { similar(first: 1) { score } } } } } } }`); !strings.Contains(strings.Join(errorCodes(out), ","), "DEPTH_LIMIT_EXCEEDED") {
		t.Fatalf("depth: %v", out)
	}
	if _, out, _ := post(t, base, "", `{ products { edges { node { id } } } }`); out["errors"] != nil {
		t.Fatalf("shallow query refused: %v", out)
	}
	if _, out, _ := post(t, base, "", `{ products(first: 100) { edges { node { id title brand category } } } }`); !strings.Contains(toJSON(out), "COMPLEXITY_LIMIT_EXCEEDED") {
		t.Fatalf("complexity: %v", out)
	}
	if code, _, _ := post(t, base, "", `{ products { totalCount } } #`+strings.Repeat("x", 4096)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("body limit: %d", code)
	}
	// The rate limit answers 429 with Retry-After once the burst is spent.
	var last int
	var retry string
	for range 60 {
		code, _, h := post(t, base, "", `{ __typename }`)
		if last = code; code == http.StatusTooManyRequests {
			retry = h.Get("Retry-After")
			break
		}
	}
	if last != http.StatusTooManyRequests || retry == "" {
		t.Fatalf("rate limit: last status %d, Retry-After %q", last, retry)
	}
}

func TestMetricsAndRequestIDs(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off"})
	defer stop()
	_, _, h := post(t, base, "", `{ products { totalCount } }`)
	if len(h.Get("X-Request-ID")) < 8 {
		t.Fatal("no request ID")
	}
	post(t, base, "", `{ nope }`)
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`shopmuse_graphql_operations_total{field="products",type="query"} 1`,
		`shopmuse_graphql_operation_duration_seconds_count{type="query"}`, `shopmuse_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"} 1`,
		`shopmuse_store_bytes{part="lsm"}`, "go_goroutines"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestAutomaticPersistedQueries: a BFF sends the hash alone; the first time
// the server asks for the text, afterwards the hash suffices.
func TestAutomaticPersistedQueries(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off"})
	defer stop()
	const q = `{ products(first: 1) { totalCount } }`
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	send := func(body map[string]any) map[string]any {
		b, _ := json.Marshal(body)
		resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	if out := send(map[string]any{"extensions": ext}); !strings.Contains(toJSON(out), "PersistedQueryNotFound") {
		t.Fatalf("unknown hash: %v", out)
	}
	if out := send(map[string]any{"query": q, "extensions": ext}); out["errors"] != nil {
		t.Fatalf("register: %v", out)
	}
	if out := send(map[string]any{"extensions": ext}); out["errors"] != nil || !strings.Contains(toJSON(out), "totalCount") {
		t.Fatalf("hash alone: %v", out)
	}
}

// A reason's strength is the model's internals: admins see it, read keys
// see null.
func TestReasonStrengthIsForAdmins(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(),
		"SHOPMUSE_API_KEYS": "adm-secret-1:admin, rd-secret-2:read"})
	defer stop()
	if _, out, _ := post(t, base, "adm-secret-1", `mutation { trainModels { users } }`); out["errors"] != nil {
		t.Fatalf("train: %v", out)
	}
	const q = `{ recommendations(userID: "u003", first: 10) { reasons { kind strength relatedProduct { id } } } }`
	strengths := func(key string) (cited, shown int) {
		_, out, _ := post(t, base, key, q)
		var res struct {
			Data struct {
				Recommendations []struct {
					Reasons []struct {
						Kind           string
						Strength       *float64
						RelatedProduct *struct{ ID string }
					}
				}
			}
		}
		fromJSON(t, out, &res)
		for _, r := range res.Data.Recommendations {
			for _, rs := range r.Reasons {
				if rs.Kind == "itemcf" && rs.RelatedProduct != nil {
					cited++
				}
				if rs.Strength != nil {
					shown++
					if *rs.Strength <= 0 || *rs.Strength > 1 {
						t.Errorf("strength %v outside (0,1]", *rs.Strength)
					}
				}
			}
		}
		return cited, shown
	}
	if cited, shown := strengths("adm-secret-1"); cited == 0 || shown < cited {
		t.Fatalf("admin: %d cited reasons, %d strengths shown", cited, shown)
	}
	if cited, shown := strengths("rd-secret-2"); cited == 0 || shown != 0 {
		t.Fatalf("read key: %d cited reasons, %d strengths shown, want none", cited, shown)
	}
}

// A persisted query carries no privilege: admin-only fields added with
// replicas, merchandising, experiments, the assistant and copy review are
// refused to a catalog key that sends the hash of a query an admin
// registered, as they are to the query's text.
func TestPersistedQueriesKeepTheCallersRole(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "apq-admin-0123456789:admin,apq-catalog-0123456789:catalog"})
	defer stop()
	send := func(key string, body map[string]any) map[string]any {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	for _, q := range []string{
		`{ merchandisingRules(first: 1) { __typename } }`,
		`{ experiments(first: 1) { __typename } }`,
		`{ copyReviewQueue(first: 1) { __typename } }`,
		`{ unansweredQuestions(first: 1) { __typename } }`,
		`{ modelInfo { replica } }`,
	} {
		sum := sha256.Sum256([]byte(q))
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
		if out := send("apq-admin-0123456789", map[string]any{"query": q, "extensions": ext}); out["errors"] != nil {
			t.Fatalf("admin registers %s: %v", q, out)
		}
		out := send("apq-catalog-0123456789", map[string]any{"extensions": ext})
		if !strings.Contains(toJSON(out), "FORBIDDEN") || strings.Contains(toJSON(out), "__typename\":\"") || strings.Contains(toJSON(out), "replica\":\"") {
			t.Errorf("catalog key with the hash of %s: %v", q, out)
		}
	}
}
