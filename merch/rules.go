// Package merch holds the shop's merchandising rules: PIN an item at a
// position, BOOST or BURY matching items by a factor, HIDE them. Rules are
// validated as a batch, stored as one blob (so a batch is written whole or
// not at all), compiled into an Index keyed by product ID, brand, category
// prefix and tag, and installed in the recommender (recommend.Merchandising),
// which applies them to every list it builds: recommendations in every
// placement, productRecommendations and campaign messages.
package merch

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

// Action is what a rule does to the products its condition matches.
type Action string

const (
	// ActionPin puts a matching item at Position.
	ActionPin Action = "PIN"
	// ActionBoost multiplies a matching item's score by Factor.
	ActionBoost Action = "BOOST"
	// ActionBury divides a matching item's score by Factor.
	ActionBury Action = "BURY"
	// ActionHide removes matching items.
	ActionHide Action = "HIDE"
)

// Actions lists every action.
var Actions = []Action{ActionPin, ActionBoost, ActionBury, ActionHide}

// IsValid reports whether a is a known action (gqlgen's enum contract).
func (a Action) IsValid() bool { return slices.Contains(Actions, a) }

func (a Action) String() string { return string(a) }

// Limits of the rule set.
const (
	// MaxRules bounds the stored rules; MaxBatch one call's.
	MaxRules = 10_000
	MaxBatch = shop.MaxBatch
	// MaxProductIDs, MaxBrands and MaxTags bound one condition's lists.
	MaxProductIDs = 100
	MaxBrands     = 50
	MaxTags       = 50
	MaxNameLen    = 100
	MaxRuleSetLen = 64
	// MaxFactor bounds BOOST and BURY factors.
	MaxFactor = 1000
	// MaxEncodedBytes bounds the stored rule set (one blob).
	MaxEncodedBytes = 8 << 20
)

var ruleSetRE = regexp.MustCompile(`^[a-z0-9_-]+$`)

// Condition selects products; every given part must match. Within a list,
// one element is enough (any of the productIDs, brands or tags). An empty
// condition is refused: it would pin, boost, bury or hide everything.
type Condition struct {
	ProductIDs []string `json:"productIDs,omitempty"`
	// CategoryPrefix matches by whole path segments, as ProductFilter does.
	CategoryPrefix *string `json:"categoryPrefix,omitempty"`
	// Brands compare case-insensitively.
	Brands []string `json:"brands,omitempty"`
	// Tags compare case-insensitively; the product needs one of them.
	Tags     []string      `json:"tags,omitempty"`
	MinPrice *shop.Decimal `json:"minPrice,omitempty"`
	MaxPrice *shop.Decimal `json:"maxPrice,omitempty"`
	// Available and OnPromotion (a non-empty promotion text) must equal
	// the product's when given.
	Available   *bool `json:"available,omitempty"`
	OnPromotion *bool `json:"onPromotion,omitempty"`
}

func (c *Condition) empty() bool {
	return c.ProductIDs == nil && c.CategoryPrefix == nil && c.Brands == nil && c.Tags == nil &&
		c.MinPrice == nil && c.MaxPrice == nil && c.Available == nil && c.OnPromotion == nil
}

// Matches reports whether p satisfies the condition.
func (c *Condition) Matches(p *shop.Product) bool {
	if len(c.ProductIDs) > 0 && !slices.Contains(c.ProductIDs, p.ID) {
		return false
	}
	if c.CategoryPrefix != nil && !shop.CategoryMatches(p.Category, *c.CategoryPrefix) {
		return false
	}
	if len(c.Brands) > 0 && !slices.ContainsFunc(c.Brands, func(b string) bool { return strings.EqualFold(b, p.Brand) }) {
		return false
	}
	if len(c.Tags) > 0 && !anyFold(p.Tags, c.Tags) {
		return false
	}
	if c.MinPrice != nil && p.Price.Amount < *c.MinPrice {
		return false
	}
	if c.MaxPrice != nil && p.Price.Amount > *c.MaxPrice {
		return false
	}
	if c.Available != nil && p.Available != *c.Available {
		return false
	}
	if c.OnPromotion != nil && (p.Promotion != "") != *c.OnPromotion {
		return false
	}
	return true
}

