package hnsw

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
)

// ErrNeedsRebuild is wrapped by Open's error when the file is missing,
// corrupt, of another format version or of another dimension. The Index
// returned with it is valid and empty: fill it from the store.
var ErrNeedsRebuild = errors.New("hnsw: index must be rebuilt from the store")

// ErrCorrupt is wrapped (with ErrNeedsRebuild) when a file fails its
// checksum or structural checks.
var ErrCorrupt = errors.New("hnsw: corrupt index file")

// File format, all little-endian:
//
//	magic "SMHNSW\r\n" | version u32 | dim, M, efConstruction, nodes u32 | entry u64
//	per node: state u8, level u8, id (uvarint length + bytes), payload
//	vectors: nodes × dim f32 | layer-0 links: nodes × (2M+1) u32
//	upper links: for each node, level × (M+1) u32
//	CRC-32C of everything before it, u32
//
// The "\r\n" in the magic catches text-mode mangling, as PNG's does.
const (
	fileMagic   = "SMHNSW\r\n"
	fileVersion = 1
	maxIDBytes  = 4 * shop.MaxIDLen
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Open loads the index saved at path, or starts an empty one. When the file
// is missing or unusable it still returns a usable empty index, with an error
// wrapping ErrNeedsRebuild (and fs.ErrNotExist or ErrCorrupt) so the caller
// knows to re-upsert everything from the store:
//
//	idx, err := hnsw.Open(path, dim, opts)
//	if errors.Is(err, hnsw.ErrNeedsRebuild) { /* log, then rebuild */ } else if err != nil { return err }
//
// Other errors (the file exists but can't be read) return a nil Index. Save
// and Close write back to path.
func Open(path string, dim int, opts Options) (*Index, error) {
	x, err := New(dim, opts)
	if err != nil {
		return nil, err
	}
	x.path = path
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return x, fmt.Errorf("hnsw: open %s: %w: %w", path, ErrNeedsRebuild, err)
	case err != nil:
		return nil, fmt.Errorf("hnsw: open: %w", err)
	}
	g, err := decode(data, dim)
	if err != nil {
		return x, fmt.Errorf("hnsw: open %s: %w: %w", path, ErrNeedsRebuild, err)
	}
	x.g = g
	// The graph keeps the M it was built with; new inserts must match it.
	x.opts.M, x.opts.EfConstruction = g.m, g.efC
	return x, nil
}

// Save writes the index to its file atomically: a temporary file in the same
// directory, synced, then renamed over the old one, so a crash leaves either
// the old or the new index, never half of one.
func (x *Index) Save() error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	return x.saveLocked()
}

