package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/app"
)

// benchApp opens the service on the demo shop in a temporary directory and
// returns its HTTP handler, with the models trained.
func benchApp(b *testing.B) http.Handler {
	b.Helper()
	h, a := benchHandler(b, map[string]string{"SHOPMUSE_RATE_LIMIT": "0"})
	if _, err := a.Train(context.Background()); err != nil {
		b.Fatal(err)
	}
	return h
}

// benchHandler opens the service with env over a temporary data directory
// and returns its HTTP handler and app; httptest requests name example.com,
// so every Host is allowed.
func benchHandler(b *testing.B, env map[string]string) (http.Handler, *app.App) {
	b.Helper()
	env = maps.Clone(env)
	env["SHOPMUSE_DATA"], env["SHOPMUSE_LOG_LEVEL"], env["SHOPMUSE_ALLOWED_HOSTS"] = b.TempDir(), "error", "*"
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.App.Logger = log
	a, err := app.Open(context.Background(), cfg.App)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	var ready atomic.Bool
	ready.Store(true)
	return handler(a, cfg, log, &ready), a
}

func query(b *testing.B, h http.Handler, q string, vars map[string]any) {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
		b.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}

// BenchmarkRecommendationsCopyOverhead runs recommendations(first: 20) with
// and without personal copy, alternating, over all demo users, and reports
// both p50 latencies and their ratio (the target: copy costs at most 2×).
func BenchmarkRecommendationsCopyOverhead(b *testing.B) {
	h := benchApp(b)
	const plain = `query($u: ID!) { recommendations(userID: $u, first: 20) { score product { id title price { amount } } reasons { kind message } } }`
	const withCopy = `query($u: ID!) { recommendations(userID: $u, first: 20) { score product { id title price { amount } } reasons { kind message }
	  copy { variants { id headline text } } } }`
	users := make([]string, 72)
	for i := range users {
		users[i] = "u" + string(rune('0'+(i+1)/100)) + string(rune('0'+(i+1)/10%10)) + string(rune('0'+(i+1)%10))
	}
	// Warm the copy cache once, as a running shop would be.
	for _, u := range users {
		query(b, h, withCopy, map[string]any{"u": u})
	}
	var tp, tc []time.Duration
	i := 0
	for b.Loop() {
		u := users[i%len(users)]
		i++
		start := time.Now()
		query(b, h, plain, map[string]any{"u": u})
		tp = append(tp, time.Since(start))
		start = time.Now()
		query(b, h, withCopy, map[string]any{"u": u})
		tc = append(tc, time.Since(start))
	}
	p := func(d []time.Duration, q float64) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[int(q*float64(len(d)-1))].Microseconds())
	}
	b.ReportMetric(p(tp, 0.5), "plain-p50-µs")
	b.ReportMetric(p(tc, 0.5), "copy-p50-µs")
	b.ReportMetric(p(tp, 0.99), "plain-p99-µs")
	b.ReportMetric(p(tc, 0.99), "copy-p99-µs")
	b.ReportMetric(p(tc, 0.5)/p(tp, 0.5), "copy/plain")
}

// BenchmarkRefuseRepeatedFields2MB: a 2 MB query of one field repeated
// (validation is quadratic in repeats; 400 KB once took 90 s) is refused by
// the parser's token limit before validation. Each refusal takes
// milliseconds.
func BenchmarkRefuseRepeatedFields2MB(b *testing.B) {
	h, _ := benchHandler(b, map[string]string{"SHOPMUSE_DEMO": "off", "SHOPMUSE_RATE_LIMIT": "0", "SHOPMUSE_MAX_COMPLEXITY": "10000000"})
	q := "{" + strings.Repeat("__typename ", 2<<20/len("__typename ")) + "}"
	body, _ := json.Marshal(map[string]any{"query": q})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !bytes.Contains(rec.Body.Bytes(), []byte("exceeded token limit")) {
			b.Fatalf("%d %.300s", rec.Code, rec.Body.String())
		}
	}
}
