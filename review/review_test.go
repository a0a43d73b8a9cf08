package review

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open("", store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var mug = &shop.Product{ID: "mug", Title: "保温杯 500毫升", Category: "家居/杯具", Price: shop.Money{Amount: 9900, CurrencyCode: "CNY"}, Language: shop.LanguageZH}

// result writes real copy for the mug with the built-in writer.
func result(t *testing.T, n int) copywriter.Result {
	t.Helper()
	w := copywriter.NewWriter(copywriter.Config{})
	res, err := w.Generate(context.Background(), copywriter.Request{Product: mug, Persona: persona.ParsePersona("30岁,女性"), Channel: copywriter.ChannelPush, Variants: n})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func checker(ctx context.Context, r *Record, v copywriter.Variant) ([]copywriter.Check, error) {
	return copywriter.CheckVariant(mug, persona.Persona{}, r.Channel, r.Language, v), nil
}

func TestReviewOffChangesNothing(t *testing.T) {
	s := New(openStore(t), Options{})
	res := result(t, 2)
	want := res.Variants[0].Text
	if err := s.Annotate(context.Background(), &res, mug, true); err != nil {
		t.Fatal(err)
	}
	if len(res.Variants) != 2 || res.Variants[0].Text != want || res.Variants[0].Review != nil {
		t.Fatalf("review off changed the result: %+v", res.Variants)
	}
	if recs, _, _ := s.Queue(context.Background(), Filter{}, 10, ""); len(recs) != 0 {
		t.Fatalf("review off registered %d records", len(recs))
	}
}

func TestOnlyApprovedTextReachesShoppers(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	s := New(openStore(t), Options{On: true, Now: func() time.Time { return clock }})
	res := result(t, 3)
	shopper := res
	if err := s.Annotate(ctx, &shopper, mug, true); err != nil {
		t.Fatal(err)
	}
	if len(shopper.Variants) != 0 {
		t.Fatalf("a shopper got %d unapproved variants", len(shopper.Variants))
	}
	admin := result(t, 3)
	if err := s.Annotate(ctx, &admin, mug, false); err != nil {
		t.Fatal(err)
	}
	for _, v := range admin.Variants {
		if v.Review == nil || v.Review.Status != copywriter.StatusPending {
			t.Fatalf("draft not PENDING: %+v", v)
		}
	}
	if n, _ := s.Count(ctx, Filter{Status: copywriter.StatusPending}); n != 3 {
		t.Fatalf("%d pending, want 3", n)
	}
	id := admin.Variants[1].ID
	vs, ues, err := s.Approve(ctx, "alice", []string{id}, nil)
	if err != nil || len(ues) != 0 || len(vs) != 1 || vs[0].Review.Status != copywriter.StatusApproved {
		t.Fatalf("approve: %+v %+v %v", vs, ues, err)
	}
	shopper = result(t, 3)
	if err := s.Annotate(ctx, &shopper, mug, true); err != nil {
		t.Fatal(err)
	}
	if len(shopper.Variants) != 1 || shopper.Variants[0].ID != id {
		t.Fatalf("shopper got %+v, want only %s", shopper.Variants, id)
	}

	// An edit is re-checked and back to PENDING: shoppers lose it until it
	// is approved again; a failing edit cannot be approved.
	bad := "保温杯，保温长达48小时，全网最低价！"
	vs, ues, err = s.Edit(ctx, "bob", id, nil, nil, bad, checker)
	if err != nil || len(ues) != 0 || vs[0].Review.Status != copywriter.StatusPending || copywriter.Passed(vs[0].Checks) || !vs[0].Review.Edited {
		t.Fatalf("failing edit: %+v %+v %v", vs, ues, err)
	}
	shopper = result(t, 3)
	_ = s.Annotate(ctx, &shopper, mug, true)
	if len(shopper.Variants) != 0 {
		t.Fatalf("an edited, unapproved variant reached a shopper: %+v", shopper.Variants)
	}
	_, ues, err = s.Approve(ctx, "alice", []string{id}, nil)
	if err != nil || len(ues) != 1 || ues[0].Code != shop.CodeInvalid || !strings.Contains(ues[0].Message, "faithfulness") {
		t.Fatalf("approving failing copy: %+v %v", ues, err)
	}
	good := "保温杯500毫升，通勤路上随手带，热水一直暖暖的。"
	vs, ues, err = s.Edit(ctx, "bob", id, nil, nil, good, checker)
	if err != nil || len(ues) != 0 || !copywriter.Passed(vs[0].Checks) {
		t.Fatalf("passing edit: %+v %+v %v", vs, ues, err)
	}
	if _, ues, _ = s.Approve(ctx, "alice", []string{id}, nil); len(ues) != 0 {
		t.Fatalf("approve the fixed edit: %+v", ues)
	}
	shopper = result(t, 3)
	_ = s.Annotate(ctx, &shopper, mug, true)
	if len(shopper.Variants) != 1 || shopper.Variants[0].Text != good {
		t.Fatalf("shopper does not get the approved edit: %+v", shopper.Variants)
	}

	// One bad ID in a batch: nothing changes.
	other := admin.Variants[0].ID
	_, ues, _ = s.Reject(ctx, "alice", []string{other, "cv_nope"}, nil, "off brand")
	if len(ues) != 1 || ues[0].Code != shop.CodeNotFound || strings.Join(ues[0].Field, ".") != "ids.1" {
		t.Fatalf("unknown ID: %+v", ues)
	}
	if r, _ := s.Get(ctx, other); r.Status != copywriter.StatusPending {
		t.Fatalf("a refused batch changed %s to %s", other, r.Status)
	}
	for _, c := range []struct {
		reason string
		code   shop.ErrorCode
	}{{"", shop.CodeRequired}, {"  ", shop.CodeRequired}, {strings.Repeat("长", MaxReasonLen+1), shop.CodeTooLong}, {"a\x00b", shop.CodeInvalid}} {
		if _, ues, _ := s.Reject(ctx, "alice", []string{other}, nil, c.reason); len(ues) != 1 || ues[0].Code != c.code {
			t.Errorf("reason %q: %+v, want %s", c.reason, ues, c.code)
		}
	}
	if _, ues, _ := s.Approve(ctx, "alice", make([]string, MaxIDs+1), nil); len(ues) != 1 || ues[0].Code != shop.CodeTooLarge {
		t.Errorf("too many IDs: %+v", ues)
	}
	if _, ues, _ := s.Edit(ctx, "bob", other, nil, nil, strings.Repeat("字", MaxTextLen+1), checker); len(ues) != 1 || ues[0].Code != shop.CodeTooLong {
		t.Errorf("long edit: %+v", ues)
	}
	if _, ues, _ := s.Reject(ctx, "alice", []string{other}, nil, "off brand"); len(ues) != 0 {
		t.Fatal(ues)
	}

	// The audit log: newest first, who, when, before and after.
	ds, more, err := s.Audit(ctx, "", 100, "")
	if err != nil || more || len(ds) != 5 {
		t.Fatalf("audit: %d entries, more %v, %v", len(ds), more, err)
	}
	last := ds[0]
	if last.Action != "reject" || last.Actor != "alice" || last.VariantID != other || !last.At.Equal(clock) ||
		last.Before.Status != copywriter.StatusPending || last.After.Status != copywriter.StatusRejected || last.Reason == nil || *last.Reason != "off brand" {
		t.Fatalf("last decision %+v", last)
	}
	mine, _, _ := s.Audit(ctx, id, 100, "")
	if len(mine) != 4 || mine[len(mine)-1].Action != "approve" || mine[1].Action != "edit" || mine[1].After.Text != good || mine[1].Before.Text != bad {
		t.Fatalf("variant's audit: %+v", mine)
	}
	page, more, _ := s.Audit(ctx, id, 2, "")
	rest, _, _ := s.Audit(ctx, id, 10, page[1].Key)
	if !more || len(rest) != 2 || rest[0].Key == page[1].Key {
		t.Fatalf("audit paging: %d then %d", len(page), len(rest))
	}
	if _, _, err := s.Audit(ctx, id, 2, "a/../x"); err != ErrBadCursor {
		t.Errorf("cursor with a slash: %v", err)
	}

	// The queue filters and pages.
	f := true
	if recs, _, _ := s.Queue(ctx, Filter{FailedChecks: &f}, 10, ""); len(recs) != 0 {
		t.Errorf("failedChecks: %d", len(recs))
	}
	if n, _ := s.Count(ctx, Filter{CategoryPrefix: "家居"}); n != 3 {
		t.Errorf("category 家居: %d", n)
	}
	if n, _ := s.Count(ctx, Filter{CategoryPrefix: "家"}); n != 0 {
		t.Errorf("category prefix 家 matched by letters: %d", n)
	}
	p1, more, _ := s.Queue(ctx, Filter{}, 2, "")
	p2, more2, _ := s.Queue(ctx, Filter{}, 2, p1[1].VariantID)
	if !more || more2 || len(p2) != 1 || p2[0].VariantID == p1[1].VariantID {
		t.Errorf("queue paging: %v %v %d", more, more2, len(p2))
	}
}

func TestImageFacts(t *testing.T) {
	ctx := context.Background()
	s := New(openStore(t), Options{On: true})
	added, err := s.AddCandidates(ctx, "mug", []Fact{{Name: "colour", Value: "深蓝色"}, {Name: "material", Value: "不锈钢"}, {Name: "colour", Value: "深蓝色"}})
	if err != nil || len(added) != 2 || added[0].Status != copywriter.StatusPending || added[0].Source != SourceImage {
		t.Fatalf("add: %+v %v", added, err)
	}
	if fs, _ := s.ApprovedFacts(ctx, "mug"); len(fs) != 0 {
		t.Fatalf("pending facts are approved facts: %+v", fs)
	}
	if _, ues, _ := s.DecideFacts(ctx, "alice", "mug", []string{added[0].ID, "if_nope"}, copywriter.StatusApproved); len(ues) != 1 || ues[0].Code != shop.CodeNotFound {
		t.Fatalf("unknown fact: %+v", ues)
	}
	if fs, _ := s.ApprovedFacts(ctx, "mug"); len(fs) != 0 {
		t.Fatal("a refused decision approved a fact")
	}
	// A fact of another product cannot be approved through this one.
	if _, ues, _ := s.DecideFacts(ctx, "alice", "other", []string{added[0].ID}, copywriter.StatusApproved); len(ues) != 1 {
		t.Fatalf("cross-product approval: %+v", ues)
	}
	if _, ues, err := s.DecideFacts(ctx, "alice", "mug", []string{added[0].ID}, copywriter.StatusApproved); err != nil || len(ues) != 0 {
		t.Fatal(ues, err)
	}
	if _, ues, _ := s.DecideFacts(ctx, "alice", "mug", []string{added[1].ID}, copywriter.StatusRejected); len(ues) != 0 {
		t.Fatal(ues)
	}
	fs, _ := s.ApprovedFacts(ctx, "mug")
	if len(fs) != 1 || fs[0].Value != "深蓝色" {
		t.Fatalf("approved: %+v", fs)
	}
	if rej, _ := s.Facts(ctx, "mug", copywriter.StatusRejected); len(rej) != 1 || rej[0].ReviewedBy != "alice" {
		t.Fatalf("rejected: %+v", rej)
	}
	// The cap: old rejected facts make room first.
	var many []Fact
	for i := range MaxFactsPerProduct + 10 {
		many = append(many, Fact{Name: "style", Value: "s" + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + string(rune('A'+i/26))})
	}
	for i := 0; i < len(many); i += MaxFactsPerExtraction {
		if _, err := s.AddCandidates(ctx, "mug", many[i:min(i+MaxFactsPerExtraction, len(many))]); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := s.Facts(ctx, "mug", "")
	if len(all) != MaxFactsPerProduct {
		t.Fatalf("%d facts kept, cap %d", len(all), MaxFactsPerProduct)
	}
	if fs, _ := s.ApprovedFacts(ctx, "mug"); len(fs) != 1 {
		t.Fatal("the cap dropped an approved fact")
	}
}

// BenchmarkAnnotate is what review adds to serving copy: reading three
// variants' records (approved) and keeping them, against review off.
// go test -run '^$' -bench Annotate ./review
func BenchmarkAnnotate(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	w := copywriter.NewWriter(copywriter.Config{})
	res, err := w.Generate(ctx, copywriter.Request{Product: mug, Persona: persona.ParsePersona("30岁,女性"), Channel: copywriter.ChannelPush, Variants: 3})
	if err != nil {
		b.Fatal(err)
	}
	on := New(st, Options{On: true})
	first := res
	if err := on.Register(ctx, &first, mug); err != nil {
		b.Fatal(err)
	}
	if _, ues, err := on.Approve(ctx, "bench", []string{res.Variants[0].ID, res.Variants[1].ID, res.Variants[2].ID}, nil); err != nil || len(ues) > 0 {
		b.Fatal(ues, err)
	}
	for _, c := range []struct {
		name string
		s    *Service
	}{{"off", New(st, Options{})}, {"on", on}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				r := res
				if err := c.s.Annotate(ctx, &r, mug, true); err != nil || len(r.Variants) != 3 {
					b.Fatal(len(r.Variants), err)
				}
			}
		})
	}
}

