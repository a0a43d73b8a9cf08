package experiment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/shopmuse/shopmuse/shop"
)

// Counter keys in Namespace:
//
//	x/<experiment>/<arm>/<metric>       the arm's totals (metric below)
//	u/<user>/<experiment>/<arm>         exposures per shopper: the assigned
//	                                    users of the sample-ratio check
//	d/<user>/<experiment>/<mac>/<kind>  an outcome already counted
//
// User IDs are path-escaped so that one user's prefix never covers another;
// an ID whose escaped form is longer than maxUserKey (a long ID of CJK
// characters triples as it is escaped) is replaced by a hash of it, so that
// every key stays within store.MaxKeyBytes. The u/ and d/ keys are personal
// and erased with the user; the x/ totals are not.
const (
	metricExposures = "exposures"
	metricClicks    = "clicks"
	metricCarts     = "carts"
	metricPurchases = "purchases"
	// metricRevenue is in hundredths (shop.Decimal); metricRevenue2 sums
	// the squares of each purchase's revenue in whole units, for the
	// variance of revenue per exposure.
	metricRevenue  = "revenue"
	metricRevenue2 = "revenue2"
)

func armKey(expID string, arm int, metric string) string {
	return "x/" + expID + "/" + strconv.Itoa(arm) + "/" + metric
}

// maxUserKey bounds the user part of a key (store.MaxKeyBytes is 1024,
// and an experiment ID, a MAC and a kind follow it).
const maxUserKey = 256

func userPrefix(kind, userID string) string { return kind + "/" + userKey(userID) + "/" }

// userKey is the user part of a key: the path-escaped ID, or, when that is
// longer than maxUserKey, "%%" and the ID's SHA-256 (escaping never writes
// "%%", so the two never meet).
func userKey(userID string) string {
	if k := url.PathEscape(userID); len(k) <= maxUserKey {
		return k
	}
	h := sha256.Sum256([]byte(userID))
	return "%%" + hex.EncodeToString(h[:])
}

// counts buffers exposures between flushes.
type counts struct {
	mu      sync.Mutex
	pending map[string]int64
	// flushMu keeps an erasure out of a flush in progress.
	flushMu sync.Mutex
}

func (c *counts) init() { c.pending = map[string]int64{} }

// Exposed counts n items served to userID by an arm. Buffered: the read
// path never writes.
func (m *Manager) Exposed(exp *Experiment, arm int, userID string, n int) {
	if exp == nil || n <= 0 {
		return
	}
	m.counts.mu.Lock()
	m.counts.pending[armKey(exp.ID, arm, metricExposures)] += int64(n)
	if userID != "" {
		m.counts.pending[userPrefix("u", userID)+exp.ID+"/"+strconv.Itoa(arm)] += int64(n)
	}
	m.counts.mu.Unlock()
}

// Flush adds the buffered exposures to the store; on error they stay
// buffered.
func (m *Manager) Flush(ctx context.Context) error {
	c := &m.counts
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.mu.Lock()
	batch := c.pending
	c.pending = map[string]int64{}
	c.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := m.st.AddCounters(ctx, Namespace, batch); err != nil {
		c.mu.Lock()
		for k, n := range batch {
			c.pending[k] += n
		}
		c.mu.Unlock()
		return fmt.Errorf("flush experiment exposures: %w", err)
	}
	return nil
}

