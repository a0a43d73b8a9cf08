package app

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vision"
)

// TestLLMLimitReleasesItsSlotOnEveryPath: with one slot, a call that
// fails in the transport, one answered with an error status, one whose
// body read is cancelled midway, one cancelled while waiting for the slot
// and one that waited too long all leave the slot free; a body closed twice
// frees one slot only (not the next call's).
func TestLLMLimitReleasesItsSlotOnEveryPath(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/500":
			http.Error(w, `{"error": {"message": "overloaded"}}`, http.StatusInternalServerError)
		case "/slow":
			// Headers and a little of the body, then nothing.
			w.Write([]byte(`{"choices": [`))
			w.(http.Flusher).Flush()
			select {
			case <-hold:
			case <-r.Context().Done():
			}
		default:
			w.Write([]byte(`{}`))
		}
	}))
	defer srv.Close()
	saturated := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_saturated"})
	l := newLLMLimiter(1, saturated)
	free := func(t *testing.T, what string) {
		t.Helper()
		if n := len(l.slots); n != 0 {
			t.Fatalf("%s: %d slot(s) still held", what, n)
		}
		if n := l.waiting.Load(); n != 0 {
			t.Fatalf("%s: %d call(s) still waiting", what, n)
		}
	}
	client := func(rt http.RoundTripper) *http.Client {
		return &http.Client{Transport: l.wrap(rt, 0)}
	}
	get := func(ctx context.Context, c *http.Client, path string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		return c.Do(req)
	}
	ctx := context.Background()

	// The transport fails: no response, the slot is freed at once.
	failing := client(roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("connection refused") }))
	if _, err := get(ctx, failing, "/"); err == nil {
		t.Fatal("a failing transport answered")
	}
	free(t, "transport error")

	// An error status: the caller reads and closes the body as for any answer.
	c := client(http.DefaultTransport)
	resp, err := get(ctx, c, "/500")
	if err != nil || resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("500: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	free(t, "error status")

	// The caller hangs up while the body trickles in.
	cctx, cancel := context.WithCancel(ctx)
	resp, err = get(cctx, c, "/slow")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.slots) != 1 {
		t.Fatal("a call with its body open holds no slot")
	}
	read := make(chan error, 1)
	go func() { _, err := io.ReadAll(resp.Body); read <- err }()
	cancel()
	if err := <-read; err == nil {
		t.Fatal("a cancelled body read ended without an error")
	}
	resp.Body.Close()
	free(t, "body read cancelled")

	// Cancelled while waiting for the slot another call holds.
	held, err := get(ctx, c, "/")
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithCancel(ctx)
	waited := make(chan error, 1)
	go func() {
		_, err := get(wctx, c, "/")
		waited <- err
	}()
	for l.waiting.Load() != 1 {
		select {
		case err := <-waited:
			t.Fatalf("a call went through while the only slot was held: %v", err)
		default:
		}
	}
	wcancel()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Fatalf("a call cancelled while waiting: %v", err)
	}
	// The caller with a fallback waits briefly, then is told the model is busy.
	busy := &http.Client{Transport: l.wrap(http.DefaultTransport, 1)}
	if _, err := get(ctx, busy, "/"); !errors.Is(err, errLLMBusy) {
		t.Fatalf("a call past its wait: %v, want errLLMBusy", err)
	}
	if n := counterValue(saturated); n != 1 {
		t.Fatalf("saturated %v, want 1", n)
	}
	held.Body.Close()
	free(t, "cancelled while waiting, busy")

	// A body closed twice frees its own slot once, not the next call's.
	first, err := get(ctx, c, "/")
	if err != nil {
		t.Fatal(err)
	}
	first.Body.Close()
	second, err := get(ctx, c, "/")
	if err != nil {
		t.Fatal(err)
	}
	first.Body.Close()
	if len(l.slots) != 1 {
		t.Fatal("closing a body again freed the slot of the call after it")
	}
	second.Body.Close()
	free(t, "double close")
}

// TestVisionFailuresFreeTheirLLMSlot: an image fact extraction whose model
// call fails (an error status, a malformed answer) or whose caller hangs up
// mid-call (the model never answers) gives its slot back: afterwards the
// copy writer's calls find every slot free.
func TestVisionFailuresFreeTheirLLMSlot(t *testing.T) {
	arrived := make(chan struct{}, 1)
	mode := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch <-mode {
		case "500":
			http.Error(w, `{"error": {"message": "overloaded"}}`, http.StatusInternalServerError)
		case "malformed":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id": "c1", "object": "chat.completion", "created": 1, "model": "m", "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "a white cup"}}]}`))
		case "hang":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id": "c1", "object": `))
			w.(http.Flusher).Flush()
			arrived <- struct{}{}
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	a, err := Open(context.Background(), Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), LLMConcurrency: 1,
		Vision: &vision.Config{Provider: "openai", Model: "m", BaseURL: srv.URL + "/v1", APIKey: "x"}})
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
	for _, m := range []string{"500", "malformed", "hang"} {
		mode <- m
		cctx, cancel := context.WithCancel(ctx)
		if m == "hang" {
			go func() { <-arrived; cancel() }()
		}
		fs, ues, err := a.ExtractImageFacts(cctx, "cup", &img)
		cancel()
		if len(fs) != 0 || (err == nil && len(ues) == 0) {
			t.Fatalf("%s: facts %+v, userErrors %+v, err %v; want a failure", m, fs, ues, err)
		}
		if n := len(a.llmLimit.slots); n != 0 {
			t.Fatalf("%s: %d LLM slot(s) still held after the extraction returned", m, n)
		}
	}
	if got, err := a.Review.Facts(ctx, "cup", ""); err != nil || len(got) != 0 {
		t.Fatalf("failed extractions stored %+v (%v)", got, err)
	}
}