// TestEditWhoseCheckFailsWritesNothing: when the re-check cannot run (the
// product could not be read, say), the edit is an error and leaves no
// trace: no audit entry of an edit that did not happen, no reviewer.
func TestEditWhoseCheckFailsWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := New(openStore(t), Options{On: true})
	res := result(t, 1)
	if err := s.Annotate(ctx, &res, mug, false); err != nil {
		t.Fatal(err)
	}
	id := res.Variants[0].ID
	broken := func(context.Context, *Record, copywriter.Variant) ([]copywriter.Check, error) {
		return nil, errors.New("store unavailable")
	}
	vs, ues, err := s.Edit(ctx, "alice", id, nil, nil, "全新文案", broken)
	if err == nil || vs != nil || ues != nil {
		t.Fatalf("edit with a failing check: %+v %+v %v", vs, ues, err)
	}
	if ds, _, _ := s.Audit(ctx, "", 10, ""); len(ds) != 0 {
		t.Fatalf("an edit that did not happen is in the audit log: %+v", ds)
	}
	if r, _ := s.Get(ctx, id); r == nil || r.ReviewedBy != "" || r.Text != res.Variants[0].Text {
		t.Fatalf("the record changed: %+v", r)
	}
}

// TestAddCandidatesReportsOnlyWhatWasStored: with the product's facts all
// approved up to the cap, new candidates are dropped again by the cap;
// they must not be returned as added (their IDs would not exist).
func TestAddCandidatesReportsOnlyWhatWasStored(t *testing.T) {
	ctx := context.Background()
	s := New(openStore(t), Options{On: true})
	for i := 0; i < MaxFactsPerProduct/MaxFactsPerExtraction; i++ {
		var cs []Fact
		for j := range MaxFactsPerExtraction {
			cs = append(cs, Fact{Name: "style", Value: fmt.Sprintf("s%d-%d", i, j)})
		}
		added, err := s.AddCandidates(ctx, "mug", cs)
		if err != nil || len(added) != MaxFactsPerExtraction {
			t.Fatalf("round %d: %d added, %v", i, len(added), err)
		}
		ids := make([]string, len(added))
		for j, f := range added {
			ids[j] = f.ID
		}
		if _, ues, err := s.DecideFacts(ctx, "alice", "mug", ids, copywriter.StatusApproved); err != nil || ues != nil {
			t.Fatal(ues, err)
		}
	}
	added, err := s.AddCandidates(ctx, "mug", []Fact{{Name: "colour", Value: "红"}})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := s.Facts(ctx, "mug", "")
	have := map[string]bool{}
	for _, f := range all {
		have[f.ID] = true
	}
	for _, f := range added {
		if !have[f.ID] {
			t.Fatalf("reported as added but not stored: %+v (%d stored)", f, len(all))
		}
	}
}

