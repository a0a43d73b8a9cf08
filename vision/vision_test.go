package vision

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

var (
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 64)...)
	jpegBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{2}, 64)...)
	webpBytes = append([]byte("RIFF\x10\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{3}, 64)...)
	gifBytes  = []byte("GIF89a" + strings.Repeat("x", 64))
)

func TestSniffAndDecode(t *testing.T) {
	for _, c := range []struct {
		b    []byte
		mime string
	}{{pngBytes, "image/png"}, {jpegBytes, "image/jpeg"}, {webpBytes, "image/webp"}, {gifBytes, ""}, {[]byte("<svg"), ""}, {nil, ""}} {
		if got, _ := Sniff(c.b); got != c.mime {
			t.Errorf("Sniff(%q) = %q, want %q", c.b[:min(len(c.b), 8)], got, c.mime)
		}
	}
	// The declared type counts for nothing: a GIF called PNG is refused,
	// a PNG called JPEG is a PNG.
	if _, _, err := Decode("data:image/png;base64," + base64.StdEncoding.EncodeToString(gifBytes)); !errors.Is(err, ErrImage) {
		t.Errorf("GIF declared as PNG: %v", err)
	}
	if _, mime, err := Decode("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(pngBytes)); err != nil || mime != "image/png" {
		t.Errorf("PNG declared as JPEG: %q %v", mime, err)
	}
	if _, _, err := Decode(base64.RawURLEncoding.EncodeToString(webpBytes)); err != nil {
		t.Errorf("URL-safe base64: %v", err)
	}
	if _, _, err := Decode("not base64!!"); !errors.Is(err, ErrImage) {
		t.Errorf("garbage: %v", err)
	}
	big := append(append([]byte{}, pngBytes...), make([]byte, MaxImageBytes)...)
	if _, _, err := Decode(base64.StdEncoding.EncodeToString(big)); !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), "larger") {
		t.Errorf("over 5 MB: %v", err)
	}
}

func TestParseIsStrict(t *testing.T) {
	good := `{"facts": [{"name": "Color", "value": " navy  blue ", "confidence": 0.9}, {"name": "material", "value": "canvas"}]}`
	cs, err := Parse("```json\n" + good + "\n```")
	if err != nil || len(cs) != 2 || cs[0].Name != "colour" || cs[0].Value != "navy blue" || *cs[0].Confidence != 0.9 || cs[1].Confidence != nil {
		t.Fatalf("good: %+v %v", cs, err)
	}
	if cs, err := Parse(`{"facts": []}`); err != nil || len(cs) != 0 {
		t.Fatalf("empty: %+v %v", cs, err)
	}
	for _, bad := range []string{
		``, `not json`, `{"facts": "red"}`, `{}`, `{"facts": [{"name": "colour"}]}`,
		`{"facts": [{"name": "price", "value": "cheap"}]}`,
		`{"facts": [{"name": "colour", "value": "red", "confidence": 1.5}]}`,
		`{"facts": [{"name": "colour", "value": "red", "confidence": -0.1}]}`,
		`{"facts": [{"name": "colour", "value": ""}]}`,
		`{"facts": [{"name": "colour", "value": "` + strings.Repeat("r", 101) + `"}]}`,
		`{"facts": [{"name": "colour", "value": "<script>"}]}`,
		`{"facts": [{"name": "colour", "value": "red\u0000"}]}`,
		// Bidi overrides and zero-width characters: what the reviewer
		// reads is not what the copy would state.
		`{"facts": [{"name": "colour", "value": "red \u202egreen"}]}`,
		`{"facts": [{"name": "material", "value": "lea\u200bther"}]}`,
		`{"facts": [{"name": "style", "value": "\ufeffretro"}]}`,
		`{"facts": [], "extra": 1}`,
		`{"facts": []} {"facts": []}`,
		`{"facts": [` + strings.Repeat(`{"name": "style", "value": "x"},`, 20) + `{"name": "style", "value": "x"}]}`,
	} {
		if cs, err := Parse(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%.60q) = %+v, %v; want ErrMalformed", bad, cs, err)
		}
	}
}

func TestFlagContradictsCatalogue(t *testing.T) {
	p := &shop.Product{Attributes: []shop.Attribute{{Name: "颜色", Value: "深空灰 Space Grey"}}}
	cs := []Candidate{{Name: "colour", Value: "space grey"}, {Name: "colour", Value: "bright red"}, {Name: "material", Value: "aluminium"}}
	Flag(p, cs)
	if cs[0].Warning != "" || cs[1].Warning == "" || cs[2].Warning != "" {
		t.Fatalf("flags: %+v", cs)
	}
	none := []Candidate{{Name: "colour", Value: "red"}}
	Flag(&shop.Product{}, none)
	if none[0].Warning != "" {
		t.Fatal("flagged without a stated colour")
	}
}

