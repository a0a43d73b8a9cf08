package assistant

import "github.com/shopmuse/shopmuse/shop"

// Intent is what a question asks for, before any fact is looked up.
type Intent string

// Intents.
const (
	// IntentProduct asks about one product (attributes, price, promotion,
	// in the box, compatibility).
	IntentProduct Intent = "PRODUCT"
	// IntentNeed asks for products that fit a need.
	IntentNeed Intent = "NEED"
	// IntentComparison compares two products.
	IntentComparison Intent = "COMPARISON"
	// IntentHandoff is for customer service: orders, refunds, delivery.
	IntentHandoff Intent = "HANDOFF"
)

// Parsed is a question read without the catalogue: the LLM answerer reuses
// it to pick facts and to honour filters.
type Parsed struct {
	Intent   Intent
	Language shop.Language
	// Topics are the canonical attribute topics asked about (battery,
	// screen, weight, price, ...), in the order they appear.
	Topics []string
	// Filter holds the price range, category and brand of a need question.
	Filter shop.ProductFilter
	// Query is the text to search candidates with (price words removed).
	Query string
	// Tags are catalogue tags the need names (拍照, 降噪, ...).
	Tags []string
	// Mentions are product names or models mentioned for a comparison.
	Mentions []string
	// HandoffTopic says why a question is out of scope (order, refund, ...).
	HandoffTopic string
}

// Parse reads intent, topics and filters from the question's text.
func Parse(q Question) Parsed {
	return Parsed{Intent: IntentProduct, Language: q.Language, Query: q.Text}
}
