package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// chatStandIn answers chat requests with reply, as OpenAI (/v1/chat/
// completions) or Ollama (/api/chat) would, and counts them.
func chatStandIn(t *testing.T, provider string, reply *atomic.Value, calls *atomic.Int64) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var req map[string]any
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &req)
		content := reply.Load().(string)
		switch r.URL.Path {
		case "/v1/chat/completions":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"id": "c1", "object": "chat.completion", "created": 1, "model": req["model"],
				"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}}})
		case "/api/chat":
			w.Header().Set("Content-Type", "application/x-ndjson")
			b, _ := json.Marshal(map[string]any{"model": req["model"], "created_at": "2026-01-01T00:00:00Z",
				"message": map[string]any{"role": "assistant", "content": content}, "done": true, "done_reason": "stop"})
			fmt.Fprintf(w, "%s\n", b)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	if provider == copywriter.ProviderOpenAI {
		return srv.URL + "/v1"
	}
	return srv.URL
}

func llmReply(kind, text string, cites ...[3]string) string {
	var cs []map[string]string
	for _, c := range cites {
		cs = append(cs, map[string]string{"productID": c[0], "field": c[1], "value": c[2]})
	}
	b, _ := json.Marshal(map[string]any{"kind": kind, "text": text, "citations": cs})
	return string(b)
}

// Nothing an LLM writes reaches a shopper unverified, through Ask or
// AskStream: what fails is replaced by the built-in answer, and counted.
func TestAskFallsBackFromUnverifiedLLMAnswers(t *testing.T) {
	for _, provider := range []string{copywriter.ProviderOpenAI, copywriter.ProviderOllama} {
		t.Run(provider, func(t *testing.T) {
			var reply atomic.Value
			var calls atomic.Int64
			url := chatStandIn(t, provider, &reply, &calls)
			a, err := Open(context.Background(), Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				LLM: &copywriter.LLMConfig{Provider: provider, Model: "m", BaseURL: url}})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			ctx := context.Background()
			price := shop.MoneyInput{Amount: 599900}
			if _, errs, err := a.UpsertProducts(ctx, []shop.ProductInput{{ID: "p1", Title: "华为 Mate 60 Pro 手机", Category: "数码/手机", Price: &price,
				Attributes: []shop.AttributeInput{{Name: "电池", Value: "5000mAh"}, {Name: "重量", Value: "225g"}}}}); err != nil || errs != nil {
				t.Fatal(err, errs)
			}
			q := assistant.Question{Text: "电池多大？", ProductID: "p1"}
			cite := [3]string{"p1", "attribute:电池", "5000mAh"}

			reply.Store(llmReply("ANSWER", "这款手机的电池容量是5000mAh，够用一整天。", cite))
			ans, err := a.Ask(ctx, q)
			if err != nil || ans.Generator != "llm:"+provider+"/m" || !strings.Contains(ans.Text, "够用一整天") || !copywriter.Passed(ans.Checks) {
				t.Fatalf("a good LLM answer was not served: %+v %v", ans, err)
			}
			bad := []struct{ reply, reason, leak string }{
				{llmReply("ANSWER", "电池6000mAh，续航48小时。", cite), assistant.ReasonUnsupported, "6000"},
				{llmReply("ANSWER", "电池5000mAh，重量225g。", cite), assistant.ReasonUnsupported, "225"},
				{llmReply("ANSWER", "5000mAh，全网最强续航。", cite), assistant.ReasonBarredTerm, "最强"},
				{`{"kind": "ANSWER", "text": "电池5000mAh"`, assistant.ReasonBadJSON, "电池5000mAh"},
				{llmReply("ANSWER", "防水等级IP68。", [3]string{"p1", "attribute:防水", "IP68"}), assistant.ReasonBadCitation, "IP68"},
				{llmReply("ANSWER", "电池5000mAh。"), assistant.ReasonUnsupported, "电池5000mAh。"},
			}
			for _, b := range bad {
				reply.Store(b.reply)
				before := counterValue(a.assist.fallbacks.WithLabelValues(b.reason))
				ans, err := a.Ask(ctx, q)
				if err != nil || ans.Generator != assistant.GeneratorBuiltin || strings.Contains(ans.Text, b.leak) {
					t.Fatalf("%s: served %+v %v", b.reply, ans, err)
				}
				if ans.Kind != assistant.KindAnswer || ans.Text != "这款的电池是5000mAh。" {
					t.Fatalf("%s: the built-in answer is %+v", b.reply, ans)
				}
				if got := counterValue(a.assist.fallbacks.WithLabelValues(b.reason)); got != before+1 {
					t.Errorf("%s: fallbacks{%s} %v → %v", b.reply, b.reason, before, got)
				}
				// The stream: only the fallback's text, then the answer.
				var streamed strings.Builder
				ans, err = a.AskStream(ctx, q, func(d string) error { streamed.WriteString(d); return nil })
				if err != nil || streamed.String() != ans.Text || ans.Generator != assistant.GeneratorBuiltin || strings.Contains(streamed.String(), b.leak) {
					t.Fatalf("%s: streamed %q, answered %+v, %v", b.reply, streamed.String(), ans, err)
				}
			}
			// A handoff question is the rules' business: no LLM call.
			n := calls.Load()
			ans, err = a.Ask(ctx, assistant.Question{Text: "我的订单什么时候发货"})
			if err != nil || ans.Kind != assistant.KindHandoff || calls.Load() != n {
				t.Fatalf("handoff: %+v %v, %d LLM calls", ans, err, calls.Load()-n)
			}
			// A stream whose client went away stops.
			reply.Store(llmReply("ANSWER", "这款手机的电池容量是5000mAh，够用一整天。", cite))
			gone := errors.New("client gone")
			if _, err := a.AskStream(ctx, q, func(string) error { return gone }); !errors.Is(err, gone) {
				t.Fatalf("stream to a gone client: %v", err)
			}
		})
	}
}

