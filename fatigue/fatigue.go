// Package fatigue caps how often one shopper is shown one item without
// reacting: an item shown N times within a window D without a click, cart
// or purchase leaves that shopper's recommendation lists until fewer than N
// of those showings lie within the last D (SHOPMUSE_REC_FATIGUE=N/D, the
// "N per D" of advertising frequency caps). Showings are counted in memory
// and added to the store's counters by a periodic Flush, never written per
// read request.
package fatigue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Env is the environment variable a Config is read from (Parse).
const Env = "SHOPMUSE_REC_FATIGUE"

// Default is the cap a shop gets when Env is unset: five showings within a
// day without a click, then the item rests for the rest of that day.
const Default = "5/24h"

// Limits of a configuration: a cap of one would hide everything after one
// page view; windows under a minute or over 90 days make no sense for a
// shop and the latter keeps counters for too long.
const (
	MinShows  = 1
	MaxShows  = 1000
	MinWindow = time.Minute
	MaxWindow = 90 * 24 * time.Hour
)

// buckets is how many buckets one window is counted in: a showing counts
// for between one window and 1+1/buckets of it.
const buckets = 4

// Namespace is the store counter namespace; keys are
// <user>/<item>/<bucket> with the IDs path-escaped, so a user's prefix
// never matches another user whose ID starts with it. A user ID whose
// escaped form is longer than maxUserKey is keyed by its hash; an item
// whose escaped ID is longer than maxItemKey is not counted (it never
// rests): a key past the store's bound (1024 bytes) failed every flush.
const Namespace = "fatigue"

// Config is a frequency cap; the zero value is off.
type Config struct {
	// Shows is how many showings without a reaction an item may have
	// within Window; 0 disables the cap.
	Shows  int
	Window time.Duration
}

// On reports whether the cap is enabled.
func (c Config) On() bool { return c.Shows > 0 }

func (c Config) String() string {
	if !c.On() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", c.Shows, c.Window)
}

// Parse reads "N/D" (such as 3/24h, 5/30m, 10/168h; D in Go duration
// syntax, or Nd for days) or "off"; "" is Default.
func Parse(s string) (Config, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = Default
	}
	if strings.EqualFold(s, "off") || s == "0" {
		return Config{}, nil
	}
	n, d, ok := strings.Cut(s, "/")
	if !ok {
		return Config{}, fmt.Errorf("%s: want N/duration such as 3/24h, or off; got %q", Env, s)
	}
	shows, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || shows < MinShows || shows > MaxShows {
		return Config{}, fmt.Errorf("%s: the number of showings must be an integer from %d to %d, got %q", Env, MinShows, MaxShows, n)
	}
	d = strings.TrimSpace(d)
	var window time.Duration
	if days, ok := strings.CutSuffix(d, "d"); ok {
		k, err := strconv.Atoi(days)
		if err != nil {
			return Config{}, fmt.Errorf("%s: bad window %q", Env, d)
		}
		window = time.Duration(k) * 24 * time.Hour
	} else if window, err = time.ParseDuration(d); err != nil {
		return Config{}, fmt.Errorf("%s: bad window %q: %w", Env, d, err)
	}
	if window < MinWindow || window > MaxWindow {
		return Config{}, fmt.Errorf("%s: the window must be between %s and %s, got %s", Env, MinWindow, MaxWindow, window)
	}
	return Config{Shows: shows, Window: window}, nil
}

// counterStore is what the tracker needs of the store.
type counterStore interface {
	AddCounters(ctx context.Context, namespace string, deltas map[string]int64) error
	Counters(ctx context.Context, namespace, prefix string) (map[string]int64, error)
	DeleteCounters(ctx context.Context, namespace, prefix string) error
}

// A shopper's stored counters are read once and then kept in memory,
// updated by this process's own flushes, for cacheTTL (so that showings
// another replica counted are seen within it): a counter scan costs about
// 3 µs a key, and a busy shopper has hundreds.
const (
	cacheTTL  = time.Minute
	maxCached = 5000
)

type cached struct {
	at     time.Time
	counts map[string]int64 // counter key → stored value
}

// Tracker counts showings and answers which items rest. Safe for
// concurrent use. A nil *Tracker, or one with the cap off, counts nothing
// and hides nothing.
type Tracker struct {
	cfg    Config
	st     counterStore
	now    func() time.Time
	bucket int64 // seconds per bucket

	// storeMu orders the store's writes against the cache's loads: every
	// write (flush, reset, erasure) holds it exclusively and updates the
	// cache after the write; a load holds it shared. So a cached entry is
	// always the store's state plus exactly this process's later writes.
	storeMu sync.RWMutex

	mu sync.Mutex
	// pending holds deltas not yet in the store, by user prefix then
	// counter key (a request reads only its shopper's): showings
	// (positive) and the removal of buckets that have aged out (negative,
	// set not added, so that reading a stale bucket twice removes it once).
	pending map[string]map[string]int64
	cache   map[string]*cached // by user prefix
}

