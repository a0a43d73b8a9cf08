package copywriter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/internal/words"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// MaxVariants bounds one request: more variants cost LLM tokens and rarely
// help a bandit that has to explore each of them.
const MaxVariants = 5

// Variant is one generated text.
type Variant struct {
	// ID is stable: the same product version, channel, language, persona
	// segment, generator and angle give the same ID, so interactions
	// recorded against it pool across requests.
	ID       string  `json:"id"`
	Headline string  `json:"headline"` // the subject line for EMAIL
	Text     string  `json:"text"`
	Checks   []Check `json:"checks"`
	// Generator wrote this variant: "template" or "llm:<provider>/<model>".
	Generator string `json:"generator"`
	// Angle is the built-in template's angle, or "llm#<i>" for LLM copy.
	Angle string `json:"angle"`
	// What the variant was written for; filled on every result, cached or not.
	ProductID string        `json:"productID,omitempty"`
	Channel   Channel       `json:"channel,omitempty"`
	Language  shop.Language `json:"language,omitempty"`
	// Segment is the persona segment the variant was written for.
	Segment string `json:"segment,omitempty"`
	// Review is the review workflow's state, set when it looked at the
	// variant; never cached.
	Review *Review `json:"-"`
}

// Request asks for copy.
type Request struct {
	Product *shop.Product
	// Persona, when non-zero, is used as is; otherwise PersonaText is parsed.
	Persona     persona.Persona
	PersonaText string
	Channel     Channel
	// Language defaults to the product's.
	Language *shop.Language
	// Variants is 1–5; 0 means 1.
	Variants int
}

// Result is generated copy with the context it was written for.
type Result struct {
	Channel     Channel       `json:"channel"`
	Language    shop.Language `json:"language"`
	PersonaText string        `json:"persona"`
	// Generator is "template", "llm:<provider>/<model>" or "mixed" (LLM
	// variants topped up with built-in ones).
	Generator string    `json:"generator"`
	Cached    bool      `json:"cached"`
	Variants  []Variant `json:"variants"`
}

// GeneratorMixed marks results that combine LLM and built-in variants.
const GeneratorMixed = "mixed"

// Cache stores generated results; the lead implements it on Badger.
type Cache interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Put(ctx context.Context, key string, val []byte) error
}

// Config assembles a Writer. Every field is optional.
type Config struct {
	LLM   *LLMWriter // nil: built-in writer only
	Cache Cache      // nil: no caching
	// Facts adds approved facts beyond the catalogue's (image facts); nil: none.
	Facts  FactProvider
	Logger *slog.Logger
}

// Writer is the copy service: it validates requests, runs the configured
// generator with the built-in writer as the last resort, checks every
// variant and caches results.
type Writer struct {
	llm     *LLMWriter
	builtin builtinWriter
	cache   Cache
	facts   FactProvider
	log     *slog.Logger
}

// NewWriter returns a Writer.
func NewWriter(cfg Config) *Writer {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Writer{llm: cfg.LLM, cache: cfg.Cache, facts: cfg.Facts, log: log.With("component", "copywriter")}
}

// Generator is the configured generator's name (an LLM's, or "template").
func (w *Writer) Generator() string {
	if w.llm != nil {
		return w.llm.Name()
	}
	return GeneratorTemplate
}

// ErrInvalidRequest wraps every validation failure, so resolvers can turn it
// into a userError rather than an internal error.
var ErrInvalidRequest = errors.New("invalid copy request")

// resolved is a validated request.
type resolved struct {
	req     Request
	persona persona.Persona
	text    string
	lang    shop.Language
	n       int
	// factsFP fingerprints the approved extra facts req.Product carries.
	factsFP string
}

func (w *Writer) resolve(req Request) (*resolved, error) {
	if req.Product == nil {
		return nil, fmt.Errorf("%w: product is required", ErrInvalidRequest)
	}
	if req.Product.ID == "" {
		return nil, fmt.Errorf("%w: product has no ID", ErrInvalidRequest)
	}
	if !req.Channel.Valid() {
		return nil, fmt.Errorf("%w: channel %q is not one of TITLE DETAIL AD_SLOGAN PROMOTION PUSH EMAIL", ErrInvalidRequest, req.Channel)
	}
	n := req.Variants
	if n == 0 {
		n = 1
	}
	if n < 1 || n > MaxVariants {
		return nil, fmt.Errorf("%w: variants must be between 1 and %d, got %d", ErrInvalidRequest, MaxVariants, req.Variants)
	}
	lang := req.Product.Language
	if req.Language != nil {
		lang = *req.Language
	}
	if !lang.Valid() {
		lang = shop.DetectLanguage(req.Product.Title + " " + req.Product.Description)
		if req.Language != nil {
			return nil, fmt.Errorf("%w: language %q is not ZH or EN", ErrInvalidRequest, *req.Language)
		}
	}
	if !utf8.ValidString(req.PersonaText) {
		return nil, fmt.Errorf("%w: persona text is not valid UTF-8", ErrInvalidRequest)
	}
	reader := req.Persona
	if reader.IsZero() && strings.TrimSpace(req.PersonaText) != "" {
		reader = persona.ParsePersona(req.PersonaText)
	}
	text := strings.TrimSpace(req.PersonaText)
	if text == "" || !req.Persona.IsZero() {
		text = reader.Text(lang)
	}
	return &resolved{req: req, persona: reader, text: words.Clip(text, persona.MaxDescription), lang: lang, n: n}, nil
}

