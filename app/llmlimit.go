package app

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultLLMConcurrency is how many LLM calls run at once by default.
const DefaultLLMConcurrency = 4

// llmQueueWait is how long a call waits for a free slot before the
// built-in writer answers instead: long enough to ride out a burst, short
// against the seconds an LLM call takes.
const llmQueueWait = 500 * time.Millisecond

// errLLMBusy fails a call that found no free slot; the copy writer treats
// it as a transport failure, answers with the built-in writer and does not
// cache that answer.
var errLLMBusy = errors.New("LLM busy: SHOPMUSE_LLM_CONCURRENCY calls in flight")

// limitLLM bounds the LLM HTTP calls in flight to n. A call holds its slot
// until its response body is closed, so a streamed answer counts for as
// long as it streams. Calls refused for want of a slot are counted in
// saturated.
func limitLLM(rt http.RoundTripper, n int, saturated prometheus.Counter) http.RoundTripper {
	slots := make(chan struct{}, n)
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t := time.NewTimer(llmQueueWait)
		defer t.Stop()
		select {
		case slots <- struct{}{}:
		case <-t.C:
			saturated.Inc()
			return nil, errLLMBusy
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
		var once sync.Once
		release := func() { once.Do(func() { <-slots }) }
		resp, err := rt.RoundTrip(r)
		if err != nil {
			release()
			return nil, err
		}
		resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
		return resp, nil
	})
}

type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
