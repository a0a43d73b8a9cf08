package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A catalog key ships in every visitor's browser: each visitor gets a
// bucket of their own, so one of them spending the rate limit or the
// subscriptions does not lock the storefront out. Other keys keep one
// bucket per key.
func TestCatalogKeyBucketsPerVisitor(t *testing.T) {
	keys, err := ParseKeys("cat-key-1:catalog,svc-key-1:service")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	h := keys.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = RequestClient(r) }))
	client := func(key, addr string) string {
		r := httptest.NewRequest("POST", "/graphql", nil)
		r.RemoteAddr = addr
		r.Header.Set("Authorization", "Bearer "+key)
		got = ""
		h.ServeHTTP(httptest.NewRecorder(), r)
		return got
	}
	a, b := client("cat-key-1", "203.0.113.7:4000"), client("cat-key-1", "198.51.100.9:4000")
	if a == "" || a == b {
		t.Fatalf("two visitors with the catalog key share the bucket %q", a)
	}
	if again := client("cat-key-1", "203.0.113.7:5000"); again != a {
		t.Fatalf("one visitor's bucket moved: %q then %q", a, again)
	}
	if s1, s2 := client("svc-key-1", "203.0.113.7:4000"), client("svc-key-1", "198.51.100.9:4000"); s1 == "" || s1 != s2 {
		t.Fatalf("a service key's bucket depends on the address: %q, %q", s1, s2)
	}
	// Over WebSocket the key arrives in connection_init.
	ctx := WithClient(context.Background(), "addr:203.0.113.7")
	ctx, _, err = keys.WebsocketInit(ctx, map[string]any{"Authorization": "Bearer cat-key-1"})
	if err != nil || ClientFrom(ctx) != a {
		t.Fatalf("WebSocket catalog bucket %q (%v), want %q", ClientFrom(ctx), err, a)
	}
}
