package api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// LoopbackHosts are the Host names a server without keys answers by
// default: a page on another site that rebinds its DNS name to 127.0.0.1
// still sends its own name as Host, and is refused.
var LoopbackHosts = []string{"localhost", "127.0.0.1", "::1"}

// AllowedHosts answers 421 Misdirected Request to a request whose Host (port
// aside) is not in hosts. An empty list or "*" allows every host.
func AllowedHosts(hosts []string, next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, h := range hosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "*" {
			return next
		}
		if h != "" {
			allowed[strings.Trim(h, "[]")] = true
		}
	}
	if len(allowed) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
		if !allowed[host] {
			writeGraphQLError(w, http.StatusMisdirectedRequest,
				"this server does not answer for that Host; see SHOPMUSE_ALLOWED_HOSTS", "MISDIRECTED_REQUEST")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isWebsocketUpgrade reports whether r is a genuine WebSocket opening
// handshake (RFC 6455 §4.1): a GET with Upgrade, Connection and a key.
// Only such a request may reach the endpoint before its key is known, and
// then only the WebSocket transport can take it: the SSE and POST
// transports need a POST.
func isWebsocketUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		headerHasToken(r.Header, "Connection", "upgrade") &&
		r.Header.Get("Sec-WebSocket-Key") != ""
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// ShapeLimit refuses, before validation, documents that would make
// validation slow: more tokens than MaxTokens, or one response name
// selected more than MaxRepeats times in one selection set (validation
// compares every pair of fields sharing a response name, so 20,000
// `__typename` took minutes). It runs after automatic persisted queries
// have filled in the text, so a hash cannot smuggle a large query in.
//
// It also refuses documents whose fragments, expanded, select more than
// MaxExpandedFields fields: a chain of fragments each spreading the next
// twice is small to send but doubles with every link, for every walker of
// the operation (complexity, depth, execution).
type ShapeLimit struct {
	MaxTokens  int
	MaxRepeats int
}

// MaxExpandedFields bounds the fields of an operation with its fragments
// expanded; GraphiQL's schema query has a few hundred.
const MaxExpandedFields = 50_000

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = ShapeLimit{}

func (ShapeLimit) ExtensionName() string                   { return "ShapeLimit" }
func (ShapeLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (s ShapeLimit) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, s.MaxTokens)
	if err != nil {
		// Parse errors, the token limit's among them, are reported by the
		// executor's own parse with the same limit.
		return nil
	}
	if s.MaxRepeats <= 0 {
		return nil
	}
	c := shapeChecker{max: s.MaxRepeats, doc: doc}
	sizes := map[string]int{}
	for _, op := range doc.Operations {
		if n := c.expanded(op.SelectionSet, sizes, map[string]bool{}); n > MaxExpandedFields {
			return &gqlerror.Error{
				Message:    fmt.Sprintf("the operation selects over %d fields once its fragments are expanded", MaxExpandedFields),
				Extensions: map[string]any{"code": "QUERY_TOO_COMPLEX"},
			}
		}
	}
	for _, op := range doc.Operations {
		if name, n := c.check(op.SelectionSet); n > 0 {
			return repeatsError(name, n, s.MaxRepeats)
		}
	}
	for _, f := range doc.Fragments {
		if name, n := c.check(f.SelectionSet); n > 0 {
			return repeatsError(name, n, s.MaxRepeats)
		}
	}
	return nil
}

func repeatsError(name string, n, max int) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf("%q is selected %d times in one selection set; at most %d are allowed", name, n, max),
		Extensions: map[string]any{"code": "QUERY_TOO_COMPLEX"},
	}
}

type shapeChecker struct {
	max int
	doc *ast.QueryDocument
}

// check walks every selection set under set and returns a response name
// selected more than max times in one of them (with its count), or 0.
func (c *shapeChecker) check(set ast.SelectionSet) (string, int) {
	counts := map[string]int{}
	if name, n := c.collect(set, counts, map[string]bool{}); n > 0 {
		return name, n
	}
	for _, sel := range set {
		var sub ast.SelectionSet
		switch s := sel.(type) {
		case *ast.Field:
			sub = s.SelectionSet
		case *ast.InlineFragment:
			sub = s.SelectionSet
		}
		if len(sub) > 0 {
			if name, n := c.check(sub); n > 0 {
				return name, n
			}
		}
	}
	return "", 0
}

// collect adds the response names one set selects, through inline
// fragments and (each once) named fragments, to counts.
func (c *shapeChecker) collect(set ast.SelectionSet, counts map[string]int, spread map[string]bool) (string, int) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			if counts[name]++; counts[name] > c.max {
				return name, counts[name]
			}
		case *ast.InlineFragment:
			if name, n := c.collect(s.SelectionSet, counts, spread); n > 0 {
				return name, n
			}
		case *ast.FragmentSpread:
			if spread[s.Name] {
				continue // validation compares a fragment with itself once
			}
			spread[s.Name] = true
			f := c.doc.Fragments.ForName(s.Name)
			if f == nil {
				continue // validation reports the unknown fragment
			}
			if name, n := c.collect(f.SelectionSet, counts, spread); n > 0 {
				return name, n
			}
		}
	}
	return "", 0
}

// expanded counts the fields under set with fragments expanded, each
// fragment's count computed once (sizes), saturating past the limit.
func (c *shapeChecker) expanded(set ast.SelectionSet, sizes map[string]int, visiting map[string]bool) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n += 1 + c.expanded(s.SelectionSet, sizes, visiting)
		case *ast.InlineFragment:
			n += c.expanded(s.SelectionSet, sizes, visiting)
		case *ast.FragmentSpread:
			size, ok := sizes[s.Name]
			if !ok {
				f := c.doc.Fragments.ForName(s.Name)
				if f == nil || visiting[s.Name] {
					continue // unknown fragments and cycles fail validation
				}
				visiting[s.Name] = true
				size = c.expanded(f.SelectionSet, sizes, visiting)
				delete(visiting, s.Name)
				sizes[s.Name] = size
			}
			n += size
		}
		if n > MaxExpandedFields {
			return MaxExpandedFields + 1
		}
	}
	return n
}

// DefaultWebsocketsPerAddress bounds the WebSockets one address holds open
// without an Authorization header (browsers, which send their key in
// connection_init). Generous for a household or an office behind one NAT;
// far below what exhausts the server's file descriptors.
const DefaultWebsocketsPerAddress = 64

// LimitWebsocketsPerAddress refuses, with 429, a header-less WebSocket
// handshake from an address that already holds max of them open: until
// connection_init arrives nothing identifies the caller, so without a cap
// one address could hold thousands of sockets for the init deadline each.
// max <= 0 disables the cap.
func LimitWebsocketsPerAddress(max int, next http.Handler) http.Handler {
	if max <= 0 {
		return next
	}
	var mu sync.Mutex
	open := map[string]int{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || !isWebsocketUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		addr := addrClient(r)
		mu.Lock()
		if open[addr] >= max {
			mu.Unlock()
			w.Header().Set("Retry-After", "10")
			http.Error(w, "too many open WebSockets from this address", http.StatusTooManyRequests)
			return
		}
		open[addr]++
		mu.Unlock()
		defer func() {
			mu.Lock()
			if open[addr]--; open[addr] == 0 {
				delete(open, addr)
			}
			mu.Unlock()
		}()
		next.ServeHTTP(w, r)
	})
}
