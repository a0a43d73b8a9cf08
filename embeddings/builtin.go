package embeddings

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"strconv"
	"sync"

	"github.com/shopmuse/shopmuse/shop"
)

// DefaultDim is the built-in embedder's dimension when none is given.
const DefaultDim = 256

// RefitGrowth is the recommended re-fit threshold: when the catalogue has
// grown or shrunk by more than this fraction since the last Fit, re-fit the
// IDF and re-embed the catalogue (see Builtin).
const RefitGrowth = 0.2

// The document-frequency table is indexed by the top idfBits of a token's
// hash. 2^20 uint32 counters are 4 MiB whatever the catalogue size, and a
// rare token sharing a slot with a common one (the only harmful collision)
// is rare at that size. It is independent of Dim, so one fitted state serves
// builtin embedders of any dimension.
const idfBits = 20

// tokenizerVersion is part of Name and of the persisted state: a change to
// Tokens or to the hashing changes every vector and every document frequency.
const tokenizerVersion = 1

// Builtin is the offline embedder: signed feature hashing of Tokens into Dim
// buckets with TF-IDF weights (sublinear tf) learned from the catalogue, then
// L2 normalisation. It needs no weights and no network; it captures lexical
// overlap (including sub-word and Chinese bigram overlap), not synonyms.
//
// Text without any token (empty, only punctuation) embeds to the zero vector,
// never NaN; callers should not index zero vectors (cosine is undefined).
//
// # IDF and re-embedding
//
// Fit and Observe change the IDF and so change every vector produced
// afterwards; vectors from different IDF states are still comparable but
// drift apart as the catalogue changes. The recommended policy:
//
//  1. On first start, Fit on the whole catalogue, persist MarshalBinary next
//     to the vectors, and embed the catalogue. On restart, UnmarshalBinary.
//  2. Embed upserts with the IDF frozen (do not Observe each upsert).
//  3. When ShouldRefit(catalogueSize) — the catalogue has changed size by
//     more than RefitGrowth (20%) since the fit — Fit again, re-embed the
//     whole catalogue, and persist the new state. Store Fingerprint with the
//     vectors so a mismatch after a crash is detected.
//
// Observe is for streaming a large import in chunks before the first
// embedding pass, where Fit would need the whole catalogue in memory.
//
// Builtin is safe for concurrent use.
type Builtin struct {
	dim  int
	name string

	mu          sync.RWMutex
	docs        uint64   // documents the IDF has seen
	df          []uint32 // document frequencies; nil until fitted
	generation  uint64
	fingerprint string

	scratch sync.Pool // *embedScratch
}

// NewBuiltin returns an unfitted built-in embedder (every token has IDF 1)
// of the given dimension; dim <= 0 means DefaultDim.
func NewBuiltin(dim int) *Builtin {
	if dim <= 0 {
		dim = DefaultDim
	}
	b := &Builtin{dim: dim, name: "builtin-hash-v" + strconv.Itoa(tokenizerVersion) + "-" + strconv.Itoa(dim)}
	b.scratch.New = func() any { return &embedScratch{tf: map[uint64]float32{}, vec: make([]float64, dim)} }
	return b
}

// Name is builtin-hash-v1-<dim>. It does not include the IDF state: vectors
// from different fits live in the same space (see Fingerprint).
func (b *Builtin) Name() string { return b.name }

// Dim is the vector dimension.
func (b *Builtin) Dim() int { return b.dim }

// Docs is the number of documents the IDF was computed from.
func (b *Builtin) Docs() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return int(b.docs)
}

// Generation counts changes of the IDF state: Fit and Observe add one, and
// UnmarshalBinary restores the persisted count, so it keeps counting across
// restarts.
func (b *Builtin) Generation() uint64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.generation
}

// Fingerprint identifies the IDF state by content: two embedders with equal
// fingerprints (and names) produce identical vectors. It is "" when unfitted.
func (b *Builtin) Fingerprint() string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.fingerprint
}

