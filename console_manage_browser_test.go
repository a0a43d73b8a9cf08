package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The console's writing screens, driven in the browser of
// TestConsoleInBrowser (so its check that no request leaves the test server
// covers them): a merchandising rule created and edited in a form and then
// live in the API's recommendations, an experiment started and stopped, and
// image facts read from a product's image and decided.

// consoleVisionEnv configures the server's vision model as the stand-in
// llm (images_test.go) and lets it fetch images from loopback.
func consoleVisionEnv(t *testing.T, env map[string]string) *llmStandIn {
	t.Helper()
	llm := &llmStandIn{
		vision: `{"facts": [{"name": "colour", "value": "米白", "confidence": 0.9}, {"name": "colour", "value": "大红", "confidence": 0.4},
		  {"name": "subject", "value": "包身印有2026字样"}]}`,
	}
	srv := llm.server(t)
	env["SHOPMUSE_VISION_LLM"] = "openai"
	env["SHOPMUSE_VISION_LLM_MODEL"] = "m"
	env["OPENAI_BASE_URL"] = srv.URL + "/v1"
	env["SHOPMUSE_IMAGE_FETCH_ALLOW_PRIVATE"] = "on"
	return llm
}

// setInput sets a form control's value the way typing does (an input event;
// change for selects) and fails when the control is not on the page.
func setInput(t *testing.T, b *consoleBrowser, sel, value string) {
	t.Helper()
	poll[bool](t, b, "set "+sel, `(() => { const el = document.querySelector(`+jsString(sel)+`); if (!el) return false;
		el.value = `+jsString(value)+`; el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true})); return true })()`)
}

// mutationLog records the operation names of the mutations the page sends
// (from the request bodies Chromium reports), so a test can tell that a
// form sent nothing, whatever else the page asks meanwhile.
type mutationLog struct {
	mu  sync.Mutex
	ops []string
}

var mutationName = regexp.MustCompile(`^\s*mutation\s+(\w+)`)

