// Package vision reads product images with a vision-capable chat model
// (issue 18 part 3): it fetches an image URL without letting a catalogue
// writer aim the server at internal addresses, checks that the bytes are a
// JPEG, PNG or WebP image, sends them through langchaingo (OpenAI image_url
// parts with a data URL, or Ollama images) and parses the visible
// attributes the model reports, strictly. What it returns are candidates:
// the review package keeps them PENDING until an admin approves them.
package vision

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/ollama"
	"github.com/tmc/langchaingo/llms/openai"

	"github.com/shopmuse/shopmuse/shop"
)

// Limits.
const (
	// MaxImageBytes bounds an image, uploaded (decoded) or fetched.
	MaxImageBytes = 5 << 20
	// DefaultFetchTimeout bounds fetching an image URL; DefaultTimeout the
	// model's answer.
	DefaultFetchTimeout = 10 * time.Second
	DefaultTimeout      = 45 * time.Second
	maxRedirects        = 3
	maxNameLen          = 40
	maxValueLen         = 100
	maxFacts            = 20
)

// Errors a caller turns into userErrors.
var (
	// ErrImage: the image could not be had or is not an image we take.
	ErrImage = errors.New("image")
	// ErrMalformed: the model's answer is not the JSON asked for.
	ErrMalformed = errors.New("malformed model answer")
	// ErrModel: the model could not be reached or failed.
	ErrModel = errors.New("vision model")
)

// errNonPublic refuses a dial to a non-public address.
var errNonPublic = fmt.Errorf("%w: the image URL resolves to a non-public address", ErrImage)

// Config configures an Extractor.
type Config struct {
	Provider string // openai | ollama
	Model    string
	BaseURL  string
	APIKey   string
	// Timeout bounds one model call (default 45 s, inside the default 60 s request deadline).
	Timeout time.Duration
	// FetchTimeout bounds fetching an image URL (default 10 s).
	FetchTimeout time.Duration
	// AllowPrivate lets image URLs resolve to loopback, private and
	// link-local addresses: for tests and closed networks only.
	AllowPrivate bool
	// HTTPClient calls the model (default: a plain client).
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// ConfigFrom reads SHOPMUSE_VISION_LLM and SHOPMUSE_VISION_LLM_MODEL,
// falling back to SHOPMUSE_LLM and SHOPMUSE_LLM_MODEL (one model that both
// writes and sees), with the providers' usual variables, and
// SHOPMUSE_IMAGE_FETCH_ALLOW_PRIVATE. ok is false when neither names a
// provider: image facts are then unavailable.
func ConfigFrom(getenv func(string) string) (cfg Config, ok bool, err error) {
	cfg.Provider = strings.ToLower(strings.TrimSpace(getenv("SHOPMUSE_VISION_LLM")))
	cfg.Model = strings.TrimSpace(getenv("SHOPMUSE_VISION_LLM_MODEL"))
	if cfg.Provider == "" {
		cfg.Provider = strings.ToLower(strings.TrimSpace(getenv("SHOPMUSE_LLM")))
		if cfg.Model == "" {
			cfg.Model = strings.TrimSpace(getenv("SHOPMUSE_LLM_MODEL"))
		}
	}
	switch cfg.Provider {
	case "":
		return cfg, false, nil
	case "openai":
		cfg.BaseURL, cfg.APIKey = getenv("OPENAI_BASE_URL"), getenv("OPENAI_API_KEY")
	case "ollama":
		cfg.BaseURL = getenv("OLLAMA_HOST")
	default:
		return cfg, false, fmt.Errorf("SHOPMUSE_VISION_LLM=%q: want openai or ollama", cfg.Provider)
	}
	if cfg.Model == "" {
		return cfg, false, errors.New("SHOPMUSE_VISION_LLM_MODEL (or SHOPMUSE_LLM_MODEL) must name a vision-capable model")
	}
	if cfg.AllowPrivate, err = AllowPrivateFrom(getenv); err != nil {
		return cfg, false, err
	}
	return cfg, true, nil
}

// AllowPrivateFrom reads SHOPMUSE_IMAGE_FETCH_ALLOW_PRIVATE (on or off,
// default off), which every image fetcher of the process shares.
func AllowPrivateFrom(getenv func(string) string) (bool, error) {
	switch v := strings.TrimSpace(getenv("SHOPMUSE_IMAGE_FETCH_ALLOW_PRIVATE")); v {
	case "", "0", "false", "off":
		return false, nil
	case "1", "true", "on":
		return true, nil
	default:
		return false, fmt.Errorf("SHOPMUSE_IMAGE_FETCH_ALLOW_PRIVATE=%q: want on or off", v)
	}
}

// Extractor reads images. Safe for concurrent use.
type Extractor struct {
	cfg    Config
	model  llms.Model
	openai bool
	*Fetcher
	log *slog.Logger
}

// New builds an Extractor; it makes no network call.
func New(cfg Config) (*Extractor, error) {
	if cfg.Model == "" {
		return nil, errors.New("vision: a model is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = DefaultFetchTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	e := &Extractor{cfg: cfg, log: cfg.Logger.With("component", "vision")}
	switch cfg.Provider {
	case "openai":
		token := cfg.APIKey
		opts := []openai.Option{openai.WithModel(cfg.Model), openai.WithHTTPClient(hc)}
		if cfg.BaseURL != "" {
			if _, err := httpURL(cfg.BaseURL); err != nil {
				return nil, fmt.Errorf("vision: OPENAI_BASE_URL: %w", err)
			}
			opts = append(opts, openai.WithBaseURL(cfg.BaseURL))
			if token == "" {
				token = "unused"
			}
		}
		if token == "" {
			return nil, errors.New("vision: OPENAI_API_KEY is required for api.openai.com")
		}
		m, err := openai.New(append(opts, openai.WithToken(token))...)
		if err != nil {
			return nil, fmt.Errorf("vision: openai client: %w", err)
		}
		e.model, e.openai = m, true
	case "ollama":
		opts := []ollama.Option{ollama.WithModel(cfg.Model), ollama.WithHTTPClient(hc)}
		if cfg.BaseURL != "" {
			s := cfg.BaseURL
			if !strings.Contains(s, "://") {
				s = "http://" + s
			}
			u, err := httpURL(s)
			if err != nil {
				return nil, fmt.Errorf("vision: OLLAMA_HOST: %w", err)
			}
			opts = append(opts, ollama.WithServerURL(u.String()))
		}
		m, err := ollama.New(opts...)
		if err != nil {
			return nil, fmt.Errorf("vision: ollama client: %w", err)
		}
		e.model = m
	default:
		return nil, fmt.Errorf("vision: provider %q: want openai or ollama", cfg.Provider)
	}
	e.Fetcher = NewFetcher(cfg.FetchTimeout, cfg.AllowPrivate)
	e.Fetcher.log = e.log
	return e, nil
}

func httpURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", s)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL with a host", s)
	}
	return u, nil
}

