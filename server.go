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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shopmuse/shopmuse/embeddings"
	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/resolvers"
	"github.com/shopmuse/shopmuse/search"
	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/hnsw"
	"github.com/shopmuse/shopmuse/vector/qdrant"
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
`

// config is the service configuration, read from the environment.
type config struct {
	Addr     string // SHOPMUSE_ADDR
	Data     string // SHOPMUSE_DATA: badger/ and vectors/ live under it
	Demo     bool   // SHOPMUSE_DEMO
	LogLevel slog.Level
	// Vector is "embedded" or a qdrant:// URL (SHOPMUSE_VECTOR).
	Vector       string
	Qdrant       qdrant.Config // parsed from Vector, with QDRANT_API_KEY
	Embedder     embeddings.Config
	SaveInterval time.Duration
}

// storeDir and vectorDir are the data directory's two parts.
func (c config) storeDir() string  { return filepath.Join(c.Data, "badger") }
func (c config) vectorDir() string { return filepath.Join(c.Data, "vectors") }

func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		Addr:         envOr(getenv, "SHOPMUSE_ADDR", "127.0.0.1:8080"),
		Data:         envOr(getenv, "SHOPMUSE_DATA", "./data"),
		Demo:         true,
		Vector:       envOr(getenv, "SHOPMUSE_VECTOR", "embedded"),
		SaveInterval: 2 * time.Minute,
	}
	if cfg.Vector != "embedded" {
		q, err := qdrant.ParseURL(cfg.Vector)
		if err != nil {
			return cfg, fmt.Errorf("SHOPMUSE_VECTOR must be embedded or qdrant://host:port: %w", err)
		}
		q.APIKey = strings.TrimSpace(getenv("QDRANT_API_KEY"))
		cfg.Qdrant = q
	}
	emb, err := embeddings.FromEnv(getenv)
	if err != nil {
		return cfg, err
	}
	cfg.Embedder = emb
	switch v := strings.ToLower(envOr(getenv, "SHOPMUSE_DEMO", "on")); v {
	case "on", "1", "true", "yes":
	case "off", "0", "false", "no":
		cfg.Demo = false
	default:
		return cfg, fmt.Errorf("SHOPMUSE_DEMO must be on or off, got %q", v)
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(envOr(getenv, "SHOPMUSE_LOG_LEVEL", "info"))); err != nil {
		return cfg, fmt.Errorf("SHOPMUSE_LOG_LEVEL: %w", err)
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return cfg, fmt.Errorf("SHOPMUSE_ADDR %q: %w", cfg.Addr, err)
	}
	return cfg, nil
}

func envOr(getenv func(string) string, k, def string) string {
	if v := strings.TrimSpace(getenv(k)); v != "" {
		return v
	}
	return def
}

// app is the wired service.
type app struct {
	cfg     config
	log     *slog.Logger
	store   *store.Store
	vectors vector.Index
	search  *search.Service
	ready   atomic.Bool
}

// openApp opens the store and wires the services; it loads the demo shop
// into an empty store when configured to.
func openApp(ctx context.Context, cfg config, log *slog.Logger) (_ *app, err error) {
	st, err := store.Open(cfg.storeDir(), store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: st}
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
	return a, nil
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
	gql := handler.New(graph.NewExecutableSchema(resolvers.New(resolvers.Services{Store: a.store, Search: a.search, Log: a.log}).Config()))
	// SSE and WebSocket carry subscriptions; SSE must come before POST, which
	// would otherwise take text/event-stream requests.
	gql.AddTransport(transport.SSE{})
	gql.AddTransport(transport.Websocket{
		Implementation:        transport.CoderWebsocketImplementation{},
		KeepAlivePingInterval: 10 * time.Second,
	})
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(transport.POST{})
	gql.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	gql.Use(extension.Introspection{})
	gql.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})

	mux := http.NewServeMux()
	mux.Handle("/graphql", gql)
	mux.Handle("GET /{$}", playground.Handler("shopmuse", "/graphql"))
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
	return mux
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
	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go a.search.SaveEvery(ctx, cfg.SaveInterval)
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
