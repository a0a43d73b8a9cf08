package resolvers

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// loaderWait is how long a loader gathers keys before one batched read.
// gqlgen resolves the elements of a list concurrently, so a short wait is
// enough to catch a whole list; the library's 16 ms default would show in
// every latency percentile.
const loaderWait = 500 * time.Microsecond

// loaders batch and cache product and user reads within one operation, so a
// list of N hits costs one store read, not N.
type loaders struct {
	products *dataloadgen.Loader[string, *shop.Product]
	users    *dataloadgen.Loader[string, *shop.User]
	// personas caches user ID -> persona.Persona for the operation.
	personas sync.Map
}

type loadersKey struct{}

func newLoaders(st store.Store) *loaders {
	return &loaders{
		products: dataloadgen.NewLoader(func(ctx context.Context, ids []string) ([]*shop.Product, []error) {
			ps, err := st.Products(ctx, ids)
			return ps, batchErr(err, len(ids))
		}, dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(1000)),
		users: dataloadgen.NewLoader(func(ctx context.Context, ids []string) ([]*shop.User, []error) {
			us, err := st.Users(ctx, ids)
			return us, batchErr(err, len(ids))
		}, dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(1000)),
	}
}

func batchErr(err error, n int) []error {
	if err == nil {
		return nil
	}
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// LoaderMiddleware gives every operation fresh loaders: caching across
// operations would serve stale data after a mutation.
func (r *Resolver) LoaderMiddleware(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(context.WithValue(ctx, loadersKey{}, newLoaders(r.app.Store)))
}

// product loads one product through the operation's loader when there is
// one (tests may run without the middleware), else straight from the store.
func (r *Resolver) product(ctx context.Context, id string) (*shop.Product, error) {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l.products.Load(ctx, id)
	}
	return r.app.Store.Product(ctx, id)
}

func (r *Resolver) user(ctx context.Context, id string) (*shop.User, error) {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l.users.Load(ctx, id)
	}
	return r.app.Store.User(ctx, id)
}