func TestPublic(t *testing.T) {
	for _, c := range []struct {
		ip   string
		want bool
	}{{"8.8.8.8", true}, {"2606:4700::1111", true}, {"127.0.0.1", false}, {"10.1.2.3", false}, {"172.16.0.1", false},
		{"192.168.1.1", false}, {"169.254.169.254", false}, {"100.64.0.1", false}, {"0.0.0.0", false}, {"::1", false},
		{"fe80::1", false}, {"fc00::1", false}, {"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false}, {"224.0.0.1", false},
		// IPv4 inside IPv6 forms that a translator or tunnel may deliver.
		{"::7f00:1", false}, {"::ffff:0:7f00:1", false}, {"64:ff9b:1::a9fe:a9fe", false}, {"2002:7f00:1::", false},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false}, {"fec0::1", false}, {"100::1", false}, {"2001:db8::1", true}} {
		if got := Public(netip.MustParseAddr(c.ip)); got != c.want {
			t.Errorf("Public(%s) = %v", c.ip, got)
		}
	}
}

// chat is the part of a chat request the stand-ins read.
type chat struct {
	Messages []struct {
		Content json.RawMessage `json:"content"`
		Images  []string        `json:"images"`
	} `json:"messages"`
	Stream *bool `json:"stream"`
}

// standIn answers chat requests with the given content, after checking that
// the request carried the image (OpenAI: an image_url part with a data URL;
// Ollama: a base64 image on the message).
type standIn struct {
	mu     sync.Mutex
	answer string
	images int
}

func (s *standIn) seen(req chat, wantB64 string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range req.Messages {
		for _, img := range m.Images {
			if img == wantB64 {
				s.images++
			}
		}
		var parts []struct {
			Type     string `json:"type"`
			ImageURL struct {
				URL string `json:"url"`
			} `json:"image_url"`
		}
		if json.Unmarshal(m.Content, &parts) == nil {
			for _, p := range parts {
				if p.Type == "image_url" && strings.HasSuffix(p.ImageURL.URL, ";base64,"+wantB64) && strings.HasPrefix(p.ImageURL.URL, "data:image/png") {
					s.images++
				}
			}
		}
	}
}

