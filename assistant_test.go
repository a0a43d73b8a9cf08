package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// answer is an Answer as the tests select it.
type answer struct {
	Kind      string
	Text      string
	Generator string
	Citations []struct{ ProductID, Field, Value string }
	Products  []struct {
		Product struct{ ID string }
		Reason  *string
		Score   float64
	}
	Checks []struct {
		Name   string
		Passed bool
	}
}

const answerFields = `kind text generator citations { productID field value } products { product { id } reason score } checks { name passed }`

func askAs(t *testing.T, base, key, input string) (answer, map[string]any) {
	t.Helper()
	_, out, _ := post(t, base, key, `{ ask(input: `+input+`) { `+answerFields+` } }`)
	var res struct{ Data struct{ Ask answer } }
	b, _ := json.Marshal(out)
	_ = json.Unmarshal(b, &res)
	return res.Data.Ask, out
}

func assistantServer(t *testing.T) (string, func() error) {
	return startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(),
		"SHOPMUSE_API_KEYS": "adm-1:admin,svc-1:service,cat-1:catalog", "SHOPMUSE_SHOPPER_TOKEN_SECRET": testShopperSecret})
}

// Every kind of answer on the demo shop, each claim cited and checked.
func TestAskKindsOnTheDemoShop(t *testing.T) {
	base, stop := assistantServer(t)
	defer stop()
	cases := []struct {
		input, kind string
		cites       string // a field every answer of the case cites ("" for refusals)
		text        string // in the text
	}{
		{`{question: "电池多大？", productID: "sku-phone-0001"}`, "ANSWER", "attribute:电池", "3349mAh"},
		{`{question: "多少钱", productID: "sku-phone-0001"}`, "ANSWER", "price", "6499"},
		{`{question: "包装里有充电器吗", productID: "sku-phone-0001"}`, "ANSWER", "qa:qa-sku-phone-0001-01", "不含充电头"},
		{`{question: "How big is the battery?", productID: "sku-phone-0001", language: EN}`, "ANSWER", "attribute:电池", "3349mAh"},
		{`{question: "有没有送女朋友的护肤品，500以内"}`, "PRODUCTS", "price", "¥"},
		{`{question: "哪个电池大", productIDs: ["sku-phone-0001", "sku-phone-0006"]}`, "COMPARISON", "attribute:电池", "3349mAh"},
		{`{question: "这个支持无线充电吗", productID: "sku-phone-0001"}`, "UNKNOWN", "", "客服"},
		{`{question: "我的订单什么时候发货"}`, "HANDOFF", "", "客服"},
	}
	for _, c := range cases {
		a, out := askAs(t, base, "cat-1", c.input)
		if out["errors"] != nil || a.Kind != c.kind || a.Generator != "builtin" || !strings.Contains(a.Text, c.text) {
			t.Errorf("%s: got %s %q (%v), want %s containing %q", c.input, a.Kind, a.Text, out["errors"], c.kind, c.text)
			continue
		}
		if c.cites == "" {
			if len(a.Citations) != 0 || len(a.Products) != 0 {
				t.Errorf("%s: a refusal cites %+v", c.input, a)
			}
			continue
		}
		found := false
		for _, ct := range a.Citations {
			found = found || ct.Field == c.cites
			if ct.ProductID == "" || ct.Value == "" {
				t.Errorf("%s: citation %+v", c.input, ct)
			}
		}
		if !found {
			t.Errorf("%s: no citation of %s in %+v", c.input, c.cites, a.Citations)
		}
		if len(a.Checks) == 0 {
			t.Errorf("%s: no checks", c.input)
		}
		for _, ch := range a.Checks {
			if !ch.Passed {
				t.Errorf("%s: check %s failed", c.input, ch.Name)
			}
		}
		if c.kind == "PRODUCTS" {
			if len(a.Products) < 2 || a.Products[0].Reason == nil || *a.Products[0].Reason == "" {
				t.Errorf("%s: products %+v", c.input, a.Products)
			}
			for _, p := range a.Products {
				cited := false
				for _, ct := range a.Citations {
					cited = cited || ct.ProductID == p.Product.ID
				}
				if !cited {
					t.Errorf("%s: product %s suggested without a cited fact", c.input, p.Product.ID)
				}
			}
		}
		if c.kind == "COMPARISON" && len(a.Products) != 2 {
			t.Errorf("%s: compared %+v", c.input, a.Products)
		}
	}
	// The README's example says what it gives on the demo shop.
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(readme), "  battery: ask(")
	if start < 0 {
		t.Fatal("README lost its ask example")
	}
	block := "{\n" + string(readme[start:start+strings.Index(string(readme[start:]), "```")])
	_, out, _ := post(t, base, "cat-1", block)
	got := toJSON(out)
	for _, want := range []string{`"text":"这款的电池是3349mAh。"`, `"field":"attribute:电池"`, `"value":"3349mAh"`,
		`"text":"店铺答复：包装内含主机、USB-C数据线和说明书，不含充电头。"`, `"field":"qa:qa-sku-phone-0001-01"`,
		`"kind":"PRODUCTS"`, `"kind":"COMPARISON"`, `"text":"商品信息里没有写保修期，建议咨询店铺客服。"`, `"kind":"HANDOFF"`} {
		if !strings.Contains(got, want) {
			t.Errorf("the README example gives %s, without %s", got, want)
		}
	}
	if strings.Contains(got, `"passed":false`) || out["errors"] != nil {
		t.Errorf("the README example: %s", got)
	}
	var need struct {
		Data struct {
			Need struct {
				Products []struct{ Product struct{ Title string } }
			}
		}
	}
	fromJSON(t, out, &need)
	if len(need.Data.Need.Products) != 4 {
		t.Errorf("the README promises four products for the need: %+v", need.Data.Need.Products)
	}
	// A search hit has no reason.
	if _, out, _ := post(t, base, "cat-1", `{ searchProducts(query: "手机", first: 1) { reason } }`); !strings.Contains(toJSON(out), `"reason":null`) {
		t.Errorf("search hit: %v", out)
	}
}

