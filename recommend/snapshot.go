package recommend

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"time"
)

// snapshotMagic versions the binary model format; bump it on any change so
// an old snapshot is rejected (and the caller retrains) instead of misread.
const snapshotMagic = "shopmuse/recommend/v4\n"

// ErrNotTrained is Snapshot's answer before the first training or restore.
var ErrNotTrained = errors.New("recommend: snapshot: no trained models")

// Snapshot serialises the serving models (item-CF neighbours, MF factors)
// so the caller can store them and Restore them after a restart without
// retraining. It returns an error when nothing has been trained yet.
func (e *Engine) Snapshot() ([]byte, error) {
	m := e.models.Load()
	if m.cf == nil && m.mf == nil {
		return nil, ErrNotTrained
	}
	return m.MarshalBinary()
}

// Restore replaces the serving models by a snapshot. It rebuilds the MF ANN
// index when Deps.NewIndex is set, so it may take a few seconds.
func (e *Engine) Restore(ctx context.Context, data []byte) error {
	var m models
	if err := m.UnmarshalBinary(data); err != nil {
		return err
	}
	if m.mf != nil {
		if err := e.attach(ctx, m.mf); err != nil {
			return fmt.Errorf("recommend: restore: %w", err)
		}
	}
	// A user erased after this snapshot was saved (a save that failed)
	// must not come back with it; the next training, brought forward,
	// saves a snapshot without them.
	erased := false
	if m.mf != nil {
		if gone := e.ds.unknownUsers(m.mf.userIDs); len(gone) > 0 {
			m.mf, erased = m.mf.withoutUsers(gone), true
			e.log.Warn("model snapshot holds erased users: dropped, training brought forward", "users", len(gone))
		}
	}
	// The repeat model is a few counts over the event log the dataset
	// already holds: learnt again rather than stored.
	rm, err := e.ds.learnRepeat(ctx, int64(e.cfg.SessionGap.Seconds()))
	if err != nil {
		return err
	}
	m.repeat = rm
	m.cf.setCiteFloors(e.ds)
	if m.rebuy, err = e.ds.learnRebuy(ctx); err != nil {
		return err
	}
	e.trainMu.Lock()
	defer e.trainMu.Unlock()
	prev := e.models.Load()
	e.models.Store(&m)
	// The restored models cover history; real-time increments gathered
	// before (e.g. while replaying the log) would count it twice.
	e.overlay.Store(&overlays{cur: newOverlay()})
	// Events that arrived after the training (an import, the last minutes
	// before a restart) stay untrained, so the trainer picks them up.
	e.trained.Store(min(m.trainedSeq, e.ds.seq.Load()))
	if erased {
		e.trained.Store(0)
	}
	e.retire(prev)
	return nil
}

type encoder struct {
	w   *bufio.Writer
	err error
}

func (en *encoder) put(v any) {
	if en.err == nil {
		en.err = binary.Write(en.w, binary.LittleEndian, v)
	}
}

func (en *encoder) str(s string) {
	en.put(uint32(len(s)))
	if en.err == nil {
		_, en.err = en.w.WriteString(s)
	}
}

func (en *encoder) strs(ss []string) {
	en.put(uint32(len(ss)))
	for _, s := range ss {
		en.str(s)
	}
}

func (en *encoder) nbrs(lists [][]nbr) {
	for _, l := range lists {
		en.put(uint32(len(l)))
		for _, n := range l {
			en.put(n.j)
			en.put(n.s)
		}
	}
}

// MarshalBinary encodes the models; little-endian, length-prefixed.
func (m *models) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	en := &encoder{w: bufio.NewWriter(&buf)}
	en.str(snapshotMagic)
	en.put(m.trainedAt.UnixNano())
	en.put(m.trainedSeq)
	en.put(m.cf != nil)
	if cf := m.cf; cf != nil {
		en.strs(cf.ids)
		en.nbrs(cf.nbr)
		en.nbrs(cf.buy)
		en.nbrs(cf.next)
		en.put(cf.norm)
	}
	en.put(m.mf != nil)
	if mf := m.mf; mf != nil {
		en.str(mf.algo)
		en.put(uint32(mf.k))
		en.put(mf.reg)
		en.put(mf.regNu)
		en.put(mf.alpha)
		en.strs(mf.itemIDs)
		en.put(mf.q)
		en.put(mf.c)
		en.strs(mf.userIDs)
		en.put(mf.userN)
		en.put(mf.p)
	}
	en.put(m.fit != nil)
	if f := m.fit; f != nil {
		names := slices.Sorted(maps.Keys(f.weights))
		en.strs(names)
		for _, name := range names {
			en.put(f.weights[name])
		}
		en.put(f.mmrLambda)
		en.put(f.catCap)
		en.put(f.valDefault)
		en.put(f.value)
		en.put(uint32(f.users))
		en.put(uint32(f.trials))
	}
	if en.err == nil {
		en.err = en.w.Flush()
	}
	if en.err != nil {
		return nil, fmt.Errorf("recommend: snapshot: %w", en.err)
	}
	return buf.Bytes(), nil
}

type decoder struct {
	r   *bytes.Reader
	err error
}

