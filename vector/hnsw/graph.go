package hnsw

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/shopmuse/shopmuse/vector"
)

// Node states. A pending node is linked into the graph by an Upsert still in
// progress: searches traverse it but never return it, so a batch becomes
// visible all at once and an upsert never shows two versions of one ID.
const (
	statePending uint8 = iota
	stateLive
	stateDeleted
)

// lockStripes is the number of mutexes guarding neighbour-list writes; node u
// uses stripe u%lockStripes. Writers hold at most one stripe at a time, so
// stripes can't deadlock.
const lockStripes = 4096

// graph is the HNSW structure. Its slices only grow, and only while the
// owning Index holds its write lock; under the read lock several inserters
// and searchers share it. Neighbour lists are the one thing written under the
// read lock: writers serialise per node on a stripe mutex and every element
// is read and written atomically, so a reader sees each id whole (possibly a
// mix of an old and a new list, which is harmless for a graph walk).
type graph struct {
	dim    int
	stride int // floats per node in vecs: the vector, its inverse norm, padding
	m, m0  int // neighbour caps above and on layer 0
	efC    int
	mult   float64 // level generation: floor(-ln(U)*mult)

	n        int       // nodes allocated, including pending and deleted
	vecs     []float32 // n*stride
	ids      []string
	payloads []vector.Payload
	state    []uint8
	levels   []uint8
	links0   []uint32   // n*(m0+1): count then ids
	upper    [][]uint32 // per node: levels[u] blocks of (m+1) for layers 1..levels[u]

	// entry packs the entry point: (maxLevel+1)<<32 | node; 0 means empty.
	entry   atomic.Uint64
	entryMu sync.Mutex // held by an insert that raises the top level

	byID    map[string]uint32 // live nodes only
	live    int
	deleted int    // tombstones: deleted or replaced nodes still in the graph
	pending int    // nodes of an upsert in progress
	version uint64 // bumped by every change of node states, for filterCache

	locks [lockStripes]sync.Mutex
}

func newGraph(dim, m, efC int) *graph {
	return &graph{
		dim:    dim,
		stride: (dim + 1 + 15) &^ 15,
		m:      m,
		m0:     2 * m,
		efC:    efC,
		mult:   1 / math.Log(float64(m)),
		byID:   make(map[string]uint32),
	}
}

// vec is node u's vector as upserted; inv its inverse norm (0 for a zero vector).
func (g *graph) vec(u uint32) []float32 {
	off := int(u) * g.stride
	return g.vecs[off : off+g.dim : off+g.dim]
}

func (g *graph) inv(u uint32) float32 { return g.vecs[int(u)*g.stride+g.dim] }

// dist is the cosine distance from the unit-length query q to node u.
func (g *graph) dist(q []float32, u uint32) float32 {
	off := int(u) * g.stride
	v := g.vecs[off : off+g.dim+1 : off+g.dim+1]
	return 1 - vector.Dot(q, v[:g.dim])*v[g.dim]
}

// distNodes is the cosine distance between two stored nodes.
func (g *graph) distNodes(a, b uint32) float32 {
	return 1 - vector.Dot(g.vec(a), g.vec(b))*g.inv(a)*g.inv(b)
}

// links returns the neighbour list of u on level l: element 0 is the count.
func (g *graph) links(u uint32, l int) []uint32 {
	if l == 0 {
		off := int(u) * (g.m0 + 1)
		return g.links0[off : off+g.m0+1 : off+g.m0+1]
	}
	off := (l - 1) * (g.m + 1)
	return g.upper[u][off : off+g.m+1 : off+g.m+1]
}

func (g *graph) entryPoint() (node uint32, level int, ok bool) {
	e := g.entry.Load()
	if e == 0 {
		return 0, 0, false
	}
	return uint32(e), int(e>>32) - 1, true
}

func (g *graph) setEntry(node uint32, level int) {
	g.entry.Store(uint64(level+1)<<32 | uint64(node))
}

