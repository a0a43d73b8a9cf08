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
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopmuse/shopmuse/shop"
)

// Role is what a caller may do. Roles are ordered: each may do what the
// ones below it may, except that a shopper acts only for itself.
type Role int

const (
	// RoleNone has not authenticated.
	RoleNone Role = iota
	// RoleCatalog is safe in a browser: products, search, similar and
	// related products, and copy for personas given as text or fields. It
	// reads nothing personal and writes nothing, impressions included.
	RoleCatalog
	// RoleShopper holds a shopper token: what a catalog key may do, plus
	// its own user, persona, recommendations and copy, and its own CLICK,
	// VIEW, ADD_TO_CART and LIKE events.
	RoleShopper
	// RoleService is a trusted backend or BFF: every read, for any shopper.
	RoleService
	// RoleAdmin may also write and read campaigns and the user list.
	RoleAdmin
)

// RoleRead is the former name of RoleService; "read" keys are service keys.
const RoleRead = RoleService

func (r Role) String() string {
	switch r {
	case RoleCatalog:
		return "catalog"
	case RoleShopper:
		return "shopper"
	case RoleService:
		return "service"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// Keys are the configured API keys and the shopper token secret. Only the
// keys' SHA-256 digests are kept, so a key cannot leak from a heap dump or
// a log of this struct.
type Keys struct {
	entries []keyEntry
	// shopperSecret verifies shopper tokens; nil: tokens are refused.
	shopperSecret []byte
	now           func() time.Time
}

type keyEntry struct {
	digest [sha256.Size]byte
	role   Role
	// name is the key's optional name ("key:admin:alice"), recorded as the
	// actor of review decisions.
	name string
}

// WithShopperSecret returns the keys also accepting shopper tokens signed
// with secret (SHOPMUSE_SHOPPER_TOKEN_SECRET).
func (k Keys) WithShopperSecret(secret []byte) (Keys, error) {
	if len(secret) < MinShopperSecretBytes {
		return k, fmt.Errorf("SHOPMUSE_SHOPPER_TOKEN_SECRET must be at least %d bytes", MinShopperSecretBytes)
	}
	k.shopperSecret = append([]byte(nil), secret...)
	return k, nil
}

// ParseKeys reads SHOPMUSE_API_KEYS: "key1:admin,key2:service,key3:catalog";
// a role may be followed by the key's name ("key1:admin:alice"), which the
// review audit records as who decided.
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
		role, name, _ := strings.Cut(role, ":")
		name = strings.TrimSpace(name)
		// The name is who the audit log says decided: printable (no C1
		// controls, line separators, bidi overrides or zero-width
		// characters that would make a log line or the console read
		// otherwise), without ":" (so it cannot pose as another key's
		// role:fingerprint or as shopper:<id>), and given to one key only.
		if len(name) > 64 || !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool {
			return !unicode.IsPrint(r) || unicode.Is(unicode.Cf, r) || r == ':'
		}) {
			return Keys{}, fmt.Errorf("SHOPMUSE_API_KEYS entry %d: a key name is at most 64 printable characters, without \":\"", i+1)
		}
		if name != "" && slices.ContainsFunc(k.entries, func(e keyEntry) bool { return e.name == name }) {
			return Keys{}, fmt.Errorf("SHOPMUSE_API_KEYS entry %d: the key name is already given to another key (the audit log could not tell them apart)", i+1)
		}
		var r Role
		switch strings.TrimSpace(role) {
		case "admin":
			r = RoleAdmin
		case "service", "read":
			r = RoleService
		case "catalog":
			r = RoleCatalog
		default:
			// The entry number, never the key, goes in the message.
			return Keys{}, fmt.Errorf("SHOPMUSE_API_KEYS entry %d: role must be admin, service (or read), or catalog", i+1)
		}
		if looksLikeJWT(key) {
			return Keys{}, fmt.Errorf("SHOPMUSE_API_KEYS entry %d: a key must not contain two dots (it would read as a shopper token)", i+1)
		}
		k.entries = append(k.entries, keyEntry{digest: sha256.Sum256([]byte(key)), role: r, name: name})
	}
	return k, nil
}

