package merch

import (
	"fmt"
	"strings"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// Segment selects shoppers by declared profile; every given part must
// match. It is the GraphQL SegmentInput, shared by campaigns (engage) and
// merchandising rules, so both read a segment the same way.
type Segment struct {
	// Interests: the user declares at least one of them (compared by
	// canonical interest, so 拍照 matches photography).
	Interests []string     `json:"interests,omitempty"`
	MinAge    *int         `json:"minAge,omitempty"`
	MaxAge    *int         `json:"maxAge,omitempty"`
	Gender    *shop.Gender `json:"gender,omitempty"`
}

// Matches reports whether a user falls in the segment. A nil user (unknown
// to the shop) falls in no segment.
func (sg *Segment) Matches(u *shop.User) bool {
	if u == nil {
		return false
	}
	if sg.Gender != nil && (u.Gender == nil || *u.Gender != *sg.Gender) {
		return false
	}
	if (sg.MinAge != nil || sg.MaxAge != nil) && u.Age == nil {
		return false
	}
	if sg.MinAge != nil && *u.Age < *sg.MinAge {
		return false
	}
	if sg.MaxAge != nil && *u.Age > *sg.MaxAge {
		return false
	}
	if len(sg.Interests) == 0 {
		return true
	}
	for _, want := range sg.Interests {
		wk := persona.NormalizeInterest(want)
		for _, have := range u.Interests {
			if strings.EqualFold(have, want) || (wk != "" && persona.NormalizeInterest(have) == wk) {
				return true
			}
		}
	}
	return false
}

// Validate checks a segment; errors name fields under base.
func (sg *Segment) Validate(base ...string) []shop.UserError {
	var errs []shop.UserError
	bad := func(code shop.ErrorCode, msg string, field ...string) {
		errs = append(errs, shop.UserError{Field: append(append([]string{}, base...), field...), Message: msg, Code: code})
	}
	if len(sg.Interests) > shop.MaxInterests {
		bad(shop.CodeTooLarge, fmt.Sprintf("at most %d interests", shop.MaxInterests), "interests")
	}
	for _, in := range sg.Interests {
		if len([]rune(in)) > shop.MaxTagLen {
			bad(shop.CodeTooLong, fmt.Sprintf("an interest has at most %d characters", shop.MaxTagLen), "interests")
			break
		}
	}
	for _, a := range []*int{sg.MinAge, sg.MaxAge} {
		if a != nil && (*a < 0 || *a > shop.MaxAge) {
			bad(shop.CodeInvalid, fmt.Sprintf("ages lie between 0 and %d", shop.MaxAge))
		}
	}
	if sg.MinAge != nil && sg.MaxAge != nil && *sg.MinAge > *sg.MaxAge {
		bad(shop.CodeInvalid, "minAge is above maxAge", "minAge")
	}
	if sg.Gender != nil && !sg.Gender.Valid() {
		bad(shop.CodeInvalid, "must be FEMALE, MALE or OTHER", "gender")
	}
	return errs
}

// disjoint reports whether no shopper can fall in both segments: different
// genders or age ranges that do not meet. Interests never make segments
// disjoint (a shopper may declare several).
func disjoint(a, b *Segment) bool {
	if a == nil || b == nil {
		return false
	}
	if a.Gender != nil && b.Gender != nil && *a.Gender != *b.Gender {
		return true
	}
	lo := func(s *Segment) int {
		if s.MinAge == nil {
			return 0
		}
		return *s.MinAge
	}
	hi := func(s *Segment) int {
		if s.MaxAge == nil {
			return shop.MaxAge
		}
		return *s.MaxAge
	}
	return max(lo(a), lo(b)) > min(hi(a), hi(b))
}
