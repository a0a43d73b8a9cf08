// Package imagevec embeds product images with an image embedding model
// served over HTTP (issue 18 part 3) and keeps the vectors, one per
// product, for similarProducts and the recommender's content retriever.
//
// The image is the product's imageURL, fetched through vision's
// SSRF-guarded Fetcher; it is sent as base64 to an OpenAI-compatible
// /embeddings endpoint (a data URL in "input") or to an Ollama-protocol
// /api/embed endpoint (in "images"). Vectors persist as blobs (namespace
// Namespace, key = product ID) and are loaded into an in-memory vector
// index at start and whenever another replica writes one (Reload).
// Embedding runs in the background with bounded concurrency: a product
// write never waits for it, and a failure leaves the product without an
// image vector, which is logged and counted.
package imagevec

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Providers.
const (
	ProviderOpenAI = "openai"
	ProviderOllama = "ollama"
)

// Defaults and bounds.
const (
	DefaultWeight      = 0.5
	DefaultConcurrency = 2
	MaxConcurrency     = 32
	DefaultTimeout     = 30 * time.Second
	MaxDim             = 16384
)

// Config configures the image embedder.
type Config struct {
	Provider string // ProviderOpenAI or ProviderOllama
	// URL is the OpenAI-compatible base URL including the version path
	// (requests go to URL+"/embeddings") or the Ollama host (requests go
	// to URL+"/api/embed").
	URL    string
	APIKey string // sent as a bearer token when set
	Model  string
	// Dim is the model's dimension; every answer of another length is
	// refused.
	Dim int
	// Weight is the image similarity's share in a combined score:
	// (1-Weight)×text cosine + Weight×image cosine.
	Weight float64
	// Concurrency bounds images fetched and embedded at once.
	Concurrency int
	// Timeout bounds one embedding request.
	Timeout time.Duration
	// AllowPrivate lets image URLs resolve to private addresses (tests,
	// closed networks): SHOPMUSE_IMAGE_FETCH_ALLOW_PRIVATE.
	AllowPrivate bool
}

// Name identifies the model and dimension: vectors stored under another
// name are embedded again.
func (c Config) Name() string { return c.Provider + "/" + c.Model + "/" + strconv.Itoa(c.Dim) }

// FromEnv reads
//
//	SHOPMUSE_IMAGE_EMBEDDER            off (default) | openai | ollama
//	SHOPMUSE_IMAGE_EMBED_URL           the endpoint's base URL (required)
//	SHOPMUSE_IMAGE_EMBED_MODEL         the model name (required)
//	SHOPMUSE_IMAGE_EMBED_DIM           its dimension (required, 1–16384)
//	SHOPMUSE_IMAGE_EMBED_API_KEY       bearer token (optional)
//	SHOPMUSE_IMAGE_WEIGHT              image share of similarity, (0, 1], default 0.5
//	SHOPMUSE_IMAGE_EMBED_CONCURRENCY   images at once, 1–32, default 2
//
// ok is false when the embedder is off. allowPrivate comes from
// SHOPMUSE_IMAGE_FETCH_ALLOW_PRIVATE (vision.AllowPrivateFrom). Every
// value is checked, so a bad one fails at start-up.
func FromEnv(getenv func(string) string, allowPrivate bool) (c Config, ok bool, err error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c.Provider = strings.ToLower(get("SHOPMUSE_IMAGE_EMBEDDER"))
	switch c.Provider {
	case "", "off", "none", "0", "false":
		return Config{}, false, nil
	case ProviderOpenAI, ProviderOllama:
	default:
		return Config{}, false, fmt.Errorf("SHOPMUSE_IMAGE_EMBEDDER=%q: want off, openai or ollama", c.Provider)
	}
	c.URL, c.Model, c.APIKey, c.AllowPrivate = get("SHOPMUSE_IMAGE_EMBED_URL"), get("SHOPMUSE_IMAGE_EMBED_MODEL"), get("SHOPMUSE_IMAGE_EMBED_API_KEY"), allowPrivate
	if c.URL == "" {
		return Config{}, false, errors.New("SHOPMUSE_IMAGE_EMBEDDER is set: SHOPMUSE_IMAGE_EMBED_URL must name the embedding endpoint")
	}
	if err := checkURL(c.URL); err != nil {
		return Config{}, false, fmt.Errorf("SHOPMUSE_IMAGE_EMBED_URL: %w", err)
	}
	c.URL = strings.TrimRight(c.URL, "/")
	if c.Model == "" {
		return Config{}, false, errors.New("SHOPMUSE_IMAGE_EMBEDDER is set: SHOPMUSE_IMAGE_EMBED_MODEL must name an image embedding model")
	}
	s := get("SHOPMUSE_IMAGE_EMBED_DIM")
	if c.Dim, err = strconv.Atoi(s); err != nil || c.Dim < 1 || c.Dim > MaxDim {
		return Config{}, false, fmt.Errorf("SHOPMUSE_IMAGE_EMBED_DIM=%q: want the model's dimension, an integer from 1 to %d", s, MaxDim)
	}
	c.Weight = DefaultWeight
	if s := get("SHOPMUSE_IMAGE_WEIGHT"); s != "" {
		if c.Weight, err = strconv.ParseFloat(s, 64); err != nil || !(c.Weight > 0 && c.Weight <= 1) {
			return Config{}, false, fmt.Errorf("SHOPMUSE_IMAGE_WEIGHT=%q: want a number above 0 and at most 1", s)
		}
	}
	c.Concurrency = DefaultConcurrency
	if s := get("SHOPMUSE_IMAGE_EMBED_CONCURRENCY"); s != "" {
		if c.Concurrency, err = strconv.Atoi(s); err != nil || c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
			return Config{}, false, fmt.Errorf("SHOPMUSE_IMAGE_EMBED_CONCURRENCY=%q: want an integer from 1 to %d", s, MaxConcurrency)
		}
	}
	return c, true, nil
}

// checkURL accepts absolute http(s) URLs with a host and no credentials
// (a key goes in SHOPMUSE_IMAGE_EMBED_API_KEY, not in a URL that is logged).
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	if u.User != nil {
		return fmt.Errorf("%q: credentials in the URL are refused; use SHOPMUSE_IMAGE_EMBED_API_KEY", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: a base URL takes no query or fragment", raw)
	}
	return nil
}
