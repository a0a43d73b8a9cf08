package app

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/experiment"
	"github.com/shopmuse/shopmuse/fatigue"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

// DefaultFlushEvery is how often buffered showings (frequency caps) and
// experiment exposures reach the store: what a SIGKILL can lose at most.
const DefaultFlushEvery = time.Second

// openExperiments wires frequency caps and experiments over the store.
func (a *App) openExperiments(ctx context.Context) error {
	a.Fatigue = fatigue.New(a.Store, a.cfg.Fatigue, a.cfg.Now)
	var err error
	if a.Experiments, err = experiment.Open(ctx, a.Store, experiment.Options{Now: a.cfg.Now}); err != nil {
		return err
	}
	// Another replica created or stopped an experiment (or made the
	// signing secret): re-read them.
	a.ReloadOn(experiment.Namespace, func(ctx context.Context, _ []string) error { return a.Experiments.Reload(ctx) })
	return nil
}

// ServeRecommendations answers a shopper's recommendation list: the running
// experiment's arm for the shopper sets the tuning, rule sets and (when the
// request names no placement) the placement; items resting under the
// frequency cap are excluded; the items returned count as showings and as
// exposures of the arm (buffered, flushed every FlushEvery); and each item
// gets a recommendation ID for attribution. Lists without a user get the
// control and count nothing.
func (a *App) ServeRecommendations(ctx context.Context, req recommend.Request) ([]engage.Recommendation, error) {
	return a.serveRecommendations(ctx, req, true)
}

// PreviewRecommendations is the list ServeRecommendations would serve the
// shopper (their arm, their cap), for the merchant console's shopper view:
// looking at it counts no showing and no exposure, which would otherwise
// rest items and skew the experiment.
func (a *App) PreviewRecommendations(ctx context.Context, req recommend.Request) ([]engage.Recommendation, error) {
	return a.serveRecommendations(ctx, req, false)
}

func (a *App) serveRecommendations(ctx context.Context, req recommend.Request, count bool) ([]engage.Recommendation, error) {
	exp, arm := a.Experiments.Running(), -1
	if exp != nil && req.UserID != "" {
		arm = exp.Assign(req.UserID)
		c := exp.Arms[arm].Config
		req.Tuning = c.Tuning()
		if len(c.RuleSets) > 0 {
			req.RuleSets = slices.Concat(req.RuleSets, c.RuleSets)
		}
		if req.Placement == "" && c.Placement != nil {
			req.Placement = *c.Placement
		}
	} else {
		exp = nil
	}
	// CONTINUE and BUY_AGAIN are lists of what the shopper already chose
	// (an open cart, a consumable due again): showing them again is their
	// point, so the cap neither hides nor counts them there.
	capped := req.Placement != recommend.PlacementContinue && req.Placement != recommend.PlacementBuyAgain
	if capped {
		resting, err := a.Fatigue.Resting(ctx, req.UserID)
		if err != nil {
			return nil, err
		}
		if len(resting) > 0 {
			req.Exclude = slices.Concat(req.Exclude, resting)
		}
	}
	recs, err := a.Recommend.Recommend(ctx, req)
	if err != nil {
		return nil, err
	}
	if capped && count {
		ids := make([]string, len(recs))
		for i, r := range recs {
			ids[i] = r.ItemID
		}
		a.Fatigue.Shown(req.UserID, ids)
	}
	if count {
		a.Experiments.Exposed(exp, arm, req.UserID, len(recs))
	}
	return a.tagged(req.UserID, recs, exp, arm)
}

// ServeRelated answers product-to-product recommendations: no shopper, so
// no arm, no cap and no counting, but recommendation IDs all the same.
func (a *App) ServeRelated(ctx context.Context, req recommend.RelatedRequest) ([]engage.Recommendation, error) {
	recs, err := a.Recommend.Related(ctx, req)
	if err != nil {
		return nil, err
	}
	return a.tagged("", recs, nil, -1)
}

// tagged gives each item its recommendation ID and arm.
func (a *App) tagged(userID string, recs []recommend.Recommendation, exp *experiment.Experiment, arm int) ([]engage.Recommendation, error) {
	list, err := a.Experiments.NewList(userID, exp, arm)
	if err != nil {
		return nil, err
	}
	var armName *string
	if exp != nil {
		armName = &exp.Arms[arm].Name
	}
	out := engage.ForUser(userID, recs)
	for i := range out {
		out[i].RecommendationID = list.ID(i, out[i].ItemID)
		out[i].ExperimentArm = armName
	}
	return out, nil
}

// CreateExperiment validates and starts an experiment (admin only: the
// edge checks the role).
func (a *App) CreateExperiment(ctx context.Context, in experiment.Input) (*experiment.Experiment, []shop.UserError, error) {
	return a.Experiments.Create(ctx, in)
}

// StopExperiment ends an experiment; its report stays.
func (a *App) StopExperiment(ctx context.Context, id string) (*experiment.Experiment, []shop.UserError, error) {
	return a.Experiments.Stop(ctx, id)
}

