package app

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/store"
)

// What shoppers asked and the catalogue could not answer: UNKNOWN answers,
// grouped by product and topic. Asking is cheap and anyone with a catalog
// key may ask, so recording must neither write per request nor grow without
// bound: counts are buffered in memory and added to store counters (which
// sum across replicas) every flush, with the examples and the last time in
// one blob per group; at most MaxUnansweredGroups groups are kept, and an
// example is clipped and has long digit runs masked. Who asked is never
// recorded, so there is nothing to erase with a user.

const (
	unansweredCountNS = "assistant-unanswered"
	unansweredInfoNS  = "assistant-unanswered-info"
	// MaxUnansweredGroups bounds the groups kept; questions of new groups
	// past it are counted in shopmuse_assistant_unanswered_dropped_total.
	MaxUnansweredGroups = 10_000
	// maxExamples per group, each at most maxExampleRunes.
	maxExamples     = 3
	maxExampleRunes = 100
	maxTopicRunes   = 32
	// unansweredFlushEvery is how often the buffer goes to the store.
	unansweredFlushEvery = 30 * time.Second
	// KindUnanswered is the cursor kind of unansweredQuestions.
	KindUnanswered = "uq"
)

// UnansweredQuestion is one group: questions about one product (or none)
// and one topic that were answered UNKNOWN.
type UnansweredQuestion struct {
	ProductID   string
	Topic       string
	Count       int
	Examples    []string
	LastAskedAt time.Time
}

// UnansweredConnection pages through the groups, most asked first.
type (
	UnansweredConnection = pagination.Connection[UnansweredQuestion]
	UnansweredEdge       = pagination.Edge[UnansweredQuestion]
)

// unansweredInfo is a group's blob.
type unansweredInfo struct {
	Examples []string  `json:"examples"`
	Last     time.Time `json:"last"`
}

type unansweredLog struct {
	mu sync.Mutex
	// known are the groups in the store (as of the last reload or flush),
	// with their examples; pending the counts and examples not yet flushed.
	known   map[string]unansweredInfo
	pending map[string]int64
	dirty   map[string]bool
	dropped func()
}

func newUnansweredLog(dropped func()) *unansweredLog {
	return &unansweredLog{known: map[string]unansweredInfo{}, pending: map[string]int64{}, dirty: map[string]bool{}, dropped: dropped}
}

func groupKey(productID, topic string) string { return productID + "\x1f" + topic }

func splitGroupKey(k string) (productID, topic string) {
	productID, topic, _ = strings.Cut(k, "\x1f")
	return productID, topic
}

// record counts one unanswered question. It only touches memory.
func (l *unansweredLog) record(productID, topic, question string, at time.Time) {
	topic = clipRunes(strings.TrimSpace(stripControl(topic)), maxTopicRunes)
	if topic == "" {
		topic = "other"
	}
	k := groupKey(productID, topic)
	ex := maskDigits(clipRunes(strings.Join(strings.Fields(stripControl(question)), " "), maxExampleRunes))
	l.mu.Lock()
	defer l.mu.Unlock()
	info, ok := l.known[k]
	if !ok && len(l.known) >= MaxUnansweredGroups {
		if l.dropped != nil {
			l.dropped()
		}
		return
	}
	l.pending[k]++
	if ex != "" && len(info.Examples) < maxExamples && !slices.Contains(info.Examples, ex) {
		info.Examples = append(info.Examples, ex)
	}
	info.Last = at
	l.known[k] = info
	l.dirty[k] = true
}

// flush adds the buffered counts to the store and writes the changed
// groups' examples. On failure the counts stay buffered for the next try.
func (a *App) flushUnanswered(ctx context.Context) error {
	l := a.unanswered
	l.mu.Lock()
	deltas, dirty := l.pending, l.dirty
	l.pending, l.dirty = map[string]int64{}, map[string]bool{}
	blobs := make([]store.Blob, 0, len(dirty))
	for k := range dirty {
		b, err := json.Marshal(l.known[k])
		if err != nil {
			l.mu.Unlock()
			return fmt.Errorf("encode unanswered group: %w", err)
		}
		blobs = append(blobs, store.Blob{Key: k, Value: b})
	}
	l.mu.Unlock()
	if len(deltas) == 0 && len(blobs) == 0 {
		return nil
	}
	restore := func() {
		l.mu.Lock()
		for k, d := range deltas {
			l.pending[k] += d
		}
		for k := range dirty {
			l.dirty[k] = true
		}
		l.mu.Unlock()
	}
	if err := a.Store.PutBlobs(ctx, unansweredInfoNS, blobs); err != nil {
		restore()
		return err
	}
	if err := a.Store.AddCounters(ctx, unansweredCountNS, deltas); err != nil {
		restore()
		return err
	}
	return nil
}