// ShouldRefit applies the recommended policy: re-fit (and re-embed) when
// nothing was fitted yet, or when catalogueSize differs from the fitted
// document count by more than RefitGrowth.
func (b *Builtin) ShouldRefit(catalogueSize int) bool {
	n := float64(b.Docs())
	if n == 0 {
		return catalogueSize > 0
	}
	return math.Abs(float64(catalogueSize)-n) > RefitGrowth*n
}

// Fit replaces the IDF state with document frequencies over docs.
func (b *Builtin) Fit(docs []string) {
	df := make([]uint32, 1<<idfBits)
	seen := map[uint32]struct{}{}
	var sc scanner
	for _, d := range docs {
		countDoc(&sc, seen, df, d)
	}
	b.install(uint64(len(docs)), df)
}

// FitProducts is Fit over the products' fields (all of ProductFields).
func (b *Builtin) FitProducts(ps []*shop.Product) {
	df := make([]uint32, 1<<idfBits)
	seen := map[uint32]struct{}{}
	var sc scanner
	for _, p := range ps {
		countDoc(&sc, seen, df, productFieldTexts(p)...)
	}
	b.install(uint64(len(ps)), df)
}

// Observe adds docs to the IDF state (incremental Fit).
func (b *Builtin) Observe(docs []string) {
	texts := make([][]string, len(docs))
	for i, d := range docs {
		texts[i] = []string{d}
	}
	b.observe(texts)
}

// ObserveProducts adds products to the IDF state (incremental FitProducts).
func (b *Builtin) ObserveProducts(ps []*shop.Product) {
	texts := make([][]string, len(ps))
	for i, p := range ps {
		texts[i] = productFieldTexts(p)
	}
	b.observe(texts)
}

func (b *Builtin) observe(docs [][]string) {
	if len(docs) == 0 {
		return
	}
	// Tokenise outside the lock; only the increments need it.
	slots := make([][]uint32, len(docs))
	seen := map[uint32]struct{}{}
	var sc scanner
	for i, texts := range docs {
		clear(seen)
		for _, t := range texts {
			sc.scan(t, func(tok []byte, _ float32) { seen[dfSlot(hashToken(tok))] = struct{}{} })
		}
		for s := range seen {
			slots[i] = append(slots[i], s)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.df == nil {
		b.df = make([]uint32, 1<<idfBits)
	}
	for _, ss := range slots {
		for _, s := range ss {
			if b.df[s] < math.MaxUint32 {
				b.df[s]++
			}
		}
	}
	b.docs += uint64(len(docs))
	b.generation++
	b.fingerprint = fingerprint(b.docs, b.df)
}

// countDoc adds one document (made of texts) to df.
func countDoc(sc *scanner, seen map[uint32]struct{}, df []uint32, texts ...string) {
	clear(seen)
	for _, t := range texts {
		sc.scan(t, func(tok []byte, _ float32) { seen[dfSlot(hashToken(tok))] = struct{}{} })
	}
	for s := range seen {
		if df[s] < math.MaxUint32 {
			df[s]++
		}
	}
}

func (b *Builtin) install(docs uint64, df []uint32) {
	fp := fingerprint(docs, df)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.docs, b.df, b.fingerprint = docs, df, fp
	b.generation++
}

// EmbedDocuments embeds each text; it never fails except on a cancelled ctx.
func (b *Builtin) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	b.mu.RLock()
	defer b.mu.RUnlock()
	for i, t := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("embeddings: builtin: %w", err)
			}
		}
		out[i] = b.embedFields([]Field{{Text: t, Weight: 1}})
	}
	return out, nil
}

// EmbedQuery embeds a query exactly as a document: the hashing model is
// symmetric.
func (b *Builtin) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embeddings: builtin: %w", err)
	}
	return b.Embed(text), nil
}

// Embed embeds one text (EmbedQuery without a context).
func (b *Builtin) Embed(text string) []float32 {
	return b.EmbedFields([]Field{{Text: text, Weight: 1}})
}

// EmbedProduct embeds a product from its weighted fields (ProductFields).
func (b *Builtin) EmbedProduct(p *shop.Product) []float32 {
	return b.EmbedFields(ProductFields(p))
}

