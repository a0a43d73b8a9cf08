package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is a stand-in /graphql: products paging over 150 IDs,
// products/search/product answered, recommendations and generatedCopy
// rejected the way gqlgen rejects a field the schema lacks (HTTP 422,
// GRAPHQL_VALIDATION_FAILED). It records when each load request arrived.
type fakeServer struct {
	delay time.Duration
	mu    sync.Mutex
	load  []time.Time // arrival of every request except ID paging
	pages int
	auth  []string
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/graphql" || r.Method != http.MethodPost {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if strings.Contains(req.Query, "LoadProductIDs") {
		f.pages++
		f.mu.Unlock()
		ids, next, end := []string{}, false, ""
		lo := 0
		if req.Variables["after"] == "c100" {
			lo = 100
		}
		for i := lo; i < min(lo+100, 150); i++ {
			ids = append(ids, fmt.Sprintf(`{"id":"sku-%03d"}`, i))
		}
		if lo == 0 {
			next, end = true, "c100"
		}
		fmt.Fprintf(w, `{"data":{"products":{"nodes":[%s],"pageInfo":{"hasNextPage":%v,"endCursor":%q}}}}`, strings.Join(ids, ","), next, end)
		return
	}
	f.load = append(f.load, time.Now())
	f.mu.Unlock()
	time.Sleep(f.delay)
	switch {
	case strings.Contains(req.Query, "recommendations("):
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"errors":[{"message":"Cannot query field \"recommendations\" on type \"Query\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}],"data":null}`)
	case strings.Contains(req.Query, "generatedCopy("):
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"errors":[{"message":"Cannot query field \"generatedCopy\" on type \"Query\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}],"data":null}`)
	case strings.Contains(req.Query, "product(id"):
		if p, _ := req.Variables["p"].(string); !strings.HasPrefix(p, "sku-") {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"errors":[{"message":"product id not from the fetched list"}]}`)
			return
		}
		io.WriteString(w, `{"data":{"product":{"id":"sku-001","title":"t"}}}`)
	default:
		io.WriteString(w, `{"data":{"products":{"nodes":[]}}}`)
	}
}

func TestRunHonoursRateAndReportsUnsupportedWorkloads(t *testing.T) {
	f := &fakeServer{delay: 5 * time.Millisecond}
	srv := httptest.NewServer(f)
	defer srv.Close()

	const rate, warmup, dur = 200.0, 300 * time.Millisecond, 1500 * time.Millisecond
	var out, errOut bytes.Buffer
	began := time.Now()
	err := Run(context.Background(), []string{
		"--url", srv.URL + "/graphql", "--rate", fmt.Sprint(rate), "--duration", dur.String(),
		"--warmup", warmup.String(), "--mix", "products=1,search=1,recommendations=1,product=1",
		"--api-key", "k1", "--seed", "7",
	}, &out, &errOut)
	elapsed := time.Since(began)
	if err != nil {
		t.Fatalf("Run: %v\nstderr: %s", err, errOut.String())
	}
	t.Logf("stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())

	f.mu.Lock()
	load, pages, auth := append([]time.Time(nil), f.load...), f.pages, append([]string(nil), f.auth...)
	f.mu.Unlock()
	if pages != 2 {
		t.Errorf("product ID paging: %d pages requested, want 2", pages)
	}
	for _, a := range auth {
		if a != "Bearer k1" {
			t.Fatalf("Authorization header %q, want Bearer k1", a)
		}
	}
	// The first 4 load requests are the per-workload checks before the load.
	if len(load) < 4 {
		t.Fatalf("only %d load requests", len(load))
	}
	sched := load[4:]
	want := rate * (warmup + dur).Seconds()
	if got := float64(len(sched)); math.Abs(got-want) > 0.05*want {
		t.Errorf("server received %v scheduled requests, want %v ± 5%%", got, want)
	}
	// Open loop at a fixed rate means evenly spread arrivals, not a burst:
	// each half of the run gets about half of the requests.
	mid := sched[0].Add((warmup + dur) / 2)
	firstHalf := 0
	for _, at := range sched {
		if at.Before(mid) {
			firstHalf++
		}
	}
	if h := float64(firstHalf); math.Abs(h-want/2) > 0.1*want/2 {
		t.Errorf("%v requests in the first half of the run, want about %v", h, want/2)
	}
	if elapsed < warmup+dur || elapsed > warmup+dur+3*time.Second {
		t.Errorf("Run took %v for %v of load", elapsed, warmup+dur)
	}

	// The last line is the JSON result.
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var res struct {
		Rate      float64 `json:"rate"`
		Workloads []Stats `json:"workloads"`
		Overall   Stats   `json:"overall"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("last line is not JSON: %v: %q", err, lines[len(lines)-1])
	}
	wantMeasured := rate * dur.Seconds()
	if got := float64(res.Overall.Sent); math.Abs(got-wantMeasured) > 0.02*wantMeasured {
		t.Errorf("overall sent %v, want %v (warmup excluded)", got, wantMeasured)
	}
	if math.Abs(res.Overall.SentPerSec-rate) > 0.02*rate {
		t.Errorf("overall sent/s %v, want %v", res.Overall.SentPerSec, rate)
	}
	by := map[string]Stats{}
	sum := 0
	for _, s := range res.Workloads {
		by[s.Name] = s
		sum += s.Sent
		if s.Sent < int(wantMeasured/4*0.7) {
			t.Errorf("workload %s got %d of %v requests; the mix is 1:1:1:1", s.Name, s.Sent, wantMeasured)
		}
	}
	if sum != res.Overall.Sent {
		t.Errorf("workloads sum to %d, overall says %d", sum, res.Overall.Sent)
	}
	rec := by["recommendations"]
	if rec.OK != 0 || rec.Errors != rec.Sent || rec.ErrorClass["graphql/GRAPHQL_VALIDATION_FAILED"] != rec.Sent {
		t.Errorf("recommendations: %+v, want every request classed graphql/GRAPHQL_VALIDATION_FAILED", rec)
	}
	for _, n := range []string{"products", "search", "product"} {
		if s := by[n]; s.Errors != 0 || s.OK != s.Sent || s.P50 < 5 {
			t.Errorf("%s: %+v, want all ok with p50 >= the server's 5ms", n, s)
		}
	}
	if !strings.Contains(errOut.String(), `workload recommendations fails before load: graphql/GRAPHQL_VALIDATION_FAILED`) {
		t.Errorf("stderr does not name the unsupported workload:\n%s", errOut.String())
	}
	if !strings.Contains(out.String(), `Cannot query field \"recommendations\"`) && !strings.Contains(out.String(), `Cannot query field "recommendations"`) {
		t.Errorf("table does not show an example of the validation error")
	}
	if !strings.Contains(out.String(), "scheduled start time") {
		t.Errorf("output does not say how latency is measured")
	}
}

// A server that can do 50 req/s under 100 req/s builds a queue; measured
// from the scheduled start, the tail shows it. A closed-loop generator (or
// one timing from the actual send) would report about 20ms throughout.
func TestLatencyIncludesQueueingBehindSlowServer(t *testing.T) {
	f := &fakeServer{delay: 20 * time.Millisecond}
	srv := httptest.NewServer(f)
	defer srv.Close()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), []string{
		"--url", srv.URL + "/graphql", "--rate", "100", "--duration", "1s", "--warmup", "0s",
		"--mix", "products", "--concurrency", "1",
	}, &out, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var res struct{ Overall Stats }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatal(err)
	}
	if res.Overall.Sent != 100 || res.Overall.OK != 100 {
		t.Fatalf("sent %d ok %d, want 100 and 100", res.Overall.Sent, res.Overall.OK)
	}
	// After 1s the backlog is about 50 requests of 20ms: the last waits ~1s.
	if res.Overall.Max < 500 || res.Overall.P99 < 400 {
		t.Errorf("max %vms p99 %vms: queueing behind the slow server is not in the latency", res.Overall.Max, res.Overall.P99)
	}
}

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99, 99 * time.Millisecond}, {99.9, 100 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := Percentile(s, c.p); got != c.want {
			t.Errorf("p%v of 1..100ms = %v, want %v", c.p, got, c.want)
		}
	}
	ten := s[:10]
	if got := Percentile(ten, 50); got != 5*time.Millisecond {
		t.Errorf("p50 of 1..10 = %v, want 5ms", got)
	}
	if got := Percentile(ten, 99); got != 10*time.Millisecond {
		t.Errorf("p99 of 1..10 = %v, want 10ms", got)
	}
	if got := Percentile(ten, 91); got != 10*time.Millisecond {
		t.Errorf("p91 of 1..10 = %v, want 10ms (rank ceil(9.1)=10)", got)
	}
	if got := Percentile(ten, 90); got != 9*time.Millisecond {
		t.Errorf("p90 of 1..10 = %v, want 9ms", got)
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
	if got := Percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one sample = %v", got)
	}
}

