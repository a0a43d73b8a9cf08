package shop

import (
	"strings"
	"time"
)

// Product is one item of the catalogue. IDs are the caller's own (a SKU).
type Product struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	Brand       string      `json:"brand,omitempty"`
	Category    string      `json:"category"` // a path such as 数码/手机
	Tags        []string    `json:"tags,omitempty"`
	Attributes  []Attribute `json:"attributes,omitempty"`
	Price       Money       `json:"price"`
	Promotion   string      `json:"promotion,omitempty"`
	ImageURL    string      `json:"imageURL,omitempty"`
	Available   bool        `json:"available"`
	Language    Language    `json:"language"`
	// Version starts at 1 and grows by one on every upsert; caches key on it.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Attribute is one named fact about a product: 容量 = 500ml.
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Attribute returns the value of the named attribute, if the product has it.
func (p *Product) Attribute(name string) (string, bool) {
	for _, a := range p.Attributes {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// TopCategory is the first segment of the category path: 数码 for 数码/手机.
func (p *Product) TopCategory() string {
	top, _, _ := strings.Cut(p.Category, "/")
	return top
}

// User is a shopper's declared profile.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	Age       *int      `json:"age,omitempty"`
	Gender    *Gender   `json:"gender,omitempty"`
	Interests []string  `json:"interests,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Interaction is one event of a user with a product.
type Interaction struct {
	UserID     string          `json:"userID"`
	ProductID  string          `json:"productID"`
	Kind       InteractionKind `json:"kind"`
	Value      *float64        `json:"value,omitempty"` // the rating, for RATE
	OccurredAt time.Time       `json:"occurredAt"`
	// CopyVariantID names the marketing copy the user saw, when any.
	CopyVariantID string `json:"copyVariantID,omitempty"`
}

// ProductFilter narrows product listings, search and recommendations.
// The zero value matches every product.
type ProductFilter struct {
	// Category is a path prefix by whole segments: 家居 matches 家居/杯具, not 家居用品.
	Category      *string   `json:"category,omitempty"`
	Brand         *string   `json:"brand,omitempty"`
	MinPrice      *Decimal  `json:"minPrice,omitempty"`
	MaxPrice      *Decimal  `json:"maxPrice,omitempty"`
	AvailableOnly *bool     `json:"availableOnly,omitempty"`
	Tags          []string  `json:"tags,omitempty"` // every tag must be present
	Language      *Language `json:"language,omitempty"`
}

// CategoryMatches reports whether category lies under prefix by whole path segments.
func CategoryMatches(category, prefix string) bool {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return true
	}
	return category == prefix || strings.HasPrefix(category, prefix+"/")
}

// Matches reports whether p passes the filter.
func (f *ProductFilter) Matches(p *Product) bool {
	if f == nil {
		return true
	}
	if f.Category != nil && !CategoryMatches(p.Category, *f.Category) {
		return false
	}
	if f.Brand != nil && !strings.EqualFold(p.Brand, *f.Brand) {
		return false
	}
	if f.MinPrice != nil && p.Price.Amount < *f.MinPrice {
		return false
	}
	if f.MaxPrice != nil && p.Price.Amount > *f.MaxPrice {
		return false
	}
	if f.AvailableOnly != nil && *f.AvailableOnly && !p.Available {
		return false
	}
	if f.Language != nil && p.Language != *f.Language {
		return false
	}
	for _, t := range f.Tags {
		if !containsFold(p.Tags, t) {
			return false
		}
	}
	return true
}

// IsZero reports whether the filter matches everything.
func (f *ProductFilter) IsZero() bool {
	return f == nil || (f.Category == nil && f.Brand == nil && f.MinPrice == nil && f.MaxPrice == nil &&
		(f.AvailableOnly == nil || !*f.AvailableOnly) && len(f.Tags) == 0 && f.Language == nil)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
