// Package loadgen is `shopmuse bench load`: an open-loop load generator for
// the GraphQL endpoint.
//
// Requests are scheduled at a fixed rate, i-th request at start + i/rate,
// whether or not earlier ones have answered, and each latency is measured
// from the request's scheduled time, not from when it was actually sent.
// A closed-loop generator (send, wait, send) slows down when the server
// does and so never sees the queue it would build up: its percentiles
// suffer "coordinated omission" and look far better than what users get.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config is the parsed command line.
type Config struct {
	URL         string
	Rate        float64 // requests per second
	Duration    time.Duration
	Warmup      time.Duration
	Mix         []MixEntry
	MixSpec     string
	APIKey      string
	First       int
	Concurrency int // most requests in flight; more wait, and their wait counts
	Timeout     time.Duration
	Seed        uint64
}

const usage = `usage: shopmuse bench load [flags]

Open-loop load on the GraphQL endpoint at a fixed request rate. Latency is
measured from each request's scheduled start time, so a slow server cannot
hide its queue (no coordinated omission).

Workloads for --mix: products, search, recommendations, copy, product.
`

func parseArgs(args []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	var c Config
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080/graphql", "GraphQL endpoint")
	fs.Float64Var(&c.Rate, "rate", 300, "requests per second, fixed (open loop)")
	fs.DurationVar(&c.Duration, "duration", 30*time.Second, "measured time")
	fs.DurationVar(&c.Warmup, "warmup", 3*time.Second, "load before measuring, not reported")
	fs.StringVar(&c.MixSpec, "mix", "products=1,search=1,recommendations=1,copy=1", "workloads and weights: name=w,...")
	fs.StringVar(&c.APIKey, "api-key", "", "sent as Authorization: Bearer <key>")
	fs.IntVar(&c.First, "first", 20, "first: for the products and recommendations workloads")
	fs.IntVar(&c.Concurrency, "concurrency", 0, "most requests in flight (default: enough for rate x 1s, at least 64)")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Second, "per-request timeout (counted as an error)")
	fs.Uint64Var(&c.Seed, "seed", 0, "random seed for the mix and variables (default: from the clock)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("bench load: unexpected argument %q", fs.Arg(0))
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("--url %q: want http(s)://host:port/graphql", c.URL)
	}
	switch {
	case !(c.Rate > 0) || c.Rate > 1e6:
		return c, fmt.Errorf("--rate must be in (0, 1e6], got %v", c.Rate)
	case c.Duration <= 0:
		return c, fmt.Errorf("--duration must be positive")
	case c.Warmup < 0:
		return c, fmt.Errorf("--warmup must not be negative")
	case c.First < 1 || c.First > 100:
		return c, fmt.Errorf("--first must be 1..100 (the server caps first at 100)")
	case c.Concurrency < 0:
		return c, fmt.Errorf("--concurrency must not be negative")
	case c.Timeout <= 0:
		return c, fmt.Errorf("--timeout must be positive")
	}
	if c.Concurrency == 0 {
		c.Concurrency = max(64, int(c.Rate))
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	c.Mix, err = ParseMix(c.MixSpec, Workloads)
	return c, err
}

