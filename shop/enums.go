package shop

import (
	"fmt"
	"io"
	"strconv"
)

// Language is the language of a product's text or of generated copy.
type Language string

const (
	LanguageZH Language = "ZH"
	LanguageEN Language = "EN"
)

func (l Language) Valid() bool { return l == LanguageZH || l == LanguageEN }

// Gender as users declare it.
type Gender string

const (
	GenderFemale Gender = "FEMALE"
	GenderMale   Gender = "MALE"
	GenderOther  Gender = "OTHER"
)

func (g Gender) Valid() bool { return g == GenderFemale || g == GenderMale || g == GenderOther }

// InteractionKind is what a user did with a product.
type InteractionKind string

const (
	KindView      InteractionKind = "VIEW"
	KindClick     InteractionKind = "CLICK"
	KindLike      InteractionKind = "LIKE"
	KindAddToCart InteractionKind = "ADD_TO_CART"
	KindPurchase  InteractionKind = "PURCHASE"
	KindRate      InteractionKind = "RATE"
)

// InteractionKinds lists every kind in a fixed order; its index is the kind's
// compact code in stored events.
var InteractionKinds = []InteractionKind{KindView, KindClick, KindLike, KindAddToCart, KindPurchase, KindRate}

// Code is the kind's one-byte code, or -1 when the kind is unknown.
func (k InteractionKind) Code() int {
	for i, kk := range InteractionKinds {
		if kk == k {
			return i
		}
	}
	return -1
}

func (k InteractionKind) Valid() bool { return k.Code() >= 0 }

// KindFromCode inverts Code.
func KindFromCode(c byte) (InteractionKind, bool) {
	if int(c) >= len(InteractionKinds) {
		return "", false
	}
	return InteractionKinds[c], true
}

// The enums marshal themselves for gqlgen without importing it.

func (l Language) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(l))) }
func (l *Language) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "Language", func(s string) bool { *l = Language(s); return l.Valid() })
}

func (g Gender) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(g))) }
func (g *Gender) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "Gender", func(s string) bool { *g = Gender(s); return g.Valid() })
}

func (k InteractionKind) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(k))) }
func (k *InteractionKind) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "InteractionKind", func(s string) bool { *k = InteractionKind(s); return k.Valid() })
}

func unmarshalEnum(v any, name string, set func(string) bool) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s must be a string", name)
	}
	if !set(s) {
		return fmt.Errorf("%q is not a valid %s", s, name)
	}
	return nil
}
