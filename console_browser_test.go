package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The merchant console, driven in headless Chromium against the real
// service on the demo shop (web/browser_test.go does the same for GraphiQL
// against a stand-in): sign in with an admin key, the first screen's time,
// an approval made in the UI and then served through the API, a campaign
// started, followed and exported, a shopper's placements — and no request
// that leaves the test server.

const (
	consoleAdminKey   = "console-admin-key-0123456789abcdef"
	consoleCatalogKey = "console-catalog-key-0123456789abcd"
)

// chromiumPath is the browser to drive, or "" (SHOPMUSE_CHROMIUM overrides).
func chromiumPath() string {
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

// adminPost runs one GraphQL operation with a key and fails the test on any
// error in the answer.
func adminPost(t *testing.T, base, key, query string, vars map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || out["errors"] != nil {
		t.Fatalf("%s: status %d: %v", query, resp.StatusCode, out)
	}
	return out["data"].(map[string]any)
}

// consoleBrowser starts headless Chromium with only the flags we choose (no
// background requests of its own) and records every request, exception and
// console error of the page.
type consoleBrowser struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
	problems []string
}

func newConsoleBrowser(t *testing.T, chromium string) *consoleBrowser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
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
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1440, 1000),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(bcancel)
	b := &consoleBrowser{ctx: bctx}
	err := chromedp.Listen(bctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, ev.Request.URL)
		case *network.EventWebSocketCreated:
			b.requests = append(b.requests, ev.URL)
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			b.problems = append(b.problems, "exception: "+msg)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.problems = append(b.problems, "console.error: "+strings.Join(parts, " "))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *consoleBrowser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.dump(t)
		t.Fatalf("%s: %v", what, err)
	}
}