// Personalised answers follow the roles of recommendations; bad questions
// are refused with codes.
func TestAskRolesAndValidation(t *testing.T) {
	base, stop := assistantServer(t)
	defer stop()
	u3 := shopperToken(t, "u003", "1h")
	need := `question: "有什么推荐的手机"`
	for _, c := range []struct{ who, input, want string }{
		{"cat-1", `{` + need + `}`, ""},
		{"cat-1", `{` + need + `, userID: "u003"}`, "FORBIDDEN"},
		{u3, `{` + need + `}`, ""}, // omitted: itself
		{u3, `{` + need + `, userID: "u003"}`, ""},
		{u3, `{` + need + `, userID: "u004"}`, "FORBIDDEN"},
		{"svc-1", `{` + need + `, userID: "u004"}`, ""},
		{"adm-1", `{` + need + `, userID: "u004"}`, ""},
		{"cat-1", `{question: ""}`, "BAD_USER_INPUT"},
		{"cat-1", `{question: "   "}`, "BAD_USER_INPUT"},
		{"cat-1", `{question: "` + strings.Repeat("电", 501) + `"}`, "BAD_USER_INPUT"},
		{"cat-1", `{question: "` + strings.Repeat("电", 499) + `？"}`, ""},
		{"cat-1", `{question: "电池多大", productID: "no-such-sku"}`, "NOT_FOUND"},
		{"cat-1", `{question: "哪个好", productIDs: ["sku-phone-0001", "nope"]}`, "NOT_FOUND"},
		{"cat-1", `{question: "哪个好", productIDs: ["a", "b", "c", "d", "e"]}`, "BAD_USER_INPUT"},
		{"cat-1", `{question: "电池多大", productID: ""}`, "BAD_USER_INPUT"},
	} {
		_, out, _ := post(t, base, c.who, `{ ask(input: `+c.input+`) { kind text } }`)
		if got := codes(out); got != c.want {
			t.Errorf("%s asks %.80s: got %q, want %q (%v)", c.who[:min(5, len(c.who))], c.input, got, c.want, out["errors"])
		}
	}
	// The stream has the same roles.
	_, out, _ := post(t, base, "cat-1", `subscription { askStream(input: {`+need+`, userID: "u003"}) { done } }`)
	if codes(out) != "FORBIDDEN" {
		t.Errorf("askStream with a userID for a catalog key: %v", out)
	}
	// Many asks in one operation cost what many LLM calls would.
	var q strings.Builder
	q.WriteString("{")
	for i := range 101 {
		q.WriteString(" a" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `: ask(input: {question: "多少钱", productID: "sku-phone-0001"}) { kind }`)
	}
	q.WriteString("}")
	if _, out, _ := post(t, base, "adm-1", q.String()); codes(out) != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Errorf("101 asks in one operation: %v", codes(out))
	}
}

