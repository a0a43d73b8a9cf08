package api

import (
	"context"
	"strings"
	"testing"
)

// TestActorsForTheAuditLog: a named key is its name, an unnamed one its
// role and a fingerprint that does not reveal the key.
func TestActorsForTheAuditLog(t *testing.T) {
	k, err := ParseKeys("k-admin-secret:admin:alice, k-other-secret:admin, k-cat:catalog: shop front ")
	if err != nil {
		t.Fatal(err)
	}
	actor := func(key string) (Role, string) {
		c := k.identify(key)
		return c.role, ActorFrom(authenticated(context.Background(), c))
	}
	if r, a := actor("k-admin-secret"); r != RoleAdmin || a != "alice" {
		t.Errorf("named key: %v %q", r, a)
	}
	r, a := actor("k-other-secret")
	if r != RoleAdmin || !strings.HasPrefix(a, "admin:") || len(a) != len("admin:")+16 || strings.Contains(a, "secret") {
		t.Errorf("unnamed key: %v %q", r, a)
	}
	if r, a := actor("k-cat"); r != RoleCatalog || a != "shop front" {
		t.Errorf("catalog key: %v %q", r, a)
	}
	if _, err := ParseKeys("k1:admin:张三,k2:admin:Bob Li,k3:service,k4:service"); err != nil {
		t.Errorf("printable names: %v", err)
	}
	if a := ActorFrom(context.Background()); a != "local" {
		t.Errorf("no keys: %q", a)
	}
	if a := ActorFrom(WithShopper(context.Background(), "u1")); a != "shopper:u1" {
		t.Errorf("shopper: %q", a)
	}
	for _, bad := range []string{"k:admin:" + strings.Repeat("n", 65), "k:admin:a\x01b", "k:boss:alice",
		// C1 controls, line separators, bidi overrides and zero-width
		// characters: an audit line or console row that reads otherwise.
		"k:admin:ali\u0085ce", "k:admin:ali\u2028ce", "k:admin:\u202eecila", "k:admin:al\u200bice", "k:admin:ali\xffce",
		// Posing as another key's fingerprint, or as a shopper.
		"k:admin:admin:0123456789abcdef", "k:admin:shopper:u1",
		// Two keys under one name.
		"k1:admin:alice,k2:admin:alice"} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
}