// Run is `shopmuse bench load`: it fetches the catalogue's product IDs,
// checks every workload once, runs warmup and measured load, and prints a
// table and, as its last line, the same results as one JSON object.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	cl := newClient(cfg)
	data := &Data{UserIDs: DemoUserIDs(), SearchQueries: DemoSearchQueries, First: cfg.First}
	fmt.Fprintf(stderr, "bench load: fetching product IDs from %s\n", cfg.URL)
	data.ProductIDs, err = FetchProductIDs(ctx, cl)
	if err != nil {
		return fmt.Errorf("bench load: fetching product IDs: %w", err)
	}
	for _, m := range cfg.Mix {
		if m.Workload.NeedsProducts && len(data.ProductIDs) == 0 {
			return fmt.Errorf("bench load: workload %s needs products, and the store has none (start with SHOPMUSE_DEMO=on or import some)", m.Workload.Name)
		}
	}
	// One request per workload before the load, so that an unsupported
	// query is named up front; the load still includes it, as an error class.
	r := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	for _, m := range cfg.Mix {
		res := cl.do(ctx, m.Workload.Query, m.Workload.Vars(r, data))
		if res.class != "" {
			fmt.Fprintf(stderr, "bench load: warning: workload %s fails before load: %s: %s\n", m.Workload.Name, res.class, res.message)
		}
	}
	fmt.Fprintf(stderr, "bench load: %d products; %v warmup, then %v at %g req/s (seed %d)\n",
		len(data.ProductIDs), cfg.Warmup, cfg.Duration, cfg.Rate, cfg.Seed)
	rep := runLoad(ctx, cfg, cl, data, r)
	if err := ctx.Err(); err != nil {
		fmt.Fprintln(stderr, "bench load: interrupted; reporting what was measured")
	}
	return rep.write(stdout, cfg)
}

// client posts GraphQL requests.
type client struct {
	url     string
	apiKey  string
	timeout time.Duration
	http    *http.Client
}

func newClient(cfg Config) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Keep a connection per in-flight request: opening new ones under load
	// would measure the TCP handshake, and leave sockets in TIME_WAIT.
	tr.MaxIdleConns = cfg.Concurrency
	tr.MaxIdleConnsPerHost = cfg.Concurrency
	return &client{url: cfg.URL, apiKey: cfg.APIKey, timeout: cfg.Timeout, http: &http.Client{Transport: tr}}
}

// result is the outcome of one request: class is "" for success.
type result struct {
	class   string
	message string // an example, shown once per class
	data    json.RawMessage
}

// gqlResponse is a GraphQL response body.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

