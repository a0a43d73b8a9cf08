package resolvers

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/99designs/gqlgen/client"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/graph"
)

// newApp opens a real app on a temporary data directory, without the demo.
func newApp(t testing.TB) *app.App {
	t.Helper()
	a, err := app.Open(context.Background(), app.Config{Data: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Error(err)
		}
	})
	return a
}

// newAppClient serves GraphQL over a's resolvers as the service does: the
// per-operation loaders and a query cache.
func newAppClient(a *app.App) *client.Client {
	res := New(a, Options{})
	srv := handler.New(graph.NewExecutableSchema(res.Config()))
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](100))
	srv.AroundOperations(res.LoaderMiddleware)
	return client.New(srv)
}
