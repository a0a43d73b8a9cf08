package persona

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/shop"
)

// Input is what a caller states about the reader on top of a base persona
// (usually a user's portrait, see FromUser): free text and explicit fields.
// A nil pointer or an empty list states nothing.
type Input struct {
	// Description is free text for ParsePersona, at most MaxDescription
	// runes once trimmed.
	Description *string
	// Age is in [0, shop.MaxAge].
	Age *int
	// Gender must be Valid.
	Gender *shop.Gender
	// Interests are declared interests, at most shop.MaxInterests; those
	// outside the vocabulary are dropped.
	Interests []string
}

// ErrInvalidInput is matched (errors.Is) by every error Merge returns. The
// error's text begins with the field it is about, as in "age must be between
// 0 and 130", so that a caller can put its own path in front of it.
var ErrInvalidInput = errors.New("invalid persona input")

type inputError string

func (e inputError) Error() string { return string(e) }

func (inputError) Is(target error) bool { return target == ErrInvalidInput }

// Merge refines base with what in states, each source overriding the one
// before: first the description (the age, gender and style it names; its
// interests join base's; it becomes the Description), then the explicit
// age, gender and interests (canonical keys joining the rest). It validates
// all of in first: on error it returns base unchanged. base's slices are
// never written to.
func Merge(base Persona, in Input) (Persona, error) {
	var desc string
	if in.Description != nil {
		desc = strings.TrimSpace(*in.Description)
		if utf8.RuneCountInString(desc) > MaxDescription {
			return base, inputError(fmt.Sprintf("description must be at most %d characters", MaxDescription))
		}
	}
	if in.Age != nil && (*in.Age < 0 || *in.Age > shop.MaxAge) {
		return base, inputError(fmt.Sprintf("age must be between 0 and %d", shop.MaxAge))
	}
	if in.Gender != nil && !in.Gender.Valid() {
		return base, inputError(fmt.Sprintf("gender %q is not one of FEMALE MALE OTHER", string(*in.Gender)))
	}
	if len(in.Interests) > shop.MaxInterests {
		return base, inputError(fmt.Sprintf("interests: at most %d", shop.MaxInterests))
	}

	p := base
	p.Interests = slices.Clone(base.Interests)
	if in.Description != nil {
		parsed := ParsePersona(desc)
		if parsed.Age != nil {
			p.Age = parsed.Age
		}
		if parsed.Gender != nil {
			p.Gender = parsed.Gender
		}
		if parsed.Style != "" {
			p.Style = parsed.Style
		}
		for _, k := range parsed.Interests {
			p.Interests = appendUnique(p.Interests, k)
		}
		p.Description = parsed.Description
	}
	if in.Age != nil {
		age := *in.Age
		p.Age = &age
	}
	if in.Gender != nil {
		g := *in.Gender
		p.Gender = &g
	}
	for _, s := range in.Interests {
		if k := NormalizeInterest(s); k != "" {
			p.Interests = appendUnique(p.Interests, k)
		}
	}
	return p, nil
}