// Fetcher downloads product images for whoever reads them (the vision
// model here, the image embedder in package imagevec). Safe for concurrent
// use.
type Fetcher struct {
	client *http.Client
	// log receives what is kept from the caller (the address a refused
	// name resolved to); nil: slog.Default.
	log *slog.Logger
}

// NewFetcher returns a fetcher whose requests take at most timeout (0:
// DefaultFetchTimeout) and, unless allowPrivate, dial only public
// addresses.
func NewFetcher(timeout time.Duration, allowPrivate bool) *Fetcher {
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	return &Fetcher{client: fetchClient(timeout, allowPrivate)}
}

// fetchClient dials only public addresses (unless allowPrivate): the check
// runs on the address actually dialled, after DNS, so a name that resolves
// (or re-resolves) to 127.0.0.1 or 169.254.169.254 is refused too. No proxy
// is used, as a proxy would dial for us.
func fetchClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout, Control: func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: cannot check address %q", ErrImage, address)
		}
		if !Public(ap.Addr()) {
			return errNonPublic
		}
		return nil
	}}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, TLSHandshakeTimeout: timeout,
			ResponseHeaderTimeout: timeout, MaxIdleConns: 4, IdleConnTimeout: 30 * time.Second},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrImage, maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: redirect to a non-http(s) URL", ErrImage)
			}
			return nil
		},
	}
}