func anyFold(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}

// RuleInput creates or replaces a rule: the GraphQL MerchandisingRuleInput,
// and one element of an `eval --rules` file.
type RuleInput struct {
	// ID replaces the rule with this ID; omitted: a new rule.
	ID         *string               `json:"id,omitempty"`
	Name       *string               `json:"name,omitempty"`
	Action     Action                `json:"action"`
	Position   *int                  `json:"position,omitempty"`
	Factor     *float64              `json:"factor,omitempty"`
	Condition  *Condition            `json:"condition"`
	Segment    *Segment              `json:"segment,omitempty"`
	Placements []recommend.Placement `json:"placements,omitempty"`
	StartsAt   *time.Time            `json:"startsAt,omitempty"`
	EndsAt     *time.Time            `json:"endsAt,omitempty"`
	RuleSet    *string               `json:"ruleSet,omitempty"`
}

// Rule is a stored rule.
type Rule struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	Action    Action    `json:"action"`
	Position  *int      `json:"position,omitempty"`
	Factor    *float64  `json:"factor,omitempty"`
	Condition Condition `json:"condition"`
	Segment   *Segment  `json:"segment,omitempty"`
	// Placements empty: every list, productRecommendations included.
	Placements []recommend.Placement `json:"placements,omitempty"`
	StartsAt   *time.Time            `json:"startsAt,omitempty"`
	EndsAt     *time.Time            `json:"endsAt,omitempty"`
	RuleSet    string                `json:"ruleSet,omitempty"`
	CreatedAt  time.Time             `json:"createdAt"`
	UpdatedAt  time.Time             `json:"updatedAt"`
}

// ActiveAt reports whether t lies in the rule's time window.
func (r *Rule) ActiveAt(t time.Time) bool {
	return (r.StartsAt == nil || !t.Before(*r.StartsAt)) && (r.EndsAt == nil || t.Before(*r.EndsAt))
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return "mr_" + hex.EncodeToString(b[:])
}

type errs []shop.UserError

func (es *errs) add(code shop.ErrorCode, msg string, field ...string) {
	*es = append(*es, shop.UserError{Field: field, Message: msg, Code: code})
}

