package main

// The crash-durability test: an interaction the server acknowledged must
// survive the process being killed with SIGKILL at any moment. It runs the
// real binary (a crash cannot be simulated in-process: Badger's files, its
// value log and fsyncs are what is under test) against one data directory
// kept across rounds of start, stream writes, kill -9, restart, verify.
//
// Reproduce a failure with SHOPMUSE_DURABILITY_SEED=<the logged seed>.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	durRounds   = 20
	durUsers    = 40 // many users keep each one's newest 100 covering a round
	durProducts = 4
)

var durKinds = []string{"VIEW", "CLICK", "LIKE", "ADD_TO_CART", "PURCHASE", "RATE"}

// durEvent is one interaction input; at (whole seconds, unique across the
// test) makes every event distinguishable in the server's answers.
type durEvent struct {
	User, Product, Kind string
	At                  time.Time
}

func (e durEvent) input() map[string]any {
	in := map[string]any{"userID": e.User, "productID": e.Product, "kind": e.Kind, "occurredAt": e.At.Format(time.RFC3339)}
	if e.Kind == "RATE" {
		in["value"] = 4
	}
	return in
}

func (e durEvent) key() string {
	return e.User + "|" + e.Product + "|" + e.Kind + "|" + strconv.FormatInt(e.At.Unix(), 10)
}

// durLedger is what the client knows: every event it sent, and the ones
// the server acknowledged (HTTP 200, no errors, no userErrors, all accepted).
type durLedger struct {
	mu    sync.Mutex
	sent  []durEvent
	acked map[string]durEvent
}

func TestDurabilityAcknowledgedInteractionsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash-durability test builds and kills the server binary; skipped with -short")
	}
	seed := time.Now().UnixNano()
	if s := os.Getenv("SHOPMUSE_DURABILITY_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("SHOPMUSE_DURABILITY_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (rerun with SHOPMUSE_DURABILITY_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	began := time.Now()

	bin := durBuild(t)
	t.Logf("built server in %v", time.Since(began).Round(time.Millisecond))
	data := t.TempDir()
	led := &durLedger{acked: map[string]durEvent{}}
	// Past, whole seconds: the server accepts past times, and one second
	// apart no event can collide with another whatever precision is stored.
	base := time.Now().Add(-72 * time.Hour).Truncate(time.Second).UTC()
	next := 0
	var nextMu sync.Mutex
	nextAt := func() time.Time {
		nextMu.Lock()
		defer nextMu.Unlock()
		next++
		return base.Add(time.Duration(next) * time.Second)
	}

	for round := 0; round <= durRounds; round++ {
		srv := durStart(t, bin, data)
		if round > 0 {
			n := durVerify(t, srv, led, round)
			t.Logf("round %2d: after restart, checked %d acknowledged interactions by event and every count against its bounds", round, n)
		} else {
			durSeed(t, srv)
		}
		if round == durRounds {
			durVerifyAllByReRecording(t, srv, led)
			srv.kill()
			break
		}

		workers := 1 + rng.Intn(4)
		killAfter := time.Duration(50+rng.Intn(451)) * time.Millisecond
		// Each worker gets its own generator, seeded from rng, so a seed
		// reproduces what each worker sends (the interleaving is the OS's).
		seeds := make([]int64, workers)
		for i := range seeds {
			seeds[i] = rng.Int63()
		}
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		ackedBefore := len(led.acked)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(r *rand.Rand) {
				defer wg.Done()
				durStream(ctx, srv, led, r, nextAt)
			}(rand.New(rand.NewSource(seeds[w])))
		}
		time.Sleep(killAfter)
		srv.kill()
		stop()
		wg.Wait()
		t.Logf("round %2d: %d workers, SIGKILL after %v, %d interactions acknowledged",
			round, workers, killAfter, len(led.acked)-ackedBefore)
		if t.Failed() {
			return
		}
	}
	if len(led.acked) < durRounds*5 {
		t.Errorf("only %d interactions acknowledged in %d rounds: the test did not exercise the write path", len(led.acked), durRounds)
	}
	t.Logf("%d interactions acknowledged, %d sent, %d rounds, %v in all", len(led.acked), len(led.sent), durRounds, time.Since(began).Round(time.Millisecond))
}

// durBuild builds the server once, from this package's directory (the
// module root), with the go command that runs the test.
func durBuild(t *testing.T) string {
	t.Helper()
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goBin); os.Getenv("GOROOT") == "" || err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build the server with")
		}
	}
	bin := filepath.Join(t.TempDir(), "shopmuse")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// durServer is one running server process.
type durServer struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
	done chan struct{}
}

// durStart starts the binary on a free loopback port and waits for /readyz.
func durStart(t *testing.T, bin, data string) *durServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &durServer{t: t, base: "http://" + addr, logs: &bytes.Buffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(bin)
	s.cmd.Env = append(os.Environ(), "SHOPMUSE_ADDR="+addr, "SHOPMUSE_DATA="+data, "SHOPMUSE_DEMO=off", "SHOPMUSE_LOG_LEVEL=warn")
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.kill)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			t.Fatalf("server exited during start (%v):\n%s", s.cmd.ProcessState, s.logs.String())
		default:
		}
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server not ready in 30s:\n%s", s.logs.String())
	return nil
}

