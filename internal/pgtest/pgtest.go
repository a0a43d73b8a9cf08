// Package pgtest gives each test its own PostgreSQL database on the server
// SHOPMUSE_TEST_PG names, and drops it when the test ends. Without the
// variable the test skips, saying what to start; with it set but the server
// unreachable, the test fails: CI sets it, so a broken server is never a
// silent skip.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the variable naming the test server.
const Env = "SHOPMUSE_TEST_PG"

// Example is what to set Env to on this project's machines.
const Example = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns the server's URL, skipping the test when Env is unset.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		t.Skipf("set %s=%s to run; start PostgreSQL 15 (pg_ctlcluster --skip-systemctl-redirect 15 main start)", Env, Example)
	}
	return u
}

// NewDatabase creates an empty database shopmuse_test_<random> on the
// server and returns its URL; the database is dropped when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("%s=%s is set but unreachable: %v", Env, server, err)
	}
	defer conn.Close(context.Background())
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "shopmuse_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		// FORCE: a pool the test forgot to close must not keep it alive.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	u.Path = "/" + name
	return u.String()
}
