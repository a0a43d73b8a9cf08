package postgres

import (
	"context"
	"sort"

	"github.com/jackc/pgx/v5"
)

// counts gathers deltas to add to a two-part-keyed counter table.
type counts struct {
	keys map[[2]string]int64
}

func (c *counts) add(a, b string, d int64) {
	if c.keys == nil {
		c.keys = map[[2]string]int64{}
	}
	c.keys[[2]string{a, b}] += d
}

// counterTable is the SQL of one counter table: upsert adds $3 to the rows
// keyed ($1, $2), prune deletes those that fell to zero or less (a counter
// at zero is absent, as in the Badger backend).
type counterTable struct {
	upsert, prune string
	bytes         bool // keys are bytea: passed as [][]byte
}

var (
	productCounts = counterTable{
		upsert: `INSERT INTO product_counts AS c (product_id, kind, n)
			SELECT a, b::smallint, d FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(a, b, d)
			ON CONFLICT (product_id, kind) DO UPDATE SET n = c.n + EXCLUDED.n`,
		prune: `DELETE FROM product_counts c USING unnest($1::text[], $2::text[]) AS u(a, b)
			WHERE c.product_id = u.a AND c.kind = u.b::smallint AND c.n <= 0`,
	}
	variantCounts = counterTable{
		upsert: `INSERT INTO variant_counts AS c (variant_id, field, n)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
			ON CONFLICT (variant_id, field) DO UPDATE SET n = c.n + EXCLUDED.n`,
		prune: `DELETE FROM variant_counts c USING unnest($1::text[], $2::text[]) AS u(a, b)
			WHERE c.variant_id = u.a AND c.field = u.b AND c.n <= 0`,
	}
	genericCounters = counterTable{
		upsert: `INSERT INTO counters AS c (namespace, key, n)
			SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bigint[])
			ON CONFLICT (namespace, key) DO UPDATE SET n = c.n + EXCLUDED.n`,
		prune: `DELETE FROM counters c USING unnest($1::bytea[], $2::bytea[]) AS u(a, b)
			WHERE c.namespace = u.a AND c.key = u.b AND c.n <= 0`,
		bytes: true,
	}
)

// apply adds the deltas in key order: every writer locks counter rows in
// the same order, so two batches never deadlock on them.
func (c *counts) apply(ctx context.Context, tx pgx.Tx, t counterTable) error {
	var b pgx.Batch
	c.queue(&b, t)
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &b).Close()
}

// queue adds apply's statements to a batch, to go in one round trip with
// others.
func (c *counts) queue(b *pgx.Batch, t counterTable) {
	if len(c.keys) == 0 {
		return
	}
	ks := make([][2]string, 0, len(c.keys))
	for k := range c.keys {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i][0] != ks[j][0] {
			return ks[i][0] < ks[j][0]
		}
		return ks[i][1] < ks[j][1]
	})
	as, bs, ds := make([]string, len(ks)), make([]string, len(ks)), make([]int64, len(ks))
	for i, k := range ks {
		as[i], bs[i], ds[i] = k[0], k[1], c.keys[k]
	}
	var x, y any = as, bs
	if t.bytes {
		x, y = toBytes(as), toBytes(bs)
	}
	b.Queue(t.upsert, x, y, ds)
	b.Queue(t.prune, x, y)
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func sortStrings(ss []string) { sort.Strings(ss) }
