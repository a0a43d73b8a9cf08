package engage

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bandit"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/demo"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

var ctx = context.Background()

// demoService is the engage service over the demo shop in memory.
func demoService(t *testing.T, floor float64) (*Service, store.Store) {
	t.Helper()
	st, err := store.Open("", store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d := demo.Generate(time.Now())
	ps, _ := shop.NormalizeProducts(d.Products, "demo")
	saved, err := st.UpsertProducts(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	us, _ := shop.NormalizeUsers(d.Users, "demo")
	st.UpsertUsers(ctx, us)
	its, errs := shop.NormalizeInteractions(d.Interactions[:1000], time.Now(), "demo")
	if errs != nil {
		t.Fatal(errs)
	}
	if _, uerrs, err := st.RecordInteractions(ctx, its, "demo"); err != nil || uerrs != nil {
		t.Fatal(err, uerrs)
	}
	rec, err := recommend.New(recommend.DefaultConfig(), recommend.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	rec.UpsertProducts(saved)
	rec.UpsertUsers(us)
	rec.LoadInteractions(its)
	sc := bandit.DefaultSelectorConfig()
	sc.ExplorationFloor = floor
	sc.Rand = rand.NewPCG(1, 2)
	sel, err := bandit.NewSelector(sc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(st, rec, copywriter.NewWriter(copywriter.Config{}), Config{Selector: sel})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// TestClicksShiftTheServedVariant: shoppers click one variant far more; the
// selector learns it and serves it most of the time.
func TestClicksShiftTheServedVariant(t *testing.T) {
	s, st := demoService(t, 0.05)
	p, _ := st.Product(ctx, "sku-phone-0001")
	shopper := persona.ParsePersona("25岁,女性,喜欢拍照,热爱户外运动")
	trueCTR := map[int]float64{0: 0.02, 1: 0.02, 2: 0.25} // the third variant is the good one
	rng := rand.New(rand.NewPCG(7, 7))
	var ids []string
	served := map[string]int{}
	pos := map[string]int{}
	now := time.Now().Add(-time.Hour)
	u := "u001"
	for i := range 1500 {
		sv, err := s.ServeCopy(ctx, p, shopper, copywriter.ChannelPush, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ids == nil {
			ids = variantIDs(sv.Result.Variants)
			for k, id := range ids {
				pos[id] = k
			}
		}
		k := pos[sv.Variant.ID]
		if i >= 1000 {
			served[sv.Variant.ID]++
		}
		if rng.Float64() < trueCTR[k] {
			it := shop.Interaction{UserID: u, ProductID: p.ID, Kind: shop.KindClick, CopyVariantID: sv.Variant.ID,
				OccurredAt: now.Add(time.Duration(i) * time.Millisecond)}
			if _, _, err := st.RecordInteractions(ctx, []shop.Interaction{it}, "input"); err != nil {
				t.Fatal(err)
			}
		}
		if i%100 == 0 {
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if share := float64(served[ids[2]]) / 500; share < 0.8 {
		t.Fatalf("the best variant got %.2f of the last 500 impressions, want ≥ 0.8 (%v)", share, served)
	}
	perf, err := s.Performance(ctx, p.ID, copywriter.ChannelPush)
	if err != nil {
		t.Fatal(err)
	}
	if perf.LeaderID != ids[2] || len(perf.Variants) != 3 {
		t.Fatalf("leader %s, want %s: %+v", perf.LeaderID, ids[2], perf)
	}
	var total int64
	for _, v := range perf.Variants {
		total += v.Impressions
		if v.Lower95 > v.PosteriorMean || v.Upper95 < v.PosteriorMean || v.Segment != shopper.Segment() {
			t.Fatalf("variant %+v", v)
		}
	}
	if total != 1500 {
		t.Fatalf("%d impressions counted, want 1500", total)
	}
}

func TestCampaignForASegment(t *testing.T) {
	s, st := demoService(t, 0.05)
	in := CampaignInput{Name: "拍照季", Channel: copywriter.ChannelPush, Segment: &Segment{Interests: []string{"photography"}}, ProductsPerUser: 2}
	c, errs, err := s.CreateCampaign(ctx, in)
	if err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	updates, err := s.Watch(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var last Campaign
	seen := 0
	for u := range updates {
		if u.Done < last.Done {
			t.Fatal("progress went backwards")
		}
		last, seen = u, seen+1
	}
	if last.Status != StatusCompleted || last.Total == 0 || last.Done != last.Total || last.Messages == 0 {
		t.Fatalf("final state %+v", last)
	}
	msgs, more, err := s.Messages(ctx, c.ID, 100, "")
	if err != nil || more || len(msgs) != last.Messages {
		t.Fatalf("%d messages, more %v, err %v; state %+v", len(msgs), more, err, last)
	}
	for _, m := range msgs {
		u, _ := st.User(ctx, m.UserID)
		if !(&Segment{Interests: []string{"photography"}}).matches(u) {
			t.Fatalf("user %s is outside the segment", m.UserID)
		}
		if len(m.Items) == 0 || len(m.Items) > 2 || m.Items[0].Copy.Text == "" || m.Items[0].Copy.ID == "" {
			t.Fatalf("message %+v", m)
		}
	}
	var buf bytes.Buffer
	n, err := s.Export(ctx, c.ID, &buf)
	if err != nil || n != len(msgs) || strings.Count(buf.String(), "\n") != n {
		t.Fatalf("export %d lines, err %v", n, err)
	}
	var first Message
	if err := json.Unmarshal([]byte(strings.SplitN(buf.String(), "\n", 2)[0]), &first); err != nil || first.CampaignID != c.ID {
		t.Fatalf("exported line: %v %+v", err, first)
	}
}

func TestCampaignValidation(t *testing.T) {
	s, _ := demoService(t, 0.05)
	cases := map[string]CampaignInput{
		"channel":         {Channel: copywriter.ChannelDetail, UserIDs: []string{"u001"}},
		"userIDs":         {Channel: copywriter.ChannelPush},
		"productsPerUser": {Channel: copywriter.ChannelPush, UserIDs: []string{"u001"}, ProductsPerUser: 50},
		"userIDs.1":       {Channel: copywriter.ChannelPush, UserIDs: []string{"u001", "ghost"}},
		"segment.minAge":  {Channel: copywriter.ChannelEmail, Segment: &Segment{MinAge: ptr(40), MaxAge: ptr(30)}},
	}
	for field, in := range cases {
		c, errs, err := s.CreateCampaign(ctx, in)
		if err != nil || c != nil || len(errs) == 0 {
			t.Fatalf("%s: campaign %v, errors %v, err %v", field, c, errs, err)
		}
		if got := strings.Join(errs[0].Field[1:], "."); got != field {
			t.Fatalf("%s: error on %q: %+v", field, got, errs)
		}
	}
}

// waitCampaign follows a campaign until it finishes.
func waitCampaign(t *testing.T, s *Service, id string) Campaign {
	t.Helper()
	updates, err := s.Watch(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var last Campaign
	for u := range updates {
		last = u
	}
	if last.Status != StatusCompleted {
		t.Fatalf("campaign %+v", last)
	}
	return last
}

func messageUsers(t *testing.T, s *Service, id string) string {
	t.Helper()
	msgs, _, err := s.Messages(ctx, id, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.UserID)
	}
	return strings.Join(ids, ",")
}

// TestErasedUsersLeaveCampaigns: erasing a user removes their messages from
// finished campaigns, and a campaign that loaded its users before the
// erasure writes none for them.
func TestErasedUsersLeaveCampaigns(t *testing.T) {
	s, _ := demoService(t, 0.05)
	in := CampaignInput{Channel: copywriter.ChannelPush, UserIDs: []string{"u001", "u002", "u003"}, ProductsPerUser: 2}
	c, errs, err := s.CreateCampaign(ctx, in)
	if err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	waitCampaign(t, s, c.ID)
	if got := messageUsers(t, s, c.ID); got != "u001,u002,u003" {
		t.Fatalf("before the erasure: %s", got)
	}
	if err := s.EraseUser(ctx, "u002"); err != nil {
		t.Fatal(err)
	}
	if got := messageUsers(t, s, c.ID); got != "u001,u003" {
		t.Fatalf("after the erasure the campaign still holds: %s", got)
	}
	// u002 is still in this store, as in a campaign that loaded its users
	// just before the erasure reached the store.
	c2, errs, err := s.CreateCampaign(ctx, in)
	if err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	last := waitCampaign(t, s, c2.ID)
	if got := messageUsers(t, s, c2.ID); got != "u001,u003" || last.Messages != 2 || last.Done != 3 {
		t.Fatalf("a campaign running after the erasure wrote for %s (%+v)", got, last)
	}
}
