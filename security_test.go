package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// send posts a raw body with the given headers and returns the status and body.
func send(t *testing.T, method, url string, body []byte, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestNoKeyNeverReachesTheEngine: a POST dressed as a WebSocket upgrade and
// an SSE stream used to skip the key check and be answered; now every
// request without a key is refused before its body is parsed.
func TestNoKeyNeverReachesTheEngine(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(),
		"SHOPMUSE_DEMO": "off", "SHOPMUSE_API_KEYS": "adm-1:admin"})
	defer stop()
	body := []byte(`{"query":"{ __typename }"}`)
	for name, h := range map[string]map[string]string{
		"POST upgrade+SSE": {"Upgrade": "websocket", "Accept": "text/event-stream", "Content-Type": "application/json"},
		"POST upgrade":     {"Upgrade": "websocket", "Content-Type": "application/json"},
		"POST SSE":         {"Accept": "text/event-stream", "Content-Type": "application/json"},
	} {
		code, out := send(t, "POST", base+"/graphql", body, h)
		if code != http.StatusUnauthorized || strings.Contains(out, "__typename") || strings.Contains(out, "Query") {
			t.Errorf("%s without a key: %d %s", name, code, out)
		}
	}
	// GET, and a persisted query's hash alone, are refused the same way.
	for _, q := range []string{"query=%7B__typename%7D",
		`extensions=%7B%22persistedQuery%22%3A%7B%22version%22%3A1%2C%22sha256Hash%22%3A%22ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38%22%7D%7D`} {
		if code, out := send(t, "GET", base+"/graphql?"+q, nil, nil); code != http.StatusUnauthorized || strings.Contains(out, "Query") || strings.Contains(out, "PersistedQuery") {
			t.Errorf("GET %s without a key: %d %s", q, code, out)
		}
	}
	// A GET that says Upgrade but is no handshake is refused too.
	code, out := send(t, "GET", base+"/graphql?query=%7B__typename%7D", nil, map[string]string{"Upgrade": "websocket"})
	if code != http.StatusUnauthorized || strings.Contains(out, "Query") {
		t.Errorf("GET with Upgrade but no handshake: %d %s", code, out)
	}
}

// TestWebsocketNeedsInitInTime: a WebSocket that never sends
// connection_init is closed at the deadline, and one that subscribes
// before authenticating gets nothing.
func TestWebsocketNeedsInitInTime(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(),
		"SHOPMUSE_DEMO": "off", "SHOPMUSE_API_KEYS": "adm-1:admin", "SHOPMUSE_WS_INIT_TIMEOUT": "200ms"})
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(base, "http") + "/graphql"
	dial := func() *websocket.Conn {
		conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			t.Fatal(err)
		}
		return conn
	}
	idle := dial()
	defer idle.CloseNow()
	_, msg, err := idle.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ctx.Err() != nil {
		t.Fatalf("idle WebSocket: read %q, %v; want it closed by the server", msg, err)
	}

	early := dial()
	defer early.CloseNow()
	b, _ := json.Marshal(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": "{ __typename }"}})
	if err := early.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	for {
		_, msg, err := early.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatal("not closed")
			}
			break
		}
		if strings.Contains(string(msg), "Query") || strings.Contains(string(msg), `"next"`) {
			t.Fatalf("answered before connection_init: %s", msg)
		}
	}

	bad := dial()
	defer bad.CloseNow()
	b, _ = json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer wrong"}})
	bad.Write(ctx, websocket.MessageText, b)
	for {
		_, msg, err := bad.Read(ctx)
		if err != nil {
			break
		}
		if strings.Contains(string(msg), "connection_ack") {
			t.Fatalf("wrong key acknowledged: %s", msg)
		}
	}
}

// TestRepeatedFieldsRefused: validation compares every pair of fields with
// one response name, so 20,000 `__typename` held a CPU for tens of
// seconds. The parser's token limit and the repeat limit refuse such
// queries before validation.
func TestRepeatedFieldsRefused(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off"})
	defer stop()
	for n, want := range map[int]string{3000: "QUERY_TOO_COMPLEX", 20_000: "exceeded token limit"} {
		start := time.Now()
		_, out, _ := post(t, base, "", "{"+strings.Repeat("__typename ", n)+"}")
		if !strings.Contains(toJSON(out), want) || out["data"] != nil {
			t.Errorf("%d fields: %v", n, toJSON(out)[:min(300, len(toJSON(out)))])
		}
		t.Logf("%d fields refused in %v", n, time.Since(start))
	}
	// Distinct aliases are not compared pairwise and stay allowed, as do
	// a few repeats.
	if _, out, _ := post(t, base, "", `{ a: __typename b: __typename __typename __typename }`); out["errors"] != nil {
		t.Fatalf("ordinary query refused: %v", out)
	}
}