// Public reports whether an address is a public unicast one: not loopback,
// private (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud
// metadata service, fe80::/10), shared (100.64/10), unspecified or multicast.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range []netip.Prefix{
		netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("192.0.0.0/24"),
		netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("240.0.0.0/4"), netip.MustParsePrefix("64:ff9b::/96"),
		// IPv6 forms that carry an IPv4 address a translator or tunnel
		// may deliver to (a local NAT64, SIIT, 6to4, Teredo, the old
		// IPv4-compatible form), site-local and the discard prefix:
		// no product image lives there.
		netip.MustParsePrefix("64:ff9b:1::/48"), netip.MustParsePrefix("::ffff:0:0:0/96"), netip.MustParsePrefix("::/96"),
		netip.MustParsePrefix("2002::/16"), netip.MustParsePrefix("2001::/32"), netip.MustParsePrefix("fec0::/10"),
		netip.MustParsePrefix("100::/64"),
	} {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Fetch downloads an image URL: http(s) only, public addresses only, at
// most MaxImageBytes, within the fetch timeout. Every failure wraps ErrImage.
func (f *Fetcher) Fetch(ctx context.Context, raw string) ([]byte, string, error) {
	u, err := httpURL(raw)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrImage, err)
	}
	if u.User != nil {
		return nil, "", fmt.Errorf("%w: image URLs with credentials are refused", ErrImage)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrImage, err)
	}
	req.Header.Set("Accept", "image/jpeg, image/png, image/webp")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, errNonPublic) {
			// Without the address: what an internal name resolves to is
			// none of the caller's business.
			log := f.log
			if log == nil {
				log = slog.Default()
			}
			log.WarnContext(ctx, "image URL refused", "err", err)
			return nil, "", errNonPublic
		}
		if errors.Is(err, ErrImage) {
			return nil, "", trimURLErr(err)
		}
		return nil, "", fmt.Errorf("%w: the image URL is unreachable: %v", ErrImage, trimURLErr(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%w: fetching the image URL answered HTTP %d", ErrImage, resp.StatusCode)
	}
	if resp.ContentLength > MaxImageBytes {
		return nil, "", fmt.Errorf("%w: the image is larger than %d bytes", ErrImage, MaxImageBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxImageBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("%w: reading the image: %v", ErrImage, trimURLErr(err))
	}
	if len(data) > MaxImageBytes {
		return nil, "", fmt.Errorf("%w: the image is larger than %d bytes", ErrImage, MaxImageBytes)
	}
	mime, ok := Sniff(data)
	if !ok {
		return nil, "", fmt.Errorf("%w: the URL did not return a JPEG, PNG or WebP image", ErrImage)
	}
	return data, mime, nil
}

// trimURLErr drops the *url.Error wrapper, whose message repeats the URL.
func trimURLErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Decode reads an uploaded image: standard or URL-safe base64 (a data: URL
// prefix is accepted), at most MaxImageBytes decoded, JPEG, PNG or WebP by
// its bytes, whatever the prefix declared.
func Decode(b64 string) ([]byte, string, error) {
	s := strings.TrimSpace(b64)
	if strings.HasPrefix(s, "data:") {
		i := strings.Index(s, ",")
		if i < 0 {
			return nil, "", fmt.Errorf("%w: a data URL without a comma", ErrImage)
		}
		s = s[i+1:]
	}
	if base64.StdEncoding.DecodedLen(len(s)) > MaxImageBytes+3 {
		return nil, "", fmt.Errorf("%w: the image is larger than %d bytes", ErrImage, MaxImageBytes)
	}
	var data []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if data, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: image is not base64", ErrImage)
	}
	if len(data) > MaxImageBytes {
		return nil, "", fmt.Errorf("%w: the image is larger than %d bytes", ErrImage, MaxImageBytes)
	}
	mime, ok := Sniff(data)
	if !ok {
		return nil, "", fmt.Errorf("%w: not a JPEG, PNG or WebP image (checked by content)", ErrImage)
	}
	return data, mime, nil
}

// Sniff names an image's type by its magic bytes.
func Sniff(b []byte) (string, bool) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "image/jpeg", true
	case len(b) >= 8 && bytes.Equal(b[:8], []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", true
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp", true
	}
	return "", false
}

// Candidate is one attribute the model saw.
type Candidate struct {
	Name       string
	Value      string
	Confidence *float64
	// Warning is set when it contradicts the catalogue.
	Warning string
}

// Names are the attributes the model is asked for; any other is malformed.
var Names = []string{"colour", "material", "style", "pattern", "shape", "subject", "setting"}

var nameAliases = map[string]string{"color": "colour", "colors": "colour", "colours": "colour", "materials": "material"}

const prompt = `Look at this product image and list only what is clearly visible in it.
Reply with JSON only, exactly in this shape:
{"facts": [{"name": "colour", "value": "navy blue", "confidence": 0.9}]}
name is one of: colour, material, style, pattern, shape, subject, setting.
value is a few words (at most 100 characters), no numbers you cannot see, no brand you cannot read, no claims about quality or performance.
confidence is from 0 to 1. Give at most 20 facts; an empty list if the picture shows nothing clear.`

