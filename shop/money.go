package shop

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Decimal is a non-float decimal amount with two fraction digits, held as an
// integer count of hundredths (fen, cents). Prices never pass through a float:
// "5999.00" is Decimal(599900).
//
// On the wire it is a GraphQL scalar serialised as a string, as Shopify's
// MoneyV2.amount is.
type Decimal int64

// MaxDecimal bounds amounts so that sums over large carts cannot overflow.
const MaxDecimal Decimal = 1_000_000_000_00 // one billion

// ParseDecimal parses "5999", "5999.5" or "5999.00". More than two fraction
// digits, exponents, signs other than a leading '-' and empty input are errors.
func ParseDecimal(s string) (Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty decimal")
	}
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%q has more than two decimal places", s)
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, fmt.Errorf("%q is not a decimal number", s)
			}
		}
	}
	if len(whole) > 12 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	d := Decimal(w*100 + f)
	if d > MaxDecimal {
		return 0, fmt.Errorf("%q is too large", s)
	}
	if neg {
		d = -d
	}
	return d, nil
}

// String renders the amount with exactly two fraction digits: "5999.00".
func (d Decimal) String() string {
	sign := ""
	v := int64(d)
	if v < 0 {
		sign = "-"
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Trimmed renders the amount without a zero fraction: "5999", "59.90" stays.
func (d Decimal) Trimmed() string {
	if d%100 == 0 {
		return strconv.FormatInt(int64(d/100), 10)
	}
	return d.String()
}

// MarshalGQL writes the amount as a GraphQL string.
func (d Decimal) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(d.String())) }

// UnmarshalGQL accepts a decimal string, an integer or an exact JSON number.
func (d *Decimal) UnmarshalGQL(v any) error {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	default:
		return fmt.Errorf("Decimal must be a string such as \"5999.00\", got %T", v)
	}
	parsed, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// MarshalJSON and UnmarshalJSON keep the decimal string form in stored JSON too.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(d.String())), nil }

func (d *Decimal) UnmarshalJSON(b []byte) error {
	if s, err := strconv.Unquote(string(b)); err == nil {
		return d.UnmarshalGQL(s)
	}
	return d.UnmarshalGQL(json.Number(string(b)))
}

// Money is an amount in a currency, as Shopify's MoneyV2.
type Money struct {
	Amount       Decimal `json:"amount"`
	CurrencyCode string  `json:"currencyCode"`
}

// DefaultCurrency is used when an input names none.
const DefaultCurrency = "CNY"

// ValidCurrency reports whether code looks like an ISO 4217 code.
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	for _, r := range code {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
