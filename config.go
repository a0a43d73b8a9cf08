package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/embeddings"
	"github.com/shopmuse/shopmuse/fatigue"
	"github.com/shopmuse/shopmuse/imagevec"
	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/vector/qdrant"
	"github.com/shopmuse/shopmuse/vision"
)

// config is the service configuration, read from the environment. README.md
// has the table; keep the two in step. Sub-commands read only their part:
// import the app's part, campaign export the data directory, and bench,
// eval and help nothing the service needs.
type config struct {
	App      app.Config
	Addr     string // SHOPMUSE_ADDR
	LogLevel slog.Level

	Keys           api.Keys // SHOPMUSE_API_KEYS
	Insecure       bool     // SHOPMUSE_INSECURE: open access on a non-loopback address
	MaxDepth       int
	MaxComplexity  int
	MaxFirst       int
	MaxBodyBytes   int64
	RequestTimeout time.Duration
	RateLimit      float64 // requests per second per client; 0 disables
	RateBurst      int
	Introspection  api.Introspection // SHOPMUSE_INTROSPECTION: on, off or admin
	// MaxSubscriptions caps open subscriptions per WebSocket and per caller.
	MaxSubscriptions int
	MaxTokens        int      // SHOPMUSE_MAX_TOKENS: the parser's token limit
	AllowedHosts     []string // SHOPMUSE_ALLOWED_HOSTS: Host names served; empty: any
	WSInitTimeout    time.Duration
	WSPerAddress     int // SHOPMUSE_WS_PER_ADDRESS: header-less WebSockets one address may hold
	// ShopperRate and ShopperBurst are each shopper token's rate limit.
	ShopperRate  float64
	ShopperBurst int
	// MetricsKey, when set, is required as a bearer key on /metrics.
	MetricsKey string
}

// loadConfig reads the whole service configuration, for serve.
func loadConfig(getenv func(string) string) (config, error) {
	e := envReader{getenv: getenv}
	cfg := config{
		App:              readAppConfig(&e),
		LogLevel:         readLogLevel(&e),
		Addr:             e.str("SHOPMUSE_ADDR", "127.0.0.1:8080"),
		Insecure:         e.boolean("SHOPMUSE_INSECURE", false),
		MaxDepth:         e.integer("SHOPMUSE_MAX_DEPTH", 8, 1, 100),
		MaxComplexity:    e.integer("SHOPMUSE_MAX_COMPLEXITY", 5000, 10, 10_000_000),
		MaxFirst:         e.integer("SHOPMUSE_MAX_FIRST", pagination.DefaultMaxFirst, 1, pagination.HardMaxFirst),
		MaxBodyBytes:     int64(e.integer("SHOPMUSE_MAX_BODY_BYTES", 8<<20, 1024, 1<<30)),
		RequestTimeout:   e.duration("SHOPMUSE_REQUEST_TIMEOUT", 60*time.Second),
		RateLimit:        float64(e.integer("SHOPMUSE_RATE_LIMIT", 1000, 0, 1_000_000)),
		RateBurst:        e.integer("SHOPMUSE_RATE_BURST", 2000, 1, 10_000_000),
		MaxSubscriptions: e.integer("SHOPMUSE_MAX_SUBSCRIPTIONS", 20, 1, 100_000),
		MaxTokens:        e.integer("SHOPMUSE_MAX_TOKENS", api.DefaultMaxTokens, 100, 1_000_000),
		WSInitTimeout:    e.duration("SHOPMUSE_WS_INIT_TIMEOUT", api.DefaultWSInitTimeout),
		WSPerAddress:     e.integer("SHOPMUSE_WS_PER_ADDRESS", api.DefaultWebsocketsPerAddress, 0, 1_000_000),
		ShopperRate:      float64(e.integer("SHOPMUSE_SHOPPER_RATE_LIMIT", 20, 0, 1_000_000)),
		ShopperBurst:     e.integer("SHOPMUSE_SHOPPER_RATE_BURST", 60, 1, 10_000_000),
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		e.fail("SHOPMUSE_ADDR %q: %v", cfg.Addr, err)
	}
	var err error
	if cfg.Keys, err = api.ParseKeys(getenv("SHOPMUSE_API_KEYS")); err != nil {
		e.fail("%v", err)
	}
	cfg.MetricsKey = strings.TrimSpace(getenv("SHOPMUSE_METRICS_KEY"))
	if secret := strings.TrimSpace(getenv("SHOPMUSE_SHOPPER_TOKEN_SECRET")); secret != "" {
		if cfg.Keys, err = cfg.Keys.WithShopperSecret([]byte(secret)); err != nil {
			e.fail("%v", err)
		}
	}
	// Introspection is on for a laptop without keys (GraphiQL), off once
	// keys are set; "admin" lets admin keys introspect.
	cfg.Introspection = api.IntrospectionOn
	if cfg.Keys.Enabled() {
		cfg.Introspection = api.IntrospectionOff
	}
	if v := e.str("SHOPMUSE_INTROSPECTION", ""); v != "" {
		if cfg.Introspection, err = api.ParseIntrospection(v); err != nil {
			e.fail("%v", err)
		}
	}
	if hosts := e.str("SHOPMUSE_ALLOWED_HOSTS", ""); hosts != "" {
		for _, h := range strings.Split(hosts, ",") {
			if h = strings.TrimSpace(h); h != "" {
				cfg.AllowedHosts = append(cfg.AllowedHosts, h)
			}
		}
	} else if !cfg.Keys.Enabled() {
		// Without keys every caller is admin: only pages the user opened
		// on this machine may reach it, not a site that rebinds its DNS
		// name to 127.0.0.1.
		cfg.AllowedHosts = api.LoopbackHosts
	}
	if e.err != nil {
		return cfg, e.err
	}
	if !cfg.Keys.Enabled() && !cfg.Insecure && !isLoopback(cfg.Addr) {
		return cfg, fmt.Errorf("SHOPMUSE_ADDR %s is not a loopback address and no SHOPMUSE_API_KEYS (or SHOPMUSE_SHOPPER_TOKEN_SECRET) are set: "+
			"set keys, or SHOPMUSE_INSECURE=1 to serve everyone without a key", cfg.Addr)
	}
	return cfg, nil
}