// New returns a tracker; now is the clock (nil: time.Now).
func New(st counterStore, cfg Config, now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	b := int64(cfg.Window / time.Second / buckets)
	if b < 1 {
		b = 1
	}
	return &Tracker{cfg: cfg, st: st, now: now, bucket: b, pending: map[string]map[string]int64{}, cache: map[string]*cached{}}
}

// Config is the tracker's cap.
func (t *Tracker) Config() Config {
	if t == nil {
		return Config{}
	}
	return t.cfg
}

func (t *Tracker) on() bool { return t != nil && t.cfg.On() }

// Bounds on the parts of a key: with a bucket number they stay within
// the store's 1024 bytes (store.MaxKeyBytes). Escaping can triple an ID
// (128 CJK characters escape to 1,152 bytes).
const (
	maxUserKey = 256
	maxItemKey = 640
)

// userPrefix is a user's key prefix: the path-escaped ID, or "%%" and its
// SHA-256 when that is too long (escaping never writes "%%"). Only items
// are read back from keys, so the user part need not be reversible.
func userPrefix(userID string) string {
	if k := url.PathEscape(userID); len(k) <= maxUserKey {
		return k + "/"
	}
	h := sha256.Sum256([]byte(userID))
	return "%%" + hex.EncodeToString(h[:]) + "/"
}

// countable reports whether an item's showings fit a key.
func countable(itemID string) bool { return len(url.PathEscape(itemID)) <= maxItemKey }

func itemPrefix(userID, itemID string) string {
	return userPrefix(userID) + url.PathEscape(itemID) + "/"
}

func (t *Tracker) current() int64 { return t.now().Unix() / t.bucket }

// Shown counts one showing of each item to the user.
func (t *Tracker) Shown(userID string, itemIDs []string) {
	if !t.on() || userID == "" || len(itemIDs) == 0 {
		return
	}
	b := strconv.FormatInt(t.current(), 10)
	up := userPrefix(userID)
	t.mu.Lock()
	p := t.pending[up]
	if p == nil {
		p = map[string]int64{}
		t.pending[up] = p
	}
	for _, id := range itemIDs {
		if countable(id) {
			p[itemPrefix(userID, id)+b]++
		}
	}
	t.mu.Unlock()
}

// stored returns the user's stored counters, from the cache when fresh.
// Callers hold t.mu and must not modify the map.
func (t *Tracker) stored(ctx context.Context, up string) (map[string]int64, error) {
	now := t.now()
	if c := t.cache[up]; c != nil && now.Sub(c.at) < cacheTTL && now.Sub(c.at) >= 0 {
		return c.counts, nil
	}
	t.mu.Unlock()
	t.storeMu.RLock()
	counts, err := t.st.Counters(ctx, Namespace, up)
	if err == nil {
		t.mu.Lock()
		t.remember(up, counts, now)
		t.mu.Unlock()
	}
	t.storeMu.RUnlock()
	t.mu.Lock()
	return counts, err
}

// remember caches a user's counters (t.mu held), making room when full.
func (t *Tracker) remember(up string, counts map[string]int64, now time.Time) {
	if len(t.cache) >= maxCached {
		for k, c := range t.cache {
			if now.Sub(c.at) >= cacheTTL || len(t.cache) >= maxCached {
				delete(t.cache, k)
			}
			if len(t.cache) < maxCached*9/10 {
				break
			}
		}
	}
	t.cache[up] = &cached{at: now, counts: counts}
}

// applyCached adds deltas this process wrote to the store to the cached
// entries (t.mu and t.storeMu held).
func (t *Tracker) applyCached(up string, deltas map[string]int64) {
	c := t.cache[up]
	if c == nil {
		return
	}
	for k, n := range deltas {
		if v := c.counts[k] + n; v > 0 {
			c.counts[k] = v
		} else {
			delete(c.counts, k)
		}
	}
}

