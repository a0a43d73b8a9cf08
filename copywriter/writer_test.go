package copywriter

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

type memCache struct {
	mu   sync.Mutex
	m    map[string][]byte
	nPut int
	fail bool
}

func newMemCache() *memCache { return &memCache{m: map[string][]byte{}} }

func (c *memCache) Get(_ context.Context, k string) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return nil, false, errors.New("disk on fire")
	}
	v, ok := c.m[k]
	return v, ok, nil
}

func (c *memCache) Put(_ context.Context, k string, v []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return errors.New("disk on fire")
	}
	c.m[k] = v
	c.nPut++
	return nil
}

func (c *memCache) puts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nPut
}

func TestRequestValidation(t *testing.T) {
	w := NewWriter(Config{})
	p := phone(t)
	bad := shop.Language("FR")
	for _, tc := range []struct {
		name string
		req  Request
		want string
	}{
		{"no product", Request{Channel: ChannelTitle}, "product is required"},
		{"unknown channel", Request{Product: p, Channel: "BILLBOARD"}, `channel "BILLBOARD"`},
		{"empty channel", Request{Product: p}, "channel"},
		{"too many variants", Request{Product: p, Channel: ChannelTitle, Variants: 6}, "variants must be between 1 and 5"},
		{"negative variants", Request{Product: p, Channel: ChannelTitle, Variants: -1}, "variants must be between 1 and 5"},
		{"bad language", Request{Product: p, Channel: ChannelTitle, Language: &bad}, `language "FR"`},
		{"bad persona text", Request{Product: p, Channel: ChannelTitle, PersonaText: "\xff\xfe"}, "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.Generate(context.Background(), tc.req)
			if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalidRequest mentioning %q", err, tc.want)
			}
		})
	}
}

func TestGenerateDefaults(t *testing.T) {
	w := NewWriter(Config{})
	en := testProducts()[2]
	res, err := w.Generate(context.Background(), Request{Product: &en, PersonaText: "a 45-year-old business traveller who values quality", Channel: ChannelPush})
	if err != nil {
		t.Fatal(err)
	}
	if res.Language != shop.LanguageEN || len(res.Variants) != 1 || res.Channel != ChannelPush {
		t.Fatalf("defaults not applied: %+v", res)
	}
	if res.PersonaText != "a 45-year-old business traveller who values quality" {
		t.Errorf("persona text %q", res.PersonaText)
	}
	// an explicit persona is reported as text in the copy's language
	res, err = w.Generate(context.Background(), Request{Product: phone(t), Persona: persona.Persona{Age: intp(30), Interests: []string{"travel"}}, Channel: ChannelTitle})
	if err != nil {
		t.Fatal(err)
	}
	if res.PersonaText != "30岁,喜欢旅行" {
		t.Errorf("persona text %q", res.PersonaText)
	}
}

func TestCache(t *testing.T) {
	cache := newMemCache()
	w := NewWriter(Config{Cache: cache})
	ctx := context.Background()
	req := Request{Product: phone(t), PersonaText: "25岁,女性,喜欢拍照", Channel: ChannelDetail, Variants: 2}
	first, err := w.Generate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached || cache.puts() != 1 {
		t.Fatalf("first call cached=%v puts=%d", first.Cached, cache.puts())
	}
	second, err := w.Generate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Cached || second.Variants[0].ID != first.Variants[0].ID || second.Variants[1].Text != first.Variants[1].Text {
		t.Fatalf("second call not served from cache: %+v", second)
	}
	// anything that changes the copy changes the key
	p2 := *phone(t)
	p2.Version++
	for _, r := range []Request{
		{Product: req.Product, PersonaText: req.PersonaText, Channel: ChannelTitle, Variants: 2},
		{Product: req.Product, PersonaText: "a 45-year-old business traveller", Channel: ChannelDetail, Variants: 2},
		{Product: req.Product, PersonaText: req.PersonaText, Channel: ChannelDetail, Variants: 3},
		{Product: &p2, PersonaText: req.PersonaText, Channel: ChannelDetail, Variants: 2},
		{Product: req.Product, PersonaText: req.PersonaText, Channel: ChannelDetail, Variants: 2, Language: ptr(shop.LanguageEN)},
	} {
		res, err := w.Generate(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if res.Cached {
			t.Errorf("request %+v hit another request's cache entry", r)
		}
	}
	// a failing cache degrades to no cache
	cache.fail = true
	res, err := w.Generate(ctx, req)
	if err != nil || res.Cached || len(res.Variants) != 2 {
		t.Fatalf("broken cache: %v %+v", err, res)
	}
}

func TestStreamBuiltin(t *testing.T) {
	w := NewWriter(Config{Cache: newMemCache()})
	req := Request{Product: phone(t), PersonaText: "25岁,女性,喜欢拍照", Channel: ChannelEmail, Variants: 2}
	for round := 0; round < 2; round++ { // fresh, then from the cache
		var deltas []string
		res, err := w.Stream(context.Background(), req, func(d string) error { deltas = append(deltas, d); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if res.Cached != (round == 1) {
			t.Errorf("round %d: cached=%v", round, res.Cached)
		}
		want := res.Variants[0].Text + "\n\n" + res.Variants[1].Text
		if got := strings.Join(deltas, ""); got != want {
			t.Fatalf("round %d: streamed text differs from the result:\n%q\n%q", round, got, want)
		}
		if len(deltas) < 10 {
			t.Errorf("round %d: %d deltas; the text should come in pieces", round, len(deltas))
		}
	}
}

func TestGenerateHonoursContext(t *testing.T) {
	w := NewWriter(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.Generate(ctx, Request{Product: phone(t), Channel: ChannelTitle}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestChannelGQL(t *testing.T) {
	var c Channel
	if err := c.UnmarshalGQL("AD_SLOGAN"); err != nil || c != ChannelAdSlogan {
		t.Fatalf("%v %v", c, err)
	}
	if err := c.UnmarshalGQL("SMS"); err == nil {
		t.Error("SMS accepted")
	}
	if err := c.UnmarshalGQL(3); err == nil {
		t.Error("a number accepted")
	}
	var b strings.Builder
	ChannelEmail.MarshalGQL(&b)
	if b.String() != `"EMAIL"` {
		t.Errorf("marshal = %s", b.String())
	}
}
