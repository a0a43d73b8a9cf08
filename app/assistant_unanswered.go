package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
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
// bound: questions are buffered in memory and merged into one blob per
// group every flush (its count, its most recent examples and the last time
// it was asked), each with store.UpdateBlob, a read-merge-swap that loses
// nothing another replica merged at the same time. At most
// MaxUnansweredGroups groups are kept; a group not asked for
// Config.UnansweredTTL drops out (flush and listing delete it); an example
// is clipped and has long numbers and e-mail addresses masked. Who asked
// is never recorded, so there is nothing to erase with a user.

const (
	// unansweredCountNS holds the counts written before they moved into
	// the group blobs: still added to their group, deleted with it.
	unansweredCountNS = "assistant-unanswered"
	unansweredInfoNS  = "assistant-unanswered-info"
	// MaxUnansweredGroups bounds the groups kept; questions of new groups
	// past it are counted in shopmuse_assistant_unanswered_dropped_total.
	MaxUnansweredGroups = 10_000
	// maxExamples per group (the most recent), each at most maxExampleRunes.
	maxExamples     = 3
	maxExampleRunes = 100
	maxTopicRunes   = 32
	// unansweredFlushEvery is how often the buffer goes to the store.
	unansweredFlushEvery = 30 * time.Second
	// DefaultUnansweredTTL is how long a group stays without being asked
	// (SHOPMUSE_UNANSWERED_TTL).
	DefaultUnansweredTTL = 90 * 24 * time.Hour
	// expiringGrace: a replica deleting an expired group marks it first
	// and deletes it right after; flushes leave a mark younger than this
	// alone, and treat an older one (its replica stopped) as no group.
	expiringGrace = time.Minute
	// KindUnanswered is the cursor kind of unansweredQuestions.
	KindUnanswered = "uq"
)

// UnansweredQuestion is one group: questions about one product (or none)
// and one topic that were answered UNKNOWN.
type UnansweredQuestion struct {
	ProductID string
	Topic     string
	Count     int
	// Examples are the most recent distinct questions, newest first.
	Examples    []string
	LastAskedAt time.Time
}

// UnansweredConnection pages through the groups, most asked first.
type (
	UnansweredConnection = pagination.Connection[UnansweredQuestion]
	UnansweredEdge       = pagination.Edge[UnansweredQuestion]
)

// unansweredExample is a question as kept (clipped, digits masked) and
// when it was last asked.
type unansweredExample struct {
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// unansweredInfo is a group's blob.
type unansweredInfo struct {
	Count int64 `json:"count"`
	// Recent are the most recent distinct examples, newest first.
	Recent []unansweredExample `json:"recent,omitempty"`
	Last   time.Time           `json:"last"`
	// Expiring marks a group a replica is deleting (it expired) since then.
	Expiring time.Time `json:"expiring,omitzero"`
	// Examples are those of a blob written before examples had times
	// (its count is a counter of unansweredCountNS); read only.
	Examples []string `json:"examples,omitempty"`
}

func decodeUnanswered(b []byte) (unansweredInfo, error) {
	var info unansweredInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return info, err
	}
	if len(info.Examples) > 0 {
		old := make([]unansweredExample, len(info.Examples))
		for i, e := range info.Examples {
			old[i] = unansweredExample{Text: e} // older than any new one
		}
		info.Recent = mergeExamples(info.Recent, old)
		info.Examples = nil
	}
	return info, nil
}

// live reports whether a stored group is listed: not being deleted, and
// asked at or after cutoff.
func (info unansweredInfo) live(cutoff time.Time) bool {
	return info.Expiring.IsZero() && !info.Last.Before(cutoff)
}

// mergeExamples is the most recent maxExamples distinct examples of a and
// b, newest first (a text in both keeps its later time).
func mergeExamples(a, b []unansweredExample) []unansweredExample {
	at := map[string]time.Time{}
	for _, e := range slices.Concat(a, b) {
		if t, ok := at[e.Text]; !ok || e.At.After(t) {
			at[e.Text] = e.At
		}
	}
	out := make([]unansweredExample, 0, len(at))
	for text, t := range at {
		out = append(out, unansweredExample{Text: text, At: t})
	}
	slices.SortFunc(out, func(x, y unansweredExample) int {
		if c := y.At.Compare(x.At); c != 0 {
			return c
		}
		return strings.Compare(x.Text, y.Text)
	})
	return out[:min(len(out), maxExamples)]
}

