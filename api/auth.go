// Package api holds the HTTP side of the service around the GraphQL
// executor: API keys and roles, request limits, rate limiting, request IDs
// and logs, and Prometheus metrics.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Role is what a caller may do.
type Role int

const (
	// RoleNone has not authenticated.
	RoleNone Role = iota
	// RoleRead may query the catalogue, search, recommendations and copy.
	RoleRead
	// RoleAdmin may also mutate and read personal data.
	RoleAdmin
)

func (r Role) String() string {
	switch r {
	case RoleRead:
		return "read"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// Keys are the configured API keys. Only their SHA-256 digests are kept, so
// a key cannot leak from a heap dump or a log of this struct.
type Keys struct {
	entries []keyEntry
}

type keyEntry struct {
	digest [sha256.Size]byte
	role   Role
}

// ParseKeys reads SHOPMUSE_API_KEYS: "key1:admin,key2:read".
func ParseKeys(s string) (Keys, error) {
	var k Keys
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, role, ok := strings.Cut(part, ":")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return Keys{}, fmt.Errorf("SHOPMUSE_API_KEYS entry %d: want key:role", i+1)
		}
		var r Role
		switch strings.TrimSpace(role) {
		case "admin":
			r = RoleAdmin
		case "read":
			r = RoleRead
		default:
			// The entry number, never the key, goes in the message.
			return Keys{}, fmt.Errorf("SHOPMUSE_API_KEYS entry %d: role must be admin or read", i+1)
		}
		k.entries = append(k.entries, keyEntry{digest: sha256.Sum256([]byte(key)), role: r})
	}
	return k, nil
}

// Enabled reports whether any key is configured.
func (k Keys) Enabled() bool { return len(k.entries) > 0 }

// Lookup returns the role of a presented key. Every configured key is
// compared, in constant time, whatever matches, so timing tells nothing
// about which key or how much of it was right.
func (k Keys) Lookup(presented string) Role {
	d := sha256.Sum256([]byte(presented))
	role := RoleNone
	for _, e := range k.entries {
		if subtle.ConstantTimeCompare(d[:], e.digest[:]) == 1 {
			role = e.role
		}
	}
	return role
}

type roleKey struct{}

// WithRole stores the caller's role in the context (and tells the request
// log, when there is one).
func WithRole(ctx context.Context, r Role) context.Context {
	if b, ok := ctx.Value(roleBoxKey{}).(*roleBox); ok {
		b.r = r
	}
	return context.WithValue(ctx, roleKey{}, r)
}

// RoleFrom returns the caller's role; RoleNone when unset.
func RoleFrom(ctx context.Context) Role {
	r, _ := ctx.Value(roleKey{}).(Role)
	return r
}

// bearer extracts the token of an "Authorization: Bearer <token>" value.
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// Authenticate resolves the caller's role from the Authorization header.
// Without configured keys everyone is admin (the server then only listens
// on loopback). A WebSocket upgrade without a header is let through: browsers
// cannot set headers on it, so the key comes in connection_init (InitFunc).
func (k Keys) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !k.Enabled() {
			next.ServeHTTP(w, r.WithContext(WithRole(r.Context(), RoleAdmin)))
			return
		}
		h := r.Header.Get("Authorization")
		if h == "" && isWebsocketUpgrade(r) {
			// Only a genuine GET handshake: a POST carrying Upgrade and
			// Accept: text/event-stream would otherwise reach the SSE
			// transport unauthenticated. The connection then answers
			// nothing before connection_init carries a valid key, and is
			// closed if that does not come within the init deadline.
			next.ServeHTTP(w, r.WithContext(WithRole(r.Context(), RoleNone)))
			return
		}
		token, ok := bearer(h)
		role := RoleNone
		if ok {
			role = k.Lookup(token)
		}
		if role == RoleNone {
			w.Header().Set("WWW-Authenticate", `Bearer realm="shopmuse"`)
			writeGraphQLError(w, http.StatusUnauthorized, "a valid API key is required: Authorization: Bearer <key>", "UNAUTHENTICATED")
			return
		}
		next.ServeHTTP(w, r.WithContext(WithRole(r.Context(), role)))
	})
}

// WebsocketInit authenticates a graphql-transport-ws connection from its
// connection_init payload ({"Authorization": "Bearer <key>"}) when the
// upgrade request carried no header.
func (k Keys) WebsocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	if !k.Enabled() || RoleFrom(ctx) != RoleNone {
		return ctx, nil, nil
	}
	for _, name := range []string{"Authorization", "authorization"} {
		if h, ok := payload[name].(string); ok {
			if token, ok := bearer(h); ok {
				if role := k.Lookup(token); role != RoleNone {
					return WithRole(ctx, role), nil, nil
				}
			}
		}
	}
	return ctx, nil, fmt.Errorf("a valid API key is required in connection_init: {\"Authorization\": \"Bearer <key>\"}")
}

// Guard is a field middleware enforcing roles: every mutation and personal
// data (Query.user, Query.users, User fields other than id) need admin;
// everything else needs read.
func Guard(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	need := RoleRead
	switch {
	case fc.Object == "Mutation":
		need = RoleAdmin
	case fc.Object == "Query" && (fc.Field.Name == "user" || fc.Field.Name == "users"):
		need = RoleAdmin
	case fc.Object == "User" && fc.Field.Name != "id":
		need = RoleAdmin
	case fc.Object == "Query" && fc.Field.Name == "campaign", fc.Object == "Subscription" && fc.Field.Name == "campaignProgress":
		// A campaign's messages say whom it targets and what they were sent.
		need = RoleAdmin
	case hasPersonaUser(fc.Args):
		// A persona built from a user ID is that user's profile and history.
		need = RoleAdmin
	}
	if role := RoleFrom(ctx); role < need {
		return nil, &gqlerror.Error{
			Message:    fmt.Sprintf("%s.%s needs the %s role", fc.Object, fc.Field.Name, need),
			Extensions: map[string]any{"code": "FORBIDDEN"},
		}
	}
	return next(ctx)
}

func writeGraphQLError(w http.ResponseWriter, status int, msg, code string) {
	w.Header().Set("Content-Type", "application/graphql-response+json; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"message":%q,"extensions":{"code":%q}}]}`, msg, code)
}

func sumHex(s string) string {
	d := sha256.Sum256([]byte(s))
	return fmt.Sprintf("%x", d[:8])
}

// hasPersonaUser reports whether the field's arguments name a user through
// persona.userID.
func hasPersonaUser(args map[string]any) bool {
	p, ok := args["persona"]
	if !ok || p == nil {
		return false
	}
	v := reflect.ValueOf(p)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return false
	}
	f := v.FieldByName("UserID")
	return f.IsValid() && f.Kind() == reflect.Pointer && !f.IsNil()
}

// roleBox lets Logging, outside Authenticate, learn the role it settled on.
type roleBox struct{ r Role }

type roleBoxKey struct{}

func withRoleBox(ctx context.Context) (context.Context, *roleBox) {
	b := &roleBox{}
	return context.WithValue(ctx, roleBoxKey{}, b), b
}
