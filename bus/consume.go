package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Handler applies one change to a replica's in-memory state. It must be
// idempotent: a replica receives its own changes too, and a change
// re-published after the stream's duplicate window arrives twice.
type Handler func(ctx context.Context, c Change) error

// Consumer reads the stream from a position and applies each change.
type Consumer struct {
	b     *Bus
	after uint64
	h     Handler

	// target is the stream's last sequence when consuming started: the
	// consumer has caught up once it applied that one.
	target   uint64
	caughtUp atomic.Bool
	applied  atomic.Uint64 // stream sequence of the last change applied
	failed   atomic.Uint64 // changes skipped: undecodable, or the Handler kept failing
	// OnApply, when set, is told each change applied and when it was
	// committed (freshness metrics).
	OnApply func(c Change)
	// OnSkip, when set, is told of each message skipped (metrics).
	OnSkip func()
}

// ErrMalformed marks a Handler's error as the change's own fault (it does
// not decode): retrying cannot help, so it is skipped at once. Wrap it:
// fmt.Errorf("decode …: %w: %w", bus.ErrMalformed, err).
var ErrMalformed = errors.New("malformed change")

// consumerBufferBytes bounds the messages a consumer holds fetched but not
// yet applied.
const consumerBufferBytes = 16 << 20

// applyAttempts is how often a failing Handler is retried before the change
// is skipped (and counted): the stream must not stop behind one change.
const applyAttempts = 3

// NewConsumer returns a consumer that applies changes after stream
// sequence after (0: from the beginning of the stream).
func (b *Bus) NewConsumer(after uint64, h Handler) *Consumer {
	return &Consumer{b: b, after: after, h: h}
}

// CaughtUp reports whether the consumer has applied every change that was
// in the stream when it started.
func (c *Consumer) CaughtUp() bool { return c.caughtUp.Load() }

// Failed counts changes skipped: undecodable messages, and changes whose
// Handler failed (or panicked) applyAttempts times.
func (c *Consumer) Failed() uint64 { return c.failed.Load() }

// Run consumes until ctx ends. An ordered consumer re-creates itself after a
// NATS failure and resumes after the last sequence it delivered; should it
// give up, Run starts a new one after the last change applied.
func (c *Consumer) Run(ctx context.Context) error {
	for {
		err := c.consume(ctx)
		if ctx.Err() != nil {
			return nil
		}
		c.b.log.Warn("bus consumer: restarting", "err", err, "after", c.after)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// consume runs one ordered consumer until ctx ends or it fails.
func (c *Consumer) consume(ctx context.Context) error {
	if applied := c.applied.Load(); applied > c.after {
		c.after = applied
	}
	var cons jetstream.Consumer
	if err := c.start(ctx, &cons); err != nil {
		return err
	}
	// Heartbeats every second: a consumer whose server died is noticed
	// after two missed ones and re-created on another (default: 5 s each).
	// PullMaxBytes bounds what waits in memory under a burst (by default
	// 500 messages of up to NATS's max_payload each).
	it, err := cons.Messages(jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second),
		jetstream.PullMaxBytes(consumerBufferBytes))
	if err != nil {
		return fmt.Errorf("bus: consume: %w", err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		m, err := it.Next()
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return err
		}
		if err != nil {
			c.b.log.Warn("bus consumer", "err", err)
			continue
		}
		c.handle(ctx, m)
	}
}

func (c *Consumer) start(ctx context.Context, cons *jetstream.Consumer) error {
	last, err := c.b.LastSeq(ctx)
	if err != nil {
		return err
	}
	c.target = last
	if last <= c.after {
		c.caughtUp.Store(true)
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if c.after > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, c.after+1
	}
	*cons, err = c.b.js.OrderedConsumer(ctx, c.b.cfg.Stream, cfg)
	if err != nil {
		return fmt.Errorf("bus: ordered consumer: %w", err)
	}
	return nil
}

func (c *Consumer) handle(ctx context.Context, m jetstream.Msg) {
	meta, err := m.Metadata()
	if err != nil {
		c.b.log.Warn("bus consumer: message without metadata", "err", err)
		return
	}
	ch, err := c.b.decode(m)
	if err != nil {
		// Whoever reaches NATS can publish on the stream's subjects: a
		// message the relay did not write is skipped, counted, and logged
		// without its payload.
		c.skipped()
		c.b.log.Error("bus consumer: undecodable change skipped", "err", err, "subject", m.Subject(),
			"stream_seq", meta.Sequence.Stream, "bytes", len(m.Data()))
	} else {
		for attempt := 1; ; attempt++ {
			err := c.apply(ctx, ch)
			if err == nil {
				if c.OnApply != nil {
					c.OnApply(ch)
				}
				break
			}
			if ctx.Err() != nil {
				return
			}
			if attempt == applyAttempts || errors.Is(err, ErrMalformed) {
				c.skipped()
				c.b.log.Error("bus consumer: change not applied", "seq", ch.Seq, "kind", ch.Kind, "err", err)
				break
			}
			time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
		}
	}
	c.applied.Store(meta.Sequence.Stream)
	if !c.caughtUp.Load() && (meta.Sequence.Stream >= c.target || meta.NumPending == 0) {
		c.caughtUp.Store(true)
		c.b.log.Info("bus consumer caught up", "stream_seq", meta.Sequence.Stream)
	}
}

func (c *Consumer) skipped() {
	c.failed.Add(1)
	if c.OnSkip != nil {
		c.OnSkip()
	}
}

// apply runs the Handler, turning a panic into an error: a malformed change
// that trips a bug must cost that change, not the replica.
func (c *Consumer) apply(ctx context.Context, ch Change) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic applying change %d (%s): %v", ch.Seq, ch.Kind, r)
		}
	}()
	return c.h(ctx, ch)
}

// decode turns a stream message back into the change it carries (or a part
// of it).
func (b *Bus) decode(m jetstream.Msg) (Change, error) {
	kind, ok := strings.CutPrefix(m.Subject(), b.cfg.Stream+".")
	if !ok || kind == "" {
		return Change{}, fmt.Errorf("subject %q is not under %s", m.Subject(), b.cfg.Stream)
	}
	h := m.Headers()
	seq, err := strconv.ParseInt(h.Get(headerSeq), 10, 64)
	if err != nil {
		return Change{}, fmt.Errorf("header %s: %w", headerSeq, err)
	}
	at, _ := time.Parse(time.RFC3339Nano, h.Get(headerAt))
	return Change{Seq: seq, Kind: kind, Payload: m.Data(), At: at}, nil
}
