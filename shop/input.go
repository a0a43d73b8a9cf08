package shop

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what one call may carry. They keep a request's work and a stored
// record's size bounded.
const (
	MaxBatch          = 1000
	MaxIDLen          = 128
	MaxTitleLen       = 200
	MaxDescriptionLen = 5000
	MaxShortTextLen   = 100 // brand, user name
	MaxCategoryLen    = 200
	MaxCategoryDepth  = 6
	MaxTags           = 30
	MaxTagLen         = 50
	MaxAttributes     = 50
	MaxAttrNameLen    = 50
	MaxAttrValueLen   = 200
	MaxPromotionLen   = 200
	MaxURLLen         = 2048
	MaxInterests      = 30
	MaxAge            = 130
	MaxRating         = 5.0
	// FutureTolerance is how far ahead of the server's clock occurredAt may lie
	// (client clocks drift); anything later is a mistake, not back-filling.
	FutureTolerance = 5 * time.Minute
)

// EarliestEvent bounds back-filled history: older timestamps are typos.
var EarliestEvent = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// ErrorCode classifies a UserError so clients can react without parsing text.
type ErrorCode string

const (
	CodeInvalid   ErrorCode = "INVALID"
	CodeRequired  ErrorCode = "REQUIRED"
	CodeTooLong   ErrorCode = "TOO_LONG"
	CodeTooLarge  ErrorCode = "TOO_LARGE"
	CodeNotFound  ErrorCode = "NOT_FOUND"
	CodeDuplicate ErrorCode = "DUPLICATE"
	// CodeConflict: what the request was based on changed since it was
	// read (a copy variant's words under review); read it again.
	CodeConflict ErrorCode = "CONFLICT"
)

var errorCodes = []ErrorCode{CodeInvalid, CodeRequired, CodeTooLong, CodeTooLarge, CodeNotFound, CodeDuplicate, CodeConflict}

func (c ErrorCode) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

func (c *ErrorCode) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "UserErrorCode", func(s string) bool {
		*c = ErrorCode(s)
		for _, k := range errorCodes {
			if k == *c {
				return true
			}
		}
		return false
	})
}

// UserError is a business error tied to the input field that caused it, such
// as ["input", "3", "price", "amount"].
type UserError struct {
	Field   []string  `json:"field"`
	Message string    `json:"message"`
	Code    ErrorCode `json:"code"`
}

func (e UserError) Error() string {
	return fmt.Sprintf("%s: %s (%s)", strings.Join(e.Field, "."), e.Message, e.Code)
}

// Errs collects UserErrors under a path prefix.
type Errs []UserError

func (es *Errs) add(code ErrorCode, msg string, path ...string) {
	*es = append(*es, UserError{Field: path, Message: msg, Code: code})
}

func path(base []string, more ...string) []string {
	p := make([]string, 0, len(base)+len(more))
	return append(append(p, base...), more...)
}

// BatchTooLarge returns the error for a batch over MaxBatch, or nil.
func BatchTooLarge(n int, field string) []UserError {
	if n > MaxBatch {
		return []UserError{{Field: []string{field}, Code: CodeTooLarge,
			Message: fmt.Sprintf("%d items in one call; at most %d are allowed", n, MaxBatch)}}
	}
	return nil
}

// ValidateID checks a caller-supplied ID: 1–128 characters of valid UTF-8
// with no control characters or surrounding spaces.
func ValidateID(id string) (ErrorCode, string) {
	switch {
	case id == "":
		return CodeRequired, "must not be empty"
	case !utf8.ValidString(id):
		return CodeInvalid, "must be valid UTF-8"
	case utf8.RuneCountInString(id) > MaxIDLen:
		return CodeTooLong, fmt.Sprintf("must be at most %d characters", MaxIDLen)
	case strings.TrimSpace(id) != id:
		return CodeInvalid, "must not start or end with spaces"
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return CodeInvalid, "must not contain control characters"
		}
	}
	return "", ""
}

func checkID(es *Errs, id string, p []string) {
	if code, msg := ValidateID(id); code != "" {
		es.add(code, msg, p...)
	}
}

// checkText trims s and checks its length; it returns the cleaned text.
func checkText(es *Errs, s string, max int, required bool, p []string) string {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		es.add(CodeInvalid, "must be valid UTF-8", p...)
	case required && s == "":
		es.add(CodeRequired, "must not be empty", p...)
	case utf8.RuneCountInString(s) > max:
		es.add(CodeTooLong, fmt.Sprintf("must be at most %d characters", max), p...)
	}
	return s
}

// MoneyInput is a price as given by a caller.
type MoneyInput struct {
	Amount       Decimal `json:"amount"`
	CurrencyCode *string `json:"currencyCode,omitempty"`
}