// Outcome counts a recorded interaction that carried a verified
// recommendation ID: a click, cart or purchase (with its revenue, price ×
// quantity) for the arm that served it, once per recommendation ID and
// kind. IDs without an arm, older than AttributionWindow or of an unknown
// experiment count nothing. It writes at once: outcomes arrive with a
// write anyway.
func (m *Manager) Outcome(ctx context.Context, c Claim, userID string, kind shop.InteractionKind, revenue shop.Decimal) error {
	var metric string
	switch kind {
	case shop.KindClick:
		metric = metricClicks
	case shop.KindAddToCart:
		metric = metricCarts
	case shop.KindPurchase:
		metric = metricPurchases
	default:
		return nil
	}
	if c.ExperimentID == "" || c.Arm < 0 || m.now().Sub(c.IssuedAt) > AttributionWindow {
		return nil
	}
	e, ok := m.Get(c.ExperimentID)
	if !ok || c.Arm >= len(e.Arms) {
		return nil
	}
	// The d/ key marks the outcome counted. AddCountersOnce checks and
	// adds in one store transaction, so the same recommendation ID's
	// outcome handled at once by two replicas (a client retry, a replay)
	// counts once; a process-local lock could not see the other replica.
	seen := userPrefix("d", userID) + e.ID + "/" + c.mac + "/" + string(kind)
	deltas := map[string]int64{armKey(e.ID, c.Arm, metric): 1}
	if kind == shop.KindPurchase && revenue > 0 {
		units := float64(revenue) / 100
		deltas[armKey(e.ID, c.Arm, metricRevenue)] = int64(revenue)
		deltas[armKey(e.ID, c.Arm, metricRevenue2)] = int64(math.Round(units * units))
	}
	if _, err := m.st.AddCountersOnce(ctx, Namespace, seen, deltas); err != nil {
		return fmt.Errorf("experiment outcome: %w", err)
	}
	return nil
}

// EraseUser forgets a shopper's assignment and outcome records, flushed
// or buffered. The arms' totals, which name nobody, stay.
func (m *Manager) EraseUser(ctx context.Context, userID string) error {
	c := &m.counts
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	up := userPrefix("u", userID)
	c.mu.Lock()
	for k := range c.pending {
		if strings.HasPrefix(k, up) {
			delete(c.pending, k)
		}
	}
	c.mu.Unlock()
	for _, kind := range []string{"u", "d"} {
		if err := m.st.DeleteCounters(ctx, Namespace, userPrefix(kind, userID)); err != nil {
			return fmt.Errorf("erase experiment records of %q: %w", userID, err)
		}
	}
	return nil
}

// armTotals reads an experiment's totals per arm, buffered exposures
// included, and its assigned users per arm.
func (m *Manager) armTotals(ctx context.Context, e *Experiment) ([]map[string]int64, []int64, error) {
	stored, err := m.st.Counters(ctx, Namespace, "x/"+e.ID+"/")
	if err != nil {
		return nil, nil, fmt.Errorf("experiment %s report: %w", e.ID, err)
	}
	tot := make([]map[string]int64, len(e.Arms))
	for i := range tot {
		tot[i] = map[string]int64{}
	}
	add := func(k string, n int64) {
		rest, ok := strings.CutPrefix(k, "x/"+e.ID+"/")
		if !ok {
			return
		}
		arm, metric, ok := strings.Cut(rest, "/")
		i, err := strconv.Atoi(arm)
		if ok && err == nil && i >= 0 && i < len(tot) {
			tot[i][metric] += n
		}
	}
	for k, n := range stored {
		add(k, n)
	}
	users := make([]int64, len(e.Arms))
	userArms := map[string]bool{} // "user/arm" of buffered exposures
	m.counts.mu.Lock()
	for k, n := range m.counts.pending {
		add(k, n)
		if strings.HasPrefix(k, "u/") {
			userArms[k] = true
		}
	}
	m.counts.mu.Unlock()
	// Assigned users: one u/ key per shopper exposed, scanned here rather
	// than counted per request (the report is rare, requests are not).
	us, err := m.st.Counters(ctx, Namespace, "u/")
	if err != nil {
		return nil, nil, fmt.Errorf("experiment %s report: %w", e.ID, err)
	}
	for k := range us {
		userArms[k] = true
	}
	for k := range userArms {
		parts := strings.Split(k, "/")
		if len(parts) != 4 || parts[2] != e.ID {
			continue
		}
		if i, err := strconv.Atoi(parts[3]); err == nil && i >= 0 && i < len(users) {
			users[i]++
		}
	}
	return tot, users, nil
}
