package recommend

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// Tuning (temporary until the lowlevel branch lands).
type Tuning struct {
	Weights     map[string]float64
	MMRLambda   float64
	CategoryCap float64
	MF          MFOverrides
}

func (t Tuning) Apply(c *Config) {
	if len(t.Weights) > 0 {
		c.Weights = maps.Clone(c.Weights)
		maps.Copy(c.Weights, t.Weights)
	}
	if t.MMRLambda > 0 {
		c.MMRLambda = t.MMRLambda
	}
	if t.CategoryCap > 0 {
		c.MaxPerCategory = t.CategoryCap
	}
	t.MF.Apply(&c.MF)
}

func ParseTuning(getenv func(string) string) (Tuning, error) {
	var t Tuning
	var err error
	if t.Weights, err = ParseWeights(getenv("SHOPMUSE_REC_WEIGHTS")); err != nil {
		return t, fmt.Errorf("SHOPMUSE_REC_WEIGHTS: %w", err)
	}
	if t.MF, err = ParseMFOverrides(getenv("SHOPMUSE_REC_MF")); err != nil {
		return t, fmt.Errorf("SHOPMUSE_REC_MF: %w", err)
	}
	for _, f := range []struct {
		k string
		v *float64
	}{{"SHOPMUSE_REC_MMR_LAMBDA", &t.MMRLambda}, {"SHOPMUSE_REC_CATEGORY_CAP", &t.CategoryCap}} {
		v := strings.TrimSpace(getenv(f.k))
		if v == "" {
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || !(x > 0 && x <= 1) {
			return t, fmt.Errorf("%s must be a number in (0,1], got %q", f.k, v)
		}
		*f.v = x
	}
	return t, nil
}
