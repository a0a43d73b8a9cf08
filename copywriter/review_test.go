package copywriter

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// fakeFacts is a FactProvider whose approved facts the test sets.
type fakeFacts struct {
	mu    sync.Mutex
	facts []shop.Attribute
}

func (f *fakeFacts) ApprovedFacts(context.Context, string) ([]shop.Attribute, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.facts, nil
}

type mapCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *mapCache) Get(_ context.Context, k string) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[k]
	return b, ok, nil
}

func (c *mapCache) Put(_ context.Context, k string, v []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = v
	return nil
}

// TestImageFactsEnterCopyOnlyWhenApproved: a fact seen in the image (a 65W
// charger in the box) is neither in the prompt nor accepted by the
// faithfulness check until the provider reports it approved; then copy
// stating it passes, under new variant IDs and a new cache entry.
func TestImageFactsEnterCopyOnlyWhenApproved(t *testing.T) {
	withCharger := [2]string{goodZH1[0], goodZH1[1] + "包装盒内附65W充电器。"}
	f := &fakeLLM{script: []string{variantsJSON(withCharger)}}
	srv := openAIServer(t, f)
	facts := &fakeFacts{}
	cache := &mapCache{m: map[string][]byte{}}
	w := NewWriter(Config{LLM: newLLMForTest(t, ProviderOpenAI, srv.URL+"/v1", 5*time.Second), Cache: cache, Facts: facts})
	req := Request{Product: phone(t), Persona: photographer(), Channel: ChannelDetail, Variants: 1}

	before, err := w.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range before.Variants {
		if strings.Contains(v.Text, "65W") {
			t.Fatalf("an unapproved image fact reached copy: %q", v.Text)
		}
	}
	// (Later requests are repair rounds quoting the model's own claim.)
	if strings.Contains(f.raw[0], "65W") {
		t.Fatalf("the prompt holds the unapproved fact: %s", f.raw[0])
	}
	if cs := CheckVariant(phone(t), photographer(), ChannelDetail, shop.LanguageZH, Variant{Headline: withCharger[0], Text: withCharger[1]}); Passed(cs) {
		t.Fatal("copy claiming the 65W charger passes without the fact")
	}

	facts.mu.Lock()
	facts.facts = []shop.Attribute{{Name: "subject", Value: "包装盒内含65W充电器"}}
	facts.mu.Unlock()
	n := f.count()
	after, err := w.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if after.Cached {
		t.Fatal("copy written before the approval was served from the cache")
	}
	if len(after.Variants) != 1 || after.Variants[0].Text != withCharger[1] || !Passed(after.Variants[0].Checks) {
		t.Fatalf("approved fact not usable: %+v", after.Variants)
	}
	if !strings.Contains(f.raw[n], "65W充电器") {
		t.Errorf("the prompt after approval lacks the fact: %s", f.raw[n])
	}
	if after.Variants[0].ID == before.Variants[0].ID {
		t.Error("copy with approved image facts kept an ID of copy without them")
	}
	if after.Variants[0].ProductID != req.Product.ID || after.Variants[0].Channel != ChannelDetail || after.Variants[0].Segment == "" {
		t.Errorf("variant does not say what it was written for: %+v", after.Variants[0])
	}
	cs, err := w.Check(context.Background(), phone(t), photographer(), ChannelDetail, shop.LanguageZH, Variant{Headline: withCharger[0], Text: withCharger[1]})
	if err != nil || !Passed(cs) {
		t.Errorf("Writer.Check ignores approved facts: %+v %v", cs, err)
	}
	// The caller's product is never changed by the extra facts.
	if p := req.Product; len(p.Attributes) != len(phone(t).Attributes) {
		t.Errorf("request product gained attributes: %+v", p.Attributes)
	}
}