// pendingGroup is what this replica recorded of a group since its last
// flush.
type pendingGroup struct {
	n      int64
	recent []unansweredExample
	// first and last are when it was asked first and last.
	first, last time.Time
}

func (p *pendingGroup) add(q pendingGroup) {
	if p.n == 0 || q.first.Before(p.first) {
		p.first = q.first
	}
	p.n += q.n
	p.recent = mergeExamples(p.recent, q.recent)
	if q.last.After(p.last) {
		p.last = q.last
	}
}

type unansweredLog struct {
	mu sync.Mutex
	// known are the groups kept, with the last time each was asked as far
	// as this replica knows: those in the store (as of the last reload or
	// flush) and those pending. Their number is held to MaxUnansweredGroups.
	known   map[string]time.Time
	pending map[string]*pendingGroup
	dropped func()
}

func newUnansweredLog(dropped func()) *unansweredLog {
	return &unansweredLog{known: map[string]time.Time{}, pending: map[string]*pendingGroup{}, dropped: dropped}
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
	// Masked before it is clipped: a number cut at the clip would keep
	// the digits before the cut.
	ex := clipRunes(maskEmails(maskDigits(strings.Join(strings.Fields(stripControl(question)), " "))), maxExampleRunes)
	l.mu.Lock()
	defer l.mu.Unlock()
	last, ok := l.known[k]
	if !ok && len(l.known) >= MaxUnansweredGroups {
		if l.dropped != nil {
			l.dropped()
		}
		return
	}
	q := pendingGroup{n: 1, first: at, last: at}
	if ex != "" {
		q.recent = []unansweredExample{{Text: ex, At: at}}
	}
	p := l.pending[k]
	if p == nil {
		p = &pendingGroup{}
		l.pending[k] = p
	}
	p.add(q)
	if !ok || at.After(last) {
		l.known[k] = at
	}
}

// unansweredTTL is how long a group stays without being asked.
func (a *App) unansweredTTL() time.Duration {
	if a.cfg.UnansweredTTL > 0 {
		return a.cfg.UnansweredTTL
	}
	return DefaultUnansweredTTL
}

// errGroupExpiring: another replica is deleting the group; its questions
// wait for the next flush, which creates it anew.
var errGroupExpiring = errors.New("the unanswered-question group is being deleted")

// mergeUnanswered is the group blob after p is merged into cur (exists:
// there is one). A group that had expired when p was first asked (not
// asked for ttl before) starts anew; one being deleted is errGroupExpiring.
func mergeUnanswered(cur []byte, exists bool, p pendingGroup, now time.Time, ttl time.Duration) ([]byte, error) {
	b, _, err := mergeUnansweredGroup(cur, exists, p, now, ttl)
	return b, err
}

// mergeUnansweredGroup is mergeUnanswered, and reports whether a stored
// group was replaced by a new one (whose count an older counter of
// unansweredCountNS must then no longer add to).
func mergeUnansweredGroup(cur []byte, exists bool, p pendingGroup, now time.Time, ttl time.Duration) ([]byte, bool, error) {
	var info unansweredInfo
	anew := false
	if exists {
		var err error
		if info, err = decodeUnanswered(cur); err != nil {
			info, anew = unansweredInfo{}, true // unreadable: replaced
		}
		switch {
		case !info.Expiring.IsZero() && now.Sub(info.Expiring) < expiringGrace:
			return nil, false, errGroupExpiring
		case !info.Expiring.IsZero() || info.Last.Before(p.first.Add(-ttl)):
			info, anew = unansweredInfo{}, true
		}
	}
	info.Count += p.n
	info.Recent = mergeExamples(info.Recent, p.recent)
	if p.last.After(info.Last) {
		info.Last = p.last
	}
	b, err := json.Marshal(info)
	return b, anew, err
}

