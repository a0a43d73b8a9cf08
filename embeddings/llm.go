package embeddings

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tmc/langchaingo/llms/ollama"
	"github.com/tmc/langchaingo/llms/openai"
)

// Providers of NewLLM.
const (
	ProviderOpenAI = "openai"
	ProviderOllama = "ollama"
)

// Defaults for LLMConfig.
const (
	DefaultOpenAIBaseURL = "https://api.openai.com/v1"
	DefaultOllamaHost    = "http://127.0.0.1:11434"
	DefaultOpenAIModel   = "text-embedding-3-small"
	DefaultOllamaModel   = "nomic-embed-text"
	DefaultBatchSize     = 64
	DefaultTimeout       = 60 * time.Second
)

// LLMConfig configures an OpenAI-compatible or Ollama embedding endpoint.
type LLMConfig struct {
	Provider string // ProviderOpenAI or ProviderOllama
	// BaseURL is the OpenAI base URL including the version path (requests go
	// to BaseURL+"/embeddings", e.g. https://api.openai.com/v1), or the
	// Ollama host (requests go to BaseURL+"/api/embed"). Empty means the
	// provider's default.
	BaseURL string
	// APIKey is required for api.openai.com; for other OpenAI-compatible
	// servers an empty key sends a placeholder (langchaingo refuses none).
	APIKey string
	Model  string // empty means the provider's default model
	// Dim is the expected dimension. 0 discovers it by embedding a probe
	// text in NewLLM. For OpenAI a non-zero Dim is also sent as the
	// "dimensions" request field (text-embedding-3-* shorten to it); leave
	// it 0 for servers that reject that field.
	Dim int
	// BatchSize is the most texts per request (OpenAI) or per call into the
	// client (Ollama, which langchaingo sends one request per text); 0 means
	// DefaultBatchSize.
	BatchSize int
	// Timeout bounds each request batch; 0 means DefaultTimeout. The
	// caller's context still applies.
	Timeout time.Duration
}

// probeText is embedded to discover the dimension when Dim is 0.
const probeText = "shopmuse dimension probe"

// llmEmbedder adapts a langchaingo client. It calls the client's
// CreateEmbedding directly rather than through langchaingo's
// embeddings.NewEmbedder, whose EmbedDocuments rewrites the caller's slice
// in place (newline stripping) and whose EmbedQuery indexes the first
// result without checking there is one; batching and validation here are
// a few lines.
type llmEmbedder struct {
	name      string
	dim       int
	batchSize int
	timeout   time.Duration
	client    interface {
		CreateEmbedding(ctx context.Context, texts []string) ([][]float32, error)
	}
}

// NewLLM returns an Embedder backed by an OpenAI-compatible or Ollama
// endpoint through langchaingo. When cfg.Dim is 0 it embeds a probe text to
// learn the dimension, so it fails if the endpoint is unreachable; with Dim
// set it makes no request, so a service can start while the endpoint is down.
func NewLLM(ctx context.Context, cfg LLMConfig) (Embedder, error) {
	if cfg.Dim < 0 {
		return nil, fmt.Errorf("embeddings: dimension must not be negative, got %d", cfg.Dim)
	}
	if cfg.BatchSize < 0 {
		return nil, fmt.Errorf("embeddings: batch size must not be negative, got %d", cfg.BatchSize)
	}
	e := &llmEmbedder{dim: cfg.Dim, batchSize: cfg.BatchSize, timeout: cfg.Timeout}
	if e.batchSize == 0 {
		e.batchSize = DefaultBatchSize
	}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	// The clients get a plain http.Client: deadlines come from contexts,
	// so a slow request is bounded by Timeout and by the caller alike.
	httpClient := &http.Client{}
	switch cfg.Provider {
	case ProviderOpenAI:
		base := cfg.BaseURL
		if base == "" {
			base = DefaultOpenAIBaseURL
		}
		if err := checkHTTPURL(base); err != nil {
			return nil, fmt.Errorf("embeddings: openai base URL: %w", err)
		}
		key := cfg.APIKey
		if key == "" {
			u, _ := url.Parse(base)
			if u.Hostname() == "api.openai.com" {
				return nil, errors.New("embeddings: openai: an API key (OPENAI_API_KEY) is required for api.openai.com")
			}
			key = "unused" // local OpenAI-compatible servers ignore it; langchaingo requires one
		}
		if cfg.Model == "" {
			cfg.Model = DefaultOpenAIModel
		}
		// Every option is passed explicitly: langchaingo otherwise falls back
		// to OPENAI_* process variables, and configuration must come from cfg.
		opts := []openai.Option{
			openai.WithToken(key),
			openai.WithBaseURL(base),
			openai.WithEmbeddingModel(cfg.Model),
			openai.WithModel(cfg.Model),
			openai.WithHTTPClient(httpClient),
		}
		if cfg.Dim > 0 {
			opts = append(opts, openai.WithEmbeddingDimensions(cfg.Dim))
		}
		c, err := openai.New(opts...)
		if err != nil {
			return nil, fmt.Errorf("embeddings: openai client: %w", err)
		}
		e.client = c
	case ProviderOllama:
		base := cfg.BaseURL
		if base == "" {
			base = DefaultOllamaHost
		}
		// ollama.WithServerURL calls log.Fatal on a URL it cannot parse, so
		// the URL is checked here first.
		if err := checkHTTPURL(base); err != nil {
			return nil, fmt.Errorf("embeddings: ollama host: %w", err)
		}
		if cfg.Model == "" {
			cfg.Model = DefaultOllamaModel
		}
		c, err := ollama.New(ollama.WithServerURL(base), ollama.WithModel(cfg.Model), ollama.WithHTTPClient(httpClient))
		if err != nil {
			return nil, fmt.Errorf("embeddings: ollama client: %w", err)
		}
		e.client = c
	default:
		return nil, fmt.Errorf("embeddings: unknown provider %q (want %q or %q)", cfg.Provider, ProviderOpenAI, ProviderOllama)
	}
	e.name = cfg.Provider + "/" + cfg.Model // completed with the dimension below
	if e.dim == 0 {
		vs, err := e.embedBatch(ctx, []string{probeText})
		if err != nil {
			return nil, fmt.Errorf("embeddings: %s: discovering the dimension: %w", e.name, err)
		}
		e.dim = len(vs[0])
	}
	e.name += "/" + strconv.Itoa(e.dim)
	return e, nil
}