// Extract asks the model what the image shows.
func (e *Extractor) Extract(ctx context.Context, data []byte, mime string) ([]Candidate, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	var img llms.ContentPart
	if e.openai {
		img = llms.ImageURLPart("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(data))
	} else {
		img = llms.BinaryPart(mime, data)
	}
	msgs := []llms.MessageContent{{Role: llms.ChatMessageTypeHuman, Parts: []llms.ContentPart{llms.TextPart(prompt), img}}}
	resp, err := e.model.GenerateContent(ctx, msgs, llms.WithTemperature(0), llms.WithJSONMode(), llms.WithMaxTokens(800))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	if len(resp.Choices) == 0 {
		return nil, fmt.Errorf("%w: no answer", ErrMalformed)
	}
	return Parse(resp.Choices[0].Content)
}

// Parse reads the model's answer strictly: one JSON object with a facts
// list, each fact a known name and a short plain value, confidence within
// 0–1. Anything else is ErrMalformed and nothing of it is kept.
func Parse(raw string) ([]Candidate, error) {
	s := strings.TrimSpace(raw)
	if strings.HasPrefix(s, "```") {
		s = strings.TrimPrefix(strings.TrimPrefix(s, "```json"), "```")
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "```"))
	}
	var out struct {
		Facts *[]struct {
			Name       *string  `json:"name"`
			Value      *string  `json:"value"`
			Confidence *float64 `json:"confidence"`
		} `json:"facts"`
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: text after the JSON object", ErrMalformed)
	}
	if out.Facts == nil {
		return nil, fmt.Errorf("%w: no facts list", ErrMalformed)
	}
	if len(*out.Facts) > maxFacts {
		return nil, fmt.Errorf("%w: %d facts, at most %d", ErrMalformed, len(*out.Facts), maxFacts)
	}
	var cs []Candidate
	for i, f := range *out.Facts {
		if f.Name == nil || f.Value == nil {
			return nil, fmt.Errorf("%w: fact %d lacks a name or value", ErrMalformed, i)
		}
		name := strings.ToLower(strings.TrimSpace(*f.Name))
		if a, ok := nameAliases[name]; ok {
			name = a
		}
		known := false
		for _, n := range Names {
			known = known || n == name
		}
		value := strings.Join(strings.Fields(*f.Value), " ")
		switch {
		case !known || len(name) > maxNameLen:
			return nil, fmt.Errorf("%w: fact %d: name %q is not one of %s", ErrMalformed, i, clip(*f.Name), strings.Join(Names, ", "))
		case value == "" || utf8.RuneCountInString(value) > maxValueLen || !utf8.ValidString(value):
			return nil, fmt.Errorf("%w: fact %d: value must be 1–%d characters", ErrMalformed, i, maxValueLen)
		case strings.ContainsFunc(value, func(r rune) bool {
			// Format characters (bidi overrides, zero-width spaces) would
			// let the reviewer read other words than copy would state.
			return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune("<>{}`", r)
		}):
			return nil, fmt.Errorf("%w: fact %d: value holds markup, control or format characters", ErrMalformed, i)
		case f.Confidence != nil && (math.IsNaN(*f.Confidence) || *f.Confidence < 0 || *f.Confidence > 1):
			return nil, fmt.Errorf("%w: fact %d: confidence outside 0–1", ErrMalformed, i)
		}
		cs = append(cs, Candidate{Name: name, Value: value, Confidence: f.Confidence})
	}
	return cs, nil
}

func clip(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}

// colourNames are the catalogue attribute names that state a colour.
var colourNames = []string{"colour", "color", "颜色", "色", "配色"}

// Flag marks candidates that contradict the catalogue: a colour the model
// saw that the product's stated colour does not mention (the picture may
// show another variant, or the model is wrong). Flagged facts stay PENDING
// like any other; the warning tells the reviewer why to look twice.
func Flag(p *shop.Product, cs []Candidate) {
	var stated []string
	for _, a := range p.Attributes {
		for _, n := range colourNames {
			if strings.EqualFold(strings.TrimSpace(a.Name), n) {
				stated = append(stated, strings.ToLower(a.Value))
			}
		}
	}
	if len(stated) == 0 {
		return
	}
	for i := range cs {
		if cs[i].Name != "colour" {
			continue
		}
		seen := strings.ToLower(cs[i].Value)
		match := false
		for _, st := range stated {
			for _, w := range strings.Fields(seen) {
				match = match || strings.Contains(st, w) || strings.Contains(w, st)
			}
		}
		if !match {
			cs[i].Warning = fmt.Sprintf("contradicts the catalogue's colour %q", strings.Join(stated, ", "))
		}
	}
}
