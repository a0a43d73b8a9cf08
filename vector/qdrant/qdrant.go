// Package qdrant implements vector.Index on a Qdrant collection over gRPC,
// the production counterpart of the embedded vector/hnsw index.
//
// Qdrant point IDs must be unsigned integers or UUIDs, while shopmuse IDs are
// the caller's own strings, so each ID is mapped to a UUIDv5 (stable across
// processes and replicas) and the original is kept in the payload field "id".
// Filters are translated to Qdrant payload conditions on fields written at
// upsert time in a form that makes every shop.ProductFilter rule an exact
// keyword, bool or integer-range match; see payloadOf.
package qdrant

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	qc "github.com/qdrant/go-client/qdrant"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
)

// DefaultPort is Qdrant's gRPC port.
const DefaultPort = 6334

// Payload field names. They are part of the stored data: renaming one means
// re-indexing every collection.
const (
	fieldID           = "id"
	fieldCategory     = "category"
	fieldCategoryPath = "category_path" // every whole-segment prefix of category
	fieldBrand        = "brand"         // case-folded, see foldKey
	fieldPrice        = "price"         // minor units (shop.Decimal), integer
	fieldAvailable    = "available"
	fieldTags         = "tags" // case-folded
	fieldLanguage     = "language"
)

// payloadIndexes are created on every collection so that filtered searches
// use Qdrant's filterable HNSW instead of scanning payloads.
var payloadIndexes = []struct {
	field  string
	typ    qc.FieldType
	schema qc.PayloadSchemaType
}{
	{fieldCategory, qc.FieldType_FieldTypeKeyword, qc.PayloadSchemaType_Keyword},
	{fieldCategoryPath, qc.FieldType_FieldTypeKeyword, qc.PayloadSchemaType_Keyword},
	{fieldBrand, qc.FieldType_FieldTypeKeyword, qc.PayloadSchemaType_Keyword},
	{fieldPrice, qc.FieldType_FieldTypeInteger, qc.PayloadSchemaType_Integer},
	{fieldAvailable, qc.FieldType_FieldTypeBool, qc.PayloadSchemaType_Bool},
	{fieldTags, qc.FieldType_FieldTypeKeyword, qc.PayloadSchemaType_Keyword},
	{fieldLanguage, qc.FieldType_FieldTypeKeyword, qc.PayloadSchemaType_Keyword},
}

const (
	// upsertBatch keeps each request well under gRPC's 4 MiB default message
	// limit even for 1536-dimensional embeddings (256×1536×4 B ≈ 1.5 MiB).
	upsertBatch = 256
	deleteBatch = 1024
)

// idNamespace is the UUIDv5 namespace of point IDs. Changing it orphans every
// point already stored, so it is derived from a fixed name, and a test pins
// the IDs it produces.
var idNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/shopmuse/shopmuse/vector/qdrant"))

// Config says where the collection lives.
type Config struct {
	// Addr is host:port of Qdrant's gRPC API, e.g. localhost:6334.
	Addr string
	// APIKey is sent as the api-key header when set (QDRANT_API_KEY).
	APIKey string
	// Collection is created on Open when missing.
	Collection string
	// Dim is the vector size; an existing collection must match it.
	Dim    int
	UseTLS bool
}

