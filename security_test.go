package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
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
