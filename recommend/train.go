package recommend

import (
	"context"
	"fmt"
	"time"

	"github.com/shopmuse/shopmuse/vector"
)

// ModelReport describes one trained model.
type ModelReport struct {
	Name     string
	Duration time.Duration
	// Size is the model's in-memory payload in bytes (factors, neighbour
	// lists), not counting Go overhead.
	Size int
	// Details is a short human summary (neighbour count, factors, epochs).
	Details string
}

// TrainingReport is what one training run did.
type TrainingReport struct {
	StartedAt    time.Time
	Duration     time.Duration
	Users        int
	Items        int
	Interactions int // distinct (user, item) pairs trained on
	Models       []ModelReport
}

// Train trains item-CF and the configured MF model on a snapshot of the
// dataset and swaps them in atomically. Concurrent calls run one after the
// other. Serving continues on the old models meanwhile.
func (e *Engine) Train(ctx context.Context) (TrainingReport, error) {
	e.trainMu.Lock()
	defer e.trainMu.Unlock()
	start := time.Now()
	rep := TrainingReport{StartedAt: start}
	log := e.log.With("run", start.Format(time.RFC3339))

	// New events from here on go to a fresh overlay; the one being replaced
	// stays visible until the new models (which include its events) serve.
	old := e.overlay.Load()
	e.overlay.Store(&overlays{cur: newOverlay(), prev: old.cur})
	restore := func() { // on failure keep serving the increments
		cur := e.overlay.Load()
		merged := cur.cur
		merged.mu.Lock()
		old.cur.mu.RLock()
		for a, row := range old.cur.m {
			for b, s := range row {
				if merged.n < maxOverlayPairs {
					if merged.m[a] == nil {
						merged.m[a] = map[string]float32{}
					}
					if _, ok := merged.m[a][b]; !ok {
						merged.n++
					}
					merged.m[a][b] += s
				}
			}
		}
		old.cur.mu.RUnlock()
		merged.mu.Unlock()
		e.overlay.Store(&overlays{cur: merged})
	}

	td, err := e.ds.snapshot(ctx, e.cfg.Now().Unix())
	if err != nil {
		restore()
		return rep, err
	}
	e.trained.Store(td.seq)
	rep.Users, rep.Items, rep.Interactions = len(td.users), len(td.itemIDs), td.nPairs
	log.InfoContext(ctx, "training started", "users", rep.Users, "items", rep.Items, "pairs", rep.Interactions)

	t := time.Now()
	cf, err := trainCF(ctx, td, &e.cfg)
	if err != nil {
		restore()
		return rep, fmt.Errorf("recommend: train item-CF: %w", err)
	}
	cf.setCiteFloors(e.ds)
	rep.Models = append(rep.Models, ModelReport{Name: RetrieverItemCF, Duration: time.Since(t), Size: 8 * cf.size(),
		Details: fmt.Sprintf("%d neighbour entries over %d items", cf.size(), len(cf.ids))})
	log.InfoContext(ctx, "item-CF trained", "duration", time.Since(t))

	t = time.Now()
	mf, err := e.trainMF(ctx, td, log)
	if err != nil {
		restore()
		return rep, fmt.Errorf("recommend: train MF: %w", err)
	}
	rep.Models = append(rep.Models, ModelReport{Name: RetrieverMF + ":" + mf.algo, Duration: time.Since(t), Size: mf.size(),
		Details: fmt.Sprintf("%d factors, %d users, %d items", mf.k, len(mf.userIDs), len(mf.itemIDs))})
	if mf.index != nil {
		rep.Models[len(rep.Models)-1].Details += ", ANN index"
	}

	t = time.Now()
	rm, err := e.ds.learnRepeat(ctx, int64(e.cfg.SessionGap.Seconds()))
	if err != nil {
		restore()
		return rep, err
	}
	rb, err := e.ds.learnRebuy(ctx)
	if err != nil {
		restore()
		return rep, err
	}
	rep.Models = append(rep.Models, ModelReport{Name: RetrieverRepeat, Duration: time.Since(t), Size: rm.size(),
		Details: fmt.Sprintf("re-consumption estimated from %d visits; %d purchases read for re-buying", rm.visits, rb.purchases())})

	var fit *fitted
	if e.cfg.AutoTune {
		t = time.Now()
		f, err := e.autoTune(ctx, log, time.Since(start))
		switch {
		case err != nil:
			if ctx.Err() != nil {
				restore()
				return rep, fmt.Errorf("recommend: fit blend weights: %w", err)
			}
			// The models are good; the weights stay what they were.
			log.WarnContext(ctx, "blend weights: fit failed, previous weights kept", "err", err)
			fit = e.models.Load().fit
		case f != nil:
			fit = f
			log.InfoContext(ctx, "blend weights fitted", "weights", f.String(), "duration", time.Since(t))
			rep.Models = append(rep.Models, ModelReport{Name: "blend", Duration: time.Since(t), Details: "weights fitted on validation: " + f.String()})
		}
	}

	e.erasureMu.Lock()
	// Users erased while training ran must not come back with the model.
	if gone := e.ds.unknownUsers(mf.userIDs); len(gone) > 0 {
		mf = mf.withoutUsers(gone)
	}
	prev := e.models.Load()
	e.models.Store(&models{cf: cf, mf: mf, repeat: rm, rebuy: rb, fit: fit, trainedAt: start, trainedSeq: td.seq})
	e.erasureMu.Unlock()
	e.overlay.Store(&overlays{cur: e.overlay.Load().cur})
	e.retire(prev)
	rep.Duration = time.Since(start)
	log.InfoContext(ctx, "training finished", "duration", rep.Duration)
	return rep, nil
}

