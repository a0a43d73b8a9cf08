package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.Error(w, `{"status":"starting"}`, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"status":"ready"}`))
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := runProbe(context.Background(), []string{srv.URL + "/readyz"}, &out); err != nil || !strings.Contains(out.String(), "ready") {
		t.Fatalf("ready: %v %q", err, out.String())
	}
	if err := runProbe(context.Background(), []string{srv.URL + "/other"}, &out); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("not ready: %v", err)
	}
	// Odd URLs: refused with a message that says what a probe takes.
	for _, u := range []string{"file:///etc/passwd", "127.0.0.1:8080/readyz", "localhost", "ftp://h/x", "http://", "http://u:s3cret@h/readyz x"} {
		err := runProbe(context.Background(), []string{u}, &out)
		if err == nil || !strings.Contains(err.Error(), "http://") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("probe %q: %v, want an error showing an http:// URL", u, err)
		}
	}
}
