// Package app is shopmuse's use-case layer: every write fans out from here
// (normalise → one store transaction → recommender → search), models are
// trained and saved through one entry, and background work runs under one
// lifetime. It knows nothing of GraphQL or HTTP: the resolvers, the importer,
// the demo seed and the sub-commands all call it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/embeddings"
	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/experiment"
	"github.com/shopmuse/shopmuse/fatigue"
	"github.com/shopmuse/shopmuse/imagevec"
	"github.com/shopmuse/shopmuse/merch"
	"github.com/shopmuse/shopmuse/metrics"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/review"
	"github.com/shopmuse/shopmuse/search"
	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/hnsw"
	"github.com/shopmuse/shopmuse/vector/qdrant"
	"github.com/shopmuse/shopmuse/vision"
)

// Config is what the use cases need; package main reads it from the
// environment. The zero value of every field but Data is a working default.
type Config struct {
	// Data is the data directory: badger/ and vectors/ live under it.
	Data string
	// Store is the store backend: "badger" (default: Badger under Data) or
	// a postgres://user:pass@host:5432/db URL, shared by several replicas
	// (then the model snapshot is kept in the store, not under Data).
	Store string
	// Demo loads the demo shop into an empty store, once.
	Demo bool
	// Qdrant, when set, keeps product vectors in Qdrant instead of the
	// embedded HNSW index under Data.
	Qdrant *qdrant.Config
	// Embedder embeds products and declared interests (zero: built-in).
	Embedder embeddings.Config
	// LLM configures the LLM copy writer; nil: built-in templates only.
	LLM *copywriter.LLMConfig
	// LLMConcurrency bounds the LLM calls in flight (default
	// DefaultLLMConcurrency); past it, calls wait briefly and then the
	// built-in writer answers (counted in shopmuse_llm_saturated_total).
	LLMConcurrency int
	// CopyReview (SHOPMUSE_COPY_REVIEW=on): new copy variants wait for an
	// admin's approval, and shoppers are served approved copy only.
	CopyReview bool
	// Vision configures the image reader for image facts; nil: none.
	Vision *vision.Config
	// ImageEmbedder embeds product images for similarProducts and content
	// recommendations (SHOPMUSE_IMAGE_EMBEDDER); nil: off.
	ImageEmbedder *imagevec.Config
	// Tuning overrides the recommender's defaults, as `eval --tune` prints.
	Tuning recommend.Tuning
	// Background training: after TrainAfter new interactions or every
	// TrainEvery if anything changed, whichever comes first (zero disables
	// that trigger).
	TrainAfter int
	TrainEvery time.Duration
	// SaveInterval is how often the embedded vector index is saved
	// (default 2 minutes).
	SaveInterval time.Duration
	// GCInterval is how often the store's value log is garbage-collected
	// (default 10 minutes; also after every model snapshot).
	GCInterval time.Duration
	// Bus, when set, makes this process one replica of several sharing
	// the store: changes travel between them over NATS JetStream and
	// once-only work runs under leases (app/replicas.go).
	Bus *bus.Config
	// Replica names this process in leases and modelInfo (default: host
	// name and process ID).
	Replica string
	// OpenedStore, when set, is used instead of opening one under Data,
	// and Close leaves it open: replicas in one test process share it.
	OpenedStore store.Store
	// Fatigue is the frequency cap (SHOPMUSE_REC_FATIGUE); the zero value
	// is off.
	Fatigue fatigue.Config
	// UnansweredTTL is how long an unansweredQuestions group stays
	// without being asked (SHOPMUSE_UNANSWERED_TTL; default
	// DefaultUnansweredTTL, 90 days).
	UnansweredTTL time.Duration
	// FlushEvery is how often buffered showings and experiment exposures
	// reach the store (default DefaultFlushEvery).
	FlushEvery time.Duration
	// Now is the clock of the store and the recommender (default time.Now).
	Now func() time.Time
	// Logger (default slog.Default) and Metrics (default a fresh registry).
	Logger  *slog.Logger
	Metrics *metrics.Metrics
}

// StoreDir and VectorDir are the data directory's two parts.
func (c Config) StoreDir() string  { return filepath.Join(c.Data, "badger") }
func (c Config) VectorDir() string { return filepath.Join(c.Data, "vectors") }

