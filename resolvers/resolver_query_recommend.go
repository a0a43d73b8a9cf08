package resolvers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *queryResolver) Recommendations(ctx context.Context, userID *string, first *int, placement *recommend.Placement, filter *shop.ProductFilter, language *shop.Language, exclude []string) ([]engage.Recommendation, error) {
	id, err := selfID(ctx, userID, "userID")
	if err != nil {
		return nil, err
	}
	return r.recommend(ctx, id, intOr(first, 10), placement, filter, language, exclude)
}

func (r *Resolver) recommend(ctx context.Context, userID string, n int, placement *recommend.Placement, filter *shop.ProductFilter, language *shop.Language, exclude []string) ([]engage.Recommendation, error) {
	if err := r.checkFirst(n); err != nil {
		return nil, err
	}
	if err := checkExclude(exclude); err != nil {
		return nil, err
	}
	if code, msg := shop.ValidateID(userID); code != "" {
		return nil, badInput("userID " + msg)
	}
	if err := checkPlacement(placement); err != nil {
		return nil, err
	}
	lang, err := r.userLanguage(ctx, userID, language)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	serve := r.app.ServeRecommendations
	if adminPreview(ctx) {
		serve = r.app.PreviewRecommendations
	}
	recs, err := serve(ctx, recommend.Request{UserID: userID, N: n, Filter: filter, Language: lang,
		Placement: placementIfGiven(ctx, placement), Exclude: exclude})
	if err != nil {
		return nil, err
	}
	r.app.Metrics.Recommendation.Observe(time.Since(start).Seconds())
	return recs, nil
}

// placementIfGiven is the placement the query names, or "" when it relies
// on the schema's default, so that an experiment arm may set the default.
func placementIfGiven(ctx context.Context, p *recommend.Placement) recommend.Placement {
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Field != nil && fc.Field.Arguments.ForName("placement") == nil {
		return ""
	}
	return placementOr(p)
}

// userLanguage is the language of reasons: the one asked for, else the
// user's (English when their declared profile has no Chinese), else ZH.
func (r *Resolver) userLanguage(ctx context.Context, userID string, language *shop.Language) (shop.Language, error) {
	if language != nil {
		return *language, nil
	}
	u, err := r.user(ctx, userID)
	if err != nil || u == nil {
		return shop.LanguageZH, err
	}
	text := strings.TrimSpace(u.Name + " " + strings.Join(u.Interests, " "))
	if text == "" {
		return shop.LanguageZH, nil
	}
	return shop.DetectLanguage(text), nil
}

func (r *queryResolver) ProductRecommendations(ctx context.Context, productID string, intent *recommend.Intent, first *int, filter *shop.ProductFilter, language *shop.Language, exclude []string) ([]engage.Recommendation, error) {
	n := intOr(first, 10)
	if err := r.checkFirst(n); err != nil {
		return nil, err
	}
	if err := checkExclude(exclude); err != nil {
		return nil, err
	}
	req := recommend.RelatedRequest{ItemID: productID, N: n, Filter: filter, Intent: recommend.IntentRelated, Exclude: exclude}
	if intent != nil {
		req.Intent = *intent
	}
	if language != nil {
		req.Language = *language
	} else if p, err := r.product(ctx, productID); err == nil && p != nil {
		req.Language = p.Language
	}
	recs, err := r.app.ServeRelated(ctx, req)
	if errors.Is(err, recommend.ErrUnknownItem) {
		return nil, notFound(fmt.Sprintf("no product with id %q", productID))
	}
	return recs, err
}

// checkExclude bounds the exclude argument: at most recommend.MaxExclude
// well-formed IDs (unknown ones are fine).
func checkExclude(ids []string) error {
	if len(ids) > recommend.MaxExclude {
		return badInput(fmt.Sprintf("exclude: at most %d products, got %d", recommend.MaxExclude, len(ids)))
	}
	for i, id := range ids {
		if code, msg := shop.ValidateID(id); code != "" {
			return badInput(fmt.Sprintf("exclude[%d]: %s", i, msg))
		}
	}
	return nil
}

func placementOr(p *recommend.Placement) recommend.Placement {
	if p == nil {
		return recommend.PlacementForYou
	}
	return *p
}

// checkPlacement refuses a placement the engine does not know: gqlparser
// matches enum variables case-insensitively, so "for_you" gets this far.
func checkPlacement(p *recommend.Placement) error {
	if p != nil && !p.IsValid() {
		return badInput(fmt.Sprintf("placement %q: want FOR_YOU, DISCOVER, CONTINUE or BUY_AGAIN", string(*p)))
	}
	return nil
}
