package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleScreenshots makes the README's pictures of the console
// (docs/console-*.png) on a demo shop that has been used for a while: copy
// written for 30 shoppers and mostly approved, a few variants still waiting
// (one edited into a claim the compliance check refuses), impressions and
// clicks on the copy, a campaign. It runs only when asked:
//
//	SHOPMUSE_CONSOLE_SCREENSHOTS=docs go test -run TestConsoleScreenshots .
func TestConsoleScreenshots(t *testing.T) {
	dir := os.Getenv("SHOPMUSE_CONSOLE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set SHOPMUSE_CONSOLE_SCREENSHOTS=docs to write the README's screenshots")
	}
	chromium := chromiumPath()
	if chromium == "" {
		t.Fatal("no Chromium found (apt-get install chromium, or set SHOPMUSE_CHROMIUM)")
	}
	base, stop := startServer(t, map[string]string{
		"SHOPMUSE_ADDR":        "127.0.0.1:0",
		"SHOPMUSE_DATA":        t.TempDir(),
		"SHOPMUSE_API_KEYS":    consoleAdminKey + ":admin:alice",
		"SHOPMUSE_COPY_REVIEW": "on",
	})
	defer stop()
	post := func(q string, vars map[string]any, into any) {
		t.Helper()
		fromJSON(t, adminPost(t, base, consoleAdminKey, q, vars), into)
	}

	// Shoppers are served: each serving registers the variants written for
	// their segment, pending review.
	users := make([]string, 30)
	for i := range users {
		users[i] = fmt.Sprintf("u%03d", i+1)
	}
	type served struct {
		Recommendations []struct {
			Product struct{ ID string }
			Copy    struct{ Variants []struct{ ID string } }
		}
	}
	serve := func(u string) served {
		var s served
		post(`query($u: ID!) { recommendations(userID: $u, first: 4) { product { id } copy(channel: PUSH) { variants { id } } } }`, map[string]any{"u": u}, &s)
		return s
	}
	// Every placement of every shopper once, so each list they see has
	// copy registered; then everything pending is approved.
	serveAll := func() {
		for _, u := range users {
			var s any
			post(`query($u: ID!) { user(id: $u) {
				a: recommendations(first: 4, placement: FOR_YOU) { copy(channel: PUSH) { variants { id } } }
				b: recommendations(first: 4, placement: DISCOVER) { copy(channel: PUSH) { variants { id } } }
				c: recommendations(first: 4, placement: CONTINUE) { copy(channel: PUSH) { variants { id } } }
				d: recommendations(first: 4, placement: BUY_AGAIN) { copy(channel: PUSH) { variants { id } } } } }`, map[string]any{"u": u}, &s)
		}
	}
	pending := func() []string {
		var ids []string
		var after any
		for {
			var q struct {
				CopyReviewQueue struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
					Edges []struct{ Node struct{ ID string } }
				}
			}
			post(`query($after: String) { copyReviewQueue(first: 100, after: $after, filter: {status: PENDING}) { pageInfo { hasNextPage endCursor } edges { node { id } } } }`, map[string]any{"after": after}, &q)
			for _, e := range q.CopyReviewQueue.Edges {
				ids = append(ids, e.Node.ID)
			}
			if !q.CopyReviewQueue.PageInfo.HasNextPage {
				return ids
			}
			after = q.CopyReviewQueue.PageInfo.EndCursor
		}
	}
	approve := func(ids []string) {
		for len(ids) > 0 {
			n := min(len(ids), 100)
			var ap struct{ ApproveCopy struct{ UserErrors []any } }
			post(`mutation($ids: [ID!]!) { approveCopy(ids: $ids) { userErrors { message } } }`, map[string]any{"ids": ids[:n]}, &ap)
			ids = ids[n:]
		}
	}
	serveAll()
	approve(pending())

	// Impressions from serving again and again; clicks on some of them,
	// more on some variants than others.
	impressions := map[string]int{}
	productOf := map[string]string{}
	clicks := 0
	now := time.Now().UTC()
	rng := rand.New(rand.NewPCG(1, 2))
	ctrOf := func(v string) float64 { return []float64{0.04, 0.1, 0.22}[int(v[len(v)-1])%3] }
	for round := range 30 {
		for i, u := range users {
			s := serve(u)
			var in []map[string]any
			for j, r := range s.Recommendations {
				if len(r.Copy.Variants) == 0 {
					continue
				}
				v := r.Copy.Variants[0].ID
				impressions[r.Product.ID]++
				productOf[v] = r.Product.ID
				if rng.Float64() < ctrOf(v) {
					in = append(in, map[string]any{"userID": u, "productID": r.Product.ID, "kind": "CLICK", "copyVariantID": v,
						"occurredAt": now.Add(-time.Duration(round*1000+i*10+j) * time.Second).Format(time.RFC3339)})
				}
			}
			if len(in) > 0 {
				var rec struct{ RecordInteractions struct{ Accepted int } }
				post(`mutation($in: [InteractionInput!]!) { recordInteractions(input: $in) { accepted } }`, map[string]any{"in": in}, &rec)
				clicks += rec.RecordInteractions.Accepted
			}
		}
	}
	// A last pass registers what the rounds brought up; all but the newest
	// six are approved, and one of those is edited into an absolute claim,
	// which the compliance check flags.
	serveAll()
	ids := pending()
	if len(ids) < 6 {
		ids = nil
		for _, u := range []string{"u031", "u032", "u033"} {
			serve(u)
		}
		ids = pending()
	}
	keep := ids[max(0, len(ids)-6):]
	approve(ids[:len(ids)-len(keep)])
	var ed struct{ EditCopy struct{ UserErrors []any } }
	post(`mutation($id: ID!) { editCopy(id: $id, text: "全网最好的选择，闭眼入不会错！") { userErrors { message } } }`, map[string]any{"id": keep[0]}, &ed)

	var products []string
	for p := range impressions {
		products = append(products, p)
	}
	sort.Slice(products, func(i, j int) bool { return impressions[products[i]] > impressions[products[j]] })
	// The picture reads best for a product with a leader and few variants.
	top, fewest := products[0], 1<<30
	for _, p := range products {
		var perf struct {
			CopyPerformance struct {
				Leader   *struct{ VariantID string }
				Variants []struct{ VariantID string }
			}
		}
		post(`query($p: ID!) { copyPerformance(productID: $p, channel: PUSH) { leader { variantID } variants { variantID } } }`, map[string]any{"p": p}, &perf)
		if n := len(perf.CopyPerformance.Variants); perf.CopyPerformance.Leader != nil && n >= 2 && n < fewest {
			top, fewest = p, n
		}
	}
	t.Logf("%d clicks recorded; %s served %d times", clicks, top, impressions[top])

	b := newConsoleBrowser(t, chromium)
	b.do(t, "sign in",
		chromedp.Navigate(base+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`#key`)),
		chromedp.SendKeys(chromedp.CSS(`#key`), consoleAdminKey),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#review-list`)),
	)
	b.shoot(t, dir, "console-review.png")

	b.do(t, "performance",
		chromedp.Navigate(base+"/console#performance"),
		chromedp.WaitVisible(chromedp.CSS(`#leader`)),
	)
	poll[bool](t, b, "set the product", `(() => { const el = document.querySelector('input[aria-label="Product ID"]'); el.value = `+jsString(top)+`; el.dispatchEvent(new Event('change', {bubbles: true})); return true })()`)
	poll[bool](t, b, "the product's variants", `document.querySelectorAll('table.perf tbody tr').length >= 2 && document.querySelector('h2 small').textContent.startsWith(`+jsString(top)+`)`)
	b.shoot(t, dir, "console-performance.png")

	b.do(t, "campaign",
		chromedp.Navigate(base+"/console#campaigns"),
		chromedp.WaitVisible(chromedp.CSS(`.new-campaign`)),
		chromedp.SendKeys(chromedp.CSS(`.new-campaign input[name=name]`), "Weekend picks"),
		chromedp.Click(chromedp.CSS(`.new-campaign button[type=submit]`)),
	)
	poll[bool](t, b, "the campaign completes", `(() => { const c = document.querySelector('.campaign'); return !!c && c.dataset.status === 'COMPLETED' })()`)
	b.shoot(t, dir, "console-campaigns.png")

	b.do(t, "shopper", chromedp.Navigate(base+"/console#shoppers"))
	poll[int](t, b, "placements", `document.querySelectorAll('.placement[data-placement=FOR_YOU] ol > li').length`)
	b.do(t, "u003", chromedp.Click(chromedp.CSS(`.userlist li:nth-child(3) button`)))
	poll[bool](t, b, "u003", `!!document.querySelector('.shopper[data-user=u003] .placement ol')`)
	b.shoot(t, dir, "console-shopper.png")

	b.do(t, "sign out", chromedp.Click(chromedp.CSS(`header button.quiet`)), chromedp.WaitVisible(chromedp.CSS(`#key`)))
	b.shoot(t, dir, "console-login.png")
}