func TestSummariseUsesOKLatenciesAndCountsClasses(t *testing.T) {
	var ss []sample
	// 1..100ms ok in shuffled order, plus 3 fast errors that must not pull the
	// percentiles down.
	r := rand.New(rand.NewPCG(1, 2))
	for _, i := range r.Perm(100) {
		ss = append(ss, sample{latency: time.Duration(i+1) * time.Millisecond})
	}
	ss = append(ss,
		sample{latency: time.Microsecond, class: "http/429"},
		sample{latency: time.Microsecond, class: "http/429"},
		sample{latency: time.Microsecond, class: "graphql/BAD_USER_INPUT"})
	st := summarise("x", ss, 2*time.Second)
	if st.Sent != 103 || st.OK != 100 || st.Errors != 3 {
		t.Errorf("counts %+v", st)
	}
	if st.ErrorClass["http/429"] != 2 || st.ErrorClass["graphql/BAD_USER_INPUT"] != 1 {
		t.Errorf("classes %v", st.ErrorClass)
	}
	if st.P50 != 50 || st.P95 != 95 || st.P99 != 99 || st.Max != 100 {
		t.Errorf("percentiles p50 %v p95 %v p99 %v max %v, want 50 95 99 100", st.P50, st.P95, st.P99, st.Max)
	}
	if st.OKPerSec != 50 || st.SentPerSec != 51.5 {
		t.Errorf("throughput ok %v sent %v, want 50 and 51.5", st.OKPerSec, st.SentPerSec)
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   string
	}{
		{200, `{"data":{"products":{"nodes":[]}}}`, ""},
		{422, `{"errors":[{"message":"Cannot query field \"recommendations\" on type \"Query\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}],"data":null}`, "graphql/GRAPHQL_VALIDATION_FAILED"},
		{200, `{"errors":[{"message":"first must be at most 100","extensions":{"code":"BAD_USER_INPUT"}}],"data":{"products":null}}`, "graphql/BAD_USER_INPUT"},
		{200, `{"errors":[{"message":"boom"}],"data":{"x":1}}`, "graphql/UNCODED"},
		{401, `{"errors":[{"message":"a valid API key is required","extensions":{"code":"UNAUTHENTICATED"}}]}`, "graphql/UNAUTHENTICATED"},
		{429, `Too Many Requests`, "http/429"},
		{500, `{"oops":true}`, "http/500"},
		{503, ``, "http/503"},
		{200, `<html>`, "response/not-json"},
		{200, `{"data":null}`, "response/no-data"},
	} {
		if got := classify(c.status, []byte(c.body)).class; got != c.want {
			t.Errorf("classify(%d, %s) = %q, want %q", c.status, c.body, got, c.want)
		}
	}
}

