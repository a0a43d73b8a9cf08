package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopmuse/shopmuse/internal/natstest"
	"github.com/shopmuse/shopmuse/internal/pgtest"
)

// The cluster tests run what docs/scaling.md promises with real processes:
// three shopmuse replicas built from this tree, one PostgreSQL database and
// a three-node NATS JetStream cluster (in this test process). They need
// SHOPMUSE_TEST_PG (pgtest) and take a few minutes; -short skips them.

const clusterAdmin = "cluster-admin-key-0123456789"

// replica is one shopmuse process.
type replica struct {
	t       *testing.T
	name    string
	bin     string
	env     []string
	base    string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
}

func (r *replica) start() {
	r.t.Helper()
	logf, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		r.t.Fatal(err)
	}
	r.cmd = exec.Command(r.bin)
	r.cmd.Env = r.env
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.exited = make(chan struct{})
	go func() { r.cmd.Wait(); logf.Close(); close(r.exited) }()
}

// kill9 is a crash: no shutdown, no flush.
func (r *replica) kill9() {
	r.cmd.Process.Kill()
	<-r.exited
}

func (r *replica) waitReady(d time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		resp, err := http.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-r.exited:
			r.t.Fatalf("replica %s exited while starting:\n%s", r.name, r.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
	r.t.Fatalf("replica %s not ready after %s:\n%s", r.name, d, r.logTail())
}

func (r *replica) logTail() string {
	b, _ := os.ReadFile(r.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// gql posts a query as the admin; an error is a transport failure, a
// non-200 status or GraphQL errors.
func (r *replica) gql(ctx context.Context, query string, vars map[string]any) (map[string]any, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+clusterAdmin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("%s: status %d: %w", r.name, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || out["errors"] != nil {
		return out, fmt.Errorf("%s: status %d: %v", r.name, resp.StatusCode, out["errors"])
	}
	return out["data"].(map[string]any), nil
}

func (r *replica) mustGQL(query string, vars map[string]any) map[string]any {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := r.gql(ctx, query, vars)
	if err != nil {
		r.t.Fatalf("%v\n%s", err, query)
	}
	return out
}

type cluster struct {
	t        *testing.T
	db       string
	nats     *natstest.Cluster
	replicas []*replica
}

// startCluster builds the binary and starts n replicas on one database
// and one NATS cluster.
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("cluster test: skipped with -short")
	}
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "shopmuse")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	nc := natstest.StartCluster(t, 3)
	c := &cluster{t: t, db: db, nats: nc}
	for i := range n {
		name := fmt.Sprintf("r%d", i+1)
		addr := freeAddr(t)
		r := &replica{t: t, name: name, bin: bin, base: "http://" + addr, logPath: filepath.Join(dir, name+".log"),
			env: []string{
				"PATH=" + os.Getenv("PATH"),
				"SHOPMUSE_ADDR=" + addr,
				"SHOPMUSE_DATA=" + filepath.Join(dir, name),
				"SHOPMUSE_DEMO=off",
				"SHOPMUSE_API_KEYS=" + clusterAdmin + ":admin",
				"SHOPMUSE_STORE=" + db,
				// Every node's URL: the client fails over when one stops.
				"SHOPMUSE_BUS=" + nc.URLs(),
				"SHOPMUSE_BUS_REPLICAS=3",
				"SHOPMUSE_REPLICA=" + name,
				"SHOPMUSE_LEASE_TTL=2s",
				// Background training is due often: the test checks that
				// only the lease holder trains.
				"SHOPMUSE_TRAIN_AFTER=300",
				"SHOPMUSE_TRAIN_EVERY=3s",
				"SHOPMUSE_RATE_LIMIT=0",
				"SHOPMUSE_LOG_LEVEL=warn",
			}}
		c.replicas = append(c.replicas, r)
	}
	// The first starts alone (it creates the schema and the stream), then
	// the others together.
	c.replicas[0].start()
	c.replicas[0].waitReady(2 * time.Minute)
	for _, r := range c.replicas[1:] {
		r.start()
	}
	for _, r := range c.replicas[1:] {
		r.waitReady(2 * time.Minute)
	}
	t.Cleanup(func() {
		for _, r := range c.replicas {
			select {
			case <-r.exited:
			default:
				r.kill9()
			}
		}
		if t.Failed() {
			for _, r := range c.replicas {
				t.Logf("--- %s log (tail):\n%s", r.name, r.logTail())
			}
		}
	})
	return c
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// seed writes a small shop through the first replica.
func (c *cluster) seed(products, users int) {
	c.t.Helper()
	var ps, us []map[string]any
	cats := []string{"数码/手机", "数码/相机", "家居/厨房", "美妆/护肤", "食品/咖啡"}
	for i := range products {
		ps = append(ps, map[string]any{"id": fmt.Sprintf("p%03d", i), "title": fmt.Sprintf("商品 %d", i),
			"category": cats[i%len(cats)], "brand": fmt.Sprintf("品牌%d", i%7), "price": map[string]any{"amount": fmt.Sprintf("%d.00", 50+i*7)}})
	}
	for i := range users {
		us = append(us, map[string]any{"id": fmt.Sprintf("u%03d", i)})
	}
	c.replicas[0].mustGQL(`mutation($p: [ProductInput!]!, $u: [UserInput!]!) {
	  upsertProducts(input: $p) { userErrors { code message } }
	  upsertUsers(input: $u) { userErrors { code message } } }`, map[string]any{"p": ps, "u": us})
	rng := rand.New(rand.NewPCG(1, 2))
	var its []map[string]any
	kinds := []string{"VIEW", "VIEW", "CLICK", "ADD_TO_CART", "PURCHASE"}
	for i := range users * 12 {
		u := i % users
		p := (u*3 + rng.IntN(products/4)) % products
		its = append(its, map[string]any{"userID": fmt.Sprintf("u%03d", u), "productID": fmt.Sprintf("p%03d", p),
			"kind": kinds[rng.IntN(len(kinds))], "occurredAt": time.Now().Add(-time.Duration(i) * time.Minute).UTC().Format(time.RFC3339Nano)})
	}
	for len(its) > 0 {
		n := min(len(its), 500)
		c.replicas[0].mustGQL(`mutation($i: [InteractionInput!]!) { recordInteractions(input: $i) { accepted userErrors { code message } } }`,
			map[string]any{"i": its[:n]})
		its = its[n:]
	}
}

// trainingRuns reads shopmuse_training_runs_total from /metrics.
func (r *replica) trainingRuns() int {
	r.t.Helper()
	resp, err := http.Get(r.base + "/metrics")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	n := 0
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "shopmuse_training_runs_total{") {
			var v float64
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			n += int(v)
		}
	}
	return n
}

