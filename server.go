// Command shopmuse is the shopmuse service: personalised product
// recommendations and marketing copy over GraphQL.
//
//	go run .                 start the service (demo shop on first start)
//	go run . import ...      load products, users and interactions from files
//
// Configuration is environment variables; see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/resolvers"
	"github.com/shopmuse/shopmuse/search"
	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/hnsw"
	"github.com/shopmuse/shopmuse/vector/qdrant"
	"github.com/shopmuse/shopmuse/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "shopmuse:", err)
		os.Exit(1)
	}
}

// run dispatches to a sub-command; with none it serves.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if len(args) == 0 || args[0] == "serve" {
		return serve(ctx, cfg, log, nil)
	}
	switch args[0] {
	case "import":
		return runImport(ctx, cfg, log, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "eval":
		return runEval(ctx, cfg, args[1:], stdout, stderr)
	case "campaign":
		return runCampaign(ctx, cfg, log, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

const usage = `usage: shopmuse [command]

  (none), serve   start the GraphQL service
  import          load products, users and interactions from JSONL or CSV files
                  (shopmuse import --products F --users F --interactions F)
  bench ann       ANN recall and QPS on fvecs/ivecs files (bench ann --help)
  bench load      fixed-rate mixed GraphQL load against a running server
  eval --interactions F ...          offline recommendation evaluation (eval --help)
  eval --gen users=N,... --out DIR  a synthetic shop in the import formats
  eval copy       copy quality and latency over the demo shop
  campaign export ID --out F.jsonl   a campaign's messages as JSON lines
`

// app is the wired service.
type app struct {
	cfg       config
	log       *slog.Logger
	store     *store.Store
	vectors   vector.Index
	search    *search.Service
	copy      *copywriter.Writer
	recommend *recommend.Engine
	engage    *engage.Service
	// trainFirst: no model snapshot was found, so serve trains at once.
	trainFirst bool
	metrics    *api.Metrics
	ready      atomic.Bool
}

// openApp opens the store and wires the services; it loads the demo shop
// into an empty store when configured to.
func openApp(ctx context.Context, cfg config, log *slog.Logger) (_ *app, err error) {
	st, err := store.Open(cfg.storeDir(), store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: st, metrics: api.NewMetrics()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if cfg.Demo {
		if err := a.loadDemo(ctx); err != nil {
			return nil, err
		}
	}
	if err := a.openSearch(ctx); err != nil {
		return nil, err
	}
	if err := a.openCopy(); err != nil {
		return nil, err
	}
	if err := a.openRecommend(ctx); err != nil {
		return nil, err
	}
	if a.engage, err = engage.New(a.store, a.recommend, a.copy, engage.Config{Log: a.log}); err != nil {
		return nil, err
	}
	return a, nil
}

// openCopy builds the copy writer: the built-in writer, and the LLM writer
// when SHOPMUSE_LLM names a provider.
func (a *app) openCopy() error {
	var llm *copywriter.LLMWriter
	if a.cfg.LLM != nil {
		c := *a.cfg.LLM
		c.Logger = a.log
		c.HTTPClient = &http.Client{Transport: a.metrics.InstrumentLLM(c.Provider, nil)}
		var err error
		if llm, err = copywriter.NewLLMWriter(c); err != nil {
			return err
		}
	}
	a.copy = copywriter.NewWriter(copywriter.Config{LLM: llm, Cache: copyCache{a.store}, Logger: a.log})
	a.log.Info("copy writer ready", "generator", a.copy.Generator())
	return nil
}

// openSearch opens the product vector index (embedded HNSW or Qdrant) for
// the configured embedder and brings it up to date with the catalogue.
func (a *app) openSearch(ctx context.Context) error {
	emb, err := a.cfg.Embedder.New(ctx)
	if err != nil {
		return fmt.Errorf("embedder: %w", err)
	}
	opts := search.Options{Log: a.log}
	// One collection per embedder: vectors of two embedders never mix.
	name := "products-" + safeName(emb.Name())
	if a.cfg.Vector == "embedded" {
		if err := os.MkdirAll(a.cfg.vectorDir(), 0o755); err != nil {
			return err
		}
		idx, err := hnsw.Open(filepath.Join(a.cfg.vectorDir(), name+".hnsw"), emb.Dim(), hnsw.Options{})
		switch {
		case errors.Is(err, hnsw.ErrNeedsRebuild):
			a.log.Info("vector index will be built from the store", "reason", err.Error())
			opts.Rebuild = true
		case err != nil:
			return err
		}
		a.vectors, opts.Save = idx, idx.Save
	} else {
		q := a.cfg.Qdrant
		q.Collection, q.Dim = "shopmuse_"+strings.ReplaceAll(name, "-", "_"), emb.Dim()
		idx, err := qdrant.Open(ctx, q)
		if err != nil {
			return err
		}
		a.vectors = idx
	}
	a.search, err = search.Open(ctx, a.store, emb, a.vectors, opts)
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

// Close saves the indexes and closes everything, store last.
func (a *app) Close() error {
	var errs []error
	if a.search != nil {
		errs = append(errs, a.search.Save(context.Background()))
	}
	if a.vectors != nil {
		errs = append(errs, a.vectors.Close())
	}
	errs = append(errs, a.store.Close())
	return errors.Join(errs...)
}

// handler builds the HTTP routes.
func (a *app) handler() http.Handler {
	res := resolvers.New(resolvers.Services{Store: a.store, Search: a.search, Copy: a.copy, Metrics: a.metrics,
		Recommend: a.recommend, AfterTrain: a.afterTrain, SaveModels: a.saveModels, Engage: a.engage, Log: a.log, MaxFirst: a.cfg.MaxFirst})
	gql := api.GraphQLHandler(graph.NewExecutableSchema(res.Config()), api.Options{
		Keys:          a.cfg.Keys,
		MaxDepth:      a.cfg.MaxDepth,
		MaxComplexity: a.cfg.MaxComplexity,
		Introspection: a.cfg.Introspection,
		Timeout:       a.cfg.RequestTimeout,
		Metrics:       a.metrics,
		Log:           a.log,
		Middleware:    []graphql.OperationMiddleware{res.LoaderMiddleware},
	})
	limiter := api.NewRateLimiter(a.cfg.RateLimit, a.cfg.RateBurst)
	// Read inside out: bound the work, limit the rate, authenticate.
	var endpoint http.Handler = gql
	endpoint = api.SpecStatus(endpoint)
	endpoint = api.LimitBody(a.cfg.MaxBodyBytes, endpoint)
	endpoint = limiter.Middleware(a.cfg.Keys.ClientOf, endpoint)
	endpoint = a.cfg.Keys.Authenticate(endpoint)

	mux := http.NewServeMux()
	mux.Handle("/graphql", endpoint)
	ui := web.GraphiQL() // offline GraphiQL, embedded in the binary
	mux.Handle("GET /{$}", ui)
	mux.Handle("GET /graphiql/", ui)
	mux.Handle("GET /metrics", a.metrics.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !a.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"status":"starting"}`)
			return
		}
		io.WriteString(w, `{"status":"ready"}`)
	})
	return api.Logging(a.log, a.metrics.CountHTTP(mux))
}

// updateStoreGauges refreshes the store size gauges until ctx ends.
func (a *app) updateStoreGauges(ctx context.Context) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		lsm, vlog := a.store.Sizes()
		a.metrics.StoreBytes.WithLabelValues("lsm").Set(float64(lsm))
		a.metrics.StoreBytes.WithLabelValues("vlog").Set(float64(vlog))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// serve runs the HTTP server until ctx ends, then finishes in-flight requests
// and closes the store. onListen, when set, learns the bound address (tests
// listen on port 0).
func serve(ctx context.Context, cfg config, log *slog.Logger, onListen func(addr string)) error {
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	// Requests outlive the signal (Shutdown lets them finish) but not the
	// shutdown itself: streams and WebSockets, which Shutdown does not wait
	// for or cannot see, end when it starts.
	reqCtx, endRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer endRequests()
	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
	}
	srv.RegisterOnShutdown(endRequests)
	// Background work stops with the server, before the store closes.
	bg, stopBG := context.WithCancel(ctx)
	var workers sync.WaitGroup
	for _, run := range []func(context.Context){
		func(c context.Context) { a.search.SaveEvery(c, cfg.SaveInterval) },
		a.updateStoreGauges,
		a.recommend.Run,
		a.initialTraining,
		a.engage.Run, // its last flush of impressions precedes closing the store
	} {
		workers.Add(1)
		go func() { defer workers.Done(); run(bg) }()
	}
	defer func() { stopBG(); workers.Wait() }()
	if !cfg.Keys.Enabled() {
		log.Warn("no SHOPMUSE_API_KEYS: every client has full access", "addr", ln.Addr().String())
	}
	a.ready.Store(true)
	log.Info("shopmuse listening", "addr", ln.Addr().String(), "graphiql", "http://"+ln.Addr().String()+"/", "data", cfg.Data)
	if onListen != nil {
		onListen(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