func (c *client) do(ctx context.Context, query string, vars map[string]any) result {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return result{class: "client/encode", message: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return result{class: "client/request", message: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return transportResult(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return transportResult(err)
	}
	return classify(resp.StatusCode, raw)
}

// classify turns a response into a result. GraphQL errors are classed by
// their extensions.code (GRAPHQL_VALIDATION_FAILED for a field the schema
// lacks, BAD_USER_INPUT, UNAUTHENTICATED, ...) even on a non-200 status,
// because the code says more than the status; a non-200 without a GraphQL
// body is classed by its status.
func classify(status int, body []byte) result {
	var g gqlResponse
	jsonErr := json.Unmarshal(body, &g)
	if jsonErr == nil && len(g.Errors) > 0 {
		code := g.Errors[0].Extensions.Code
		if code == "" {
			code = "UNCODED"
		}
		msg := g.Errors[0].Message
		if status != http.StatusOK {
			msg = fmt.Sprintf("HTTP %d: %s", status, msg)
		}
		return result{class: "graphql/" + code, message: msg}
	}
	if status != http.StatusOK {
		return result{class: fmt.Sprintf("http/%d", status), message: snippet(body)}
	}
	if jsonErr != nil {
		return result{class: "response/not-json", message: snippet(body)}
	}
	if len(g.Data) == 0 || string(g.Data) == "null" {
		return result{class: "response/no-data", message: snippet(body)}
	}
	return result{data: g.Data}
}

func transportResult(err error) result {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return result{class: "transport/timeout", message: err.Error()}
	case errors.Is(err, context.Canceled):
		return result{class: "transport/canceled", message: err.Error()}
	case errors.Is(err, syscall.ECONNREFUSED):
		return result{class: "transport/refused", message: err.Error()}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return result{class: "transport/reset", message: err.Error()}
	case errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, os.ErrDeadlineExceeded):
		return result{class: "transport/local-resources", message: err.Error()}
	}
	return result{class: "transport/other", message: err.Error()}
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// FetchProductIDs pages through products(first: 100).
func FetchProductIDs(ctx context.Context, c *client) ([]string, error) {
	const q = `query LoadProductIDs($after: String) { products(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }`
	var ids []string
	var after any // nil: the first page
	for page := 0; ; page++ {
		if page > 10000 {
			return nil, errors.New("more than 10,000 pages; the server's pageInfo never ends")
		}
		res := c.do(ctx, q, map[string]any{"after": after})
		if res.class != "" {
			return nil, fmt.Errorf("%s: %s", res.class, res.message)
		}
		var d struct {
			Products struct {
				Nodes    []struct{ ID string } `json:"nodes"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"products"`
		}
		if err := json.Unmarshal(res.data, &d); err != nil {
			return nil, err
		}
		for _, n := range d.Products.Nodes {
			ids = append(ids, n.ID)
		}
		if !d.Products.PageInfo.HasNextPage || d.Products.PageInfo.EndCursor == "" {
			return ids, nil
		}
		after = d.Products.PageInfo.EndCursor
	}
}

// sample is one measured request.
type sample struct {
	workload int
	latency  time.Duration // from the scheduled start to the last byte
	class    string
	message  string
}

// runLoad sends requests at cfg.Rate for cfg.Warmup+cfg.Duration and
// returns what was measured after the warmup.
func runLoad(ctx context.Context, cfg Config, cl *client, data *Data, r *rand.Rand) *report {
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	ch := newChooser(cfg.Mix)
	sem := make(chan struct{}, cfg.Concurrency)
	var (
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
	)
	start := time.Now()
	measureFrom := start.Add(cfg.Warmup)
	end := measureFrom.Add(cfg.Duration)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	// Request i is due at start + i*interval, computed from i rather than
	// by adding intervals, so timer slack never accumulates into drift.
	for i := int64(0); ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if !due.Before(end) {
			break
		}
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			break
		}
		w := ch.pick(r)
		wl := cfg.Mix[w].Workload
		vars := wl.Vars(r, data)
		measured := !due.Before(measureFrom)
		wg.Add(1)
		// A goroutine per request, not a fixed pool fed by the scheduler:
		// the scheduler must never block on a slow server. The semaphore
		// caps sockets; time spent waiting for it is part of the latency.
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			res := cl.do(ctx, wl.Query, vars)
			<-sem
			lat := time.Since(due)
			if !measured {
				return
			}
			mu.Lock()
			samples = append(samples, sample{workload: w, latency: lat, class: res.class, message: res.message})
			mu.Unlock()
		}()
	}
	scheduledEnd := time.Now()
	wg.Wait()
	window := cfg.Duration
	if ctx.Err() != nil { // interrupted: rates over the part that ran
		window = min(max(scheduledEnd.Sub(measureFrom), 0), cfg.Duration)
	}
	return newReport(cfg.Mix, samples, window, time.Since(end))
}