// EmbedProducts implements ProductEmbedder.
func (b *Builtin) EmbedProducts(ctx context.Context, ps []*shop.Product) ([][]float32, error) {
	out := make([][]float32, len(ps))
	b.mu.RLock()
	defer b.mu.RUnlock()
	for i, p := range ps {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("embeddings: builtin: %w", err)
			}
		}
		out[i] = b.embedFields(ProductFields(p))
	}
	return out, nil
}

// EmbedFields embeds weighted fields. Each field is embedded and normalised
// on its own, then the fields are summed by weight and the sum normalised:
// a 2000-character description then cannot outweigh the title by sheer
// length, which summing raw term weights would allow.
func (b *Builtin) EmbedFields(fields []Field) []float32 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.embedFields(fields)
}

type embedScratch struct {
	sc    scanner
	tf    map[uint64]float32
	vec   []float64 // one field
	total []float64 // weighted sum of fields
}

// embedFields needs b.mu held for reading.
func (b *Builtin) embedFields(fields []Field) []float32 {
	s := b.scratch.Get().(*embedScratch)
	defer b.scratch.Put(s)
	if s.total == nil {
		s.total = make([]float64, b.dim)
	}
	clear(s.total)
	// idf(t) = ln((1+N)/(1+df)) + 1, the smoothed form: never zero, so a
	// token in every document still counts a little, and 1 when unfitted.
	n1 := float64(b.docs) + 1
	nonEmpty := false
	for _, f := range fields {
		if f.Weight <= 0 || f.Text == "" {
			continue
		}
		clear(s.tf)
		s.sc.scan(f.Text, func(tok []byte, w float32) { s.tf[hashToken(tok)] += w })
		if len(s.tf) == 0 {
			continue
		}
		clear(s.vec)
		for h, tf := range s.tf {
			idf := 1.0
			if b.df != nil {
				idf = math.Log(n1/(1+float64(b.df[dfSlot(h)]))) + 1
			}
			w := sublinear(float64(tf)) * idf
			bucket := (h & 0xffffffff) % uint64(b.dim)
			if h&(1<<32) != 0 { // the sign hash: collisions cancel out on average
				w = -w
			}
			s.vec[bucket] += w
		}
		if norm := l2(s.vec); norm > 0 {
			scale := f.Weight / norm
			for i, v := range s.vec {
				s.total[i] += v * scale
			}
			nonEmpty = true
		}
	}
	out := make([]float32, b.dim)
	if !nonEmpty {
		return out
	}
	norm := l2(s.total)
	if norm == 0 { // opposite fields can cancel exactly; keep the zero vector
		return out
	}
	for i, v := range s.total {
		out[i] = float32(v / norm)
	}
	return out
}

// sublinear is 1+ln(tf) for tf >= 1 and tf itself below 1 (tokens weighted
// under 1, such as sub-words), which keeps it continuous and increasing.
func sublinear(tf float64) float64 {
	if tf <= 1 {
		return tf
	}
	return 1 + math.Log(tf)
}