// CacheKey is the key a request's result is cached under.
func (w *Writer) cacheKey(r *resolved) string {
	h := sha256.New()
	for _, s := range []string{
		"copy/v1", r.req.Product.ID, strconv.FormatInt(r.req.Product.Version, 10), r.persona.Segment(), r.text,
		personaFingerprint(r.persona), string(r.req.Channel), string(r.lang), w.Generator(), strconv.Itoa(r.n), r.factsFP,
	} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "copy/" + hex.EncodeToString(h.Sum(nil))[:40]
}

// personaFingerprint covers what the segment leaves out but the copy uses
// (all interests, style, price band), so two personas in one segment do not
// share a cache entry.
func personaFingerprint(p persona.Persona) string {
	return strings.Join(p.Interests, ",") + "|" + p.Style + "|" + p.PriceBand + "|" + strings.Join(p.TopCategories, ",")
}

// variantID identifies a variant across requests.
func variantID(p *shop.Product, ch Channel, lang shop.Language, segment, generator, angle, factsFP string) string {
	h := sha256.New()
	for _, s := range []string{p.ID, strconv.FormatInt(p.Version, 10), string(ch), string(lang), segment, generator, angle} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	if factsFP != "" {
		// Copy that may state approved image facts is new copy: a new ID,
		// so its review and its bandit record start afresh.
		h.Write([]byte(factsFP))
	}
	return "cv_" + hex.EncodeToString(h.Sum(nil))[:20]
}

// Generate writes copy for a request, from the cache when it can.
func (w *Writer) Generate(ctx context.Context, req Request) (res Result, err error) {
	r, err := w.resolveWithFacts(ctx, req)
	if err != nil {
		return Result{}, err
	}
	defer func() { describe(&res, r) }()
	key := w.cacheKey(r)
	if w.cache != nil {
		b, ok, err := w.cache.Get(ctx, key)
		switch {
		case err != nil:
			// a broken cache must not take copy down with it
			w.log.WarnContext(ctx, "copy cache get failed", "key", key, "err", err)
		case ok:
			var res Result
			if err := json.Unmarshal(b, &res); err == nil {
				res.Cached = true
				return res, nil
			}
			w.log.WarnContext(ctx, "copy cache entry unreadable; regenerating", "key", key)
		}
	}
	res, cacheable, err := w.generate(ctx, r, nil)
	if err != nil {
		return Result{}, err
	}
	w.store(ctx, key, res, cacheable)
	return res, nil
}

func (w *Writer) store(ctx context.Context, key string, res Result, cacheable bool) {
	if w.cache == nil || !cacheable {
		return
	}
	b, err := json.Marshal(res)
	if err != nil {
		w.log.ErrorContext(ctx, "copy result not serialisable", "err", err)
		return
	}
	if err := w.cache.Put(ctx, key, b); err != nil {
		w.log.WarnContext(ctx, "copy cache put failed", "key", key, "err", err)
	}
}

// Stream writes copy for a request and passes text to onDelta: each
// variant, in small pieces, once it has passed every check — never an LLM's
// raw tokens, which may hold claims the checks would reject (issue 15). The
// LLM's answer is therefore streamed variant by variant after it arrives and
// is checked, variants are separated by a blank line, and the returned
// Result is the same text with its checks. A cached result is streamed the
// same way.
func (w *Writer) Stream(ctx context.Context, req Request, onDelta func(delta string) error) (res Result, err error) {
	r, err := w.resolveWithFacts(ctx, req)
	if err != nil {
		return Result{}, err
	}
	defer func() { describe(&res, r) }()
	if onDelta == nil {
		onDelta = func(string) error { return nil }
	}
	key := w.cacheKey(r)
	if w.cache != nil {
		if b, ok, err := w.cache.Get(ctx, key); err == nil && ok {
			var res Result
			if json.Unmarshal(b, &res) == nil {
				res.Cached = true
				if err := streamVariants(res.Variants, onDelta); err != nil {
					return Result{}, &StreamAbortedError{Err: err}
				}
				return res, nil
			}
		}
	}
	res, cacheable, err := w.generate(ctx, r, onDelta)
	if err != nil {
		return Result{}, err
	}
	w.store(ctx, key, res, cacheable)
	return res, nil
}