// add appends a node (pending, unlinked) and returns its internal id. The
// caller holds the Index write lock. vec must already be validated.
func (g *graph) add(id string, vec []float32, pl vector.Payload, level int) uint32 {
	u := uint32(g.n)
	g.n++
	var s float64
	for _, x := range vec {
		s += float64(x) * float64(x)
	}
	var inv float32
	if s > 0 {
		inv = float32(1 / math.Sqrt(s))
	}
	g.vecs = append(g.vecs, vec...)
	g.vecs = append(g.vecs, inv)
	for range g.stride - g.dim - 1 {
		g.vecs = append(g.vecs, 0)
	}
	g.ids = append(g.ids, id)
	g.payloads = append(g.payloads, pl)
	g.state = append(g.state, statePending)
	g.levels = append(g.levels, uint8(level))
	g.links0 = append(g.links0, make([]uint32, g.m0+1)...)
	var up []uint32
	if level > 0 {
		up = make([]uint32, level*(g.m+1))
	}
	g.upper = append(g.upper, up)
	return u
}

// reserve grows capacity for extra more nodes so a batch appends without
// repeated reallocation.
func (g *graph) reserve(extra int) {
	g.vecs = slices.Grow(g.vecs, extra*g.stride)
	g.ids = slices.Grow(g.ids, extra)
	g.payloads = slices.Grow(g.payloads, extra)
	g.state = slices.Grow(g.state, extra)
	g.levels = slices.Grow(g.levels, extra)
	g.links0 = slices.Grow(g.links0, extra*(g.m0+1))
	g.upper = slices.Grow(g.upper, extra)
}

// randomLevel draws a level from the geometric distribution of the paper;
// u is uniform in (0,1].
func (g *graph) randomLevel(u float64) int {
	l := int(-math.Log(u) * g.mult)
	return min(l, 31) // levels beyond ~log_M(n) are never reached in practice
}

// cand is a node with its distance to the current query.
type cand struct {
	d  float32
	id uint32
}

// minHeap and maxHeap are hand-rolled binary heaps: container/heap's
// interface calls cost more than the distance computations they order.
type minHeap []cand

func (h *minHeap) push(c cand) {
	s := append(*h, c)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].d <= c.d {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = c
	*h = s
}

func (h *minHeap) pop() cand {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	n := len(s)
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && s[r].d < s[l].d {
			l = r
		}
		if last.d <= s[l].d {
			break
		}
		s[i] = s[l]
		i = l
	}
	if n > 0 {
		s[i] = last
	}
	*h = s
	return top
}

type maxHeap []cand

func (h *maxHeap) push(c cand) {
	s := append(*h, c)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].d >= c.d {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = c
	*h = s
}

func (h *maxHeap) pop() cand {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	n := len(s)
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && s[r].d > s[l].d {
			l = r
		}
		if last.d >= s[l].d {
			break
		}
		s[i] = s[l]
		i = l
	}
	if n > 0 {
		s[i] = last
	}
	*h = s
	return top
}

// searcher is the per-search scratch space, pooled so a search allocates
// nothing: a visited set with generation counters (clearing a map or a
// bitmap per search would cost O(n)), the two heaps and selection buffers.
type searcher struct {
	marks []uint16
	gen   uint16
	cands minHeap
	top   maxHeap
	buf   []cand
	sel   []cand
	nb    []uint32
	q     []float32
	// merged and kept are connect's scratch lists.
	merged, kept []cand
	sink         float32 // keeps the touch loads in unvisited from being optimised away
}

var searchers = sync.Pool{New: func() any { return new(searcher) }}

func getSearcher(n int) *searcher {
	s := searchers.Get().(*searcher)
	if len(s.marks) < n {
		s.marks = make([]uint16, n+n/4+64)
		s.gen = 0
	}
	return s
}

// newVisit starts a new visited set in O(1) by moving to the next generation.
func (s *searcher) newVisit() {
	s.gen++
	if s.gen == 0 { // wrapped: old marks could collide with the new generation
		clear(s.marks)
		s.gen = 1
	}
}

// visit marks u and reports whether it was already marked.
func (s *searcher) visit(u uint32) bool {
	if s.marks[u] == s.gen {
		return true
	}
	s.marks[u] = s.gen
	return false
}

// greedy walks level l from ep towards q and returns the closest node found,
// as the upper layers of HNSW are searched with ef=1.
func (g *graph) greedy(q []float32, ep cand, l int) cand {
	for changed := true; changed; {
		changed = false
		ls := g.links(ep.id, l)
		cnt := atomic.LoadUint32(&ls[0])
		for j := uint32(1); j <= cnt; j++ {
			u := atomic.LoadUint32(&ls[j])
			if d := g.dist(q, u); d < ep.d {
				ep = cand{d, u}
				changed = true
			}
		}
	}
	return ep
}

