// Package experiment runs A/B tests of recommender configurations: arms
// with weights and a configuration each (blend weights, MMR lambda,
// category cap, default placement, merchandising rule sets), sticky
// assignment of shoppers by a hash of their user ID, signed recommendation
// IDs that attribute clicks, carts, purchases and revenue to the arm that
// served them, buffered exposure counting, and a report with intervals,
// P(best) and a sample-ratio-mismatch check.
//
// Definitions live in blobs (namespace "experiment", key e/<id>), counts in
// counters of the same namespace; the definitions are held in memory and
// re-read by Reload. The blob "running" names the experiment created last;
// creating one is a compare-and-swap of it, so that across replicas at most
// one experiment runs.
package experiment

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// Namespace holds the definitions (blobs) and the counts (counters).
const Namespace = "experiment"

// Blob keys.
const (
	keyExperiment = "e/"
	keySecret     = "secret"
	// keyRunning holds the ID of the experiment created last (it runs
	// unless stopped). Create swaps it, with the new experiment's blob, in
	// one transaction.
	keyRunning = "running"
)

// Statuses.
const (
	StatusRunning = "RUNNING"
	StatusStopped = "STOPPED"
)

// Limits of one experiment.
const (
	MinArms        = 2
	MaxArms        = 10
	MaxName        = 100
	MaxArmName     = 50
	MaxArmWeight   = 1e6
	MaxBlendWeight = 100
	MaxRuleSets    = 20
	MaxRuleSetName = 64
	// MaxExperiments bounds the stored experiments (they are held in memory).
	MaxExperiments = 1000
)

// Weight is one retriever's blend weight.
type Weight struct {
	Retriever string  `json:"retriever"`
	Weight    float64 `json:"weight"`
}

// ArmConfig is what an arm changes; the zero value is the control (the
// service's configuration).
type ArmConfig struct {
	Weights     []Weight             `json:"weights,omitempty"`
	MMRLambda   *float64             `json:"mmrLambda,omitempty"`
	CategoryCap *float64             `json:"categoryCap,omitempty"`
	Placement   *recommend.Placement `json:"placement,omitempty"`
	RuleSets    []string             `json:"ruleSets,omitempty"`
}

// IsControl reports whether the configuration changes nothing.
func (c ArmConfig) IsControl() bool {
	return len(c.Weights) == 0 && c.MMRLambda == nil && c.CategoryCap == nil && c.Placement == nil && len(c.RuleSets) == 0
}

// Tuning is the part of the configuration the engine applies per request
// (recommend.Request.Tuning); nil when the arm keeps the engine's.
func (c ArmConfig) Tuning() *recommend.Tuning {
	if len(c.Weights) == 0 && c.MMRLambda == nil && c.CategoryCap == nil {
		return nil
	}
	t := &recommend.Tuning{}
	if len(c.Weights) > 0 {
		t.Weights = make(map[string]float64, len(c.Weights))
		for _, w := range c.Weights {
			t.Weights[w.Retriever] = w.Weight
		}
	}
	if c.MMRLambda != nil {
		t.MMRLambda = *c.MMRLambda
	}
	if c.CategoryCap != nil {
		t.CategoryCap = *c.CategoryCap
	}
	return t
}

// ArmInput asks for one arm.
type ArmInput struct {
	Name   string    `json:"name"`
	Weight float64   `json:"weight"`
	Config ArmConfig `json:"config"`
}

// Input asks for an experiment.
type Input struct {
	Name string     `json:"name"`
	Arms []ArmInput `json:"arms"`
}

// Arm is one stored arm.
type Arm struct {
	Name   string    `json:"name"`
	Weight float64   `json:"weight"`
	Config ArmConfig `json:"config"`
}

// Experiment is one stored experiment. Arms never change after creation:
// assignment depends on them.
type Experiment struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Arms      []Arm      `json:"arms"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"createdAt"`
	StoppedAt *time.Time `json:"stoppedAt,omitempty"`
}

// Running reports whether the experiment assigns shoppers.
func (e *Experiment) Running() bool { return e.Status == StatusRunning }

// Assign returns the arm of a user: a SHA-256 of the experiment ID and the
// user ID, read as a number in [0,1), falls into the arms' cumulative
// weights. It depends on nothing else, so a shopper stays in their arm
// across requests, restarts and replicas, and each experiment shuffles
// shoppers anew.
func (e *Experiment) Assign(userID string) int {
	h := sha256.Sum256([]byte(e.ID + "\x00" + userID))
	u := float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
	var total float64
	for _, a := range e.Arms {
		total += a.Weight
	}
	x := u * total
	for i, a := range e.Arms {
		if x < a.Weight {
			return i
		}
		x -= a.Weight
	}
	return len(e.Arms) - 1
}

