package resolvers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/review"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

func (r *queryResolver) GeneratedCopy(ctx context.Context, productID string, persona *model.PersonaInput, channel *copywriter.Channel, language *shop.Language, variants *int) (*model.GeneratedCopy, error) {
	req, err := r.copyRequest(ctx, productID, persona, channel, language, intOr(variants, 1))
	if err != nil {
		return nil, err
	}
	ctx = reviewContext(ctx, persona)
	res, err := r.app.Copy.Generate(subjectOf(ctx, persona), req)
	if err != nil {
		return nil, copyErr(err)
	}
	r.countCopy(res)
	if err := r.app.Review.Annotate(ctx, &res, req.Product, !seesDrafts(ctx)); err != nil {
		return nil, err
	}
	return generatedCopy(req.Product, res), nil
}

// seesDrafts reports whether the caller may read copy nobody approved yet
// (with review on): service and admin keys. Catalog keys and shopper
// tokens are what shoppers see, so they get approved copy only.
func seesDrafts(ctx context.Context) bool { return api.RoleFrom(ctx) >= api.RoleService }

// reviewContext keeps catalog keys, which write nothing, from registering
// variants for review; and shopper tokens too when they describe the
// persona themselves: the first words registered for a variant are the
// words the queue offers for approval to every shopper of that segment,
// and a shopper must not get to choose them (with a model, by what their
// description tells it). Their own profile's persona still registers.
func reviewContext(ctx context.Context, in *model.PersonaInput) context.Context {
	role := api.RoleFrom(ctx)
	if role < api.RoleShopper || role == api.RoleShopper && in != nil &&
		(in.Description != nil || len(in.Interests) > 0 || in.Age != nil || in.Gender != nil) {
		return review.ReadOnly(ctx)
	}
	return ctx
}

// subjectOf marks copy written for a user's persona as that user's data,
// so that erasing the user erases it from the cache.
func subjectOf(ctx context.Context, in *model.PersonaInput) context.Context {
	if in != nil && in.UserID != nil {
		return store.WithSubject(ctx, *in.UserID)
	}
	return ctx
}

// copyRequest validates the arguments of generatedCopy and copyStream and
// resolves the product and persona.
func (r *Resolver) copyRequest(ctx context.Context, productID string, in *model.PersonaInput, channel *copywriter.Channel, language *shop.Language, variants int) (copywriter.Request, error) {
	if variants < 1 || variants > copywriter.MaxVariants {
		return copywriter.Request{}, badInput(fmt.Sprintf("variants must be between 1 and %d", copywriter.MaxVariants))
	}
	p, err := r.product(ctx, productID)
	if err != nil {
		return copywriter.Request{}, err
	}
	if p == nil {
		return copywriter.Request{}, notFound(fmt.Sprintf("no product with id %q", productID))
	}
	persona, err := r.persona(ctx, in)
	if err != nil {
		return copywriter.Request{}, err
	}
	ch := copywriter.ChannelDetail
	if channel != nil {
		ch = *channel
	}
	return copywriter.Request{Product: p, Persona: persona, Channel: ch, Language: language, Variants: variants}, nil
}

// persona builds the persona of a PersonaInput: the user's portrait, refined
// by what the input states (persona.Merge).
func (r *Resolver) persona(ctx context.Context, in *model.PersonaInput) (persona.Persona, error) {
	var p persona.Persona
	if in == nil {
		return p, nil
	}
	if in.UserID != nil {
		u, err := r.user(ctx, *in.UserID)
		if err != nil {
			return p, err
		}
		if u == nil {
			return p, notFound(fmt.Sprintf("persona.userID: no user with id %q", *in.UserID))
		}
		if p, err = r.userPersona(ctx, u); err != nil {
			return p, err
		}
	}
	p, err := persona.Merge(p, persona.Input{Description: in.Description, Age: in.Age, Gender: in.Gender, Interests: in.Interests})
	if errors.Is(err, persona.ErrInvalidInput) {
		return p, badInput("persona." + err.Error())
	}
	return p, err
}

// userPersona is a user's declared profile plus their recent behaviour.
func (r *Resolver) userPersona(ctx context.Context, u *shop.User) (persona.Persona, error) {
	return engage.UserPersona(ctx, r.app.Store, u)
}

func (r *Resolver) countCopy(res copywriter.Result) {
	result := "miss"
	if res.Cached {
		result = "hit"
	}
	r.app.Metrics.CacheLookups.WithLabelValues("copy", result).Inc()
	r.app.Metrics.CopyGenerated.WithLabelValues(generatorLabel(res.Generator)).Inc()
}

// generatorLabel keeps the metric label set small: template, mixed, llm.
func generatorLabel(g string) string {
	if strings.HasPrefix(g, "llm:") {
		return "llm"
	}
	return g
}

func generatedCopy(p *shop.Product, res copywriter.Result) *model.GeneratedCopy {
	return &model.GeneratedCopy{Product: p, Channel: res.Channel, Language: res.Language, Persona: res.PersonaText,
		Generator: res.Generator, Cached: res.Cached, Variants: nonNil(res.Variants)}
}

func copyErr(err error) error {
	if errors.Is(err, copywriter.ErrInvalidRequest) {
		return badInput(err.Error())
	}
	return err
}

func (r *queryResolver) CopyPerformance(ctx context.Context, productID string, channel *copywriter.Channel) (*model.CopyPerformance, error) {
	p, err := r.product(ctx, productID)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, notFound(fmt.Sprintf("no product with id %q", productID))
	}
	ch := copywriter.ChannelPush
	if channel != nil {
		ch = *channel
	}
	perf, err := r.app.Engage.Performance(ctx, productID, ch)
	if err != nil {
		return nil, err
	}
	out := &model.CopyPerformance{Product: p, Channel: ch, Variants: nonNil(perf.Variants)}
	for i := range perf.Variants {
		if perf.Variants[i].VariantID == perf.LeaderID {
			out.Leader = &perf.Variants[i]
		}
	}
	return out, nil
}
