package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// postAs sends a query with variables under a key and decodes data into dst;
// it fails the test on any GraphQL error.
func postAs(t *testing.T, base, key, query string, vars map[string]any, dst any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("%s: %v %v", strings.Fields(query)[0:2], out.Errors, err)
	}
	if dst != nil {
		if err := json.Unmarshal(out.Data, dst); err != nil {
			t.Fatal(err)
		}
	}
}

// sse runs a subscription over SSE and returns each event's data.
func sse(t *testing.T, base, key, query string, vars map[string]any) []json.RawMessage {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []json.RawMessage
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			var msg struct {
				Data   json.RawMessage
				Errors []any
			}
			if json.Unmarshal([]byte(d), &msg) == nil {
				if len(msg.Errors) > 0 {
					t.Fatalf("subscription errors: %v", msg.Errors)
				}
				if len(msg.Data) > 0 && string(msg.Data) != "null" {
					out = append(out, msg.Data)
				}
			}
		}
		if line == "event: complete" {
			break
		}
	}
	return out
}

type reviewedVariant struct {
	ID, Headline, Text, Status string
	ReviewedBy                 *string
	Checks                     []struct{ Passed bool }
}

const reviewSeed = `mutation {
  upsertProducts(input: [
    {id: "cam1", title: "佳能 EOS R50 微单相机", brand: "佳能", category: "数码/相机", price: {amount: "4999.00"}, tags: ["拍照"]},
    {id: "cam2", title: "索尼 ZV-E10 微单相机", brand: "索尼", category: "数码/相机", price: {amount: "4299.00"}, tags: ["拍照", "vlog"]},
    {id: "mug1", title: "不锈钢保温杯 500毫升", category: "家居/杯具", price: {amount: "99.00"}},
    {id: "mug2", title: "陶瓷马克杯 350毫升", category: "家居/杯具", price: {amount: "39.00"}}]) { userErrors { code } }
  upsertUsers(input: [{id: "u1", name: "Ann", age: 26, gender: FEMALE, interests: ["拍照"]}, {id: "u2", name: "Bo", interests: ["拍照"]}]) { userErrors { code } }
  recordInteractions(input: [{userID: "u2", productID: "cam1", kind: PURCHASE}, {userID: "u2", productID: "cam2", kind: VIEW},
    {userID: "u2", productID: "mug1", kind: VIEW}, {userID: "u1", productID: "mug2", kind: VIEW}]) { userErrors { code } }
}`