// ReloadUnanswered re-reads the known groups and their examples from the
// store (another replica may have added some). Buffered counts are kept.
func (a *App) ReloadUnanswered(ctx context.Context) error {
	known := map[string]unansweredInfo{}
	after := ""
	for {
		page, more, err := a.Store.ListBlobs(ctx, unansweredInfoNS, "", after, 1000)
		if err != nil {
			return fmt.Errorf("reload unanswered questions: %w", err)
		}
		for _, b := range page {
			var info unansweredInfo
			if json.Unmarshal(b.Value, &info) == nil {
				known[b.Key] = info
			}
		}
		if !more || len(page) == 0 {
			break
		}
		after = page[len(page)-1].Key
	}
	l := a.unanswered
	l.mu.Lock()
	for k := range l.dirty {
		// this replica's unflushed examples win until they are written
		known[k] = l.known[k]
	}
	l.known = known
	l.mu.Unlock()
	return nil
}

// flushUnansweredEvery flushes until ctx ends, and once more then.
func (a *App) flushUnansweredEvery(ctx context.Context) {
	t := time.NewTicker(unansweredFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// Detached: the last counts must reach the store on shutdown.
			if err := a.flushUnanswered(context.WithoutCancel(ctx)); err != nil {
				a.log.Warn("flush unanswered questions", "err", err)
			}
			return
		case <-t.C:
			if err := a.flushUnanswered(ctx); err != nil {
				a.log.Warn("flush unanswered questions", "err", err)
			}
		}
	}
}

// UnansweredQuestions pages through the groups, most asked first (then the
// most recent). The cursor is a position: the list is a report, and a group
// asked about between two pages may move.
func (a *App) UnansweredQuestions(ctx context.Context, first int, after string) (*UnansweredConnection, error) {
	if err := a.flushUnanswered(ctx); err != nil {
		return nil, err
	}
	if err := a.ReloadUnanswered(ctx); err != nil {
		return nil, err
	}
	counts, err := a.Store.Counters(ctx, unansweredCountNS, "")
	if err != nil {
		return nil, err
	}
	a.unanswered.mu.Lock()
	all := make([]UnansweredQuestion, 0, len(counts))
	for k, n := range counts {
		info := a.unanswered.known[k]
		pid, topic := splitGroupKey(k)
		all = append(all, UnansweredQuestion{ProductID: pid, Topic: topic, Count: int(n),
			Examples: slices.Clone(info.Examples), LastAskedAt: info.Last})
	}
	a.unanswered.mu.Unlock()
	slices.SortFunc(all, func(x, y UnansweredQuestion) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		if c := y.LastAskedAt.Compare(x.LastAskedAt); c != 0 {
			return c
		}
		return strings.Compare(groupKey(x.ProductID, x.Topic), groupKey(y.ProductID, y.Topic))
	})
	start := 0
	if after != "" {
		k, err := pagination.DecodeCursor(KindUnanswered, after)
		if err != nil {
			return nil, err
		}
		if _, err := fmt.Sscanf(k, "%d", &start); err != nil || start < 0 {
			return nil, pagination.ErrBadCursor
		}
		start++
	}
	start = min(start, len(all))
	end := min(start+first, len(all))
	pos := map[*UnansweredQuestion]int{}
	page := all[start:end]
	for i := range page {
		pos[&page[i]] = start + i
	}
	total := len(all)
	return pagination.NewConnection(page, KindUnanswered, func(q *UnansweredQuestion) string { return fmt.Sprint(pos[q]) },
		end < len(all), start > 0, func(context.Context) (int, error) { return total, nil }), nil
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func stripControl(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
}

// maskDigits hides runs of 6 or more digits (phone, order and card
// numbers a shopper may have typed) in a stored example.
func maskDigits(s string) string {
	rs := []rune(s)
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
			j++
		}
		if j-i >= 6 {
			for k := i; k < j; k++ {
				rs[k] = '*'
			}
		}
		i = max(j, i+1)
	}
	return string(rs)
}

// dropUnanswered forgets the unanswered-question groups of deleted
// products: in memory, buffered, and in the store (also groups only
// another replica has seen), so that they leave the merchant's list and
// free their place under MaxUnansweredGroups.
func (a *App) dropUnanswered(ctx context.Context, productIDs []string) error {
	if len(productIDs) == 0 {
		return nil
	}
	drop := map[string]bool{}
	for _, id := range productIDs {
		drop[id] = true
	}
	l := a.unanswered
	l.mu.Lock()
	for k := range l.known {
		if pid, _ := splitGroupKey(k); drop[pid] {
			delete(l.known, k)
			delete(l.pending, k)
			delete(l.dirty, k)
		}
	}
	l.mu.Unlock()
	for _, id := range productIDs {
		prefix := groupKey(id, "")
		if err := a.Store.DeleteBlobs(ctx, unansweredInfoNS, prefix); err != nil {
			return fmt.Errorf("drop unanswered groups of %q: %w", id, err)
		}
		if err := a.Store.DeleteCounters(ctx, unansweredCountNS, prefix); err != nil {
			return fmt.Errorf("drop unanswered counts of %q: %w", id, err)
		}
	}
	return nil
}