// poll waits for a JS expression to become truthy and returns its value.
func poll[T any](t *testing.T, b *consoleBrowser, what, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Poll[T](expr, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		b.dump(t)
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func (b *consoleBrowser) dump(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	t.Logf("requests: %q\nproblems: %q", b.requests, b.problems)
	b.mu.Unlock()
	if text, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 3000)`)); err == nil {
		t.Logf("page text:\n%s", text)
	}
}

// shoot saves a screenshot under SHOPMUSE_CONSOLE_SCREENSHOTS (the README's
// docs/ images are made this way), or in a temporary directory.
func (b *consoleBrowser) shoot(t *testing.T, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConsoleInBrowser(t *testing.T) {
	chromium := chromiumPath()
	if chromium == "" {
		if os.Getenv("SHOPMUSE_BROWSER_TEST") == "1" {
			t.Fatal("SHOPMUSE_BROWSER_TEST=1 but no Chromium found (apt-get install chromium, or set SHOPMUSE_CHROMIUM)")
		}
		t.Skip("no Chromium found; install chromium or set SHOPMUSE_CHROMIUM (SHOPMUSE_BROWSER_TEST=1 makes this a failure)")
	}
	if testing.Short() {
		t.Skip("loads the demo shop and drives a browser")
	}
	shots := os.Getenv("SHOPMUSE_CONSOLE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	env := map[string]string{
		"SHOPMUSE_ADDR":        "127.0.0.1:0",
		"SHOPMUSE_DATA":        t.TempDir(),
		"SHOPMUSE_API_KEYS":    consoleAdminKey + ":admin:alice," + consoleCatalogKey + ":catalog",
		"SHOPMUSE_COPY_REVIEW": "on",
	}
	llm := consoleVisionEnv(t, env)
	base, stop := startServer(t, env)
	defer stop()
	srvURL, _ := url.Parse(base)

	b := newConsoleBrowser(t, chromium)

	// Sign in: a catalog key is refused with a reason, the admin key opens
	// the console. Neither key is left anywhere but sessionStorage.
	b.do(t, "open the console",
		chromedp.Navigate(base+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`#key`)),
		chromedp.SendKeys(chromedp.CSS(`#key`), consoleCatalogKey),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
	)
	poll[bool](t, b, "a catalog key is refused", `!!document.querySelector('.login .banner.error') && document.querySelector('.login .banner.error').textContent.includes('not an admin key')`)
	b.do(t, "sign in",
		chromedp.Navigate(base+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`#key`)),
		chromedp.SendKeys(chromedp.CSS(`#key`), consoleAdminKey),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`header nav a.active`)),
	)
	stored := poll[string](t, b, "the key in sessionStorage", `sessionStorage.getItem('shopmuse.console.key')`)
	if stored != consoleAdminKey {
		t.Errorf("sessionStorage holds %q", stored)
	}
	if ls := poll[string](t, b, "localStorage", `JSON.stringify(Object.keys(localStorage)) || '[]'`); ls != "[]" {
		t.Errorf("localStorage holds %s; the key belongs in sessionStorage only", ls)
	}
	if cookies := poll[string](t, b, "cookies", `document.cookie === '' ? 'none' : document.cookie`); cookies != "none" {
		t.Errorf("cookies: %s", cookies)
	}

	// The first screen's time: a fresh navigation with the key in the tab's
	// session, measured inside the browser from navigation start to the
	// console:first-screen mark (set once the first tab's data is painted).
	// Best of three loads: the machine is shared (CI runs the other
	// packages' tests beside this one), and the slowest load measures the
	// neighbours more than the console; all three are printed.
	var loads []float64
	var screen, timeline string
	for range 3 {
		b.do(t, "reload", chromedp.Navigate(base+"/console"))
		ms := poll[float64](t, b, "the first screen", `(() => { const m = performance.getEntriesByName('console:first-screen')[0]; return m ? m.startTime : 0 })()`)
		loads = append(loads, ms)
		screen = poll[string](t, b, "the first tab", `document.querySelector('#screen') && document.querySelector('#screen').dataset.screen`)
		// Where the time went, for whoever has to make it faster.
		timeline = poll[string](t, b, "resource timing", `(() => {
			const n = performance.getEntriesByType('navigation')[0];
			const r = performance.getEntriesByType('resource').map(e => new URL(e.name).pathname.split('/').pop() + ' ' + e.startTime.toFixed(0) + '–' + e.responseEnd.toFixed(0));
			return 'page ' + n.responseEnd.toFixed(0) + ', DOM ' + n.domContentLoadedEventEnd.toFixed(0) + '; ' + r.join(', ') })()`)
		t.Logf("first screen (%s) shown %.0f ms after navigation start; %s", screen, ms, timeline)
	}
	best := slices.Min(loads)
	fmt.Printf("console first screen: %s in %.1f ms, best of 3 loads (all: %.1f ms) from navigation start to console:first-screen\n", screen, best, loads)
	if screen != "review" {
		t.Errorf("the first screen is %q; with review on it is the review queue", screen)
	}
	if best <= 0 || best > 1000 {
		t.Errorf("the first screen took %.0f ms at best; the target is 1 s", best)
	}

	consoleReviewFlow(t, b, base, shots)
	consolePerformance(t, b, base, shots)
	consoleCampaign(t, b, base, shots)
	consoleShopper(t, b, base, shots)
	consoleTabs(t, b, base, shots)
	consoleExperimentForm(t, b, base, shots)
	consoleRuleForm(t, b, base, shots)
	consoleImageFacts(t, b, base, shots, llm)

	b.mu.Lock()
	defer b.mu.Unlock()
	sawJS, sawAPI := false, false
	for _, raw := range b.requests {
		u, err := url.Parse(raw)
		if err != nil {
			t.Errorf("unparseable request URL %q", raw)
			continue
		}
		switch u.Scheme {
		case "data", "blob", "about":
			// In the page; nothing leaves the browser.
		case "http", "https", "ws", "wss":
			if u.Host != srvURL.Host {
				t.Errorf("the console requested %s, off the test server %s", raw, srvURL.Host)
			}
			sawJS = sawJS || strings.HasPrefix(u.Path, "/console/console.js")
			sawAPI = sawAPI || u.Path == "/graphql"
		default:
			t.Errorf("unexpected request %s", raw)
		}
	}
	if !sawJS || !sawAPI {
		t.Errorf("network events miss the bundle or /graphql: %q", b.requests)
	}
	t.Logf("%d requests, all to %s", len(b.requests), srvURL.Host)
	for _, p := range b.problems {
		t.Errorf("page reported %s", p)
	}
}

