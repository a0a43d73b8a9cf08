package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/review"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vision"
)

// Image facts (issue 18 part 3): a vision model reads the product's image
// and what it reports waits, PENDING, for an admin; approved facts are
// written and checked into copy like catalogue attributes.

// ExtractImageFacts reads an uploaded image (base64) or, without one, the
// product's imageURL, and stores what the model saw as PENDING facts; with
// an image embedder an uploaded image is embedded too. A bad image, an
// unreachable URL or a malformed answer is a userError and stores nothing.
func (a *App) ExtractImageFacts(ctx context.Context, productID string, image *string) ([]review.Fact, []shop.UserError, error) {
	ue := func(field, code string, err error) ([]review.Fact, []shop.UserError, error) {
		var f []string
		if field != "" {
			f = []string{field}
		}
		return nil, []shop.UserError{{Field: f, Code: shop.ErrorCode(code), Message: err.Error()}}, nil
	}
	if a.vision == nil {
		return ue("", string(shop.CodeInvalid), errNoVision)
	}
	p, err := a.Store.Product(ctx, productID)
	if err != nil {
		return nil, nil, err
	}
	if p == nil {
		return ue("productID", string(shop.CodeNotFound), fmt.Errorf("no product with id %q", productID))
	}
	var data []byte
	var mime string
	field := "image"
	if image != nil {
		data, mime, err = vision.Decode(*image)
	} else {
		field = "productID"
		if p.ImageURL == "" {
			return ue(field, string(shop.CodeRequired), errors.New("the product has no imageURL; upload an image"))
		}
		data, mime, err = a.vision.Fetch(ctx, p.ImageURL)
	}
	if err != nil {
		code := shop.CodeInvalid
		if len(data) > vision.MaxImageBytes {
			code = shop.CodeTooLarge
		}
		return ue(field, string(code), err)
	}
	cands, err := a.vision.Extract(ctx, data, mime)
	switch {
	case errors.Is(err, vision.ErrMalformed):
		a.imageMalformed.Inc()
		return ue(field, string(shop.CodeInvalid), fmt.Errorf("the vision model's answer was not usable, nothing was stored: %w", err))
	case errors.Is(err, vision.ErrModel):
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		// The provider's error can quote its address, its upstreams and
		// the key it was sent: the log has it, the client a summary.
		a.log.ErrorContext(ctx, "vision model", "product", p.ID, "err", err)
		return ue(field, string(shop.CodeInvalid), errVisionFailed)
	case err != nil:
		return nil, nil, err
	}
	vision.Flag(p, cands)
	facts := make([]review.Fact, len(cands))
	for i, c := range cands {
		facts[i] = review.Fact{Name: c.Name, Value: c.Value, Confidence: c.Confidence}
		if c.Warning != "" {
			facts[i].Warning = &c.Warning
		}
	}
	added, err := a.Review.AddCandidates(ctx, p.ID, facts)
	if err != nil {
		return nil, nil, err
	}
	if image != nil && a.Images != nil {
		// The uploaded image is the product's too: with an image
		// embedder its vector feeds similarProducts and the content
		// retriever, as an imageURL's does (embedded in the background).
		a.Images.EmbedUpload(p.ID, p.ImageURL, data, mime)
	}
	return added, nil, nil
}

// errVisionFailed is what a client learns of a failed vision model call.
var errVisionFailed = errors.New("the vision model could not be reached or failed; nothing was stored (the server log has the details)")

// ApproveImageFacts approves facts: copy written from now on may state them.
func (a *App) ApproveImageFacts(ctx context.Context, actor, productID string, ids []string) ([]review.Fact, []shop.UserError, error) {
	return a.Review.DecideFacts(ctx, actor, productID, ids, copywriter.StatusApproved)
}

// RejectImageFacts rejects facts: copy never states them.
func (a *App) RejectImageFacts(ctx context.Context, actor, productID string, ids []string) ([]review.Fact, []shop.UserError, error) {
	return a.Review.DecideFacts(ctx, actor, productID, ids, copywriter.StatusRejected)
}

// openReview builds the review workflow and, when a model is configured,
// the image reader.
func (a *App) openReview() error {
	a.Review = review.New(a.Store, review.Options{On: a.cfg.CopyReview, Now: a.cfg.Now, Log: a.log})
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "shopmuse_image_facts_malformed_total",
		Help: "Vision model answers refused as malformed (nothing was stored)."})
	if err := a.Metrics.Registry.Register(c); err != nil {
		are, ok := err.(prometheus.AlreadyRegisteredError)
		if !ok {
			return fmt.Errorf("register image metrics: %w", err)
		}
		c = are.ExistingCollector.(prometheus.Counter)
	}
	a.imageMalformed = c
	if a.cfg.Vision != nil {
		vc := *a.cfg.Vision
		vc.Logger = a.log
		// Vision calls share the LLM calls' slots: one bound on the model
		// calls in flight, whichever feature makes them. With no
		// fallback to answer, a vision call waits for a slot as long as
		// its own timeout allows.
		lim, err := a.llm()
		if err != nil {
			return err
		}
		var base http.RoundTripper
		if vc.HTTPClient != nil {
			base = vc.HTTPClient.Transport
		}
		vc.HTTPClient = &http.Client{Transport: lim.wrap(a.Metrics.InstrumentLLM(vc.Provider, base), 0)}
		v, err := vision.New(vc)
		if err != nil {
			return err
		}
		a.vision = v
	}
	a.log.Info("copy review", "on", a.cfg.CopyReview, "vision", a.vision != nil)
	return nil
}
