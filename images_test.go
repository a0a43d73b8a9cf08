package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

var testPNG = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)

// llmStandIn speaks the OpenAI chat protocol for both jobs of one model:
// requests with an image part are the vision model's (answered with
// vision), others the copywriter's (answered with copyAnswer). It records
// the copywriter's prompts.
type llmStandIn struct {
	mu          sync.Mutex
	vision      string
	copyAnswer  string
	copyPrompts []string
	images      int
}

func (s *llmStandIn) server(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		answer := s.copyAnswer
		if strings.Contains(string(body), `"image_url"`) {
			if strings.Contains(string(body), "data:image/png;base64,"+base64.StdEncoding.EncodeToString(testPNG)) {
				s.images++
			}
			answer = s.vision
		} else {
			s.copyPrompts = append(s.copyPrompts, string(body))
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": answer}, "finish_reason": "stop"}}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestImageFactsEnterCopyOnlyOnceApproved: the vision model's facts are
// PENDING candidates (a colour contradicting the catalogue is flagged); an
// unreachable image URL, a GIF upload and a malformed answer are
// userErrors that store nothing; copy neither is prompted with nor may
// state a fact before an admin approves it, and may after.
func TestImageFactsEnterCopyOnlyOnceApproved(t *testing.T) {
	llm := &llmStandIn{
		vision: `{"facts": [{"name": "colour", "value": "米白", "confidence": 0.9}, {"name": "colour", "value": "大红", "confidence": 0.4},
		  {"name": "subject", "value": "包身印有2026字样"}]}`,
		copyAnswer: `{"variants": [{"headline": "帆布托特包", "text": "帆布托特包，包身印有2026字样，通勤出门一包装下。"}]}`,
	}
	srv := llm.server(t)
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(testPNG) }))
	defer img.Close()
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin:alice,cat-1:catalog", "SHOPMUSE_LLM": "openai", "SHOPMUSE_LLM_MODEL": "m",
		"OPENAI_BASE_URL": srv.URL + "/v1", "SHOPMUSE_IMAGE_FETCH_ALLOW_PRIVATE": "on"})
	defer stop()
	postAs(t, base, "adm-1", `mutation($img: String!) { upsertProducts(input: [
	  {id: "bag", title: "帆布托特包", category: "箱包/托特包", price: {amount: "129.00"}, imageURL: $img, attributes: [{name: "颜色", value: "米白"}]},
	  {id: "gone", title: "帆布托特包 黑", category: "箱包/托特包", price: {amount: "129.00"}, imageURL: "http://127.0.0.1:1/x.png"}]) { userErrors { code } } }`,
		map[string]any{"img": img.URL + "/bag.png"}, nil)

	type fact struct {
		ID, Name, Value, Source, Status string
		Warning                         *string
	}
	type payload struct {
		Facts      []fact
		UserErrors []struct{ Code, Message string }
	}
	var ex struct{ ExtractImageFacts payload }
	postAs(t, base, "adm-1", `mutation { extractImageFacts(productID: "bag") { facts { id name value source status warning } userErrors { code message } } }`, nil, &ex)
	fs := ex.ExtractImageFacts.Facts
	if len(ex.ExtractImageFacts.UserErrors) != 0 || len(fs) != 3 || llm.images != 1 {
		t.Fatalf("extract: %+v (images seen %d)", ex.ExtractImageFacts, llm.images)
	}
	for _, f := range fs {
		if f.Source != "IMAGE" || f.Status != "PENDING" {
			t.Fatalf("fact %+v", f)
		}
	}
	if fs[0].Warning != nil || fs[1].Warning == nil || !strings.Contains(*fs[1].Warning, "米白") {
		t.Fatalf("a colour contradicting the catalogue must be flagged, the matching one not: %+v", fs)
	}

	count := func() int {
		var got struct{ ProductImageFacts []fact }
		postAs(t, base, "adm-1", `{ productImageFacts(productID: "bag") { id } }`, nil, &got)
		return len(got.ProductImageFacts)
	}
	for _, c := range []struct{ query, want string }{
		{`mutation { extractImageFacts(productID: "gone") { facts { id } userErrors { code message } } }`, "unreachable"},
		{`mutation { extractImageFacts(productID: "bag", image: "R0lGODlhAQABAAAAACw=") { facts { id } userErrors { code message } } }`, "JPEG, PNG or WebP"},
		{`mutation { extractImageFacts(productID: "nope") { facts { id } userErrors { code message } } }`, "no product"},
	} {
		postAs(t, base, "adm-1", c.query, nil, &ex)
		if len(ex.ExtractImageFacts.UserErrors) != 1 || !strings.Contains(ex.ExtractImageFacts.UserErrors[0].Message, c.want) || len(ex.ExtractImageFacts.Facts) != 0 {
			t.Errorf("%s: %+v", c.query, ex.ExtractImageFacts)
		}
	}
	llm.mu.Lock()
	llm.vision = "The bag is off-white canvas."
	llm.mu.Unlock()
	postAs(t, base, "adm-1", `mutation($b: String!) { extractImageFacts(productID: "bag", image: $b) { facts { id } userErrors { code message } } }`,
		map[string]any{"b": base64.StdEncoding.EncodeToString(testPNG)}, &ex)
	if len(ex.ExtractImageFacts.UserErrors) != 1 || !strings.Contains(ex.ExtractImageFacts.UserErrors[0].Message, "not usable") || count() != 3 {
		t.Fatalf("malformed answer: %+v, %d facts", ex.ExtractImageFacts, count())
	}

	const gen = `{ generatedCopy(productID: "bag", channel: PUSH) { variants { id text checks { name passed } } } }`
	var g struct {
		GeneratedCopy struct {
			Variants []struct {
				ID, Text string
				Checks   []struct {
					Name   string
					Passed bool
				}
			}
		}
	}
	postAs(t, base, "cat-1", gen, nil, &g)
	for _, v := range g.GeneratedCopy.Variants {
		if strings.Contains(v.Text, "2026") {
			t.Fatalf("a pending image fact reached copy: %q", v.Text)
		}
	}
	if len(llm.copyPrompts) == 0 || strings.Contains(llm.copyPrompts[0], "2026") {
		t.Fatalf("the copy prompt held a pending fact (or none was sent): %d prompts", len(llm.copyPrompts))
	}

	var dec struct{ ApproveImageFacts payload }
	postAs(t, base, "adm-1", `mutation($ids: [ID!]!) { approveImageFacts(productID: "bag", ids: $ids) { facts { id status } userErrors { code } } }`,
		map[string]any{"ids": []string{fs[0].ID, fs[2].ID}}, &dec)
	if len(dec.ApproveImageFacts.Facts) != 2 || dec.ApproveImageFacts.Facts[1].Status != "APPROVED" {
		t.Fatalf("approve facts: %+v", dec)
	}
	var rej struct{ RejectImageFacts payload }
	postAs(t, base, "adm-1", `mutation($ids: [ID!]!) { rejectImageFacts(productID: "bag", ids: $ids) { facts { id status } userErrors { code } } }`,
		map[string]any{"ids": []string{fs[1].ID, "if_nope"}}, &rej)
	if len(rej.RejectImageFacts.UserErrors) != 1 || rej.RejectImageFacts.UserErrors[0].Code != "NOT_FOUND" {
		t.Fatalf("reject with an unknown ID: %+v", rej)
	}
	n := len(llm.copyPrompts)
	postAs(t, base, "cat-1", gen, nil, &g)
	if len(llm.copyPrompts) == n || !strings.Contains(llm.copyPrompts[n], "2026") || strings.Contains(llm.copyPrompts[n], "大红") {
		t.Fatalf("the copy prompt after approval must hold the approved facts only")
	}
	if len(g.GeneratedCopy.Variants) != 1 || !strings.Contains(g.GeneratedCopy.Variants[0].Text, "2026") {
		t.Fatalf("copy after approval: %+v", g.GeneratedCopy.Variants)
	}
	for _, c := range g.GeneratedCopy.Variants[0].Checks {
		if !c.Passed {
			t.Fatalf("the approved fact does not substantiate the claim: %+v", g.GeneratedCopy.Variants[0].Checks)
		}
	}
}