// outcomeKey ties a recorded interaction back to its input.
type outcomeKey struct {
	user, product string
	kind          shop.InteractionKind
}

// verifyRecommendationIDs checks every recommendationID of a batch against
// its user and product, before anything is written: one not served to
// that user for that product is refused.
func (a *App) verifyRecommendationIDs(in []shop.InteractionInput) (map[outcomeKey]experiment.Claim, []shop.UserError) {
	var claims map[outcomeKey]experiment.Claim
	var errs []shop.UserError
	for i, it := range in {
		if it.RecommendationID == nil {
			continue
		}
		field := []string{"input", strconv.Itoa(i), "recommendationID"}
		id := *it.RecommendationID
		if len(id) > experiment.MaxIDLen {
			errs = append(errs, shop.UserError{Field: field, Code: shop.CodeTooLong,
				Message: fmt.Sprintf("must be at most %d bytes", experiment.MaxIDLen)})
			continue
		}
		c, err := a.Experiments.Verify(id, it.UserID, it.ProductID)
		if err != nil {
			errs = append(errs, shop.UserError{Field: field, Code: shop.CodeNotFound, Message: err.Error()})
			continue
		}
		if claims == nil {
			claims = map[outcomeKey]experiment.Claim{}
		}
		claims[outcomeKey{it.UserID, it.ProductID, it.Kind}] = c
	}
	return claims, errs
}

// afterRecorded lets recorded reactions reset the frequency cap and credit
// the experiment arm that served them. The events are stored by now, so a
// failure here is logged, not returned: the client must not retry them.
func (a *App) afterRecorded(ctx context.Context, recorded []shop.Interaction, claims map[outcomeKey]experiment.Claim) {
	var credited []string // users given an outcome record
	seen := map[string]bool{}
	defer func() { a.eraseCreditedIfErased(ctx, credited) }()
	for _, it := range recorded {
		switch it.Kind {
		case shop.KindClick, shop.KindAddToCart, shop.KindPurchase, shop.KindLike:
			if err := a.Fatigue.Reacted(ctx, it.UserID, it.ProductID); err != nil {
				a.log.Error("reset frequency cap", "err", err)
			}
		}
		c, ok := claims[outcomeKey{it.UserID, it.ProductID, it.Kind}]
		if !ok {
			continue
		}
		var revenue shop.Decimal
		if it.Kind == shop.KindPurchase {
			// Price × quantity; an interaction carries no quantity, so one.
			ps, err := a.Store.Products(ctx, []string{it.ProductID})
			if err != nil {
				a.log.Error("experiment revenue", "err", err)
			} else if len(ps) == 1 && ps[0] != nil {
				revenue = ps[0].Price.Amount
			}
		}
		if err := a.Experiments.Outcome(ctx, c, it.UserID, it.Kind, revenue); err != nil {
			a.log.Error("experiment outcome", "err", err)
		}
		if !seen[it.UserID] {
			seen[it.UserID] = true
			credited = append(credited, it.UserID)
		}
	}
}

// eraseCreditedIfErased erases again the experiment records of users
// erased while their outcomes were credited: an erasure that ran between
// the recording and the outcome's write (on this replica or another)
// missed the record. Checked after the write, this leaves none behind: an
// erasure committed after the check erases the records itself, after the
// write.
func (a *App) eraseCreditedIfErased(ctx context.Context, users []string) {
	if len(users) == 0 {
		return
	}
	exist, err := a.Store.Exist(ctx, false, users)
	if err != nil {
		a.log.Error("experiment outcome: check for erased users", "err", err)
		return
	}
	for i, ok := range exist {
		if ok {
			continue
		}
		if err := a.Experiments.EraseUser(ctx, users[i]); err != nil {
			a.log.Error("experiment outcome: erase the record of a user erased meanwhile", "err", err)
		}
	}
}

// eraseCounts removes a user's frequency-cap and experiment records.
func (a *App) eraseCounts(ctx context.Context, userID string) error {
	if err := a.Fatigue.EraseUser(ctx, userID); err != nil {
		return err
	}
	return a.Experiments.EraseUser(ctx, userID)
}

// FlushCounts writes buffered showings and exposures to the store.
func (a *App) FlushCounts(ctx context.Context) error {
	ferr := a.Fatigue.Flush(ctx)
	if err := a.Experiments.Flush(ctx); err != nil {
		return err
	}
	return ferr
}

// flushCountsEvery flushes until ctx ends, then once more.
func (a *App) flushCountsEvery(ctx context.Context) {
	every := a.cfg.FlushEvery
	if every <= 0 {
		every = DefaultFlushEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := a.FlushCounts(context.WithoutCancel(ctx)); err != nil {
				a.log.Error("flush counts", "err", err)
			}
			return
		case <-t.C:
			if err := a.FlushCounts(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("flush counts", "err", err)
			}
		}
	}
}