// App is the opened service: the engines and the use cases over them. The
// engines are exported for reads (queries go straight to them); every write
// goes through App's methods so the derived indexes follow the store.
type App struct {
	Store  store.Store
	Search *search.Service
	// Images keeps product image vectors; nil unless ImageEmbedder is set.
	Images    *imagevec.Service
	Copy      *copywriter.Writer
	Recommend *recommend.Engine
	Engage    *engage.Service
	Metrics   *metrics.Metrics
	// Fatigue caps showings without a reaction; Experiments assigns arms
	// and counts their outcomes (Experiments.Reload re-reads them).
	Fatigue     *fatigue.Tracker
	Experiments *experiment.Manager
	// Review holds copy review records, their audit log and image facts.
	Review *review.Service
	// Merch keeps the merchandising rules and installs them in Recommend;
	// its Reload re-reads them (ReloadMerchandisingRules).
	Merch *merch.Service

	cfg     Config
	log     *slog.Logger
	vectors vector.Index
	// trainFirst: no usable model snapshot was found, so Run trains at once.
	trainFirst bool

	// life ends when Close starts: training detached from a request still
	// stops for shutdown. work counts the trainings and saves in flight,
	// which Close waits for before it closes the store.
	life    context.Context
	endLife context.CancelFunc
	work    sync.WaitGroup
	// closeMu orders detach's check-and-count against Close's end of life,
	// so no save starts after Close began waiting.
	closeMu sync.Mutex

	vision         *vision.Extractor
	imageMalformed prometheus.Counter
	batches        batchJobs

	// putSnapshot replaces the snapshot write in tests (nil: the store).
	putSnapshot func(ctx context.Context, snap []byte) error

	rep replicaState
	// The shopping assistant (assistant*.go), and the LLM client it shares
	// with the copy writer (nil without an LLM).
	assist     *assistantState
	qas        *qaIndex
	unanswered *unansweredLog
	llmHTTP    *http.Client
	// llmLimit bounds the model calls in flight, of every caller (llm).
	llmLimit *llmLimiter
}

