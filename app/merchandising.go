package app

import (
	"context"

	"github.com/shopmuse/shopmuse/merch"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

// openMerchandising loads the stored merchandising rules into the
// recommender.
func (a *App) openMerchandising(ctx context.Context) error {
	s, err := merch.Open(ctx, a.Store, func(m recommend.Merchandising) { a.Recommend.SetMerchandising(m) }, a.cfg.Now)
	if err != nil {
		return err
	}
	a.Merch = s
	a.log.Info("merchandising rules loaded", "rules", s.Count())
	// Another replica changed the rules: the next list applies them here too.
	a.ReloadOn(merch.Namespace, func(ctx context.Context, _ []string) error { return a.Merch.Reload(ctx) })
	return nil
}

// UpsertMerchandisingRules validates a batch of rules against the stored
// ones and stores it whole (or, on any error, nothing); the next
// recommendation applies it.
func (a *App) UpsertMerchandisingRules(ctx context.Context, in []merch.RuleInput) ([]merch.Rule, []shop.UserError, error) {
	return a.Merch.Upsert(ctx, in)
}

// DeleteMerchandisingRules deletes rules by ID; unknown IDs are ignored.
func (a *App) DeleteMerchandisingRules(ctx context.Context, ids []string) ([]string, []shop.UserError, error) {
	return a.Merch.Delete(ctx, ids)
}

// ReloadMerchandisingRules re-reads the rules from the store: the entry a
// replica calls when another replica changed them.
func (a *App) ReloadMerchandisingRules(ctx context.Context) error { return a.Merch.Reload(ctx) }
