package web

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"
)

func get(t *testing.T, h http.Handler, target string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assetRef matches the src/href of <script> and <link> tags.
var assetRef = regexp.MustCompile(`<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)["']`)

func TestIndexReferencesOnlyLocalAssets(t *testing.T) {
	h := GraphiQL()
	res := get(t, h, "/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache", cc)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	page := body(t, res)
	refs := assetRef.FindAllStringSubmatch(page, -1)
	if len(refs) != 2 {
		t.Fatalf("want one script and one stylesheet in index.html, got %q", refs)
	}
	for _, m := range refs {
		u, err := url.Parse(m[1])
		if err != nil {
			t.Fatal(err)
		}
		// Off-site means any scheme or host, including protocol-relative
		// "//cdn..." URLs, which have a host but no scheme.
		if u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/graphiql/") {
			t.Errorf("index.html references %q; want a same-origin /graphiql/ path", m[1])
			continue
		}
		// Every reference must resolve to an asset the handler serves as
		// immutable (its ?v= matches the content).
		ares := get(t, h, m[1])
		if ares.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", m[1], ares.StatusCode)
		}
		if cc := ares.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s: Cache-Control = %q, want immutable", m[1], cc)
		}
	}
}

// TestEmbeddedHTMLHasNoOffsiteTags scans every embedded HTML file, not just
// the page served, so a stray CDN tag in a rebuilt asset set fails here.
func TestEmbeddedHTMLHasNoOffsiteTags(t *testing.T) {
	n := 0
	err := fs.WalkDir(assets, "graphiql", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		n++
		for _, m := range assetRef.FindAllStringSubmatch(string(b), -1) {
			if u, _ := url.Parse(m[1]); u == nil || u.Scheme != "" || u.Host != "" {
				t.Errorf("%s: off-site asset %q", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no HTML embedded")
	}
}

func TestAssets(t *testing.T) {
	h := GraphiQL()
	for _, tc := range []struct{ path, ctype string }{
		{"/graphiql/graphiql.js", "text/javascript; charset=utf-8"},
		{"/graphiql/graphiql.css", "text/css; charset=utf-8"},
		{"/graphiql/THIRD_PARTY_LICENSES.txt", "text/plain; charset=utf-8"},
	} {
		res := get(t, h, tc.path)
		b := body(t, res)
		if res.StatusCode != http.StatusOK || len(b) == 0 {
			t.Errorf("GET %s = %d, %d bytes", tc.path, res.StatusCode, len(b))
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != tc.ctype {
			t.Errorf("GET %s: Content-Type = %q, want %q", tc.path, ct, tc.ctype)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", tc.path)
		}
		// Without the current ?v= the URL may outlive this build: revalidate.
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control = %q, want no-cache", tc.path, cc)
		}
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Errorf("GET %s: no ETag", tc.path)
			continue
		}
		if res := get(t, h, tc.path, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag = %d, want 304", tc.path, res.StatusCode)
		}
		if res := get(t, h, tc.path+"?v=stale"); res.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s?v=stale: Cache-Control = %q", tc.path, res.Header.Get("Cache-Control"))
		}
	}
	lic := body(t, get(t, h, "/graphiql/THIRD_PARTY_LICENSES.txt"))
	for _, pkg := range []string{"graphiql@", "react@", "react-dom@", "graphql@", "codemirror@"} {
		if !strings.Contains(lic, "\n"+pkg) {
			t.Errorf("THIRD_PARTY_LICENSES.txt does not cover %s", pkg)
		}
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := GraphiQL()
	for _, p := range []string{"/graphiql/nope.js", "/graphiql", "/other", "/graphiql/../web.go"} {
		if res := get(t, h, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, res.StatusCode)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") == "" {
		t.Errorf("POST / = %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	req := httptest.NewRequest(http.MethodHead, "/graphiql/graphiql.js", nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD = %d with %d body bytes", rec.Code, rec.Body.Len())
	}
}

// TestFixtureIntrospection checks the browser test's stand-in server against
// gqlgen's own introspection query, so a failing browser test points at the
// page, not at the fixture.
func TestFixtureIntrospection(t *testing.T) {
	q := introspection.NewQuery(introspection.QueryOptions{})
	out, err := fixtureIntrospects(q)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Schema struct {
			QueryType struct{ Name string }
			Types     []struct {
				Name   string
				Fields []struct {
					Name string
					Type struct {
						Kind   string
						OfType struct{ Name string }
					}
				}
			}
		} `json:"__schema"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Schema.QueryType.Name != "Query" {
		t.Fatalf("queryType = %q", got.Schema.QueryType.Name)
	}
	found := false
	for _, ty := range got.Schema.Types {
		for _, f := range ty.Fields {
			if ty.Name == "Query" && f.Name == "hello" {
				found = f.Type.Kind == "NON_NULL" && f.Type.OfType.Name == "String"
			}
		}
	}
	if !found {
		t.Errorf("Query.hello: String! missing from introspection: %.300s", out)
	}
}

func TestGzip(t *testing.T) {
	h := GraphiQL()
	plain := get(t, h, "/graphiql/graphiql.js")
	plainBody := body(t, plain)
	res := get(t, h, "/graphiql/graphiql.js", "Accept-Encoding", "br, gzip;q=0.8")
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", res.Header.Get("Content-Encoding"))
	}
	if res.Header.Get("ETag") == plain.Header.Get("ETag") {
		t.Error("gzip and identity encodings share an ETag")
	}
	if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Error("no Vary: Accept-Encoding")
	}
	zipped := body(t, res)
	if len(zipped) > len(plainBody)/2 {
		t.Errorf("gzip body is %d bytes for a %d-byte bundle", len(zipped), len(plainBody))
	}
	zr, err := gzip.NewReader(strings.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(unzipped) != plainBody {
		t.Error("gzip body does not decompress to the asset")
	}
	if res := get(t, h, "/graphiql/graphiql.js", "Accept-Encoding", "gzip;q=0"); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still got gzip")
	}
}

// TestBuiltPageMatchesSource catches an edit to graphiql-src/index.html that
// was not followed by build.sh (which copies it), without needing node.
func TestBuiltPageMatchesSource(t *testing.T) {
	src, err := os.ReadFile("graphiql-src/index.html")
	if err != nil {
		t.Fatal(err)
	}
	built, err := fs.ReadFile(assets, "graphiql/index.html")
	if err != nil {
		t.Fatal(err)
	}
	if string(src) != string(built) {
		t.Error("graphiql/index.html differs from graphiql-src/index.html: run sh web/graphiql-src/build.sh")
	}
}
