package recommend

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/shopmuse/shopmuse/shop"
)

// The session retriever answers "what do shoppers look at next?": from the
// items of the user's current session (events no more than SessionGap
// apart, the last one no older than SessionGap), it proposes the items other
// shoppers moved on to from them within their own sessions. Item-CF knows
// what goes together over whole histories; this knows what follows within
// minutes, which is what a shopper comparing phones right now wants.

// transition is one observed step a→b inside a session, weighted by how
// close b followed a (1 for the next distinct item, 1/2 for the one after).
type transition struct {
	from, to int32
	w        float32
}

// sessionLookahead is how many following distinct items of a session each
// item is linked to; sessionUserEvents caps the events of one user that
// count, so a heavy user cannot dominate the transition counts.
const (
	sessionLookahead  = 3
	sessionUserEvents = 500
)

// sessionTransitions appends the within-session steps of one user's events
// (ascending by time) to out.
func sessionTransitions(events []event, gap int64, out []transition) []transition {
	if len(events) > sessionUserEvents {
		events = events[len(events)-sessionUserEvents:]
	}
	// recent holds the last distinct items of the running session, newest last.
	var recent [sessionLookahead]struct {
		item int32
		t    int64
	}
	n := 0
	for _, ev := range events {
		if n > 0 && ev.t-recent[n-1].t > gap {
			n = 0 // a new session
		}
		if n > 0 && recent[n-1].item == ev.item {
			recent[n-1].t = ev.t // the funnel of one item (view, click, cart) is one step
			continue
		}
		for k := 0; k < n; k++ {
			if p := recent[n-1-k]; p.item != ev.item {
				out = append(out, transition{p.item, ev.item, 1 / float32(k+1)})
			}
		}
		if n == sessionLookahead {
			copy(recent[:], recent[1:])
			n--
		}
		recent[n].item, recent[n].t = ev.item, ev.t
		n++
	}
	return out
}

// trainSessions turns the transitions into each item's top successors by
// shrunk conditional frequency: w(a→b) / (w(a→·) + shrink), so a step seen
// once from a rarely-left item does not outrank a habit of thousands.
func trainSessions(ctx context.Context, nItems int, trans []transition, cfg *Config) ([][]nbr, error) {
	slices.SortFunc(trans, func(a, b transition) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	out := make([][]nbr, nItems)
	top := newNbrTop(cfg.CFNeighbours)
	for lo := 0; lo < len(trans); {
		if lo%65536 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("recommend: session model: %w", ctx.Err())
		}
		from := trans[lo].from
		hi := lo
		var total float64
		for hi < len(trans) && trans[hi].from == from {
			total += float64(trans[hi].w)
			hi++
		}
		top.Reset()
		for i := lo; i < hi; {
			to := trans[i].to
			var w float64
			for ; i < hi && trans[i].to == to; i++ {
				w += float64(trans[i].w)
			}
			s := float32(w / (total + cfg.CFShrink))
			top.Push(nbr{to, s}, float64(s))
		}
		if int(from) < nItems {
			out[from] = top.Sorted()
		}
		lo = hi
	}
	return out, nil
}

// sessionItems returns the distinct items of the user's current session,
// most recent first, at most SessionItems; none when the last event is
// older than SessionGap.
func (e *Engine) sessionItems(q *Query) []int32 {
	gap := int64(e.cfg.SessionGap.Seconds())
	evs := q.user.events
	if len(evs) == 0 || q.now-evs[len(evs)-1].t > gap {
		return nil
	}
	var items []int32
	last := evs[len(evs)-1].t
	for k := len(evs) - 1; k >= 0 && len(items) < e.cfg.SessionItems; k-- {
		ev := evs[k]
		if last-ev.t > gap {
			break
		}
		last = ev.t
		if !slices.Contains(items, ev.item) {
			items = append(items, ev.item)
		}
	}
	return items
}

type sessionRetriever struct{ e *Engine }

func (sessionRetriever) Name() string { return RetrieverSession }

// sessionDecay weighs the session's items: the latest counts most.
const sessionDecay = 0.7

func (r sessionRetriever) Retrieve(_ context.Context, q *Query) []Candidate {
	e := r.e
	cf := e.models.Load().cf
	if cf == nil || cf.next == nil {
		return nil
	}
	items := e.sessionItems(q)
	type acc struct {
		score, best float64
		sim         float32
		src         string
	}
	scores := map[string]acc{}
	for h, it := range items {
		id := q.user.itemIDs[it]
		i, ok := cf.idx[id]
		if !ok {
			continue
		}
		w := math.Pow(sessionDecay, float64(h))
		for _, nb := range cf.next[i] {
			j := cf.ids[nb.j]
			a := scores[j]
			s := w * float64(nb.s)
			a.score += s
			if s > a.best {
				a.best, a.src, a.sim = s, id, nb.s
			}
			scores[j] = a
		}
	}
	out := make([]Candidate, 0, len(scores))
	for id, a := range scores {
		out = append(out, Candidate{ItemID: id, Score: a.score})
	}
	out = sortCandidates(out)
	kept := out[:0]
	for _, c := range out {
		if len(kept) == q.retrieveN {
			break
		}
		if !e.fresh(q, c.ItemID) {
			continue
		}
		a := scores[c.ItemID]
		if cf.citeNext.cites(e.topCategory(a.src), e.topCategory(c.ItemID), a.sim) {
			c.Reason = sessionReason(q.Language, a.src, titleOf(e.ds, a.src))
			c.Reason.Strength = float64(a.sim)
		} else {
			c.Reason = e.fallbackReason(q, c.ItemID)
		}
		kept = append(kept, c)
	}
	return kept
}

func sessionReason(lang shop.Language, relatedID, title string) Reason {
	return Reason{Kind: ReasonSession, RelatedItemID: relatedID,
		Message: pick(lang, fmt.Sprintf("看过「%s」的人接着看了", title), fmt.Sprintf("Shoppers who viewed “%s” looked at this next", title))}
}
