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

	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/resolvers"
	"github.com/shopmuse/shopmuse/store"
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
`

// config is the service configuration, read from the environment.
type config struct {
	Addr     string // SHOPMUSE_ADDR
	Data     string // SHOPMUSE_DATA
	Demo     bool   // SHOPMUSE_DEMO
	LogLevel slog.Level
}

func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		Addr: envOr(getenv, "SHOPMUSE_ADDR", "127.0.0.1:8080"),
		Data: envOr(getenv, "SHOPMUSE_DATA", "./data"),
		Demo: true,
	}
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
	cfg   config
	log   *slog.Logger
	store *store.Store
	ready atomic.Bool
}

// openApp opens the store and wires the services; it loads the demo shop
// into an empty store when configured to.
func openApp(ctx context.Context, cfg config, log *slog.Logger) (*app, error) {
	st, err := store.Open(cfg.Data, store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: st}
	if cfg.Demo {
		if err := a.loadDemo(ctx); err != nil {
			st.Close()
			return nil, err
		}
	}
	return a, nil
}

func (a *app) Close() error { return a.store.Close() }

// handler builds the HTTP routes.
func (a *app) handler() http.Handler {
	gql := handler.New(graph.NewExecutableSchema(resolvers.New(a.store, a.log).Config()))
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