// Stats summarises the samples of one workload, or of all.
type Stats struct {
	Name       string         `json:"name"`
	Sent       int            `json:"sent"`
	OK         int            `json:"ok"`
	Errors     int            `json:"errors"`
	ErrorClass map[string]int `json:"error_classes,omitempty"`
	SentPerSec float64        `json:"sent_per_sec"`
	OKPerSec   float64        `json:"ok_per_sec"`
	// Latencies of ok responses, in milliseconds, from the scheduled start.
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

type report struct {
	Workloads []Stats           `json:"workloads"`
	Overall   Stats             `json:"overall"`
	Examples  map[string]string `json:"-"` // "workload class" → an example message
	Window    time.Duration     `json:"-"`
	Drain     time.Duration     `json:"-"`
}

func newReport(mix []MixEntry, samples []sample, window, drain time.Duration) *report {
	rep := &report{Examples: map[string]string{}, Window: window, Drain: drain}
	per := make([][]sample, len(mix))
	for _, s := range samples {
		per[s.workload] = append(per[s.workload], s)
		if s.class != "" {
			k := mix[s.workload].Workload.Name + "\t" + s.class
			if _, ok := rep.Examples[k]; !ok {
				rep.Examples[k] = s.message
			}
		}
	}
	for i, m := range mix {
		rep.Workloads = append(rep.Workloads, summarise(m.Workload.Name, per[i], window))
	}
	rep.Overall = summarise("overall", samples, window)
	return rep
}

func summarise(name string, samples []sample, window time.Duration) Stats {
	st := Stats{Name: name, Sent: len(samples)}
	var lat []time.Duration
	for _, s := range samples {
		if s.class == "" {
			st.OK++
			lat = append(lat, s.latency)
			continue
		}
		st.Errors++
		if st.ErrorClass == nil {
			st.ErrorClass = map[string]int{}
		}
		st.ErrorClass[s.class]++
	}
	if secs := window.Seconds(); secs > 0 {
		st.SentPerSec = float64(st.Sent) / secs
		st.OKPerSec = float64(st.OK) / secs
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	st.P50, st.P95, st.P99 = ms(Percentile(lat, 50)), ms(Percentile(lat, 95)), ms(Percentile(lat, 99))
	if len(lat) > 0 {
		st.Max = ms(lat[len(lat)-1])
	}
	return st
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Percentile is the nearest-rank p-th percentile of sorted samples: the
// smallest sample with at least p% of all samples at or below it. It is
// exact (every sample is kept; at bench sizes that is a few MB at most)
// and always one of the samples, never an interpolation. Zero when empty.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// rank = ceil(p/100 * n), computed in integers of hundredths to avoid
	// float error at exact boundaries (p=95, n=100 must give rank 95).
	rank := (int64(p*100)*int64(n) + 9999) / 10000
	rank = min(max(rank, 1), int64(n))
	return sorted[rank-1]
}

func (rep *report) write(w io.Writer, cfg Config) error {
	var b strings.Builder
	fmt.Fprintf(&b, "shopmuse bench load  %s\n", cfg.URL)
	fmt.Fprintf(&b, "rate %g req/s for %v after %v warmup, mix %s, concurrency %d, seed %d\n",
		cfg.Rate, rep.Window, cfg.Warmup, cfg.MixSpec, cfg.Concurrency, cfg.Seed)
	fmt.Fprintf(&b, "open loop: latency is measured from each request's scheduled start time (no coordinated omission); percentiles are over ok responses\n\n")
	fmt.Fprintf(&b, "%-16s %8s %8s %8s %9s %9s %9s %9s %9s %9s\n", "workload", "sent", "ok", "errors", "sent/s", "ok/s", "p50 ms", "p95 ms", "p99 ms", "max ms")
	row := func(s Stats) {
		fmt.Fprintf(&b, "%-16s %8d %8d %8d %9.1f %9.1f %9.2f %9.2f %9.2f %9.2f\n",
			s.Name, s.Sent, s.OK, s.Errors, s.SentPerSec, s.OKPerSec, s.P50, s.P95, s.P99, s.Max)
	}
	for _, s := range rep.Workloads {
		row(s)
	}
	row(rep.Overall)
	if rep.Overall.Errors > 0 {
		fmt.Fprintf(&b, "\nerrors by class:\n")
		for _, s := range rep.Workloads {
			for _, c := range sortedKeys(s.ErrorClass) {
				fmt.Fprintf(&b, "  %-16s %-36s %8d  e.g. %s\n", s.Name, c, s.ErrorClass[c], rep.Examples[s.Name+"\t"+c])
			}
		}
	}
	if rep.Drain > time.Second {
		fmt.Fprintf(&b, "\nnote: the last responses came %v after the schedule ended; the server was falling behind\n", rep.Drain.Round(time.Millisecond))
	}
	b.WriteString("\n")
	// The last line is the whole result as JSON, for scripts: tail -1 | jq.
	js, err := json.Marshal(struct {
		Bench       string  `json:"bench"`
		URL         string  `json:"url"`
		Rate        float64 `json:"rate"`
		DurationSec float64 `json:"duration_sec"`
		Mix         string  `json:"mix"`
		Seed        uint64  `json:"seed"`
		*report
	}{"load", cfg.URL, cfg.Rate, rep.Window.Seconds(), cfg.MixSpec, cfg.Seed, rep})
	if err != nil {
		return err
	}
	b.Write(js)
	b.WriteString("\n")
	_, err = io.WriteString(w, b.String())
	return err
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