// Enabled reports whether callers must authenticate: any key or a shopper
// token secret is configured.
func (k Keys) Enabled() bool { return len(k.entries) > 0 || k.shopperSecret != nil }

// Lookup returns the role of a presented key. Every configured key is
// compared, in constant time, whatever matches, so timing tells nothing
// about which key or how much of it was right.
func (k Keys) Lookup(presented string) Role {
	r, _ := k.lookup(presented)
	return r
}

// lookup is Lookup with the key's name.
func (k Keys) lookup(presented string) (Role, string) {
	d := sha256.Sum256([]byte(presented))
	role, name := RoleNone, ""
	for _, e := range k.entries {
		if subtle.ConstantTimeCompare(d[:], e.digest[:]) == 1 {
			role, name = e.role, e.name
		}
	}
	return role, name
}

// caller is who a credential names.
type caller struct {
	role    Role
	shopper string    // the user ID of a shopper token
	client  string    // the rate-limit and subscription bucket
	expires time.Time // a shopper token's exp; zero for keys
	actor   string    // who the audit log says acted
}

// identify resolves a bearer credential: a shopper token (three dotted
// parts, when a secret is configured) or an API key. An unknown one is
// RoleNone.
func (k Keys) identify(credential string) caller {
	if looksLikeJWT(credential) {
		if k.shopperSecret == nil {
			return caller{}
		}
		now := time.Now
		if k.now != nil {
			now = k.now
		}
		sub, exp, err := parseShopperToken(k.shopperSecret, credential, now())
		if err != nil {
			return caller{}
		}
		return caller{role: RoleShopper, shopper: sub, client: "shopper:" + sub, expires: exp}
	}
	if role, name := k.lookup(credential); role != RoleNone {
		actor := name
		if actor == "" {
			// An unnamed key is known by its role and a fingerprint that
			// cannot be turned back into the key.
			actor = role.String() + ":" + sumHex(credential)
		}
		return caller{role: role, client: "key:" + sumHex(credential), actor: actor}
	}
	return caller{}
}

type shopperKey struct{}

// WithShopper records that the caller is the shopper userID (a shopper token).
func WithShopper(ctx context.Context, userID string) context.Context {
	return context.WithValue(ctx, shopperKey{}, userID)
}

// ShopperFrom returns the user ID of a shopper token's holder.
func ShopperFrom(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(shopperKey{}).(string)
	return id, ok && id != ""
}

// authenticated stores a resolved caller in ctx. A shopper token's context
// ends when the token expires: a stream (SSE, WebSocket) opened with it
// does not outlive it.
func authenticated(ctx context.Context, c caller) context.Context {
	ctx = WithClient(WithRole(ctx, c.role), c.client)
	if c.actor != "" {
		ctx = context.WithValue(ctx, actorKey{}, c.actor)
	}
	if c.shopper != "" {
		ctx = WithShopper(ctx, c.shopper)
	}
	if !c.expires.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, c.expires)
		// Released with the request or connection that ctx belongs to.
		context.AfterFunc(ctx, cancel)
	}
	return ctx
}

type roleKey struct{}

type actorKey struct{}

// ActorFrom names the caller for audit logs: the API key's name, or its
// role and fingerprint ("admin:1a2b…"); "shopper:<id>" for a shopper token;
// "local" when no keys are configured (every caller on loopback is admin).
func ActorFrom(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	if id, ok := ShopperFrom(ctx); ok {
		return "shopper:" + id
	}
	return "local"
}

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
			ctx := WithClient(WithRole(r.Context(), RoleAdmin), addrClient(r))
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		h := r.Header.Get("Authorization")
		if h == "" && isWebsocketUpgrade(r) {
			// Only a genuine GET handshake: a POST carrying Upgrade and
			// Accept: text/event-stream would otherwise reach the SSE
			// transport unauthenticated. The connection then answers
			// nothing before connection_init carries a valid key, and is
			// closed if that does not come within the init deadline.
			next.ServeHTTP(w, r.WithContext(WithClient(WithRole(r.Context(), RoleNone), addrClient(r))))
			return
		}
		token, ok := bearer(h)
		var c caller
		if ok {
			c = k.identify(token)
		}
		if c.role == RoleCatalog {
			c.client = catalogClient(c.client, addrClient(r))
		}
		if c.role == RoleNone {
			w.Header().Set("WWW-Authenticate", `Bearer realm="shopmuse"`)
			writeGraphQLError(w, http.StatusUnauthorized, "a valid API key or shopper token is required: Authorization: Bearer <key>", "UNAUTHENTICATED")
			return
		}
		next.ServeHTTP(w, r.WithContext(authenticated(r.Context(), c)))
	})
}