func (c *cluster) upsertUsers(prefix string, n int) {
	c.t.Helper()
	for start := 0; start < n; start += 500 {
		var us []map[string]any
		for i := start; i < min(n, start+500); i++ {
			us = append(us, map[string]any{"id": fmt.Sprintf("%s%d", prefix, i)})
		}
		c.replicas[0].mustGQL(`mutation($u: [UserInput!]!) { upsertUsers(input: $u) { userErrors { code message } } }`, map[string]any{"u": us})
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// TestClusterFreshnessTrainingAndCampaignFailover: a write acknowledged by
// one replica changes the others' recommendations within a second (p99 over
// 1,000 events); background training runs on one replica and every replica
// serves its model; a campaign whose owner is killed finishes on another
// replica with every user exactly once.
func TestClusterFreshnessTrainingAndCampaignFailover(t *testing.T) {
	c := startCluster(t, 3)
	c.seed(120, 200)

	// Freshness: a cart on one replica shows in CONTINUE on the other two.
	// Each event is a new shopper's first cart, so nothing else can put
	// the product there.
	const events, workers = 1000, 4
	c.upsertUsers("fresh-", events)
	var mu sync.Mutex
	var lags []time.Duration
	var failures atomic.Int64
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= events {
					return
				}
				writer := c.replicas[i%3]
				user, product := fmt.Sprintf("fresh-%d", i), fmt.Sprintf("p%03d", (i*13+w)%120)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := writer.gql(ctx, `mutation($u: ID!, $p: ID!) { recordInteractions(input: [{userID: $u, productID: $p, kind: ADD_TO_CART}]) { accepted } }`,
					map[string]any{"u": user, "p": product})
				cancel()
				if err != nil {
					t.Errorf("write %d: %v", i, err)
					return
				}
				acked := time.Now()
				var worst time.Duration
				for _, reader := range c.replicas {
					if reader == writer {
						continue
					}
					seen := false
					for time.Since(acked) < 5*time.Second && !seen {
						ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
						out, err := reader.gql(ctx, `query($u: ID!) { recommendations(userID: $u, first: 20, placement: CONTINUE) { product { id } } }`,
							map[string]any{"u": user})
						cancel()
						if err == nil && strings.Contains(fmt.Sprint(out), "id:"+product+"]") {
							seen = true
							break
						}
						time.Sleep(5 * time.Millisecond)
					}
					if !seen {
						failures.Add(1)
						continue
					}
					worst = max(worst, time.Since(acked))
				}
				mu.Lock()
				lags = append(lags, worst)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	p50, p99 := percentile(lags, 0.50), percentile(lags, 0.99)
	t.Logf("freshness over %d events (write on one replica, seen on both others): p50 %s, p99 %s, max %s, not seen within 5s: %d",
		len(lags), p50.Round(time.Millisecond), p99.Round(time.Millisecond), percentile(lags, 1).Round(time.Millisecond), failures.Load())
	if failures.Load() > 0 || p99 > time.Second {
		t.Errorf("freshness p99 %s (target ≤ 1s), %d events never seen", p99, failures.Load())
	}

	// Background training ran on one replica (the lease holder) only, and
	// every replica serves its model.
	var version, trainer string
	deadline := time.Now().Add(60 * time.Second)
	for {
		versions, trainers := map[string]bool{}, map[string]bool{}
		for _, r := range c.replicas {
			info := r.mustGQL(`{ modelInfo { version replica trainedBy } }`, nil)["modelInfo"].(map[string]any)
			version, _ = info["version"].(string)
			trainer, _ = info["trainedBy"].(string)
			versions[version], trainers[trainer] = true, true
		}
		if len(versions) == 1 && version != "" && len(trainers) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas serve different models after 60s: versions %v, trained by %v", versions, trainers)
		}
		time.Sleep(100 * time.Millisecond)
	}
	trained := map[string]int{}
	for _, r := range c.replicas {
		trained[r.name] = r.trainingRuns()
	}
	t.Logf("all three replicas serve model %s, trained by %s; training runs per replica: %v", version, trainer, trained)
	for name, n := range trained {
		if (n > 0) != (name == trainer) {
			t.Errorf("training runs per replica %v: only %s (the lease holder) should train", trained, trainer)
		}
	}

	// A campaign started on r1, whose owner is killed mid-way, finishes on
	// another replica with each user once.
	owner := c.replicas[0]
	var userIDs []string
	for i := range 1000 {
		userIDs = append(userIDs, fmt.Sprintf("fresh-%d", i))
	}
	out := owner.mustGQL(`mutation($u: [ID!]) { createCampaign(input: {name: "failover", channel: PUSH, userIDs: $u}) { campaign { id } userErrors { code message } } }`,
		map[string]any{"u": userIDs})
	id := out["createCampaign"].(map[string]any)["campaign"].(map[string]any)["id"].(string)
	// Kill the owner once it has started, before it finishes.
	for {
		cp := owner.mustGQL(`query($id: ID!) { campaign(id: $id) { status done total } }`, map[string]any{"id": id})["campaign"].(map[string]any)
		if cp["status"] == "COMPLETED" {
			t.Fatalf("the campaign finished before its owner could be killed (%v): make it bigger", cp)
		}
		if cp["done"].(float64) > 0 {
			t.Logf("killing the campaign's owner at %v", cp)
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	owner.kill9()
	survivor := c.replicas[1]
	deadline = time.Now().Add(90 * time.Second)
	for {
		out := survivor.mustGQL(`query($id: ID!) { campaign(id: $id) { status done total messages } }`, map[string]any{"id": id})
		cp := out["campaign"].(map[string]any)
		if cp["status"] == "COMPLETED" {
			t.Logf("campaign finished after its owner was killed: %v", cp)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign not finished 90s after its owner was killed: %v", cp)
		}
		time.Sleep(200 * time.Millisecond)
	}
	perUser := map[string]int{}
	after := ""
	for {
		out := survivor.mustGQL(`query($id: ID!, $after: String) { campaign(id: $id) { messageList(first: 100, after: $after) {
		  edges { node { userID } } pageInfo { hasNextPage endCursor } } } }`, map[string]any{"id": id, "after": after})
		ml := out["campaign"].(map[string]any)["messageList"].(map[string]any)
		for _, e := range ml["edges"].([]any) {
			perUser[e.(map[string]any)["node"].(map[string]any)["userID"].(string)]++
		}
		pi := ml["pageInfo"].(map[string]any)
		if pi["hasNextPage"] != true {
			break
		}
		after = pi["endCursor"].(string)
	}
	if len(perUser) != len(userIDs) {
		t.Errorf("campaign messages for %d users, want %d", len(perUser), len(userIDs))
	}
	for u, n := range perUser {
		if n != 1 {
			t.Errorf("user %s got %d messages", u, n)
		}
	}
}

// TestClusterKill9LosesNoAcknowledgedWrite: under a steady write load,
// ten rounds of kill -9 of one replica (and, once, of a NATS node) lose no
// acknowledged write, counted in PostgreSQL; clients that retry on another
// replica get answers.
func TestClusterKill9LosesNoAcknowledgedWrite(t *testing.T) {
	c := startCluster(t, 3)
	c.seed(60, 50)
	c.upsertUsers("load-", 4)

	type fact struct {
		user, product string
		ns            int64
	}
	var (
		mu       sync.Mutex
		acked    []fact
		retried  atomic.Int64
		gaveUp   atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		sequence atomic.Int64
	)
	alive := func() []*replica {
		var out []*replica
		for _, r := range c.replicas {
			select {
			case <-r.exited:
			default:
				out = append(out, r)
			}
		}
		return out
	}
	// Whole milliseconds: what the API's times carry exactly.
	base := time.Now().Add(-time.Hour).Truncate(time.Second).UnixNano()
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				var batch []fact
				var input []map[string]any
				for range 20 {
					n := sequence.Add(1)
					f := fact{fmt.Sprintf("load-%d", w), fmt.Sprintf("p%03d", rng.IntN(60)), base + n*int64(time.Millisecond)}
					batch = append(batch, f)
					input = append(input, map[string]any{"userID": f.user, "productID": f.product, "kind": "VIEW",
						"occurredAt": time.Unix(0, f.ns).UTC().Format(time.RFC3339Nano)})
				}
				ok := false
				for attempt := 0; attempt < 50 && !ok; attempt++ {
					rs := alive()
					if len(rs) == 0 {
						time.Sleep(100 * time.Millisecond)
						continue
					}
					r := rs[rng.IntN(len(rs))]
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					out, err := r.gql(ctx, `mutation($i: [InteractionInput!]!) { recordInteractions(input: $i) { accepted userErrors { code } } }`,
						map[string]any{"i": input})
					cancel()
					if err == nil && len(out["recordInteractions"].(map[string]any)["userErrors"].([]any)) > 0 {
						t.Errorf("load batch refused: %v", out)
						return
					}
					if err == nil {
						ok = true
						break
					}
					retried.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
				if !ok {
					gaveUp.Add(1)
					continue
				}
				mu.Lock()
				acked = append(acked, batch...)
				mu.Unlock()
			}
		}()
	}
	for round := range 10 {
		time.Sleep(time.Second)
		victim := c.replicas[round%3]
		victim.kill9()
		if round == 4 {
			// A NATS node goes too; the stream is on all three.
			c.nats.Servers[1].Shutdown()
		}
		time.Sleep(500 * time.Millisecond)
		victim.start()
		victim.waitReady(2 * time.Minute)
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT user_id, product_id, occurred_ns FROM events WHERE user_id LIKE 'load-%'`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[fact]bool{}
	for rows.Next() {
		var f fact
		if err := rows.Scan(&f.user, &f.product, &f.ns); err != nil {
			t.Fatal(err)
		}
		stored[f] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	lost := 0
	for _, f := range acked {
		if !stored[f] {
			lost++
		}
	}
	t.Logf("10 rounds of kill -9 (one with a NATS node down): %d writes acknowledged, %d in PostgreSQL, %d lost, %d requests retried on another replica, %d batches given up",
		len(acked), len(stored), lost, retried.Load(), gaveUp.Load())
	if len(acked) < 1000 {
		t.Errorf("only %d writes acknowledged: the load did not run", len(acked))
	}
	if lost > 0 || gaveUp.Load() > 0 {
		t.Errorf("%d acknowledged writes lost, %d batches never answered", lost, gaveUp.Load())
	}
	// The survivors still answer after the last round.
	for _, r := range c.replicas {
		r.mustGQL(`{ modelInfo { replica } }`, nil)
	}
}