// ParseURL reads the Qdrant form of SHOPMUSE_VECTOR: qdrant://host[:port],
// with port defaulting to 6334 and TLS switched on by the scheme qdrants://
// or by ?tls=true. Collection, Dim and APIKey are left for the caller.
func ParseURL(s string) (Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Config{}, fmt.Errorf("qdrant: parse URL %q: %w", s, err)
	}
	var cfg Config
	switch u.Scheme {
	case "qdrant":
	case "qdrants":
		cfg.UseTLS = true
	default:
		return Config{}, fmt.Errorf("qdrant: URL %q: scheme must be qdrant:// or qdrants://", s)
	}
	if u.Hostname() == "" {
		return Config{}, fmt.Errorf("qdrant: URL %q has no host", s)
	}
	if u.User != nil {
		// Keys in URLs end up in logs; the caller reads QDRANT_API_KEY.
		return Config{}, fmt.Errorf("qdrant: URL %q: put the API key in QDRANT_API_KEY, not in the URL", u.Redacted())
	}
	if u.Path != "" && u.Path != "/" {
		return Config{}, fmt.Errorf("qdrant: URL %q: unexpected path %q", s, u.Path)
	}
	port := u.Port()
	if port == "" {
		port = strconv.Itoa(DefaultPort)
	}
	cfg.Addr = net.JoinHostPort(u.Hostname(), port)
	for k, v := range u.Query() {
		switch k {
		case "tls":
			on, err := strconv.ParseBool(v[len(v)-1])
			if err != nil {
				return Config{}, fmt.Errorf("qdrant: URL %q: tls=%q is not a boolean", s, v[len(v)-1])
			}
			cfg.UseTLS = cfg.UseTLS || on
		default:
			return Config{}, fmt.Errorf("qdrant: URL %q: unknown parameter %q", s, k)
		}
	}
	return cfg, nil
}

// Index is a vector.Index backed by one Qdrant collection. Safe for
// concurrent use.
type Index struct {
	client *qc.Client
	coll   string
	dim    int
}

var _ vector.Index = (*Index)(nil)