// WebsocketInit authenticates a graphql-transport-ws connection from its
// connection_init payload ({"Authorization": "Bearer <key>"}) when the
// upgrade request carried no header.
func (k Keys) WebsocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	// Every connection gets its own subscription count (StreamLimits).
	ctx = withWSConn(ctx)
	if !k.Enabled() || RoleFrom(ctx) != RoleNone {
		return ctx, nil, nil
	}
	for _, name := range []string{"Authorization", "authorization"} {
		if h, ok := payload[name].(string); ok {
			if token, ok := bearer(h); ok {
				if c := k.identify(token); c.role != RoleNone {
					if c.role == RoleCatalog {
						c.client = catalogClient(c.client, ClientFrom(ctx))
					}
					return authenticated(ctx, c), nil, nil
				}
			}
		}
	}
	return ctx, nil, fmt.Errorf("a valid API key or shopper token is required in connection_init: {\"Authorization\": \"Bearer <key>\"}")
}

// Guard is a field middleware enforcing roles (see Role). Each root field
// names the least role it needs; a shopper may act on itself only; the
// fields of other types need only an authenticated caller, because the
// root fields that reach them are guarded.
func Guard(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	role := RoleFrom(ctx)
	if role == RoleAdmin {
		return next(ctx)
	}
	shopper, _ := ShopperFrom(ctx)
	if !allowed(fc, role, shopper) {
		return nil, &gqlerror.Error{
			Message:    fmt.Sprintf("%s.%s is not allowed for the %s role", fc.Object, fc.Field.Name, role),
			Extensions: map[string]any{"code": "FORBIDDEN"},
		}
	}
	return next(ctx)
}

// ShopperKinds are the interactions a shopper token may record about
// itself; purchases and ratings come from the shop's backend.
var ShopperKinds = map[shop.InteractionKind]bool{
	shop.KindView: true, shop.KindClick: true, shop.KindAddToCart: true, shop.KindLike: true,
}

// catalogRoots are the root fields a catalog key may call: nothing
// personal, nothing written.
var catalogRoots = map[string]bool{
	"Query.product": true, "Query.products": true, "Query.searchProducts": true, "Query.similarProducts": true,
	"Query.productRecommendations": true, "Query.generatedCopy": true, "Subscription.copyStream": true,
	"Query.ask": true, "Subscription.askStream": true,
}

