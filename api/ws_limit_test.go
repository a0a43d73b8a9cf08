package api

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestLimitWebsocketsPerAddress(t *testing.T) {
	release := make(chan struct{})
	var entered sync.WaitGroup
	h := LimitWebsocketsPerAddress(3, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocketUpgrade(r) && r.Header.Get("Authorization") == "" {
			entered.Done()
			<-release // the socket stays open
		}
	}))
	upgrade := func(addr, auth string) *http.Request {
		r := httptest.NewRequest("GET", "/graphql", nil)
		r.RemoteAddr = addr
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Connection", "Upgrade")
		r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	var done sync.WaitGroup
	for i := range 3 {
		entered.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			h.ServeHTTP(httptest.NewRecorder(), upgrade("203.0.113.7:"+string(rune('1'+i)), ""))
		}()
	}
	entered.Wait()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, upgrade("203.0.113.7:9", ""))
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("a fourth open socket from one address: %d, want 429", rec.Code)
	}
	// Another address, and a handshake that carries its key, are not held up.
	entered.Add(1)
	done.Add(1)
	go func() { defer done.Done(); h.ServeHTTP(httptest.NewRecorder(), upgrade("198.51.100.9:1", "")) }()
	entered.Wait()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, upgrade("203.0.113.7:10", "Bearer k"))
	if rec.Code != http.StatusOK {
		t.Fatalf("a handshake with its key: %d", rec.Code)
	}
	close(release)
	done.Wait()
	// Closed sockets free their places.
	release = make(chan struct{})
	entered.Add(1)
	done.Add(1)
	go func() { defer done.Done(); h.ServeHTTP(httptest.NewRecorder(), upgrade("203.0.113.7:11", "")) }()
	entered.Wait()
	close(release)
	done.Wait()
}
