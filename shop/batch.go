package shop

import (
	"fmt"
	"strconv"
	"time"
)

// NormalizeProducts validates a whole batch of product inputs under the field
// name (usually "input") and returns the normalised products only when every
// row is valid. Errors name the row: ["input", "3", "price", "amount"].
func NormalizeProducts(in []ProductInput, field string) ([]Product, []UserError) {
	if errs := BatchTooLarge(len(in), field); errs != nil {
		return nil, errs
	}
	var errs []UserError
	out := make([]Product, 0, len(in))
	seen := make(map[string]int, len(in))
	for i := range in {
		row := strconv.Itoa(i)
		p, es := in[i].Normalize(field, row)
		errs = append(errs, es...)
		if j, dup := seen[p.ID]; dup && p.ID != "" {
			errs = append(errs, UserError{Field: []string{field, row, "id"}, Code: CodeDuplicate,
				Message: fmt.Sprintf("id %q also appears at index %d", p.ID, j)})
		}
		seen[p.ID] = i
		out = append(out, p)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// NormalizeUsers validates a whole batch of user inputs, as NormalizeProducts.
func NormalizeUsers(in []UserInput, field string) ([]User, []UserError) {
	if errs := BatchTooLarge(len(in), field); errs != nil {
		return nil, errs
	}
	var errs []UserError
	out := make([]User, 0, len(in))
	seen := make(map[string]int, len(in))
	for i := range in {
		row := strconv.Itoa(i)
		u, es := in[i].Normalize(field, row)
		errs = append(errs, es...)
		if j, dup := seen[u.ID]; dup && u.ID != "" {
			errs = append(errs, UserError{Field: []string{field, row, "id"}, Code: CodeDuplicate,
				Message: fmt.Sprintf("id %q also appears at index %d", u.ID, j)})
		}
		seen[u.ID] = i
		out = append(out, u)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// NormalizeInteractions validates a whole batch of interaction inputs against
// the clock now. Repeats inside a batch are not errors: the store treats an
// interaction as a fact identified by (user, product, kind, time) and keeps one.
func NormalizeInteractions(in []InteractionInput, now time.Time, field string) ([]Interaction, []UserError) {
	if errs := BatchTooLarge(len(in), field); errs != nil {
		return nil, errs
	}
	var errs []UserError
	out := make([]Interaction, 0, len(in))
	for i := range in {
		// Rows without a time get distinct nanoseconds so that two views in one
		// request stay two events.
		it, es := in[i].Normalize(now.Add(time.Duration(i)), field, strconv.Itoa(i))
		errs = append(errs, es...)
		out = append(out, it)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}
