package main

import (
	"strings"
	"testing"
)

// Bus settings that would fail later, or quietly misbehave, are refused at
// start with an error naming the variable.
func TestBusSettingsAreCheckedAtStart(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SHOPMUSE_BUS": "nats://a b:4222"}, "SHOPMUSE_BUS"},
		{map[string]string{"SHOPMUSE_BUS": "nats://"}, "SHOPMUSE_BUS"},
		{map[string]string{"SHOPMUSE_BUS": "nats://:4222"}, "SHOPMUSE_BUS"},
		{map[string]string{"SHOPMUSE_BUS": "nats://a:4222", "SHOPMUSE_BUS_STREAM": "a.b"}, "SHOPMUSE_BUS_STREAM"},
		{map[string]string{"SHOPMUSE_BUS": "nats://a:4222", "SHOPMUSE_BUS_STREAM": "a b"}, "SHOPMUSE_BUS_STREAM"},
		{map[string]string{"SHOPMUSE_BUS": "nats://a:4222", "SHOPMUSE_LEASE_TTL": "100000h"}, "SHOPMUSE_LEASE_TTL"},
		{map[string]string{"SHOPMUSE_BUS": "nats://a:4222", "SHOPMUSE_BUS_REPLICAS": "0"}, "SHOPMUSE_BUS_REPLICAS"},
		{map[string]string{"SHOPMUSE_BUS": "nats://a:4222", "SHOPMUSE_BUS_REPLICAS": "100"}, "SHOPMUSE_BUS_REPLICAS"},
		{map[string]string{"SHOPMUSE_BUS": "nats://a:4222", "SHOPMUSE_LEASE_TTL": "0"}, "SHOPMUSE_LEASE_TTL"},
		{map[string]string{"SHOPMUSE_REPLICA": "a\nlevel=ERROR msg=forged"}, "SHOPMUSE_REPLICA"},
		{map[string]string{"SHOPMUSE_REPLICA": strings.Repeat("r", 200)}, "SHOPMUSE_REPLICA"},
	} {
		_, err := loadConfig(func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
	ok := map[string]string{"SHOPMUSE_BUS": "tls://u:p@nats-0.nats:4222, nats://nats-1.nats:4222", "SHOPMUSE_BUS_STREAM": "shop_2-a",
		"SHOPMUSE_LEASE_TTL": "30s", "SHOPMUSE_REPLICA": "shopmuse-7d9f-x2.pod"}
	if _, err := loadConfig(func(k string) string { return ok[k] }); err != nil {
		t.Fatal(err)
	}
}
