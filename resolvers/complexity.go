package resolvers

import (
	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/merch"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

// Complexity costs: a list costs its page size times what each element
// selects; writes cost one per row.
func setComplexity(c *graph.ComplexityRoot) {
	page := func(first *int, def, child int) int { return max(1, intOr(first, def)) * max(1, child) }
	c.Query.Products = func(child int, first *int, _ *string, _ *shop.ProductFilter) int { return page(first, 20, child) }
	c.Query.Users = func(child int, first *int, _ *string) int { return page(first, 20, child) }
	c.Query.SearchProducts = func(child int, _ string, first *int, _ *shop.ProductFilter) int { return 5 + page(first, 10, child) }
	c.Query.SimilarProducts = func(child int, _ string, first *int, _ *shop.ProductFilter) int { return 2 + page(first, 10, child) }
	c.Product.Similar = func(child int, first *int) int { return 2 + page(first, 10, child) }
	c.User.Interactions = func(child int, first *int) int { return page(first, 20, child) }
	c.Query.Recommendations = func(child int, _ *string, first *int, _ *recommend.Placement, _ *shop.ProductFilter, _ *shop.Language, _ []string) int {
		return 10 + page(first, 10, child)
	}
	c.Query.ProductRecommendations = func(child int, _ string, _ *recommend.Intent, first *int, _ *shop.ProductFilter, _ *shop.Language, _ []string) int {
		return 5 + page(first, 10, child)
	}
	c.User.Recommendations = func(child int, first *int, _ *recommend.Placement) int { return 10 + page(first, 10, child) }
	// Writing copy and training are the expensive calls.
	c.Query.GeneratedCopy = func(child int, _ string, _ *model.PersonaInput, _ *copywriter.Channel, _ *shop.Language, variants *int) int {
		return 50*max(1, intOr(variants, 1)) + child
	}
	c.Subscription.CopyStream = func(child int, _ string, _ *model.PersonaInput, _ *copywriter.Channel, _ *shop.Language) int {
		return 50 + child
	}
	c.Mutation.TrainModels = func(child int) int { return 1000 + child }
	// An answer may be an LLM call, like a variant of copy.
	c.Query.Ask = func(child int, _ model.AskInput) int { return 50 + child }
	c.Subscription.AskStream = func(child int, _ model.AskInput) int { return 50 + child }
	c.Query.UnansweredQuestions = func(child int, first *int, _ *string) int { return 20 + page(first, 20, child) }
	// Up to 200 entries of up to 2,000 characters each: priced as a page of 20.
	c.Product.Qas = func(child int) int { return 20 * max(1, child) }
	// Personal copy is cached after the first call; its cost is that first call.
	c.Recommendation.Copy = func(child int, _ *copywriter.Channel, _ *shop.Language) int { return 20 + child }
	c.Query.CopyPerformance = func(child int, _ string, _ *copywriter.Channel) int { return 20 + child }
	c.Mutation.CreateCampaign = func(child int, _ model.CampaignInput) int { return 500 + child }
	c.Campaign.MessageList = func(child int, first *int, _ *string) int { return page(first, 20, child) }
	c.Mutation.UpsertProducts = func(child int, in []shop.ProductInput) int { return child + len(in) }
	c.Mutation.UpsertUsers = func(child int, in []shop.UserInput) int { return child + len(in) }
	c.Mutation.RecordInteractions = func(child int, in []shop.InteractionInput) int { return child + len(in) }
	c.Mutation.DeleteProducts = func(child int, ids []string) int { return child + len(ids) }
	c.Query.Experiments = func(child int, first *int, _ *string) int { return page(first, 20, child) }
	// A report scans the experiment's counters and every served shopper's
	// assignment counter, and draws 40,000 posterior samples.
	c.Query.ExperimentReport = func(child int, _ string) int { return 200 + child }
	// Review (issue 18): pages like any list; decisions one per ID; a batch
	// job and reading an image are the expensive calls.
	// The queue is filtered by scanning the records (totalCount scans them all).
	c.Query.CopyReviewQueue = func(child int, first *int, _ *string, _ *model.CopyReviewFilter) int {
		return 200 + page(first, 20, child)
	}
	c.Query.CopyReviewAudit = func(child int, _ *string, first *int, _ *string) int { return page(first, 50, child) }
	c.Mutation.ApproveCopy = func(child int, ids, _ []string) int { return child + len(ids) }
	c.Mutation.RejectCopy = func(child int, ids []string, _ string, _ []string) int { return child + len(ids) }
	c.Mutation.EditCopy = func(child int, _ string, _ *string, _ string, _ *string) int { return 20 + child }
	c.Mutation.GenerateCopyBatch = func(child int, _ *shop.ProductFilter, _ []copywriter.Channel, _ []model.PersonaInput) int {
		return 500 + child
	}
	c.Mutation.ExtractImageFacts = func(child int, _ string, _ *string) int { return 200 + child }
	c.Mutation.UpsertProductQAs = func(child int, in []assistant.QA) int { return child + len(in) }
	c.Mutation.DeleteProductQAs = func(child int, ids []string) int { return child + len(ids) }
	c.Query.MerchandisingRules = func(child int, first *int, _ *string) int { return page(first, 20, child) }
	c.Mutation.UpsertMerchandisingRules = func(child int, in []merch.RuleInput) int { return child + len(in) }
	c.Mutation.DeleteMerchandisingRules = func(child int, ids []string) int { return child + len(ids) }
}
