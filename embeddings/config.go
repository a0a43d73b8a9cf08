package embeddings

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Kinds of embedder chosen by SHOPMUSE_EMBEDDER.
const (
	KindBuiltin = "builtin"
	KindOpenAI  = ProviderOpenAI
	KindOllama  = ProviderOllama
)

// MaxDim bounds configured dimensions; larger is a typo, not a model.
const MaxDim = 16384

// Config selects and configures an embedder; FromEnv fills it from the
// environment and New builds it.
type Config struct {
	Kind string // KindBuiltin, KindOpenAI or KindOllama
	// Dim is the builtin dimension (0 means DefaultDim); LLM.Dim is used for
	// the other kinds.
	Dim int
	LLM LLMConfig
}

// FromEnv reads:
//
//	SHOPMUSE_EMBEDDER     builtin (default) | openai | ollama
//	SHOPMUSE_EMBED_MODEL  model name (text-embedding-3-small, nomic-embed-text)
//	SHOPMUSE_EMBED_DIM    dimension: builtin buckets (default 256), or the
//	                      expected (for OpenAI, requested) model dimension
//	OPENAI_BASE_URL       OpenAI-compatible base URL incl. /v1 (default api.openai.com/v1)
//	OPENAI_API_KEY        OpenAI key
//	OLLAMA_HOST           Ollama host (default http://127.0.0.1:11434); as
//	                      with the ollama CLI, host[:port] without a scheme
//	                      means http and port 11434
//
// It validates everything it reads, so a bad setting fails at start-up.
func FromEnv(getenv func(string) string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := Config{Kind: strings.ToLower(get("SHOPMUSE_EMBEDDER"))}
	if c.Kind == "" {
		c.Kind = KindBuiltin
	}
	dim := 0
	if s := get("SHOPMUSE_EMBED_DIM"); s != "" {
		d, err := strconv.Atoi(s)
		if err != nil || d <= 0 || d > MaxDim {
			return Config{}, fmt.Errorf("embeddings: SHOPMUSE_EMBED_DIM=%q: want an integer from 1 to %d", s, MaxDim)
		}
		dim = d
	}
	model := get("SHOPMUSE_EMBED_MODEL")
	switch c.Kind {
	case KindBuiltin:
		c.Dim = dim
		if c.Dim == 0 {
			c.Dim = DefaultDim
		}
	case KindOpenAI:
		c.LLM = LLMConfig{Provider: ProviderOpenAI, BaseURL: get("OPENAI_BASE_URL"), APIKey: get("OPENAI_API_KEY"),
			Model: model, Dim: dim}
		if c.LLM.BaseURL == "" {
			c.LLM.BaseURL = DefaultOpenAIBaseURL
		}
		if c.LLM.Model == "" {
			c.LLM.Model = DefaultOpenAIModel
		}
		if err := checkHTTPURL(c.LLM.BaseURL); err != nil {
			return Config{}, fmt.Errorf("embeddings: OPENAI_BASE_URL: %w", err)
		}
	case KindOllama:
		c.LLM = LLMConfig{Provider: ProviderOllama, BaseURL: ollamaHostURL(get("OLLAMA_HOST")), Model: model, Dim: dim}
		if c.LLM.Model == "" {
			c.LLM.Model = DefaultOllamaModel
		}
		if err := checkHTTPURL(c.LLM.BaseURL); err != nil {
			return Config{}, fmt.Errorf("embeddings: OLLAMA_HOST: %w", err)
		}
	default:
		return Config{}, fmt.Errorf("embeddings: SHOPMUSE_EMBEDDER=%q: want builtin, openai or ollama", c.Kind)
	}
	return c, nil
}

// ollamaHostURL turns OLLAMA_HOST into a URL the way the ollama CLI does:
// "" is the default, and a value without a scheme (0.0.0.0, host:11434) is
// http with port 11434 unless one is given.
func ollamaHostURL(v string) string {
	if v == "" {
		return DefaultOllamaHost
	}
	if strings.Contains(v, "://") {
		return v
	}
	hostport, path, _ := strings.Cut(v, "/")
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		hostport = net.JoinHostPort(strings.Trim(hostport, "[]"), "11434")
	}
	if path != "" {
		return "http://" + hostport + "/" + path
	}
	return "http://" + hostport
}

// New builds the configured embedder. For the LLM kinds it may contact the
// endpoint (see NewLLM). A builtin embedder is returned as *Builtin, which
// callers type-assert to fit and persist its IDF state.
func (c Config) New(ctx context.Context) (Embedder, error) {
	switch c.Kind {
	case KindBuiltin, "":
		return NewBuiltin(c.Dim), nil
	case KindOpenAI, KindOllama:
		return NewLLM(ctx, c.LLM)
	default:
		return nil, fmt.Errorf("embeddings: unknown embedder kind %q", c.Kind)
	}
}