// Validate checks an input whole; nil means it may be stored.
func Validate(in Input) []shop.UserError {
	var errs []shop.UserError
	add := func(code shop.ErrorCode, msg string, field ...string) {
		errs = append(errs, shop.UserError{Field: append([]string{"input"}, field...), Code: code, Message: msg})
	}
	checkText := func(s string, max int, field ...string) {
		switch {
		case strings.TrimSpace(s) == "":
			add(shop.CodeRequired, "must not be empty", field...)
		case !utf8.ValidString(s):
			add(shop.CodeInvalid, "must be valid UTF-8", field...)
		case utf8.RuneCountInString(s) > max:
			add(shop.CodeTooLong, fmt.Sprintf("must be at most %d characters", max), field...)
		case strings.TrimSpace(s) != s:
			add(shop.CodeInvalid, "must not start or end with spaces", field...)
		case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0:
			// Format characters too (bidi overrides, zero-width spaces):
			// arm names reach shoppers as experimentArm, and the console
			// must show the name that is stored.
			add(shop.CodeInvalid, "must not contain control or format characters", field...)
		}
	}
	checkText(in.Name, MaxName, "name")
	switch {
	case len(in.Arms) > MaxArms:
		add(shop.CodeTooLarge, fmt.Sprintf("at most %d arms", MaxArms), "arms")
		return errs
	case len(in.Arms) < MinArms:
		add(shop.CodeInvalid, fmt.Sprintf("an experiment needs at least %d arms", MinArms), "arms")
	}
	names := map[string]bool{}
	for i, a := range in.Arms {
		at := func(f ...string) []string { return append([]string{"arms", strconv.Itoa(i)}, f...) }
		checkText(a.Name, MaxArmName, at("name")...)
		if names[a.Name] {
			add(shop.CodeDuplicate, fmt.Sprintf("arm name %q is used twice", a.Name), at("name")...)
		}
		names[a.Name] = true
		if !(a.Weight > 0 && a.Weight <= MaxArmWeight) { // also refuses NaN
			add(shop.CodeInvalid, fmt.Sprintf("weight must be a number above 0 and at most %g", float64(MaxArmWeight)), at("weight")...)
		}
		c := a.Config
		if len(c.Weights) > len(recommend.Retrievers) {
			add(shop.CodeTooLarge, fmt.Sprintf("at most %d weights, one per retriever", len(recommend.Retrievers)), at("config", "weights")...)
		} else {
			seen := map[string]bool{}
			for j, w := range c.Weights {
				f := at("config", "weights", strconv.Itoa(j))
				switch {
				case !slices.Contains(recommend.Retrievers, w.Retriever):
					add(shop.CodeInvalid, fmt.Sprintf("unknown retriever %q (want one of %s)", w.Retriever, strings.Join(recommend.Retrievers, ", ")), append(f, "retriever")...)
				case seen[w.Retriever]:
					add(shop.CodeDuplicate, fmt.Sprintf("retriever %q is weighted twice", w.Retriever), append(f, "retriever")...)
				}
				seen[w.Retriever] = true
				if !(w.Weight >= 0 && w.Weight <= MaxBlendWeight) {
					add(shop.CodeInvalid, fmt.Sprintf("a blend weight must be from 0 to %d", MaxBlendWeight), append(f, "weight")...)
				}
			}
			// Every retriever at 0 blends nothing: the arm's returning
			// shoppers would get empty lists for the whole experiment.
			if len(seen) == len(recommend.Retrievers) && !slices.ContainsFunc(c.Weights, func(w Weight) bool { return w.Weight > 0 }) {
				add(shop.CodeInvalid, "at least one retriever needs a weight above 0, or the arm recommends nothing", at("config", "weights")...)
			}
		}
		fraction := func(v *float64, name string) {
			if v != nil && !(*v > 0 && *v <= 1) {
				add(shop.CodeInvalid, "must be a number in (0,1]", at("config", name)...)
			}
		}
		fraction(c.MMRLambda, "mmrLambda")
		fraction(c.CategoryCap, "categoryCap")
		if c.Placement != nil && !c.Placement.IsValid() {
			add(shop.CodeInvalid, "unknown placement", at("config", "placement")...)
		}
		if len(c.RuleSets) > MaxRuleSets {
			add(shop.CodeTooLarge, fmt.Sprintf("at most %d rule sets", MaxRuleSets), at("config", "ruleSets")...)
			continue
		}
		sets := map[string]bool{}
		for j, rs := range c.RuleSets {
			f := at("config", "ruleSets", strconv.Itoa(j))
			checkText(rs, MaxRuleSetName, f...)
			if sets[rs] {
				add(shop.CodeDuplicate, fmt.Sprintf("rule set %q is named twice", rs), f...)
			}
			sets[rs] = true
		}
	}
	return errs
}