// loadAppConfig reads what opening the data directory needs, for the
// sub-commands that open it (import).
func loadAppConfig(getenv func(string) string) (app.Config, slog.Level, error) {
	e := envReader{getenv: getenv}
	cfg, level := readAppConfig(&e), readLogLevel(&e)
	return cfg, level, e.err
}

func readLogLevel(e *envReader) slog.Level {
	var level slog.Level
	if err := level.UnmarshalText([]byte(e.str("SHOPMUSE_LOG_LEVEL", "info"))); err != nil {
		e.fail("SHOPMUSE_LOG_LEVEL: %v", err)
	}
	return level
}

// readAppConfig reads the use cases' settings: data, vectors, embedder,
// LLM, training and recommendation tuning.
func readAppConfig(e *envReader) app.Config {
	cfg := app.Config{
		Data:           e.str("SHOPMUSE_DATA", "./data"),
		Demo:           e.boolean("SHOPMUSE_DEMO", true),
		SaveInterval:   2 * time.Minute,
		TrainAfter:     e.integer("SHOPMUSE_TRAIN_AFTER", 1000, 0, 1<<30),
		TrainEvery:     e.duration("SHOPMUSE_TRAIN_EVERY", 10*time.Minute),
		LLMConcurrency: e.integer("SHOPMUSE_LLM_CONCURRENCY", app.DefaultLLMConcurrency, 1, 10_000),
		CopyReview:     e.boolean("SHOPMUSE_COPY_REVIEW", false),
		UnansweredTTL:  e.duration("SHOPMUSE_UNANSWERED_TTL", app.DefaultUnansweredTTL),
	}
	if cfg.UnansweredTTL < time.Hour || cfg.UnansweredTTL > 10*365*24*time.Hour {
		// Under an hour, a group would expire between a merchant's looks.
		e.fail("SHOPMUSE_UNANSWERED_TTL must be from 1h to 87600h (10 years), got %v", cfg.UnansweredTTL)
	}
	cfg.Store = e.str("SHOPMUSE_STORE", app.StoreBadger)
	if err := app.ParseStore(cfg.Store); err != nil {
		e.fail("SHOPMUSE_STORE: %v", err)
	}
	if v := e.str("SHOPMUSE_VECTOR", "embedded"); v != "embedded" {
		q, err := qdrant.ParseURL(v)
		if err != nil {
			e.fail("SHOPMUSE_VECTOR must be embedded or qdrant://host:port: %v", err)
		}
		q.APIKey = strings.TrimSpace(e.getenv("QDRANT_API_KEY"))
		cfg.Qdrant = &q
	}
	cfg.Replica = e.str("SHOPMUSE_REPLICA", "")
	if !replicaName.MatchString(cfg.Replica) {
		// It reaches logs, lease values and modelInfo.
		e.fail("SHOPMUSE_REPLICA: letters, digits, '.', '_' and '-' only, at most 128, got %.40q", cfg.Replica)
	}
	if urls := strings.TrimSpace(e.getenv("SHOPMUSE_BUS")); urls != "" {
		cfg.Bus = &bus.Config{
			URLs:     urls,
			Stream:   e.str("SHOPMUSE_BUS_STREAM", "shopmuse"),
			Replicas: e.integer("SHOPMUSE_BUS_REPLICAS", 1, 1, 5),
			LeaseTTL: e.duration("SHOPMUSE_LEASE_TTL", 10*time.Second),
		}
		if cfg.Bus.LeaseTTL < time.Second || cfg.Bus.LeaseTTL > 10*time.Minute {
			// Past minutes, a dead holder's work waits that long for another.
			e.fail("SHOPMUSE_LEASE_TTL must be from 1s to 10m, got %v", cfg.Bus.LeaseTTL)
		}
		if !streamName.MatchString(cfg.Bus.Stream) {
			e.fail("SHOPMUSE_BUS_STREAM: letters, digits, '-' and '_' only (at most 64), got %.40q", cfg.Bus.Stream)
		}
		for u := range strings.SplitSeq(urls, ",") {
			u = strings.TrimSpace(u)
			if !strings.HasPrefix(u, "nats://") && !strings.HasPrefix(u, "tls://") {
				e.fail("SHOPMUSE_BUS: %q is not a nats:// or tls:// URL", bus.RedactURLs(u))
			} else if p, err := url.Parse(u); err != nil || p.Hostname() == "" || strings.ContainsAny(u, " \t") {
				e.fail("SHOPMUSE_BUS: %q is not a URL with a host (nats://host:4222)", bus.RedactURLs(u))
			}
		}
	}
	var err error
	if cfg.Embedder, err = embeddings.FromEnv(e.getenv); err != nil {
		e.fail("%v", err)
	}
	if cfg.Tuning, err = recommend.ParseTuning(e.getenv); err != nil {
		e.fail("%v", err)
	}
	// Unset: fatigue.Default, on, as shops expect of a recommender.
	if cfg.Fatigue, err = fatigue.Parse(e.getenv(fatigue.Env)); err != nil {
		e.fail("%v", err)
	}
	if llm, ok, err := copywriter.LLMConfigFrom(e.getenv); err != nil {
		e.fail("%v", err)
	} else if ok {
		cfg.LLM = &llm
	}
	if v, ok, err := vision.ConfigFrom(e.getenv); err != nil {
		e.fail("%v", err)
	} else if ok {
		cfg.Vision = &v
	}
	if allow, err := vision.AllowPrivateFrom(e.getenv); err != nil {
		e.fail("%v", err)
	} else if ic, ok, err := imagevec.FromEnv(e.getenv, allow); err != nil {
		e.fail("%v", err)
	} else if ok {
		cfg.ImageEmbedder = &ic
	}
	return cfg
}

