package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// SpecStatus aligns gqlgen's error responses with the GraphQL over HTTP
// specification (graphql-http's audit SHOULDs):
//
//   - a request that fails before execution (parse, validation, variable
//     coercion) answers 200 under application/json — gqlgen sends 422 — and
//     keeps its 4xx under application/graphql-response+json;
//   - such a response has no "data" entry at all; gqlgen writes "data":null.
//
// Streams (WebSocket, SSE) pass through untouched.
func SpecStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r) || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		sw := &specWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		sw.finish()
	})
}

type specWriter struct {
	http.ResponseWriter
	status    int
	buffering bool
	buf       bytes.Buffer
}

func (s *specWriter) WriteHeader(code int) {
	if s.status != 0 {
		return
	}
	s.status = code
	if code == http.StatusUnprocessableEntity || code == http.StatusBadRequest {
		s.buffering = true // rewrite in finish
		return
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *specWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	if s.buffering {
		return s.buf.Write(b)
	}
	return s.ResponseWriter.Write(b)
}

func (s *specWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok && !s.buffering {
		f.Flush()
	}
}

func (s *specWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *specWriter) finish() {
	if !s.buffering {
		return
	}
	status, body := s.status, s.buf.Bytes()
	ct := s.Header().Get("Content-Type")
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) == nil && m["errors"] != nil {
		if d, ok := m["data"]; ok && string(d) == "null" {
			delete(m, "data")
			if b, err := json.Marshal(m); err == nil {
				body = b
			}
		}
		if status == http.StatusUnprocessableEntity {
			if badRequest(m["errors"]) {
				status = http.StatusBadRequest // not a GraphQL request at all
			} else if strings.HasPrefix(ct, "application/json") {
				status = http.StatusOK
			} else {
				status = http.StatusBadRequest
			}
		}
	}
	s.Header().Set("Content-Length", strconv.Itoa(len(body)))
	s.ResponseWriter.WriteHeader(status)
	s.ResponseWriter.Write(body)
}

// badRequest reports whether the errors say the request parameters were
// malformed (code BAD_REQUEST, set by the error presenter).
func badRequest(raw json.RawMessage) bool {
	var errs []struct {
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	}
	return json.Unmarshal(raw, &errs) == nil && len(errs) > 0 && errs[0].Extensions.Code == "BAD_REQUEST"
}