// Open connects, checks that the server answers, and makes sure the
// collection exists with the configured size, cosine distance and payload
// indexes. An existing collection of another size or distance is an error
// (wrapping vector.ErrDimension for a size mismatch), never silently reused.
func Open(ctx context.Context, cfg Config) (*Index, error) {
	if cfg.Collection == "" {
		return nil, errors.New("qdrant: no collection name")
	}
	if cfg.Dim <= 0 {
		return nil, fmt.Errorf("qdrant: collection %q: dimension must be positive, got %d", cfg.Collection, cfg.Dim)
	}
	ccfg, err := clientConfig(cfg)
	if err != nil {
		return nil, err
	}
	client, err := qc.NewClient(ccfg)
	if err != nil {
		return nil, fmt.Errorf("qdrant: connect to %s: %w", cfg.Addr, err)
	}
	idx := &Index{client: client, coll: cfg.Collection, dim: cfg.Dim}
	if _, err := client.HealthCheck(ctx); err != nil {
		client.Close()
		return nil, fmt.Errorf("qdrant: health check of %s: %w", cfg.Addr, err)
	}
	if err := idx.ensureCollection(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return idx, nil
}

// clientConfig translates Config for the go-client.
func clientConfig(cfg Config) (*qc.Config, error) {
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("qdrant: address %q must be host:port: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("qdrant: address %q: bad port %q", cfg.Addr, portStr)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // the client joins host and port with a bare colon
	}
	return &qc.Config{
		Host:   host,
		Port:   port,
		APIKey: cfg.APIKey,
		UseTLS: cfg.UseTLS,
		// The client's own version probe only logs; Open's health check
		// turns an unreachable server into an error instead.
		SkipCompatibilityCheck: true,
		// Every write is idempotent (upsert and delete by ID), so retrying
		// on Unavailable/ResourceExhausted cannot duplicate anything.
		RetryConfig: &qc.RetryConfig{MaxRetries: 3, BaseBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second},
	}, nil
}

func (x *Index) ensureCollection(ctx context.Context) error {
	exists, err := x.client.CollectionExists(ctx, x.coll)
	if err != nil {
		return fmt.Errorf("qdrant: check collection %q: %w", x.coll, err)
	}
	if !exists {
		err := x.client.CreateCollection(ctx, &qc.CreateCollection{
			CollectionName: x.coll,
			VectorsConfig: qc.NewVectorsConfig(&qc.VectorParams{
				Size:     uint64(x.dim),
				Distance: qc.Distance_Cosine,
			}),
		})
		if err != nil {
			// Another replica may have created it in the meantime; then
			// the checks below decide whether it is usable.
			if again, err2 := x.client.CollectionExists(ctx, x.coll); err2 != nil || !again {
				return fmt.Errorf("qdrant: create collection %q: %w", x.coll, err)
			}
		}
	}
	info, err := x.client.GetCollectionInfo(ctx, x.coll)
	if err != nil {
		return fmt.Errorf("qdrant: get collection %q: %w", x.coll, err)
	}
	vc := info.GetConfig().GetParams().GetVectorsConfig()
	params := vc.GetParams()
	if params == nil {
		return fmt.Errorf("qdrant: collection %q has named or no vectors; shopmuse needs one unnamed vector", x.coll)
	}
	if params.GetSize() != uint64(x.dim) {
		return fmt.Errorf("qdrant: collection %q holds %d-dimensional vectors, configured for %d (use another collection or drop it): %w",
			x.coll, params.GetSize(), x.dim, vector.ErrDimension)
	}
	if params.GetDistance() != qc.Distance_Cosine {
		return fmt.Errorf("qdrant: collection %q uses %s distance, shopmuse needs Cosine", x.coll, params.GetDistance())
	}
	schema := info.GetPayloadSchema()
	for _, pi := range payloadIndexes {
		if have, ok := schema[pi.field]; ok {
			if have.GetDataType() != pi.schema {
				return fmt.Errorf("qdrant: collection %q indexes payload field %q as %s, shopmuse needs %s",
					x.coll, pi.field, have.GetDataType(), pi.schema)
			}
			continue
		}
		_, err := x.client.CreateFieldIndex(ctx, &qc.CreateFieldIndexCollection{
			CollectionName: x.coll,
			Wait:           qc.PtrOf(true),
			FieldName:      pi.field,
			FieldType:      qc.PtrOf(pi.typ),
		})
		if err != nil {
			return fmt.Errorf("qdrant: index payload field %q of %q: %w", pi.field, x.coll, err)
		}
	}
	return nil
}

// Dim implements vector.Index.
func (x *Index) Dim() int { return x.dim }

// Close implements vector.Index.
func (x *Index) Close() error {
	if err := x.client.Close(); err != nil {
		return fmt.Errorf("qdrant: close: %w", err)
	}
	return nil
}

// Upsert implements vector.Index. Every point is validated before anything
// is sent. Large calls go out in batches of 256, each waited for; Qdrant has
// no multi-request transaction, so a network failure midway leaves the
// earlier batches written (upserting again is safe).
func (x *Index) Upsert(ctx context.Context, points []vector.Point) error {
	for i := range points {
		if err := points[i].Validate(x.dim); err != nil {
			return fmt.Errorf("qdrant: upsert into %q: point %d: %w", x.coll, i, err)
		}
	}
	// Keep the last point of each ID so that a batch with repeats means
	// the same as it does for the embedded index, whatever Qdrant does
	// with duplicates inside one request.
	last := make(map[string]int, len(points))
	for i, p := range points {
		last[p.ID] = i
	}
	structs := make([]*qc.PointStruct, 0, len(last))
	for i := range points {
		p := &points[i]
		if last[p.ID] != i {
			continue
		}
		structs = append(structs, &qc.PointStruct{
			Id:      pointID(p.ID),
			Vectors: qc.NewVectorsDense(p.Vector),
			Payload: payloadOf(p.ID, &p.Payload),
		})
	}
	for start := 0; start < len(structs); start += upsertBatch {
		batch := structs[start:min(start+upsertBatch, len(structs))]
		_, err := x.client.Upsert(ctx, &qc.UpsertPoints{
			CollectionName: x.coll,
			Wait:           qc.PtrOf(true),
			Points:         batch,
		})
		if err != nil {
			return fmt.Errorf("qdrant: upsert points %d–%d of %d into %q: %w",
				start, start+len(batch)-1, len(structs), x.coll, err)
		}
	}
	return nil
}

// Delete implements vector.Index; Qdrant ignores unknown IDs.
func (x *Index) Delete(ctx context.Context, ids []string) error {
	for start := 0; start < len(ids); start += deleteBatch {
		batch := ids[start:min(start+deleteBatch, len(ids))]
		pids := make([]*qc.PointId, len(batch))
		for i, id := range batch {
			pids[i] = pointID(id)
		}
		_, err := x.client.Delete(ctx, &qc.DeletePoints{
			CollectionName: x.coll,
			Wait:           qc.PtrOf(true),
			Points:         qc.NewPointsSelector(pids...),
		})
		if err != nil {
			return fmt.Errorf("qdrant: delete %d points from %q: %w", len(batch), x.coll, err)
		}
	}
	return nil
}

// Search implements vector.Index through the Query API.
func (x *Index) Search(ctx context.Context, query []float32, k int, filter *shop.ProductFilter) ([]vector.Hit, error) {
	if len(query) != x.dim {
		return nil, fmt.Errorf("qdrant: search %q: query has %d values, collection has %d: %w",
			x.coll, len(query), x.dim, vector.ErrDimension)
	}
	if k <= 0 {
		// Qdrant would read a zero limit as "use the default of 10".
		return nil, nil
	}
	res, err := x.client.Query(ctx, &qc.QueryPoints{
		CollectionName: x.coll,
		Query:          qc.NewQueryDense(query),
		Filter:         filterOf(filter),
		Limit:          qc.PtrOf(uint64(k)),
		WithPayload:    qc.NewWithPayloadInclude(fieldID),
	})
	if err != nil {
		return nil, fmt.Errorf("qdrant: search %q: %w", x.coll, err)
	}
	hits := make([]vector.Hit, 0, len(res))
	for _, p := range res {
		id, err := idOf(p.GetId(), p.GetPayload())
		if err != nil {
			return nil, fmt.Errorf("qdrant: search %q: %w", x.coll, err)
		}
		hits = append(hits, vector.Hit{ID: id, Score: p.GetScore()})
	}
	return hits, nil
}

// Vector implements vector.Index. Qdrant normalises vectors of cosine
// collections on write, so what comes back is the unit-length direction of
// what was upserted.
func (x *Index) Vector(ctx context.Context, id string) ([]float32, bool, error) {
	res, err := x.client.Get(ctx, &qc.GetPoints{
		CollectionName: x.coll,
		Ids:            []*qc.PointId{pointID(id)},
		WithPayload:    qc.NewWithPayloadInclude(fieldID),
		WithVectors:    qc.NewWithVectors(true),
	})
	if err != nil {
		return nil, false, fmt.Errorf("qdrant: get %q from %q: %w", id, x.coll, err)
	}
	if len(res) == 0 {
		return nil, false, nil
	}
	p := res[0]
	got, err := idOf(p.GetId(), p.GetPayload())
	if err != nil {
		return nil, false, fmt.Errorf("qdrant: get %q from %q: %w", id, x.coll, err)
	}
	if got != id {
		// Two IDs with one UUIDv5: astronomically unlikely, but never
		// hand out another product's vector.
		return nil, false, fmt.Errorf("qdrant: get %q from %q: point %s belongs to ID %q", id, x.coll, p.GetId().GetUuid(), got)
	}
	out := p.GetVectors().GetVector()
	// Servers since 1.13 fill the dense oneof; older ones only the
	// deprecated data field.
	data := out.GetDense().GetData()
	if data == nil {
		//lint:ignore SA1019 servers before 1.13 fill only this deprecated field
		data = out.GetData()
	}
	if len(data) != x.dim {
		return nil, false, fmt.Errorf("qdrant: get %q from %q: got a vector of %d values, want %d", id, x.coll, len(data), x.dim)
	}
	return data, true, nil
}

// Count implements vector.Index with an exact count.
func (x *Index) Count(ctx context.Context) (int, error) {
	n, err := x.client.Count(ctx, &qc.CountPoints{CollectionName: x.coll, Exact: qc.PtrOf(true)})
	if err != nil {
		return 0, fmt.Errorf("qdrant: count %q: %w", x.coll, err)
	}
	return int(n), nil
}

// pointID maps a shopmuse ID to its Qdrant point ID.
func pointID(id string) *qc.PointId {
	return qc.NewIDUUID(uuid.NewSHA1(idNamespace, []byte(id)).String())
}

func idOf(pid *qc.PointId, payload map[string]*qc.Value) (string, error) {
	v, ok := payload[fieldID]
	if !ok || v.GetStringValue() == "" {
		return "", fmt.Errorf("point %s has no %q payload; was it written by shopmuse?", pid.GetUuid(), fieldID)
	}
	return v.GetStringValue(), nil
}

// payloadOf lays out the filterable facts so that every ProductFilter rule
// becomes an exact match on an indexed field: category_path lists each
// whole-segment prefix of the category (家居/杯具 → 家居, 家居/杯具), and brand
// and tags are stored case-folded because Qdrant keyword matches are
// case-sensitive while the filter's are not.
func payloadOf(id string, pl *vector.Payload) map[string]*qc.Value {
	return map[string]*qc.Value{
		fieldID:           qc.NewValueString(id),
		fieldCategory:     qc.NewValueString(pl.Category),
		fieldCategoryPath: stringList(categoryPrefixes(pl.Category)),
		fieldBrand:        qc.NewValueString(foldKey(pl.Brand)),
		fieldPrice:        qc.NewValueInt(int64(pl.Price)),
		fieldAvailable:    qc.NewValueBool(pl.Available),
		fieldTags:         stringList(foldAll(pl.Tags)),
		fieldLanguage:     qc.NewValueString(string(pl.Language)),
	}
}

// filterOf translates a ProductFilter into Qdrant conditions, all of which
// must hold; nil when the filter matches everything.
func filterOf(f *shop.ProductFilter) *qc.Filter {
	if f.IsZero() {
		return nil
	}
	var must []*qc.Condition
	if f.Category != nil {
		// Trimmed as shop.CategoryMatches does; an empty prefix matches all.
		if prefix := strings.Trim(*f.Category, "/"); prefix != "" {
			must = append(must, qc.NewMatchKeyword(fieldCategoryPath, prefix))
		}
	}
	if f.Brand != nil {
		must = append(must, qc.NewMatchKeyword(fieldBrand, foldKey(*f.Brand)))
	}
	if f.MinPrice != nil || f.MaxPrice != nil {
		r := &qc.Range{}
		// Amounts are below 2^53, so float64 carries them exactly.
		if f.MinPrice != nil {
			r.Gte = qc.PtrOf(float64(*f.MinPrice))
		}
		if f.MaxPrice != nil {
			r.Lte = qc.PtrOf(float64(*f.MaxPrice))
		}
		must = append(must, qc.NewRange(fieldPrice, r))
	}
	if f.AvailableOnly != nil && *f.AvailableOnly {
		must = append(must, qc.NewMatchBool(fieldAvailable, true))
	}
	// One condition per tag: a keyword match on an array field holds when
	// any element matches, so all-of needs them ANDed.
	for _, tag := range f.Tags {
		must = append(must, qc.NewMatchKeyword(fieldTags, foldKey(tag)))
	}
	if f.Language != nil {
		must = append(must, qc.NewMatchKeyword(fieldLanguage, string(*f.Language)))
	}
	if len(must) == 0 {
		return nil
	}
	return &qc.Filter{Must: must}
}

// categoryPrefixes lists the category and each of its prefixes that ends
// just before a '/', so that "p is one of them" is exactly
// shop.CategoryMatches(category, p) for any trimmed, non-empty p.
func categoryPrefixes(category string) []string {
	var out []string
	for i := 0; i < len(category); i++ {
		if category[i] == '/' && i > 0 {
			out = append(out, category[:i])
		}
	}
	if category != "" {
		out = append(out, category)
	}
	return out
}

// foldKey maps s to a key that two strings share exactly when
// strings.EqualFold says they are equal: each rune becomes one fixed member
// of its simple-case-folding orbit, the lower-case one where it has one so
// stored values stay readable. Plain strings.ToLower is not enough: it sends
// İ to i, which EqualFold keeps apart, and leaves ſ, which EqualFold folds to s.
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	m := orbitMin(r)
	if l := unicode.ToLower(m); l != m && orbitMin(l) == m {
		return l
	}
	return m
}

func orbitMin(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

func foldAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = foldKey(s)
	}
	return out
}

func stringList(ss []string) *qc.Value {
	vals := make([]*qc.Value, len(ss))
	for i, s := range ss {
		vals[i] = qc.NewValueString(s)
	}
	return qc.NewValueFromList(vals...)
}
