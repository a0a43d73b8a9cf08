package main

import (
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/app"
)

// SHOPMUSE_UNANSWERED_TTL: 90 days unless set; a bad or out-of-range value
// stops the start naming it.
func TestUnansweredTTLSetting(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" })
	if err != nil || cfg.App.UnansweredTTL != app.DefaultUnansweredTTL || app.DefaultUnansweredTTL != 90*24*time.Hour {
		t.Fatalf("default: %v %v", cfg.App.UnansweredTTL, err)
	}
	env := map[string]string{"SHOPMUSE_UNANSWERED_TTL": "720h"}
	if cfg, err = loadConfig(func(k string) string { return env[k] }); err != nil || cfg.App.UnansweredTTL != 30*24*time.Hour {
		t.Fatalf("720h: %v %v", cfg.App.UnansweredTTL, err)
	}
	for _, v := range []string{"90", "soon", "-1h", "30m", "100000h"} {
		env := map[string]string{"SHOPMUSE_UNANSWERED_TTL": v}
		if _, err := loadConfig(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "SHOPMUSE_UNANSWERED_TTL") {
			t.Errorf("%q: %v, want an error naming SHOPMUSE_UNANSWERED_TTL", v, err)
		}
	}
}
