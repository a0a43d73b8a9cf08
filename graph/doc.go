// Package graph is the GraphQL executable schema that gqlgen generates from
// schema.graphqls and gqlgen.yml (`go generate ./...`). Do not edit
// generated.go; the resolvers it calls live in package resolvers.
package graph