// Normalize validates one input and returns the rule it describes; errors
// name fields under base (such as ["input", "3"]). now judges windows that
// have already ended.
func (in *RuleInput) Normalize(now time.Time, base ...string) (Rule, []shop.UserError) {
	var es errs
	f := func(more ...string) []string { return append(slices.Clone(base), more...) }
	r := Rule{Action: in.Action, Position: in.Position, Factor: in.Factor, Segment: in.Segment}
	if in.ID != nil {
		r.ID = *in.ID
		if code, msg := shop.ValidateID(r.ID); code != "" {
			es.add(code, msg, f("id")...)
		}
	}
	if in.Name != nil {
		r.Name = strings.TrimSpace(*in.Name)
		if !utf8.ValidString(r.Name) {
			es.add(shop.CodeInvalid, "must be valid UTF-8", f("name")...)
		} else if utf8.RuneCountInString(r.Name) > MaxNameLen {
			es.add(shop.CodeTooLong, fmt.Sprintf("must be at most %d characters", MaxNameLen), f("name")...)
		} else if strings.IndexFunc(r.Name, func(c rune) bool { return unicode.IsControl(c) || unicode.Is(unicode.Cf, c) }) >= 0 {
			// Bidi overrides and zero-width characters make the console
			// show a name other than the one stored (as experiment names).
			es.add(shop.CodeInvalid, "must not contain control or format characters", f("name")...)
		}
	}
	switch {
	case in.Action == "":
		es.add(shop.CodeRequired, "PIN, BOOST, BURY or HIDE", f("action")...)
	case !in.Action.IsValid():
		es.add(shop.CodeInvalid, "must be PIN, BOOST, BURY or HIDE", f("action")...)
	}
	switch in.Action {
	case ActionPin:
		switch {
		case in.Position == nil:
			es.add(shop.CodeRequired, "a PIN needs a position (1-based)", f("position")...)
		case *in.Position < 1 || *in.Position > recommend.MaxN:
			es.add(shop.CodeInvalid, fmt.Sprintf("must be between 1 and %d", recommend.MaxN), f("position")...)
		}
	case ActionBoost, ActionBury:
		switch {
		case in.Factor == nil:
			es.add(shop.CodeRequired, "a BOOST or BURY needs a factor", f("factor")...)
		case math.IsNaN(*in.Factor) || math.IsInf(*in.Factor, 0) || *in.Factor <= 0:
			es.add(shop.CodeInvalid, "must be a finite number above 0", f("factor")...)
		case *in.Factor < 1:
			es.add(shop.CodeInvalid, "must be at least 1: BOOST multiplies the score by it, BURY divides by it", f("factor")...)
		case *in.Factor > MaxFactor:
			es.add(shop.CodeInvalid, fmt.Sprintf("must be at most %d", MaxFactor), f("factor")...)
		}
	}
	if in.Action != ActionPin && in.Position != nil {
		es.add(shop.CodeInvalid, "only a PIN has a position", f("position")...)
	}
	if in.Action != ActionBoost && in.Action != ActionBury && in.Factor != nil {
		es.add(shop.CodeInvalid, "only BOOST and BURY have a factor", f("factor")...)
	}
	if in.Condition == nil || in.Condition.empty() {
		es.add(shop.CodeRequired, "give at least one of productIDs, categoryPrefix, brands, tags, minPrice, maxPrice, available, onPromotion: an empty condition would apply to every product", f("condition")...)
	} else {
		r.Condition = normalizeCondition(&es, *in.Condition, f("condition"))
		if in.Action == ActionPin && r.Condition.Available != nil && !*r.Condition.Available {
			es.add(shop.CodeInvalid, "a PIN places only available products: available false never matches", f("condition", "available")...)
		}
	}
	if in.Segment != nil {
		es = append(es, in.Segment.Validate(f("segment")...)...)
	}
	if in.Placements != nil {
		if len(in.Placements) == 0 {
			es.add(shop.CodeInvalid, "an empty list matches no list; omit placements for every list", f("placements")...)
		}
		for i, p := range in.Placements {
			if !p.IsValid() {
				es.add(shop.CodeInvalid, "unknown placement", f("placements", strconv.Itoa(i))...)
			} else if !slices.Contains(r.Placements, p) {
				r.Placements = append(r.Placements, p)
			}
		}
	}
	r.StartsAt, r.EndsAt = utc(in.StartsAt), utc(in.EndsAt)
	if r.StartsAt != nil && r.EndsAt != nil && !r.EndsAt.After(*r.StartsAt) {
		es.add(shop.CodeInvalid, "endsAt must be after startsAt", f("endsAt")...)
	} else if r.EndsAt != nil && !r.EndsAt.After(now) {
		es.add(shop.CodeInvalid, "endsAt has passed: the rule would never apply", f("endsAt")...)
	}
	if in.RuleSet != nil {
		r.RuleSet = *in.RuleSet
		switch {
		case len(r.RuleSet) > MaxRuleSetLen:
			es.add(shop.CodeTooLong, fmt.Sprintf("must be at most %d characters", MaxRuleSetLen), f("ruleSet")...)
		case !ruleSetRE.MatchString(r.RuleSet):
			es.add(shop.CodeInvalid, "lower-case letters, digits, '_' and '-' only", f("ruleSet")...)
		}
	}
	return r, es
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func normalizeCondition(es *errs, c Condition, base []string) Condition {
	f := func(more ...string) []string { return append(slices.Clone(base), more...) }
	list := func(in []string, maxItems, maxLen int, name string, id bool) []string {
		if in == nil {
			return nil
		}
		if len(in) == 0 {
			es.add(shop.CodeInvalid, "an empty list matches nothing; omit the field instead", f(name)...)
			return nil
		}
		if len(in) > maxItems {
			es.add(shop.CodeTooLarge, fmt.Sprintf("at most %d items", maxItems), f(name)...)
			return nil
		}
		out := make([]string, 0, len(in))
		for i, s := range in {
			if !id {
				s = strings.TrimSpace(s)
			}
			if code, msg := shop.ValidateID(s); code != "" && id {
				es.add(code, msg, f(name, strconv.Itoa(i))...)
				continue
			}
			switch {
			case s == "" || !utf8.ValidString(s):
				es.add(shop.CodeInvalid, "must be non-empty UTF-8", f(name, strconv.Itoa(i))...)
				continue
			case utf8.RuneCountInString(s) > maxLen:
				es.add(shop.CodeTooLong, fmt.Sprintf("must be at most %d characters", maxLen), f(name, strconv.Itoa(i))...)
				continue
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	}
	c.ProductIDs = list(c.ProductIDs, MaxProductIDs, shop.MaxIDLen, "productIDs", true)
	c.Brands = list(c.Brands, MaxBrands, shop.MaxShortTextLen, "brands", false)
	c.Tags = list(c.Tags, MaxTags, shop.MaxTagLen, "tags", false)
	if c.CategoryPrefix != nil {
		cat := strings.Trim(strings.TrimSpace(*c.CategoryPrefix), "/")
		switch {
		case cat == "" || !utf8.ValidString(cat):
			es.add(shop.CodeInvalid, "must name a category path such as 数码 or 数码/手机", f("categoryPrefix")...)
		case utf8.RuneCountInString(cat) > shop.MaxCategoryLen:
			es.add(shop.CodeTooLong, fmt.Sprintf("must be at most %d characters", shop.MaxCategoryLen), f("categoryPrefix")...)
		}
		c.CategoryPrefix = &cat
	}
	for _, p := range []struct {
		d    *shop.Decimal
		name string
	}{{c.MinPrice, "minPrice"}, {c.MaxPrice, "maxPrice"}} {
		if p.d != nil && (*p.d < 0 || *p.d > shop.MaxDecimal) {
			es.add(shop.CodeInvalid, "must lie between 0 and "+shop.MaxDecimal.String(), f(p.name)...)
		}
	}
	if c.MinPrice != nil && c.MaxPrice != nil && *c.MinPrice > *c.MaxPrice {
		es.add(shop.CodeInvalid, "minPrice is above maxPrice: the condition matches nothing", f("minPrice")...)
	}
	return c
}

// Merge validates a batch against the stored rules and returns the rule
// set after it (stored rules replaced by ID, new ones appended) and the
// batch's rules; on any error it returns only the errors. Rules of the
// batch get their IDs and times here.
func Merge(stored []Rule, in []RuleInput, now time.Time) (all, batch []Rule, _ []shop.UserError) {
	if e := shop.BatchTooLarge(len(in), "input"); e != nil {
		return nil, nil, e
	}
	var es errs
	now = now.UTC()
	byID := make(map[string]int, len(stored))
	for i := range stored {
		byID[stored[i].ID] = i
	}
	seen := map[string]int{}
	batch = make([]Rule, len(in))
	for i := range in {
		base := []string{"input", strconv.Itoa(i)}
		r, e := in[i].Normalize(now, base...)
		es = append(es, e...)
		if r.ID == "" {
			r.ID = newID()
		}
		if j, dup := seen[r.ID]; dup {
			es.add(shop.CodeDuplicate, fmt.Sprintf("id %q is also input %d", r.ID, j), append(base, "id")...)
		}
		seen[r.ID] = i
		r.CreatedAt, r.UpdatedAt = now, now
		if j, ok := byID[r.ID]; ok {
			r.CreatedAt = stored[j].CreatedAt
		}
		batch[i] = r
	}
	if len(es) > 0 {
		return nil, nil, es
	}
	all = slices.Clone(stored)
	for _, r := range batch {
		if j, ok := byID[r.ID]; ok {
			all[j] = r
		} else {
			all = append(all, r)
		}
	}
	if len(all) > MaxRules {
		return nil, nil, []shop.UserError{{Field: []string{"input"}, Code: shop.CodeTooLarge,
			Message: fmt.Sprintf("%d rules after this call; at most %d are stored", len(all), MaxRules)}}
	}
	if e := pinConflicts(all, seen); len(e) > 0 {
		return nil, nil, e
	}
	return all, batch, nil
}

// pinConflicts finds two PINs at one position that could apply to the same
// list: placements that share one (none given: all), time windows that
// overlap, segments that are not provably disjoint, and rule sets that are
// not two different named sets. Only pairs involving the batch (inBatch,
// ID to input index) are reported: the stored rules passed this check.
// Two rules in different named rule sets may still meet when a request
// activates both; then the first by rule ID keeps the position and the
// other takes the next place.
func pinConflicts(all []Rule, inBatch map[string]int) []shop.UserError {
	var es errs
	pinPairs(all, inBatch, func(a, b *Rule) {
		if !pinsMeet(a, b) {
			return
		}
		ia, aNew := inBatch[a.ID]
		ib, bNew := inBatch[b.ID]
		at, other := ia, b.ID
		if !aNew || bNew && ib > ia {
			at, other = ib, a.ID
		}
		es.add(shop.CodeDuplicate, fmt.Sprintf("rule %q pins position %d for the same placement, time and shoppers", other, *a.Position),
			"input", strconv.Itoa(at), "position")
	})
	return es
}

// pinPairs calls f for each pair of PINs at one position of which at
// least one is in the batch. It never visits two stored rules: they passed
// this check when written, and visiting every pair made one upsert cost
// O(rules²) under the lock (10,000 PINs at position 1 in distinct rule
// sets: about a second to add one rule).
func pinPairs(all []Rule, inBatch map[string]int, f func(a, b *Rule)) {
	type group struct{ fresh, stored []*Rule }
	byPos := map[int]*group{}
	for i := range all {
		r := &all[i]
		if r.Action != ActionPin || r.Position == nil {
			continue
		}
		g := byPos[*r.Position]
		if g == nil {
			g = &group{}
			byPos[*r.Position] = g
		}
		if _, ok := inBatch[r.ID]; ok {
			g.fresh = append(g.fresh, r)
		} else {
			g.stored = append(g.stored, r)
		}
	}
	for _, g := range byPos {
		for i, a := range g.fresh {
			for _, b := range g.fresh[i+1:] {
				f(a, b)
			}
			for _, b := range g.stored {
				f(a, b)
			}
		}
	}
}

func pinsMeet(a, b *Rule) bool {
	if len(a.Placements) > 0 && len(b.Placements) > 0 && !slices.ContainsFunc(a.Placements, func(p recommend.Placement) bool { return slices.Contains(b.Placements, p) }) {
		return false
	}
	if a.RuleSet != "" && b.RuleSet != "" && a.RuleSet != b.RuleSet {
		return false
	}
	if disjoint(a.Segment, b.Segment) {
		return false
	}
	// Windows [s, e): they meet unless one ends before the other starts.
	ends := func(r *Rule, s *time.Time) bool { return r.EndsAt != nil && s != nil && !r.EndsAt.After(*s) }
	return !ends(a, b.StartsAt) && !ends(b, a.StartsAt)
}