func TestTransportErrorClasses(t *testing.T) {
	// Refused: a port that was just listening and is now closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cl := newClient(Config{URL: "http://" + addr + "/graphql", Concurrency: 1, Timeout: time.Second})
	if got := cl.do(context.Background(), "{x}", nil).class; got != "transport/refused" {
		t.Errorf("closed port: class %q, want transport/refused", got)
	}
	// Timeout: a server slower than the client's timeout.
	done := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(done)
	cl = newClient(Config{URL: slow.URL, Concurrency: 1, Timeout: 100 * time.Millisecond})
	if got := cl.do(context.Background(), "{x}", nil).class; got != "transport/timeout" {
		t.Errorf("slow server: class %q, want transport/timeout", got)
	}
}

func TestParseMixAndChooser(t *testing.T) {
	mix, err := ParseMix("products=1, search=3,copy=0", Workloads)
	if err != nil {
		t.Fatal(err)
	}
	if len(mix) != 2 || mix[0].Workload.Name != "products" || mix[1].Workload.Name != "search" || mix[1].Weight != 3 {
		t.Fatalf("mix %+v", mix)
	}
	ch := newChooser(mix)
	r := rand.New(rand.NewPCG(3, 4))
	n := [2]int{}
	for range 40000 {
		n[ch.pick(r)]++
	}
	if f := float64(n[1]) / 40000; math.Abs(f-0.75) > 0.02 {
		t.Errorf("search picked %.3f of the time, want 0.75", f)
	}
	for _, bad := range []string{"nope=1", "products=-1", "products=x", "products=0", "", "products,products"} {
		if _, err := ParseMix(bad, Workloads); err == nil {
			t.Errorf("ParseMix(%q) accepted", bad)
		}
	}
	if _, err := parseArgs([]string{"--rate", "0"}, io.Discard); err == nil {
		t.Error("--rate 0 accepted")
	}
	if _, err := parseArgs([]string{"--url", "localhost:8080"}, io.Discard); err == nil {
		t.Error("--url without a scheme accepted")
	}
}

func TestWorkloadsNeedingProductsFailClearlyOnEmptyStore(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":{"products":{"nodes":[],"pageInfo":{"hasNextPage":false,"endCursor":null}}}}`)
	}))
	defer srv.Close()
	err := Run(context.Background(), []string{"--url", srv.URL, "--mix", "copy=1", "--duration", "1s"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "needs products") {
		t.Errorf("err = %v, want a clear 'needs products' error", err)
	}
}