var (
	replicaName = regexp.MustCompile(`^[A-Za-z0-9._-]{0,128}$`)
	streamName  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// isLoopback reports whether the listen address only accepts local clients.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// envReader reads typed variables and keeps the first error.
type envReader struct {
	getenv func(string) string
	err    error
}

func (e *envReader) fail(format string, a ...any) {
	if e.err == nil {
		e.err = fmt.Errorf(format, a...)
	}
}

func (e *envReader) str(k, def string) string {
	if v := strings.TrimSpace(e.getenv(k)); v != "" {
		return v
	}
	return def
}

func (e *envReader) boolean(k string, def bool) bool {
	switch v := strings.ToLower(e.str(k, "")); v {
	case "":
		return def
	case "on", "1", "true", "yes":
		return true
	case "off", "0", "false", "no":
		return false
	default:
		e.fail("%s must be on or off, got %q", k, v)
		return def
	}
}

func (e *envReader) integer(k string, def, lo, hi int) int {
	v := e.str(k, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.fail("%s must be a whole number from %d to %d, got %q", k, lo, hi, v)
		return def
	}
	return n
}

func (e *envReader) duration(k string, def time.Duration) time.Duration {
	v := e.str(k, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.fail("%s must be a duration such as 30s, got %q", k, v)
		return def
	}
	return d
}