// A shop's own answers become facts, cited as qa:<id>; writing them is for
// admins; a bad batch writes nothing.
func TestProductQAsOverGraphQL(t *testing.T) {
	base, stop := assistantServer(t)
	defer stop()
	write := `mutation { upsertProductQAs(input: [{id: "qa-x1", productID: "sku-phone-0003", question: "支持无线充电吗？", answer: "支持15W无线充电。"}]) { qas { id productID } userErrors { field code } } }`
	for _, who := range []string{"cat-1", "svc-1", shopperToken(t, "u003", "1h")} {
		if _, out, _ := post(t, base, who, write); codes(out) != "FORBIDDEN" {
			t.Errorf("%.5s wrote Q&A entries: %v", who, out)
		}
	}
	// One bad row of four: nothing is written, every problem named.
	_, out, _ := post(t, base, "adm-1", `mutation { upsertProductQAs(input: [
	  {id: "qa-x1", productID: "sku-phone-0003", question: "支持无线充电吗？", answer: "支持15W无线充电。"},
	  {id: "qa-x2", productID: "no-such-sku", question: "q", answer: "a"},
	  {id: "qa-x1", productID: "sku-phone-0003", question: "again", answer: "dup"},
	  {id: "qa-x3", productID: "sku-phone-0003", question: "long", answer: "`+strings.Repeat("长", 2001)+`"}]) { qas { id } userErrors { field code } } }`)
	got := toJSON(out["data"])
	for _, want := range []string{`{"code":"NOT_FOUND","field":["input","1","productID"]}`, `{"code":"DUPLICATE","field":["input","2","id"]}`, `{"code":"TOO_LONG","field":["input","3","answer"]}`, `"qas":[]`} {
		if !strings.Contains(got, want) {
			t.Errorf("bad batch: %s lacks %s", got, want)
		}
	}
	if _, out, _ := post(t, base, "cat-1", `{ product(id: "sku-phone-0003") { qas { id } } }`); strings.Contains(toJSON(out), "qa-x1") {
		t.Fatalf("a rejected batch was written: %v", out)
	}
	a, _ := askAs(t, base, "cat-1", `{question: "支持无线充电吗", productID: "sku-phone-0003"}`)
	if a.Kind != "UNKNOWN" {
		t.Fatalf("before the entry: %+v", a)
	}
	if _, out, _ := post(t, base, "adm-1", write); !strings.Contains(toJSON(out), `"qas":[{"id":"qa-x1","productID":"sku-phone-0003"}],"userErrors":[]`) {
		t.Fatalf("write: %v", out)
	}
	a, _ = askAs(t, base, "cat-1", `{question: "支持无线充电吗", productID: "sku-phone-0003"}`)
	if a.Kind != "ANSWER" || !strings.Contains(a.Text, "15W") || len(a.Citations) != 1 || a.Citations[0].Field != "qa:qa-x1" || a.Citations[0].Value != "支持15W无线充电。" {
		t.Fatalf("answered from the entry: %+v", a)
	}
	if _, out, _ := post(t, base, "cat-1", `{ product(id: "sku-phone-0003") { qas { id question answer } } }`); !strings.Contains(toJSON(out), `{"answer":"支持15W无线充电。","id":"qa-x1","question":"支持无线充电吗？"}`) {
		t.Errorf("Product.qas: %v", out)
	}
	if _, out, _ := post(t, base, "adm-1", `mutation { deleteProductQAs(ids: ["qa-x1", "never"]) { deletedIDs userErrors { code } } }`); !strings.Contains(toJSON(out), `"deletedIDs":["qa-x1"]`) {
		t.Fatalf("delete: %v", out)
	}
	if a, _ = askAs(t, base, "cat-1", `{question: "支持无线充电吗", productID: "sku-phone-0003"}`); a.Kind != "UNKNOWN" {
		t.Fatalf("after the delete: %+v", a)
	}
}

