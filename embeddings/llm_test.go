package embeddings

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawVec is what the fake servers return for a text: deterministic,
// text-dependent and deliberately not normalised, so the tests see the
// embedder normalise it.
func rawVec(text string, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32((len(text)*(i+3))%11) + 0.5
	}
	return v
}

func unit(v []float32) []float32 {
	out := slices.Clone(v)
	if err := normalise(out); err != nil {
		panic(err)
	}
	return out
}

func approxEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return true
}

// fakeServer records decoded request bodies and answers through respond.
type fakeServer struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	bodies  []map[string]any
	headers []http.Header
	release chan struct{} // closed at cleanup, to free blocked handlers
}

func newFake(t *testing.T, path string, respond func(body map[string]any, w http.ResponseWriter, r *http.Request)) *fakeServer {
	f := &fakeServer{t: t, release: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != path {
			t.Errorf("unexpected request %s %s, want POST %s", r.Method, r.URL.Path, path)
			http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("request body is not JSON: %v", err)
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.bodies = append(f.bodies, body)
		f.headers = append(f.headers, r.Header.Clone())
		f.mu.Unlock()
		respond(body, w, r)
	}))
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.release) }) // runs before Close (LIFO)
	return f
}

func (f *fakeServer) requests() ([]map[string]any, []http.Header) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bodies), slices.Clone(f.headers)
}