// AttributeInput is one attribute as given by a caller.
type AttributeInput struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ProductInput creates or replaces a product. Omitted optional fields are
// cleared on replace: an upsert states the whole product.
type ProductInput struct {
	ID          string           `json:"id"`
	Title       string           `json:"title"`
	Description *string          `json:"description,omitempty"`
	Brand       *string          `json:"brand,omitempty"`
	Category    string           `json:"category"`
	Tags        []string         `json:"tags,omitempty"`
	Attributes  []AttributeInput `json:"attributes,omitempty"`
	Price       *MoneyInput      `json:"price"`
	Promotion   *string          `json:"promotion,omitempty"`
	ImageURL    *string          `json:"imageURL,omitempty"`
	Available   *bool            `json:"available,omitempty"`
	Language    *Language        `json:"language,omitempty"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Normalize validates the input and returns the product it describes (without
// version or timestamps) and the errors found, with paths under base.
func (in *ProductInput) Normalize(base ...string) (Product, []UserError) {
	var es Errs
	p := Product{ID: in.ID}
	checkID(&es, in.ID, path(base, "id"))
	p.Title = checkText(&es, in.Title, MaxTitleLen, true, path(base, "title"))
	p.Description = checkText(&es, deref(in.Description), MaxDescriptionLen, false, path(base, "description"))
	p.Brand = checkText(&es, deref(in.Brand), MaxShortTextLen, false, path(base, "brand"))
	p.Category = normalizeCategory(&es, in.Category, path(base, "category"))
	p.Tags = normalizeList(&es, in.Tags, MaxTags, MaxTagLen, path(base, "tags"))
	if len(in.Attributes) > MaxAttributes {
		es.add(CodeTooLarge, fmt.Sprintf("at most %d attributes", MaxAttributes), path(base, "attributes")...)
	}
	seen := map[string]bool{}
	for i, a := range in.Attributes {
		ap := path(base, "attributes", strconv.Itoa(i))
		name := checkText(&es, a.Name, MaxAttrNameLen, true, path(ap, "name"))
		value := checkText(&es, a.Value, MaxAttrValueLen, true, path(ap, "value"))
		if seen[name] {
			es.add(CodeDuplicate, fmt.Sprintf("attribute %q is given twice", name), path(ap, "name")...)
		}
		seen[name] = true
		p.Attributes = append(p.Attributes, Attribute{Name: name, Value: value})
	}
	if in.Price == nil {
		es.add(CodeRequired, "a price is required", path(base, "price")...)
	} else {
		p.Price = Money{Amount: in.Price.Amount, CurrencyCode: DefaultCurrency}
		if in.Price.Amount < 0 {
			es.add(CodeInvalid, "must not be negative", path(base, "price", "amount")...)
		} else if in.Price.Amount > MaxDecimal {
			es.add(CodeTooLarge, "is too large", path(base, "price", "amount")...)
		}
		if in.Price.CurrencyCode != nil {
			p.Price.CurrencyCode = strings.ToUpper(strings.TrimSpace(*in.Price.CurrencyCode))
			if !ValidCurrency(p.Price.CurrencyCode) {
				es.add(CodeInvalid, "must be a three-letter ISO 4217 code such as CNY", path(base, "price", "currencyCode")...)
			}
		}
	}
	p.Promotion = checkText(&es, deref(in.Promotion), MaxPromotionLen, false, path(base, "promotion"))
	p.ImageURL = strings.TrimSpace(deref(in.ImageURL))
	if p.ImageURL != "" {
		u, err := url.Parse(p.ImageURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(p.ImageURL) > MaxURLLen {
			es.add(CodeInvalid, "must be an http(s) URL of at most 2048 bytes", path(base, "imageURL")...)
		}
	}
	p.Available = in.Available == nil || *in.Available
	if in.Language != nil {
		p.Language = *in.Language
		if !p.Language.Valid() {
			es.add(CodeInvalid, "must be ZH or EN", path(base, "language")...)
		}
	} else {
		p.Language = DetectLanguage(p.Title + " " + p.Description)
	}
	return p, es
}

// DetectLanguage says ZH when the text has any Han characters, else EN.
func DetectLanguage(s string) Language {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return LanguageZH
		}
	}
	return LanguageEN
}

func normalizeCategory(es *Errs, c string, p []string) string {
	c = checkText(es, c, MaxCategoryLen, true, p)
	if c == "" {
		return c
	}
	parts := strings.Split(strings.Trim(c, "/"), "/")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
		if parts[i] == "" {
			es.add(CodeInvalid, "has an empty path segment", p...)
			return c
		}
	}
	if len(parts) > MaxCategoryDepth {
		es.add(CodeInvalid, fmt.Sprintf("is deeper than %d levels", MaxCategoryDepth), p...)
	}
	return strings.Join(parts, "/")
}

// normalizeList trims, drops duplicates (case-insensitively) and checks bounds.
func normalizeList(es *Errs, in []string, maxItems, maxLen int, p []string) []string {
	if len(in) > maxItems {
		es.add(CodeTooLarge, fmt.Sprintf("at most %d items", maxItems), p...)
	}
	var out []string
	for i, s := range in {
		s = checkText(es, s, maxLen, true, path(p, strconv.Itoa(i)))
		if s != "" && !containsFold(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// UserInput creates or replaces a user's declared profile.
type UserInput struct {
	ID        string   `json:"id"`
	Name      *string  `json:"name,omitempty"`
	Age       *int     `json:"age,omitempty"`
	Gender    *Gender  `json:"gender,omitempty"`
	Interests []string `json:"interests,omitempty"`
}

// Normalize validates the input and returns the user it describes.
func (in *UserInput) Normalize(base ...string) (User, []UserError) {
	var es Errs
	u := User{ID: in.ID}
	checkID(&es, in.ID, path(base, "id"))
	u.Name = checkText(&es, deref(in.Name), MaxShortTextLen, false, path(base, "name"))
	if in.Age != nil {
		if *in.Age < 0 || *in.Age > MaxAge {
			es.add(CodeInvalid, fmt.Sprintf("must be between 0 and %d", MaxAge), path(base, "age")...)
		}
		age := *in.Age
		u.Age = &age
	}
	if in.Gender != nil {
		if !in.Gender.Valid() {
			es.add(CodeInvalid, "must be FEMALE, MALE or OTHER", path(base, "gender")...)
		}
		g := *in.Gender
		u.Gender = &g
	}
	u.Interests = normalizeList(&es, in.Interests, MaxInterests, MaxTagLen, path(base, "interests"))
	return u, es
}

// InteractionInput records one event.
type InteractionInput struct {
	UserID        string          `json:"userID"`
	ProductID     string          `json:"productID"`
	Kind          InteractionKind `json:"kind"`
	Value         *float64        `json:"value,omitempty"`
	OccurredAt    *time.Time      `json:"occurredAt,omitempty"`
	CopyVariantID *string         `json:"copyVariantID,omitempty"`
	// RecommendationID is the recommendation the user acted on, as served
	// with it; the app verifies it and credits the experiment arm.
	RecommendationID *string `json:"recommendationID,omitempty"`
}

// Normalize validates the input against the server clock now and returns the
// interaction it describes. Whether the user and product exist is the store's
// to check.
func (in *InteractionInput) Normalize(now time.Time, base ...string) (Interaction, []UserError) {
	var es Errs
	it := Interaction{UserID: in.UserID, ProductID: in.ProductID, Kind: in.Kind, OccurredAt: now}
	checkID(&es, in.UserID, path(base, "userID"))
	checkID(&es, in.ProductID, path(base, "productID"))
	if !in.Kind.Valid() {
		es.add(CodeInvalid, fmt.Sprintf("%q is not one of VIEW CLICK LIKE ADD_TO_CART PURCHASE RATE", string(in.Kind)), path(base, "kind")...)
	}
	if in.Value != nil {
		v := *in.Value
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			es.add(CodeInvalid, "must be a finite number", path(base, "value")...)
		case in.Kind == KindRate && (v < 0 || v > MaxRating):
			es.add(CodeInvalid, fmt.Sprintf("a rating must be between 0 and %g", MaxRating), path(base, "value")...)
		case v < 0:
			es.add(CodeInvalid, "must not be negative", path(base, "value")...)
		}
		it.Value = &v
	} else if in.Kind == KindRate {
		es.add(CodeRequired, "a RATE interaction needs a value", path(base, "value")...)
	}
	if in.OccurredAt != nil {
		t := in.OccurredAt.UTC()
		switch {
		case t.After(now.Add(FutureTolerance)):
			es.add(CodeInvalid, "lies more than 5 minutes in the future", path(base, "occurredAt")...)
		case t.Before(EarliestEvent):
			es.add(CodeInvalid, "lies before 1990", path(base, "occurredAt")...)
		}
		it.OccurredAt = t
	}
	if in.CopyVariantID != nil {
		it.CopyVariantID = strings.TrimSpace(*in.CopyVariantID)
		if it.CopyVariantID != "" {
			checkID(&es, it.CopyVariantID, path(base, "copyVariantID"))
		}
	}
	return it, es
}