// flushUnanswered merges the buffered questions into the stored groups
// and deletes the groups that expired. A group that fails stays buffered
// for the next try. Questions about products deleted since (on any
// replica) are dropped.
func (a *App) flushUnanswered(ctx context.Context) error {
	l := a.unanswered
	now := a.Store.Now()
	cutoff := now.Add(-a.unansweredTTL())
	l.mu.Lock()
	pending := l.pending
	l.pending = map[string]*pendingGroup{}
	var expired []string
	for k, last := range l.known {
		if last.Before(cutoff) && pending[k] == nil {
			expired = append(expired, k)
			delete(l.known, k)
		}
	}
	l.mu.Unlock()
	var errs []error
	for _, k := range expired {
		if err := a.expireUnanswered(ctx, k, cutoff); err != nil {
			errs = append(errs, err)
		}
	}
	if len(pending) == 0 {
		return errors.Join(errs...)
	}
	gone, err := a.deletedProductsOf(ctx, pending)
	if err != nil {
		a.restoreUnanswered(pending)
		return errors.Join(append(errs, err)...)
	}
	keys := slices.Sorted(maps.Keys(pending))
	failed := map[string]*pendingGroup{}
	written := map[string]bool{} // the products of the groups written
	for i, k := range keys {
		p := pending[k]
		pid, _ := splitGroupKey(k)
		if gone[pid] || p.last.Before(cutoff) {
			continue // dropped: its product is gone, or it expired unflushed
		}
		anew := false
		err := store.UpdateBlob(ctx, a.Store, unansweredInfoNS, k, func(cur []byte, exists bool) ([]byte, error) {
			b, replaced, err := mergeUnansweredGroup(cur, exists, *p, now, a.unansweredTTL())
			anew = replaced
			return b, err
		})
		if err == nil && anew {
			// The group it replaced may have kept its count as a counter
			// (the questions are written: this group is not tried again).
			if err := a.dropOlderCount(ctx, k); err != nil {
				errs = append(errs, err)
			}
		}
		if errors.Is(err, errGroupExpiring) {
			failed[k] = p
			continue
		}
		if err != nil {
			for _, k := range keys[i:] {
				failed[k] = pending[k]
			}
			errs = append(errs, fmt.Errorf("flush unanswered group: %w", err))
			break
		}
		if pid != "" {
			written[pid] = true
		}
	}
	// A product deleted (on any replica) since it was looked up above may
	// have had its groups dropped before they were written: looked up
	// again, as its deletion (which comes before the drop) is then seen.
	if len(written) > 0 {
		if goneSince, err := a.goneProducts(ctx, slices.Sorted(maps.Keys(written))); err != nil {
			errs = append(errs, err)
		} else if len(goneSince) > 0 {
			if err := a.dropUnanswered(ctx, slices.Sorted(maps.Keys(goneSince))); err != nil {
				errs = append(errs, err)
			}
			maps.Copy(gone, goneSince)
		}
	}
	l.mu.Lock()
	for k := range pending {
		if pid, _ := splitGroupKey(k); gone[pid] {
			delete(l.known, k)
		}
	}
	l.mu.Unlock()
	a.restoreUnanswered(failed)
	return errors.Join(errs...)
}

// restoreUnanswered puts groups that were not flushed back into the buffer.
func (a *App) restoreUnanswered(groups map[string]*pendingGroup) {
	l := a.unanswered
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, p := range groups {
		if q := l.pending[k]; q != nil {
			q.add(*p)
		} else {
			l.pending[k] = p
		}
		if last, ok := l.known[k]; !ok || p.last.After(last) {
			l.known[k] = p.last
		}
	}
}

// deletedProductsOf returns the products of the groups that no longer
// exist (deleted, perhaps on another replica, since they were asked about).
func (a *App) deletedProductsOf(ctx context.Context, groups map[string]*pendingGroup) (map[string]bool, error) {
	var ids []string
	seen := map[string]bool{}
	for k := range groups {
		if pid, _ := splitGroupKey(k); pid != "" && !seen[pid] {
			seen[pid] = true
			ids = append(ids, pid)
		}
	}
	return a.goneProducts(ctx, ids)
}