// unvisited marks and returns c's not yet visited neighbours on level l, and
// starts loading their vectors. Graph search is bound by cache misses on
// those vectors, not by arithmetic; hnswlib issues prefetch instructions for
// them. Go has none, but loading one word of each vector here, all before
// the first distance, lets the CPU overlap the misses instead of taking them
// one dot product at a time.
func (g *graph) unvisited(s *searcher, c uint32, l int) []uint32 {
	ls := g.links(c, l)
	cnt := atomic.LoadUint32(&ls[0])
	nb := s.nb[:0]
	var sink float32
	for j := uint32(1); j <= cnt; j++ {
		u := atomic.LoadUint32(&ls[j])
		if s.visit(u) {
			continue
		}
		nb = append(nb, u)
		off := int(u) * g.stride
		sink += g.vecs[off] + g.vecs[off+g.stride/2]
	}
	s.sink += sink
	s.nb = nb
	return nb
}

// searchLayer is the paper's SEARCH-LAYER: the ef nearest nodes to q on
// level l reachable from ep, left in s.top. Every node counts, whatever its
// state: this is the walk inserts use, and searches use when nothing needs
// skipping.
func (g *graph) searchLayer(s *searcher, q []float32, ep cand, ef, l int) {
	s.cands = s.cands[:0]
	s.top = s.top[:0]
	s.visit(ep.id)
	s.cands.push(ep)
	s.top.push(ep)
	for len(s.cands) > 0 {
		c := s.cands.pop()
		if c.d > s.top[0].d {
			break
		}
		for _, u := range g.unvisited(s, c.id, l) {
			d := g.dist(q, u)
			if len(s.top) < ef || d < s.top[0].d {
				s.cands.push(cand{d, u})
				s.top.push(cand{d, u})
				if len(s.top) > ef {
					s.top.pop()
				}
			}
		}
	}
}

// searchLayerAccept is searchLayer on level 0 collecting only nodes that
// accept passes, while still walking through the others (deleted, pending,
// filtered out) because they hold the graph together. As in hnswlib's
// filtered search, the walk doesn't stop until ef accepted nodes are found,
// so a selective filter explores further instead of returning too few.
func (g *graph) searchLayerAccept(s *searcher, q []float32, ep cand, ef int, accept func(uint32) bool) {
	s.cands = s.cands[:0]
	s.top = s.top[:0]
	s.visit(ep.id)
	s.cands.push(ep)
	lower := float32(math.MaxFloat32)
	if accept(ep.id) {
		s.top.push(ep)
		lower = ep.d
	}
	for len(s.cands) > 0 {
		c := s.cands.pop()
		if c.d > lower && len(s.top) >= ef {
			break
		}
		for _, u := range g.unvisited(s, c.id, 0) {
			d := g.dist(q, u)
			if len(s.top) < ef || d < lower {
				s.cands.push(cand{d, u})
				// accept is evaluated only for nodes that would enter the
				// result set: a payload match costs as much as a distance.
				if accept(u) {
					s.top.push(cand{d, u})
					if len(s.top) > ef {
						s.top.pop()
					}
					lower = s.top[0].d
				}
			}
		}
	}
}

// sortedTop drains s.top into s.buf in ascending distance order.
func (s *searcher) sortedTop() []cand {
	n := len(s.top)
	if cap(s.buf) < n {
		s.buf = make([]cand, n)
	}
	s.buf = s.buf[:n]
	for i := n - 1; i >= 0; i-- {
		s.buf[i] = s.top.pop()
	}
	return s.buf
}

// selectNeighbors is the paper's heuristic (algorithm 4, without extending
// candidates and without keeping pruned ones, as hnswlib does): walking
// candidates nearest first, keep one only if it is closer to the base than
// to every neighbour kept so far. It spreads links across directions, which
// is what keeps clustered data navigable. cands must be sorted ascending.
func (g *graph) selectNeighbors(cands []cand, m int, out []cand) []cand {
	out = out[:0]
	if len(cands) <= m {
		return append(out, cands...)
	}
	for _, c := range cands {
		if len(out) >= m {
			break
		}
		good := true
		for _, r := range out {
			if g.distNodes(c.id, r.id) < c.d {
				good = false
				break
			}
		}
		if good {
			out = append(out, c)
		}
	}
	return out
}

