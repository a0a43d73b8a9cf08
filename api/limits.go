package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/time/rate"
)

// DepthLimit rejects operations nested deeper than Max fields. Introspection
// selections have their own limit, IntrospectionMaxDepth: GraphiQL's schema
// query is deep by nature.
type DepthLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = DepthLimit{}

func (DepthLimit) ExtensionName() string                   { return "DepthLimit" }
func (DepthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d DepthLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || d.Max <= 0 {
		return nil
	}
	if depth := fieldDepth(oc.Operation.SelectionSet, 0, map[string]bool{}, true); depth > d.Max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation is %d levels deep; at most %d are allowed", depth, d.Max),
			Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"},
		}
	}
	if depth := introspectionDepth(oc.Operation.SelectionSet, map[string]bool{}); depth > IntrospectionMaxDepth {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("introspection is %d levels deep; at most %d are allowed", depth, IntrospectionMaxDepth),
			Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"},
		}
	}
	return nil
}

// introspectionDepth is the depth of the deepest __schema or __type
// selection, counted from that field.
func introspectionDepth(set ast.SelectionSet, visiting map[string]bool) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				d = fieldDepth(s.SelectionSet, 1, visiting, false)
			} else {
				d = introspectionDepth(s.SelectionSet, visiting)
			}
		case *ast.InlineFragment:
			d = introspectionDepth(s.SelectionSet, visiting)
		case *ast.FragmentSpread:
			if s.Definition == nil || visiting[s.Name] {
				continue
			}
			visiting[s.Name] = true
			d = introspectionDepth(s.Definition.SelectionSet, visiting)
			delete(visiting, s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// fieldDepth is the depth of the deepest field under set, counted from
// depth; with skipMeta, __ fields (introspection, __typename) and what is
// under them do not count.
func fieldDepth(set ast.SelectionSet, depth int, visiting map[string]bool, skipMeta bool) int {
	deepest := depth
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if skipMeta && strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = fieldDepth(s.SelectionSet, depth+1, visiting, skipMeta)
		case *ast.InlineFragment:
			d = fieldDepth(s.SelectionSet, depth, visiting, skipMeta)
		case *ast.FragmentSpread:
			// Validation already rejects fragment cycles; the guard only
			// keeps a malformed document from recursing forever.
			if s.Definition == nil || visiting[s.Name] {
				continue
			}
			visiting[s.Name] = true
			d = fieldDepth(s.Definition.SelectionSet, depth, visiting, skipMeta)
			delete(visiting, s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// LimitBody caps request bodies; gqlgen reads the whole body before parsing.
func LimitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeGraphQLError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", max), "PAYLOAD_TOO_LARGE")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// isStream reports whether a request opens a subscription stream, which
// lives as long as the client wants.
func isStream(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") ||
		strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// OperationTimeout bounds the execution of every query and mutation; a
// subscription lives as long as its client wants. It is decided by the
// parsed operation, not by headers a client could set to escape it.
func OperationTimeout(d time.Duration) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if d <= 0 || !graphql.HasOperationContext(ctx) {
			return next(ctx)
		}
		if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Operation == ast.Subscription {
			return next(ctx)
		}
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return next(ctx)
	}
}

// RateLimiter is a token bucket per API key, per shopper token's user, or
// per client address when no keys are configured. Shoppers have their own,
// smaller, rate (SetShopperRate): a browser needs far less than a backend.
type RateLimiter struct {
	rate  rate.Limit
	burst int
	// shopperRate and shopperBurst apply to "shopper:" buckets.
	shopperRate  rate.Limit
	shopperBurst int

	mu       sync.Mutex
	limiters map[string]*limiterEntry
	lastGC   time.Time
}

type limiterEntry struct {
	l    *rate.Limiter
	seen time.Time
}

// NewRateLimiter allows perSecond requests per client with bursts of burst.
// perSecond <= 0 disables limiting.
func NewRateLimiter(perSecond float64, burst int) *RateLimiter {
	return &RateLimiter{rate: rate.Limit(perSecond), burst: max(burst, 1), shopperRate: rate.Limit(perSecond),
		shopperBurst: max(burst, 1), limiters: map[string]*limiterEntry{}}
}

// SetShopperRate sets the rate of each shopper token's bucket.
func (rl *RateLimiter) SetShopperRate(perSecond float64, burst int) {
	rl.shopperRate, rl.shopperBurst = rate.Limit(perSecond), max(burst, 1)
}

func (rl *RateLimiter) limiter(client string, now time.Time) *rate.Limiter {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if now.Sub(rl.lastGC) > time.Minute {
		// A full bucket is the same as no bucket: forget idle clients.
		for k, e := range rl.limiters {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(rl.limiters, k)
			}
		}
		rl.lastGC = now
	}
	e, ok := rl.limiters[client]
	if !ok {
		r, b := rl.rate, rl.burst
		if strings.HasPrefix(client, "shopper:") {
			r, b = rl.shopperRate, rl.shopperBurst
		}
		e = &limiterEntry{l: rate.NewLimiter(r, b)}
		rl.limiters[client] = e
	}
	e.seen = now
	return e.l
}

// Middleware answers 429 with Retry-After when a client runs out of tokens.
// client names the bucket of a request (the key's digest, or the address).
func (rl *RateLimiter) Middleware(client func(*http.Request) string, next http.Handler) http.Handler {
	if rl == nil || rl.rate <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		res := rl.limiter(client(r), now).ReserveN(now, 1)
		if delay := res.DelayFrom(now); delay > 0 {
			res.CancelAt(now)
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(delay.Seconds()))))
			writeGraphQLError(w, http.StatusTooManyRequests, "rate limit exceeded; retry later", "RATE_LIMITED")
			return
		}
		next.ServeHTTP(w, r)
	})
}
