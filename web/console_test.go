package web

import (
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestConsolePage(t *testing.T) {
	h := Console()
	for _, p := range []string{"/console", "/console/", "/console/index.html"} {
		res := get(t, h, p)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", p, res.StatusCode)
		}
		hdr := res.Header
		if ct := hdr.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type = %q", p, ct)
		}
		// Self only: no inline script or style, no other origin, no frames.
		if csp := hdr.Get("Content-Security-Policy"); csp != consoleCSP ||
			strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") || !strings.Contains(csp, "default-src 'none'") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy = %q", p, csp)
		}
		for k, want := range map[string]string{
			"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
			"Cache-Control": "no-cache", "Cross-Origin-Opener-Policy": "same-origin",
		} {
			if got := hdr.Get(k); got != want {
				t.Errorf("GET %s: %s = %q, want %q", p, k, got, want)
			}
		}
		page := body(t, res)
		refs := assetRef.FindAllStringSubmatch(page, -1)
		// The stylesheet, the script, and the empty data: favicon.
		if len(refs) != 3 {
			t.Fatalf("GET %s: want a script, a stylesheet and the favicon, got %q", p, refs)
		}
		for _, m := range refs {
			if m[1] == "data:," {
				continue
			}
			u, err := url.Parse(m[1])
			if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/console/") || u.Query().Get("v") == "" {
				t.Errorf("index.html references %q; want a versioned same-origin /console/ path", m[1])
				continue
			}
			if ares := get(t, h, m[1]); ares.StatusCode != http.StatusOK || !strings.Contains(ares.Header.Get("Cache-Control"), "immutable") {
				t.Errorf("GET %s = %d, Cache-Control %q", m[1], ares.StatusCode, ares.Header.Get("Cache-Control"))
			}
		}
	}
	// The console's handler serves only the console.
	for _, p := range []string{"/", "/graphiql/graphiql.js", "/console/nope.js", "/consoles", "/console/../web.go"} {
		if res := get(t, h, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, res.StatusCode)
		}
	}
	// And GraphiQL's does not serve the console.
	if res := get(t, GraphiQL(), "/console/console.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GraphiQL handler: GET /console/console.js = %d, want 404", res.StatusCode)
	}
}

func TestConsoleAssetsAndLicences(t *testing.T) {
	h := Console()
	for _, tc := range []struct{ path, ctype string }{
		{"/console/console.js", "text/javascript; charset=utf-8"},
		{"/console/console.css", "text/css; charset=utf-8"},
		{"/console/THIRD_PARTY_LICENSES.txt", "text/plain; charset=utf-8"},
	} {
		res := get(t, h, tc.path)
		if b := body(t, res); res.StatusCode != http.StatusOK || len(b) == 0 {
			t.Errorf("GET %s = %d, %d bytes", tc.path, res.StatusCode, len(b))
		}
		if ct := res.Header.Get("Content-Type"); ct != tc.ctype {
			t.Errorf("GET %s: Content-Type = %q, want %q", tc.path, ct, tc.ctype)
		}
	}
	lic := body(t, get(t, h, "/console/THIRD_PARTY_LICENSES.txt"))
	if !strings.Contains(lic, "\npreact@") || !strings.Contains(lic, "Permission is hereby granted") {
		t.Errorf("THIRD_PARTY_LICENSES.txt does not carry preact's licence:\n%s", lic)
	}
}

// offsiteURL finds absolute URLs in the bundle. The only ones allowed are
// XML namespace names, which are identifiers the DOM compares, never fetched.
var offsiteURL = regexp.MustCompile(`(?i)\b(?:https?|wss?):\\?/\\?/[^"'\x60\s)]*`)

func TestConsoleBundleNamesNoOtherHost(t *testing.T) {
	err := fs.WalkDir(assets, "console", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".txt") {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		for _, u := range offsiteURL.FindAllString(string(b), -1) {
			if !strings.HasPrefix(u, "http://www.w3.org/") {
				t.Errorf("%s names %q; the console may only talk to its own origin", p, u)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	css, _ := fs.ReadFile(assets, "console/console.css")
	if strings.Contains(string(css), "@import") || strings.Contains(string(css), "@font-face") || strings.Contains(string(css), "url(") {
		t.Error("console.css loads something (@import, @font-face or url()); it must use system fonts and no images")
	}
}

// TestConsoleBuiltPageMatchesSource catches an edit to console-src/index.html
// that build.sh did not copy, without needing node (CI also rebuilds).
func TestConsoleBuiltPageMatchesSource(t *testing.T) {
	src, err := os.ReadFile("console-src/index.html")
	if err != nil {
		t.Fatal(err)
	}
	built, err := fs.ReadFile(assets, "console/index.html")
	if err != nil {
		t.Fatal(err)
	}
	if string(src) != string(built) {
		t.Error("console/index.html differs from console-src/index.html: run sh web/console-src/build.sh")
	}
}
