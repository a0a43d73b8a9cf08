package embeddings

import (
	"context"
	"strings"
	"testing"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestFromEnvDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != KindBuiltin || c.Dim != DefaultDim {
		t.Fatalf("defaults: %+v", c)
	}
	e, err := c.New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := e.(*Builtin); !ok || b.Name() != "builtin-hash-v1-256" {
		t.Fatalf("New: %T %q, want *Builtin builtin-hash-v1-256", e, e.Name())
	}
	c, err = FromEnv(env(map[string]string{"SHOPMUSE_EMBEDDER": " Builtin ", "SHOPMUSE_EMBED_DIM": "512"}))
	if err != nil || c.Kind != KindBuiltin || c.Dim != 512 {
		t.Fatalf("builtin 512: %+v %v", c, err)
	}
}

func TestFromEnvOpenAI(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"SHOPMUSE_EMBEDDER": "openai", "OPENAI_API_KEY": "sk-x"}))
	if err != nil {
		t.Fatal(err)
	}
	want := LLMConfig{Provider: "openai", BaseURL: DefaultOpenAIBaseURL, APIKey: "sk-x", Model: "text-embedding-3-small"}
	if c.Kind != KindOpenAI || c.LLM != want {
		t.Fatalf("got %+v, want LLM %+v", c, want)
	}
	c, err = FromEnv(env(map[string]string{"SHOPMUSE_EMBEDDER": "openai", "OPENAI_BASE_URL": "http://localhost:8000/v1",
		"SHOPMUSE_EMBED_MODEL": "bge-m3", "SHOPMUSE_EMBED_DIM": "1024"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.LLM.BaseURL != "http://localhost:8000/v1" || c.LLM.Model != "bge-m3" || c.LLM.Dim != 1024 {
		t.Fatalf("got %+v", c.LLM)
	}
	// New reaches the configured server (end to end through FromEnv).
	f := openAIFake(t, 3)
	c, err = FromEnv(env(map[string]string{"SHOPMUSE_EMBEDDER": "openai", "OPENAI_BASE_URL": f.srv.URL + "/v1", "OPENAI_API_KEY": "k"}))
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.New(context.Background())
	if err != nil || e.Name() != "openai/text-embedding-3-small/3" {
		t.Fatalf("New: %v %v", e, err)
	}
}

func TestFromEnvOllama(t *testing.T) {
	for host, want := range map[string]string{
		"":                        "http://127.0.0.1:11434",
		"0.0.0.0":                 "http://0.0.0.0:11434",
		"gpu-box:8080":            "http://gpu-box:8080",
		"https://ollama.internal": "https://ollama.internal",
		"[::1]":                   "http://[::1]:11434",
	} {
		c, err := FromEnv(env(map[string]string{"SHOPMUSE_EMBEDDER": "ollama", "OLLAMA_HOST": host}))
		if err != nil {
			t.Errorf("OLLAMA_HOST=%q: %v", host, err)
			continue
		}
		if c.LLM.BaseURL != want || c.LLM.Model != "nomic-embed-text" || c.LLM.Provider != "ollama" {
			t.Errorf("OLLAMA_HOST=%q: got %+v, want base %s", host, c.LLM, want)
		}
	}
}

func TestFromEnvErrors(t *testing.T) {
	for name, kv := range map[string]map[string]string{
		"kind":        {"SHOPMUSE_EMBEDDER": "word2vec"},
		"dim text":    {"SHOPMUSE_EMBED_DIM": "big"},
		"dim zero":    {"SHOPMUSE_EMBED_DIM": "0"},
		"dim huge":    {"SHOPMUSE_EMBED_DIM": "1000000"},
		"openai url":  {"SHOPMUSE_EMBEDDER": "openai", "OPENAI_BASE_URL": "ftp://x"},
		"ollama host": {"SHOPMUSE_EMBEDDER": "ollama", "OLLAMA_HOST": "unix:///run/ollama.sock"},
	} {
		_, err := FromEnv(env(kv))
		if err == nil {
			t.Errorf("%s: accepted %v", name, kv)
			continue
		}
		if !strings.Contains(err.Error(), "embeddings:") {
			t.Errorf("%s: error lacks context: %v", name, err)
		}
	}
}
