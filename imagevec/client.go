package imagevec

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"
)

// ErrMalformed marks an answer that is not a usable vector (wrong shape,
// wrong dimension, non-finite or zero); other errors are the request's.
var ErrMalformed = errors.New("malformed embedding answer")

// Client asks the configured endpoint for one image's vector.
type Client struct {
	cfg  Config
	http *http.Client
}

// NewClient builds a client; it makes no request. hc nil means a plain
// client (deadlines come from Config.Timeout and the caller's context).
func NewClient(cfg Config, hc *http.Client) (*Client, error) {
	if cfg.Provider != ProviderOpenAI && cfg.Provider != ProviderOllama {
		return nil, fmt.Errorf("imagevec: provider %q: want openai or ollama", cfg.Provider)
	}
	if err := checkURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("imagevec: %w", err)
	}
	if cfg.Dim < 1 || cfg.Dim > MaxDim {
		return nil, fmt.Errorf("imagevec: dimension %d out of 1–%d", cfg.Dim, MaxDim)
	}
	if cfg.Model == "" {
		return nil, errors.New("imagevec: a model is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{cfg: cfg, http: hc}, nil
}

// The request shapes. OpenAI-compatible servers that embed images (CLIP
// behind Infinity, vLLM, LocalAI and the like) take the image as a data
// URL in "input"; "modality" is Infinity's switch to image input, and
// servers that do not know it ignore it. The Ollama shape puts the raw
// base64 in "images", as /api/generate does; stock Ollama embeds only
// text, so this is for Ollama-protocol servers that embed images.
type openaiRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	EncodingFormat string   `json:"encoding_format"`
	Modality       string   `json:"modality"`
}

type openaiResponse struct {
	Data []struct {
		Embedding []float64 `json:"embedding"`
		Index     int       `json:"index"`
	} `json:"data"`
}

type ollamaRequest struct {
	Model  string   `json:"model"`
	Images []string `json:"images"`
}

type ollamaResponse struct {
	Embeddings [][]float64 `json:"embeddings"`
}

// Embed returns the image's L2-normalised vector.
func (c *Client) Embed(ctx context.Context, data []byte, mime string) ([]float32, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	b64 := base64.StdEncoding.EncodeToString(data)
	var body any
	var endpoint string
	if c.cfg.Provider == ProviderOpenAI {
		endpoint = c.cfg.URL + "/embeddings"
		body = openaiRequest{Model: c.cfg.Model, Input: []string{"data:" + mime + ";base64," + b64}, EncodingFormat: "float", Modality: "image"}
	} else {
		endpoint = c.cfg.URL + "/api/embed"
		body = ollamaRequest{Model: c.cfg.Model, Images: []string{b64}}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("image embedding request after %s: %w", time.Since(start).Round(time.Millisecond), cerr)
		}
		return nil, fmt.Errorf("image embedding request: %w", err)
	}
	defer resp.Body.Close()
	// A vector of Dim numbers fits well within 32 bytes a number.
	limit := int64(c.cfg.Dim)*32 + 1<<16
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("image embedding answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("image embedding endpoint answered HTTP %d", resp.StatusCode)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrMalformed, limit)
	}
	var v []float64
	if c.cfg.Provider == ProviderOpenAI {
		var r openaiResponse
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if len(r.Data) != 1 {
			return nil, fmt.Errorf("%w: %d vectors for one image", ErrMalformed, len(r.Data))
		}
		v = r.Data[0].Embedding
	} else {
		var r ollamaResponse
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if len(r.Embeddings) != 1 {
			return nil, fmt.Errorf("%w: %d vectors for one image", ErrMalformed, len(r.Embeddings))
		}
		v = r.Embeddings[0]
	}
	return normalise(v, c.cfg.Dim)
}

// normalise checks a vector's length and values and scales it to unit
// length; a zero or non-finite vector is a failure, never indexed.
func normalise(v []float64, dim int) ([]float32, error) {
	if len(v) != dim {
		return nil, fmt.Errorf("%w: dimension %d, want %d", ErrMalformed, len(v), dim)
	}
	var s float64
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > math.MaxFloat32 {
			return nil, fmt.Errorf("%w: a non-finite value", ErrMalformed)
		}
		s += x * x
	}
	if s == 0 || math.IsInf(s, 0) {
		return nil, fmt.Errorf("%w: a zero or unbounded vector", ErrMalformed)
	}
	inv := 1 / math.Sqrt(s)
	out := make([]float32, dim)
	for i, x := range v {
		out[i] = float32(x * inv)
	}
	return out, nil
}
