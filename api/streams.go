package api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

type clientKey struct{}

// WithClient stores the name of the caller's rate-limit and subscription
// bucket: "key:<digest>", "shopper:<userID>" or "addr:<ip>".
func WithClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

// ClientFrom returns the caller's bucket; "" when unknown.
func ClientFrom(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}

// RequestClient names a request's bucket: the one Authenticate settled on,
// else the remote address.
func RequestClient(r *http.Request) string {
	if c := ClientFrom(r.Context()); c != "" {
		return c
	}
	return addrClient(r)
}

func addrClient(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr:" + host
}

// wsConn is one WebSocket connection's state, put in its context when it
// is initialised.
type wsConn struct {
	mu     sync.Mutex
	active int
}

type wsConnKey struct{}

func withWSConn(ctx context.Context) context.Context {
	return context.WithValue(ctx, wsConnKey{}, &wsConn{})
}

// StreamLimits holds what the HTTP middleware cannot see: the operations a
// WebSocket carries after its one upgrade request, and subscriptions that
// live on. Every WebSocket operation takes a token from the caller's rate
// bucket, and a caller holds at most MaxSubscriptions subscriptions on one
// connection and across all its connections and SSE streams.
type StreamLimits struct {
	Limiter          *RateLimiter
	MaxSubscriptions int // 0: no cap

	mu     sync.Mutex
	perKey map[string]int
}

// NewStreamLimits returns limits over a rate limiter (nil: none).
func NewStreamLimits(l *RateLimiter, maxSubscriptions int) *StreamLimits {
	return &StreamLimits{Limiter: l, MaxSubscriptions: maxSubscriptions, perKey: map[string]int{}}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*StreamLimits)(nil)

func (*StreamLimits) ExtensionName() string                   { return "StreamLimits" }
func (*StreamLimits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters takes a rate-limit token for each operation a
// WebSocket carries, before its query is parsed (HTTP requests took theirs
// in the middleware).
func (s *StreamLimits) MutateOperationParameters(ctx context.Context, _ *graphql.RawParams) *gqlerror.Error {
	if _, ws := ctx.Value(wsConnKey{}).(*wsConn); ws && s.Limiter != nil && !s.Limiter.Allow(ClientFrom(ctx)) {
		return &gqlerror.Error{Message: "rate limit exceeded; retry later", Extensions: map[string]any{"code": "RATE_LIMITED"}}
	}
	return nil
}

// Operations is the operation middleware capping subscriptions.
func (s *StreamLimits) Operations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	conn, _ := ctx.Value(wsConnKey{}).(*wsConn)
	client := ClientFrom(ctx)
	oc := graphql.GetOperationContext(ctx)
	if s.MaxSubscriptions <= 0 || oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	release, ok := s.acquire(conn, client)
	if !ok {
		return refuse(fmt.Sprintf("at most %d subscriptions may be open at once", s.MaxSubscriptions), "SUBSCRIPTION_LIMIT")
	}
	// The operation's context ends when the subscription does, however it
	// ends (the client's complete, the source closing, the connection).
	context.AfterFunc(ctx, release)
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if resp == nil {
			release()
		}
		return resp
	}
}

// acquire counts one more subscription for the connection and the client,
// unless either is at the cap; release undoes it once.
func (s *StreamLimits) acquire(conn *wsConn, client string) (release func(), ok bool) {
	if conn != nil {
		conn.mu.Lock()
		if conn.active >= s.MaxSubscriptions {
			conn.mu.Unlock()
			return nil, false
		}
		conn.active++
		conn.mu.Unlock()
	}
	s.mu.Lock()
	if s.perKey[client] >= s.MaxSubscriptions {
		s.mu.Unlock()
		if conn != nil {
			conn.mu.Lock()
			conn.active--
			conn.mu.Unlock()
		}
		return nil, false
	}
	s.perKey[client]++
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			if conn != nil {
				conn.mu.Lock()
				conn.active--
				conn.mu.Unlock()
			}
			s.mu.Lock()
			if s.perKey[client]--; s.perKey[client] <= 0 {
				delete(s.perKey, client)
			}
			s.mu.Unlock()
		})
	}, true
}

func refuse(msg, code string) graphql.ResponseHandler {
	return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{Message: msg, Extensions: map[string]any{"code": code}}}})
}

// Allow takes one token from client's bucket, reporting whether there was one.
func (rl *RateLimiter) Allow(client string) bool {
	if rl == nil || rl.rate <= 0 {
		return true
	}
	now := time.Now()
	return rl.limiter(client, now).AllowN(now, 1)
}
