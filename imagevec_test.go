package main

import (
	"strings"
	"testing"
)

// TestImageEmbedderConfig: SHOPMUSE_IMAGE_EMBEDDER is off unless set; a
// bad value of it or its companions stops the start with an error naming
// the variable.
func TestImageEmbedderConfig(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" })
	if err != nil || cfg.App.ImageEmbedder != nil {
		t.Fatalf("default: %+v %v", cfg.App.ImageEmbedder, err)
	}
	good := map[string]string{"SHOPMUSE_IMAGE_EMBEDDER": "openai", "SHOPMUSE_IMAGE_EMBED_URL": "http://clip:7997/v1",
		"SHOPMUSE_IMAGE_EMBED_MODEL": "clip-vit-b-32", "SHOPMUSE_IMAGE_EMBED_DIM": "512", "SHOPMUSE_IMAGE_WEIGHT": "0.3"}
	cfg, err = loadConfig(func(k string) string { return good[k] })
	if err != nil || cfg.App.ImageEmbedder == nil || cfg.App.ImageEmbedder.Weight != 0.3 || cfg.App.ImageEmbedder.Dim != 512 {
		t.Fatalf("good: %+v %v", cfg.App.ImageEmbedder, err)
	}
	for _, bad := range []map[string]string{
		{"SHOPMUSE_IMAGE_EMBEDDER": "clip"},
		{"SHOPMUSE_IMAGE_EMBED_URL": "not a url"},
		{"SHOPMUSE_IMAGE_EMBED_URL": ""},
		{"SHOPMUSE_IMAGE_EMBED_MODEL": ""},
		{"SHOPMUSE_IMAGE_EMBED_DIM": ""},
		{"SHOPMUSE_IMAGE_EMBED_DIM": "-3"},
		{"SHOPMUSE_IMAGE_WEIGHT": "2"},
		{"SHOPMUSE_IMAGE_EMBED_CONCURRENCY": "0"},
		{"SHOPMUSE_IMAGE_FETCH_ALLOW_PRIVATE": "maybe"},
	} {
		env := map[string]string{}
		for k, v := range good {
			env[k] = v
		}
		var name string
		for k, v := range bad {
			env[k], name = v, k
		}
		_, err := loadConfig(func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(name, "_URL")) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
