package copywriter

import (
	"context"
	"strings"
	"testing"
)

func TestEvaluateBuiltin(t *testing.T) {
	var out strings.Builder
	products := testProducts()
	rep, err := Evaluate(context.Background(), NewWriter(Config{}), products, DefaultPersonas(), &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	wantCalls := len(products) * len(DefaultPersonas()) * len(Channels)
	if rep.Calls != wantCalls || rep.Variants != wantCalls*EvalVariants {
		t.Fatalf("%d calls / %d variants, want %d / %d", rep.Calls, rep.Variants, wantCalls, wantCalls*EvalVariants)
	}
	if rep.Faithfulness != 1 || rep.Compliance != 1 || rep.Length != 1 || rep.Lang != 1 || rep.AllPassed != 1 || rep.BannedHits != 0 {
		t.Errorf("built-in writer below 100%%: %+v", rep)
	}
	if rep.Distinct2Mean < 0.6 {
		t.Errorf("Distinct-2 mean %.3f < 0.6", rep.Distinct2Mean)
	}
	if rep.Generators[GeneratorTemplate] != wantCalls {
		t.Errorf("generators %v", rep.Generators)
	}
	if rep.P50 <= 0 || rep.P99 < rep.P50 {
		t.Errorf("latency percentiles not measured: %v %v", rep.P50, rep.P99)
	}
	for _, want := range []string{"faithfulness:", "compliance:", "Distinct-2", "p99"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestDefaultPersonas(t *testing.T) {
	ps := DefaultPersonas()
	if len(ps) < 6 || ps[0].Description != "25岁,女性,喜欢拍照,热爱户外运动" {
		t.Fatalf("%d personas, first %q", len(ps), ps[0].Description)
	}
	segs := map[string]bool{}
	for _, p := range ps {
		segs[p.Segment()] = true
	}
	if len(segs) != len(ps) {
		t.Errorf("default personas share segments: %v", segs)
	}
}