// TestDecisionsApplyOnlyToTheWordsRead: with the revisions a reviewer
// read, a decision on a variant edited since is a CONFLICT naming it, and
// nothing of the batch changes (the other variant neither); with current
// revisions it goes through and the audit keeps the words approved;
// without revisions it behaves as before; a count mismatch is INVALID.
func TestDecisionsApplyOnlyToTheWordsRead(t *testing.T) {
	ctx := context.Background()
	s := New(openStore(t), Options{On: true})
	res := result(t, 2)
	if err := s.Annotate(ctx, &res, mug, false); err != nil {
		t.Fatal(err)
	}
	a, b := res.Variants[0], res.Variants[1]
	readA, readB := Revision(a.Headline, a.Text), Revision(b.Headline, b.Text)
	if readA == readB || len(readA) != 16 {
		t.Fatalf("revisions %q %q", readA, readB)
	}
	// Someone edits a after the reviewer read it.
	edited := "保温杯，500毫升，出门带上。"
	if _, ues, err := s.Edit(ctx, "bob", a.ID, &readA, nil, edited, checker); err != nil || len(ues) != 0 {
		t.Fatalf("edit: %+v %v", ues, err)
	}
	vs, ues, err := s.Approve(ctx, "alice", []string{b.ID, a.ID}, []string{readB, readA})
	if err != nil || len(vs) != 0 || len(ues) != 1 || ues[0].Code != shop.CodeConflict || strings.Join(ues[0].Field, ".") != "revisions.1" ||
		!strings.Contains(ues[0].Message, a.ID) {
		t.Fatalf("approve of stale words: %+v %+v %v", vs, ues, err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if r, _ := s.Get(ctx, id); r.Status != copywriter.StatusPending {
			t.Fatalf("%s is %s after a refused batch", id, r.Status)
		}
	}
	if _, ues, _ := s.Reject(ctx, "alice", []string{a.ID}, []string{readA}, "off brand"); len(ues) != 1 || ues[0].Code != shop.CodeConflict {
		t.Fatalf("reject of stale words: %+v", ues)
	}
	if _, ues, _ := s.Edit(ctx, "carol", a.ID, &readA, nil, "别的文案。", checker); len(ues) != 1 || ues[0].Code != shop.CodeConflict ||
		ues[0].Field[0] != "revision" {
		t.Fatalf("edit of stale words: %+v", ues)
	}
	if r, _ := s.Get(ctx, a.ID); r.Text != edited {
		t.Fatalf("a stale edit changed the text to %q", r.Text)
	}
	if _, ues, _ := s.Approve(ctx, "alice", []string{a.ID, b.ID}, []string{readB}); len(ues) != 1 || ues[0].Code != shop.CodeInvalid {
		t.Fatalf("one revision for two IDs: %+v", ues)
	}
	// Read again: the current revisions approve, and the audit keeps the
	// words (and so the revision) approved.
	now := Revision(a.Headline, edited)
	vs, ues, err = s.Approve(ctx, "alice", []string{a.ID, b.ID, a.ID}, []string{now, readB, now})
	if err != nil || len(ues) != 0 || len(vs) != 2 {
		t.Fatalf("approve of the words read: %+v %+v %v", vs, ues, err)
	}
	ds, _, err := s.Audit(ctx, a.ID, 1, "")
	if err != nil || len(ds) != 1 || ds[0].Action != "approve" || ds[0].After.Text != edited || ds[0].Before.Revision() != now {
		t.Fatalf("audit: %+v %v", ds, err)
	}
	// Without revisions: the current words, as before.
	if _, ues, _ := s.Reject(ctx, "alice", []string{a.ID}, nil, "off brand"); len(ues) != 0 {
		t.Fatalf("reject without revisions: %+v", ues)
	}
}

// TestMalformedRevisionsAreInvalid: a revision no variant can have (empty,
// not hexadecimal, upper case, megabytes long) is INVALID at its index,
// not a CONFLICT, its text is not echoed back, and nothing of the batch
// changes; for an edit the field is "revision".
func TestMalformedRevisionsAreInvalid(t *testing.T) {
	ctx := context.Background()
	s := New(openStore(t), Options{On: true})
	res := result(t, 2)
	if err := s.Annotate(ctx, &res, mug, false); err != nil {
		t.Fatal(err)
	}
	a, b := res.Variants[0], res.Variants[1]
	readA := Revision(a.Headline, a.Text)
	huge := strings.Repeat("f", 1<<20)
	for _, bad := range []string{"", "zz", strings.ToUpper(readA), readA + "0", "ghijklmnopqrstuv", huge} {
		vs, ues, err := s.Approve(ctx, "alice", []string{a.ID, b.ID}, []string{readA, bad})
		if err != nil || len(vs) != 0 || len(ues) != 1 || ues[0].Code != shop.CodeInvalid || strings.Join(ues[0].Field, ".") != "revisions.1" ||
			len(ues[0].Message) > 200 {
			t.Fatalf("revision %.20q: %+v %+v %v", bad, vs, ues, err)
		}
		_, ues, _ = s.Edit(ctx, "alice", a.ID, &bad, nil, "保温杯，出门带上。", checker)
		if len(ues) != 1 || ues[0].Code != shop.CodeInvalid || strings.Join(ues[0].Field, ".") != "revision" || len(ues[0].Message) > 200 {
			t.Fatalf("edit with revision %.20q: %+v", bad, ues)
		}
	}
	for _, v := range []copywriter.Variant{a, b} {
		if r, _ := s.Get(ctx, v.ID); r.Status != copywriter.StatusPending || r.Text != v.Text {
			t.Fatalf("%s changed after refused decisions: %+v", v.ID, r)
		}
	}
}