// insert links the already added node q into the graph (INSERT of the
// paper). The caller holds the Index read lock.
func (g *graph) insert(q uint32) {
	level := int(g.levels[q])
	ep, top, ok := g.entryPoint()
	if !ok || level > top {
		g.entryMu.Lock()
		defer g.entryMu.Unlock()
		ep, top, ok = g.entryPoint()
		if !ok {
			g.setEntry(q, level)
			return
		}
		if level > top {
			// Set the entry point only once q is linked, on return.
			defer g.setEntry(q, level)
		}
	}
	s := getSearcher(g.n)
	defer searchers.Put(s)
	// Searching with a unit-length copy lets dist() stay a plain dot product.
	s.q = append(s.q[:0], g.vec(q)...)
	inv := g.inv(q)
	for i := range s.q {
		s.q[i] *= inv
	}
	qv := s.q
	cur := cand{g.dist(qv, ep), ep}
	for l := top; l > level; l-- {
		cur = g.greedy(qv, cur, l)
	}
	for l := min(level, top); l >= 0; l-- {
		s.newVisit()
		g.searchLayer(s, qv, cur, g.efC, l)
		found := s.sortedTop()
		cur = found[0]
		s.sel = g.selectNeighbors(found, g.m, s.sel)
		g.connect(s, q, l, s.sel)
	}
}

// connect sets q's neighbours on level l and adds the reverse links,
// shrinking a full neighbour list with the same heuristic.
func (g *graph) connect(s *searcher, q uint32, l int, sel []cand) {
	mmax := g.m
	if l == 0 {
		mmax = g.m0
	}
	// Other inserters may already have linked to q on this level (it's
	// reachable from above), so merge rather than overwrite.
	g.locks[q%lockStripes].Lock()
	ls := g.links(q, l)
	cnt := int(atomic.LoadUint32(&ls[0]))
	merged := append(s.merged[:0], sel...)
	for j := 1; j <= cnt; j++ {
		u := atomic.LoadUint32(&ls[j])
		if !containsNode(merged, u) {
			merged = append(merged, cand{g.distNodes(q, u), u})
		}
	}
	s.merged = merged[:0] // keep the grown buffer; s.kept must never alias it
	if len(merged) > mmax {
		slices.SortFunc(merged, func(a, b cand) int { return cmpF(a.d, b.d) })
		s.kept = g.selectNeighbors(merged, mmax, s.kept)
		merged = s.kept
	}
	writeLinks(ls, merged)
	g.locks[q%lockStripes].Unlock()

	buf := s.merged[:0]
	for _, nb := range sel {
		n := nb.id
		g.locks[n%lockStripes].Lock()
		ls := g.links(n, l)
		cnt := int(atomic.LoadUint32(&ls[0]))
		present := false
		for j := 1; j <= cnt; j++ {
			if atomic.LoadUint32(&ls[j]) == q {
				present = true
				break
			}
		}
		switch {
		case present:
		case cnt < mmax:
			atomic.StoreUint32(&ls[cnt+1], q)
			atomic.StoreUint32(&ls[0], uint32(cnt+1))
		default:
			buf = buf[:0]
			buf = append(buf, cand{nb.d, q})
			for j := 1; j <= cnt; j++ {
				u := atomic.LoadUint32(&ls[j])
				buf = append(buf, cand{g.distNodes(n, u), u})
			}
			slices.SortFunc(buf, func(a, b cand) int { return cmpF(a.d, b.d) })
			s.kept = g.selectNeighbors(buf, mmax, s.kept)
			writeLinks(ls, s.kept)
		}
		g.locks[n%lockStripes].Unlock()
	}
	s.merged = buf[:0]
}

func writeLinks(ls []uint32, cs []cand) {
	for j, c := range cs {
		atomic.StoreUint32(&ls[j+1], c.id)
	}
	atomic.StoreUint32(&ls[0], uint32(len(cs)))
}

func containsNode(cs []cand, u uint32) bool {
	for _, c := range cs {
		if c.id == u {
			return true
		}
	}
	return false
}

func cmpF(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