// Resting returns the items the user may not be shown now: those with Shows
// or more showings within the window, flushed or not.
func (t *Tracker) Resting(ctx context.Context, userID string) ([]string, error) {
	if !t.on() || userID == "" {
		return nil, nil
	}
	up := userPrefix(userID)
	cur := t.current()
	live := func(k string) (item string, ok, stale bool) {
		rest := strings.TrimPrefix(k, up)
		i := strings.LastIndexByte(rest, '/')
		if i < 0 {
			return "", false, false
		}
		b, err := strconv.ParseInt(rest[i+1:], 10, 64)
		if err != nil {
			return "", false, false
		}
		if b <= cur-buckets-1 {
			return "", false, true
		}
		return rest[:i], true, false
	}
	shows := map[string]int64{}
	t.mu.Lock()
	stored, err := t.stored(ctx, up)
	if err != nil {
		t.mu.Unlock()
		return nil, fmt.Errorf("fatigue of %q: %w", userID, err)
	}
	p := t.pending[up]
	for k, n := range stored {
		item, ok, stale := live(k)
		switch {
		case stale:
			// Aged out: removed at the next flush, by the read that found it
			// rather than by a sweep over every shopper.
			if p == nil {
				p = map[string]int64{}
				t.pending[up] = p
			}
			p[k] = -n
		case ok:
			shows[item] += n
		}
	}
	for k, n := range p {
		if n > 0 {
			if item, ok, _ := live(k); ok {
				shows[item] += n
			}
		}
	}
	t.mu.Unlock()
	var out []string
	for item, n := range shows {
		if n >= int64(t.cfg.Shows) {
			if id, err := url.PathUnescape(item); err == nil {
				out = append(out, id)
			}
		}
	}
	// In ID order: the same counts give the same answer (a map does not).
	slices.Sort(out)
	return out, nil
}

// Reacted resets the count of an item the user clicked, carted or bought:
// they are interested, so it may be shown again at once.
func (t *Tracker) Reacted(ctx context.Context, userID, itemID string) error {
	if !t.on() || !countable(itemID) {
		return nil
	}
	up, p := userPrefix(userID), itemPrefix(userID, itemID)
	t.storeMu.Lock()
	defer t.storeMu.Unlock()
	stored, err := t.st.Counters(ctx, Namespace, p)
	if err != nil {
		return fmt.Errorf("reset fatigue of %q on %q: %w", userID, itemID, err)
	}
	t.mu.Lock()
	for k := range t.pending[up] {
		if strings.HasPrefix(k, p) {
			delete(t.pending[up], k)
		}
	}
	t.mu.Unlock()
	// Subtract what was read rather than delete: counters at zero
	// disappear, and the cache follows the same deltas. Across replicas
	// this read-then-subtract needs no once-guard (store.AddCountersOnce):
	// two replicas resetting the same item both subtract what they read,
	// and a counter driven below zero is removed, not kept negative, so a
	// repeated reset is a reset. At worst a showing another replica flushed
	// between the two resets is subtracted too: the item may be shown once
	// more before it rests, never hidden wrongly.
	neg := make(map[string]int64, len(stored))
	for k, n := range stored {
		neg[k] = -n
	}
	if err := t.st.AddCounters(ctx, Namespace, neg); err != nil {
		t.mu.Lock()
		delete(t.cache, up)
		t.mu.Unlock()
		return fmt.Errorf("reset fatigue of %q on %q: %w", userID, itemID, err)
	}
	t.mu.Lock()
	t.applyCached(up, neg)
	t.mu.Unlock()
	return nil
}

// EraseUser forgets every showing to the user, flushed or not.
func (t *Tracker) EraseUser(ctx context.Context, userID string) error {
	if t == nil {
		return nil
	}
	// Exclusive: no flush writes the user's counts back meanwhile.
	t.storeMu.Lock()
	defer t.storeMu.Unlock()
	up := userPrefix(userID)
	t.mu.Lock()
	delete(t.pending, up)
	delete(t.cache, up)
	t.mu.Unlock()
	// Whatever the cap is now: counters may remain from when it was on.
	if err := t.st.DeleteCounters(ctx, Namespace, up); err != nil {
		return fmt.Errorf("erase fatigue of %q: %w", userID, err)
	}
	return nil
}

// Flush adds the buffered showings to the store; on error they stay
// buffered for the next flush.
func (t *Tracker) Flush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	t.storeMu.Lock()
	defer t.storeMu.Unlock()
	t.mu.Lock()
	byUser := t.pending
	t.pending = map[string]map[string]int64{}
	t.mu.Unlock()
	batch := map[string]int64{}
	for _, p := range byUser {
		for k, n := range p {
			batch[k] = n
		}
	}
	if len(batch) == 0 {
		return nil
	}
	err := t.st.AddCounters(ctx, Namespace, batch)
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		for up, p := range byUser {
			cur := t.pending[up]
			if cur == nil {
				cur = map[string]int64{}
				t.pending[up] = cur
			}
			for k, n := range p {
				if n > 0 {
					cur[k] += n
				} else {
					cur[k] = n
				}
			}
		}
		return fmt.Errorf("flush fatigue: %w", err)
	}
	for up, p := range byUser {
		t.applyCached(up, p)
	}
	return nil
}
