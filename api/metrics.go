package api

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopmuse/shopmuse/metrics"
)

// CountHTTP counts responses by status class.
func CountHTTP(m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.HTTPRequests.WithLabelValues(metrics.StatusClass(sw.status)).Inc()
	})
}

// GraphQL is a gqlgen extension recording operations, latency and errors.
type GraphQL struct{ M *metrics.Metrics }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = GraphQL{}

func (GraphQL) ExtensionName() string                   { return "Metrics" }
func (GraphQL) Validate(graphql.ExecutableSchema) error { return nil }

func (g GraphQL) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	start := time.Now()
	resp := next(ctx)
	oc := graphql.GetOperationContext(ctx)
	typ := "invalid"
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
		for _, f := range rootFields(oc.Operation.SelectionSet) {
			g.M.Operations.WithLabelValues(typ, f).Inc()
		}
	}
	// Subscriptions answer once per event; only the first counts as latency.
	if typ != string(ast.Subscription) {
		g.M.OperationTime.WithLabelValues(typ).Observe(time.Since(start).Seconds())
	}
	if resp != nil {
		for _, e := range resp.Errors {
			g.M.Errors.WithLabelValues(ErrorCode(e)).Inc()
		}
	}
	return resp
}

// ErrorCode is a GraphQL error's extensions.code, or INTERNAL.
func ErrorCode(e *gqlerror.Error) string {
	if c, ok := e.Extensions["code"].(string); ok && c != "" {
		return c
	}
	var ge *gqlerror.Error
	if errors.As(e.Unwrap(), &ge) && ge != e {
		return ErrorCode(ge)
	}
	return "INTERNAL"
}

func rootFields(set ast.SelectionSet) []string {
	seen := map[string]bool{}
	for _, sel := range set {
		if f, ok := sel.(*ast.Field); ok {
			name := f.Name
			if strings.HasPrefix(name, "__") {
				name = "__introspection"
			}
			seen[name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