// maxLen rejects lengths a corrupt snapshot could use to allocate wildly.
func (de *decoder) n() int {
	var v uint32
	de.get(&v)
	if de.err == nil && int64(v) > int64(de.r.Len())+1<<20 {
		de.err = fmt.Errorf("length %d exceeds the remaining %d bytes", v, de.r.Len())
		return 0
	}
	return int(v)
}

func (de *decoder) get(v any) {
	if de.err == nil {
		de.err = binary.Read(de.r, binary.LittleEndian, v)
	}
}

func (de *decoder) str() string {
	n := de.n()
	if de.err != nil {
		return ""
	}
	b := make([]byte, n)
	_, de.err = io.ReadFull(de.r, b)
	return string(b)
}

func (de *decoder) strs() []string {
	n := de.n()
	out := make([]string, 0, n)
	for i := 0; i < n && de.err == nil; i++ {
		out = append(out, de.str())
	}
	return out
}

func (de *decoder) floats(n int) []float32 {
	if de.err != nil || n*4 > de.r.Len() {
		if de.err == nil {
			de.err = io.ErrUnexpectedEOF
		}
		return nil
	}
	out := make([]float32, n)
	de.get(out)
	return out
}

func (de *decoder) nbrs(n, items int) [][]nbr {
	out := make([][]nbr, n)
	for i := 0; i < n && de.err == nil; i++ {
		l := de.n()
		if l == 0 {
			continue
		}
		out[i] = make([]nbr, l)
		for k := 0; k < l && de.err == nil; k++ {
			de.get(&out[i][k].j)
			de.get(&out[i][k].s)
			if de.err == nil && (out[i][k].j < 0 || int(out[i][k].j) >= items) {
				de.err = fmt.Errorf("neighbour index %d out of range", out[i][k].j)
			}
		}
	}
	return out
}

// UnmarshalBinary decodes models written by MarshalBinary.
func (m *models) UnmarshalBinary(data []byte) error {
	de := &decoder{r: bytes.NewReader(data)}
	if magic := de.str(); de.err != nil || magic != snapshotMagic {
		return errors.New("recommend: restore: not a recommend model snapshot (or an incompatible version)")
	}
	var ns int64
	de.get(&ns)
	m.trainedAt = time.Unix(0, ns)
	de.get(&m.trainedSeq)
	var has bool
	de.get(&has)
	if has && de.err == nil {
		cf := &cfModel{ids: de.strs()}
		n := len(cf.ids)
		cf.idx = make(map[string]int32, n)
		for i, id := range cf.ids {
			cf.idx[id] = int32(i)
		}
		cf.nbr = de.nbrs(n, n)
		cf.buy = de.nbrs(n, n)
		cf.next = de.nbrs(n, n)
		cf.norm = de.floats(n)
		m.cf = cf
	}
	de.get(&has)
	if has && de.err == nil {
		mf := &mfModel{algo: de.str()}
		var k uint32
		de.get(&k)
		mf.k = int(k)
		de.get(&mf.reg)
		de.get(&mf.regNu)
		de.get(&mf.alpha)
		if de.err == nil && (mf.k <= 0 || mf.k > 4096 || math.IsNaN(mf.reg) || math.IsNaN(mf.regNu)) {
			de.err = fmt.Errorf("bad MF header (k=%d)", mf.k)
		}
		mf.itemIDs = de.strs()
		mf.q = de.floats(len(mf.itemIDs) * mf.k)
		mf.c = de.floats(len(mf.itemIDs))
		mf.userIDs = de.strs()
		if de.err == nil {
			mf.userN = make([]int32, len(mf.userIDs))
			de.get(mf.userN)
		}
		mf.p = de.floats(len(mf.userIDs) * mf.k)
		if de.err == nil {
			mf.itemIdx = make(map[string]int32, len(mf.itemIDs))
			for i, id := range mf.itemIDs {
				mf.itemIdx[id] = int32(i)
			}
			mf.userIdx = make(map[string]int32, len(mf.userIDs))
			for i, id := range mf.userIDs {
				if id != "" {
					mf.userIdx[id] = int32(i)
				}
			}
			mf.finish(2)
		}
		m.mf = mf
	}
	de.get(&has)
	if has && de.err == nil {
		f := &fitted{weights: map[string]float64{}}
		for _, name := range de.strs() {
			var w float64
			de.get(&w)
			if de.err == nil && (!slices.Contains(Retrievers, name) || !(w >= 0) || math.IsInf(w, 0)) {
				de.err = fmt.Errorf("bad fitted weight %q=%g", name, w)
			}
			f.weights[name] = w
		}
		var users, trials uint32
		de.get(&f.mmrLambda)
		de.get(&f.catCap)
		if de.err == nil && !(f.mmrLambda >= 0 && f.mmrLambda <= 1 && f.catCap >= 0 && f.catCap <= 1) {
			de.err = fmt.Errorf("bad fitted MMR lambda %g or category cap %g", f.mmrLambda, f.catCap)
		}
		de.get(&f.valDefault)
		de.get(&f.value)
		de.get(&users)
		de.get(&trials)
		f.users, f.trials = int(users), int(trials)
		m.fit = f
	}
	if de.err == nil && de.r.Len() != 0 {
		de.err = fmt.Errorf("%d trailing bytes", de.r.Len())
	}
	if de.err != nil {
		return fmt.Errorf("recommend: restore: corrupt snapshot: %w", de.err)
	}
	return nil
}
