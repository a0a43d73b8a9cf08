package main

// The GraphQL layer in graph/ is generated from schema.graphqls and gqlgen.yml.
//go:generate go tool gqlgen generate
