package bus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync/atomic"
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

// renewHook, when set (tests), runs before each renewal.
var renewHook func()

// errLeaseLapsed is a held context's error once its last renewal is older
// than the give-up time, whether or not the renewal loop has run since.
var errLeaseLapsed = errors.New("bus: lease lapsed: not renewed in time")

// heldCtx is a lease's context. Err also reads the clock: a process
// stopped past the TTL (SIGSTOP, a long pause) resumes with its renewal
// loop and its work both runnable, and the work, checking Err before
// once-only steps, must not win that race. A timer cancels Done as well.
type heldCtx struct {
	context.Context
	lastOK atomic.Int64 // monotonic nanoseconds since start of the last renewal that succeeded
	start  time.Time
	giveUp time.Duration
}

func (h *heldCtx) Err() error {
	if err := h.Context.Err(); err != nil {
		return err
	}
	if time.Since(h.start)-time.Duration(h.lastOK.Load()) >= h.giveUp {
		return errLeaseLapsed
	}
	return nil
}

func (h *heldCtx) renewed(at time.Time) { h.lastOK.Store(int64(at.Sub(h.start))) }

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
	inner, cancelHeld := context.WithCancel(ctx)
	h := &heldCtx{Context: inner, start: time.Now(), giveUp: b.cfg.LeaseTTL * 2 / 3}
	lapse := time.AfterFunc(h.giveUp, cancelHeld)
	stopped := make(chan struct{})
	var last uint64
	go func() {
		defer close(stopped)
		defer lapse.Stop()
		last = b.renew(h, cancelHeld, lapse, name, val, rev)
	}()
	held = h
	release = func() {
		cancelHeld()
		<-stopped
		if last == 0 {
			return // lost: nothing of ours to delete
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err := b.kv.Delete(dctx, name, jetstream.LastRevision(last))
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			// A renewal the release cut short may have been written after
			// all: the key has a newer revision but still holds this
			// taking's value (replica and time taken), so it is ours.
			if e, gerr := b.kv.Get(dctx, name); gerr == nil && bytes.Equal(e.Value(), val) {
				err = b.kv.Delete(dctx, name, jetstream.LastRevision(e.Revision()))
			}
		}
		if err != nil {
			// It expires with the TTL.
			b.log.Debug("release lease", "lease", name, "err", err)
		}
	}
	return held, release, true, nil
}

// renew keeps the lease until held ends (it returns the last revision
// written) or the lease is lost (it cancels held and returns 0).
func (b *Bus) renew(held *heldCtx, cancel context.CancelFunc, lapse *time.Timer, name string, val []byte, rev uint64) uint64 {
	every := b.cfg.LeaseTTL / 3
	giveUp := held.giveUp
	lastOK := time.Now()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-held.Done():
			if time.Since(lastOK) >= giveUp {
				return 0 // lapsed (the timer): nothing of ours to delete
			}
			return rev
		case <-t.C:
		}
		if renewHook != nil {
			renewHook()
		}
		if held.Err() != nil {
			// Lapsed while this loop was not running: the key may be
			// another's by now.
			b.log.Warn("lease lapsed: not renewed in time", "lease", name)
			cancel()
			if errors.Is(held.Err(), errLeaseLapsed) {
				return 0
			}
			return rev
		}
		// Short enough that a hung attempt still leaves time to give the
		// lease up before it can expire.
		sent := time.Now()
		uctx, ucancel := context.WithTimeout(held.Context, every/2)
		next, err := b.kv.Update(uctx, name, val, rev)
		ucancel()
		switch {
		case err == nil:
			// The TTL runs from the server's write, after sent: counting
			// from sent keeps the local view on the safe side.
			rev, lastOK = next, sent
			held.renewed(sent)
			lapse.Reset(giveUp - time.Since(sent))
		case held.Context.Err() != nil:
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
