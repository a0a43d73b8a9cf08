package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
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

// llmLimiter bounds the model HTTP calls in flight across every caller of
// the process (the copy writer, the assistant, the vision model): one pool
// of SHOPMUSE_LLM_CONCURRENCY slots. A call holds its slot until its
// response body is closed, so a streamed answer counts for as long as it
// streams.
type llmLimiter struct {
	slots chan struct{}
	// saturated counts calls refused for want of a slot.
	saturated prometheus.Counter
	// waiting is how many calls wait for a slot now (tests).
	waiting atomic.Int64
}

func newLLMLimiter(n int, saturated prometheus.Counter) *llmLimiter {
	if n <= 0 {
		n = DefaultLLMConcurrency
	}
	return &llmLimiter{slots: make(chan struct{}, n), saturated: saturated}
}

// llm returns the process's limiter, building it (and registering its
// counter) on first use.
func (a *App) llm() (*llmLimiter, error) {
	if a.llmLimit != nil {
		return a.llmLimit, nil
	}
	saturated := prometheus.NewCounter(prometheus.CounterOpts{Name: "shopmuse_llm_saturated_total",
		Help: "LLM calls not made because SHOPMUSE_LLM_CONCURRENCY calls were in flight; the built-in writer answered."})
	if err := a.Metrics.Registry.Register(saturated); err != nil {
		// An App reopened on the same Metrics keeps counting in the
		// first one's series.
		are, ok := err.(prometheus.AlreadyRegisteredError)
		if !ok {
			return nil, fmt.Errorf("register LLM metrics: %w", err)
		}
		saturated = are.ExistingCollector.(prometheus.Counter)
	}
	a.llmLimit = newLLMLimiter(a.cfg.LLMConcurrency, saturated)
	return a.llmLimit, nil
}

// wrap limits rt's calls. A call waits at most wait for a slot and then
// fails with errLLMBusy, counted as saturated (a caller with a fallback:
// the copy writer answers with the built-in writer); with wait 0 it waits
// as long as its request's context allows (a caller without one: the
// vision model, whose call has its own timeout).
func (l *llmLimiter) wrap(rt http.RoundTripper, wait time.Duration) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if err := l.acquire(r.Context(), wait); err != nil {
			return nil, err
		}
		var once sync.Once
		release := func() { once.Do(func() { <-l.slots }) }
		resp, err := rt.RoundTrip(r)
		if err != nil {
			release()
			return nil, err
		}
		resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
		return resp, nil
	})
}

func (l *llmLimiter) acquire(ctx context.Context, wait time.Duration) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	l.waiting.Add(1)
	defer l.waiting.Add(-1)
	var expired <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		expired = t.C
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-expired:
		l.saturated.Inc()
		return errLLMBusy
	case <-ctx.Done():
		return ctx.Err()
	}
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
