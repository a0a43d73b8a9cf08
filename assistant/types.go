package assistant

import (
	"context"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/shop"
)

// Kind is what an answer is.
type Kind string

// Answer kinds, as the API's AnswerKind enum.
const (
	// KindAnswer answers a question about one product from its facts.
	KindAnswer Kind = "ANSWER"
	// KindProducts lists products for a need question, each with a reason.
	KindProducts Kind = "PRODUCTS"
	// KindComparison compares two products attribute by attribute.
	KindComparison Kind = "COMPARISON"
	// KindUnknown says the facts do not answer the question.
	KindUnknown Kind = "UNKNOWN"
	// KindHandoff sends the shopper to customer service: orders, refunds,
	// delivery — what a catalogue cannot know.
	KindHandoff Kind = "HANDOFF"
)

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool {
	switch k {
	case KindAnswer, KindProducts, KindComparison, KindUnknown, KindHandoff:
		return true
	}
	return false
}

// Refusal reports whether the kind declines to answer (UNKNOWN or HANDOFF).
func (k Kind) Refusal() bool { return k == KindUnknown || k == KindHandoff }

// Question is one shopper question.
type Question struct {
	Text string
	// ProductID is the product page the question was asked on ("" for none).
	ProductID string
	// UserID personalises need questions with the shopper's recommendations.
	UserID string
	// Language is "ZH", "EN" or "" to detect it from the text.
	Language shop.Language
	// ProductIDs names the products to compare (optional; otherwise names in
	// the text are resolved through the catalogue).
	ProductIDs []string
}

// Citation is one fact an answer used.
type Citation struct {
	ProductID string `json:"productID"`
	// Field is title, price, promotion, description, attribute:<name> or
	// qa:<id>.
	Field string `json:"field"`
	// Value is the fact as the catalogue states it.
	Value string `json:"value"`
}

// Citation field names (attributes and Q&A entries are prefixed).
const (
	FieldTitle       = "title"
	FieldPrice       = "price"
	FieldPromotion   = "promotion"
	FieldDescription = "description"
	FieldBrand       = "brand"
	FieldCategory    = "category"
	FieldAvailable   = "available"
	FieldAttrPrefix  = "attribute:"
	FieldQAPrefix    = "qa:"
)

// ProductHit is one product of a PRODUCTS answer.
type ProductHit struct {
	ProductID string  `json:"productID"`
	Reason    string  `json:"reason"`
	Score     float64 `json:"score"`
}

// Answer is what the assistant says.
type Answer struct {
	Kind      Kind         `json:"kind"`
	Text      string       `json:"text"`
	Citations []Citation   `json:"citations"`
	Products  []ProductHit `json:"products"`
	// Generator names the answerer that wrote it ("builtin", the LLM's name).
	Generator string `json:"generator"`
	// Checks are the copy checks the text passed (faithfulness, compliance).
	Checks []copywriter.Check `json:"checks"`
}

// QA is one stored question-and-answer entry of a product; its answer is a
// fact (cited as qa:<id>).
type QA struct {
	ID        string `json:"id"`
	ProductID string `json:"productID"`
	Question  string `json:"question"`
	Answer    string `json:"answer"`
}

// Catalog is what answering needs from the shop. app implements it over
// the store, search and recommend.
type Catalog interface {
	// Product returns nil, nil when the product is unknown.
	Product(ctx context.Context, id string) (*shop.Product, error)
	// Products returns the known ones of ids, in order; unknown IDs are left out.
	Products(ctx context.Context, ids []string) ([]*shop.Product, error)
	// QAs returns the product's Q&A entries.
	QAs(ctx context.Context, productID string) ([]QA, error)
	// Candidates for a need question: hybrid search over the query with the
	// filter, plus the shopper's own recommendations when userID != "".
	// Every returned product must pass the filter.
	Candidates(ctx context.Context, query string, filter shop.ProductFilter, userID string, first int) ([]*shop.Product, error)
}

// Answerer answers questions.
type Answerer interface {
	Answer(ctx context.Context, q Question) (Answer, error)
	Name() string
}
