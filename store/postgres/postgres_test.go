package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/internal/pgtest"
	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/store/postgres"
	"github.com/shopmuse/shopmuse/store/storetest"
)

var ctx = context.Background()

func open(t testing.TB, now func() time.Time) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(ctx, pgtest.NewDatabase(t), postgres.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPostgresConformance(t *testing.T) {
	pgtest.ServerURL(t)
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store { return open(t, now) })
}