// block holds a request until the client gives up or the test ends.
func (f *fakeServer) block(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-f.release:
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// openAIResponse is the shape of POST /v1/embeddings' answer.
func openAIResponse(model string, vecs [][]float32) map[string]any {
	data := make([]map[string]any, len(vecs))
	for i, v := range vecs {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": v}
	}
	return map[string]any{"object": "list", "data": data, "model": model,
		"usage": map[string]any{"prompt_tokens": 5, "total_tokens": 5}}
}

func inputs(t *testing.T, body map[string]any) []string {
	t.Helper()
	raw, ok := body["input"].([]any)
	if !ok {
		t.Fatalf("OpenAI input is %T, want an array of strings", body["input"])
	}
	out := make([]string, len(raw))
	for i, x := range raw {
		out[i] = x.(string)
	}
	return out
}

// openAIFake answers like the OpenAI embeddings API with vectors of dim.
func openAIFake(t *testing.T, dim int) *fakeServer {
	return newFake(t, "/v1/embeddings", func(body map[string]any, w http.ResponseWriter, r *http.Request) {
		var vecs [][]float32
		raw, _ := body["input"].([]any)
		for _, x := range raw {
			s, _ := x.(string)
			vecs = append(vecs, rawVec(s, dim))
		}
		model, _ := body["model"].(string)
		writeJSON(w, http.StatusOK, openAIResponse(model, vecs))
	})
}

func TestOpenAIEmbedder(t *testing.T) {
	f := openAIFake(t, 8)
	ctx := context.Background()
	e, err := NewLLM(ctx, LLMConfig{Provider: "openai", BaseURL: f.srv.URL + "/v1", APIKey: "sk-test",
		Model: "text-embedding-3-small", BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if e.Dim() != 8 || e.Name() != "openai/text-embedding-3-small/8" {
		t.Fatalf("dim %d name %q", e.Dim(), e.Name())
	}
	in := []string{"华为手机", "", "wireless earbuds", "lipstick", "water bottle 500ml"}
	orig := slices.Clone(in)
	vs, err := e.EmbedDocuments(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in, orig) {
		t.Fatal("EmbedDocuments modified the caller's slice")
	}
	for i, s := range in {
		if s == "" {
			if slices.ContainsFunc(vs[i], func(x float32) bool { return x != 0 }) || len(vs[i]) != 8 {
				t.Errorf("empty text: want an 8-dim zero vector, got %v", vs[i])
			}
			continue
		}
		if !approxEqual(vs[i], unit(rawVec(s, 8))) {
			t.Errorf("%q: got %v, want the normalised server vector %v", s, vs[i], unit(rawVec(s, 8)))
		}
	}
	bodies, headers := f.requests()
	// probe + ceil(4 non-empty / 2) batches
	if len(bodies) != 3 {
		t.Fatalf("%d requests, want 3 (probe and two batches)", len(bodies))
	}
	if got := inputs(t, bodies[0]); !slices.Equal(got, []string{probeText}) {
		t.Errorf("probe input %q", got)
	}
	if got := inputs(t, bodies[1]); !slices.Equal(got, []string{"华为手机", "wireless earbuds"}) {
		t.Errorf("batch 1 input %q", got)
	}
	if got := inputs(t, bodies[2]); !slices.Equal(got, []string{"lipstick", "water bottle 500ml"}) {
		t.Errorf("batch 2 input %q", got)
	}
	for i, b := range bodies {
		if b["model"] != "text-embedding-3-small" {
			t.Errorf("request %d model %v", i, b["model"])
		}
		if _, ok := b["dimensions"]; ok {
			t.Errorf("request %d sent dimensions without a configured Dim", i)
		}
		if got := headers[i].Get("Authorization"); got != "Bearer sk-test" {
			t.Errorf("request %d Authorization %q", i, got)
		}
	}
	q, err := e.EmbedQuery(ctx, "lipstick")
	if err != nil || !approxEqual(q, vs[3]) {
		t.Fatalf("EmbedQuery: %v, %v", q, err)
	}
}

func TestOpenAIConfiguredDimension(t *testing.T) {
	f := openAIFake(t, 4)
	ctx := context.Background()
	// A local OpenAI-compatible server without a key gets a placeholder.
	e, err := NewLLM(ctx, LLMConfig{Provider: "openai", BaseURL: f.srv.URL + "/v1", Model: "m", Dim: 4})
	if err != nil {
		t.Fatal(err)
	}
	if bodies, _ := f.requests(); len(bodies) != 0 {
		t.Fatalf("a configured Dim must not probe; saw %d requests", len(bodies))
	}
	if e.Name() != "openai/m/4" {
		t.Fatalf("name %q", e.Name())
	}
	if _, err := e.EmbedQuery(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	bodies, headers := f.requests()
	if d, _ := bodies[0]["dimensions"].(float64); d != 4 {
		t.Errorf("dimensions sent %v, want 4", bodies[0]["dimensions"])
	}
	if h := headers[0].Get("Authorization"); h == "" || h == "Bearer " {
		t.Errorf("Authorization %q: want a placeholder token", h)
	}
}

func TestOpenAIErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("server error", func(t *testing.T) {
		f := newFake(t, "/v1/embeddings", func(_ map[string]any, w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": map[string]any{
				"message": "the server had an error", "type": "server_error", "param": nil, "code": nil}})
		})
		_, err := NewLLM(ctx, LLMConfig{Provider: "openai", BaseURL: f.srv.URL + "/v1", APIKey: "k", Model: "m"})
		if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "the server had an error") {
			t.Fatalf("want an error naming status 500 and the message, got %v", err)
		}
		e, err := NewLLM(ctx, LLMConfig{Provider: "openai", BaseURL: f.srv.URL + "/v1", APIKey: "k", Model: "m", Dim: 3})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.EmbedDocuments(ctx, []string{"a"}); err == nil || !strings.Contains(err.Error(), "batch 1 of 1") {
			t.Fatalf("EmbedDocuments: want a batch error, got %v", err)
		}
	})
	t.Run("wrong dimension", func(t *testing.T) {
		f := openAIFake(t, 5)
		e, err := NewLLM(ctx, LLMConfig{Provider: "openai", BaseURL: f.srv.URL + "/v1", APIKey: "k", Model: "m", Dim: 4})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.EmbedDocuments(ctx, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "dimension 5, want 4") {
			t.Fatalf("want a dimension error, got %v", err)
		}
	})
	t.Run("wrong count", func(t *testing.T) {
		f := newFake(t, "/v1/embeddings", func(_ map[string]any, w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, openAIResponse("m", [][]float32{{1, 2, 3}}))
		})
		e, err := NewLLM(ctx, LLMConfig{Provider: "openai", BaseURL: f.srv.URL + "/v1", APIKey: "k", Model: "m", Dim: 3})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.EmbedDocuments(ctx, []string{"a", "b"}); err == nil {
			t.Fatal("two texts and one vector: want an error")
		}
	})
	t.Run("zero vector", func(t *testing.T) {
		f := newFake(t, "/v1/embeddings", func(_ map[string]any, w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, openAIResponse("m", [][]float32{{0, 0, 0}}))
		})
		if _, err := NewLLM(ctx, LLMConfig{Provider: "openai", BaseURL: f.srv.URL + "/v1", APIKey: "k"}); err == nil ||
			!strings.Contains(err.Error(), "zero vector") {
			t.Fatalf("want a zero-vector error, got %v", err)
		}
	})
	t.Run("bad URL and key", func(t *testing.T) {
		for _, u := range []string{"://nope", "ftp://example.com/v1", "http://", "example.com/v1"} {
			if _, err := NewLLM(ctx, LLMConfig{Provider: "openai", BaseURL: u, APIKey: "k", Dim: 3}); err == nil {
				t.Errorf("base URL %q accepted", u)
			}
		}
		if _, err := NewLLM(ctx, LLMConfig{Provider: "openai", Dim: 3}); err == nil || !strings.Contains(err.Error(), "API key") {
			t.Errorf("api.openai.com without a key: %v", err)
		}
		if _, err := NewLLM(ctx, LLMConfig{Provider: "cohere", Dim: 3}); err == nil {
			t.Error("unknown provider accepted")
		}
		if _, err := NewLLM(ctx, LLMConfig{Provider: "openai", APIKey: "k", Dim: -1}); err == nil {
			t.Error("negative dimension accepted")
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		var f *fakeServer
		f = newFake(t, "/v1/embeddings", func(_ map[string]any, _ http.ResponseWriter, r *http.Request) { f.block(r) })
		e, err := NewLLM(ctx, LLMConfig{Provider: "openai", BaseURL: f.srv.URL + "/v1", APIKey: "k", Model: "m", Dim: 3})
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := e.EmbedDocuments(cctx, []string{"a"}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want context.DeadlineExceeded, got %v", err)
		}
	})
	t.Run("configured timeout", func(t *testing.T) {
		var f *fakeServer
		f = newFake(t, "/v1/embeddings", func(_ map[string]any, _ http.ResponseWriter, r *http.Request) { f.block(r) })
		_, err := NewLLM(ctx, LLMConfig{Provider: "openai", BaseURL: f.srv.URL + "/v1", APIKey: "k", Timeout: 50 * time.Millisecond})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("probe past Timeout: want context.DeadlineExceeded, got %v", err)
		}
	})
}

