// Package embeddings turns product and query text into vectors: a built-in
// embedder that needs no weights and no network, and a langchaingo-backed one
// for OpenAI-compatible and Ollama endpoints.
package embeddings

import "context"

// Embedder maps text to L2-normalised float32 vectors of a fixed dimension.
type Embedder interface {
	// Name is stable for a given model and configuration (it includes the
	// dimension); vectors from embedders with different names never mix.
	Name() string
	Dim() int
	// EmbedDocuments embeds a batch of documents.
	EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error)
	// EmbedQuery embeds a search query, which some models treat differently.
	EmbedQuery(ctx context.Context, text string) ([]float32, error)
}
