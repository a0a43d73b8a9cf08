// Package metrics holds the service's Prometheus series. It sits below the
// use cases and the HTTP edge alike: the app layer counts training runs and
// store sizes, the edge counts requests, and both write to one registry.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the service's Prometheus series, all prefixed shopmuse_. They
// live in their own registry so tests can build as many as they like.
type Metrics struct {
	Registry *prometheus.Registry

	Operations     *prometheus.CounterVec   // by type and root field
	OperationTime  *prometheus.HistogramVec // by type
	Errors         *prometheus.CounterVec   // by extensions.code
	HTTPRequests   *prometheus.CounterVec   // by status class
	CacheLookups   *prometheus.CounterVec   // by cache and result (hit, miss)
	LLMCalls       *prometheus.CounterVec   // by provider and outcome
	LLMLatency     *prometheus.HistogramVec // by provider
	TrainingRuns   *prometheus.CounterVec   // by outcome
	TrainingTime   prometheus.Histogram
	StoreBytes     *prometheus.GaugeVec // by part (lsm, vlog)
	CopyGenerated  *prometheus.CounterVec
	Recommendation prometheus.Histogram
	// BusFreshness is the time from a change's commit on any replica to
	// its application here (replicas on a bus only).
	BusFreshness prometheus.Histogram
	// BusSkipped counts stream messages a replica skipped: undecodable, or
	// failing to apply (a poison message).
	BusSkipped prometheus.Counter
	// OutboxPending is about how many committed changes wait to be
	// published (grows while NATS is unreachable).
	OutboxPending prometheus.Gauge
}

// New registers every series, plus the Go runtime and process ones.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		Operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopmuse_graphql_operations_total", Help: "GraphQL operations by type and root field."},
			[]string{"type", "field"}),
		OperationTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shopmuse_graphql_operation_duration_seconds", Help: "GraphQL operation latency.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
			[]string{"type"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopmuse_graphql_errors_total", Help: "GraphQL errors by extensions.code."},
			[]string{"code"}),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopmuse_http_requests_total", Help: "HTTP requests by status class."},
			[]string{"code"}),
		CacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopmuse_cache_lookups_total", Help: "Cache lookups by cache and result (hit, miss)."},
			[]string{"cache", "result"}),
		LLMCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopmuse_llm_calls_total", Help: "LLM calls by provider and outcome."},
			[]string{"provider", "outcome"}),
		LLMLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shopmuse_llm_call_duration_seconds", Help: "LLM call latency.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 10)}, []string{"provider"}),
		TrainingRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopmuse_training_runs_total", Help: "Model training runs by outcome."},
			[]string{"outcome"}),
		TrainingTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "shopmuse_training_duration_seconds", Help: "Model training duration.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 12)}),
		StoreBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "shopmuse_store_bytes", Help: "Badger size on disk by part (lsm, vlog)."},
			[]string{"part"}),
		BusFreshness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "shopmuse_bus_freshness_seconds", Help: "From a change's commit (any replica) to its application on this one.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		BusSkipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shopmuse_bus_changes_skipped_total", Help: "Stream messages skipped: undecodable, or failing to apply."}),
		OutboxPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shopmuse_outbox_pending", Help: "Committed changes waiting in the outbox to be published to the bus (about)."}),
		CopyGenerated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopmuse_copy_generated_total", Help: "Copy generation requests by generator."},
			[]string{"generator"}),
		Recommendation: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "shopmuse_recommendation_duration_seconds", Help: "Time to compute one recommendation list.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1}}),
	}
	reg.MustRegister(m.Operations, m.OperationTime, m.Errors, m.HTTPRequests, m.CacheLookups, m.LLMCalls,
		m.LLMLatency, m.TrainingRuns, m.TrainingTime, m.StoreBytes, m.CopyGenerated, m.Recommendation,
		m.BusFreshness, m.BusSkipped, m.OutboxPending,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// StatusClass is an HTTP status's class label: 2xx, 4xx, 5xx.
func StatusClass(code int) string {
	return string(rune('0'+code/100)) + "xx"
}

// InstrumentLLM counts and times the HTTP calls an LLM client makes.
func (m *Metrics) InstrumentLLM(provider string, rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := rt.RoundTrip(r)
		outcome := "ok"
		switch {
		case err != nil:
			outcome = "error"
		case resp.StatusCode >= 400:
			outcome = "http_" + StatusClass(resp.StatusCode)
		}
		m.LLMCalls.WithLabelValues(provider, outcome).Inc()
		m.LLMLatency.WithLabelValues(provider).Observe(time.Since(start).Seconds())
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
