// Package postgres is the PostgreSQL backend of store.Store, for several
// replicas sharing one database. It behaves as the Badger backend does (the
// conformance suite in store/storetest holds both to it) and adds the
// outbox: every write records a store.Change in its own transaction, which
// the bus publishes to the other replicas.
//
// Transactions run at READ COMMITTED. Where Badger would detect a conflict,
// rows are locked instead (FOR UPDATE on the products and users a batch
// replaces, FOR SHARE on the users a batch of interactions names, so an
// erasure cannot miss an event committed beside it); serialization failures,
// deadlocks and lost insert races are retried.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopmuse/shopmuse/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configure Open.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives migration notes; nil is slog.Default.
	Logger *slog.Logger
	// MaxConns bounds the connection pool (default pgx's: max(4, CPUs)).
	MaxConns int32
}

// Store is the PostgreSQL store. It is safe for concurrent use, within one
// process and across replicas sharing the database.
type Store struct {
	pool     *pgxpool.Pool
	now      func() time.Time
	log      *slog.Logger
	lookups  atomic.Int64
	products *store.ProductCache
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Outbox = (*Store)(nil)
)

// Open connects to the database at url (postgres://user:pass@host:5432/db)
// and applies the migrations it lacks.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, fmt.Errorf("postgres store: bad URL (want postgres://user:pass@host:5432/db): %v", redactErr(err))
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	s := &Store{pool: pool, now: o.Now, log: o.Logger, products: store.NewProductCache(50_000)}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: connect to %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// redactErr hides the credentials of a URL quoted in err: what lies between
// "://" and the last "@" before the URL ends (a password may hold an "@"
// that the URL parser then trips over).
func redactErr(err error) string {
	msg := err.Error()
	i := strings.Index(msg, "://")
	if i < 0 {
		return msg
	}
	end := len(msg)
	if k := strings.IndexAny(msg[i:], " `\"'"); k >= 0 {
		end = i + k
	}
	if j := strings.LastIndex(msg[i:end], "@"); j >= 0 {
		return msg[:i+3] + "…" + msg[i+j:]
	}
	return msg
}

// migrationLock names the advisory lock held while migrating, so that two
// replicas starting at once apply each migration once.
const migrationLock = 0x73686f706d757365 // "shopmuse"

// migrate applies the embedded migrations not yet recorded in
// schema_migrations, each in its own transaction, under an advisory lock.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLock)); err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	defer func() {
		// A fresh context: the lock must go even when ctx ended.
		if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", int64(migrationLock)); err != nil {
			conn.Conn().Close(context.Background()) // closing the session releases it
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	latest := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		applied[v] = true
		latest = max(latest, v)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	known := 0
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: migration %s has no version number", name)
		}
		known = max(known, v)
		if applied[v] {
			continue
		}
		sql, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", v, name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: apply %s: %w", name, err)
		}
		s.log.Info("postgres store: migration applied", "migration", name)
	}
	if latest > known {
		return fmt.Errorf("postgres store: schema version %d is newer than this build's %d", latest, known)
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// Lookups is the number of Products and Users calls so far.
func (s *Store) Lookups() int64 { return s.lookups.Load() }

// Pool is the connection pool, for what shares the database (leases).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// tx runs fn in a transaction, retrying it when PostgreSQL reports a
// serialization failure, a deadlock or a unique violation (a concurrent
// insert of the same new row), a bounded number of times.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 16; attempt++ {
		if err = ctx.Err(); err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, s.pool, fn)
		if !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * time.Millisecond)
	}
	return fmt.Errorf("gave up after repeated conflicts: %w", err)
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", "23505":
		return true
	}
	return false
}

// IsEmpty reports whether the store holds no products, users or events.
func (s *Store) IsEmpty() (bool, error) {
	var empty bool
	err := s.pool.QueryRow(context.Background(), `SELECT NOT EXISTS (SELECT 1 FROM products)
		AND NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM events)`).Scan(&empty)
	if err != nil {
		return false, fmt.Errorf("is empty: %w", err)
	}
	return empty, nil
}

// CollectGarbage deletes expired cache blobs and their links; PostgreSQL's
// autovacuum returns the space.
func (s *Store) CollectGarbage(ctx context.Context) error {
	now := time.Now()
	if _, err := s.pool.Exec(ctx, "DELETE FROM blobs WHERE expires_at <= $1", now); err != nil {
		return fmt.Errorf("delete expired blobs: %w", err)
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM blob_subjects WHERE expires_at <= $1", now); err != nil {
		return fmt.Errorf("delete expired blob links: %w", err)
	}
	return nil
}

// emit records a change in the outbox, inside the write's transaction. It
// must be the write's last statement: outbox_head stays locked until the
// commit, which is what keeps changes visible in Seq order.
func (s *Store) emit(ctx context.Context, tx pgx.Tx, kind string, payload any) error {
	var b pgx.Batch
	if err := s.queueEmit(&b, kind, payload); err != nil {
		return err
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// queueEmit adds emit's statement to a batch; it must be the batch's last.
func (s *Store) queueEmit(b *pgx.Batch, kind string, payload any) error {
	p, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s change: %w", kind, err)
	}
	b.Queue(`WITH h AS (UPDATE outbox_head SET seq = seq + 1 WHERE id = 1 RETURNING seq)
		INSERT INTO outbox (seq, kind, payload, at) SELECT h.seq, $1, $2, $3 FROM h`,
		kind, p, s.now().UTC())
	return nil
}

// PendingChanges returns up to limit changes with Seq > after, in Seq order.
func (s *Store) PendingChanges(ctx context.Context, after int64, limit int) ([]store.Change, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT seq, kind, payload, at FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2", after, limit)
	if err != nil {
		return nil, fmt.Errorf("pending changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Change, error) {
		var c store.Change
		err := r.Scan(&c.Seq, &c.Kind, &c.Payload, &c.At)
		c.At = c.At.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("pending changes: %w", err)
	}
	return out, nil
}

// PendingCount is about how many changes wait in the outbox (the span of
// their positions, read from the primary key's ends: constant time however
// long NATS has been away). For the shopmuse_outbox_pending gauge.
func (s *Store) PendingCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT coalesce(max(seq) - min(seq) + 1, 0) FROM outbox").Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox size: %w", err)
	}
	return n, nil
}

// MarkPublished deletes the changes with Seq <= upTo: they were published.
func (s *Store) MarkPublished(ctx context.Context, upTo int64) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM outbox WHERE seq <= $1", upTo); err != nil {
		return fmt.Errorf("mark published: %w", err)
	}
	return nil
}

// ParseURL checks a connection URL without connecting.
func ParseURL(url string) error {
	if _, err := pgxpool.ParseConfig(url); err != nil {
		return fmt.Errorf("bad postgres URL (want postgres://user:pass@host:5432/db): %v", redactErr(err))
	}
	return nil
}