// goneProducts returns those of ids that name no product.
func (a *App) goneProducts(ctx context.Context, ids []string) (map[string]bool, error) {
	gone := map[string]bool{}
	if len(ids) == 0 {
		return gone, nil
	}
	found, err := a.Store.Exist(ctx, true, ids)
	if err != nil {
		return nil, fmt.Errorf("flush unanswered questions: %w", err)
	}
	for i, ok := range found {
		if !ok {
			gone[ids[i]] = true
		}
	}
	return gone, nil
}

// expireUnanswered deletes a group not asked since before cutoff, unless
// it was asked since (on any replica). It marks the group first, in a swap
// of the version it read, so that no flush merges into it while it is
// deleted: a flush that came first makes the swap fail, and one that comes
// after sees the mark and waits for the next round.
func (a *App) expireUnanswered(ctx context.Context, k string, cutoff time.Time) error {
	cur, version, err := a.Store.GetBlobVersion(ctx, unansweredInfoNS, k)
	if err != nil {
		return fmt.Errorf("expire unanswered group: %w", err)
	}
	if version != 0 {
		info, err := decodeUnanswered(cur)
		now := a.Store.Now()
		if err == nil && info.live(cutoff) || !info.Expiring.IsZero() && now.Sub(info.Expiring) < expiringGrace {
			return nil // asked since, or another replica is deleting it
		}
		mark, err := json.Marshal(unansweredInfo{Last: info.Last, Expiring: now})
		if err != nil {
			return err
		}
		if ok, err := a.Store.PutBlobIf(ctx, unansweredInfoNS, k, mark, version); err != nil || !ok {
			return err
		}
	}
	// A count kept as a counter (before counts moved into the blob) goes
	// with it.
	if err := a.dropOlderCount(ctx, k); err != nil {
		return fmt.Errorf("expire unanswered group: %w", err)
	}
	if version == 0 {
		return nil
	}
	if err := a.Store.DeleteBlob(ctx, unansweredInfoNS, k); err != nil {
		return fmt.Errorf("expire unanswered group: %w", err)
	}
	return nil
}

// dropOlderCount removes the count a group kept as a counter before counts
// moved into the blob: subtracted exactly, as a prefix would take longer
// keys too.
func (a *App) dropOlderCount(ctx context.Context, k string) error {
	counts, err := a.Store.Counters(ctx, unansweredCountNS, k)
	if err != nil {
		return fmt.Errorf("drop an unanswered group's older count: %w", err)
	}
	if n := counts[k]; n > 0 {
		if err := a.Store.AddCounters(ctx, unansweredCountNS, map[string]int64{k: -n}); err != nil {
			return fmt.Errorf("drop an unanswered group's older count: %w", err)
		}
	}
	return nil
}

// storedUnanswered reads every stored group under prefix ("" for all).
func (a *App) storedUnanswered(ctx context.Context, prefix string) (map[string]unansweredInfo, error) {
	out := map[string]unansweredInfo{}
	after := ""
	for {
		page, more, err := a.Store.ListBlobs(ctx, unansweredInfoNS, prefix, after, 1000)
		if err != nil {
			return nil, fmt.Errorf("read unanswered questions: %w", err)
		}
		for _, b := range page {
			if info, err := decodeUnanswered(b.Value); err == nil {
				out[b.Key] = info
			}
		}
		if !more || len(page) == 0 {
			return out, nil
		}
		after = page[len(page)-1].Key
	}
}

// ReloadUnanswered re-reads the known groups from the store (another
// replica may have added some, or deleted them). Buffered questions are
// kept.
func (a *App) ReloadUnanswered(ctx context.Context) error {
	return a.reloadUnanswered(ctx, []string{""})
}

// reloadUnanswered re-reads the groups under each prefix: a reload after
// another replica's flush reads only the groups it wrote.
func (a *App) reloadUnanswered(ctx context.Context, prefixes []string) error {
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	cutoff := a.Store.Now().Add(-a.unansweredTTL())
	for _, prefix := range prefixes {
		stored, err := a.storedUnanswered(ctx, prefix)
		if err != nil {
			return err
		}
		a.setKnownUnanswered(prefix, stored, cutoff)
	}
	return nil
}

