package persona

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/shopmuse/shopmuse/shop"
)

func strp(s string) *string { return &s }

// TestMergeLayers: the description refines the base, the explicit fields
// refine both.
func TestMergeLayers(t *testing.T) {
	base := FromUser(&shop.User{ID: "u1", Age: intp(41), Gender: gender(shop.GenderMale), Interests: []string{"hiking"}}, Behaviour{})
	p, err := Merge(base, Input{Description: strp("  25岁,女性,喜欢拍照,预算有限  ")})
	if err != nil {
		t.Fatal(err)
	}
	if *p.Age != 25 || *p.Gender != shop.GenderFemale || p.Style != "value" || p.Description != "25岁,女性,喜欢拍照,预算有限" {
		t.Errorf("description layer: age %d gender %s style %q description %q", *p.Age, *p.Gender, p.Style, p.Description)
	}
	if !reflect.DeepEqual(p.Interests, []string{"outdoor", "photography"}) {
		t.Errorf("description interests %v, want base's then the description's", p.Interests)
	}

	p, err = Merge(p, Input{Age: intp(0), Gender: gender(shop.GenderOther), Interests: []string{"摄影", "knitting", "咖啡"}})
	if err != nil {
		t.Fatal(err)
	}
	if *p.Age != 0 || *p.Gender != shop.GenderOther || p.Description != "25岁,女性,喜欢拍照,预算有限" {
		t.Errorf("explicit layer: age %d gender %s description %q", *p.Age, *p.Gender, p.Description)
	}
	if !reflect.DeepEqual(p.Interests, []string{"outdoor", "photography", "coffee"}) {
		t.Errorf("explicit interests %v: duplicates and words outside the vocabulary must not be added", p.Interests)
	}
	// An explicit age outranks the description's, whatever the order in Input.
	p, _ = Merge(Persona{}, Input{Description: strp("25岁"), Age: intp(60)})
	if *p.Age != 60 {
		t.Errorf("age %d, want the explicit 60", *p.Age)
	}
}

func TestMergeEmptyInputKeepsBase(t *testing.T) {
	base := ParsePersona("32岁宝妈,关注育儿和家居,注重实用")
	p, err := Merge(base, Input{})
	if err != nil || !reflect.DeepEqual(p, base) {
		t.Errorf("Merge(base, Input{}) = %+v, %v; want base", p, err)
	}
	// An empty description is stated: it clears the description.
	p, err = Merge(base, Input{Description: strp("  ")})
	if err != nil || p.Description != "" || !reflect.DeepEqual(p.Interests, base.Interests) {
		t.Errorf("empty description: %+v, %v", p, err)
	}
}

func TestMergeRejectsBadInput(t *testing.T) {
	base := ParsePersona("25岁,女性,喜欢拍照")
	other := shop.Gender("ROBOT")
	for _, tc := range []struct {
		in   Input
		want string
	}{
		{Input{Description: strp(strings.Repeat("拍", MaxDescription+1))}, "description must be at most 500 characters"},
		{Input{Age: intp(-1)}, "age must be between 0 and 130"},
		{Input{Age: intp(shop.MaxAge + 1), Description: strp("30岁")}, "age must be between 0 and 130"},
		{Input{Gender: &other}, `gender "ROBOT" is not one of FEMALE MALE OTHER`},
		{Input{Interests: make([]string, shop.MaxInterests+1)}, "interests: at most 30"},
		// the description is checked first, as the fields are listed
		{Input{Description: strp(strings.Repeat("a", MaxDescription+1)), Age: intp(-1)}, "description must be at most 500 characters"},
	} {
		p, err := Merge(base, tc.in)
		if !errors.Is(err, ErrInvalidInput) || err.Error() != tc.want {
			t.Errorf("%+v: error %v, want %q matching ErrInvalidInput", tc.in, err, tc.want)
		}
		if !reflect.DeepEqual(p, base) {
			t.Errorf("%+v: returned %+v, want base unchanged", tc.in, p)
		}
	}
	// The bound counts runes of the trimmed text.
	if _, err := Merge(base, Input{Description: strp(" " + strings.Repeat("拍", MaxDescription) + "\n")}); err != nil {
		t.Errorf("a description of exactly %d runes: %v", MaxDescription, err)
	}
}

func TestMergeDoesNotWriteBaseSlices(t *testing.T) {
	interests := make([]string, 1, 4)
	interests[0] = "travel"
	base := Persona{Interests: interests}
	p, err := Merge(base, Input{Interests: []string{"coffee", "reading"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Interests, []string{"travel", "coffee", "reading"}) {
		t.Errorf("interests %v", p.Interests)
	}
	if spare := interests[:cap(interests)]; spare[1] != "" || spare[2] != "" {
		t.Errorf("Merge wrote into base's backing array: %q", spare)
	}
}