// TestCopyReviewKeepsUnapprovedCopyFromShoppers is issue 18's target: with
// review on, no unapproved variant reaches a shopper, through
// recommendations (and so the bandit), generatedCopy, copyStream or a
// campaign; approval, edits, rejection and the audit log work as the
// console expects; and every review field is refused to non-admins.
func TestCopyReviewKeepsUnapprovedCopyFromShoppers(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin:alice,svc-1:service,cat-1:catalog", "SHOPMUSE_SHOPPER_TOKEN_SECRET": testShopperSecret,
		"SHOPMUSE_COPY_REVIEW": "on"})
	defer stop()
	postAs(t, base, "adm-1", reviewSeed, nil, nil)
	postAs(t, base, "adm-1", `mutation { trainModels { durationMs } }`, nil, nil)
	u1 := shopperToken(t, "u1", "1h")

	approved := map[string]string{} // id → text
	// served collects what the shopper is shown with their recommendations
	// and fails on anything unapproved.
	served := func() (products int, variants []reviewedVariant) {
		var out struct {
			Recommendations []struct {
				Product struct{ ID string }
				Copy    struct{ Variants []reviewedVariant }
			}
		}
		postAs(t, base, u1, `{ recommendations(first: 4) { product { id } copy(channel: PUSH) { variants { id headline text status reviewedBy } } } }`, nil, &out)
		for _, r := range out.Recommendations {
			for _, v := range r.Copy.Variants {
				if v.Status != "APPROVED" || approved[v.ID] != v.Text || v.ReviewedBy != nil {
					t.Fatalf("a shopper was served %+v (approved: %v)", v, approved)
				}
				variants = append(variants, v)
			}
		}
		return len(out.Recommendations), variants
	}
	if n, vs := served(); n == 0 || len(vs) != 0 {
		t.Fatalf("before any approval: %d recommendations with %d variants", n, len(vs))
	}

	// generatedCopy: drafts for service and admin keys, approved copy only
	// for catalog keys and shoppers.
	const gen = `{ generatedCopy(productID: "cam1", persona: {description: "25岁,女性,喜欢拍照"}, channel: PUSH, variants: 3) { variants { id text status reviewedBy } } }`
	var g struct {
		GeneratedCopy struct{ Variants []reviewedVariant }
	}
	for _, who := range []string{"cat-1", u1} {
		postAs(t, base, who, gen, nil, &g)
		if len(g.GeneratedCopy.Variants) != 0 {
			t.Fatalf("%s got unapproved copy: %+v", who[:5], g.GeneratedCopy.Variants)
		}
	}
	// A catalog key writes nothing: what it asks for is not queued; nor
	// is a shopper's persona described in free text (the words would be
	// the browser's choice); a service key's is (a shopper's own profile
	// is too, so real traffic fills the queue).
	queued := func() int {
		var cq struct{ CopyReviewQueue struct{ TotalCount int } }
		postAs(t, base, "adm-1", `{ copyReviewQueue(filter: {productID: "mug2", channel: AD_SLOGAN}) { totalCount } }`, nil, &cq)
		return cq.CopyReviewQueue.TotalCount
	}
	const slogan = `{ generatedCopy(productID: "mug2", persona: {description: "60岁,男性"}, channel: AD_SLOGAN) { variants { id } } }`
	for _, who := range []string{"cat-1", u1, "svc-1"} {
		postAs(t, base, who, slogan, nil, nil)
		if n := queued(); (n == 0) != (who != "svc-1") {
			t.Fatalf("after %.5s's request %d variants are queued", who, n)
		}
	}
	postAs(t, base, "svc-1", gen, nil, &g)
	if len(g.GeneratedCopy.Variants) != 3 || g.GeneratedCopy.Variants[0].Status != "PENDING" || g.GeneratedCopy.Variants[0].ReviewedBy != nil {
		t.Fatalf("service drafts: %+v", g.GeneratedCopy.Variants)
	}

	// copyStream: nothing approved, nothing streamed.
	const stream = `subscription { copyStream(productID: "cam1", persona: {description: "25岁,女性,喜欢拍照"}, channel: PUSH) { delta done copy { variants { id text status } } } }`
	type chunk struct {
		CopyStream struct {
			Delta string
			Done  bool
			Copy  *struct{ Variants []reviewedVariant }
		}
	}
	streamed := func(key string) (text string, vs []reviewedVariant) {
		for _, d := range sse(t, base, key, stream, nil) {
			var c chunk
			if err := json.Unmarshal(d, &c); err != nil {
				t.Fatal(err)
			}
			text += c.CopyStream.Delta
			if c.CopyStream.Done {
				vs = c.CopyStream.Copy.Variants
			}
		}
		return text, vs
	}
	if text, vs := streamed("cat-1"); text != "" || len(vs) != 0 {
		t.Fatalf("copyStream sent unapproved copy: %q %+v", text, vs)
	}

	// A campaign leaves out products without approved copy.
	campaign := func() (messages int, items []reviewedVariant) {
		var c struct {
			CreateCampaign struct{ Campaign struct{ ID string } }
		}
		postAs(t, base, "adm-1", `mutation { createCampaign(input: {channel: PUSH, userIDs: ["u1"]}) { campaign { id } } }`, nil, &c)
		var got struct {
			Campaign struct {
				Status      string
				Messages    int
				MessageList struct {
					Edges []struct {
						Node struct {
							Items []struct{ Copy reviewedVariant }
						}
					}
				}
			}
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			postAs(t, base, "adm-1", `query($id: ID!) { campaign(id: $id) { status messages messageList { edges { node { items { copy { id text status } } } } } } }`,
				map[string]any{"id": c.CreateCampaign.Campaign.ID}, &got)
			if got.Campaign.Status == "COMPLETED" || time.Now().After(deadline) {
				break
			}
		}
		if got.Campaign.Status != "COMPLETED" {
			t.Fatalf("campaign %+v", got.Campaign)
		}
		for _, e := range got.Campaign.MessageList.Edges {
			for _, it := range e.Node.Items {
				if it.Copy.Status != "APPROVED" || approved[it.Copy.ID] != it.Copy.Text {
					t.Fatalf("a campaign sent unapproved copy: %+v", it.Copy)
				}
				items = append(items, it.Copy)
			}
		}
		return got.Campaign.Messages, items
	}
	if n, items := campaign(); n != 0 || len(items) != 0 {
		t.Fatalf("campaign before approval: %d messages, %d items", n, len(items))
	}

	// The admin approves what passed its checks on PUSH.
	var q struct {
		CopyReviewQueue struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					reviewedVariant
					ProductID, Channel, Persona string
					Product                     struct{ ID string }
				}
			}
			PageInfo struct{ HasNextPage bool }
		}
	}
	postAs(t, base, "adm-1", `{ copyReviewQueue(first: 100, filter: {status: PENDING, channel: PUSH, failedChecks: false}) {
	  totalCount pageInfo { hasNextPage } edges { node { id text status productID channel persona product { id } checks { passed } } } } }`, nil, &q)
	if q.CopyReviewQueue.TotalCount == 0 || q.CopyReviewQueue.TotalCount != len(q.CopyReviewQueue.Edges) || q.CopyReviewQueue.PageInfo.HasNextPage {
		t.Fatalf("queue: %d of %d", len(q.CopyReviewQueue.Edges), q.CopyReviewQueue.TotalCount)
	}
	var ids []string
	for _, e := range q.CopyReviewQueue.Edges {
		n := e.Node
		if n.Channel != "PUSH" || n.ProductID == "" || n.Product.ID != n.ProductID || n.Status != "PENDING" {
			t.Fatalf("queue node %+v", n)
		}
		ids = append(ids, n.ID)
		approved[n.ID] = n.Text
	}
	var ap struct {
		ApproveCopy struct {
			Variants   []reviewedVariant
			UserErrors []struct{ Code string }
		}
	}
	postAs(t, base, "adm-1", `mutation($ids: [ID!]!) { approveCopy(ids: $ids) { variants { id status reviewedBy } userErrors { code } } }`, map[string]any{"ids": ids}, &ap)
	if len(ap.ApproveCopy.UserErrors) != 0 || len(ap.ApproveCopy.Variants) != len(ids) || *ap.ApproveCopy.Variants[0].ReviewedBy != "alice" {
		t.Fatalf("approve: %+v", ap.ApproveCopy)
	}
	_, vs := served()
	if len(vs) == 0 {
		t.Fatal("approved copy does not reach the shopper")
	}
	if n, items := campaign(); n != 1 || len(items) == 0 {
		t.Fatalf("campaign after approval: %d messages, %d items", n, len(items))
	}
	text, svs := streamed(u1)
	for _, v := range svs {
		if v.Status != "APPROVED" || approved[v.ID] != v.Text {
			t.Fatalf("copyStream sent %+v", v)
		}
	}
	if len(svs) > 0 && text != svs[0].Text {
		t.Fatalf("streamed %q, copy says %q", text, svs[0].Text)
	}

	// An edit that invents a figure fails its checks, is PENDING, cannot
	// be approved, and is no longer served.
	edited := vs[0].ID
	var ed struct {
		EditCopy struct {
			Variants []struct {
				reviewedVariant
				Edited bool
			}
			UserErrors []struct{ Code string }
		}
	}
	postAs(t, base, "adm-1", `mutation($id: ID!) { editCopy(id: $id, text: "续航长达72小时，全网最低价") { variants { id status edited checks { passed } } userErrors { code } } }`,
		map[string]any{"id": edited}, &ed)
	if len(ed.EditCopy.Variants) != 1 || ed.EditCopy.Variants[0].Status != "PENDING" || !ed.EditCopy.Variants[0].Edited {
		t.Fatalf("edit: %+v", ed.EditCopy)
	}
	delete(approved, edited)
	postAs(t, base, "adm-1", `mutation($ids: [ID!]!) { approveCopy(ids: $ids) { variants { id } userErrors { code } } }`, map[string]any{"ids": []string{edited}}, &ap)
	if len(ap.ApproveCopy.UserErrors) != 1 || ap.ApproveCopy.UserErrors[0].Code != "INVALID" || len(ap.ApproveCopy.Variants) != 0 {
		t.Fatalf("approving failing copy: %+v", ap.ApproveCopy)
	}
	served() // fails if the edited variant is served

	// Rejection and the audit log.
	var rj struct {
		RejectCopy struct{ UserErrors []struct{ Code string } }
	}
	postAs(t, base, "adm-1", `mutation($ids: [ID!]!) { rejectCopy(ids: $ids, reason: "off brand") { userErrors { code } } }`, map[string]any{"ids": []string{ids[len(ids)-1]}}, &rj)
	delete(approved, ids[len(ids)-1])
	served()
	var au struct {
		CopyReviewAudit struct {
			Edges []struct {
				Node struct {
					VariantID, Action, Actor, At string
					Reason                       *string
					Before, After                struct{ Status, Text string }
				}
			}
		}
	}
	postAs(t, base, "adm-1", `query($id: ID) { copyReviewAudit(variantID: $id) { edges { node { variantID action actor at reason before { status text } after { status text } } } } }`,
		map[string]any{"id": ids[len(ids)-1]}, &au)
	if e := au.CopyReviewAudit.Edges; len(e) != 2 || e[0].Node.Action != "reject" || e[0].Node.Actor != "alice" || e[0].Node.Before.Status != "APPROVED" ||
		e[0].Node.After.Status != "REJECTED" || *e[0].Node.Reason != "off brand" || e[1].Node.Action != "approve" || e[0].Node.At == "" {
		t.Fatalf("audit: %+v", e)
	}

	// A batch job fills the queue for a category, with progress.
	var job struct{ GenerateCopyBatch struct{ ID, State string } }
	postAs(t, base, "adm-1", `mutation { generateCopyBatch(filter: {category: "家居"}, channels: [TITLE, PUSH], personas: [{description: "30岁,女性"}]) { id state } }`, nil, &job)
	var states []struct {
		State               string
		Total, Done, Failed int
	}
	for _, d := range sse(t, base, "adm-1", `subscription($id: ID!) { copyBatchProgress(id: $id) { state total done failed } }`, map[string]any{"id": job.GenerateCopyBatch.ID}) {
		var s struct {
			CopyBatchProgress struct {
				State               string
				Total, Done, Failed int
			}
		}
		_ = json.Unmarshal(d, &s)
		states = append(states, struct {
			State               string
			Total, Done, Failed int
		}(s.CopyBatchProgress))
	}
	if len(states) == 0 || states[len(states)-1].State != "COMPLETED" || states[len(states)-1].Done != 4 || states[len(states)-1].Total != 4 || states[len(states)-1].Failed != 0 {
		t.Fatalf("batch progress: %+v", states)
	}
	var bj struct {
		CopyBatchJob struct {
			State      string
			Done       int
			FinishedAt *string
		}
	}
	postAs(t, base, "adm-1", `query($id: ID!) { copyBatchJob(id: $id) { state done finishedAt } }`, map[string]any{"id": job.GenerateCopyBatch.ID}, &bj)
	if bj.CopyBatchJob.State != "COMPLETED" || bj.CopyBatchJob.FinishedAt == nil {
		t.Fatalf("copyBatchJob: %+v", bj)
	}
	var cq struct{ CopyReviewQueue struct{ TotalCount int } }
	postAs(t, base, "adm-1", `{ copyReviewQueue(filter: {categoryPrefix: "家居", channel: TITLE}) { totalCount } }`, nil, &cq)
	if cq.CopyReviewQueue.TotalCount < 2 {
		t.Fatalf("the batch queued %d TITLE variants for 家居", cq.CopyReviewQueue.TotalCount)
	}
	for _, bad := range []string{
		`mutation { generateCopyBatch(filter: {category: "玩具"}, channels: [PUSH]) { id } }`,
		`mutation { generateCopyBatch(channels: []) { id } }`,
		`mutation { generateCopyBatch(channels: [PUSH], personas: [{userID: "u1"}]) { id } }`,
	} {
		if _, out, _ := post(t, base, "adm-1", bad); codes(out) != "BAD_USER_INPUT" {
			t.Errorf("%s: %v", bad, out)
		}
	}

	// Every review and image field is the admin's.
	for _, who := range []string{"cat-1", u1, "svc-1"} {
		for _, query := range []string{
			`{ copyReviewQueue { totalCount } }`, `{ copyReviewAudit { edges { cursor } } }`, `{ copyBatchJob(id: "x") { id } }`,
			`{ productImageFacts(productID: "cam1") { id } }`,
			`mutation { approveCopy(ids: ["x"]) { userErrors { code } } }`, `mutation { rejectCopy(ids: ["x"], reason: "r") { userErrors { code } } }`,
			`mutation { editCopy(id: "x", text: "t") { userErrors { code } } }`, `mutation { generateCopyBatch(channels: [PUSH]) { id } }`,
			`mutation { approveCopy(ids: ["x"], revisions: ["r"]) { userErrors { code } } }`,
			`mutation { rejectCopy(ids: ["x"], reason: "r", revisions: ["r"]) { userErrors { code } } }`,
			`mutation { editCopy(id: "x", text: "t", revision: "r") { userErrors { code } } }`,
			`mutation { extractImageFacts(productID: "cam1") { userErrors { code } } }`,
			`mutation { approveImageFacts(productID: "cam1", ids: ["x"]) { userErrors { code } } }`,
			`mutation { rejectImageFacts(productID: "cam1", ids: ["x"]) { userErrors { code } } }`,
			`subscription { copyBatchProgress(id: "x") { id } }`,
		} {
			if _, out, _ := post(t, base, who, query); !slices.Contains(errorCodes(out), "FORBIDDEN") {
				t.Errorf("%s as %.5s: %v", query, who, out)
			}
		}
	}
	var sv struct {
		GeneratedCopy struct {
			Variants []struct {
				ReviewedBy, ReviewedAt, RejectReason, Persona, Revision *string
			}
		}
	}
	postAs(t, base, "svc-1", `{ generatedCopy(productID: "cam1", channel: PUSH, persona: {description: "25岁,女性,喜欢拍照"}, variants: 3) { variants { reviewedBy reviewedAt rejectReason persona revision } } }`, nil, &sv)
	for _, v := range sv.GeneratedCopy.Variants {
		if v.ReviewedBy != nil || v.ReviewedAt != nil || v.RejectReason != nil || v.Persona != nil || v.Revision != nil {
			t.Fatalf("review details shown to a service key: %+v", v)
		}
	}
}