func openAIStandIn(t *testing.T, s *standIn) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req chat
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/chat/completions" || json.Unmarshal(body, &req) != nil {
			http.Error(w, "bad", 400)
			return
		}
		s.seen(req, base64.StdEncoding.EncodeToString(pngBytes))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "c1", "object": "chat.completion", "created": 1, "model": "vis",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": s.answer}, "finish_reason": "stop"}}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func ollamaStandIn(t *testing.T, s *standIn) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req chat
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/api/chat" || json.Unmarshal(body, &req) != nil {
			http.Error(w, "bad", 400)
			return
		}
		s.seen(req, base64.StdEncoding.EncodeToString(pngBytes))
		w.Header().Set("Content-Type", "application/x-ndjson")
		b, _ := json.Marshal(map[string]any{"model": "vis", "created_at": "2026-01-01T00:00:00Z",
			"message": map[string]any{"role": "assistant", "content": s.answer}, "done": true, "done_reason": "stop"})
		fmt.Fprintf(w, "%s\n", b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestExtractOverBothProtocols(t *testing.T) {
	for _, provider := range []string{"openai", "ollama"} {
		t.Run(provider, func(t *testing.T) {
			s := &standIn{}
			var base string
			if provider == "openai" {
				base = openAIStandIn(t, s).URL + "/v1"
			} else {
				base = ollamaStandIn(t, s).URL
			}
			e, err := New(Config{Provider: provider, Model: "vis", BaseURL: base, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			s.answer = `{"facts": [{"name": "colour", "value": "navy blue", "confidence": 0.8}]}`
			cs, err := e.Extract(context.Background(), pngBytes, "image/png")
			if err != nil || len(cs) != 1 || cs[0].Value != "navy blue" {
				t.Fatalf("good answer: %+v %v", cs, err)
			}
			if s.images != 1 {
				t.Fatalf("the model did not receive the image as an image part (%d)", s.images)
			}
			s.answer = `Sure! The bag is navy blue.`
			if _, err := e.Extract(context.Background(), pngBytes, "image/png"); !errors.Is(err, ErrMalformed) {
				t.Fatalf("malformed answer: %v", err)
			}
		})
	}
	e, _ := New(Config{Provider: "openai", Model: "vis", BaseURL: "http://127.0.0.1:1/v1", Timeout: 2 * time.Second})
	if _, err := e.Extract(context.Background(), pngBytes, "image/png"); !errors.Is(err, ErrModel) {
		t.Fatalf("unreachable model: %v", err)
	}
}

func TestFetchRefusesInternalAddresses(t *testing.T) {
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a.png":
			w.Write(pngBytes)
		case "/big.png":
			w.Write(pngBytes)
			w.Write(make([]byte, MaxImageBytes))
		case "/page":
			w.Write([]byte("<html>"))
		case "/slow.png":
			time.Sleep(1500 * time.Millisecond)
			w.Write(pngBytes)
		case "/redirect":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer img.Close()
	strict, _ := New(Config{Provider: "ollama", Model: "vis"})
	ctx := context.Background()
	for _, u := range []string{img.URL + "/a.png", "http://localhost/a.png", "http://169.254.169.254/latest/meta-data/", "http://[::1]/a.png", "http://10.0.0.1/a.png"} {
		_, _, err := strict.Fetch(ctx, u)
		if !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), "non-public") && !strings.Contains(err.Error(), "unreachable") {
			t.Errorf("Fetch(%s) = %v; want refused", u, err)
		}
		// What a name resolves to is not told (an admin could otherwise
		// map internal DNS names to addresses).
		if strings.HasPrefix(u, "http://localhost") && (strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), "::1")) {
			t.Errorf("Fetch(%s) tells the address: %v", u, err)
		}
	}
	for _, u := range []string{"file:///etc/passwd", "gopher://x/", "ftp://example.com/a.png", "http://user:pw@example.com/a.png", "/relative.png"} {
		if _, _, err := strict.Fetch(ctx, u); !errors.Is(err, ErrImage) {
			t.Errorf("Fetch(%s) = %v; want refused", u, err)
		}
	}
	open, _ := New(Config{Provider: "ollama", Model: "vis", AllowPrivate: true, FetchTimeout: time.Second})
	if data, mime, err := open.Fetch(ctx, img.URL+"/a.png"); err != nil || mime != "image/png" || !bytes.Equal(data, pngBytes) {
		t.Fatalf("allowed fetch: %q %v", mime, err)
	}
	for path, want := range map[string]string{"/big.png": "larger", "/page": "JPEG, PNG or WebP", "/missing.png": "HTTP 404",
		"/slow.png": "unreachable", "/redirect": "redirect"} {
		if _, _, err := open.Fetch(ctx, img.URL+path); !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), want) {
			t.Errorf("Fetch(%s) = %v; want %q", path, err, want)
		}
	}
	if _, _, err := open.Fetch(ctx, "http://127.0.0.1:1/a.png"); !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("closed port: %v", err)
	}
}

func TestConfigFrom(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if _, ok, err := ConfigFrom(env(nil)); ok || err != nil {
		t.Fatal("no provider must mean no vision")
	}
	c, ok, err := ConfigFrom(env(map[string]string{"SHOPMUSE_LLM": "ollama", "SHOPMUSE_LLM_MODEL": "llava", "OLLAMA_HOST": "h:1"}))
	if !ok || err != nil || c.Provider != "ollama" || c.Model != "llava" || c.BaseURL != "h:1" {
		t.Fatalf("fallback to SHOPMUSE_LLM: %+v %v", c, err)
	}
	c, ok, err = ConfigFrom(env(map[string]string{"SHOPMUSE_LLM": "ollama", "SHOPMUSE_LLM_MODEL": "qwen", "SHOPMUSE_VISION_LLM": "openai",
		"SHOPMUSE_VISION_LLM_MODEL": "gpt-4o-mini", "OPENAI_API_KEY": "k", "SHOPMUSE_IMAGE_FETCH_ALLOW_PRIVATE": "on"}))
	if !ok || err != nil || c.Provider != "openai" || c.Model != "gpt-4o-mini" || c.APIKey != "k" || !c.AllowPrivate {
		t.Fatalf("separate vision model: %+v %v", c, err)
	}
	if _, _, err := ConfigFrom(env(map[string]string{"SHOPMUSE_VISION_LLM": "openai"})); err == nil {
		t.Error("a vision provider without a model must fail")
	}
	if _, _, err := ConfigFrom(env(map[string]string{"SHOPMUSE_VISION_LLM": "bard", "SHOPMUSE_VISION_LLM_MODEL": "x"})); err == nil {
		t.Error("unknown provider")
	}
}