// TestAllowedHosts: without keys only loopback Host names are served, so a
// page whose DNS name was rebound to 127.0.0.1 cannot drive the service.
func TestAllowedHosts(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off"})
	body := []byte(`{"query":"{ __typename }"}`)
	ct := map[string]string{"Content-Type": "application/json"}
	if code, out := send(t, "POST", base+"/graphql", body, ct); code != 200 {
		t.Fatalf("loopback host: %d %s", code, out)
	}
	for _, host := range []string{"evil.example", "evil.example:8080", "127.0.0.1.evil.example"} {
		h := map[string]string{"Content-Type": "application/json", "Host": host}
		if code, out := send(t, "POST", base+"/graphql", body, h); code != http.StatusMisdirectedRequest || strings.Contains(out, "Query") {
			t.Errorf("Host %s: %d %s", host, code, out)
		}
	}
	if code, _ := send(t, "GET", base+"/metrics", nil, map[string]string{"Host": "evil.example"}); code != http.StatusMisdirectedRequest {
		t.Errorf("/metrics for a foreign Host: %d", code)
	}
	if code, _ := send(t, "POST", base+"/graphql", body, map[string]string{"Content-Type": "application/json", "Host": "localhost:1234"}); code != 200 {
		t.Errorf("localhost: %d", code)
	}
	// Probes name the pod's address; they are answered whatever the Host.
	if code, _ := send(t, "GET", base+"/healthz", nil, map[string]string{"Host": "10.1.2.3:8080"}); code != 200 {
		t.Errorf("/healthz for the pod's address: %d", code)
	}
	stop()
	base, stop = startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_ALLOWED_HOSTS": "shop.example, api.shop.example"})
	defer stop()
	if code, out := send(t, "POST", base+"/graphql", body, map[string]string{"Content-Type": "application/json", "Host": "api.shop.example"}); code != 200 {
		t.Errorf("configured host: %d %s", code, out)
	}
	if code, _ := send(t, "POST", base+"/graphql", body, ct); code != http.StatusMisdirectedRequest {
		t.Errorf("host not in SHOPMUSE_ALLOWED_HOSTS: %d", code)
	}
}

// TestCostsCountTheWork: introspection, full scans and copy are charged
// for what they do; introspection is off once keys are set.
func TestCostsCountTheWork(t *testing.T) {
	// The token limit is raised so that cost, not the parser, refuses.
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_MAX_TOKENS": "100000"})
	aliases := func(n int, field string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			b.WriteString(" a" + strconv.Itoa(i) + ": " + field)
		}
		return b.String() + " }"
	}
	for name, q := range map[string]string{
		"__schema":      aliases(30, `__schema { types { name fields { name } } }`),
		"totalCount":    aliases(60, `products(first: 0) { totalCount }`),
		"filter":        aliases(60, `products(first: 1, filter: {brand: "none"}) { pageInfo { hasNextPage } }`),
		"generatedCopy": aliases(1000, `generatedCopy(productID: "p1") { variants { text } }`),
	} {
		_, out, _ := post(t, base, "", q)
		if !strings.Contains(toJSON(out), "COMPLEXITY_LIMIT_EXCEEDED") || out["data"] != nil {
			t.Errorf("%s: %.300s", name, toJSON(out))
		}
	}
	// GraphiQL's schema query (11 levels with seven ofType) still passes,
	// as does an ordinary count.
	if _, out, _ := post(t, base, "", graphiqlIntrospection); out["errors"] != nil {
		t.Fatalf("GraphiQL introspection refused: %.300s", toJSON(out))
	}
	if _, out, _ := post(t, base, "", `{ products(first: 0) { totalCount } }`); out["errors"] != nil {
		t.Fatalf("one count refused: %v", out)
	}
	deep := "{ __schema { types { fields { type { " + strings.Repeat("ofType { ", 12) + "name" + strings.Repeat(" }", 12) + " } } } } }"
	if _, out, _ := post(t, base, "", deep); !strings.Contains(toJSON(out), "DEPTH_LIMIT_EXCEEDED") {
		t.Errorf("deep introspection: %.300s", toJSON(out))
	}
	stop()

	base, stop = startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin,rd-1:read"})
	for _, key := range []string{"adm-1", "rd-1"} {
		for _, q := range []string{`{ __schema { queryType { name } } }`, `{ a: __type(name: "Query") { name } }`,
			`query { ...F } fragment F on Query { __schema { types { name } } }`} {
			// Refused with its own code, not as an internal error.
			if _, out, _ := post(t, base, key, q); codes(out) != "INTROSPECTION_DISABLED" {
				t.Errorf("introspection with keys set, key %s, %s: %v", key, q, out)
			}
		}
	}
	if _, out, _ := post(t, base, "rd-1", `{ __typename }`); out["errors"] != nil {
		t.Errorf("__typename is not introspection: %v", out)
	}
	stop()
	base, stop = startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin,rd-1:read", "SHOPMUSE_INTROSPECTION": "admin"})
	defer stop()
	if _, out, _ := post(t, base, "adm-1", `{ __schema { queryType { name } } }`); out["errors"] != nil {
		t.Errorf("admin introspection turned on: %v", out)
	}
	if _, out, _ := post(t, base, "rd-1", `{ __schema { queryType { name } } }`); out["errors"] == nil {
		t.Errorf("read key introspects under admin mode: %v", out)
	}
}