// Store is what the manager needs of the store.
type Store interface {
	GetBlob(ctx context.Context, namespace, k string) ([]byte, bool, error)
	PutBlob(ctx context.Context, namespace, k string, v []byte) error
	store.BlobSwapper
	ListBlobs(ctx context.Context, namespace, prefix, after string, first int) ([]store.Blob, bool, error)
	AddCounters(ctx context.Context, namespace string, deltas map[string]int64) error
	AddCountersOnce(ctx context.Context, namespace, onceKey string, deltas map[string]int64) (bool, error)
	Counters(ctx context.Context, namespace, prefix string) (map[string]int64, error)
	DeleteCounters(ctx context.Context, namespace, prefix string) error
}

// Options configure a Manager.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the source of experiment IDs, list nonces and the signing
	// secret (default crypto/rand).
	Rand io.Reader
}

// Manager holds the experiments and their counts. Safe for concurrent use.
type Manager struct {
	st   Store
	now  func() time.Time
	rand io.Reader

	mu     sync.RWMutex
	exps   map[string]*Experiment
	ids    []string // sorted: IDs sort by creation
	secret []byte

	// writeMu serialises Create, Stop and Reload in this process; across
	// replicas the compare-and-swaps of the "running" blob and of each
	// experiment's blob do.
	writeMu sync.Mutex

	counts counts
}