// resolveWithFacts validates a request and adds the approved extra facts
// to its product.
func (w *Writer) resolveWithFacts(ctx context.Context, req Request) (*resolved, error) {
	r, err := w.resolve(req)
	if err != nil {
		return nil, err
	}
	p, fp, err := w.productFactsFor(ctx, r.req.Product)
	if err != nil {
		return nil, err
	}
	r.req.Product, r.factsFP = p, fp
	return r, nil
}

// describe tells each variant what it was written for (cached results from
// before these fields existed lack them).
func describe(res *Result, r *resolved) {
	for i := range res.Variants {
		v := &res.Variants[i]
		v.ProductID, v.Channel, v.Language, v.Segment = r.req.Product.ID, r.req.Channel, r.lang, r.persona.Segment()
	}
}

// streamVariants sends finished text in small pieces, as a token stream would.
func streamVariants(vs []Variant, onDelta func(string) error) error {
	for i, v := range vs {
		if i > 0 {
			if err := onDelta("\n\n"); err != nil {
				return err
			}
		}
		for _, piece := range words.Pieces(v.Text) {
			if err := onDelta(piece); err != nil {
				return err
			}
		}
	}
	return nil
}

// generate runs the generators. cacheable is false when the LLM failed for a
// transient reason (timeout, transport), so the fallback is not pinned in the
// cache in place of the LLM's copy.
func (w *Writer) generate(ctx context.Context, r *resolved, onDelta func(string) error) (Result, bool, error) {
	streamed := 0 // variants already sent to onDelta
	emit := func(d draft) error {
		if onDelta == nil {
			return nil
		}
		if streamed > 0 {
			if err := onDelta("\n\n"); err != nil {
				return err
			}
		}
		streamed++
		for _, piece := range words.Pieces(d.Text) {
			if err := onDelta(piece); err != nil {
				return err
			}
		}
		return nil
	}
	j := newJob(r.req.Product, r.persona, r.req.Channel, r.lang, r.n)
	segment := r.persona.Segment()
	res := Result{Channel: r.req.Channel, Language: r.lang, PersonaText: r.text}
	cacheable := true
	var variants []Variant
	if w.llm != nil {
		got, err := w.llm.write(ctx, j, emit)
		var aborted *StreamAbortedError
		if errors.As(err, &aborted) {
			return Result{}, false, fmt.Errorf("generate copy for %s: %w", r.req.Product.ID, err)
		}
		if err != nil {
			if ctx.Err() != nil {
				return Result{}, false, fmt.Errorf("generate copy for %s: %w", r.req.Product.ID, ctx.Err())
			}
			w.log.WarnContext(ctx, "LLM copy failed; using built-in writer", "product", r.req.Product.ID, "generator", w.llm.Name(), "err", err)
			cacheable = false
		}
		for _, d := range got {
			variants = append(variants, Variant{
				ID: variantID(j.p, j.ch, j.lang, segment, w.llm.Name(), d.Angle, r.factsFP), Headline: d.Headline, Text: d.Text,
				Checks: d.Checks, Generator: w.llm.Name(), Angle: d.Angle,
			})
		}
	}
	fromLLM := len(variants)
	if len(variants) < r.n {
		drafts, err := w.builtin.write(ctx, j, r.n-len(variants), nil)
		if err != nil {
			return Result{}, false, fmt.Errorf("generate copy for %s: %w", r.req.Product.ID, err)
		}
		var built []Variant
		for _, d := range drafts {
			v := Variant{
				ID: variantID(j.p, j.ch, j.lang, segment, GeneratorTemplate, d.Angle, r.factsFP), Headline: d.Headline, Text: d.Text,
				Generator: GeneratorTemplate, Angle: d.Angle, Checks: d.Checks,
			}
			built = append(built, v)
		}
		for _, d := range drafts {
			if err := emit(d); err != nil {
				return Result{}, false, &StreamAbortedError{Err: err}
			}
		}
		variants = append(variants, built...)
	}
	if len(variants) == 0 {
		return Result{}, false, fmt.Errorf("generate copy for %s: no variant passed the checks", r.req.Product.ID)
	}
	switch {
	case fromLLM == 0:
		res.Generator = GeneratorTemplate
	case fromLLM == len(variants):
		res.Generator = w.llm.Name()
	default:
		res.Generator = GeneratorMixed
	}
	res.Variants = variants
	return res, cacheable, nil
}
