// Package bandit decides which of several competing copy variants to serve,
// and says how sure that decision is: Thompson sampling over Beta
// posteriors of each variant's click-through (Selector), a posterior summary
// per variant with credible intervals and the probability of being best
// (Performance, Leader), and a simulation on a population with known click
// rates that measures the regret against uniform allocation (Simulate,
// WriteRegretSVG).
//
// It holds no state of its own: the caller keeps the counters (the store,
// per product, channel and persona segment) and passes them in, so one
// Selector serves every product. engage is its user; copywriter writes the
// variants and knows nothing of how they are chosen.
package bandit
