package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/store"
)

// startServer runs serve on port 0 and returns its base URL and a stop
// function that shuts it down and reports serve's error.
func startServer(t *testing.T, env map[string]string) (string, func() error) {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	cfg, err := loadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { errc <- serve(ctx, cfg, log, func(a string) { addrc <- a }) }()
	select {
	case a := <-addrc:
		// stop may be called more than once (deferred and explicit).
		var once sync.Once
		var serr error
		return "http://" + a, func() error { once.Do(func() { cancel(); serr = <-errc }); return serr }
	case err := <-errc:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	return "", nil
}

func gqlPost(t *testing.T, base, query string, vars map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || out["errors"] != nil {
		t.Fatalf("status %d: %v", resp.StatusCode, out)
	}
	return out["data"].(map[string]any)
}

func TestServerStartsQueriesAndShutsDownCleanly(t *testing.T) {
	dir := t.TempDir()
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": dir, "SHOPMUSE_DEMO": "off"})

	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/": "graphiql"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(b)), want) {
			t.Fatalf("GET %s: %d %.200s", path, resp.StatusCode, b)
		}
	}
	data := gqlPost(t, base, `mutation { upsertProducts(input: [{id: "p1", title: "华为 P50 Pro", category: "数码/手机", price: {amount: "5999.00"}}]) { products { id version } userErrors { code } } }`, nil)
	if !strings.Contains(toJSON(data), `"version":1`) {
		t.Fatalf("upsert: %v", data)
	}
	// GraphQL over GET works too.
	resp, err := http.Get(base + "/graphql?query=" + url.QueryEscape(`{ product(id: "p1") { price { amount currencyCode } } }`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"amount":"5999.00"`) || !strings.Contains(string(b), `"currencyCode":"CNY"`) {
		t.Fatalf("GET /graphql: %s", b)
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// The store was closed cleanly: it opens again and kept the write.
	st, err := store.Open(filepath.Join(dir, "badger"), store.Options{})
	if err != nil {
		t.Fatalf("reopen after shutdown: %v", err)
	}
	defer st.Close()
	if p, _ := st.Product(context.Background(), "p1"); p == nil {
		t.Fatal("product lost")
	}
}

func TestServerLoadsDemoShopOnce(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": dir}
	base, stop := startServer(t, env)
	data := gqlPost(t, base, `{ products(first: 1) { totalCount } users(first: 1) { totalCount }
	  en: products(first: 1, filter: {language: EN}) { totalCount } }`, nil)
	var counts struct {
		Products, Users, En struct{ TotalCount int }
	}
	fromJSON(t, data, &counts)
	if counts.Products.TotalCount < 300 || counts.Users.TotalCount < 50 || counts.En.TotalCount < 60 {
		t.Fatalf("demo shop: %+v", counts)
	}
	// Delete a product and restart: the demo shop is not loaded again, so the
	// product stays deleted.
	first := gqlPost(t, base, `{ products(first: 1) { edges { node { id } } } }`, nil)
	id := first["products"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
	gqlPost(t, base, `mutation($ids: [ID!]!) { deleteProducts(ids: $ids) { deletedIDs } }`, map[string]any{"ids": []string{id}})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	before := counts.Products.TotalCount
	base, stop = startServer(t, env)
	defer stop()
	fromJSON(t, gqlPost(t, base, `{ products(first: 1) { totalCount } users(first: 1) { totalCount } en: products(first: 1, filter: {language: EN}) { totalCount } }`, nil), &counts)
	if counts.Products.TotalCount != before-1 {
		t.Fatalf("after restart %d products, want %d", counts.Products.TotalCount, before-1)
	}
	if got := toJSON(gqlPost(t, base, `{ product(id: "`+id+`") { id } }`, nil)); got != `{"product":null}` {
		t.Fatalf("deleted product came back: %s", got)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for _, env := range []map[string]string{{"SHOPMUSE_DEMO": "maybe"}, {"SHOPMUSE_ADDR": "nonsense"}, {"SHOPMUSE_LOG_LEVEL": "loud"},
		{"SHOPMUSE_REC_WEIGHTS": "mf=1,bogus=2"}, {"SHOPMUSE_REC_WEIGHTS": "mf=-1"}, {"SHOPMUSE_REC_MF": "factors=0"},
		{"SHOPMUSE_REC_MF": "nu=2"}, {"SHOPMUSE_REC_MMR_LAMBDA": "1.5"}, {"SHOPMUSE_REC_CATEGORY_CAP": "0"},
		{"SHOPMUSE_STORE": "mysql://u:p@h/db"}, {"SHOPMUSE_STORE": "postgres://u:p@h:port/db"}} {
		if _, err := loadConfig(func(k string) string { return env[k] }); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
	// What eval --tune prints is what the service reads.
	tuned := map[string]string{"SHOPMUSE_REC_WEIGHTS": "mf=1,itemcf=0.2,popular=0", "SHOPMUSE_REC_MMR_LAMBDA": "0.95",
		"SHOPMUSE_REC_CATEGORY_CAP": "1", "SHOPMUSE_REC_MF": "factors=48,reg=0.2,nu=0.5"}
	cfg, err := loadConfig(func(k string) string { return tuned[k] })
	if err != nil {
		t.Fatal(err)
	}
	tu := cfg.App.Tuning
	if tu.Weights["itemcf"] != 0.2 || tu.Weights["popular"] != 0 || len(tu.Weights) != 3 || tu.MMRLambda != 0.95 ||
		tu.CategoryCap != 1 || tu.MF["factors"] != 48 || tu.MF["nu"] != 0.5 {
		t.Fatalf("tuned settings read as %+v", tu)
	}
	cfg, err = loadConfig(func(string) string { return "" })
	if err != nil || cfg.Addr != "127.0.0.1:8080" || cfg.App.Data != "./data" || !cfg.App.Demo || cfg.App.Store != "badger" {
		t.Fatalf("defaults %+v %v", cfg, err)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func fromJSON(t *testing.T, v any, dst any) {
	t.Helper()
	if err := json.Unmarshal([]byte(toJSON(v)), dst); err != nil {
		t.Fatal(err)
	}
}

func TestSubcommands(t *testing.T) {
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return "" }
	if err := run(context.Background(), []string{"eval", "copy", "--products", "3"}, getenv, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	for _, want := range []string{"faithfulness:      100.00%", "compliance:        100.00%", "length:            100.00%", "Distinct-2:"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("eval copy output lacks %q:\n%s", want, out.String())
		}
	}
	dir := t.TempDir()
	out.Reset()
	if err := run(context.Background(), []string{"bench", "ann", "--gen", "500,16", "--out", dir, "--queries", "20"}, getenv, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err := run(context.Background(), []string{"bench", "ann", "--base", dir + "/base.fvecs", "--query", dir + "/query.fvecs",
		"--gt", dir + "/gt.ivecs", "--ef", "10,40", "--runs", "1"}, getenv, &out, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "build_s=") || !strings.HasPrefix(lines[1], "ef=10 recall@10=") || !strings.Contains(lines[2], " qps=") {
		t.Fatalf("bench ann output:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"frobnicate"}, getenv, &out, &errOut); err == nil {
		t.Fatal("unknown command accepted")
	}
}

// Sub-commands read only the configuration they need: a service setting
// they do not use cannot stop bench, eval or help.
func TestSubcommandsIgnoreServiceSettings(t *testing.T) {
	env := map[string]string{"SHOPMUSE_LLM": "bogus", "SHOPMUSE_ADDR": "0.0.0.0:8080", "SHOPMUSE_REC_MF": "factors=0",
		"SHOPMUSE_EMBEDDER": "nonsense"}
	getenv := func(k string) string { return env[k] }
	if _, err := loadConfig(getenv); err == nil {
		t.Fatal("the service accepted these settings; the test proves nothing")
	}
	for _, args := range [][]string{{"help"}, {"eval", "copy", "--products", "1"}, {"bench", "ann", "--gen", "200,8", "--out", t.TempDir(), "--queries", "5"},
		{"eval", "--gen", "users=20,products=30,interactions=200", "--out", t.TempDir()}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, getenv, &out, &errOut); err != nil {
			t.Errorf("%v failed on service settings it does not use: %v", args, err)
		}
	}
	// import opens the data directory, so it does read the app's settings.
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"import", "--products", "x.jsonl"}, getenv, &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), "SHOPMUSE_") {
		t.Errorf("import with bad settings: %v, want an error naming the variable", err)
	}
}