// What the catalogue could not answer, grouped, for admins only, without
// who asked.
func TestUnansweredQuestions(t *testing.T) {
	base, stop := assistantServer(t)
	defer stop()
	u3 := shopperToken(t, "u003", "1h")
	for _, q := range []string{"这个支持无线充电吗", "支持无线充电不", "支持无线充电吗 13812345678"} {
		if a, _ := askAs(t, base, u3, `{question: "`+q+`", productID: "sku-phone-0001"}`); a.Kind != "UNKNOWN" {
			t.Fatalf("%s: %+v", q, a)
		}
	}
	if a, _ := askAs(t, base, "cat-1", `{question: "保修期多久", productID: "sku-phone-0002"}`); a.Kind != "UNKNOWN" {
		t.Fatalf("warranty: %+v", a)
	}
	query := `{ unansweredQuestions(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { productID product { id } topic count examples } } } }`
	for _, who := range []string{"cat-1", "svc-1", u3} {
		if _, out, _ := post(t, base, who, query); codes(out) != "FORBIDDEN" {
			t.Errorf("%.5s read unanswered questions: %v", who, out)
		}
	}
	var res struct {
		Data struct {
			UnansweredQuestions struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct {
					Node struct {
						ProductID string
						Product   struct{ ID string }
						Topic     string
						Count     int
						Examples  []string
					}
				}
			}
		}
	}
	_, out, _ := post(t, base, "adm-1", query)
	fromJSON(t, out, &res)
	uq := res.Data.UnansweredQuestions
	if uq.TotalCount != 2 || !uq.PageInfo.HasNextPage || len(uq.Edges) != 1 {
		t.Fatalf("page: %v", out)
	}
	top := uq.Edges[0].Node
	if top.ProductID != "sku-phone-0001" || top.Product.ID != "sku-phone-0001" || top.Count != 3 || len(top.Examples) != 3 || top.Topic == "" {
		t.Fatalf("most asked: %+v", top)
	}
	if s := strings.Join(top.Examples, "|"); strings.Contains(s, "13812345678") || !strings.Contains(s, "***********") || strings.Contains(toJSON(out), "u003") {
		t.Errorf("examples keep a phone number or who asked: %v", top.Examples)
	}
	_, out, _ = post(t, base, "adm-1", `{ unansweredQuestions(first: 5, after: "`+uq.PageInfo.EndCursor+`") { edges { node { productID count } } pageInfo { hasNextPage } } }`)
	if got := toJSON(out["data"]); !strings.Contains(got, `"productID":"sku-phone-0002"`) || !strings.Contains(got, `"hasNextPage":false`) {
		t.Errorf("second page: %s", got)
	}
	if _, out, _ = post(t, base, "adm-1", `{ unansweredQuestions(after: "bogus") { totalCount } }`); codes(out) != "BAD_USER_INPUT" {
		t.Errorf("bad cursor: %v", out)
	}
}

// askStreamQuery asks for a need on the demo shop.
const askStreamQuery = `subscription { askStream(input: {question: "有没有送女朋友的护肤品，500以内"}) { delta done answer { kind text citations { field } } } }`

type answerChunk struct {
	Delta  string
	Done   bool
	Answer *struct {
		Kind, Text string
		Citations  []struct{ Field string }
	}
}