const graphiqlIntrospection = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// wsClient is a graphql-transport-ws connection for tests.
type wsClient struct {
	t    *testing.T
	ctx  context.Context
	conn *websocket.Conn
}

func dialWS(t *testing.T, ctx context.Context, base, auth string) *wsClient {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(1 << 20)
	c := &wsClient{t: t, ctx: ctx, conn: conn}
	c.write(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": auth}})
	if m := c.read(); string(m["type"]) != `"connection_ack"` {
		t.Fatalf("init: %v", m)
	}
	return c
}

func (c *wsClient) write(v any) {
	b, _ := json.Marshal(v)
	if err := c.conn.Write(c.ctx, websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) read() map[string]json.RawMessage {
	_, b, err := c.conn.Read(c.ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	return m
}

// hangingLLM is an OpenAI-compatible stand-in that answers nothing until
// released (or the caller gives up), counting calls in flight.
type hangingLLM struct {
	release  chan struct{}
	mu       sync.Mutex
	inFlight int
	peak     int
	calls    int
}

func newHangingLLM(t *testing.T) (*hangingLLM, string) {
	h := &hangingLLM{release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.calls++
		h.inFlight++
		h.peak = max(h.peak, h.inFlight)
		h.mu.Unlock()
		defer func() { h.mu.Lock(); h.inFlight--; h.mu.Unlock() }()
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
		http.Error(w, "stand-in LLM says no", http.StatusServiceUnavailable)
	}))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return h, srv.URL + "/v1"
}

// TestSubscriptionCap: 500 subscriptions on one WebSocket — each held open
// by an LLM that never answers — stop at SHOPMUSE_MAX_SUBSCRIPTIONS, and
// a second connection with the same key gets no more.
func TestSubscriptionCap(t *testing.T) {
	llm, url := newHangingLLM(t)
	defer close(llm.release)
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin", "SHOPMUSE_LLM": "openai", "SHOPMUSE_LLM_MODEL": "m", "OPENAI_BASE_URL": url,
		"OPENAI_API_KEY": "x", "SHOPMUSE_LLM_TIMEOUT": "60s", "SHOPMUSE_LLM_CONCURRENCY": "1000", "SHOPMUSE_MAX_SUBSCRIPTIONS": "20"})
	defer stop()
	if _, out, _ := post(t, base, "adm-1", `mutation { upsertProducts(input: [{id: "p1", title: "保温杯", category: "家居/杯具", price: {amount: "99.00"}}]) { userErrors { code } } }`); out["errors"] != nil {
		t.Fatal(out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := dialWS(t, ctx, base, "Bearer adm-1")
	defer c.conn.CloseNow()
	const n = 500
	for i := range n {
		c.write(map[string]any{"type": "subscribe", "id": strconv.Itoa(i),
			"payload": map[string]any{"query": `subscription { copyStream(productID: "p1", persona: {description: "` + strconv.Itoa(i) + `岁"}) { delta done } }`}})
	}
	refused := 0
	for refused < n-20 {
		m := c.read()
		if strings.Contains(string(m["payload"]), "SUBSCRIPTION_LIMIT") {
			refused++
		} else if typ := string(m["type"]); typ != `"complete"` && typ != `"ping"` {
			t.Fatalf("unexpected %s %s", typ, m["payload"])
		}
	}
	// The same key on a new connection is at its cap too.
	c2 := dialWS(t, ctx, base, "Bearer adm-1")
	defer c2.conn.CloseNow()
	c2.write(map[string]any{"type": "subscribe", "id": "x", "payload": map[string]any{"query": `subscription { copyStream(productID: "p1") { delta } }`}})
	for {
		m := c2.read()
		if strings.Contains(string(m["payload"]), "SUBSCRIPTION_LIMIT") {
			break
		}
		if typ := string(m["type"]); typ != `"ping"` && typ != `"complete"` {
			t.Fatalf("second connection: %s %s", typ, m["payload"])
		}
	}
}

// TestLLMConcurrency: with SHOPMUSE_LLM_CONCURRENCY=1, one call holds the
// LLM and the others fall back to the built-in writer, counted.
func TestLLMConcurrency(t *testing.T) {
	llm, url := newHangingLLM(t)
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_LLM": "openai", "SHOPMUSE_LLM_MODEL": "m", "OPENAI_BASE_URL": url, "OPENAI_API_KEY": "x",
		"SHOPMUSE_LLM_TIMEOUT": "60s", "SHOPMUSE_LLM_CONCURRENCY": "1"})
	defer stop()
	gqlPost(t, base, `mutation { upsertProducts(input: [{id: "p1", title: "保温杯", category: "家居/杯具", price: {amount: "99.00"}}]) { userErrors { code } } }`, nil)
	results := make(chan string, 3)
	for i := range 3 {
		go func() {
			_, out, _ := post(t, base, "", `{ generatedCopy(productID: "p1", channel: PUSH, persona: {description: "`+strconv.Itoa(20+i)+`岁"}) { generator } }`)
			results <- toJSON(out)
		}()
	}
	// Two of the three find the one slot taken and are answered by the
	// built-in writer while the third still waits on the LLM.
	for range 2 {
		if got := <-results; !strings.Contains(got, `"generator":"template"`) {
			t.Fatalf("fallback answer: %s", got)
		}
	}
	close(llm.release)
	<-results
	llm.mu.Lock()
	peak, calls := llm.peak, llm.calls
	llm.mu.Unlock()
	if peak != 1 || calls < 1 {
		t.Fatalf("LLM calls in flight peaked at %d (%d calls), want 1", peak, calls)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "shopmuse_llm_saturated_total 2") {
		t.Fatalf("saturation not counted:\n%s", grepLines(string(b), "llm"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestShopperStreamEndsWithItsToken: a WebSocket opened with a shopper
// token is closed when the token expires.
func TestShopperStreamEndsWithItsToken(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_SHOPPER_TOKEN_SECRET": testShopperSecret})
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialWS(t, ctx, base, "Bearer "+shopperToken(t, "u1", "2s"))
	defer c.conn.CloseNow()
	for {
		if _, _, err := c.conn.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("the connection outlived its token")
			}
			return
		}
	}
}

// TestWebsocketOperationsAreRateLimited: the upgrade is one HTTP request,
// but every operation on the connection takes a token from the caller's
// bucket, before its query is parsed.
func TestWebsocketOperationsAreRateLimited(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_RATE_LIMIT": "1", "SHOPMUSE_RATE_BURST": "10"})
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialWS(t, ctx, base, "")
	defer c.conn.CloseNow()
	const n = 40
	for i := range n {
		c.write(map[string]any{"type": "subscribe", "id": strconv.Itoa(i), "payload": map[string]any{"query": "{ __typename }"}})
	}
	answered, limited := 0, 0
	for answered+limited < n {
		m := c.read()
		switch p := string(m["payload"]); {
		case strings.Contains(p, "RATE_LIMITED"):
			limited++
		case strings.Contains(p, `"Query"`):
			answered++
		}
	}
	if limited < n-15 || answered == 0 {
		t.Fatalf("%d answered, %d rate-limited of %d on one connection (burst 10)", answered, limited, n)
	}
}
