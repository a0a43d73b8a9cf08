package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const streamQuery = `subscription { copyStream(productID: "sku-phone-0001", persona: {description: "25岁,女性,喜欢拍照,热爱户外运动"}, channel: PUSH) { delta done copy { generator variants { id text checks { name passed } } } } }`

func TestGeneratedCopyOverHTTP(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir()})
	defer stop()
	q := `{ generatedCopy(productID: "sku-phone-0001", persona: {description: "25岁,女性,喜欢拍照,热爱户外运动"}, variants: 3) {
	  generator cached variants { id text checks { name passed } } } }`
	var first struct {
		GeneratedCopy struct {
			Generator string
			Cached    bool
			Variants  []struct {
				ID, Text string
				Checks   []struct {
					Name   string
					Passed bool
				}
			}
		}
	}
	fromJSON(t, gqlPost(t, base, q, nil), &first)
	g := first.GeneratedCopy
	if g.Generator != "template" || g.Cached || len(g.Variants) != 3 {
		t.Fatalf("%+v", g)
	}
	texts := map[string]bool{}
	for _, v := range g.Variants {
		texts[v.Text] = true
		if len(v.Checks) != 4 {
			t.Fatalf("checks %+v", v.Checks)
		}
		for _, c := range v.Checks {
			if !c.Passed {
				t.Fatalf("built-in copy failed %s: %s", c.Name, v.Text)
			}
		}
	}
	if len(texts) != 3 {
		t.Fatal("variants repeat")
	}
	var again struct {
		GeneratedCopy struct {
			Cached   bool
			Variants []struct{ ID string }
		}
	}
	fromJSON(t, gqlPost(t, base, `{ generatedCopy(productID: "sku-phone-0001", persona: {description: "25岁,女性,喜欢拍照,热爱户外运动"}, variants: 3) { cached variants { id } } }`, nil), &again)
	if !again.GeneratedCopy.Cached || again.GeneratedCopy.Variants[0].ID != g.Variants[0].ID {
		t.Fatalf("second call not served from cache with the same IDs: %+v", again)
	}
	// A user's persona comes from their profile and behaviour.
	var u struct {
		User struct {
			Persona struct {
				Segment       string
				TopCategories []string
			}
		}
	}
	fromJSON(t, gqlPost(t, base, `{ user(id: "u001") { persona { segment topCategories } } }`, nil), &u)
	if u.User.Persona.Segment == "" || len(u.User.Persona.TopCategories) == 0 {
		t.Fatalf("persona %+v", u)
	}
	// Bad input is a clear error.
	_, out, _ := post(t, base, "", `{ generatedCopy(productID: "nope") { generator } }`)
	if strings.Join(errorCodes(out), ",") != "NOT_FOUND" {
		t.Fatalf("unknown product: %v", out)
	}
	_, out, _ = post(t, base, "", `{ generatedCopy(productID: "sku-phone-0001", variants: 9) { generator } }`)
	if strings.Join(errorCodes(out), ",") != "BAD_USER_INPUT" {
		t.Fatalf("9 variants: %v", out)
	}
}

// chunk is one CopyChunk of the stream.
type chunk struct {
	Delta string
	Done  bool
	Copy  *struct {
		Generator string
		Variants  []struct{ ID, Text string }
	}
}

func checkStream(t *testing.T, chunks []chunk) {
	t.Helper()
	if len(chunks) < 3 {
		t.Fatalf("only %d chunks", len(chunks))
	}
	last := chunks[len(chunks)-1]
	if !last.Done || last.Copy == nil || len(last.Copy.Variants) != 1 {
		t.Fatalf("last chunk %+v", last)
	}
	var streamed strings.Builder
	for _, c := range chunks[:len(chunks)-1] {
		if c.Done {
			t.Fatal("done before the end")
		}
		streamed.WriteString(c.Delta)
	}
	if !strings.Contains(streamed.String(), last.Copy.Variants[0].Text) {
		t.Fatalf("streamed %q does not carry the final text %q", streamed.String(), last.Copy.Variants[0].Text)
	}
}

func TestCopyStreamOverSSE(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir()})
	defer stop()
	body, _ := json.Marshal(map[string]any{"query": streamQuery})
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	var chunks []chunk
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "next":
			var msg struct {
				Data struct{ CopyStream chunk }
			}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &msg); err != nil {
				t.Fatal(err)
			}
			chunks = append(chunks, msg.Data.CopyStream)
		}
		if event == "complete" {
			break
		}
	}
	checkStream(t, chunks)
}

func TestCopyStreamOverWebSocket(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(),
		"SHOPMUSE_API_KEYS": "k-admin:admin,k-read:read"})
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
		json.Unmarshal(b, &m)
		return m
	}
	// Browsers cannot set headers on a WebSocket: the key rides in connection_init.
	write(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer k-read"}})
	if typ := string(read()["type"]); typ != `"connection_ack"` {
		t.Fatalf("got %s, want connection_ack", typ)
	}
	write(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": streamQuery}})
	var chunks []chunk
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
			t.Fatalf("unexpected %s: %s", typ, m["payload"])
		}
		var p struct {
			Data struct{ CopyStream chunk }
		}
		json.Unmarshal(m["payload"], &p)
		chunks = append(chunks, p.Data.CopyStream)
	}
	checkStream(t, chunks)
}