func allowed(fc *graphql.FieldContext, role Role, shopper string) bool {
	if role == RoleNone {
		return false
	}
	own := func(arg string) bool {
		// An omitted ID means the token's own user (the resolvers fill it in).
		id, given := stringArg(fc.Args, arg)
		return role == RoleShopper && (!given || id == shopper)
	}
	key := fc.Object + "." + fc.Field.Name
	switch key {
	case "Query.users", "Query.campaign", "Subscription.campaignProgress", "Query.unansweredQuestions",
		"Query.merchandisingRules":
		// Lists of shoppers, and campaigns: whom they target and what
		// they were sent; the shop's merchandising rules.
		return false
	case "Query.experiments", "Query.experiment", "Query.experimentReport":
		// The shop's experiments and their revenue: admin only.
		return false
	case "Query.copyReviewQueue", "Query.copyReviewAudit", "Query.copyBatchJob", "Subscription.copyBatchProgress",
		"Query.productImageFacts":
		// Copy review and image facts are the merchant's back office:
		// drafts nobody approved, who decided what, unapproved claims.
		return false
	case "Mutation.recordInteractions":
		return role == RoleShopper && ownInteractions(fc.Args, shopper)
	case "Query.user":
		return role >= RoleService || own("id")
	case "Query.recommendations":
		// Reasons name what the shopper bought, carted and viewed.
		return role >= RoleService || own("userID")
	case "Query.copyPerformance":
		// Variant IDs map to age, gender and interest segments.
		return role >= RoleService
	case "Product.interactionCounts":
		// Live per-product counts: on a quiet shop, polling them follows
		// one shopper's clicks.
		return role >= RoleService
	case "Query.generatedCopy", "Subscription.copyStream":
		if id, ok := nestedUser(fc.Args, "persona"); ok {
			return role >= RoleService || role == RoleShopper && id == shopper
		}
		return true
	case "Query.ask", "Subscription.askStream":
		// An answer personalised by userID draws on the shopper's
		// recommendations: the roles of recommendations. Without one
		// (a shopper token's omitted userID means itself) anyone may ask.
		if id, ok := nestedUser(fc.Args, "input"); ok {
			return role >= RoleService || role == RoleShopper && id == shopper
		}
		return true
	}
	switch fc.Object {
	case "Mutation":
		return false
	case "Query", "Subscription":
		return catalogRoots[key] || role >= RoleService
	case "User":
		if fc.Field.Name == "id" || role >= RoleService {
			return true
		}
		u := parentUser(fc)
		return role == RoleShopper && u != nil && u.ID == shopper
	}
	return true
}

// stringArg returns a string (or *string) argument and whether it was given.
func stringArg(args map[string]any, name string) (string, bool) {
	switch v := args[name].(type) {
	case string:
		return v, true
	case *string:
		if v != nil {
			return *v, true
		}
	}
	return "", false
}

// ownInteractions reports whether every interaction is the shopper's own
// and of a kind a shopper may record.
func ownInteractions(args map[string]any, shopper string) bool {
	in, ok := args["input"].([]shop.InteractionInput)
	if !ok {
		return false
	}
	for _, it := range in {
		if it.UserID != shopper || !ShopperKinds[it.Kind] {
			return false
		}
	}
	return true
}

// parentUser finds the User whose field is being resolved.
func parentUser(fc *graphql.FieldContext) *shop.User {
	for p := fc.Parent; p != nil; p = p.Parent {
		switch u := p.Result.(type) {
		case *shop.User:
			return u
		case shop.User:
			return &u
		}
		if p.Result != nil {
			return nil
		}
	}
	return nil
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

// nestedUser returns <arg>.userID of the field's arguments (persona.userID,
// input.userID), if given.
func nestedUser(args map[string]any, arg string) (string, bool) {
	p, ok := args[arg]
	if !ok || p == nil {
		return "", false
	}
	v := reflect.ValueOf(p)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return "", false
	}
	f := v.FieldByName("UserID")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() || f.Elem().Kind() != reflect.String {
		return "", false
	}
	return f.Elem().String(), true
}

// roleBox lets Logging, outside Authenticate, learn the role it settled on.
type roleBox struct{ r Role }

type roleBoxKey struct{}

func withRoleBox(ctx context.Context) (context.Context, *roleBox) {
	b := &roleBox{}
	return context.WithValue(ctx, roleBoxKey{}, b), b
}

// RequireKey guards an endpoint (/metrics) with one bearer key, compared in
// constant time; an empty key leaves it open.
func RequireKey(key string, next http.Handler) http.Handler {
	if key == "" {
		return next
	}
	want := sha256.Sum256([]byte(key))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := bearer(r.Header.Get("Authorization"))
		got := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="shopmuse-metrics"`)
			http.Error(w, "a valid metrics key is required: Authorization: Bearer <SHOPMUSE_METRICS_KEY>", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// catalogClient is a catalog key's bucket for one visitor: the key ships in
// every browser of a storefront, so one visitor spending its rate or its
// subscriptions must not take the API away from the others.
func catalogClient(key, addr string) string { return key + "|" + addr }
