package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A lease is a key of the lease bucket holding its holder's name. It is
// taken with a create that fails when the key exists, renewed every third
// of the TTL with an update conditional on the revision the holder last
// wrote, and freed by a conditional delete, or by the bucket's TTL when its
// holder stops renewing it (a crash, a partition). A holder that cannot
// renew for two thirds of the TTL gives the lease up before it can expire,
// so two holders never overlap by the clock of either.

var leaseName = regexp.MustCompile(`^[A-Za-z0-9_=.-]{1,200}$`)

type leaseValue struct {
	Replica string    `json:"replica"`
	Since   time.Time `json:"since"`
}

// TryLease takes the named lease if it is free. While it is held, the
// returned context (derived from ctx) stays live and the lease is renewed;
// it is cancelled when the lease is lost or released. release frees the
// lease and waits for the renewal to stop. ok is false when another replica
// holds it.
func (b *Bus) TryLease(ctx context.Context, name string) (held context.Context, release func(), ok bool, err error) {
	if !leaseName.MatchString(name) {
		return nil, nil, false, fmt.Errorf("bus: lease name %q", name)
	}
	val, _ := json.Marshal(leaseValue{Replica: b.cfg.Replica, Since: time.Now().UTC()})
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	rev, err := b.kv.Create(cctx, name, val)
	cancel()
	if errors.Is(err, jetstream.ErrKeyExists) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("bus: take lease %s: %w", name, err)
	}
	held, cancelHeld := context.WithCancel(ctx)
	stopped := make(chan struct{})
	var last uint64
	go func() {
		defer close(stopped)
		last = b.renew(held, cancelHeld, name, val, rev)
	}()
	release = func() {
		cancelHeld()
		<-stopped
		if last == 0 {
			return // lost: nothing of ours to delete
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := b.kv.Delete(dctx, name, jetstream.LastRevision(last)); err != nil {
			// It expires with the TTL.
			b.log.Debug("release lease", "lease", name, "err", err)
		}
	}
	return held, release, true, nil
}

// renew keeps the lease until held ends (it returns the last revision
// written) or the lease is lost (it cancels held and returns 0).
func (b *Bus) renew(held context.Context, cancel context.CancelFunc, name string, val []byte, rev uint64) uint64 {
	every := b.cfg.LeaseTTL / 3
	giveUp := b.cfg.LeaseTTL * 2 / 3
	lastOK := time.Now()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-held.Done():
			return rev
		case <-t.C:
		}
		uctx, ucancel := context.WithTimeout(held, every)
		next, err := b.kv.Update(uctx, name, val, rev)
		ucancel()
		switch {
		case err == nil:
			rev, lastOK = next, time.Now()
		case held.Err() != nil:
			return rev
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyNotFound):
			b.log.Warn("lease lost: another replica holds it", "lease", name)
			cancel()
			return 0
		case time.Since(lastOK) >= giveUp:
			b.log.Warn("lease given up: cannot renew it", "lease", name, "err", err)
			cancel()
			return 0
		default:
			b.log.Debug("renew lease: retrying", "lease", name, "err", err)
		}
	}
}

// Hold runs work under the named lease for as long as ctx lives: it tries
// to take the lease every half TTL; once taken, work runs with a context
// that ends when the lease is lost; when work returns the lease is
// released and, unless ctx ended, sought again. For roles one replica
// plays at a time: the trainer, the outbox sweeper.
func (b *Bus) Hold(ctx context.Context, name string, work func(ctx context.Context)) {
	t := time.NewTicker(b.cfg.LeaseTTL / 2)
	defer t.Stop()
	for {
		held, release, ok, err := b.TryLease(ctx, name)
		if err != nil && ctx.Err() == nil {
			b.log.Warn("lease", "lease", name, "err", err)
		}
		if ok {
			b.log.Info("lease taken", "lease", name, "replica", b.cfg.Replica)
			work(held)
			release()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Holder names the replica holding a lease, "" when it is free.
func (b *Bus) Holder(ctx context.Context, name string) (string, error) {
	e, err := b.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("bus: lease %s: %w", name, err)
	}
	var v leaseValue
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return "", fmt.Errorf("bus: lease %s: %w", name, err)
	}
	return v.Replica, nil
}