// retireGrace lets in-flight requests finish with a replaced MF index before
// it is closed.
const retireGrace = 30 * time.Second

func (e *Engine) retire(old *models) {
	if old != nil && old.mf != nil && old.mf.index != nil {
		idx := old.mf.index
		time.AfterFunc(retireGrace, func() {
			if err := idx.Close(); err != nil {
				e.log.Warn("closing retired MF index", "err", err)
			}
		})
	}
}

func (e *Engine) trainMF(ctx context.Context, td *trainData, log interface {
	InfoContext(ctx context.Context, msg string, args ...any)
}) (*mfModel, error) {
	cfg := e.cfg.MF
	progress := func(epoch int) {
		if epoch == 0 || (epoch+1)%5 == 0 {
			log.InfoContext(ctx, "MF epoch done", "algorithm", cfg.Algorithm, "epoch", epoch+1)
		}
	}
	var m *mfModel
	var err error
	if cfg.Algorithm == AlgoBPR {
		m, err = trainBPR(ctx, td, &cfg, bprEpochs(&cfg), progress)
	} else {
		m, err = trainEALS(ctx, td, &cfg, progress)
	}
	if err != nil {
		return nil, err
	}
	if err := e.attach(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// bprEpochs: SGD needs more passes than ALS to converge.
func bprEpochs(cfg *MFConfig) int { return 3 * cfg.Epochs }

// attach marks which items the catalogue knows and, when configured, loads
// the item factors into a new ANN index.
func (e *Engine) attach(ctx context.Context, m *mfModel) error {
	m.servable = make([]bool, len(m.itemIDs))
	prods := e.ds.products(m.itemIDs)
	for i, p := range prods {
		m.servable[i] = p != nil
	}
	if e.deps.NewIndex == nil {
		return nil
	}
	idx, err := e.deps.NewIndex(m.k + 1)
	if err != nil {
		return fmt.Errorf("recommend: new MF index: %w", err)
	}
	if idx == nil {
		return fmt.Errorf("recommend: NewIndex(%d) returned nil", m.k+1)
	}
	err = m.buildIndex(ctx, idx, func(id string) (vector.Payload, bool) {
		if p, ok := e.ds.Product(id); ok {
			return vector.PayloadOf(p), true
		}
		return vector.Payload{}, false
	})
	if err != nil {
		_ = idx.Close()
		return err
	}
	m.index = idx
	return nil
}

// Untrained is how many interactions arrived since the serving models'
// training snapshot (everything, after an erasure): the service's trainer
// decides from it when to train again.
func (e *Engine) Untrained() uint64 {
	seq := e.ds.seq.Load()
	return seq - min(seq, e.trained.Load())
}
