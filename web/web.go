// Package web serves the GraphiQL playground and the merchant console from
// files embedded in the binary, so both work on a laptop or a server with no
// internet (gqlgen's playground.Handler loads GraphiQL from a CDN).
//
// The assets in graphiql/ are built from graphiql-src/ by
// graphiql-src/build.sh, those in console/ from console-src/ by
// console-src/build.sh; both are committed. Rebuild after changing a -src/.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed graphiql console
var assets embed.FS

// contentTypes is fixed here rather than taken from mime.TypeByExtension,
// which consults the host's mime.types and so can differ between machines.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
}

// csp keeps the page from loading anything off-site even if a future
// GraphiQL build tries to: scripts and styles only from this origin, fonts
// and images also as data: URLs (GraphiQL inlines its fonts), and requests
// only to this origin (ws:/wss: for subscriptions, since older browsers do
// not count same-host sockets as 'self'). 'unsafe-inline' styles are needed
// by React's style attributes and the page's one <style> block.
const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"font-src 'self' data:; img-src 'self' data:; connect-src 'self' ws: wss:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

type asset struct {
	body        []byte
	contentType string
	etag        string
	version     string // short content hash, used as ?v= in index.html
	gz          *gzipped
}

// gzipped is an asset's gzip encoding, made on first request: the bundle
// shrinks from 1.2 MB to 0.4 MB, which matters for a playground opened over
// a VPN, while a server that nobody opens the playground on pays nothing.
type gzipped struct {
	once sync.Once
	body []byte // nil when compression does not pay
}

func (a *asset) gzipBody() []byte {
	a.gz.once.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(a.body)
		zw.Close()
		if buf.Len() < len(a.body)*9/10 {
			a.gz.body = buf.Bytes()
		}
	})
	return a.gz.body
}

// acceptsGzip reports whether the request allows gzip. A q=0 opt-out is
// honoured; other q values are treated as yes, which is all that matters
// with a single alternative encoding.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

type handler struct {
	dir    string // "graphiql" or "console": the embedded folder and URL prefix
	index  asset
	assets map[string]asset // by URL path, e.g. "/graphiql/graphiql.js"
	// pages are the paths that answer with index.html.
	pages map[string]bool
	// csp is the index page's Content-Security-Policy.
	csp string
}

// GraphiQL returns a handler that serves the playground page at "/" and its
// assets under "/graphiql/". Mount it for "GET /{$}" and "GET /graphiql/"
// next to the GraphQL endpoint at /graphql, which the page talks to.
func GraphiQL() http.Handler {
	h, err := newHandler(assets, "graphiql", csp, "/", "/graphiql/", "/graphiql/index.html")
	if err != nil {
		// The files are compiled in, so this is a broken build, not a
		// runtime condition a caller could handle.
		panic("web: embedded GraphiQL assets: " + err.Error())
	}
	return h
}

// newHandler serves the files under dir in fsys at "/<dir>/…", and
// dir/index.html at each of pages with the policy csp. The bundle is
// <dir>.js and <dir>.css, which index.html must reference.
func newHandler(fsys fs.FS, dir, csp string, pages ...string) (*handler, error) {
	h := &handler{dir: dir, assets: map[string]asset{}, pages: map[string]bool{}, csp: csp}
	for _, p := range pages {
		h.pages[p] = true
	}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		h.assets["/"+p] = newAsset(b, path.Ext(p))
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, ok := h.assets["/"+dir+"/index.html"]
	if !ok {
		return nil, fs.ErrNotExist
	}
	// The bundle's file names carry no hash, so index.html (never cached
	// without revalidation) points at "?v=<content hash>" URLs: a browser can
	// then keep the 1.2 MB bundle for a year and still picks up a new build
	// the moment the binary is upgraded.
	body := page.body
	for _, name := range []string{dir + ".js", dir + ".css"} {
		a, ok := h.assets["/"+dir+"/"+name]
		if !ok {
			return nil, fs.ErrNotExist
		}
		ref := `"/` + dir + `/` + name + `"`
		if !bytes.Contains(body, []byte(ref)) {
			return nil, &fs.PathError{Op: "reference", Path: dir + "/index.html", Err: fs.ErrNotExist}
		}
		body = bytes.ReplaceAll(body, []byte(ref), []byte(`"/`+dir+`/`+name+`?v=`+a.version+`"`))
	}
	h.index = newAsset(body, ".html")
	return h, nil
}

func newAsset(b []byte, ext string) asset {
	sum := sha256.Sum256(b)
	hx := hex.EncodeToString(sum[:])
	ct := contentTypes[ext]
	if ct == "" {
		ct = "application/octet-stream"
	}
	return asset{body: b, contentType: ct, etag: `"` + hx[:32] + `"`, version: hx[:12], gz: &gzipped{}}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	var a asset
	switch p := r.URL.Path; {
	case h.pages[p]:
		a = h.index
		// Always revalidate (cheap: ETag gives a 304), so an upgraded binary's
		// page, and through it the new bundle, is seen at once.
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("Content-Security-Policy", h.csp)
		hdr.Set("Referrer-Policy", "no-referrer")
		if h.dir == "console" {
			// The console acts with an admin key: never inside another
			// site's frame, and no window it opens may reach back.
			hdr.Set("X-Frame-Options", "DENY")
			hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
		}
	case strings.HasPrefix(p, "/"+h.dir+"/"):
		var ok bool
		if a, ok = h.assets[p]; !ok {
			http.NotFound(w, r)
			return
		}
		if v := r.URL.Query().Get("v"); v != "" && v == a.version {
			// The URL names this exact content, so it can never change.
			hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			hdr.Set("Cache-Control", "no-cache")
		}
	default:
		http.NotFound(w, r)
		return
	}
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Add("Vary", "Accept-Encoding")
	body, etag := a.body, a.etag
	if acceptsGzip(r) {
		if gz := a.gzipBody(); gz != nil {
			// A distinct ETag: the encoded bytes are a different
			// representation, and Range requests count in them.
			body, etag = gz, strings.TrimSuffix(a.etag, `"`)+`-gzip"`
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	// ServeContent answers If-None-Match with 304, and handles HEAD and Range.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