// TestCopyReviewOffServesAsBefore: with review off every variant is
// APPROVED and shoppers get copy without anyone approving it.
func TestCopyReviewOffServesAsBefore(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin,cat-1:catalog"})
	defer stop()
	postAs(t, base, "adm-1", reviewSeed, nil, nil)
	var g struct {
		GeneratedCopy struct{ Variants []reviewedVariant }
	}
	postAs(t, base, "cat-1", `{ generatedCopy(productID: "cam1", channel: PUSH, variants: 2) { variants { id text status } } }`, nil, &g)
	if len(g.GeneratedCopy.Variants) != 2 || g.GeneratedCopy.Variants[0].Status != "APPROVED" {
		t.Fatalf("review off: %+v", g.GeneratedCopy.Variants)
	}
	var q struct{ CopyReviewQueue struct{ TotalCount int } }
	postAs(t, base, "adm-1", `{ copyReviewQueue { totalCount } }`, nil, &q)
	if q.CopyReviewQueue.TotalCount != 0 {
		t.Fatalf("review off registered %d variants", q.CopyReviewQueue.TotalCount)
	}
}

// TestCopyReviewDecisionsApplyToTheWordsRead: each variant in the review
// API carries the revision of its words (admins only); a decision given
// the revisions a reviewer read is refused with CONFLICT once the words
// changed (an edit in between), changing nothing of the batch, and goes
// through with the current ones; the audit keeps the revision approved.
func TestCopyReviewDecisionsApplyToTheWordsRead(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin:alice,adm-2:admin:bob,svc-1:service,cat-1:catalog", "SHOPMUSE_COPY_REVIEW": "on"})
	defer stop()
	postAs(t, base, "adm-1", reviewSeed, nil, nil)
	type variant struct {
		ID, Headline, Text, Status string
		Revision                   *string
	}
	const gen = `{ generatedCopy(productID: "mug1", channel: PUSH, variants: 2) { variants { id headline text status revision } } }`
	var g struct{ GeneratedCopy struct{ Variants []variant } }
	postAs(t, base, "svc-1", gen, nil, &g)
	if len(g.GeneratedCopy.Variants) != 2 || g.GeneratedCopy.Variants[0].Revision != nil {
		t.Fatalf("a service key sees revisions: %+v", g.GeneratedCopy.Variants)
	}
	// The reviewer's view.
	var q struct {
		CopyReviewQueue struct{ Edges []struct{ Node variant } }
	}
	postAs(t, base, "adm-1", `{ copyReviewQueue(filter: {productID: "mug1"}) { edges { node { id headline text status revision } } } }`, nil, &q)
	if len(q.CopyReviewQueue.Edges) != 2 {
		t.Fatalf("queue: %+v", q)
	}
	a, b := q.CopyReviewQueue.Edges[0].Node, q.CopyReviewQueue.Edges[1].Node
	if a.Revision == nil || b.Revision == nil || *a.Revision == *b.Revision {
		t.Fatalf("revisions: %+v %+v", a, b)
	}
	// Another admin edits a meanwhile.
	type payload struct {
		Variants   []variant
		UserErrors []struct {
			Field         []string
			Code, Message string
		}
	}
	var e struct{ EditCopy payload }
	postAs(t, base, "adm-2", `mutation($id: ID!, $rev: String) { editCopy(id: $id, text: "不锈钢保温杯，500毫升，出门带上。", revision: $rev) {
	  variants { id text revision } userErrors { field code message } } }`, map[string]any{"id": a.ID, "rev": *a.Revision}, &e)
	if len(e.EditCopy.UserErrors) != 0 || len(e.EditCopy.Variants) != 1 || *e.EditCopy.Variants[0].Revision == *a.Revision {
		t.Fatalf("edit: %+v", e.EditCopy)
	}
	const approve = `mutation($ids: [ID!]!, $revs: [String!]) { approveCopy(ids: $ids, revisions: $revs) {
	  variants { id status text revision } userErrors { field code message } } }`
	var ap struct{ ApproveCopy payload }
	postAs(t, base, "adm-1", approve, map[string]any{"ids": []string{b.ID, a.ID}, "revs": []string{*b.Revision, *a.Revision}}, &ap)
	if len(ap.ApproveCopy.Variants) != 0 || len(ap.ApproveCopy.UserErrors) != 1 || ap.ApproveCopy.UserErrors[0].Code != "CONFLICT" ||
		strings.Join(ap.ApproveCopy.UserErrors[0].Field, ".") != "revisions.1" {
		t.Fatalf("approving words changed since they were read: %+v", ap.ApproveCopy)
	}
	var pending struct{ CopyReviewQueue struct{ TotalCount int } }
	postAs(t, base, "adm-1", `{ copyReviewQueue(filter: {productID: "mug1", status: PENDING}) { totalCount } }`, nil, &pending)
	if pending.CopyReviewQueue.TotalCount != 2 {
		t.Fatalf("%d of 2 variants still pending after a refused batch", pending.CopyReviewQueue.TotalCount)
	}
	// A catalog key may not decide, revisions or not.
	_, out, _ := post(t, base, "cat-1", `mutation { approveCopy(ids: ["`+b.ID+`"], revisions: ["`+*b.Revision+`"]) { userErrors { code } } }`)
	if !strings.Contains(toJSON(out), "FORBIDDEN") {
		t.Fatalf("catalog key approving: %s", toJSON(out))
	}
	// Read again and approve what was read.
	now := *e.EditCopy.Variants[0].Revision
	postAs(t, base, "adm-1", approve, map[string]any{"ids": []string{b.ID, a.ID}, "revs": []string{*b.Revision, now}}, &ap)
	if len(ap.ApproveCopy.UserErrors) != 0 || len(ap.ApproveCopy.Variants) != 2 || ap.ApproveCopy.Variants[1].Status != "APPROVED" ||
		*ap.ApproveCopy.Variants[1].Revision != now {
		t.Fatalf("approving the words read: %+v", ap.ApproveCopy)
	}
	var audit struct {
		CopyReviewAudit struct {
			Edges []struct {
				Node struct {
					Action, Actor string
					Before, After struct{ Text, Revision string }
				}
			}
		}
	}
	postAs(t, base, "adm-1", `query($id: ID!) { copyReviewAudit(variantID: $id, first: 1) { edges { node { action actor before { text revision } after { text revision } } } } }`,
		map[string]any{"id": a.ID}, &audit)
	if d := audit.CopyReviewAudit.Edges; len(d) != 1 || d[0].Node.Action != "approve" || d[0].Node.Actor != "alice" || d[0].Node.After.Revision != now ||
		!strings.Contains(d[0].Node.After.Text, "出门带上") {
		t.Fatalf("audit: %+v", audit)
	}
	// Without revisions, as before: the current words.
	var rj struct{ RejectCopy payload }
	postAs(t, base, "adm-1", `mutation($ids: [ID!]!) { rejectCopy(ids: $ids, reason: "off brand") { variants { id status } userErrors { field code message } } }`,
		map[string]any{"ids": []string{a.ID}}, &rj)
	if len(rj.RejectCopy.UserErrors) != 0 || len(rj.RejectCopy.Variants) != 1 || rj.RejectCopy.Variants[0].Status != "REJECTED" {
		t.Fatalf("reject without revisions: %+v", rj.RejectCopy)
	}
}