func checkAnswerStream(t *testing.T, chunks []answerChunk) {
	t.Helper()
	if len(chunks) < 3 {
		t.Fatalf("only %d chunks", len(chunks))
	}
	last := chunks[len(chunks)-1]
	if !last.Done || last.Answer == nil || last.Answer.Kind != "PRODUCTS" || len(last.Answer.Citations) == 0 {
		t.Fatalf("last chunk %+v", last)
	}
	var streamed strings.Builder
	for _, c := range chunks[:len(chunks)-1] {
		if c.Done || c.Answer != nil {
			t.Fatal("the answer before the end")
		}
		streamed.WriteString(c.Delta)
	}
	if streamed.String() != last.Answer.Text {
		t.Fatalf("streamed %q, answered %q", streamed.String(), last.Answer.Text)
	}
}

func TestAskStreamOverSSE(t *testing.T) {
	base, stop := assistantServer(t)
	defer stop()
	body, _ := json.Marshal(map[string]any{"query": askStreamQuery})
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer cat-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var chunks []answerChunk
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "next":
			var msg struct {
				Data struct{ AskStream answerChunk }
			}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &msg); err != nil {
				t.Fatal(err)
			}
			chunks = append(chunks, msg.Data.AskStream)
		}
		if event == "complete" {
			break
		}
	}
	checkAnswerStream(t, chunks)
}

func TestAskStreamOverWebSocket(t *testing.T) {
	base, stop := assistantServer(t)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	write := func(v any) {
		b, _ := json.Marshal(v)
		if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	read := func() map[string]json.RawMessage {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		_ = json.Unmarshal(b, &m)
		return m
	}
	write(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer cat-1"}})
	if typ := string(read()["type"]); typ != `"connection_ack"` {
		t.Fatalf("got %s, want connection_ack", typ)
	}
	write(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": askStreamQuery}})
	var chunks []answerChunk
	for {
		m := read()
		typ := string(m["type"])
		if typ == `"complete"` {
			break
		}
		if typ == `"ping"` {
			write(map[string]any{"type": "pong"})
			continue
		}
		if typ != `"next"` {
			t.Fatalf("message %s", m["payload"])
		}
		var p struct {
			Data struct{ AskStream answerChunk }
		}
		if err := json.Unmarshal(m["payload"], &p); err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, p.Data.AskStream)
	}
	checkAnswerStream(t, chunks)
}

// With an LLM configured, what it writes is verified before anything is
// streamed: an invented number never reaches the client over SSE, the
// built-in answer does, and the fallback is counted in /metrics.
func TestAskStreamWithAnUnverifiedLLMAnswer(t *testing.T) {
	var calls atomic.Int64
	llm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		content := `{"kind": "ANSWER", "text": "电池是6000mAh，续航两天。", "citations": [{"productID": "sku-phone-0001", "field": "attribute:电池", "value": "3349mAh"}]}`
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}}})
	}))
	defer llm.Close()
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(),
		"SHOPMUSE_LLM": "openai", "SHOPMUSE_LLM_MODEL": "m", "OPENAI_BASE_URL": llm.URL + "/v1"})
	defer stop()
	body, _ := json.Marshal(map[string]any{"query": `subscription { askStream(input: {question: "电池多大？", productID: "sku-phone-0001"}) { delta done answer { kind text generator } } }`})
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if calls.Load() != 1 {
		t.Fatalf("%d LLM calls", calls.Load())
	}
	if strings.Contains(string(raw), "6000") || strings.Contains(string(raw), "两天") {
		t.Fatalf("the unverified answer reached the client:\n%s", raw)
	}
	if !strings.Contains(string(raw), `"generator":"builtin"`) || !strings.Contains(string(raw), `"text":"这款的电池是3349mAh。"`) {
		t.Fatalf("no built-in answer in the stream:\n%s", raw)
	}
	mresp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	if !strings.Contains(string(m), `shopmuse_assistant_fallbacks_total{reason="unsupported_claim"} 1`) {
		t.Fatalf("fallback not counted:\n%s", m)
	}
}