func watchMutations(t *testing.T, b *consoleBrowser) *mutationLog {
	t.Helper()
	l := &mutationLog{}
	err := chromedp.Listen(b.ctx, func(ev any) {
		e, ok := ev.(*network.EventRequestWillBeSent)
		if !ok || !strings.HasSuffix(e.Request.URL, "/graphql") {
			return
		}
		var body []byte
		for _, pe := range e.Request.PostDataEntries {
			body = append(body, pe.Bytes...)
		}
		var req struct{ Query string }
		if json.Unmarshal(body, &req) != nil {
			return
		}
		if m := mutationName.FindStringSubmatch(req.Query); m != nil {
			l.mu.Lock()
			l.ops = append(l.ops, m[1])
			l.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// sent returns the mutations sent so far.
func (l *mutationLog) sent() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ops)
}

// nothingSent asserts that the page sends no mutation for a while after a
// form it finds wrong was submitted.
func (l *mutationLog) nothingSent(t *testing.T, what string, before int) {
	t.Helper()
	time.Sleep(400 * time.Millisecond)
	if ops := l.sent(); len(ops) != before {
		t.Errorf("%s: the page sent %q; a form it finds wrong sends nothing", what, ops[before:])
	}
}

// lastSent asserts that the newest mutation is op (a check that the log
// sees what the page sends, so that nothingSent means something).
func (l *mutationLog) lastSent(t *testing.T, op string) {
	t.Helper()
	if ops := l.sent(); len(ops) == 0 || ops[len(ops)-1] != op {
		t.Errorf("mutations sent %q; want %s last", ops, op)
	}
}

type recItem struct {
	Product struct{ ID string }
	Reasons []struct {
		Kind   string
		RuleID *string
	}
}

func forYou(t *testing.T, base, user string) []recItem {
	t.Helper()
	var r struct{ Recommendations []recItem }
	fromJSON(t, adminPost(t, base, consoleAdminKey, `query($u: ID!) { recommendations(userID: $u, first: 10, placement: FOR_YOU) { product { id } reasons { kind ruleID } } }`,
		map[string]any{"u": user}), &r)
	return r.Recommendations
}

// consoleRuleForm: a PIN made in the form takes its position in the
// shopper's FOR_YOU list through the API; the form refuses an empty
// condition without sending anything, shows the server's refusal of a
// second PIN at the same position next to the position field, and an edit
// moves the pin.
func consoleRuleForm(t *testing.T, b *consoleBrowser, base, shots string) {
	t.Helper()
	muts := watchMutations(t, b)
	const user = "u003"
	before := forYou(t, base, user)
	if len(before) < 10 {
		t.Fatalf("%s has %d FOR_YOU recommendations", user, len(before))
	}
	pinned, other := before[9].Product.ID, before[8].Product.ID

	b.do(t, "rules tab", chromedp.Navigate(base+"/console#rules"), chromedp.WaitVisible(chromedp.CSS(`#rule-new`)))
	b.do(t, "new rule", chromedp.Click(chromedp.CSS(`#rule-new`)), chromedp.WaitVisible(chromedp.CSS(`form.rule-form`)))
	setInput(t, b, `form.rule-form input[name=name]`, "Console: pin at 2")
	setInput(t, b, `form.rule-form select[name=action]`, "PIN")
	setInput(t, b, `form.rule-form input[name=position]`, "2")
	// No condition yet: refused in the page, next to the condition.
	n := len(muts.sent())
	b.do(t, "create without a condition", chromedp.Click(chromedp.CSS(`form.rule-form button[type=submit]`)))
	msg := poll[string](t, b, "the condition's error", `(() => { const e = document.querySelector('form.rule-form [data-field=condition] > .field-error'); return e ? e.textContent : '' })()`)
	if !strings.Contains(msg, "at least one") {
		t.Errorf("the empty condition's error reads %q", msg)
	}
	muts.nothingSent(t, "a rule without a condition", n)

	setInput(t, b, `form.rule-form input[name=productIDs]`, pinned)
	b.do(t, "FOR_YOU only", chromedp.Click(chromedp.CSS(`form.rule-form input[name=placements][value=FOR_YOU]`)))
	b.do(t, "create", chromedp.Click(chromedp.CSS(`form.rule-form button[type=submit]`)))
	poll[bool](t, b, "the rule is created", `!document.querySelector('form.rule-form') && document.querySelector('.rules .banner.ok').textContent.includes('Created rule Console: pin at 2')`)
	muts.lastSent(t, "ConsoleUpsertRule")

	var rules struct {
		MerchandisingRules struct {
			Nodes []struct {
				ID, Name, Action string
				Position         *int
				Placements       []string
				Condition        struct{ ProductIDs []string }
			}
		}
	}
	fromJSON(t, adminPost(t, base, consoleAdminKey, `{ merchandisingRules(first: 100) { nodes { id name action position placements condition { productIDs } } } }`, nil), &rules)
	ruleID := ""
	for _, r := range rules.MerchandisingRules.Nodes {
		if r.Name == "Console: pin at 2" {
			ruleID = r.ID
			if r.Action != "PIN" || r.Position == nil || *r.Position != 2 || len(r.Placements) != 1 || r.Placements[0] != "FOR_YOU" ||
				len(r.Condition.ProductIDs) != 1 || r.Condition.ProductIDs[0] != pinned {
				t.Errorf("the rule made in the console is stored as %+v", r)
			}
		}
	}
	if ruleID == "" {
		t.Fatalf("the rule made in the console is not in the API: %+v", rules)
	}
	pinnedAt := func(want int) {
		t.Helper()
		got := forYou(t, base, user)
		if len(got) < want || got[want-1].Product.ID != pinned || len(got[want-1].Reasons) == 0 ||
			got[want-1].Reasons[0].Kind != "merchandising" || got[want-1].Reasons[0].RuleID == nil || *got[want-1].Reasons[0].RuleID != ruleID {
			t.Errorf("%s's FOR_YOU after the console's PIN at %d: %+v; want %s there by rule %s", user, want, got, pinned, ruleID)
		}
	}
	pinnedAt(2)

	// A second PIN at the same position for the same list: only the
	// server knows the first; its refusal shows at the position field.
	b.do(t, "another rule", chromedp.Click(chromedp.CSS(`#rule-new`)), chromedp.WaitVisible(chromedp.CSS(`form.rule-form`)))
	setInput(t, b, `form.rule-form input[name=name]`, "Console: clash")
	setInput(t, b, `form.rule-form input[name=position]`, "2")
	setInput(t, b, `form.rule-form input[name=productIDs]`, other)
	b.do(t, "create the clash", chromedp.Click(chromedp.CSS(`form.rule-form button[type=submit]`)))
	clash := poll[string](t, b, "the server's refusal at the position", `(() => { const e = document.querySelector('form.rule-form [data-field=position] .field-error'); return e ? e.textContent : '' })()`)
	if !strings.Contains(clash, ruleID) || !strings.Contains(clash, "position 2") {
		t.Errorf("the clash's error at the position reads %q; want the server's naming rule %s", clash, ruleID)
	}
	b.shoot(t, shots, "console-rule-form.png")
	b.do(t, "cancel", chromedp.Click(chromedp.CSS(`form.rule-form .actions button.link`)))

	// Edit: the form holds the rule; moved to 4, the API serves it there.
	b.do(t, "edit the rule",
		chromedp.Click(chromedp.CSS(`#rules-table tr[data-id="`+ruleID+`"] button.edit`)),
		chromedp.WaitVisible(chromedp.CSS(`form.rule-form[data-id="`+ruleID+`"]`)),
	)
	if got := poll[string](t, b, "the form's product", `document.querySelector('form.rule-form input[name=productIDs]').value`); got != pinned {
		t.Errorf("the edit form holds product IDs %q, want %q", got, pinned)
	}
	setInput(t, b, `form.rule-form input[name=position]`, "4")
	b.do(t, "save", chromedp.Click(chromedp.CSS(`form.rule-form button[type=submit]`)))
	poll[bool](t, b, "the rule is saved", `!document.querySelector('form.rule-form') && document.querySelector('#rules-table tr[data-id="`+ruleID+`"]').textContent.includes('at 4')`)
	pinnedAt(4)
}

// consoleExperimentForm: an experiment started in the form while another
// runs is refused by the server, with its reason in the form; stopped in
// the console (Stop…, then Stop), the other makes way, the new one starts
// with the arms and configuration typed, and is stopped in turn.
func consoleExperimentForm(t *testing.T, b *consoleBrowser, base, shots string) {
	t.Helper()
	muts := watchMutations(t, b)
	type experiment struct {
		ID, Name, Status string
		Arms             []struct {
			Name    string
			Weight  float64
			Control bool
			Config  struct {
				MMRLambda *float64 `json:"mmrLambda"`
				Weights   []struct {
					Retriever string
					Weight    float64
				}
			}
		}
	}
	list := func() []experiment {
		var x struct{ Experiments struct{ Nodes []experiment } }
		fromJSON(t, adminPost(t, base, consoleAdminKey, `{ experiments(first: 100) { nodes { id name status arms { name weight control config { mmrLambda weights { retriever weight } } } } } }`, nil), &x)
		return x.Experiments.Nodes
	}
	running := ""
	for _, x := range list() {
		if x.Status == "RUNNING" {
			running = x.ID
		}
	}
	if running == "" {
		t.Fatal("no experiment runs; consoleTabs starts one")
	}

	b.do(t, "experiments tab", chromedp.Navigate(base+"/console#experiments"), chromedp.WaitVisible(chromedp.CSS(`.experiment[data-id="`+running+`"]`)))
	b.do(t, "new experiment", chromedp.Click(chromedp.CSS(`#experiment-new`)), chromedp.WaitVisible(chromedp.CSS(`form.experiment-form`)))
	const form = `form.experiment-form `
	setInput(t, b, form+`input[name=name]`, "Console: fewer repeats")
	setInput(t, b, form+`li[data-arm="1"] input[name=arm-name]`, "control")
	n := len(muts.sent())
	b.do(t, "start with two arms named alike", chromedp.Click(chromedp.CSS(form+`button[type=submit]`)))
	dup := poll[string](t, b, "the duplicate arm's error", `(() => { const e = document.querySelector(`+jsString(form+`[data-field="arms.1.name"] .field-error`)+`); return e ? e.textContent : '' })()`)
	if !strings.Contains(dup, "control") {
		t.Errorf("the duplicate arm name's error reads %q", dup)
	}
	muts.nothingSent(t, "two arms named alike", n)
	setInput(t, b, form+`li[data-arm="1"] input[name=arm-name]`, "diverse")
	setInput(t, b, form+`li[data-arm="1"] input[name=arm-weight]`, "2")
	setInput(t, b, form+`li[data-arm="1"] input[name=arm-mmr]`, "0.4")
	setInput(t, b, form+`li[data-arm="1"] input[name=arm-w-itemcf]`, "3")
	b.do(t, "start while another runs", chromedp.Click(chromedp.CSS(form+`button[type=submit]`)))
	refused := poll[string](t, b, "the server's refusal", `(() => { const e = document.querySelector(`+jsString(form+`.banner.error`)+`); return e ? e.textContent : '' })()`)
	muts.lastSent(t, "ConsoleCreateExperiment")
	if !strings.Contains(refused, running) || !strings.Contains(refused, "stop it first") {
		t.Errorf("starting a second experiment: the form says %q", refused)
	}
	b.shoot(t, shots, "console-experiment-form.png")

	// Stop the running one: two clicks, the second names the consequence.
	b.do(t, "stop the running experiment",
		chromedp.Click(chromedp.CSS(`.experiment[data-id="`+running+`"] button.stop-ask`)),
		chromedp.Click(chromedp.CSS(`.experiment[data-id="`+running+`"] button.stop-confirm`)),
	)
	poll[bool](t, b, "it shows stopped", `!!document.querySelector('.experiment[data-id="`+running+`"][data-status=STOPPED]')`)
	b.do(t, "start", chromedp.Click(chromedp.CSS(form+`button[type=submit]`)))
	poll[bool](t, b, "the new experiment runs", `!document.querySelector('form.experiment-form') && document.querySelector('.experiments .banner.ok').textContent.includes('Started Console: fewer repeats')`)
	var created experiment
	for _, x := range list() {
		switch {
		case x.ID == running && x.Status != "STOPPED":
			t.Errorf("experiment %s stopped in the console is %s", running, x.Status)
		case x.Name == "Console: fewer repeats":
			created = x
		}
	}
	if created.Status != "RUNNING" || len(created.Arms) != 2 || !created.Arms[0].Control || created.Arms[0].Name != "control" ||
		created.Arms[1].Name != "diverse" || created.Arms[1].Weight != 2 || created.Arms[1].Control ||
		created.Arms[1].Config.MMRLambda == nil || *created.Arms[1].Config.MMRLambda != 0.4 ||
		len(created.Arms[1].Config.Weights) != 1 || created.Arms[1].Config.Weights[0].Retriever != "itemcf" || created.Arms[1].Config.Weights[0].Weight != 3 {
		t.Errorf("the experiment started in the console is %+v", created)
	}
	poll[bool](t, b, "its report", `document.querySelectorAll('.experiment[data-id="`+created.ID+`"] table.perf tbody tr').length === 2`)
	if arm := poll[string](t, b, "the arm's changes", `document.querySelector('.experiment[data-id="`+created.ID+`"] table.perf tbody tr:nth-child(2) .text').textContent`); !strings.Contains(arm, "MMR λ 0.4") || !strings.Contains(arm, "itemcf 3") {
		t.Errorf("the diverse arm's changes read %q", arm)
	}
	b.do(t, "stop the new experiment",
		chromedp.Click(chromedp.CSS(`.experiment[data-id="`+created.ID+`"] button.stop-ask`)),
		chromedp.Click(chromedp.CSS(`.experiment[data-id="`+created.ID+`"] button.stop-confirm`)),
	)
	poll[bool](t, b, "it shows stopped", `!!document.querySelector('.experiment[data-id="`+created.ID+`"][data-status=STOPPED]')`)
	for _, x := range list() {
		if x.Status != "STOPPED" {
			t.Errorf("after stopping in the console, %s (%s) is %s", x.ID, x.Name, x.Status)
		}
	}
}

// consoleImageFacts: facts read from a product's image (fetched by the
// server from a stand-in image host; the page never loads it), one approved
// in one click, one rejected in one, the rest approved in bulk in two, and
// the API holds those decisions. An unreachable image is the server's
// userError in the page; an uploaded file is previewed from a data: URL and
// its bytes reach the model.
func consoleImageFacts(t *testing.T, b *consoleBrowser, base, shots string, llm *llmStandIn) {
	t.Helper()
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(testPNG) }))
	defer img.Close()
	imageURL := img.URL + "/bag.png"
	var up struct{ UpsertProducts struct{ UserErrors []any } }
	fromJSON(t, adminPost(t, base, consoleAdminKey, `mutation($img: String!) { upsertProducts(input: [
	  {id: "console-bag", title: "帆布托特包", category: "箱包/托特包", price: {amount: "129.00"}, imageURL: $img, attributes: [{name: "颜色", value: "米白"}]},
	  {id: "console-gone", title: "帆布托特包 黑", category: "箱包/托特包", price: {amount: "129.00"}, imageURL: "http://127.0.0.1:1/x.png"}]) { userErrors { code } } }`,
		map[string]any{"img": imageURL}), &up)
	if len(up.UpsertProducts.UserErrors) != 0 {
		t.Fatalf("upsertProducts: %+v", up)
	}

	b.do(t, "image facts tab", chromedp.Navigate(base+"/console#images"), chromedp.WaitVisible(chromedp.CSS(`.image-facts input[name=product]`)))
	poll[bool](t, b, "the unreachable product", `(() => { const el = document.querySelector('.image-facts input[name=product]');
		el.value = 'console-gone'; el.dispatchEvent(new Event('change', {bubbles: true})); return true })()`)
	b.do(t, "read an unreachable image", chromedp.WaitVisible(chromedp.CSS(`[data-product=console-gone] #extract`)), chromedp.Click(chromedp.CSS(`#extract`)))
	if msg := poll[string](t, b, "the server's error", `(() => { const e = document.querySelector('#extract-error'); return e ? e.textContent : '' })()`); !strings.Contains(msg, "unreachable") {
		t.Errorf("reading an unreachable image says %q", msg)
	}

	poll[bool](t, b, "the product", `(() => { const el = document.querySelector('.image-facts input[name=product]');
		el.value = 'console-bag'; el.dispatchEvent(new Event('change', {bubbles: true})); return true })()`)
	b.do(t, "the bag", chromedp.WaitVisible(chromedp.CSS(`[data-product=console-bag] #extract`)))
	// Off this origin: a link for a person to follow, never loaded here.
	if href := poll[string](t, b, "the image link", `(() => { const a = document.querySelector('#image-link'); return a ? a.href : '' })()`); href != imageURL {
		t.Errorf("the image link is %q, want %q", href, imageURL)
	}
	if n := poll[string](t, b, "images on the page", `String(document.querySelectorAll('.image-box img').length)`); n != "0" {
		t.Errorf("%s images on the page for an off-site imageURL", n)
	}
	b.do(t, "read the image", chromedp.Click(chromedp.CSS(`#extract`)))
	ids := poll[[]string](t, b, "three pending facts", `(() => { const r = [...document.querySelectorAll('#facts-table tbody tr[data-status=PENDING]')].map(tr => tr.dataset.id); return r.length === 3 ? r : null })()`)
	if w := poll[string](t, b, "the flagged colour", `(() => { const w = document.querySelector('#facts-table tr[data-id="`+ids[1]+`"] .warning'); return w ? w.textContent : 'none' })()`); !strings.Contains(w, "米白") {
		t.Errorf("the colour contradicting the catalogue shows warning %q", w)
	}
	b.do(t, "approve one (one click)", chromedp.Click(chromedp.CSS(`#facts-table tr[data-id="`+ids[0]+`"] button.approve`)))
	poll[bool](t, b, "approved", `!!document.querySelector('#facts-table tr[data-id="`+ids[0]+`"][data-status=APPROVED]')`)
	b.do(t, "reject one (one click)", chromedp.Click(chromedp.CSS(`#facts-table tr[data-id="`+ids[1]+`"] button.reject`)))
	poll[bool](t, b, "rejected", `!!document.querySelector('#facts-table tr[data-id="`+ids[1]+`"][data-status=REJECTED]')`)

	// An uploaded image: previewed from the page's own data: URL, read by
	// the model (the stand-in counts the exact bytes).
	file := filepath.Join(t.TempDir(), "bag.png")
	if err := os.WriteFile(file, testPNG, 0o644); err != nil {
		t.Fatal(err)
	}
	llm.mu.Lock()
	llm.vision = `{"facts": [{"name": "material", "value": "帆布", "confidence": 0.8}]}`
	seen := llm.images
	llm.mu.Unlock()
	b.do(t, "upload an image", chromedp.SetUploadFiles(chromedp.CSS(`.image-facts input[type=file]`), []string{file}))
	poll[bool](t, b, "the preview", `(() => { const i = document.querySelector('#upload-preview'); return !!i && i.src.startsWith('data:image/png;base64,') })()`)
	b.do(t, "read the upload", chromedp.Click(chromedp.CSS(`#extract-upload`)))
	poll[bool](t, b, "the upload's fact", `[...document.querySelectorAll('#facts-table tbody tr[data-status=PENDING]')].some(tr => tr.textContent.includes('帆布'))`)
	llm.mu.Lock()
	if llm.images != seen+1 {
		t.Errorf("the model saw the uploaded bytes %d times, want once", llm.images-seen)
	}
	llm.mu.Unlock()
	b.shoot(t, shots, "console-image-facts.png")

	// Two clicks decide the rest: tick all pending, approve.
	b.do(t, "approve the rest in bulk", chromedp.Click(chromedp.CSS(`#pick-all`)), chromedp.Click(chromedp.CSS(`#bulk-approve-facts`)))
	poll[bool](t, b, "none pending", `!document.querySelector('#facts-table tbody tr[data-status=PENDING]') && document.querySelector('.image-facts .banner.ok').textContent.includes('Approved 2 facts')`)

	var got struct {
		ProductImageFacts []struct{ ID, Value, Status string }
	}
	fromJSON(t, adminPost(t, base, consoleAdminKey, `{ productImageFacts(productID: "console-bag") { id value status } }`, nil), &got)
	status := map[string]string{}
	approved := 0
	for _, f := range got.ProductImageFacts {
		status[f.ID] = f.Status
		if f.Status == "APPROVED" {
			approved++
		}
	}
	if len(got.ProductImageFacts) != 4 || approved != 3 || status[ids[0]] != "APPROVED" || status[ids[1]] != "REJECTED" || status[ids[2]] != "APPROVED" {
		t.Errorf("after the console's decisions the API holds %+v", got.ProductImageFacts)
	}
}