// Open loads the experiments and the signing secret (creating it on first
// use).
func Open(ctx context.Context, st Store, o Options) (*Manager, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	m := &Manager{st: st, now: o.Now, rand: o.Rand, exps: map[string]*Experiment{}}
	m.counts.init()
	if err := m.Reload(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// Reload re-reads the definitions and the signing secret from the store,
// for a replica whose peer created or stopped an experiment. It waits for
// a Create or Stop in this process: a list read before their write and
// installed after it would undo them here (the experiment created gone, the
// one stopped running again) until the next reload.
func (m *Manager) Reload(ctx context.Context) error {
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	return m.reload(ctx)
}

// reload is Reload under writeMu.
func (m *Manager) reload(ctx context.Context) error {
	secret, err := m.loadSecret(ctx)
	if err != nil {
		return err
	}
	exps := map[string]*Experiment{}
	var ids []string
	after := ""
	for {
		blobs, more, err := m.st.ListBlobs(ctx, Namespace, keyExperiment, after, 200)
		if err != nil {
			return fmt.Errorf("experiments: list: %w", err)
		}
		for _, b := range blobs {
			after = b.Key
			var e Experiment
			if err := json.Unmarshal(b.Value, &e); err != nil {
				return fmt.Errorf("experiments: decode %s: %w", b.Key, err)
			}
			exps[e.ID] = &e
			ids = append(ids, e.ID)
		}
		if !more {
			break
		}
	}
	slices.Sort(ids)
	m.mu.Lock()
	m.exps, m.ids, m.secret = exps, ids, secret
	m.mu.Unlock()
	return nil
}

// loadSecret reads the signing secret, making it on first use. Two
// replicas starting at once on a new store would each make one and sign
// with different secrets: the first stored wins and the other reads it.
func (m *Manager) loadSecret(ctx context.Context) ([]byte, error) {
	secret, version, err := m.st.GetBlobVersion(ctx, Namespace, keySecret)
	if err != nil {
		return nil, fmt.Errorf("experiments: read the signing secret: %w", err)
	}
	if len(secret) >= 32 {
		return secret, nil
	}
	fresh := make([]byte, 32)
	if _, err := io.ReadFull(m.rand, fresh); err != nil {
		return nil, fmt.Errorf("experiments: make a signing secret: %w", err)
	}
	ok, err := m.st.PutBlobIf(ctx, Namespace, keySecret, fresh, version)
	if err != nil {
		return nil, fmt.Errorf("experiments: save the signing secret: %w", err)
	}
	if ok {
		return fresh, nil
	}
	if secret, _, err = m.st.GetBlobVersion(ctx, Namespace, keySecret); err != nil {
		return nil, fmt.Errorf("experiments: read the signing secret: %w", err)
	}
	if len(secret) < 32 {
		return nil, fmt.Errorf("experiments: the signing secret another replica stored has %d bytes", len(secret))
	}
	return secret, nil
}

// Running returns the experiment that assigns shoppers, or nil. Should
// replicas have raced two into running (stores from before the "running"
// blob), the newest applies.
func (m *Manager) Running() *Experiment {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i := len(m.ids) - 1; i >= 0; i-- {
		if e := m.exps[m.ids[i]]; e.Running() {
			return e
		}
	}
	return nil
}

// Get returns an experiment by ID.
func (m *Manager) Get(id string) (*Experiment, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.exps[id]
	return e, ok
}

// List returns up to first experiments created after the one with ID
// after ("" from the start), oldest first, and whether more follow.
func (m *Manager) List(after string, first int) ([]*Experiment, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i, _ := slices.BinarySearch(m.ids, after)
	if i < len(m.ids) && m.ids[i] == after {
		i++
	}
	end := min(len(m.ids), i+first)
	out := make([]*Experiment, 0, end-i)
	for _, id := range m.ids[i:end] {
		out = append(out, m.exps[id])
	}
	return out, end < len(m.ids)
}

// Create validates and stores an experiment, which starts running at once.
// Only one runs at a time, across replicas: while another runs, it is
// refused with DUPLICATE. The check and the write are one compare-and-swap
// of the "running" blob, which names the experiment created last; of two
// replicas creating at once, one stores its experiment and the other looks
// again, finds it running and is refused.
func (m *Manager) Create(ctx context.Context, in Input) (*Experiment, []shop.UserError, error) {
	if errs := Validate(in); errs != nil {
		return nil, errs, nil
	}
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	for attempt := range store.MaxSwapAttempts {
		last, version, err := m.st.GetBlobVersion(ctx, Namespace, keyRunning)
		if err != nil {
			return nil, nil, fmt.Errorf("create experiment: %w", err)
		}
		r, err := m.storedRunning(ctx, string(last), version)
		if err != nil {
			return nil, nil, fmt.Errorf("create experiment: %w", err)
		}
		if r != nil {
			return nil, []shop.UserError{{Field: []string{"input"}, Code: shop.CodeDuplicate,
				Message: fmt.Sprintf("experiment %s (%q) is running; stop it first: one experiment runs at a time", r.ID, r.Name)}}, nil
		}
		// The cap counts what this replica holds: catch up first when the
		// experiment created last is not among it (its bus lags).
		if _, known := m.Get(string(last)); len(last) > 0 && !known {
			if err := m.reload(ctx); err != nil {
				return nil, nil, err
			}
		}
		m.mu.RLock()
		n := len(m.ids)
		m.mu.RUnlock()
		if n >= MaxExperiments {
			return nil, []shop.UserError{{Field: []string{"input"}, Code: shop.CodeTooLarge,
				Message: fmt.Sprintf("at most %d experiments are kept", MaxExperiments)}}, nil
		}
		e, err := m.newExperiment(in, string(last))
		if err != nil {
			return nil, nil, err
		}
		b, err := json.Marshal(e)
		if err != nil {
			return nil, nil, fmt.Errorf("experiment %s: %w", e.ID, err)
		}
		ok, err := m.st.PutBlobIf(ctx, Namespace, keyRunning, []byte(e.ID), version, store.Blob{Key: keyExperiment + e.ID, Value: b})
		if err != nil {
			return nil, nil, fmt.Errorf("experiment %s: %w", e.ID, err)
		}
		if ok {
			m.remember(e)
			return e, nil, nil
		}
		// Another replica created one first: catch up and look again.
		if err := m.reload(ctx); err != nil {
			return nil, nil, err
		}
		if err := store.SwapBackoff(ctx, attempt); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, fmt.Errorf("create experiment: %w", store.ErrContended)
}

// storedRunning returns the running experiment as the store has it: the
// one the "running" blob names, if it was not stopped since. A store from
// before that blob (version 0) has none: then the newest stored experiment
// that runs.
func (m *Manager) storedRunning(ctx context.Context, last string, version int64) (*Experiment, error) {
	if version != 0 {
		if last == "" {
			return nil, nil
		}
		e, _, err := m.stored(ctx, last)
		if err != nil || e == nil || !e.Running() {
			return nil, err
		}
		return e, nil
	}
	var running *Experiment
	after := ""
	for {
		blobs, more, err := m.st.ListBlobs(ctx, Namespace, keyExperiment, after, 200)
		if err != nil {
			return nil, fmt.Errorf("list experiments: %w", err)
		}
		for _, b := range blobs {
			after = b.Key
			var e Experiment
			if err := json.Unmarshal(b.Value, &e); err != nil {
				return nil, fmt.Errorf("decode %s: %w", b.Key, err)
			}
			if e.Running() {
				running = &e // keys sort by creation: the last one is the newest
			}
		}
		if !more {
			return running, nil
		}
	}
}

// stored reads one experiment from the store, with its blob's version;
// nil when there is none.
func (m *Manager) stored(ctx context.Context, id string) (*Experiment, int64, error) {
	b, version, err := m.st.GetBlobVersion(ctx, Namespace, keyExperiment+id)
	if err != nil || version == 0 {
		return nil, 0, err
	}
	var e Experiment
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, 0, fmt.Errorf("decode experiment %s: %w", id, err)
	}
	return &e, version, nil
}

// newExperiment makes a running experiment with a fresh ID. last is the ID
// of the experiment created last across replicas, which this replica may
// not have loaded yet.
func (m *Manager) newExperiment(in Input, last string) (*Experiment, error) {
	now := m.now().UTC()
	var rnd [4]byte
	if _, err := io.ReadFull(m.rand, rnd[:]); err != nil {
		return nil, fmt.Errorf("create experiment: %w", err)
	}
	// Creation time first, so that IDs (and blob keys) sort by creation.
	// Two experiments created in the same millisecond (or after the clock
	// stepped back) would otherwise sort by their random tail, so the stamp
	// is kept strictly above the newest stored one.
	stamp := now.UnixMilli()
	m.mu.RLock()
	newest := last
	if k := len(m.ids); k > 0 && m.ids[k-1] > newest {
		newest = m.ids[k-1]
	}
	m.mu.RUnlock()
	if len(newest) >= 13 {
		if prev, err := strconv.ParseInt(newest[1:13], 16, 64); err == nil && stamp <= prev {
			stamp = prev + 1
		}
	}
	e := &Experiment{ID: fmt.Sprintf("x%012x%s", stamp, hex.EncodeToString(rnd[:])), Name: in.Name,
		Status: StatusRunning, CreatedAt: now}
	for _, a := range in.Arms {
		e.Arms = append(e.Arms, Arm(a))
	}
	return e, nil
}

// maxIDBytes bounds the IDs Stop looks up in the store (they are 21 bytes).
const maxIDBytes = 64

// Stop ends an experiment: shoppers are no longer assigned, and its report
// keeps the counts (outcomes of recommendations it served still count).
// It reads and swaps the stored experiment, so that it stops what the
// store holds, also one another replica created a moment ago.
func (m *Manager) Stop(ctx context.Context, id string) (*Experiment, []shop.UserError, error) {
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	notFound := []shop.UserError{{Field: []string{"id"}, Code: shop.CodeNotFound, Message: fmt.Sprintf("no experiment %q", id)}}
	if id == "" || len(id) > maxIDBytes {
		return nil, notFound, nil
	}
	for attempt := range store.MaxSwapAttempts {
		e, version, err := m.stored(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("stop experiment: %w", err)
		}
		if e == nil {
			return nil, notFound, nil
		}
		if !e.Running() {
			return m.remember(e), nil, nil
		}
		now := m.now().UTC()
		e.Status, e.StoppedAt = StatusStopped, &now
		b, err := json.Marshal(e)
		if err != nil {
			return nil, nil, fmt.Errorf("experiment %s: %w", e.ID, err)
		}
		ok, err := m.st.PutBlobIf(ctx, Namespace, keyExperiment+e.ID, b, version)
		if err != nil {
			return nil, nil, fmt.Errorf("experiment %s: %w", e.ID, err)
		}
		if ok {
			return m.remember(e), nil, nil
		}
		if err := store.SwapBackoff(ctx, attempt); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, fmt.Errorf("stop experiment: %w", store.ErrContended)
}

// remember puts a stored experiment in memory and returns the copy held:
// the one already there when it is unchanged.
func (m *Manager) remember(e *Experiment) *Experiment {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.exps[e.ID]
	if !ok {
		m.ids = append(m.ids, e.ID)
		slices.Sort(m.ids)
	} else if old.Status == e.Status && ptrEqual(old.StoppedAt, e.StoppedAt) {
		return old
	}
	m.exps[e.ID] = e
	return e
}

func ptrEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