func (x *Index) saveLocked() error {
	if x.path == "" {
		return errors.New("hnsw: save: in-memory index has no file (use Open)")
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return ErrClosed
	}
	dir := filepath.Dir(x.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(x.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("hnsw: save: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	// CreateTemp makes the file 0600; the index holds nothing more private
	// than the store it mirrors, so give it ordinary file permissions.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("hnsw: save: %w", err)
	}
	if err := encode(tmp, x.g); err != nil {
		tmp.Close()
		return fmt.Errorf("hnsw: save %s: %w", x.path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("hnsw: save %s: %w", x.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("hnsw: save %s: %w", x.path, err)
	}
	if err := os.Rename(tmp.Name(), x.path); err != nil {
		return fmt.Errorf("hnsw: save: %w", err)
	}
	// Sync the directory so the rename itself survives a crash.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// encoder buffers output and checksums it as it goes.
type encoder struct {
	w   io.Writer
	buf []byte
	crc uint32
	err error
}

func (e *encoder) flush() {
	if e.err != nil || len(e.buf) == 0 {
		e.buf = e.buf[:0]
		return
	}
	e.crc = crc32.Update(e.crc, castagnoli, e.buf)
	_, e.err = e.w.Write(e.buf)
	e.buf = e.buf[:0]
}

func (e *encoder) room() {
	if len(e.buf) >= 1<<16 {
		e.flush()
	}
}

func (e *encoder) u8(v uint8)   { e.buf = append(e.buf, v); e.room() }
func (e *encoder) u32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v); e.room() }
func (e *encoder) u64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v); e.room() }
func (e *encoder) str(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
	e.room()
}

func encode(w io.Writer, g *graph) error {
	e := &encoder{w: w, buf: make([]byte, 0, 1<<16+1024)}
	e.buf = append(e.buf, fileMagic...)
	e.u32(fileVersion)
	e.u32(uint32(g.dim))
	e.u32(uint32(g.m))
	e.u32(uint32(g.efC))
	e.u32(uint32(g.n))
	e.u64(g.entry.Load())
	for u := range g.n {
		st := g.state[u]
		if st == statePending { // an upsert that never finished: drop it
			st = stateDeleted
		}
		e.u8(st)
		e.u8(g.levels[u])
		e.str(g.ids[u])
		p := &g.payloads[u]
		e.str(p.Category)
		e.str(p.Brand)
		e.u64(uint64(p.Price))
		e.u8(boolByte(p.Available))
		e.str(string(p.Language))
		e.u32(uint32(len(p.Tags)))
		for _, t := range p.Tags {
			e.str(t)
		}
	}
	for u := range uint32(g.n) {
		for _, f := range g.vec(u) {
			e.u32(math.Float32bits(f))
		}
	}
	for _, v := range g.links0 {
		e.u32(v)
	}
	for u := range g.n {
		for _, v := range g.upper[u] {
			e.u32(v)
		}
	}
	e.flush()
	if e.err != nil {
		return e.err
	}
	var tail [4]byte
	binary.LittleEndian.PutUint32(tail[:], e.crc)
	_, err := w.Write(tail[:])
	return err
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// decoder reads a checksummed byte slice; the first out-of-bounds read sets
// err and every later read returns zero, so decode checks once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8() uint8 {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if v := d.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if v := d.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) str(limit int) string {
	if d.err != nil {
		return ""
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(limit) {
		d.fail("bad string length")
		return ""
	}
	d.b = d.b[k:]
	return string(d.take(int(n)))
}

func decode(data []byte, dim int) (*graph, error) {
	if len(data) < len(fileMagic)+4 || string(data[:len(fileMagic)]) != fileMagic {
		return nil, fmt.Errorf("%w: not an hnsw index file", ErrCorrupt)
	}
	body, tail := data[:len(data)-4], data[len(data)-4:]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(tail) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	d := &decoder{b: body[len(fileMagic):]}
	if v := d.u32(); v != fileVersion {
		return nil, fmt.Errorf("%w: format version %d, this build reads %d", ErrCorrupt, v, fileVersion)
	}
	fdim, m, efC, n := int(d.u32()), int(d.u32()), int(d.u32()), int(d.u32())
	entry := d.u64()
	if fdim != dim {
		return nil, fmt.Errorf("file has dimension %d, index wants %d: %w", fdim, dim, vector.ErrDimension)
	}
	// Bound counts by the bytes present before allocating for them.
	if m < 2 || m > 1024 || efC <= 0 || n < 0 || n > len(d.b)/(4*dim+8*m+4) {
		return nil, fmt.Errorf("%w: bad header (M=%d nodes=%d)", ErrCorrupt, m, n)
	}
	g := newGraph(dim, m, efC)
	g.reserve(n)
	levels := make([]int, n)
	type meta struct {
		id string
		pl vector.Payload
		st uint8
	}
	metas := make([]meta, n)
	for u := range n {
		st, lv := d.u8(), d.u8()
		if st != stateLive && st != stateDeleted || lv > 31 {
			d.fail("node %d: bad state or level", u)
		}
		id := d.str(maxIDBytes)
		var pl vector.Payload
		pl.Category = d.str(1 << 12)
		pl.Brand = d.str(1 << 12)
		pl.Price = shop.Decimal(d.u64())
		pl.Available = d.u8() == 1
		pl.Language = shop.Language(d.str(16))
		nt := int(d.u32())
		if nt > 1024 {
			d.fail("node %d: %d tags", u, nt)
			nt = 0
		}
		for range nt {
			pl.Tags = append(pl.Tags, d.str(1<<10))
		}
		if d.err != nil {
			return nil, d.err
		}
		levels[u] = int(lv)
		metas[u] = meta{id, pl, st}
	}
	vec := make([]float32, dim)
	for u := range n {
		for j := range vec {
			vec[j] = math.Float32frombits(d.u32())
		}
		if d.err != nil {
			return nil, d.err
		}
		g.add(metas[u].id, vec, metas[u].pl, levels[u])
	}
	for i := range g.links0 {
		g.links0[i] = d.u32()
	}
	for u := range n {
		for i := range g.upper[u] {
			g.upper[u][i] = d.u32()
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	// Structural checks: a search must never index out of range.
	for u := range uint32(n) {
		for l := 0; l <= levels[u]; l++ {
			ls := g.links(u, l)
			mmax := g.m
			if l == 0 {
				mmax = g.m0
			}
			if int(ls[0]) > mmax {
				return nil, fmt.Errorf("%w: node %d level %d has %d links", ErrCorrupt, u, l, ls[0])
			}
			for _, v := range ls[1 : 1+ls[0]] {
				if int(v) >= n || levels[v] < l {
					return nil, fmt.Errorf("%w: node %d links to %d on level %d", ErrCorrupt, u, v, l)
				}
			}
		}
	}
	if entry != 0 {
		ep, top := uint32(entry), int(entry>>32)-1
		if int(ep) >= n || top != levels[ep] {
			return nil, fmt.Errorf("%w: bad entry point", ErrCorrupt)
		}
		g.entry.Store(entry)
	} else if n > 0 {
		return nil, fmt.Errorf("%w: nodes without an entry point", ErrCorrupt)
	}
	for u, mt := range metas {
		g.state[u] = mt.st
		if mt.st != stateLive {
			g.deleted++
			continue
		}
		if mt.id == "" {
			return nil, fmt.Errorf("%w: node %d has a bad ID", ErrCorrupt, u)
		}
		if _, dup := g.byID[mt.id]; dup {
			return nil, fmt.Errorf("%w: ID %q is live twice", ErrCorrupt, mt.id)
		}
		g.byID[mt.id] = uint32(u)
		g.live++
	}
	return g, nil
}
