package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/store/postgres"
)

// StoreBadger is Config.Store's default: Badger under Data.
const StoreBadger = "badger"

// ParseStore checks a Config.Store value: "badger" (or empty), or a
// postgres:// URL. The error never repeats a password.
func ParseStore(s string) error {
	switch {
	case s == "" || s == StoreBadger:
		return nil
	case isPostgresURL(s):
		return postgres.ParseURL(s)
	}
	return fmt.Errorf("want %s or postgres://user:pass@host:5432/db, got %q", StoreBadger, redactURL(s))
}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// redactURL hides what sits between a scheme and an @ (credentials).
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.LastIndex(s, "@"); j > i {
			return s[:i+3] + "…" + s[j:]
		}
	}
	return s
}

// sharedStore reports whether the store is shared by replicas (PostgreSQL):
// then the model snapshot lives in the store, where every replica finds it,
// instead of a file under Data.
func (c Config) sharedStore() bool { return isPostgresURL(c.Store) }

// OpenStore opens the configured backend: for App.Open, and for the
// sub-commands that read the store without the engines.
func OpenStore(ctx context.Context, cfg Config) (store.Store, error) {
	if err := ParseStore(cfg.Store); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if cfg.sharedStore() {
		return postgres.Open(ctx, cfg.Store, postgres.Options{Now: cfg.Now, Logger: cfg.Logger})
	}
	return store.Open(cfg.StoreDir(), store.Options{Logger: cfg.Logger, Now: cfg.Now})
}