func l2(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// hashToken is 64-bit FNV-1a finished with the murmur3 mixer: FNV-1a alone
// leaves its low bits (the bucket) poorly mixed for short tokens.
func hashToken(tok []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range tok {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// dfSlot uses the top bits, independent of the bucket (low 32) and sign (bit 32).
func dfSlot(h uint64) uint32 { return uint32(h >> (64 - idfBits)) }

func fingerprint(docs uint64, df []uint32) string {
	if docs == 0 {
		return ""
	}
	h := uint64(14695981039346656037)
	mix := func(x uint64) {
		for i := 0; i < 8; i++ {
			h ^= x & 0xff
			h *= 1099511628211
			x >>= 8
		}
	}
	mix(tokenizerVersion)
	mix(docs)
	for i, c := range df {
		if c != 0 {
			mix(uint64(i)<<32 | uint64(c))
		}
	}
	return fmt.Sprintf("%016x", h)
}

// The persisted IDF state:
//
//	"SMBE" | uvarint format version | uvarint tokenizer version |
//	uvarint idfBits | uvarint docs | uvarint generation |
//	uvarint nonzero slots | (uvarint slot delta, uvarint df)* | crc32 (IEEE, 4 bytes LE)
//
// The table is sparse in practice, so only non-zero slots are written.
const (
	stateMagic   = "SMBE"
	stateVersion = 1
)

// MarshalBinary encodes the IDF state (document count, frequencies,
// generation). It does not encode Dim, which the state does not depend on.
func (b *Builtin) MarshalBinary() ([]byte, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	buf := []byte(stateMagic)
	buf = binary.AppendUvarint(buf, stateVersion)
	buf = binary.AppendUvarint(buf, tokenizerVersion)
	buf = binary.AppendUvarint(buf, idfBits)
	buf = binary.AppendUvarint(buf, b.docs)
	buf = binary.AppendUvarint(buf, b.generation)
	nonzero := 0
	for _, c := range b.df {
		if c != 0 {
			nonzero++
		}
	}
	buf = binary.AppendUvarint(buf, uint64(nonzero))
	prev := 0
	for i, c := range b.df {
		if c != 0 {
			buf = binary.AppendUvarint(buf, uint64(i-prev))
			buf = binary.AppendUvarint(buf, uint64(c))
			prev = i
		}
	}
	return binary.LittleEndian.AppendUint32(buf, crc32.ChecksumIEEE(buf)), nil
}

// ErrIncompatibleState is returned by UnmarshalBinary for a state written by
// a different format or tokenizer version: re-fit instead.
var ErrIncompatibleState = errors.New("embeddings: builtin IDF state from an incompatible version")

// UnmarshalBinary replaces the IDF state with one from MarshalBinary. On any
// error the current state is left unchanged.
func (b *Builtin) UnmarshalBinary(data []byte) error {
	docs, gen, df, err := decodeState(data)
	if err != nil {
		return err
	}
	fp := fingerprint(docs, df)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.docs, b.df, b.generation, b.fingerprint = docs, df, gen, fp
	return nil
}

func decodeState(data []byte) (docs, gen uint64, df []uint32, err error) {
	fail := func(msg string) (uint64, uint64, []uint32, error) {
		return 0, 0, nil, fmt.Errorf("embeddings: decoding builtin IDF state: %s", msg)
	}
	if len(data) < len(stateMagic)+4 || string(data[:len(stateMagic)]) != stateMagic {
		return fail("not a builtin IDF state")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return fail("checksum mismatch (corrupt or truncated)")
	}
	rest := body[len(stateMagic):]
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			return 0, false
		}
		rest = rest[n:]
		return v, true
	}
	var hdr [6]uint64
	for i := range hdr {
		v, ok := next()
		if !ok {
			return fail("truncated header")
		}
		hdr[i] = v
	}
	version, tokVersion, bits, docs, gen, nonzero := hdr[0], hdr[1], hdr[2], hdr[3], hdr[4], hdr[5]
	if version != stateVersion || tokVersion != tokenizerVersion || bits != idfBits {
		return 0, 0, nil, fmt.Errorf("%w: format %d, tokenizer %d, table bits %d (want %d, %d, %d)",
			ErrIncompatibleState, version, tokVersion, bits, stateVersion, tokenizerVersion, idfBits)
	}
	if nonzero > 1<<idfBits {
		return fail("more slots than the table holds")
	}
	if nonzero > 0 {
		df = make([]uint32, 1<<idfBits)
	}
	slot := uint64(0)
	for i := uint64(0); i < nonzero; i++ {
		d, ok1 := next()
		c, ok2 := next()
		if !ok1 || !ok2 {
			return fail("truncated table")
		}
		slot += d
		if (i > 0 && d == 0) || slot >= 1<<idfBits || c == 0 || c > docs || c > math.MaxUint32 {
			return fail(fmt.Sprintf("invalid entry %d", i))
		}
		df[slot] = uint32(c)
	}
	if len(rest) != 0 {
		return fail("trailing bytes")
	}
	return docs, gen, df, nil
}
