package bus

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/internal/natstest"
)

// A renewal the release cut short can still be written by the server (its
// answer lost to the cancelled context): the key then has a revision the
// holder never saw. Release must free the lease all the same, not leave
// it held until the TTL ends (an explicit trainModels that returned left
// the trainer lease with its replica for a TTL).
func TestReleaseFreesALeaseWhoseLastRenewalLandedUnseen(t *testing.T) {
	url := natstest.URL(t)
	ctx := context.Background()
	b, err := Connect(ctx, Config{URLs: url, Stream: natstest.Stream(t, url), Replica: "a",
		LeaseTTL: 3 * time.Second, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	_, release, ok, err := b.TryLease(ctx, "late")
	if err != nil || !ok {
		t.Fatalf("take: ok=%v err=%v", ok, err)
	}
	e, err := b.kv.Get(ctx, "late")
	if err != nil {
		t.Fatal(err)
	}
	// The renewal that landed unseen: same value, a newer revision.
	if _, err := b.kv.Update(ctx, "late", e.Value(), e.Revision()); err != nil {
		t.Fatal(err)
	}
	release()
	if h, err := b.Holder(ctx, "late"); err != nil || h != "" {
		t.Fatalf("after release the lease is held by %q (%v), want free", h, err)
	}
	// Another taking's value is not deleted by a stale release.
	_, release2, ok, err := b.TryLease(ctx, "late")
	if err != nil || !ok {
		t.Fatalf("take again: ok=%v err=%v", ok, err)
	}
	release()
	if h, _ := b.Holder(ctx, "late"); h != "a" {
		t.Fatalf("a second call of the first release freed the second taking (holder %q)", h)
	}
	release2()
}
