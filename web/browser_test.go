package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// findChromium returns the browser to drive, or "" if there is none.
// SHOPMUSE_CHROMIUM overrides the search (e.g. a Chrome on a laptop).
func findChromium() string {
	if p := os.Getenv("SHOPMUSE_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestGraphiQLInBrowser loads the embedded playground in headless Chromium,
// runs a query with variables and a header set in the headers editor, then a
// subscription over WebSocket, and checks the answers show up in the result
// pane — the path a person takes — while no request leaves the test server.
func TestGraphiQLInBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		// CI sets SHOPMUSE_BROWSER_TEST=1 so a missing browser fails there
		// instead of silently skipping; on a laptop without one, skip.
		if os.Getenv("SHOPMUSE_BROWSER_TEST") == "1" {
			t.Fatal("SHOPMUSE_BROWSER_TEST=1 but no Chromium found (apt-get install chromium, or set SHOPMUSE_CHROMIUM)")
		}
		t.Skip("no Chromium found; install chromium or set SHOPMUSE_CHROMIUM (SHOPMUSE_BROWSER_TEST=1 makes this a failure)")
	}

	var introspections atomic.Int32
	var ws wsLog
	mux := http.NewServeMux()
	ui := GraphiQL()
	mux.Handle("GET /{$}", ui)
	mux.Handle("GET /graphiql/", ui)
	// GraphiQL loads the schema first; the fixture counts that so the test
	// knows the docs and autocompletion came from this server.
	mux.Handle("/graphql", fixtureGraphQL(&introspections, &ws))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base, _ := url.Parse(srv.URL)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// Only the flags we choose (no chromedp defaults), so the browser makes
	// no background requests of its own that the off-site check would catch:
	// no component updates, sync, or QUIC probing; a fresh profile each run.
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true), // small /dev/shm in containers
		chromedp.WindowSize(1400, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer bcancel()

	var (
		mu       sync.Mutex
		requests []string
		problems []string
	)
	// Listen starts the browser and opens the tab (chromedp enables the
	// Network domain on a new tab), so it sees every request of the page
	// from the navigation on.
	err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		case *network.EventWebSocketCreated:
			requests = append(requests, ev.URL)
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			problems = append(problems, "exception: "+msg)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				problems = append(problems, "console.error: "+strings.Join(parts, " "))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	dumpOnFailure := func() {
		mu.Lock()
		defer mu.Unlock()
		var short []string
		for _, r := range requests {
			if len(r) > 80 {
				r = r[:80] + "…"
			}
			short = append(short, r)
		}
		t.Logf("requests so far: %q; problems: %q", short, problems)
		if pane, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(() => { const cm = document.querySelector('.graphiql-response .CodeMirror'); return cm ? cm.CodeMirror.getValue() : '(no result pane)' })()`)); err == nil {
			t.Logf("result pane: %s", pane)
		}
	}

	const query = `query Greet($n: String) { hello(name: $n) authorization }`
	const variables = `{"n": "shopmuse"}`
	const headers = `{"Authorization": "Bearer test-key-123"}`
	const toolEditor = `.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror`

	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-query-editor .CodeMirror`)),
		// Replace the default query the way an edit would: through the
		// CodeMirror instance, which fires the same change events as typing.
		setEditor(`.graphiql-query-editor .CodeMirror`, query),
		// Wait out GraphiQL's 100 ms re-parse of the editor (see below).
		waitVoid(chromedp.Poll[bool](`(() => {
			const ops = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.operations;
			return !!ops && ops.length === 1 && ops[0].name && ops[0].name.value === 'Greet';
		})()`, chromedp.WithPollingTimeout(10*time.Second))),
		// The variables tab is open by default; the headers tab must be
		// clicked, which also proves the headers editor is enabled.
		setEditor(toolEditor, variables),
		chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll('.graphiql-editor-tools button')].find(b => b.textContent.trim() === 'Headers')`)),
		chromedp.WaitVisible(chromedp.CSS(toolEditor)),
		setEditor(toolEditor, headers),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
	)
	if err != nil {
		dumpOnFailure()
		t.Fatal(err)
	}
	result, err := chromedp.Run(bctx, chromedp.Poll[string](`(() => {
		const cm = document.querySelector('.graphiql-response .CodeMirror');
		const v = cm && cm.CodeMirror.getValue();
		return v && v.includes('"hello"') ? v : null;
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		dumpOnFailure()
		t.Fatal(err)
	}
	png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}

	// A subscription goes over graphql-transport-ws to ws://<same host>/graphql,
	// with the headers editor's values as the connection_init payload.
	err = chromedp.Do(bctx,
		setEditor(`.graphiql-query-editor .CodeMirror`, `subscription { countdown(from: 3) }`),
		// GraphiQL re-parses the editor 100 ms after the last change
		// (@graphiql/react debounces it); a click before that sends the
		// previous operation name "Greet". A person never clicks that fast;
		// the test waits until the editor holds the parsed subscription.
		waitVoid(chromedp.Poll[bool](`(() => {
			const ops = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.operations;
			return !!ops && ops.length === 1 && ops[0].operation === 'subscription';
		})()`, chromedp.WithPollingTimeout(10*time.Second))),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
	)
	if err != nil {
		dumpOnFailure()
		t.Fatal(err)
	}
	subResult, err := chromedp.Run(bctx, chromedp.Poll[string](`(() => {
		const v = document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue();
		return v.includes('"countdown": 0') ? v : null;
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		dumpOnFailure()
		t.Fatal(err)
	}
	var sub struct {
		Data struct{ Countdown *int } `json:"data"`
	}
	if err := json.Unmarshal([]byte(subResult), &sub); err != nil || sub.Data.Countdown == nil || *sub.Data.Countdown != 0 {
		t.Errorf("subscription result pane shows %s (%v); want the last event, countdown 0", subResult, err)
	}
	ws.mu.Lock()
	if got := ws.initPayload["Authorization"]; got != "Bearer test-key-123" {
		t.Errorf("connection_init payload %v; want the headers editor's Authorization", ws.initPayload)
	}
	if len(ws.subscribed) != 1 {
		t.Errorf("server saw subscriptions %q; want one", ws.subscribed)
	}
	ws.mu.Unlock()

	var got struct {
		Data struct {
			Hello         string `json:"hello"`
			Authorization string `json:"authorization"`
		} `json:"data"`
		Errors []any `json:"errors"`
	}
	if err := json.Unmarshal([]byte(result), &got); err != nil {
		t.Fatalf("result pane is not JSON: %v\n%s", err, result)
	}
	if got.Data.Hello != "Hello, shopmuse!" || got.Data.Authorization != "Bearer test-key-123" || got.Errors != nil {
		t.Errorf("result pane shows %s; want hello from the variables and the header from the headers editor", result)
	}
	if introspections.Load() == 0 {
		t.Error("GraphiQL never introspected the schema")
	}

	shot := os.Getenv("SHOPMUSE_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "graphiql.png")
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))

	mu.Lock()
	defer mu.Unlock()
	sawJS, sawWS := false, false
	for _, raw := range requests {
		u, err := url.Parse(raw)
		if err != nil {
			t.Errorf("unparseable request URL %q", raw)
			continue
		}
		switch u.Scheme {
		case "data", "blob", "about":
			// In-page; nothing leaves the browser.
		case "http", "https", "ws", "wss":
			if u.Host != base.Host {
				t.Errorf("the page requested %s, off the test server %s", raw, base.Host)
			}
			sawJS = sawJS || strings.HasPrefix(u.Path, "/graphiql/graphiql.js")
			sawWS = sawWS || (u.Scheme == "ws" && u.Path == "/graphql")
		default:
			t.Errorf("unexpected request %s", raw)
		}
	}
	if !sawJS || !sawWS {
		t.Errorf("network events miss the bundle or the ws://…/graphql socket: %q", requests)
	}
	for _, p := range problems {
		t.Errorf("page reported %s", p)
	}
}

// waitVoid drops an action's value, so it can stand in a chromedp.Do list.
func waitVoid[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// setEditor replaces a CodeMirror editor's text.
func setEditor(selector, text string) chromedp.Action[chromedp.Void] {
	sel, _ := json.Marshal(selector)
	txt, _ := json.Marshal(text)
	eval := chromedp.Evaluate[bool](`(() => {
		const el = document.querySelector(` + string(sel) + `);
		if (!el || !el.CodeMirror) return false;
		el.CodeMirror.setValue(` + string(txt) + `);
		return true;
	})()`)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		ok, err := eval(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("no CodeMirror editor at %s", selector)
		}
		return chromedp.Void{}, err
	}
}