// ollamaFake answers like Ollama's POST /api/embed.
func ollamaFake(t *testing.T, dim int) *fakeServer {
	return newFake(t, "/api/embed", func(body map[string]any, w http.ResponseWriter, _ *http.Request) {
		s, ok := body["input"].(string)
		if !ok {
			t.Errorf("ollama input is %T, want a string (langchaingo sends one text per request)", body["input"])
		}
		writeJSON(w, http.StatusOK, map[string]any{"model": body["model"], "embeddings": [][]float32{rawVec(s, dim)},
			"total_duration": 14143917, "load_duration": 1019500, "prompt_eval_count": 8})
	})
}

func TestOllamaEmbedder(t *testing.T) {
	f := ollamaFake(t, 6)
	ctx := context.Background()
	e, err := NewLLM(ctx, LLMConfig{Provider: "ollama", BaseURL: f.srv.URL, Model: "nomic-embed-text", BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if e.Dim() != 6 || e.Name() != "ollama/nomic-embed-text/6" {
		t.Fatalf("dim %d name %q", e.Dim(), e.Name())
	}
	in := []string{"保温杯", "running shoes", "口红"}
	vs, err := e.EmbedDocuments(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range in {
		if !approxEqual(vs[i], unit(rawVec(s, 6))) {
			t.Errorf("%q: got %v, want %v", s, vs[i], unit(rawVec(s, 6)))
		}
	}
	bodies, _ := f.requests()
	want := append([]string{probeText}, in...)
	if len(bodies) != len(want) {
		t.Fatalf("%d requests, want %d", len(bodies), len(want))
	}
	for i, b := range bodies {
		if b["model"] != "nomic-embed-text" || b["input"] != want[i] {
			t.Errorf("request %d: model %v input %v, want nomic-embed-text %q", i, b["model"], b["input"], want[i])
		}
	}
}

func TestOllamaErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("model not found", func(t *testing.T) {
		f := newFake(t, "/api/embed", func(_ map[string]any, w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": `model "nope" not found, try pulling it first`})
		})
		_, err := NewLLM(ctx, LLMConfig{Provider: "ollama", BaseURL: f.srv.URL, Model: "nope"})
		if err == nil || !strings.Contains(err.Error(), "try pulling it first") {
			t.Fatalf("want Ollama's message, got %v", err)
		}
	})
	t.Run("server error", func(t *testing.T) {
		f := newFake(t, "/api/embed", func(_ map[string]any, w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "llama runner process has terminated"})
		})
		e, err := NewLLM(ctx, LLMConfig{Provider: "ollama", BaseURL: f.srv.URL, Dim: 6})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.EmbedQuery(ctx, "x"); err == nil || !strings.Contains(err.Error(), "llama runner process has terminated") {
			t.Fatalf("want the server's error, got %v", err)
		}
	})
	t.Run("wrong dimension", func(t *testing.T) {
		f := ollamaFake(t, 7)
		e, err := NewLLM(ctx, LLMConfig{Provider: "ollama", BaseURL: f.srv.URL, Dim: 6})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.EmbedDocuments(ctx, []string{"a"}); err == nil || !strings.Contains(err.Error(), "dimension 7, want 6") {
			t.Fatalf("want a dimension error, got %v", err)
		}
	})
	t.Run("bad URL", func(t *testing.T) {
		// ollama.WithServerURL would log.Fatal on the first; the rest parse
		// but are unusable. Reaching the assertions at all proves no exit.
		for _, u := range []string{"http://[::1", "localhost:11434", "http://", "unix:///var/run/ollama.sock"} {
			if _, err := NewLLM(ctx, LLMConfig{Provider: "ollama", BaseURL: u, Dim: 6}); err == nil {
				t.Errorf("host %q accepted", u)
			}
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		var f *fakeServer
		f = newFake(t, "/api/embed", func(_ map[string]any, _ http.ResponseWriter, r *http.Request) { f.block(r) })
		e, err := NewLLM(ctx, LLMConfig{Provider: "ollama", BaseURL: f.srv.URL, Dim: 6})
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := e.EmbedQuery(cctx, "slow"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want context.DeadlineExceeded, got %v", err)
		}
	})
}