// kill sends SIGKILL (no shutdown, no flush, no Close) and reaps it.
func (s *durServer) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// gql posts a GraphQL request; ok is true only for HTTP 200 with no
// top-level errors. It never fails the test itself: after a kill, errors
// are expected.
func (s *durServer) gql(ctx context.Context, query string, vars map[string]any) (data json.RawMessage, ok bool, detail string) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, false, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, false, err.Error()
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, false, err.Error()
	}
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, false, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
		return out.Data, false, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, raw)
	}
	return out.Data, true, ""
}

func (s *durServer) mustGQL(query string, vars map[string]any, into any) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data, ok, detail := s.gql(ctx, query, vars)
	if !ok {
		s.t.Fatalf("graphql: %s\nserver log:\n%s", detail, s.logs.String())
	}
	if err := json.Unmarshal(data, into); err != nil {
		s.t.Fatalf("decode %s: %v", data, err)
	}
}

func durUserID(i int) string    { return fmt.Sprintf("dur-u%02d", i) }
func durProductID(i int) string { return fmt.Sprintf("dur-p%d", i) }

// durSeed creates the users and products the interactions refer to.
func durSeed(t *testing.T, s *durServer) {
	t.Helper()
	var users, products []map[string]any
	for i := 0; i < durUsers; i++ {
		users = append(users, map[string]any{"id": durUserID(i), "age": 20 + i, "interests": []string{"户外"}})
	}
	for i := 0; i < durProducts; i++ {
		products = append(products, map[string]any{"id": durProductID(i), "title": fmt.Sprintf("耐久测试商品 %d", i),
			"category": "测试/耐久", "price": map[string]any{"amount": fmt.Sprintf("%d.00", 10+i)}})
	}
	var out struct {
		U struct{ UserErrors []any } `json:"u"`
		P struct{ UserErrors []any } `json:"p"`
	}
	s.mustGQL(`mutation($u: [UserInput!]!, $p: [ProductInput!]!) {
		u: upsertUsers(input: $u) { userErrors { field message code } }
		p: upsertProducts(input: $p) { userErrors { field message code } } }`,
		map[string]any{"u": users, "p": products}, &out)
	if len(out.U.UserErrors)+len(out.P.UserErrors) > 0 {
		t.Fatalf("seeding: %v %v", out.U.UserErrors, out.P.UserErrors)
	}
}

// durStream records small batches until ctx ends or the server dies,
// writing every batch to the ledger as sent before sending it and as
// acknowledged only after a complete, clean answer.
func durStream(ctx context.Context, s *durServer, led *durLedger, r *rand.Rand, nextAt func() time.Time) {
	const q = `mutation($in: [InteractionInput!]!) { recordInteractions(input: $in) { accepted duplicates userErrors { field message code } } }`
	for ctx.Err() == nil {
		batch := make([]durEvent, 1+r.Intn(4))
		inputs := make([]map[string]any, len(batch))
		for i := range batch {
			batch[i] = durEvent{User: durUserID(r.Intn(durUsers)), Product: durProductID(r.Intn(durProducts)),
				Kind: durKinds[r.Intn(len(durKinds))], At: nextAt()}
			inputs[i] = batch[i].input()
		}
		led.mu.Lock()
		led.sent = append(led.sent, batch...)
		led.mu.Unlock()
		// Not ctx: a request must not be abandoned by the client, only cut
		// by the kill, or an unacknowledged write would look like a crash.
		reqCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		data, ok, _ := s.gql(reqCtx, q, map[string]any{"in": inputs})
		cancel()
		if !ok {
			return // the server is gone (or going)
		}
		var out struct {
			RecordInteractions struct {
				Accepted, Duplicates int
				UserErrors           []any
			}
		}
		if json.Unmarshal(data, &out) != nil {
			return
		}
		p := out.RecordInteractions
		if len(p.UserErrors) > 0 || p.Accepted != len(batch) {
			s.t.Errorf("recordInteractions answered 200 but did not take the batch: %+v", p)
			return
		}
		led.mu.Lock()
		for _, e := range batch {
			led.acked[e.key()] = e
		}
		led.mu.Unlock()
	}
}

