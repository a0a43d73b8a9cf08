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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/resolvers"
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

// run dispatches to a sub-command; with none it serves. Each command reads
// only the configuration it needs, so a bad service setting does not stop
// bench, eval or help.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "serve" {
		cfg, err := loadConfig(getenv)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	}
	switch args[0] {
	case "import":
		return runImport(ctx, getenv, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "eval":
		return runEval(ctx, getenv, args[1:], stdout, stderr)
	case "campaign":
		return runCampaign(ctx, getenv, args[1:], stdout, stderr)
	case "token":
		return runToken(getenv, args[1:], stdout, stderr)
	case "probe":
		return runProbe(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
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
  token --user ID [--ttl 1h]         a shopper token (needs SHOPMUSE_SHOPPER_TOKEN_SECRET)
  probe [URL]     exit 0 when URL (default http://127.0.0.1:8080/readyz) answers 200
`

// handler builds the HTTP routes over an opened app; ready answers /readyz.
func handler(a *app.App, cfg config, log *slog.Logger, ready *atomic.Bool) http.Handler {
	res := resolvers.New(a, resolvers.Options{Log: log, MaxFirst: cfg.MaxFirst})
	limiter := api.NewRateLimiter(cfg.RateLimit, cfg.RateBurst)
	limiter.SetShopperRate(cfg.ShopperRate, cfg.ShopperBurst)
	gql := api.GraphQLHandler(graph.NewExecutableSchema(res.Config()), api.Options{
		Keys:          cfg.Keys,
		MaxDepth:      cfg.MaxDepth,
		MaxComplexity: cfg.MaxComplexity,
		Introspection: cfg.Introspection,
		Timeout:       cfg.RequestTimeout,
		MaxTokens:     cfg.MaxTokens,
		WSInitTimeout: cfg.WSInitTimeout,
		Streams:       api.NewStreamLimits(limiter, cfg.MaxSubscriptions),
		Metrics:       a.Metrics,
		Log:           log,
		Middleware:    []graphql.OperationMiddleware{res.LoaderMiddleware},
	})
	// Read inside out: bound the work, limit the rate, authenticate.
	var endpoint http.Handler = gql
	endpoint = api.SpecStatus(endpoint)
	endpoint = api.LimitBody(cfg.MaxBodyBytes, endpoint)
	endpoint = limiter.Middleware(api.RequestClient, endpoint)
	endpoint = cfg.Keys.Authenticate(endpoint)
	endpoint = api.LimitWebsocketsPerAddress(cfg.WSPerAddress, endpoint)

	mux := http.NewServeMux()
	mux.Handle("/graphql", endpoint)
	ui := web.GraphiQL() // offline GraphiQL, embedded in the binary
	mux.Handle("GET /{$}", ui)
	mux.Handle("GET /graphiql/", ui)
	console := web.Console() // the merchant console, embedded too
	mux.Handle("GET /console", console)
	mux.Handle("GET /console/", console)
	mux.Handle("GET /metrics", api.RequireKey(cfg.MetricsKey, a.Metrics.Handler()))
	// Probes come with the pod's address as Host: they skip the Host check
	// (they reveal nothing a rebound page could use).
	probes := http.NewServeMux()
	probes.Handle("/", api.AllowedHosts(cfg.AllowedHosts, mux))
	probes.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	probes.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// Ready once listening with the store open, a model loaded and,
		// with a bus, the changes made before the start applied.
		ok, reason := a.Ready()
		if !ready.Load() || !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			if reason == "" {
				reason = "starting"
			}
			json.NewEncoder(w).Encode(map[string]string{"status": "starting", "reason": reason})
			return
		}
		io.WriteString(w, `{"status":"ready"}`)
	})
	return api.Logging(log, api.CountHTTP(a.Metrics, probes))
}

// serve runs the HTTP server until ctx ends, then finishes in-flight requests
// and closes the store. onListen, when set, learns the bound address (tests
// listen on port 0).
func serve(ctx context.Context, cfg config, log *slog.Logger, onListen func(addr string)) error {
	acfg := cfg.App
	acfg.Logger = log
	a, err := app.Open(ctx, acfg)
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
	var ready atomic.Bool
	srv := &http.Server{
		Handler:           handler(a, cfg, log, &ready),
		ReadHeaderTimeout: 10 * time.Second,
		// A request, body included, must arrive within ReadTimeout. Streams
		// are not cut by it: net/http lifts the read deadline once a body
		// has been read to its end (SSE) and when a connection is hijacked
		// (WebSocket, where the connection_init deadline takes over). No
		// WriteTimeout: streams write for as long as they live, and
		// OperationTimeout bounds queries.
		ReadTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return reqCtx },
	}
	srv.RegisterOnShutdown(endRequests)
	// Background work stops with the server, before the store closes.
	bg, stopBG := context.WithCancel(ctx)
	bgDone := make(chan struct{})
	go func() { defer close(bgDone); a.Run(bg) }()
	defer func() { stopBG(); <-bgDone }()
	if !cfg.Keys.Enabled() {
		log.Warn("no SHOPMUSE_API_KEYS: every client has full access", "addr", ln.Addr().String())
	}
	ready.Store(true)
	log.Info("shopmuse listening", "addr", ln.Addr().String(), "graphiql", "http://"+ln.Addr().String()+"/", "data", cfg.App.Data)
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
