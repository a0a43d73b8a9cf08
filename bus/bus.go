// Package bus carries the store's committed changes between shopmuse
// replicas over NATS JetStream, and grants leases so that work meant to run
// once (training, the outbox sweep, a campaign) runs on one replica at a
// time.
//
// The store writes every change to an outbox in the transaction of the
// write itself. A Relay publishes outbox rows to one stream, each with a
// message ID derived from its outbox position, so a row published twice
// (a crash between the publish and MarkPublished, two replicas relaying at
// once) is stored once; only then does it mark them published. A failed
// publish loses nothing: the row stays pending and is published by the next
// relay or the lease-holding sweep.
//
// Every replica reads the stream with its own ordered consumer (Consume)
// and applies each change to its in-memory state; applying must be
// idempotent, because a replica also receives its own writes and a change
// may arrive twice. Leases are entries of a JetStream key-value bucket
// whose TTL frees them when their holder dies.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Change is one committed outbox row: what the store changed, as the store
// describes it (store.Change has the same fields).
type Change struct {
	Seq     int64 // outbox position, increasing
	Kind    string
	Payload []byte // JSON, per Kind
	At      time.Time
}

// Outbox is the store's side of the relay.
type Outbox interface {
	// PendingChanges returns unpublished changes after the given position,
	// oldest first.
	PendingChanges(ctx context.Context, after int64, limit int) ([]Change, error)
	// MarkPublished marks every change up to upTo published.
	MarkPublished(ctx context.Context, upTo int64) error
}

// Config names the NATS servers and what shopmuse keeps in them.
type Config struct {
	// URLs is one NATS URL or a comma-separated list (a cluster).
	URLs string
	// Stream names the JetStream stream (default "shopmuse"); its subjects
	// are <Stream>.<kind>, and the lease bucket is <Stream>_leases.
	Stream string
	// Replicas is the stream's and the bucket's replication factor in a
	// NATS cluster (default 1).
	Replicas int
	// Retention is how long the stream keeps changes (default 24 h). A
	// replica restarts from the store, so this only has to cover a
	// consumer's outage, not the whole history.
	Retention time.Duration
	// LeaseTTL frees a lease whose holder stopped renewing it (default 10 s).
	LeaseTTL time.Duration
	// Replica names this process in leases and logs.
	Replica string
	Log     *slog.Logger
}

// Bus is an open connection to the stream and the lease bucket.
type Bus struct {
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	kv     jetstream.KeyValue
	log    *slog.Logger
}

// maxPublishBytes bounds one message's payload below NATS's default 1 MiB
// max_payload, leaving room for headers.
const maxPublishBytes = 512 << 10

var streamName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Connect connects to NATS and creates (or updates) the stream and the lease
// bucket. The connection reconnects on its own for the process's life.
func Connect(ctx context.Context, cfg Config) (*Bus, error) {
	if cfg.Stream == "" {
		cfg.Stream = "shopmuse"
	}
	if !streamName.MatchString(cfg.Stream) {
		return nil, fmt.Errorf("bus: stream name %q: letters, digits, '-' and '_' only", cfg.Stream)
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 24 * time.Hour
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	var urls []string
	for u := range strings.SplitSeq(cfg.URLs, ",") {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		return nil, errors.New("bus: no NATS URL")
	}
	log := cfg.Log.With("bus", cfg.Stream)
	nc, err := nats.Connect(strings.Join(urls, ","),
		nats.Name("shopmuse "+cfg.Replica),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		// No reconnect buffer: while disconnected a publish fails at once
		// and its outbox row stays pending. Buffered, it would be sent on
		// reconnection whatever happened meanwhile, after the relay gave
		// it up: an erasure could not keep it off the stream.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", "url", c.ConnectedUrlRedacted()) }),
	)
	if err != nil {
		return nil, fmt.Errorf("bus: connect to %s: %w", RedactURLs(strings.Join(urls, ",")), err)
	}
	b := &Bus{cfg: cfg, nc: nc, log: log}
	if err := b.setup(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bus) setup(ctx context.Context) error {
	var err error
	if b.js, err = jetstream.New(b.nc, jetstream.WithPublishAsyncTimeout(publishTimeout)); err != nil {
		return fmt.Errorf("bus: %w", err)
	}
	b.stream, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        b.cfg.Stream,
		Description: "shopmuse: committed store changes, for the replicas' in-memory state",
		Subjects:    []string{b.cfg.Stream + ".>"},
		Storage:     jetstream.FileStorage,
		Replicas:    b.cfg.Replicas,
		MaxAge:      b.cfg.Retention,
		// Re-publishing an outbox row within this window is stored once;
		// a later one is applied twice, which apply tolerates.
		Duplicates: 10 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("bus: stream %s: %w", b.cfg.Stream, err)
	}
	// Every replica must agree on the TTL: one renewing every third of 30 s
	// while the bucket (updated by another's start) expires keys after 5 s
	// would lose its lease without knowing, and two would hold it.
	bucket := b.cfg.Stream + "_leases"
	if kv, err := b.js.KeyValue(ctx, bucket); err == nil {
		st, err := kv.Status(ctx)
		if err != nil {
			return fmt.Errorf("bus: lease bucket: %w", err)
		}
		if st.TTL() != b.cfg.LeaseTTL {
			return fmt.Errorf("bus: the lease bucket %s expires leases after %v but SHOPMUSE_LEASE_TTL is %v here: "+
				"every replica must use the same (to change it, stop them all and delete the bucket: nats kv rm %s)",
				bucket, st.TTL(), b.cfg.LeaseTTL, bucket)
		}
	} else if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return fmt.Errorf("bus: lease bucket: %w", err)
	}
	b.kv, err = b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      b.cfg.Stream + "_leases",
		Description: "shopmuse: leases for work that runs on one replica",
		TTL:         b.cfg.LeaseTTL,
		History:     1,
		Replicas:    b.cfg.Replicas,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("bus: lease bucket: %w", err)
	}
	return nil
}

// RedactURLs hides the credentials (user, password or token) of each URL in
// a comma-separated list: what comes before the last "@" of a URL, after
// its scheme. For logs and errors.
func RedactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		at := strings.LastIndex(u, "@")
		if at < 0 {
			continue
		}
		start := 0
		if s := strings.Index(u, "://"); s >= 0 && s < at {
			start = s + 3
		}
		parts[i] = u[:start] + "…" + u[at:]
	}
	return strings.Join(parts, ",")
}

// LeaseTTL is how long a lease outlives its holder's last renewal.
func (b *Bus) LeaseTTL() time.Duration { return b.cfg.LeaseTTL }

// Replica is the name this process holds leases under.
func (b *Bus) Replica() string { return b.cfg.Replica }

// LastSeq is the stream's last sequence: a replica about to replay the
// store reads it first and consumes from the next one, so nothing committed
// after its replay is missed.
func (b *Bus) LastSeq(ctx context.Context) (uint64, error) {
	info, err := b.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("bus: stream info: %w", err)
	}
	return info.State.LastSeq, nil
}

// Close drains nothing (a relay's rows stay in the outbox) and closes the
// connection.
func (b *Bus) Close() { b.nc.Close() }

// Delete removes the stream and the lease bucket: for tests.
func (b *Bus) Delete(ctx context.Context) error {
	return errors.Join(b.js.DeleteStream(ctx, b.cfg.Stream), b.js.DeleteKeyValue(ctx, b.cfg.Stream+"_leases"))
}
