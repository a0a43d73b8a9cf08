package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTheLoop: recommendations carry copy written for the shopper, clicks on
// copy are counted per variant, and a campaign for a segment completes with
// visible progress and exports.
func TestTheLoop(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": dir}
	base, stop := startServer(t, env)
	var recs struct {
		Recommendations []struct {
			Product struct{ ID string }
			Copy    struct {
				Generator string
				Persona   string
				Variants  []struct {
					ID, Text string
					Checks   []struct{ Passed bool }
				}
			}
		}
	}
	fromJSON(t, gqlPost(t, base, `{ recommendations(userID: "u002", first: 5) { product { id } copy { generator persona variants { id text checks { passed } } } } }`, nil), &recs)
	if len(recs.Recommendations) != 5 {
		t.Fatalf("%d recommendations", len(recs.Recommendations))
	}
	first := recs.Recommendations[0]
	if len(first.Copy.Variants) != 1 || first.Copy.Variants[0].Text == "" || len([]rune(first.Copy.Variants[0].Text)) > 120 {
		t.Fatalf("push copy %+v", first.Copy)
	}
	for _, c := range first.Copy.Variants[0].Checks {
		if !c.Passed {
			t.Fatalf("served copy fails a check: %+v", first.Copy)
		}
	}
	// The shopper clicks the copy they saw.
	gqlPost(t, base, `mutation($p: ID!, $v: String!) { recordInteractions(input: [{userID: "u002", productID: $p, kind: CLICK, copyVariantID: $v}]) { accepted } }`,
		map[string]any{"p": first.Product.ID, "v": first.Copy.Variants[0].ID})
	var perf struct {
		CopyPerformance struct {
			Variants []struct {
				VariantID           string
				Impressions, Clicks int
				Ctr                 float64
			}
		}
	}
	fromJSON(t, gqlPost(t, base, `query($p: ID!) { copyPerformance(productID: $p, channel: PUSH) { variants { variantID impressions clicks ctr } } }`,
		map[string]any{"p": first.Product.ID}), &perf)
	found := false
	for _, v := range perf.CopyPerformance.Variants {
		if v.VariantID == first.Copy.Variants[0].ID {
			found = v.Impressions >= 1 && v.Clicks == 1
		}
	}
	if !found {
		t.Fatalf("the click is not counted: %+v", perf)
	}
	// A campaign for a segment completes; its progress is visible.
	var created struct {
		CreateCampaign struct {
			Campaign struct {
				ID     string
				Status string
			}
			UserErrors []struct{ Message string }
		}
	}
	fromJSON(t, gqlPost(t, base, `mutation { createCampaign(input: {name: "户外季", channel: EMAIL, segment: {interests: ["户外"]}, productsPerUser: 2}) {
	  campaign { id status } userErrors { field message code } } }`, nil), &created)
	id := created.CreateCampaign.Campaign.ID
	if id == "" || len(created.CreateCampaign.UserErrors) != 0 {
		t.Fatalf("createCampaign %+v", created)
	}
	var camp struct {
		Campaign struct {
			Status      string
			Total, Done int
			Progress    float64
			MessageList struct {
				Edges []struct {
					Node struct {
						UserID string
						Items  []struct {
							Product struct{ ID string }
							Copy    struct{ Headline, Text string }
						}
					}
				}
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		fromJSON(t, gqlPost(t, base, `query($id: ID!) { campaign(id: $id) { status total done progress messageList(first: 100) { edges { node { userID items { product { id } copy { headline text } } } } } } }`,
			map[string]any{"id": id}), &camp)
		if camp.Campaign.Status == "COMPLETED" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := camp.Campaign
	if c.Status != "COMPLETED" || c.Total == 0 || c.Done != c.Total || c.Progress != 1 || len(c.MessageList.Edges) == 0 {
		t.Fatalf("campaign %+v", c)
	}
	msg := c.MessageList.Edges[0].Node
	if len(msg.Items) == 0 || msg.Items[0].Copy.Headline == "" || len([]rune(msg.Items[0].Copy.Text)) < 100 {
		t.Fatalf("email message %+v", msg)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// Export it with the service stopped.
	out := filepath.Join(dir, "msgs.jsonl")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"campaign", "export", id, "--out", out}, func(k string) string { return env[k] }, &stdout, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	b, _ := os.ReadFile(out)
	if lines := strings.Count(string(b), "\n"); lines != len(c.MessageList.Edges) || !strings.Contains(string(b), `"campaignID":"`+id+`"`) {
		t.Fatalf("exported %d lines for %d messages", lines, len(c.MessageList.Edges))
	}
}

// TestCampaignProgressStream follows a campaign over SSE until it completes.
func TestCampaignProgressStream(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir()})
	defer stop()
	var created struct {
		CreateCampaign struct{ Campaign struct{ ID string } }
	}
	fromJSON(t, gqlPost(t, base, `mutation { createCampaign(input: {channel: PUSH, segment: {minAge: 18, maxAge: 40}}) { campaign { id } } }`, nil), &created)
	body, _ := json.Marshal(map[string]any{"query": `subscription($id: ID!) { campaignProgress(id: $id) { status done total progress } }`,
		"variables": map[string]any{"id": created.CreateCampaign.Campaign.ID}})
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	type state struct {
		Status      string
		Done, Total int
		Progress    float64
	}
	var states []state
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "data: ") {
			var msg struct {
				Data struct{ CampaignProgress state }
			}
			if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &msg) == nil && msg.Data.CampaignProgress.Status != "" {
				states = append(states, msg.Data.CampaignProgress)
			}
		}
		if line == "event: complete" {
			break
		}
	}
	if len(states) == 0 {
		t.Fatal("no progress streamed")
	}
	last := states[len(states)-1]
	if last.Status != "COMPLETED" || last.Progress != 1 || last.Done != last.Total || last.Total == 0 {
		t.Fatalf("last state %+v of %d", last, len(states))
	}
	for i := 1; i < len(states); i++ {
		if states[i].Done < states[i-1].Done {
			t.Fatalf("progress went backwards: %+v", states)
		}
	}
}