// consoleReviewFlow: with review on, a shopper's recommendation carries no
// copy until a person approves some. In the console: Approve on one variant
// (one click), Reject with a ready-made reason on another (two clicks), then
// tick all and Approve selected (two clicks); the API then serves an approved
// variant and never the rejected one.
func consoleReviewFlow(t *testing.T, b *consoleBrowser, base, shots string) {
	t.Helper()
	const recQuery = `{ recommendations(userID: "u003", first: 1) { product { id } copy(channel: PUSH) { variants { id status } } } }`
	var before struct {
		Recommendations []struct {
			Product struct{ ID string }
			Copy    struct{ Variants []struct{ ID, Status string } }
		}
	}
	fromJSON(t, adminPost(t, base, consoleAdminKey, recQuery, nil), &before)
	if len(before.Recommendations) != 1 {
		t.Fatalf("u003 has no recommendation: %+v", before)
	}
	if v := before.Recommendations[0].Copy.Variants; len(v) != 0 {
		t.Fatalf("with review on and nothing approved, the API served %+v", v)
	}
	pid := before.Recommendations[0].Product.ID

	b.do(t, "review tab, filtered to the product",
		chromedp.Navigate(base+"/console#review"),
		chromedp.WaitVisible(chromedp.CSS(`.review .filters input[name=product]`)),
		chromedp.SendKeys(chromedp.CSS(`.review .filters input[name=product]`), pid+"\r"),
	)
	n := poll[int](t, b, "the product's pending variants", `(() => {
		const cards = document.querySelectorAll('#review-list > li.variant');
		return cards.length >= 3 && [...cards].every(c => c.querySelector('.product').title === `+jsString(pid)+`) ? cards.length : 0 })()`)
	b.shoot(t, shots, "console-review.png")
	ids := poll[[]string](t, b, "variant IDs", `[...document.querySelectorAll('#review-list > li.variant')].map(c => c.dataset.id)`)
	approved, rejected := ids[0], ids[1]
	t.Logf("%d pending variants of %s; approving %s, rejecting %s", n, pid, approved, rejected)

	// One click approves.
	b.do(t, "approve one", chromedp.Click(chromedp.CSS(`#review-list > li[data-id="`+approved+`"] button.approve`)))
	poll[bool](t, b, "the approved variant leaves the pending queue", `!document.querySelector('#review-list > li[data-id="`+approved+`"]') && document.querySelector('.banner.ok').textContent.includes('Approved 1 variant')`)
	// Two clicks reject: open the reasons, pick one.
	b.do(t, "reject one",
		chromedp.Click(chromedp.CSS(`#review-list > li[data-id="`+rejected+`"] button.reject`)),
		chromedp.Click(chromedp.CSS(`#review-list > li[data-id="`+rejected+`"] .reasons button.chip`)),
	)
	poll[bool](t, b, "the rejected variant leaves the pending queue", `!document.querySelector('#review-list > li[data-id="`+rejected+`"]')`)
	// The console decides on the words it shows: another admin edits the
	// third variant through the API behind the page's back, and Approve on
	// the card still showing the old words is refused (CONFLICT); the list
	// reloads with the new words, which stay pending.
	stale := `#review-list > li[data-id="` + ids[2] + `"]`
	const behind = "平板电脑，大屏轻薄，出门也好带。"
	if out := adminPost(t, base, consoleAdminKey, `mutation($id: ID!, $text: String!) { editCopy(id: $id, text: $text) { userErrors { code } } }`,
		map[string]any{"id": ids[2], "text": behind}); strings.Contains(toJSON(out), `"code"`) {
		t.Fatalf("edit behind the console's back: %s", toJSON(out))
	}
	b.do(t, "approve words changed since they were shown", chromedp.Click(chromedp.CSS(stale+` button.approve`)))
	poll[bool](t, b, "the conflict is shown and the new words loaded", `(() => { const e = document.querySelector('.review .banner.error');
		const p = document.querySelector(`+jsString(stale+` .copy p`)+`);
		return !!e && e.textContent.includes('changed since') && !!p && p.textContent === `+jsString(behind)+` })()`)
	var st struct {
		CopyReviewQueue struct {
			Edges []struct{ Node struct{ Status string } }
		}
	}
	fromJSON(t, adminPost(t, base, consoleAdminKey, `query($p: ID!) { copyReviewQueue(filter: {productID: $p, status: APPROVED}) { edges { node { status } } } }`,
		map[string]any{"p": pid}), &st)
	if len(st.CopyReviewQueue.Edges) != 1 {
		t.Fatalf("%d approved variants after the stale approve, want the 1 approved before it", len(st.CopyReviewQueue.Edges))
	}
	// An open edit keeps the words it started from: with the form open,
	// another admin edits the variant (into words failing a check), a
	// CONFLICT elsewhere reloads the list under the form, and Save is then
	// refused (CONFLICT) instead of overwriting words this editor never read.
	const overwritten = "全网最低价的平板，闭眼入！"
	b.do(t, "open the edit form", chromedp.Click(chromedp.CSS(stale+` .decide button.quiet`)), chromedp.WaitVisible(chromedp.CSS(stale+` form.edit textarea`)))
	poll[bool](t, b, "type an edit", `(() => { const el = document.querySelector(`+jsString(stale+` form.edit textarea`)+`);
		el.value = '平板电脑，轻薄大屏，随身带。'; el.dispatchEvent(new Event('input', {bubbles: true})); return true })()`)
	if out := adminPost(t, base, consoleAdminKey, `mutation($id: ID!, $text: String!) { editCopy(id: $id, text: $text) { userErrors { code } } }`,
		map[string]any{"id": ids[2], "text": overwritten}); strings.Contains(toJSON(out), `"code"`) {
		t.Fatalf("edit behind the open form: %s", toJSON(out))
	}
	b.do(t, "dismiss the earlier conflict", chromedp.Click(chromedp.CSS(`.review .banner.error button[aria-label=Dismiss]`)))
	b.do(t, "approve the shown words, refused", chromedp.Click(chromedp.CSS(stale+` button.approve`)))
	poll[bool](t, b, "the list reloaded under the open form", `(() => { const c = document.querySelector(`+jsString(stale)+`);
		return !!c && !!c.querySelector('form.edit') && !!c.querySelector('.checks li.fail') && !!document.querySelector('.review .banner.error') })()`)
	if note := poll[string](t, b, "the form says the words changed", `document.querySelector(`+jsString(stale+` form.edit .stale`)+`)?.textContent ?? ''`); !strings.Contains(note, "changed since you started editing") {
		t.Errorf("the open form over changed words reads %q", note)
	}
	b.do(t, "dismiss the conflict", chromedp.Click(chromedp.CSS(`.review .banner.error button[aria-label=Dismiss]`)))
	b.do(t, "save the edit begun on the old words", chromedp.Click(chromedp.CSS(stale+` form.edit button[type=submit]`)))
	poll[bool](t, b, "the save is refused as a conflict", `(() => { const e = document.querySelector('.review .banner.error'); return !!e && e.textContent.includes('changed since') })()`)
	var now struct {
		CopyReviewQueue struct {
			Edges []struct{ Node struct{ ID, Text string } }
		}
	}
	fromJSON(t, adminPost(t, base, consoleAdminKey, `query($p: ID!) { copyReviewQueue(filter: {productID: $p}) { edges { node { id text } } } }`,
		map[string]any{"p": pid}), &now)
	for _, e := range now.CopyReviewQueue.Edges {
		if e.Node.ID == ids[2] && e.Node.Text != overwritten {
			t.Fatalf("a save begun on the old words replaced another admin's edit: the text is %q, want %q", e.Node.Text, overwritten)
		}
	}
	b.do(t, "close the form", chromedp.Click(chromedp.CSS(stale+` form.edit button.link`)),
		chromedp.Click(chromedp.CSS(`.review .banner.error button[aria-label=Dismiss]`)))
	poll[bool](t, b, "the other admin's words shown", `document.querySelector(`+jsString(stale+` .copy p`)+`)?.textContent === `+jsString(overwritten))
	// Edit the third into an absolute claim: the re-check flags it, says
	// why, and Approve is off; edited back, it passes again.
	edited := ids[2]
	card := `#review-list > li[data-id="` + edited + `"]`
	edit := func(text string) {
		t.Helper()
		b.do(t, "edit", chromedp.Click(chromedp.CSS(card+` .decide button.quiet`)), chromedp.WaitVisible(chromedp.CSS(card+` form.edit textarea`)))
		poll[bool](t, b, "type the text", `(() => { const el = document.querySelector(`+jsString(card+` form.edit textarea`)+`);
			el.value = `+jsString(text)+`; el.dispatchEvent(new Event('input', {bubbles: true})); return true })()`)
		b.do(t, "save", chromedp.Click(chromedp.CSS(card+` form.edit button[type=submit]`)))
		poll[bool](t, b, "the edit saved", `!document.querySelector(`+jsString(card+` form.edit`)+`) && document.querySelector(`+jsString(card+` .copy p`)+`).textContent === `+jsString(text))
	}
	edit("全网最好的平板，闭眼入不会错！")
	why := poll[string](t, b, "the failing check", `(() => { const f = document.querySelector(`+jsString(card+` .checks li.fail`)+`); return f ? f.textContent : '' })()`)
	if !strings.Contains(why, "compliance") || !strings.Contains(why, "最") {
		t.Errorf("the flagged variant's failing check reads %q; want compliance naming the term", why)
	}
	if dis := poll[string](t, b, "approve state", `String(document.querySelector(`+jsString(card+` button.approve`)+`).disabled)`); dis != "true" {
		t.Error("Approve is enabled on a variant that fails a check")
	}
	edit("平板电脑，大屏轻薄，追剧办公都合适。")
	poll[bool](t, b, "the re-check passes", `!document.querySelector(`+jsString(card+` .checks li.fail`)+`) && !document.querySelector(`+jsString(card+` button.approve`)+`).disabled`)
	// Its history: both edits, by the key's name, with before and after.
	b.do(t, "history", chromedp.Click(chromedp.CSS(card+` button.history-toggle`)))
	hist := poll[[]string](t, b, "the audit", `(() => { const l = [...document.querySelectorAll(`+jsString(card+` ol.history > li`)+`)].map(li => li.textContent); return l.length >= 2 ? l : null })()`)
	if !strings.HasPrefix(hist[0], "edit by alice") || !strings.Contains(hist[0], "平板电脑，大屏轻薄") || !strings.Contains(hist[1], "全网最好") {
		t.Errorf("history of %s reads %q; want both edits by alice, newest first, with their text", edited, hist)
	}
	// Two clicks approve the rest in bulk.
	b.do(t, "approve the rest in bulk",
		chromedp.Click(chromedp.CSS(`.toolbar.bulk label.tick input`)),
		chromedp.Click(chromedp.CSS(`#bulk-approve`)),
	)
	poll[bool](t, b, "the queue empties", `!!document.querySelector('.review .empty')`)

	// Fill the queue for a category in the background: the job's progress
	// shows, and when it completes the queue holds that category's copy.
	poll[bool](t, b, "clear the product filter", `(() => { const el = document.querySelector('.review .filters input[name=product]');
		el.value = ''; el.dispatchEvent(new Event('change', {bubbles: true})); return true })()`)
	b.do(t, "write copy for a category",
		chromedp.Click(chromedp.CSS(`#batch-open`)),
		chromedp.SendKeys(chromedp.CSS(`.batch input[name=batch-category]`), "家电/空气炸锅"),
		chromedp.Click(chromedp.CSS(`.batch button[type=submit]`)),
	)
	poll[bool](t, b, "the batch completes", `!!document.querySelector('.batch .job[data-state=COMPLETED]')`)
	fryers := poll[int](t, b, "the category's copy in the queue", `[...document.querySelectorAll('#review-list > li.variant .product small')].filter(e => e.textContent.includes('家电/空气炸锅')).length`)
	t.Logf("the batch put %d air fryer variants in the first page of the queue", fryers)

	// Through the API: the decisions stuck, with who made them, and the
	// shopper is now served an approved variant, never the rejected one.
	var q struct {
		CopyReviewQueue struct {
			Edges []struct {
				Node struct{ ID, Status, ReviewedBy, RejectReason string }
			}
		}
	}
	fromJSON(t, adminPost(t, base, consoleAdminKey, `query($p: ID!) { copyReviewQueue(first: 100, filter: {productID: $p}) { edges { node { id status reviewedBy rejectReason } } } }`, map[string]any{"p": pid}), &q)
	status := map[string]string{}
	for _, e := range q.CopyReviewQueue.Edges {
		status[e.Node.ID] = e.Node.Status
		if e.Node.ReviewedBy != "alice" {
			t.Errorf("%s reviewed by %q, want the key's name alice", e.Node.ID, e.Node.ReviewedBy)
		}
		if e.Node.ID == rejected && e.Node.RejectReason == "" {
			t.Errorf("%s rejected without the reason picked", rejected)
		}
	}
	if status[approved] != "APPROVED" || status[rejected] != "REJECTED" {
		t.Errorf("after the UI's decisions: %s is %s, %s is %s", approved, status[approved], rejected, status[rejected])
	}
	var after struct {
		Recommendations []struct {
			Product struct{ ID string }
			Copy    struct{ Variants []struct{ ID, Status string } }
		}
	}
	fromJSON(t, adminPost(t, base, consoleAdminKey, recQuery, nil), &after)
	got := after.Recommendations[0].Copy.Variants
	if after.Recommendations[0].Product.ID != pid || len(got) != 1 || got[0].Status != "APPROVED" || status[got[0].ID] != "APPROVED" || got[0].ID == rejected {
		t.Fatalf("after approval in the console, u003's %s got copy %+v; want one of the approved variants", pid, got)
	}
	t.Logf("u003 is now served %s on %s", got[0].ID, pid)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func consolePerformance(t *testing.T, b *consoleBrowser, base, shots string) {
	t.Helper()
	b.do(t, "performance tab", chromedp.Navigate(base+"/console#performance"))
	poll[bool](t, b, "the performance screen", `!!document.querySelector('#leader')`)
	b.shoot(t, shots, "console-performance.png")
}

func consoleCampaign(t *testing.T, b *consoleBrowser, base, shots string) {
	t.Helper()
	dl := t.TempDir()
	if _, err := chromedp.Run(b.ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl,
		})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	b.do(t, "start a campaign",
		chromedp.Navigate(base+"/console#campaigns"),
		chromedp.WaitVisible(chromedp.CSS(`.new-campaign`)),
		chromedp.SendKeys(chromedp.CSS(`.new-campaign input[name=name]`), "Console test push"),
		chromedp.Click(chromedp.CSS(`.new-campaign button[type=submit]`)),
	)
	poll[bool](t, b, "the campaign completes", `(() => { const c = document.querySelector('.campaign'); return !!c && c.dataset.status === 'COMPLETED' && document.querySelectorAll('.messages > li').length > 0 })()`)
	b.shoot(t, shots, "console-campaigns.png")
	b.do(t, "export CSV", chromedp.Click(chromedp.CSS(`#export-csv`)))
	var csvBody []byte
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m, _ := filepath.Glob(filepath.Join(dl, "campaign-*.csv")); len(m) == 1 {
			csvBody, _ = os.ReadFile(m[0])
			if len(csvBody) > 0 {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !bytes.HasPrefix(csvBody, []byte("\ufeffuserID,channel,language,rank,productID")) {
		t.Fatalf("exported CSV starts %.200q", csvBody)
	}
	rows := strings.Count(string(csvBody), "\r\n")
	if rows < 2 {
		t.Errorf("exported CSV has %d lines", rows)
	}
	t.Logf("exported CSV: %d bytes, %d lines", len(csvBody), rows)
	b.do(t, "export JSON", chromedp.Click(chromedp.CSS(`#export-json`)))
	var export struct {
		Campaign string
		Messages []struct {
			UserID string
			Items  []struct{ Copy struct{ ID, Text string } }
		}
	}
	deadline = time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && len(export.Messages) == 0 {
		if m, _ := filepath.Glob(filepath.Join(dl, "campaign-*.json")); len(m) == 1 {
			if j, err := os.ReadFile(m[0]); err == nil {
				json.Unmarshal(j, &export)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	items := 0
	for _, m := range export.Messages {
		items += len(m.Items)
	}
	// The CSV has a row per item of a message.
	if items != rows-1 || export.Messages[0].UserID == "" || export.Messages[0].Items[0].Copy.Text == "" {
		t.Errorf("exported JSON %+v; want the %d items of the CSV with their copy", export, rows-1)
	}
}

func consoleShopper(t *testing.T, b *consoleBrowser, base, shots string) {
	t.Helper()
	b.do(t, "shoppers tab", chromedp.Navigate(base+"/console#shoppers"))
	n := poll[int](t, b, "a shopper's placements", `document.querySelectorAll('.placement').length`)
	if n != 4 {
		t.Errorf("%d placements shown, want FOR_YOU, DISCOVER, CONTINUE and BUY_AGAIN", n)
	}
	recs := poll[int](t, b, "recommendations", `document.querySelectorAll('.placement[data-placement=FOR_YOU] ol > li').length`)
	if recs == 0 {
		t.Error("no FOR_YOU recommendation shown")
	}
	b.shoot(t, shots, "console-shopper.png")
}

// hasRootField reports whether the server's Query type has the field,
// asking the way the console does: the validator names unknown fields.
func hasRootField(t *testing.T, base, field string) bool {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": "{ " + field + " { __typename } }"})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+consoleAdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Errors []struct{ Message string } }
	json.NewDecoder(resp.Body).Decode(&out)
	for _, e := range out.Errors {
		if strings.Contains(e.Message, `Cannot query field "`+field+`"`) {
			return false
		}
	}
	return true
}

// consoleTabs checks that the Experiments and Rules tabs are shown exactly
// when the schema has them, and, when it does, that they show what the API
// holds and that a rule deleted in the console (two clicks) is gone.
func consoleTabs(t *testing.T, b *consoleBrowser, base, shots string) {
	t.Helper()
	b.do(t, "tabs", chromedp.Navigate(base+"/console#review"), chromedp.WaitVisible(chromedp.CSS(`header nav a.active`)))
	tabs := poll[[]string](t, b, "the tab list", `[...document.querySelectorAll('header nav a')].map(a => a.getAttribute('href'))`)
	has := func(h string) bool { return slices.Contains(tabs, h) }
	for field, tab := range map[string]string{"experiments": "#experiments", "merchandisingRules": "#rules"} {
		if want := hasRootField(t, base, field); has(tab) != want {
			t.Errorf("schema has %s: %v, but the %s tab shown: %v (tabs %q)", field, want, tab, has(tab), tabs)
		}
	}
	if has("#experiments") {
		var x struct {
			CreateExperiment struct {
				Experiment struct{ ID string }
				UserErrors []any
			}
		}
		fromJSON(t, adminPost(t, base, consoleAdminKey, `mutation { createExperiment(input: {name: "Console: more discovery", arms: [{name: "control"}, {name: "discover", config: {mmrLambda: 0.5}}]}) { experiment { id } userErrors { message } } }`, nil), &x)
		if x.CreateExperiment.Experiment.ID == "" {
			t.Fatalf("createExperiment: %+v", x)
		}
		for _, u := range []string{"u001", "u002", "u003", "u004", "u005", "u006"} {
			adminPost(t, base, consoleAdminKey, `query($u: ID!) { recommendations(userID: $u, first: 5) { product { id } } }`, map[string]any{"u": u})
		}
		b.do(t, "experiments tab", chromedp.Navigate(base+"/console#experiments"))
		arms := poll[int](t, b, "the experiment's arms", `document.querySelectorAll('.experiment[data-id=`+jsString(x.CreateExperiment.Experiment.ID)+`] table.perf tbody tr').length`)
		if arms != 2 {
			t.Errorf("the report shows %d arms, want 2", arms)
		}
		b.shoot(t, shots, "console-experiments.png")
	}
	if has("#rules") {
		var r struct {
			UpsertMerchandisingRules struct {
				Rules      []struct{ ID string }
				UserErrors []any
			}
		}
		fromJSON(t, adminPost(t, base, consoleAdminKey, `mutation { upsertMerchandisingRules(input: [
			{name: "Push kitchen appliances", action: BOOST, factor: 1.5, condition: {categoryPrefix: "家电"}},
			{name: "Pin the tablet", action: PIN, position: 1, condition: {productIDs: ["sku-tablet-0003"]}, placements: [FOR_YOU]}
		]) { rules { id } userErrors { message } } }`, nil), &r)
		if len(r.UpsertMerchandisingRules.Rules) != 2 {
			t.Fatalf("upsertMerchandisingRules: %+v", r)
		}
		gone := r.UpsertMerchandisingRules.Rules[1].ID
		b.do(t, "rules tab", chromedp.Navigate(base+"/console#rules"))
		if n := poll[int](t, b, "the rules", `document.querySelectorAll('#rules-table tbody tr').length`); n != 2 {
			t.Errorf("the rules tab shows %d rules, want 2", n)
		}
		b.shoot(t, shots, "console-rules.png")
		b.do(t, "delete a rule",
			chromedp.Click(chromedp.CSS(`#rules-table tr[data-id="`+gone+`"] button`)),
			chromedp.Click(chromedp.CSS(`#rules-table tr[data-id="`+gone+`"] button.reject`)),
		)
		poll[bool](t, b, "the rule leaves the table", `!document.querySelector('#rules-table tr[data-id="`+gone+`"]')`)
		var left struct {
			MerchandisingRules struct{ Nodes []struct{ ID string } }
		}
		fromJSON(t, adminPost(t, base, consoleAdminKey, `{ merchandisingRules { nodes { id } } }`, nil), &left)
		if len(left.MerchandisingRules.Nodes) != 1 || left.MerchandisingRules.Nodes[0].ID == gone {
			t.Errorf("after deleting %s in the console the API holds %+v", gone, left)
		}
	}
}
