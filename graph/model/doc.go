// Package model holds the GraphQL types that gqlgen generates because no Go
// type is bound to them in gqlgen.yml (payloads, inputs, connections of
// campaign messages). The domain types are bound from shop and the engines.
package model
