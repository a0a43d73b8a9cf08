package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// modelInfo tells which model a replica serves; it names the host and
// process, so only service keys and admins read it.
func TestModelInfo(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin,svc-1:service,cat-1:catalog", "SHOPMUSE_SHOPPER_TOKEN_SECRET": testShopperSecret,
		"SHOPMUSE_REPLICA": "replica-7"})
	defer stop()
	q := `{ modelInfo { version trainedAt replica trainedBy } }`
	_, out, _ := post(t, base, "svc-1", q)
	// A store without a snapshot trains at start, in the background: the
	// version may still be null here, or be the empty shop's model.
	if out["errors"] != nil || !strings.Contains(toJSON(out), `"replica":"replica-7"`) {
		t.Fatalf("before training: %v", out)
	}
	before := toJSON(out["data"].(map[string]any)["modelInfo"].(map[string]any)["version"])
	for _, who := range []string{"cat-1", shopperToken(t, "u1", "1h"), ""} {
		if _, out, _ := post(t, base, who, q); codes(out) != "FORBIDDEN" && codes(out) != "UNAUTHENTICATED" {
			t.Fatalf("modelInfo for %q: %v", who, out)
		}
	}
	seed := `mutation {
	  upsertProducts(input: [{id: "p1", title: "相机", category: "数码/相机", price: {amount: "4999.00"}},
	                         {id: "p2", title: "镜头", category: "数码/镜头", price: {amount: "999.00"}}]) { userErrors { code } }
	  upsertUsers(input: [{id: "u1"}, {id: "u2"}]) { userErrors { code } }
	  recordInteractions(input: [{userID: "u1", productID: "p1", kind: PURCHASE}, {userID: "u1", productID: "p2", kind: PURCHASE},
	                             {userID: "u2", productID: "p1", kind: PURCHASE}]) { accepted }
	}`
	if _, out, _ := post(t, base, "adm-1", seed); out["errors"] != nil {
		t.Fatalf("seed: %v", out)
	}
	if _, out, _ := post(t, base, "adm-1", `mutation { trainModels { durationMs } }`); out["errors"] != nil {
		t.Fatalf("train: %v", out)
	}
	_, out, _ = post(t, base, "svc-1", q)
	s := toJSON(out)
	if out["errors"] != nil || strings.Contains(s, `"version":null`) || strings.Contains(s, `"trainedAt":null`) ||
		!strings.Contains(s, `"trainedBy":"replica-7"`) || strings.Contains(s, `"version":`+before) {
		t.Fatalf("after training (version before: %s): %v", before, out)
	}
}

func TestReadyzSaysWhatItWaitsFor(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off"})
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && strings.Contains(string(b), `"ready"`) {
			return
		}
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), `"reason"`) {
			t.Fatalf("GET /readyz: %d %s", resp.StatusCode, b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBusConfiguration(t *testing.T) {
	for env, want := range map[string]string{
		"http://127.0.0.1:4222":                         "not a nats://",
		"nats://127.0.0.1:4222,127.0.0.1:4223":          "not a nats://",
		"nats://127.0.0.1:4222 SHOPMUSE_LEASE_TTL=10ms": "SHOPMUSE_LEASE_TTL",
	} {
		vars := map[string]string{}
		bus, ttl, _ := strings.Cut(env, " SHOPMUSE_LEASE_TTL=")
		vars["SHOPMUSE_BUS"] = bus
		if ttl != "" {
			vars["SHOPMUSE_LEASE_TTL"] = ttl
		}
		if _, err := loadConfig(func(k string) string { return vars[k] }); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SHOPMUSE_BUS=%s: %v, want an error naming %s", env, err, want)
		}
	}
	vars := map[string]string{"SHOPMUSE_BUS": " nats://a:4222, nats://b:4222 ", "SHOPMUSE_BUS_STREAM": "shop2", "SHOPMUSE_REPLICA": "r1"}
	cfg, err := loadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.App.Bus; b == nil || b.Stream != "shop2" || b.Replicas != 1 || cfg.App.Replica != "r1" {
		t.Fatalf("bus config %+v, replica %q", cfg.App.Bus, cfg.App.Replica)
	}
	// A bus needs a store the replicas share: Badger is one process's.
	vars = map[string]string{"SHOPMUSE_BUS": "nats://127.0.0.1:1", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off", "SHOPMUSE_ADDR": "127.0.0.1:0"}
	cfg, err = loadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	err = serve(context.Background(), cfg, newLogger(io.Discard, 0), nil)
	if err == nil || !strings.Contains(err.Error(), "SHOPMUSE_STORE=postgres") {
		t.Fatalf("a bus over Badger: %v", err)
	}
}
