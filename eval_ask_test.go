package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/assistant/askeval"
	"github.com/shopmuse/shopmuse/demo"
	"github.com/shopmuse/shopmuse/shop"
)

// servedAnswers sums shopmuse_assistant_answers_total: every answer App.Ask
// served.
func servedAnswers(t *testing.T, a *app.App) float64 {
	t.Helper()
	mfs, err := a.Metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == "shopmuse_assistant_answers_total" {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// The targets hold on the path a shopper gets: the held-out third
// of the question set asked through App.Ask over the demo shop opened as
// `shopmuse` opens it (Badger, embedded defaults, models trained), as
// `shopmuse eval ask` measures it. Latency is the eval's and the
// benchmarks', not asserted here.
func TestEvalAskServedPathMeetsTheTargetsOnTheHeldOutPart(t *testing.T) {
	ctx := context.Background()
	set, err := askeval.Generate()
	if err != nil {
		t.Fatal(err)
	}
	a, err := openEvalShop(ctx, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := sameShop(ctx, a, set); err != nil {
		t.Fatalf("the demo shop as stored is not the question set's: %v", err)
	}
	var held []askeval.Item
	for _, it := range set.Items {
		if it.HeldOut {
			held = append(held, it)
		}
	}
	ans := a.Answerer()
	if !strings.HasPrefix(ans.Name(), "App.Ask") {
		t.Errorf("answerer %q, want App.Ask", ans.Name())
	}
	before := servedAnswers(t, a)
	m := askeval.Score(askeval.Run(ctx, ans, set, held))
	if got, want := servedAnswers(t, a)-before, float64(len(held)*askeval.Repeats); got != want {
		t.Errorf("App.Ask served %v answers for %d questions asked %d times", got, len(held), askeval.Repeats)
	}
	t.Logf("held-out, served path: %d questions, attribute accuracy %.3f, answer precision %.3f, refusal P/R %.3f/%.3f, NDCG@5 %.3f",
		m.N, m.AttrAccuracy, m.AnswerPrecision, m.RefusalPrecision, m.RefusalRecall, m.NDCG5)
	if m.AttrAccuracy < askeval.TargetAttrAccuracy {
		t.Errorf("accuracy on answerable attribute questions %.3f < %.2f", m.AttrAccuracy, askeval.TargetAttrAccuracy)
	}
	if m.AnswerPrecision < askeval.TargetAnswerPrecision {
		t.Errorf("answer precision %.3f < %.2f", m.AnswerPrecision, askeval.TargetAnswerPrecision)
	}
	// Asked by signed-in shoppers, whose recommendations join the
	// candidates, need answers still keep the question's filter.
	shoppers := askeval.AsShoppers(set, held)
	if len(shoppers) == 0 {
		t.Fatal("no need question to ask as a shopper")
	}
	for _, r := range askeval.Run(ctx, ans, set, shoppers) {
		if r.Err != nil || r.Answer.Kind != r.Item.Expect || strings.Contains(r.Why, "outside the filter") {
			t.Errorf("%s %q as %s: %s %v %s", r.Item.ID, r.Item.Question.Text, r.Item.Question.UserID, r.Answer.Kind, r.Err, r.Why)
		}
	}
}

// sameShop refuses a store whose demo shop differs from the set's, so that
// the eval never scores the served path against labels of other facts.
func TestSameShopCatchesAStoreThatDiffersFromTheSet(t *testing.T) {
	ctx := context.Background()
	set, err := askeval.Generate()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(ctx, app.Config{Data: t.TempDir(), Demo: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := sameShop(ctx, a, set); err != nil {
		t.Fatalf("the demo shop as loaded: %v", err)
	}
	qa := set.QAs[0]
	qa.Answer += "（已更新）"
	if _, errs, err := a.UpsertProductQAs(ctx, []assistant.QA{qa}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if err := sameShop(ctx, a, set); err == nil || !strings.Contains(err.Error(), qa.ID) {
		t.Errorf("a changed Q&A entry: %v", err)
	}
	if _, errs, err := a.UpsertProductQAs(ctx, set.QAs[:1]); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	p := demo.Generate(time.Now()).Products[3]
	p.Title += " 新款"
	if _, errs, err := a.UpsertProducts(ctx, []shop.ProductInput{p}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if err := sameShop(ctx, a, set); err == nil || !strings.Contains(err.Error(), p.ID) {
		t.Errorf("a changed product: %v", err)
	}
}

// The report says which path it measured: the served one by default, the
// in-memory side path only when asked for, and nothing else.
func TestEvalAskReportNamesThePath(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole question set twice")
	}
	ctx := context.Background()
	// The served path opens its App in a temporary directory of its own,
	// whatever the environment says, and removes it, also when it fails.
	tmp, data := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for k, v := range map[string]string{"SHOPMUSE_DATA": data, "SHOPMUSE_STORE": "postgres://nobody@127.0.0.1:1/none",
		"SHOPMUSE_LLM": "openai", "SHOPMUSE_DEMO": "off"} {
		t.Setenv(k, v)
	}
	defer func() {
		for _, dir := range []string{tmp, data} {
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("eval ask left %d entries in %s (%s...)", len(left), dir, left[0].Name())
			}
		}
	}()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_ = evalAsk(cancelled, nil, io.Discard, io.Discard)
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("eval ask with a cancelled context left %s in TMPDIR", left[0].Name())
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"answerer App.Ask (builtin), through App.Ask over the demo shop as served", "hybrid search", "Q&A entries read from the store", "held-out", "asked by a signed-in demo shopper"}},
		{[]string{"--catalog", "mem"}, []string{"answerer builtin, over an in-memory catalogue", "NOT the path a shopper gets", "held-out"}},
	} {
		var out, errs strings.Builder
		if err := evalAsk(ctx, c.args, &out, &errs); err != nil {
			t.Fatalf("%v: %v\n%s", c.args, err, errs.String())
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: the report lacks %q:\n%s", c.args, w, out.String())
			}
		}
		if len(c.args) > 0 && strings.Contains(out.String(), "App.Ask") {
			t.Errorf("%v: the side path's report names App.Ask", c.args)
		}
	}
	if err := evalAsk(ctx, []string{"--catalog", "postgres"}, io.Discard, io.Discard); err == nil {
		t.Error("--catalog postgres: no error")
	}
}
