// Package resolvers is the thin translation between GraphQL and shopmuse's
// use cases (package app): queries read the app's engines, mutations call
// its use cases.
//
// One file-naming rule, checked by TestFileNamingRule: a resolver method
// lives in resolver_<kind>_<domain>.go, where kind is query, mutation,
// subscription (the root types' fields) or model (the fields of the other
// types). Besides those: resolver.go (the root and shared helpers),
// loaders.go (per-operation batching) and complexity.go (query costs).
package resolvers

import (
	"context"
	"log/slog"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/pagination"
)

// Resolver is the root of every resolver. Queries read the app's engines;
// every write goes through the app's use cases.
type Resolver struct {
	app *app.App
	log *slog.Logger
	// maxFirst caps page sizes.
	maxFirst int
}

// Options tune the resolvers.
type Options struct {
	Log *slog.Logger
	// MaxFirst caps page sizes; 0 means pagination.DefaultMaxFirst.
	MaxFirst int
}

// New returns the resolver root over an opened app.
func New(a *app.App, o Options) *Resolver {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.MaxFirst <= 0 {
		o.MaxFirst = pagination.DefaultMaxFirst
	}
	return &Resolver{app: a, log: o.Log, maxFirst: o.MaxFirst}
}

// Config is the gqlgen configuration with this root and the complexity costs.
func (r *Resolver) Config() graph.Config {
	c := graph.Config{Resolvers: r}
	setComplexity(&c.Complexity)
	return c
}

func (r *Resolver) Query() graph.QueryResolver               { return &queryResolver{r} }
func (r *Resolver) Mutation() graph.MutationResolver         { return &mutationResolver{r} }
func (r *Resolver) Product() graph.ProductResolver           { return &productResolver{r} }
func (r *Resolver) User() graph.UserResolver                 { return &userResolver{r} }
func (r *Resolver) Interaction() graph.InteractionResolver   { return &interactionResolver{r} }
func (r *Resolver) ProductHit() graph.ProductHitResolver     { return &productHitResolver{r} }
func (r *Resolver) Subscription() graph.SubscriptionResolver { return &subscriptionResolver{r} }
func (r *Resolver) Recommendation() graph.RecommendationResolver {
	return &recommendationResolver{r}
}
func (r *Resolver) RecommendationReason() graph.RecommendationReasonResolver {
	return &recommendationReasonResolver{r}
}
func (r *Resolver) TrainingRun() graph.TrainingRunResolver     { return &trainingRunResolver{r} }
func (r *Resolver) ModelTraining() graph.ModelTrainingResolver { return &modelTrainingResolver{r} }

type queryResolver struct{ *Resolver }
type mutationResolver struct{ *Resolver }
type productResolver struct{ *Resolver }
type userResolver struct{ *Resolver }
type interactionResolver struct{ *Resolver }
type productHitResolver struct{ *Resolver }
type subscriptionResolver struct{ *Resolver }

// Error codes of top-level GraphQL errors (extensions.code).
const (
	CodeBadUserInput = "BAD_USER_INPUT"
	CodeInternal     = "INTERNAL_SERVER_ERROR"
)

// notFound is a top-level error for a query naming something that does not exist.
func notFound(msg string) error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "NOT_FOUND"}}
}

// badInput is a top-level error for a malformed argument of a query; the
// mutations report business errors in userErrors instead.
func badInput(msg string) error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeBadUserInput}}
}

// selfID is a user ID argument, which a shopper token may omit to mean
// itself (api.Guard has checked that a given one is its own).
func selfID(ctx context.Context, id *string, arg string) (string, error) {
	if id != nil {
		return *id, nil
	}
	if s, ok := api.ShopperFrom(ctx); ok {
		return s, nil
	}
	return "", badInput(arg + " is required (only a shopper token may omit it)")
}

// checkFirst validates a page size against the configured maximum.
func (r *Resolver) checkFirst(n int) error {
	if err := pagination.CheckFirst(n, r.maxFirst); err != nil {
		return badInput(err.Error())
	}
	return nil
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func strOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