// checkHTTPURL accepts absolute http(s) URLs with a host.
func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	return nil
}

func (e *llmEmbedder) Name() string { return e.name }
func (e *llmEmbedder) Dim() int     { return e.dim }

// EmbedDocuments embeds texts in batches. Empty or blank texts get the zero
// vector without a request, as with Builtin (OpenAI rejects empty input).
// The whole call fails if any batch fails: no partial result.
func (e *llmEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	idx := make([]int, 0, len(texts))
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			out[i] = make([]float32, e.dim)
		} else {
			idx = append(idx, i)
		}
	}
	batches := (len(idx) + e.batchSize - 1) / e.batchSize
	for b := 0; b < batches; b++ {
		part := idx[b*e.batchSize : min((b+1)*e.batchSize, len(idx))]
		batch := make([]string, len(part))
		for k, i := range part {
			batch[k] = texts[i]
		}
		vs, err := e.embedBatch(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("embeddings: %s: batch %d of %d: %w", e.name, b+1, batches, err)
		}
		for k, i := range part {
			out[i] = vs[k]
		}
	}
	return out, nil
}

// EmbedQuery embeds one text as EmbedDocuments does; neither provider's
// langchaingo client distinguishes queries.
func (e *llmEmbedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	vs, err := e.EmbedDocuments(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

// embedBatch makes one client call and checks what came back: one vector
// per text, of the expected dimension (when known), finite and non-zero.
func (e *llmEmbedder) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	vs, err := e.client.CreateEmbedding(ctx, texts)
	if err != nil {
		// langchaingo's OpenAI client replaces context errors by plain
		// text; put the cause back so callers can errors.Is it.
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			return nil, fmt.Errorf("%w (%v)", cerr, err)
		}
		return nil, err
	}
	if len(vs) != len(texts) {
		return nil, fmt.Errorf("%d texts gave %d vectors", len(texts), len(vs))
	}
	want := e.dim
	if want == 0 {
		want = len(vs[0])
		if want == 0 {
			return nil, errors.New("the endpoint returned an empty vector")
		}
	}
	for i, v := range vs {
		if len(v) != want {
			return nil, fmt.Errorf("vector %d has dimension %d, want %d", i, len(v), want)
		}
		if err := normalise(v); err != nil {
			return nil, fmt.Errorf("vector %d: %w", i, err)
		}
	}
	return vs, nil
}

// normalise scales v to unit length in place. A zero or non-finite vector
// is an endpoint failure, not something to index.
func normalise(v []float32) error {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return errors.New("the endpoint returned a zero vector")
	}
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return errors.New("the endpoint returned a non-finite value")
	}
	inv := 1 / math.Sqrt(s)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
	return nil
}
