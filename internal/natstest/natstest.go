// Package natstest points tests at NATS JetStream: the server named by
// SHOPMUSE_TEST_NATS (each test gets its own stream name, deleted
// afterwards), or a JetStream cluster run in the test process for failover
// tests. Tests that need NATS skip when SHOPMUSE_TEST_NATS is unset, and
// fail when it is set but the server does not answer.
package natstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Env names the variable holding the test server's URL.
const Env = "SHOPMUSE_TEST_NATS"

// URL returns the test server's URL, skipping the test when none is
// configured and failing it when the server does not answer.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		t.Skipf("%s is unset: start a NATS server with JetStream (nats-server -js -a 127.0.0.1 -p 4222) and set %s=nats://127.0.0.1:4222", Env, Env)
	}
	nc, err := nats.Connect(u, nats.Timeout(3*time.Second))
	if err != nil {
		t.Fatalf("%s=%s does not answer: %v", Env, u, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		t.Fatalf("%s=%s has no JetStream (start nats-server with -js): %v", Env, u, err)
	}
	return u
}

// Stream returns a fresh stream name and deletes the stream and its lease
// bucket (<name>_leases) when the test ends.
func Stream(t testing.TB, url string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		nc, err := nats.Connect(url, nats.Timeout(3*time.Second))
		if err != nil {
			t.Logf("delete stream %s: %v", name, err)
			return
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		js.DeleteStream(ctx, name)
		js.DeleteKeyValue(ctx, name+"_leases")
	})
	return name
}

// Cluster is a JetStream cluster running in the test process.
type Cluster struct {
	Servers []*server.Server
}

// URLs is the comma-separated client URLs of the running servers.
func (c *Cluster) URLs() string {
	s := ""
	for _, srv := range c.Servers {
		if srv == nil || !srv.Running() {
			continue
		}
		if s != "" {
			s += ","
		}
		s += srv.ClientURL()
	}
	return s
}

// StartCluster starts n JetStream servers clustered together and waits
// until they have elected a meta leader. They shut down when the test ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = freePort(t)
	}
	var routes []*url.URL
	for _, p := range ports {
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(p))})
	}
	c := &Cluster{}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "shopmuse-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:     routes,
		}
		srv, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go srv.Start()
		if !srv.ReadyForConnections(10 * time.Second) {
			t.Fatalf("NATS server %d did not start", i)
		}
		c.Servers = append(c.Servers, srv)
	}
	t.Cleanup(func() {
		for _, s := range c.Servers {
			s.Shutdown()
			s.WaitForShutdown()
		}
	})
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("JetStream cluster not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return c
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Server is one JetStream server in the test process that can be stopped
// and started again on the same port and storage.
type Server struct {
	t    testing.TB
	opts server.Options
	srv  *server.Server
}

// StartServer starts a single JetStream server in the test process.
func StartServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, opts: server.Options{Host: "127.0.0.1", Port: freePort(t), JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true}}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's client URL (the same across restarts).
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.opts.Port) }

// Start starts the server (again).
func (s *Server) Start() {
	s.t.Helper()
	o := s.opts
	srv, err := server.NewServer(&o)
	if err != nil {
		s.t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("NATS server did not start")
	}
	s.srv = srv
}

// Stop shuts the server down.
func (s *Server) Stop() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}
