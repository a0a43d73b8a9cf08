package shop

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseDecimal(t *testing.T) {
	good := map[string]string{"5999": "5999.00", "5999.5": "5999.50", "0.05": "0.05", "-3.10": "-3.10", " 12.00 ": "12.00"}
	for in, want := range good {
		d, err := ParseDecimal(in)
		if err != nil || d.String() != want {
			t.Errorf("%q: %v %v", in, d, err)
		}
	}
	for _, in := range []string{"", "1.234", "1e3", "abc", ".5", "5.", "+5", "1,000", "9999999999999"} {
		if _, err := ParseDecimal(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
	if Decimal(599900).Trimmed() != "5999" || Decimal(5990).Trimmed() != "59.90" {
		t.Error("Trimmed")
	}
}

func TestDecimalJSON(t *testing.T) {
	var m Money
	if err := json.Unmarshal([]byte(`{"amount":"19.90","currencyCode":"CNY"}`), &m); err != nil || m.Amount != 1990 {
		t.Fatal(m, err)
	}
	if err := json.Unmarshal([]byte(`{"amount":20}`), &m); err != nil || m.Amount != 2000 {
		t.Fatal(m, err)
	}
	if err := json.Unmarshal([]byte(`{"amount":19.999}`), &m); err == nil {
		t.Fatal("three decimals accepted")
	}
	b, _ := json.Marshal(Money{Amount: 599900, CurrencyCode: "CNY"})
	if string(b) != `{"amount":"5999.00","currencyCode":"CNY"}` {
		t.Fatal(string(b))
	}
}

func TestProductInputNormalize(t *testing.T) {
	desc := "  6.6英寸 OLED  "
	in := ProductInput{ID: "p1", Title: " 华为 P50 Pro ", Description: &desc, Category: " 数码 / 手机/ ",
		Tags: []string{"5G", "5g", " 拍照 "}, Price: &MoneyInput{Amount: 599900},
		Attributes: []AttributeInput{{Name: "电池", Value: "4400mAh"}}}
	p, errs := in.Normalize("input", "0")
	if errs != nil {
		t.Fatal(errs)
	}
	if p.Title != "华为 P50 Pro" || p.Category != "数码/手机" || len(p.Tags) != 2 || p.Language != LanguageZH ||
		!p.Available || p.Price.CurrencyCode != "CNY" || p.Description != "6.6英寸 OLED" {
		t.Fatalf("%+v", p)
	}
	bad := ProductInput{ID: strings.Repeat("x", 129), Title: "", Category: "a//b", Price: &MoneyInput{Amount: -1},
		Attributes: []AttributeInput{{Name: "a", Value: "1"}, {Name: "a", Value: "2"}}, ImageURL: ptrS("ftp://x")}
	_, errs = bad.Normalize("input", "7")
	got := map[string]ErrorCode{}
	for _, e := range errs {
		got[strings.Join(e.Field, ".")] = e.Code
	}
	want := map[string]ErrorCode{"input.7.id": CodeTooLong, "input.7.title": CodeRequired, "input.7.category": CodeInvalid,
		"input.7.price.amount": CodeInvalid, "input.7.attributes.1.name": CodeDuplicate, "input.7.imageURL": CodeInvalid}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestInteractionInputNormalize(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	future := now.Add(6 * time.Minute)
	soon := now.Add(4 * time.Minute)
	five := 5.0
	cases := []struct {
		in   InteractionInput
		want string
	}{
		{InteractionInput{UserID: "u", ProductID: "p", Kind: KindView}, ""},
		{InteractionInput{UserID: "u", ProductID: "p", Kind: KindView, OccurredAt: &soon}, ""},
		{InteractionInput{UserID: "u", ProductID: "p", Kind: KindView, OccurredAt: &future}, "occurredAt"},
		{InteractionInput{UserID: "u", ProductID: "p", Kind: KindRate}, "value"},
		{InteractionInput{UserID: "u", ProductID: "p", Kind: KindRate, Value: &five}, ""},
		{InteractionInput{UserID: "", ProductID: "p", Kind: KindView}, "userID"},
		{InteractionInput{UserID: "u", ProductID: "p", Kind: "JUMP"}, "kind"},
	}
	for i, c := range cases {
		it, errs := c.in.Normalize(now)
		var got string
		if len(errs) > 0 {
			got = errs[0].Field[len(errs[0].Field)-1]
		}
		if got != c.want {
			t.Errorf("case %d: error on %q, want %q", i, got, c.want)
		}
		if c.in.OccurredAt == nil && !it.OccurredAt.Equal(now) {
			t.Errorf("case %d: default time %v", i, it.OccurredAt)
		}
	}
	// Two rows without a time stay two events.
	its, _ := NormalizeInteractions([]InteractionInput{cases[0].in, cases[0].in}, now, "input")
	if its[0].OccurredAt.Equal(its[1].OccurredAt) {
		t.Fatal("rows without a time collapsed")
	}
}

func TestCategoryMatches(t *testing.T) {
	if !CategoryMatches("家居/杯具", "家居") || CategoryMatches("家居用品", "家居") || !CategoryMatches("家居", "家居/") {
		t.Fatal("segment prefix")
	}
}

func ptrS(s string) *string { return &s }

func FuzzProductInputNormalize(f *testing.F) {
	f.Add("p1", "华为 P50 Pro", "数码/手机", "5G", "电池", "4400mAh", int64(599900))
	f.Add("", "", "//", "", "", "", int64(-1))
	f.Fuzz(func(t *testing.T, id, title, cat, tag, an, av string, amount int64) {
		in := ProductInput{ID: id, Title: title, Category: cat, Tags: []string{tag},
			Attributes: []AttributeInput{{Name: an, Value: av}}, Price: &MoneyInput{Amount: Decimal(amount)}}
		p, errs := in.Normalize("input", "0")
		if len(errs) > 0 {
			for _, e := range errs {
				if len(e.Field) < 3 || e.Code == "" || e.Message == "" {
					t.Fatalf("malformed error %+v", e)
				}
			}
			return
		}
		// What validation accepts is within the limits.
		if p.Price.Amount < 0 || p.Title == "" || p.Category == "" || strings.Contains(p.Category, "//") {
			t.Fatalf("accepted %+v", p)
		}
	})
}
