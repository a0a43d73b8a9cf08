package recommend

import (
	"maps"
	"reflect"
	"strings"
	"testing"
)

func TestTuningApply(t *testing.T) {
	d := DefaultConfig()
	c := DefaultConfig()
	shared := c.Weights
	Tuning{}.Apply(&c)
	if !maps.Equal(c.Weights, d.Weights) || c.MMRLambda != d.MMRLambda || c.MaxPerCategory != d.MaxPerCategory || c.MF != d.MF {
		t.Fatalf("the zero Tuning changed the config")
	}
	Tuning{
		Weights:   map[string]float64{RetrieverMF: 2, RetrieverPopular: 0},
		MMRLambda: 1, CategoryCap: 0.3,
		MF: MFOverrides{"factors": 64, "bpr": 1},
	}.Apply(&c)
	want := maps.Clone(d.Weights)
	want[RetrieverMF], want[RetrieverPopular] = 2, 0
	if !maps.Equal(c.Weights, want) {
		t.Errorf("weights %v, want %v (only the named ones changed)", c.Weights, want)
	}
	if shared[RetrieverMF] != d.Weights[RetrieverMF] {
		t.Error("Apply wrote into the config's original weights map instead of a copy")
	}
	if c.MMRLambda != 1 || c.MaxPerCategory != 0.3 || c.MF.Factors != 64 || c.MF.Algorithm != AlgoBPR {
		t.Errorf("MMRLambda %v, MaxPerCategory %v, MF %+v", c.MMRLambda, c.MaxPerCategory, c.MF)
	}
	// A config without weights starts from the defaults, as New fills it.
	var empty Config
	Tuning{Weights: map[string]float64{RetrieverItemCF: 0.9}}.Apply(&empty)
	want = maps.Clone(d.Weights)
	want[RetrieverItemCF] = 0.9
	if !maps.Equal(empty.Weights, want) {
		t.Errorf("weights from nil: %v, want %v", empty.Weights, want)
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseTuning(t *testing.T) {
	got, err := ParseTuning(env(map[string]string{
		EnvWeights: "mf=1.5, itemcf=0", EnvMMRLambda: " 0.9 ", EnvCategoryCap: "1", EnvMF: "factors=64,reg=0.2",
	}))
	want := Tuning{Weights: map[string]float64{RetrieverMF: 1.5, RetrieverItemCF: 0}, MMRLambda: 0.9, CategoryCap: 1,
		MF: MFOverrides{"factors": 64, "reg": 0.2}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseTuning = %+v, %v; want %+v", got, err, want)
	}
	for v, off := range map[string]bool{"off": true, " OFF ": true, "on": false, "": false} {
		got, err := ParseTuning(env(map[string]string{EnvAutoTune: v}))
		if err != nil || got.AutoTuneOff != off {
			t.Errorf("%s=%q: AutoTuneOff %v, %v; want %v", EnvAutoTune, v, got.AutoTuneOff, err, off)
		}
	}
	if got, err := ParseTuning(env(nil)); err != nil || !reflect.DeepEqual(got, Tuning{}) {
		t.Errorf("an empty environment: %+v, %v; want the zero Tuning", got, err)
	}
	for _, c := range []struct{ name, value, want string }{
		{EnvWeights, "mf=x", "SHOPMUSE_REC_WEIGHTS: "},
		{EnvWeights, "nope=1", "SHOPMUSE_REC_WEIGHTS: "},
		{EnvMF, "factors=0", "SHOPMUSE_REC_MF: "},
		{EnvMMRLambda, "0", `SHOPMUSE_REC_MMR_LAMBDA must be a number in (0,1], got "0"`},
		{EnvMMRLambda, "1.5", `SHOPMUSE_REC_MMR_LAMBDA must be a number in (0,1], got "1.5"`},
		{EnvCategoryCap, "half", `SHOPMUSE_REC_CATEGORY_CAP must be a number in (0,1], got "half"`},
		{EnvAutoTune, "no", `SHOPMUSE_REC_AUTOTUNE must be on or off, got "no"`},
	} {
		_, err := ParseTuning(env(map[string]string{c.name: c.value}))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s=%s: error %v, want it to start with %q", c.name, c.value, err, c.want)
		}
	}
}

func TestTuningEnvRoundTrip(t *testing.T) {
	for _, tu := range []Tuning{
		{},
		{MMRLambda: 0.85},
		{Weights: map[string]float64{RetrieverSeen: 0.6, RetrieverMF: 1, RetrieverPopular: 0}, CategoryCap: 0.7},
		{Weights: map[string]float64{RetrieverContent: 0.05}, MMRLambda: 1, CategoryCap: 0.3,
			MF: MFOverrides{"factors": 96, "c0": 12.5, "omega": 0, "bpr": 1, "lr": 0.025}},
	} {
		vars := map[string]string{}
		for _, line := range tu.Env() {
			k, v, _ := strings.Cut(line, "=")
			vars[k] = v
		}
		got, err := ParseTuning(env(vars))
		if err != nil || !reflect.DeepEqual(got, tu) {
			t.Errorf("%+v: Env %q parses back to %+v, %v", tu, tu.Env(), got, err)
		}
	}
}