// durVerify checks, after a restart, that every acknowledged interaction
// is where a reader finds it:
//
//   - user(id).interactions(first: 100), newest first: each acknowledged
//     event that ranks in the newest 100 of everything ever sent for its user
//     (sent but unacknowledged events may or may not exist, so they can only
//     push others down, never more than that) must be listed, exactly.
//   - product(id).interactionCounts: for every product and kind, the count
//     must be at least the acknowledged and at most the sent interactions,
//     which covers every round, not only the newest events.
func durVerify(t *testing.T, s *durServer, led *durLedger, round int) (checked int) {
	t.Helper()
	led.mu.Lock()
	defer led.mu.Unlock()

	type answer struct {
		Interactions []struct {
			ProductID, Kind string
			OccurredAt      time.Time
		}
		InteractionCounts []struct {
			Kind  string
			Count int
		}
	}
	// A few users per query: 100 interactions each cost about 300 under
	// the server's complexity limit (5,000 by default).
	out := map[string]*answer{}
	const perQuery = 10
	for lo := 0; lo < durUsers+durProducts; lo += perQuery {
		var b strings.Builder
		b.WriteString("{")
		for j := lo; j < min(lo+perQuery, durUsers+durProducts); j++ {
			if j < durUsers {
				fmt.Fprintf(&b, " u%d: user(id: %q) { interactions(first: 100) { productID kind occurredAt } }", j, durUserID(j))
			} else {
				i := j - durUsers
				fmt.Fprintf(&b, " p%d: product(id: %q) { interactionCounts { kind count } }", i, durProductID(i))
			}
		}
		b.WriteString(" }")
		var part map[string]*answer
		s.mustGQL(b.String(), nil, &part)
		for k, v := range part {
			out[k] = v
		}
	}

	sentByUser := map[string][]durEvent{}
	for _, e := range led.sent {
		sentByUser[e.User] = append(sentByUser[e.User], e)
	}
	missing := 0
	for i := 0; i < durUsers; i++ {
		u := durUserID(i)
		got, ok := out[fmt.Sprintf("u%d", i)]
		if !ok || got == nil {
			t.Fatalf("round %d: user %s is gone after the restart", round, u)
		}
		listed := map[string]bool{}
		for _, it := range got.Interactions {
			listed[durEvent{User: u, Product: it.ProductID, Kind: it.Kind, At: it.OccurredAt}.key()] = true
		}
		sent := sentByUser[u]
		sort.Slice(sent, func(a, b int) bool { return sent[a].At.After(sent[b].At) })
		for rank, e := range sent {
			if rank >= 100 {
				break
			}
			if _, acked := led.acked[e.key()]; !acked {
				continue
			}
			checked++
			if !listed[e.key()] {
				missing++
				if missing <= 10 {
					t.Errorf("round %d: acknowledged interaction lost: %s %s %s at %s", round, e.User, e.Product, e.Kind, e.At.Format(time.RFC3339))
				}
			}
		}
	}
	if missing > 0 {
		t.Errorf("round %d: %d of %d acknowledged interactions in the users' newest 100 are missing after SIGKILL", round, missing, checked)
	}

	ackedN, sentN := map[string]int{}, map[string]int{}
	for _, e := range led.sent {
		sentN[e.Product+" "+e.Kind]++
	}
	for _, e := range led.acked {
		ackedN[e.Product+" "+e.Kind]++
	}
	for i := 0; i < durProducts; i++ {
		p := durProductID(i)
		got, ok := out[fmt.Sprintf("p%d", i)]
		if !ok || got == nil {
			t.Fatalf("round %d: product %s is gone after the restart", round, p)
		}
		counts := map[string]int{}
		for _, c := range got.InteractionCounts {
			counts[c.Kind] = c.Count
		}
		for _, k := range durKinds {
			key := p + " " + k
			if c := counts[k]; c < ackedN[key] || c > sentN[key] {
				t.Errorf("round %d: %s has %d %s interactions; %d were acknowledged and %d sent", round, p, c, k, ackedN[key], sentN[key])
			}
		}
	}
	return checked
}

// durVerifyAllByReRecording sends every acknowledged interaction again:
// recording is idempotent on (user, product, kind, time), so each must come
// back as a duplicate. This reaches events older than any user's newest 100.
// It runs last, because an event that was lost would be written now.
func durVerifyAllByReRecording(t *testing.T, s *durServer, led *durLedger) {
	t.Helper()
	led.mu.Lock()
	all := make([]durEvent, 0, len(led.acked))
	for _, e := range led.acked {
		all = append(all, e)
	}
	led.mu.Unlock()
	sort.Slice(all, func(a, b int) bool { return all[a].At.Before(all[b].At) })
	const q = `mutation($in: [InteractionInput!]!) { recordInteractions(input: $in) { accepted duplicates userErrors { field message code } } }`
	for lo := 0; lo < len(all); lo += 1000 {
		chunk := all[lo:min(lo+1000, len(all))]
		inputs := make([]map[string]any, len(chunk))
		for i, e := range chunk {
			inputs[i] = e.input()
		}
		var out struct {
			RecordInteractions struct {
				Accepted, Duplicates int
				UserErrors           []any
			}
		}
		s.mustGQL(q, map[string]any{"in": inputs}, &out)
		p := out.RecordInteractions
		if len(p.UserErrors) > 0 || p.Accepted != len(chunk) || p.Duplicates != len(chunk) {
			t.Errorf("re-recording %d acknowledged interactions: accepted %d, duplicates %d (want all duplicates), userErrors %v",
				len(chunk), p.Accepted, p.Duplicates, p.UserErrors)
		}
	}
}