// Open opens the store, loads the demo shop when configured and the store
// is empty, and wires search, copy, recommendations and engagement. The
// recommender is replayed from the store and its last snapshot restored, so
// a restart serves at once.
func Open(ctx context.Context, cfg Config) (_ *App, err error) {
	if cfg.Data == "" {
		return nil, errors.New("app: Config.Data (the data directory) is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SaveInterval <= 0 {
		cfg.SaveInterval = 2 * time.Minute
	}
	if cfg.GCInterval <= 0 {
		cfg.GCInterval = 10 * time.Minute
	}
	if cfg.Replica == "" {
		cfg.Replica = DefaultReplica()
	}
	var st store.Store = cfg.OpenedStore
	if st == nil {
		if st, err = OpenStore(ctx, cfg); err != nil {
			return nil, err
		}
	}
	a := &App{Store: st, Metrics: cfg.Metrics, cfg: cfg, log: cfg.Logger}
	a.life, a.endLife = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if cfg.Bus != nil {
		if err := a.openBus(ctx); err != nil {
			return nil, err
		}
	}
	if err := a.openSearch(ctx); err != nil {
		return nil, err
	}
	if err := a.openImages(ctx); err != nil {
		return nil, err
	}
	if err := a.openReview(); err != nil {
		return nil, err
	}
	if err := a.openCopy(); err != nil {
		return nil, err
	}
	if err := a.openRecommend(ctx); err != nil {
		return nil, err
	}
	if err := a.openMerchandising(ctx); err != nil {
		return nil, err
	}
	if err := a.openAssistant(ctx); err != nil {
		return nil, err
	}
	// The demo shop is written through the use cases, like any client's
	// data, once the engines it feeds are open.
	if cfg.Demo {
		if err := a.loadDemo(ctx); err != nil {
			return nil, fmt.Errorf("demo shop: %w", err)
		}
		// The demo went in through Upsert, into an index fitted on an
		// empty catalogue: fit the embedder on it before serving.
		if err := a.Search.Refit(ctx); err != nil {
			return nil, err
		}
	}
	if a.Engage, err = engage.New(a.Store, a.Recommend, a.Copy, a.engageConfig()); err != nil {
		return nil, err
	}
	if err := a.openExperiments(ctx); err != nil {
		return nil, err
	}
	if err := a.backfillImages(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// openCopy builds the copy writer: the built-in writer, and the LLM writer
// when an LLM is configured.
func (a *App) openCopy() error {
	var llm *copywriter.LLMWriter
	if a.cfg.LLM != nil {
		c := *a.cfg.LLM
		c.Logger = a.log
		lim, err := a.llm()
		if err != nil {
			return err
		}
		c.HTTPClient = &http.Client{Transport: lim.wrap(a.Metrics.InstrumentLLM(c.Provider, nil), llmQueueWait)}
		a.llmHTTP = c.HTTPClient
		if llm, err = copywriter.NewLLMWriter(c); err != nil {
			return err
		}
	}
	a.Copy = copywriter.NewWriter(copywriter.Config{LLM: llm, Cache: copyCache{a.Store}, Facts: a.Review, Logger: a.log})
	a.log.Info("copy writer ready", "generator", a.Copy.Generator())
	return nil
}

// openSearch opens the product vector index (embedded HNSW or Qdrant) for
// the configured embedder and brings it up to date with the catalogue.
func (a *App) openSearch(ctx context.Context) error {
	emb, err := a.cfg.Embedder.New(ctx)
	if err != nil {
		return fmt.Errorf("embedder: %w", err)
	}
	opts := search.Options{Log: a.log}
	// One collection per embedder: vectors of two embedders never mix.
	name := "products-" + safeName(emb.Name())
	if a.cfg.Qdrant == nil {
		if err := os.MkdirAll(a.cfg.VectorDir(), 0o755); err != nil {
			return err
		}
		idx, err := hnsw.Open(filepath.Join(a.cfg.VectorDir(), name+".hnsw"), emb.Dim(), hnsw.Options{})
		switch {
		case errors.Is(err, hnsw.ErrNeedsRebuild):
			a.log.Info("vector index will be built from the store", "reason", err.Error())
			opts.Rebuild = true
		case err != nil:
			return err
		}
		a.vectors, opts.Save = idx, idx.Save
	} else {
		q := *a.cfg.Qdrant
		q.Collection, q.Dim = "shopmuse_"+strings.ReplaceAll(name, "-", "_"), emb.Dim()
		idx, err := qdrant.Open(ctx, q)
		if err != nil {
			return err
		}
		a.vectors = idx
	}
	a.Search, err = search.Open(ctx, a.Store, emb, a.vectors, opts)
	return err
}

// safeName keeps letters, digits, '-' and '_' of an embedder name for use
// in file and collection names.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

// Run does the background work until ctx ends: the first training when
// there was no snapshot, training when enough has changed, saving the
// vector index, the store size gauges, and campaigns and impression
// flushes. It returns when all of it has stopped.
func (a *App) Run(ctx context.Context) {
	var workers sync.WaitGroup
	for _, run := range []func(context.Context){
		func(c context.Context) { a.Search.SaveEvery(c, a.cfg.SaveInterval) },
		a.updateStoreGauges,
		func(c context.Context) {
			if a.rep.bus == nil {
				a.trainWhenDue(c)
			} else {
				a.runReplica(c) // training under the trainer lease, among the rest
			}
		},
		func(c context.Context) {
			store.CollectGarbageEvery(c, a.Store, a.cfg.GCInterval, func(err error) { a.log.Warn("value log GC", "err", err) })
		},
		a.Engage.Run, // its last flush of impressions precedes closing the store
		a.flushCountsEvery,
		a.flushUnansweredEvery,
	} {
		workers.Add(1)
		go func() { defer workers.Done(); run(ctx) }()
	}
	workers.Wait()
}

// updateStoreGauges refreshes the store size gauges until ctx ends.
func (a *App) updateStoreGauges(ctx context.Context) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		if sz, ok := a.Store.(store.Sizer); ok {
			lsm, vlog := sz.Sizes()
			a.Metrics.StoreBytes.WithLabelValues("lsm").Set(float64(lsm))
			a.Metrics.StoreBytes.WithLabelValues("vlog").Set(float64(vlog))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops training in flight, waits for it and for snapshot saves,
// saves the vector index and closes everything, store last. Run must have
// returned before Close is called.
func (a *App) Close() error {
	a.closeMu.Lock()
	a.endLife()
	a.closeMu.Unlock()
	a.work.Wait()
	var errs []error
	if a.Experiments != nil {
		// Counts buffered without Run (tests, commands) reach the store too.
		errs = append(errs, a.FlushCounts(context.Background()))
	}
	if a.unanswered != nil {
		// Counts recorded without Run (commands, tests) reach the store too.
		errs = append(errs, a.flushUnanswered(context.Background()))
	}
	if a.Images != nil {
		errs = append(errs, a.Images.Close())
	}
	if a.Search != nil {
		errs = append(errs, a.Search.Save(context.Background()))
	}
	if a.vectors != nil {
		errs = append(errs, a.vectors.Close())
	}
	if a.rep.bus != nil {
		a.rep.bus.Close()
	}
	if a.cfg.OpenedStore == nil {
		errs = append(errs, a.Store.Close())
	}
	return errors.Join(errs...)
}