// setKnownUnanswered replaces the known groups under prefix with the live
// ones of stored; pending groups stay known.
func (a *App) setKnownUnanswered(prefix string, stored map[string]unansweredInfo, cutoff time.Time) {
	l := a.unanswered
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.known {
		if strings.HasPrefix(k, prefix) && l.pending[k] == nil {
			delete(l.known, k)
		}
	}
	for k, info := range stored {
		if !info.live(cutoff) {
			continue
		}
		if last, ok := l.known[k]; !ok || info.Last.After(last) {
			l.known[k] = info.Last
		}
	}
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
	stored, err := a.storedUnanswered(ctx, "")
	if err != nil {
		return nil, err
	}
	legacy, err := a.Store.Counters(ctx, unansweredCountNS, "")
	if err != nil {
		return nil, err
	}
	cutoff := a.Store.Now().Add(-a.unansweredTTL())
	a.setKnownUnanswered("", stored, cutoff)
	all := make([]UnansweredQuestion, 0, len(stored))
	for k, info := range stored {
		if !info.live(cutoff) {
			// Expired (or marked by a replica that stopped): deleted here,
			// unless it was asked since it was read.
			if err := a.expireUnanswered(ctx, k, cutoff); err != nil {
				a.log.Warn("expire an unanswered-question group", "err", err)
			}
			continue
		}
		n := info.Count + legacy[k]
		if n <= 0 {
			continue
		}
		pid, topic := splitGroupKey(k)
		ex := make([]string, len(info.Recent))
		for i, e := range info.Recent {
			ex[i] = e.Text
		}
		all = append(all, UnansweredQuestion{ProductID: pid, Topic: topic, Count: int(n), Examples: ex, LastAskedAt: info.Last})
	}
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
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 {
			return nil, pagination.ErrBadCursor
		}
		// Clamped before the step past it: a forged position near the
		// largest int would wrap around to a negative start.
		start = min(n, len(all)) + 1
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

// maskDigits hides numbers of 6 or more digits (phone, order and card
// numbers a shopper may have typed) in a stored example: digits of any
// script (a Chinese keyboard types full-width ones), also when written in
// groups joined by a few separators ("138-1234-5678", "138 1234 5678").
func maskDigits(s string) string {
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if !unicode.IsDigit(rs[i]) {
			i++
			continue
		}
		// The number starting at i ends at its last digit.
		digits, end := 0, i
		for j := i; j < len(rs); {
			if unicode.IsDigit(rs[j]) {
				digits++
				j++
				end = j
				continue
			}
			k := j
			for k < len(rs) && k-j < maxNumberGap && strings.ContainsRune(numberSeparators, rs[k]) {
				k++
			}
			if k == j || k == len(rs) || !unicode.IsDigit(rs[k]) {
				break
			}
			j = k
		}
		if digits >= 6 {
			for k := i; k < end; k++ {
				if unicode.IsDigit(rs[k]) {
					rs[k] = '*'
				}
			}
		}
		i = end
	}
	return string(rs)
}

// emailPattern matches an e-mail address a shopper may have typed.
var emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+*-]+[@＠][A-Za-z0-9*-]+(\.[A-Za-z0-9*-]+)+`)

// maskEmails hides e-mail addresses in a stored example.
func maskEmails(s string) string { return emailPattern.ReplaceAllLiteralString(s, "***@***") }

// numberSeparators may join the digit groups of one number, at most
// maxNumberGap of them between two groups ("(010) 1234").
const (
	numberSeparators = " -./()+－‐–—"
	maxNumberGap     = 3
)

// dropUnanswered forgets the unanswered-question groups of deleted
// products: in memory, buffered, and in the store (also groups only
// another replica has seen), so that they leave the merchant's list and
// free their place under MaxUnansweredGroups. Another replica's buffered
// questions about them are dropped at its flush (the product is gone).
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
