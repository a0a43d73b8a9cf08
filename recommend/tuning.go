package recommend

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The environment variables the service reads a Tuning from (ParseTuning)
// and `eval --tune` prints (Tuning.Env).
const (
	EnvWeights     = "SHOPMUSE_REC_WEIGHTS"
	EnvMMRLambda   = "SHOPMUSE_REC_MMR_LAMBDA"
	EnvCategoryCap = "SHOPMUSE_REC_CATEGORY_CAP"
	EnvMF          = "SHOPMUSE_REC_MF"
)

// Tuning is the part of Config that is tuned per shop: what `eval --tune`
// searches and prints, what the service reads from its environment, and what
// eval's --weights, --mmr, --category-cap and --mf set. Both sides apply it
// with Apply, so an evaluated setting is the served one. Zero values keep
// the defaults.
type Tuning struct {
	// Weights are blend weights by retriever; retrievers not named keep
	// theirs.
	Weights map[string]float64
	// MMRLambda in (0,1] replaces Config.MMRLambda.
	MMRLambda float64
	// CategoryCap in (0,1] replaces Config.MaxPerCategory (1: no cap).
	CategoryCap float64
	// MF overrides matrix-factorisation settings by name.
	MF MFOverrides
	// AutoTuneOff turns off Config.AutoTune, the engine's own fit of the
	// blend (EnvAutoTune=off). Weights, an MMR lambda or a category cap
	// given explicitly turn it off too: an operator's settings win.
	AutoTuneOff bool
}

// Apply writes the tuning into c. Named weights override only those
// retrievers, in a copy of c.Weights (DefaultConfig's map is shared by
// every caller of it); a nil c.Weights starts from the defaults, as
// New would fill it.
func (t Tuning) Apply(c *Config) {
	if len(t.Weights) > 0 {
		w := c.Weights
		if w == nil {
			w = DefaultConfig().Weights
		}
		w = maps.Clone(w)
		maps.Copy(w, t.Weights)
		c.Weights = w
		c.AutoTune = false
	}
	if t.AutoTuneOff {
		c.AutoTune = false
	}
	if t.MMRLambda > 0 {
		c.MMRLambda = t.MMRLambda
		c.AutoTune = false
	}
	if t.CategoryCap > 0 {
		c.MaxPerCategory = t.CategoryCap
		c.AutoTune = false
	}
	t.MF.Apply(&c.MF)
}

// ParseTuning reads a Tuning from the environment (EnvWeights, EnvMMRLambda,
// EnvCategoryCap, EnvMF, EnvAutoTune); unset variables keep the defaults. The first bad
// variable is the error, named.
func ParseTuning(getenv func(string) string) (Tuning, error) {
	var t Tuning
	var err error
	if t.Weights, err = ParseWeights(getenv(EnvWeights)); err != nil {
		return Tuning{}, fmt.Errorf("%s: %w", EnvWeights, err)
	}
	if t.MF, err = ParseMFOverrides(getenv(EnvMF)); err != nil {
		return Tuning{}, fmt.Errorf("%s: %w", EnvMF, err)
	}
	if t.MMRLambda, err = parseFraction(EnvMMRLambda, getenv(EnvMMRLambda)); err != nil {
		return Tuning{}, err
	}
	if t.CategoryCap, err = parseFraction(EnvCategoryCap, getenv(EnvCategoryCap)); err != nil {
		return Tuning{}, err
	}
	switch v := strings.TrimSpace(getenv(EnvAutoTune)); strings.ToLower(v) {
	case "", "on":
	case "off":
		t.AutoTuneOff = true
	default:
		return Tuning{}, fmt.Errorf("%s must be on or off, got %q", EnvAutoTune, v)
	}
	return t, nil
}

// parseFraction reads a number in (0,1]; empty is 0 (the default).
func parseFraction(name, s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0 && f <= 1) {
		return 0, fmt.Errorf("%s must be a number in (0,1], got %q", name, s)
	}
	return f, nil
}

// Env is the tuning as NAME=value lines that ParseTuning reads back to the
// same Tuning: weights in Retrievers order, MF settings by name; zero
// fields are left out.
func (t Tuning) Env() []string {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var out []string
	if len(t.Weights) > 0 {
		var ws []string
		for _, name := range Retrievers {
			if v, ok := t.Weights[name]; ok {
				ws = append(ws, name+"="+g(v))
			}
		}
		out = append(out, EnvWeights+"="+strings.Join(ws, ","))
	}
	if t.MMRLambda > 0 {
		out = append(out, EnvMMRLambda+"="+g(t.MMRLambda))
	}
	if t.CategoryCap > 0 {
		out = append(out, EnvCategoryCap+"="+g(t.CategoryCap))
	}
	if len(t.MF) > 0 {
		var mf []string
		for _, k := range slices.Sorted(maps.Keys(t.MF)) {
			mf = append(mf, k+"="+g(t.MF[k]))
		}
		out = append(out, EnvMF+"="+strings.Join(mf, ","))
	}
	if t.AutoTuneOff {
		out = append(out, EnvAutoTune+"=off")
	}
	return out
}