// Q&A entries survive a restart and a replica's Reload sees another's
// writes; unanswered counts are summed in the store.
func TestAssistantStateReloads(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	a := open(t, dir, quiet())
	price := shop.MoneyInput{Amount: 9900}
	if _, errs, err := a.UpsertProducts(ctx, []shop.ProductInput{{ID: "p1", Title: "保温杯", Category: "家居/杯具", Price: &price}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if _, errs, err := a.UpsertProductQAs(ctx, []assistant.QA{{ID: "q1", ProductID: "p1", Question: "能装开水吗", Answer: "可以装100℃开水。"}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	// Too many entries for one product: refused, nothing written.
	var many []assistant.QA
	for i := range MaxQAsPerProduct {
		many = append(many, assistant.QA{ID: fmt.Sprintf("m%03d", i), ProductID: "p1", Question: "q", Answer: "a"})
	}
	if _, errs, err := a.UpsertProductQAs(ctx, many); err != nil || len(errs) != 1 || errs[0].Code != shop.CodeTooLarge {
		t.Fatalf("201 entries for one product: %v %v", errs, err)
	}
	if len(a.ProductQAs("p1")) != 1 {
		t.Fatal("a refused batch was written")
	}
	// A control character is refused.
	if _, errs, _ := a.UpsertProductQAs(ctx, []assistant.QA{{ID: "q2", ProductID: "p1", Question: "a\x00b", Answer: "x"}}); len(errs) != 1 || errs[0].Code != shop.CodeInvalid {
		t.Fatalf("control character: %v", errs)
	}
	for range 3 {
		if ans, err := a.Ask(ctx, assistant.Question{Text: "保修多久", ProductID: "p1"}); err != nil || ans.Kind != assistant.KindUnknown {
			t.Fatalf("%+v %v", ans, err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := open(t, dir, quiet())
	defer b.Close()
	if qas := b.ProductQAs("p1"); len(qas) != 1 || qas[0].Answer != "可以装100℃开水。" {
		t.Fatalf("after a restart: %+v", qas)
	}
	// Another replica's write, seen after Reload.
	blob, _ := json.Marshal(assistant.QA{ID: "q9", ProductID: "p1", Question: "几斤", Answer: "300克。"})
	if err := b.Store.PutBlob(ctx, qaNS, "q9", blob); err != nil {
		t.Fatal(err)
	}
	if len(b.ProductQAs("p1")) != 1 {
		t.Fatal("seen before Reload")
	}
	if err := b.ReloadAssistant(ctx); err != nil || len(b.ProductQAs("p1")) != 2 {
		t.Fatalf("after Reload: %+v %v", b.ProductQAs("p1"), err)
	}
	b.unanswered.record("p1", "warranty", "保修多久", b.Store.Now())
	conn, err := b.UnansweredQuestions(ctx, 10, "")
	if err != nil || len(conn.Edges) != 1 || conn.Edges[0].Node.Count != 4 {
		t.Fatalf("unanswered after a restart: %+v %v", conn, err)
	}
	// A deleted product takes its entries with it.
	if _, _, err := b.DeleteProducts(ctx, []string{"p1"}); err != nil {
		t.Fatal(err)
	}
	if n := storedQAs(t, b); len(b.ProductQAs("p1")) != 0 || len(n) != 0 {
		t.Fatalf("entries of a deleted product: %d in memory, %d stored", len(b.ProductQAs("p1")), len(n))
	}
}

// The unanswered log keeps at most MaxUnansweredGroups groups and clips
// what it keeps.
func TestUnansweredLogIsBounded(t *testing.T) {
	dropped := 0
	l := newUnansweredLog(func() { dropped++ })
	for i := range MaxUnansweredGroups + 5 {
		l.record(fmt.Sprintf("p%d", i), "battery", "q", time.Time{})
	}
	if len(l.known) != MaxUnansweredGroups || dropped != 5 {
		t.Fatalf("%d groups, %d dropped", len(l.known), dropped)
	}
	l = newUnansweredLog(nil)
	for i := range 10 {
		l.record("p1", strings.Repeat("话", 50), fmt.Sprintf("%d%s", i, strings.Repeat("长", 300)), time.Time{})
	}
	for k, p := range l.pending {
		_, topic := splitGroupKey(k)
		if len([]rune(topic)) > maxTopicRunes+1 || len(p.recent) != maxExamples {
			t.Fatalf("topic %q, %d examples", topic, len(p.recent))
		}
		for _, e := range p.recent {
			if len([]rune(e.Text)) > maxExampleRunes+1 {
				t.Fatalf("example of %d runes", len([]rune(e.Text)))
			}
		}
	}
}

// storedQAs lists the stored blobs of qaNS but the writes' guard.
func storedQAs(t *testing.T, a *App) []store.Blob {
	t.Helper()
	all, _, err := a.Store.ListBlobs(context.Background(), qaNS, "", "", 100_000)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(all, func(b store.Blob) bool { return b.Key == qaTurnKey })
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// Deleting products whose Q&A entries number more than one batch
// (shop.MaxBatch) still deletes every entry: none is left to come back as
// a fact of a new product with a reused ID, or to count against MaxQAs.
func TestDeletingManyProductsDropsAllTheirQAs(t *testing.T) {
	ctx := context.Background()
	a := open(t, t.TempDir(), quiet())
	defer a.Close()
	price := shop.MoneyInput{Amount: 9900}
	const products = 6 // 6 × 200 entries: more than one batch of IDs
	var ps []shop.ProductInput
	var pids []string
	for i := range products {
		id := fmt.Sprintf("p%d", i)
		pids = append(pids, id)
		ps = append(ps, shop.ProductInput{ID: id, Title: "保温杯", Category: "家居/杯具", Price: &price})
	}
	if _, errs, err := a.UpsertProducts(ctx, ps); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	for _, pid := range pids {
		var qas []assistant.QA
		for j := range MaxQAsPerProduct {
			qas = append(qas, assistant.QA{ID: fmt.Sprintf("%s-q%03d", pid, j), ProductID: pid, Question: "能装开水吗", Answer: "可以。"})
		}
		if _, errs, err := a.UpsertProductQAs(ctx, qas); err != nil || errs != nil {
			t.Fatal(err, errs)
		}
	}
	if _, _, err := a.DeleteProducts(ctx, pids); err != nil {
		t.Fatal(err)
	}
	left := storedQAs(t, a)
	if n := len(a.ProductQAs("p0")); n != 0 || len(left) != 0 {
		t.Fatalf("entries of deleted products: %d in memory, %d+ stored", n, len(left))
	}
}

// A deleted product takes its unanswered-question groups with it: they
// neither stay in the merchant's list nor count against
// MaxUnansweredGroups (shoppers can fill groups; deleting the products
// must free them).
func TestDeletedProductsLeaveTheUnansweredLog(t *testing.T) {
	ctx := context.Background()
	a := open(t, t.TempDir(), quiet())
	defer a.Close()
	price := shop.MoneyInput{Amount: 9900}
	if _, errs, err := a.UpsertProducts(ctx, []shop.ProductInput{
		{ID: "p1", Title: "保温杯", Category: "家居/杯具", Price: &price},
		{ID: "p2", Title: "马克杯", Category: "家居/杯具", Price: &price}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	a.unanswered.record("p1", "warranty", "保修多久", a.Store.Now())
	if err := a.flushUnanswered(ctx); err != nil {
		t.Fatal(err)
	}
	a.unanswered.record("p1", "size", "多大", a.Store.Now()) // still buffered
	a.unanswered.record("p2", "warranty", "保修多久", a.Store.Now())
	if _, _, err := a.DeleteProducts(ctx, []string{"p1"}); err != nil {
		t.Fatal(err)
	}
	conn, err := a.UnansweredQuestions(ctx, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(conn.Edges) != 1 || conn.Edges[0].Node.ProductID != "p2" {
		t.Fatalf("groups after deleting p1: %+v", conn.Edges)
	}
	a.unanswered.mu.Lock()
	n := len(a.unanswered.known)
	a.unanswered.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d groups held in memory, want 1", n)
	}
}
