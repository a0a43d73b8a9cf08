package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopmuse/shopmuse/metrics"
)

// Options configure the GraphQL endpoint.
type Options struct {
	Keys          Keys
	MaxDepth      int           // 0 disables
	MaxComplexity int           // 0 disables
	Timeout       time.Duration // per query or mutation; 0 disables
	// Introspection: who may introspect (GraphiQL needs it).
	Introspection Introspection
	// Streams limits WebSocket operations and open subscriptions (nil: none).
	Streams *StreamLimits
	// MaxTokens caps the tokens the parser reads (0: DefaultMaxTokens);
	// MaxRepeats caps how often one response name may be selected in one
	// selection set (0: DefaultMaxRepeats). Both bound validation's work.
	MaxTokens  int
	MaxRepeats int
	// WSInitTimeout is how long a WebSocket may wait before connection_init
	// (0: DefaultWSInitTimeout).
	WSInitTimeout time.Duration
	Metrics       *metrics.Metrics
	Log           *slog.Logger
	// Middleware are extra operation middlewares (per-request dataloaders).
	Middleware []graphql.OperationMiddleware
}

// Defaults of the parser and WebSocket limits. GraphiQL's introspection
// query is about 300 tokens; a product page with fragments a few hundred.
const (
	DefaultMaxTokens     = 10_000
	DefaultMaxRepeats    = 20
	DefaultWSInitTimeout = 10 * time.Second
)

// GraphQLHandler is the /graphql endpoint: every transport, the query and
// APQ caches, limits, role checks and metrics around the executable schema.
func GraphQLHandler(es graphql.ExecutableSchema, o Options) http.Handler {
	if o.MaxTokens <= 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	if o.MaxRepeats <= 0 {
		o.MaxRepeats = DefaultMaxRepeats
	}
	if o.WSInitTimeout <= 0 {
		o.WSInitTimeout = DefaultWSInitTimeout
	}
	srv := handler.New(es)
	srv.SetParserTokenLimit(o.MaxTokens)
	// SSE must come before POST, which would otherwise take
	// text/event-stream requests.
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(transport.Websocket{
		Implementation:        transport.CoderWebsocketImplementation{},
		KeepAlivePingInterval: 10 * time.Second,
		InitFunc:              o.Keys.WebsocketInit,
		InitTimeout:           o.WSInitTimeout,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(NewQueryCache(QueryCacheBytes))
	srv.Use(IntrospectionPolicy{Mode: o.Introspection})
	// Automatic persisted queries: BFFs send a hash instead of the query text.
	srv.Use(extension.AutomaticPersistedQuery{Cache: NewAPQCache(APQCacheBytes)})
	// After APQ, which fills in the text of a hash, and before parsing:
	// a WebSocket operation's rate-limit token, then the document's shape.
	if o.Streams != nil {
		srv.Use(o.Streams)
	}
	srv.Use(ShapeLimit{MaxTokens: o.MaxTokens, MaxRepeats: o.MaxRepeats})
	if o.MaxComplexity > 0 {
		srv.Use(&CostLimit{Max: o.MaxComplexity})
	}
	if o.MaxDepth > 0 {
		srv.Use(DepthLimit{Max: o.MaxDepth})
	}
	if o.Metrics != nil {
		srv.Use(GraphQL{M: o.Metrics})
	}
	if o.Keys.Enabled() {
		srv.AroundFields(Guard)
	}
	if o.Streams != nil {
		srv.AroundOperations(o.Streams.Operations)
	}
	for _, mw := range o.Middleware {
		srv.AroundOperations(mw)
	}
	srv.AroundResponses(OperationTimeout(o.Timeout))
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		gerr := presentError(ctx, err, log)
		if id := RequestID(ctx); id != "" {
			gerr.Extensions = maps.Clone(gerr.Extensions)
			if gerr.Extensions == nil {
				gerr.Extensions = map[string]any{}
			}
			gerr.Extensions["requestID"] = id
		}
		return gerr
	})
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "request_id", RequestID(ctx), "panic", fmt.Sprint(p))
		return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"}}
	})
	return srv
}

// presentError gives the client a code for every error. Errors that carry
// one (ours: NOT_FOUND, FORBIDDEN, BAD_USER_INPUT…; gqlgen's parse and
// validation) keep their message, written for clients; any other error is
// internal: its detail (an embedding provider's answer, a store path) goes
// to the log, and the client gets a generic message, the code and the
// request ID to quote.
func presentError(ctx context.Context, err error, log *slog.Logger) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	if _, ok := gerr.Extensions["code"]; ok {
		return gerr
	}
	if !graphql.HasOperationContext(ctx) {
		// The request itself was malformed (a body that is not a GraphQL
		// request): the client's mistake, not ours.
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		gerr.Extensions["code"] = "BAD_REQUEST"
		if r := []rune(gerr.Message); len(r) > 200 {
			gerr.Message = string(r[:200]) + "…"
		}
		return gerr
	}
	var inner *gqlerror.Error
	if errors.As(err, &inner) && inner.Extensions["code"] != nil {
		gerr.Extensions = maps.Clone(inner.Extensions)
		return gerr
	}
	code, msg := "INTERNAL_SERVER_ERROR", "internal error"
	if errors.Is(err, context.DeadlineExceeded) {
		code, msg = "TIMEOUT", "the operation took too long"
	}
	log.ErrorContext(ctx, "graphql error", "request_id", RequestID(ctx), "code", code, "err", err, "path", gerr.Path.String())
	gerr.Message = msg + "; quote the request ID to the operator"
	gerr.Extensions = map[string]any{"code": code}
	return gerr
}
