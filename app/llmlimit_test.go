package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vision"
)

// inFlightLLM is an OpenAI chat stand-in that counts the requests in
// flight and holds vision requests (those with an image part) until
// release is closed.
type inFlightLLM struct {
	mu             sync.Mutex
	inFlight, peak int
	release        chan struct{}
}

func (s *inFlightLLM) server(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.inFlight++
		s.peak = max(s.peak, s.inFlight)
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inFlight--
			s.mu.Unlock()
		}()
		answer := `{"variants": [{"headline": "保温杯", "text": "保温杯，出门带上。"}]}`
		if strings.Contains(string(body), `"image_url"`) {
			<-s.release
			answer = `{"facts": [{"name": "colour", "value": "白色", "confidence": 0.9}]}`
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": answer}, "finish_reason": "stop"}}})
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { s.close() })
	return srv.URL + "/v1"
}

func (s *inFlightLLM) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

func (s *inFlightLLM) counts() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight, s.peak
}

// TestVisionCallsShareTheLLMLimit: image fact extractions go through the
// SHOPMUSE_LLM_CONCURRENCY slots of the copy writer. With 2 slots, five
// concurrent extractions put at most 2 requests in flight at the model
// (the others wait for a slot, and all succeed once it frees), and while
// vision calls hold every slot the copy writer finds none and answers
// with the built-in writer.
func TestVisionCallsShareTheLLMLimit(t *testing.T) {
	llm := &inFlightLLM{release: make(chan struct{})}
	url := llm.server(t)
	a, err := Open(context.Background(), Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LLMConcurrency: 2,
		LLM:            &copywriter.LLMConfig{Provider: "openai", Model: "m", BaseURL: url},
		Vision:         &vision.Config{Provider: "openai", Model: "m", BaseURL: url, APIKey: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	price := shop.MoneyInput{Amount: 9900}
	if _, ues, err := a.UpsertProducts(ctx, []shop.ProductInput{{ID: "cup", Title: "保温杯", Category: "家居/杯具", Price: &price}}); err != nil || ues != nil {
		t.Fatal(err, ues)
	}
	img := base64.StdEncoding.EncodeToString(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...))
	const n = 5
	type result struct {
		facts []string
		ues   []shop.UserError
		err   error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			fs, ues, err := a.ExtractImageFacts(ctx, "cup", &img)
			var r result
			for _, f := range fs {
				r.facts = append(r.facts, f.Value)
			}
			r.ues, r.err = ues, err
			results <- r
		}()
	}
	// Every extraction is either at the model or waiting for a slot.
	deadline := time.Now().Add(20 * time.Second)
	for {
		in, peak := llm.counts()
		if peak > 2 {
			t.Fatalf("%d vision calls in flight with SHOPMUSE_LLM_CONCURRENCY=2", peak)
		}
		if in == 2 && a.llmLimit.waiting.Load() == n-2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("in flight %d, waiting for a slot %d; want 2 and %d", in, a.llmLimit.waiting.Load(), n-2)
		}
		time.Sleep(5 * time.Millisecond)
	}
	res, err := a.Copy.Generate(ctx, copywriter.Request{Product: &shop.Product{ID: "cup", Title: "保温杯", Category: "家居/杯具"},
		Channel: copywriter.ChannelPush, Variants: 1})
	if err != nil || res.Generator != "template" {
		t.Fatalf("copy while vision calls hold every slot: generator %q, %v; want the built-in writer", res.Generator, err)
	}
	llm.close()
	// The same fact is stored once: the first extraction adds it.
	var added []string
	for range n {
		r := <-results
		if r.err != nil || len(r.ues) != 0 {
			t.Fatalf("extraction: %+v", r)
		}
		added = append(added, r.facts...)
	}
	if len(added) != 1 || added[0] != "白色" {
		t.Fatalf("facts added %v, want the one colour once", added)
	}
	if _, peak := llm.counts(); peak != 2 {
		t.Fatalf("peak in flight %d, want 2", peak)
	}
}
