package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/store/postgres"
)

// A password in SHOPMUSE_STORE or credentials in SHOPMUSE_BUS never appear
// in the errors that reach the log at start, whatever else is wrong.
func TestConfigErrorsNeverRepeatCredentials(t *testing.T) {
	const secret = "s3cr3tpw"
	for _, env := range []map[string]string{
		{"SHOPMUSE_BUS": "http://user:" + secret + "@nats:4222"},
		{"SHOPMUSE_BUS": "nats://a:4222,user:" + secret + "@nats:4222"},
		{"SHOPMUSE_BUS": "nats://" + secret + "@nats:4222 ,ftp://tok" + secret + "@x"},
		{"SHOPMUSE_STORE": "postgres://user:" + secret + "@host:port/db"},
		{"SHOPMUSE_STORE": "postgres://user:p@" + secret + "@host:port/db"},
		{"SHOPMUSE_STORE": "postgres://user:" + secret + "@ho st:5432/db"},
		{"SHOPMUSE_STORE": "mysql://user:" + secret + "@host/db"},
		{"SHOPMUSE_STORE": "mysql://user:p@" + secret + "@host/db"},
	} {
		_, err := loadConfig(func(k string) string { return env[k] })
		if err == nil {
			t.Errorf("%v accepted", env)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%v: the error repeats the secret: %v", env, err)
		}
	}
	// Connecting: neither a NATS nor a PostgreSQL that does not answer makes
	// the error quote the password.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := bus.Connect(ctx, bus.Config{URLs: "nats://user:" + secret + "@127.0.0.1:1", Log: slog.New(slog.DiscardHandler)})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("bus.Connect to a closed port: %v", err)
	}
	_, err = postgres.Open(ctx, "postgres://user:"+secret+"@127.0.0.1:1/db?connect_timeout=2", postgres.Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("postgres.Open on a closed port: %v", err)
	}
}
