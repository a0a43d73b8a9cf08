package main

import (
	"strings"
	"testing"
)

// TestErasureRemovesCopyUnderReviewWrittenForTheUser: with review on, copy
// written for a shopper's persona (their recommendations) is registered for
// review with its words, which may carry the shopper's profile and history.
// deleteUser must take those records with it, and blank their words in the
// audit log, as it does for cached copy.
func TestErasureRemovesCopyUnderReviewWrittenForTheUser(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
		"SHOPMUSE_API_KEYS": "adm-1:admin:alice", "SHOPMUSE_COPY_REVIEW": "on"})
	defer stop()
	postAs(t, base, "adm-1", reviewSeed, nil, nil)
	postAs(t, base, "adm-1", `mutation { trainModels { durationMs } }`, nil, nil)
	type queue struct {
		CopyReviewQueue struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID, Text string } }
		}
	}
	var before, after, gone queue
	postAs(t, base, "adm-1", `{ copyReviewQueue(first: 100) { totalCount edges { node { id text } } } }`, nil, &before)
	postAs(t, base, "adm-1", `{ recommendations(userID: "u1", first: 4) { copy(channel: PUSH) { variants { id } } } }`, nil, nil)
	postAs(t, base, "adm-1", `{ copyReviewQueue(first: 100) { totalCount edges { node { id text } } } }`, nil, &after)
	if after.CopyReviewQueue.TotalCount <= before.CopyReviewQueue.TotalCount {
		t.Fatalf("u1's recommendations registered no copy for review: %d → %d", before.CopyReviewQueue.TotalCount, after.CopyReviewQueue.TotalCount)
	}
	had := map[string]bool{}
	for _, e := range before.CopyReviewQueue.Edges {
		had[e.Node.ID] = true
	}
	var theirs []string
	texts := map[string]string{}
	for _, e := range after.CopyReviewQueue.Edges {
		if !had[e.Node.ID] {
			theirs = append(theirs, e.Node.ID)
			texts[e.Node.ID] = e.Node.Text
		}
	}
	// One is approved, so the audit log holds its words.
	var ap struct {
		ApproveCopy struct{ UserErrors []gqlUserError }
	}
	postAs(t, base, "adm-1", `mutation($ids: [ID!]!) { approveCopy(ids: $ids) { userErrors { field code } } }`,
		map[string]any{"ids": theirs[:1]}, &ap)
	if len(ap.ApproveCopy.UserErrors) > 0 {
		t.Fatalf("approve: %+v", ap)
	}
	postAs(t, base, "adm-1", `mutation { deleteUser(id: "u1") { userErrors { code } } }`, nil, nil)

	postAs(t, base, "adm-1", `{ copyReviewQueue(first: 100) { totalCount edges { node { id text } } } }`, nil, &gone)
	for _, e := range gone.CopyReviewQueue.Edges {
		if _, ok := texts[e.Node.ID]; ok {
			t.Errorf("copy written for the erased u1 is still under review: %s %q", e.Node.ID, e.Node.Text)
		}
	}
	var audit struct {
		CopyReviewAudit struct {
			Edges []struct {
				Node struct {
					VariantID, Actor string
					Before, After    struct{ Text string }
				}
			}
		}
	}
	postAs(t, base, "adm-1", `{ copyReviewAudit { edges { node { variantID actor before { text } after { text } } } } }`, nil, &audit)
	if len(audit.CopyReviewAudit.Edges) != 1 {
		t.Fatalf("the audit entry itself should stay: %+v", audit)
	}
	for _, e := range audit.CopyReviewAudit.Edges {
		n := e.Node
		if n.Actor != "alice" || strings.Contains(n.Before.Text, texts[theirs[0]]) || strings.Contains(n.After.Text, texts[theirs[0]]) {
			t.Errorf("the audit log still holds the erased user's copy: %+v", n)
		}
	}
}
