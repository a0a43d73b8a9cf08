// Package embeddings turns product and query text into vectors: a built-in
// embedder that needs no weights and no network, and a langchaingo-backed one
// for OpenAI-compatible and Ollama endpoints.
//
// Choosing one is configuration (FromEnv, Config.New): SHOPMUSE_EMBEDDER is
// builtin (default), openai or ollama. Products are embedded through
// EmbedProducts, which uses weighted fields (ProductFields) for the built-in
// embedder and one rendered text (ProductText) for external models.
//
// The built-in embedder (Builtin) hashes Tokens — Chinese character unigrams
// and bigrams, words, number+unit tokens and sub-word 3-grams — into a
// signed feature-hashed TF-IDF vector. Its IDF is fitted on the catalogue and
// persisted (MarshalBinary); see Builtin for when to re-fit and re-embed.
// Tokens is exported so a BM25 index tokenises exactly as the vectors do.
//
// Dictionary-based Chinese segmentation (gse) is deliberately not used:
// unigrams+bigrams need no dictionary, never fail on new product names, and
// cover two-character words; gse should come in only if an evaluation shows
// it measurably improves retrieval.
//
// Every embedder returns L2-normalised vectors, and the zero vector for text
// with no content (empty or only punctuation), never NaN.
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
