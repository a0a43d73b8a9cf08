package web

import "net/http"

// consoleCSP is stricter than GraphiQL's: the console is our own code, so it
// needs no inline styles, no fonts, no WebSocket and no frame parent. It
// talks to /graphql on this origin and to nothing else; data: is allowed for
// images only (the empty favicon). Downloads (CSV/JSON exports) are blob:
// URLs the page makes itself, which navigation, not fetching, opens.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Console returns a handler that serves the merchant console at "/console"
// and "/console/", and its assets under "/console/". Mount it for
// "GET /console" and "GET /console/" next to /graphql, which the page calls
// with the admin key the user enters.
func Console() http.Handler {
	h, err := newHandler(assets, "console", consoleCSP, "/console", "/console/", "/console/index.html")
	if err != nil {
		// Compiled in: a broken build, as for GraphiQL.
		panic("web: embedded console assets: " + err.Error())
	}
	return h
}
