package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Costs of the work gqlgen's complexity does not see.
const (
	// IntrospectionSchemaCost is one __schema selection: the whole schema,
	// some 60 types with their fields, is built and serialised for it.
	IntrospectionSchemaCost = 500
	// IntrospectionTypeCost is one __type selection.
	IntrospectionTypeCost = 20
	// ScanCost is a listing that reads the whole catalogue or user list:
	// totalCount, or a filter that may match nothing (first: 0 included).
	ScanCost = 200
	// IntrospectionMaxDepth bounds introspection selections. GraphiQL's
	// schema query nests ofType seven times, 11 levels in all.
	IntrospectionMaxDepth = 14
)

// CostLimit refuses operations whose cost is over Max: gqlgen's complexity
// (resolvers/complexity.go) plus what it skips, introspection (it costs
// __schema nothing) and full scans (a first: 0 page with totalCount costs 1
// however large the catalogue).
type CostLimit struct {
	Max int
	es  graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &CostLimit{}

func (*CostLimit) ExtensionName() string { return "CostLimit" }

func (c *CostLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *CostLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || c.Max <= 0 {
		return nil
	}
	cost := complexity.Calculate(ctx, c.es, oc.Operation, oc.Variables)
	cost = satAdd(cost, extraCost(oc.Operation.SelectionSet, oc.Variables, map[string]bool{}))
	if cost > c.Max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation has complexity %d, which exceeds the limit of %d", cost, c.Max),
			Extensions: map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"},
		}
	}
	return nil
}

// extraCost sums introspection and scan costs under set; each alias and
// each fragment spread is paid for, as each is executed.
func extraCost(set ast.SelectionSet, vars map[string]any, visiting map[string]bool) int {
	cost := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			switch {
			case s.Name == "__schema":
				cost = satAdd(cost, IntrospectionSchemaCost)
				continue
			case s.Name == "__type":
				cost = satAdd(cost, IntrospectionTypeCost)
				continue
			case s.ObjectDefinition != nil && s.ObjectDefinition.Name == "Query" && (s.Name == "products" || s.Name == "users"):
				filtered := s.Arguments.ForName("filter") != nil && s.ArgumentMap(vars)["filter"] != nil
				if filtered || selects(s.SelectionSet, "totalCount", map[string]bool{}) {
					cost = satAdd(cost, ScanCost)
				}
			}
			cost = satAdd(cost, extraCost(s.SelectionSet, vars, visiting))
		case *ast.InlineFragment:
			cost = satAdd(cost, extraCost(s.SelectionSet, vars, visiting))
		case *ast.FragmentSpread:
			if s.Definition == nil || visiting[s.Name] {
				continue
			}
			visiting[s.Name] = true
			cost = satAdd(cost, extraCost(s.Definition.SelectionSet, vars, visiting))
			delete(visiting, s.Name)
		}
	}
	return cost
}

// selects reports whether set selects the field name, through fragments.
func selects(set ast.SelectionSet, name string, visiting map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == name {
				return true
			}
		case *ast.InlineFragment:
			if selects(s.SelectionSet, name, visiting) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && !visiting[s.Name] {
				visiting[s.Name] = true
				if selects(s.Definition.SelectionSet, name, visiting) {
					return true
				}
			}
		}
	}
	return false
}

func satAdd(a, b int) int {
	if s := a + b; s >= a {
		return s
	}
	return int(^uint(0) >> 1)
}

// Introspection says who may introspect the schema.
type Introspection int

const (
	IntrospectionOff   Introspection = iota
	IntrospectionAdmin               // admin keys only
	IntrospectionOn
)

// ParseIntrospection reads SHOPMUSE_INTROSPECTION: on, off or admin.
func ParseIntrospection(s string) (Introspection, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on", "1", "true", "yes":
		return IntrospectionOn, nil
	case "off", "0", "false", "no":
		return IntrospectionOff, nil
	case "admin":
		return IntrospectionAdmin, nil
	}
	return IntrospectionOff, fmt.Errorf("SHOPMUSE_INTROSPECTION must be on, off or admin, got %q", s)
}

// IntrospectionPolicy allows introspection by the caller's role.
type IntrospectionPolicy struct{ Mode Introspection }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = IntrospectionPolicy{}

func (IntrospectionPolicy) ExtensionName() string                   { return "IntrospectionPolicy" }
func (IntrospectionPolicy) Validate(graphql.ExecutableSchema) error { return nil }
func (p IntrospectionPolicy) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	oc.DisableIntrospection = !(p.Mode == IntrospectionOn || p.Mode == IntrospectionAdmin && RoleFrom(ctx) == RoleAdmin)
	// Refused up front with its own code: left to the resolvers it came
	// back as INTERNAL_SERVER_ERROR and an error-level log line per alias.
	if oc.DisableIntrospection && oc.Operation != nil && introspects(oc.Operation.SelectionSet, map[string]bool{}) {
		return &gqlerror.Error{Message: "introspection is disabled for this caller (SHOPMUSE_INTROSPECTION)",
			Extensions: map[string]any{"code": "INTROSPECTION_DISABLED"}}
	}
	return nil
}

// introspects reports whether a root selection asks for __schema or __type.
func introspects(set ast.SelectionSet, visiting map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if introspects(s.SelectionSet, visiting) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && !visiting[s.Name] {
				visiting[s.Name] = true
				if introspects(s.Definition.SelectionSet, visiting) {
					return true
				}
			}
		}
	}
	return false
}
