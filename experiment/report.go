package experiment

import (
	"context"

	"github.com/shopmuse/shopmuse/shop"
)

// Decision thresholds of the report.
const (
	// PrimaryMetric is what P(best) and the winner are about: clicks per
	// exposure, the outcome frequent enough to decide on in days (the
	// report also gives P(best) on conversion).
	PrimaryMetric = "CTR"
	// WinnerProbability: an arm is called the winner once it is the best
	// on the primary metric with at least this posterior probability...
	WinnerProbability = 0.95
	// MinExposuresForWinner ...and every arm has this many exposures.
	MinExposuresForWinner = 100
	// SRMAlpha: the sample-ratio check warns below this p-value.
	SRMAlpha = 0.001
	// posteriorDraws is the Monte Carlo sample of P(best).
	posteriorDraws = 20000
)

// ArmReport is one arm's results.
type ArmReport struct {
	Name                                string
	Weight                              float64
	Control                             bool
	Users                               int64 // assigned shoppers who were served at least once
	Exposure                            int64 // recommended items served
	Clicks, Carts, Purchases            int64
	Revenue                             shop.Decimal
	CTR, Conversion, RevenuePerExposure Interval
	// PBest and PBestConversion: posterior probability that this arm has
	// the highest CTR, respectively conversion.
	PBest, PBestConversion float64
}

// Report is an experiment's results.
type Report struct {
	Experiment *Experiment
	Arms       []ArmReport
	// PrimaryMetric names what PBest and Winner are about.
	PrimaryMetric string
	// Winner is the arm best on the primary metric with probability at
	// least WinnerProbability, every arm having MinExposuresForWinner
	// exposures and no sample-ratio mismatch; nil until then.
	Winner *string
	// SampleRatioP is the chi-square p-value of assigned users per arm
	// against the weights; SampleRatioMismatch is p < SRMAlpha.
	SampleRatioChi2     float64
	SampleRatioP        float64
	SampleRatioMismatch bool
}

// Report computes an experiment's report from its counters, buffered
// exposures included.
func (m *Manager) Report(ctx context.Context, e *Experiment) (Report, error) {
	tot, users, err := m.armTotals(ctx, e)
	if err != nil {
		return Report{}, err
	}
	k := len(e.Arms)
	rep := Report{Experiment: e, Arms: make([]ArmReport, k), PrimaryMetric: PrimaryMetric}
	clicks, purchases, exposures := make([]int64, k), make([]int64, k), make([]int64, k)
	weights := make([]float64, k)
	for i, a := range e.Arms {
		t := tot[i]
		n := t[metricExposures]
		exposures[i], clicks[i], purchases[i], weights[i] = n, t[metricClicks], t[metricPurchases], a.Weight
		rep.Arms[i] = ArmReport{Name: a.Name, Weight: a.Weight, Control: a.Config.IsControl(), Users: users[i],
			Exposure: n, Clicks: t[metricClicks], Carts: t[metricCarts], Purchases: t[metricPurchases],
			Revenue: shop.Decimal(t[metricRevenue]),
			CTR:     Wilson(t[metricClicks], n), Conversion: Wilson(t[metricPurchases], n),
			RevenuePerExposure: MeanInterval(float64(t[metricRevenue])/100, float64(t[metricRevenue2]), n)}
	}
	pb := ProbBest(clicks, exposures, posteriorDraws)
	pc := ProbBest(purchases, exposures, posteriorDraws)
	for i := range rep.Arms {
		rep.Arms[i].PBest, rep.Arms[i].PBestConversion = pb[i], pc[i]
	}
	rep.SampleRatioChi2, rep.SampleRatioP = SampleRatio(users, weights)
	rep.SampleRatioMismatch = rep.SampleRatioP < SRMAlpha
	enough := true
	for _, n := range exposures {
		enough = enough && n >= MinExposuresForWinner
	}
	if enough && !rep.SampleRatioMismatch {
		for i, p := range pb {
			if p >= WinnerProbability {
				name := e.Arms[i].Name
				rep.Winner = &name
			}
		}
	}
	return rep, nil
}
