package main

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/embeddings"
	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/vector/qdrant"
)

// config is the service configuration, read from the environment. README.md
// has the table; keep the two in step.
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

	Keys           api.Keys // SHOPMUSE_API_KEYS
	Insecure       bool     // SHOPMUSE_INSECURE: open access on a non-loopback address
	MaxDepth       int
	MaxComplexity  int
	MaxFirst       int
	MaxBodyBytes   int64
	RequestTimeout time.Duration
	RateLimit      float64 // requests per second per client; 0 disables
	RateBurst      int
	Introspection  bool
	// Background training: after TrainAfter new interactions or every
	// TrainEvery (SHOPMUSE_TRAIN_AFTER, SHOPMUSE_TRAIN_EVERY).
	TrainAfter int
	TrainEvery time.Duration
	// Recommendation tuning, as `eval --tune` prints it: blend weights
	// (SHOPMUSE_REC_WEIGHTS), MMR lambda (SHOPMUSE_REC_MMR_LAMBDA), the
	// per-category share of a page (SHOPMUSE_REC_CATEGORY_CAP) and matrix
	// factorisation settings (SHOPMUSE_REC_MF). Zero values keep the engine's
	// defaults.
	RecWeights     map[string]float64
	RecMMRLambda   float64
	RecCategoryCap float64
	RecMF          recommend.MFOverrides
	// LLM configures the LLM copy writer (SHOPMUSE_LLM); nil: built-in only.
	LLM *copywriter.LLMConfig
}

// storeDir and vectorDir are the data directory's two parts.
func (c config) storeDir() string  { return filepath.Join(c.Data, "badger") }
func (c config) vectorDir() string { return filepath.Join(c.Data, "vectors") }

func loadConfig(getenv func(string) string) (config, error) {
	e := envReader{getenv: getenv}
	cfg := config{
		Addr:           e.str("SHOPMUSE_ADDR", "127.0.0.1:8080"),
		Data:           e.str("SHOPMUSE_DATA", "./data"),
		Demo:           e.boolean("SHOPMUSE_DEMO", true),
		Vector:         e.str("SHOPMUSE_VECTOR", "embedded"),
		SaveInterval:   2 * time.Minute,
		Insecure:       e.boolean("SHOPMUSE_INSECURE", false),
		MaxDepth:       e.integer("SHOPMUSE_MAX_DEPTH", 8, 1, 100),
		MaxComplexity:  e.integer("SHOPMUSE_MAX_COMPLEXITY", 5000, 10, 10_000_000),
		MaxFirst:       e.integer("SHOPMUSE_MAX_FIRST", pagination.DefaultMaxFirst, 1, pagination.HardMaxFirst),
		MaxBodyBytes:   int64(e.integer("SHOPMUSE_MAX_BODY_BYTES", 8<<20, 1024, 1<<30)),
		RequestTimeout: e.duration("SHOPMUSE_REQUEST_TIMEOUT", 60*time.Second),
		RateLimit:      float64(e.integer("SHOPMUSE_RATE_LIMIT", 1000, 0, 1_000_000)),
		RateBurst:      e.integer("SHOPMUSE_RATE_BURST", 2000, 1, 10_000_000),
		Introspection:  e.boolean("SHOPMUSE_INTROSPECTION", true),
		TrainAfter:     e.integer("SHOPMUSE_TRAIN_AFTER", 1000, 0, 1<<30),
		TrainEvery:     e.duration("SHOPMUSE_TRAIN_EVERY", 10*time.Minute),
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(e.str("SHOPMUSE_LOG_LEVEL", "info"))); err != nil {
		e.fail("SHOPMUSE_LOG_LEVEL: %v", err)
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		e.fail("SHOPMUSE_ADDR %q: %v", cfg.Addr, err)
	}
	if cfg.Vector != "embedded" {
		q, err := qdrant.ParseURL(cfg.Vector)
		if err != nil {
			e.fail("SHOPMUSE_VECTOR must be embedded or qdrant://host:port: %v", err)
		}
		q.APIKey = strings.TrimSpace(getenv("QDRANT_API_KEY"))
		cfg.Qdrant = q
	}
	var err error
	if cfg.Embedder, err = embeddings.FromEnv(getenv); err != nil {
		e.fail("%v", err)
	}
	if cfg.RecWeights, err = recommend.ParseWeights(getenv("SHOPMUSE_REC_WEIGHTS")); err != nil {
		e.fail("SHOPMUSE_REC_WEIGHTS: %v", err)
	}
	if cfg.RecMF, err = recommend.ParseMFOverrides(getenv("SHOPMUSE_REC_MF")); err != nil {
		e.fail("SHOPMUSE_REC_MF: %v", err)
	}
	cfg.RecMMRLambda = e.fraction("SHOPMUSE_REC_MMR_LAMBDA")
	cfg.RecCategoryCap = e.fraction("SHOPMUSE_REC_CATEGORY_CAP")
	if cfg.Keys, err = api.ParseKeys(getenv("SHOPMUSE_API_KEYS")); err != nil {
		e.fail("%v", err)
	}
	if llm, ok, err := copywriter.LLMConfigFrom(getenv); err != nil {
		e.fail("%v", err)
	} else if ok {
		cfg.LLM = &llm
	}
	if e.err != nil {
		return cfg, e.err
	}
	if !cfg.Keys.Enabled() && !cfg.Insecure && !isLoopback(cfg.Addr) {
		return cfg, fmt.Errorf("SHOPMUSE_ADDR %s is not a loopback address and no SHOPMUSE_API_KEYS are set: "+
			"set keys, or SHOPMUSE_INSECURE=1 to serve everyone without a key", cfg.Addr)
	}
	return cfg, nil
}

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

// fraction reads a number in (0,1]; unset is 0 (the caller's default).
func (e *envReader) fraction(k string) float64 {
	v := e.str(k, "")
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0 && f <= 1) {
		e.fail("%s must be a number in (0,1], got %q", k, v)
		return 0
	}
	return f
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
