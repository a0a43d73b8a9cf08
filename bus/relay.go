package bus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Message headers besides Nats-Msg-Id.
const (
	headerSeq  = "Shopmuse-Seq"
	headerAt   = "Shopmuse-At"
	headerPart = "Shopmuse-Part"
)

// relayBatch is how many outbox rows one read returns.
const relayBatch = 256

// Relay publishes the outbox to the stream. A replica signals it after each
// local write (Notify) so changes reach the others at once; the replica
// holding the sweep lease also relays periodically, for rows whose writer
// died before relaying them or could not reach NATS.
type Relay struct {
	b    *Bus
	ob   Outbox
	kick chan struct{}
	// mu makes this process's relay passes take turns: two at once would
	// publish the same rows twice (harmless, deduplicated) for nothing.
	mu sync.Mutex
	// OnPublish, when set, learns how many changes each pass published.
	OnPublish func(n int)
}

// NewRelay returns a relay of ob's changes to b.
func (b *Bus) NewRelay(ob Outbox) *Relay {
	return &Relay{b: b, ob: ob, kick: make(chan struct{}, 1)}
}

// Notify asks Run for a relay pass; it never blocks, and signals arriving
// during a pass coalesce into one more pass.
func (r *Relay) Notify() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run relays after each Notify until ctx ends. Errors are logged; the rows
// stay pending for the next pass or the sweep.
func (r *Relay) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		}
		if _, err := r.Relay(ctx); err != nil && ctx.Err() == nil {
			r.b.log.Warn("relay outbox: changes stay pending", "err", err)
		}
	}
}

// Sweep relays every interval until ctx ends: run it under a lease.
func (r *Relay) Sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := r.Relay(ctx); err != nil && ctx.Err() == nil {
			r.b.log.Warn("outbox sweep: changes stay pending", "err", err)
		} else if n > 0 {
			r.b.log.Debug("outbox sweep published leftovers", "changes", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Relay publishes every pending change, oldest first, and marks what it
// published. Each batch is published asynchronously and then its
// acknowledgements awaited: rows up to the first that failed are marked;
// that row and the ones after it stay pending (those that did reach the
// stream are deduplicated when published again).
func (r *Relay) Relay(ctx context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for {
		// From the start each time: the store returns only unpublished rows,
		// and a transaction that took a position earlier but committed
		// later must not be skipped by a cursor that moved past it.
		cs, err := r.ob.PendingChanges(ctx, 0, relayBatch)
		if err != nil {
			return total, fmt.Errorf("read outbox: %w", err)
		}
		if len(cs) == 0 {
			return total, nil
		}
		n, perr := r.publishBatch(ctx, cs)
		if n > 0 {
			if err := r.ob.MarkPublished(ctx, cs[n-1].Seq); err != nil {
				// Published but not marked: the next pass publishes them
				// again and the stream drops the duplicates.
				return total, errors.Join(perr, fmt.Errorf("mark outbox published: %w", err))
			}
			total += n
			if r.OnPublish != nil {
				r.OnPublish(n)
			}
		}
		if perr != nil {
			return total, perr
		}
		if len(cs) < relayBatch {
			return total, nil
		}
	}
}

// publishBatch publishes changes and returns how many, from the first,
// the stream acknowledged.
func (r *Relay) publishBatch(ctx context.Context, cs []Change) (int, error) {
	type sent struct {
		change int
		f      jetstream.PubAckFuture
	}
	var futures []sent
	var issueErr error
	issued := len(cs)
issue:
	for i, c := range cs {
		for _, m := range r.messages(c) {
			f, err := r.b.js.PublishMsgAsync(m.msg, jetstream.WithMsgID(m.id))
			if errors.Is(err, nats.ErrMaxPayload) {
				// A row that can never be published must not hold back the
				// ones after it. Replicas miss this change until they
				// restart from the store.
				r.b.log.Error("outbox change too large to publish: skipped", "seq", c.Seq, "kind", c.Kind, "bytes", len(m.msg.Data))
				continue
			}
			if err != nil {
				issueErr = fmt.Errorf("publish outbox change %d (%s): %w", c.Seq, c.Kind, err)
				issued = i
				break issue
			}
			futures = append(futures, sent{i, f})
		}
	}
	// Acknowledged in order up to the first failure.
	ok := issued
	timeout := time.NewTimer(publishTimeout)
	defer timeout.Stop()
	for _, s := range futures {
		if s.change >= ok {
			break
		}
		select {
		case <-s.f.Ok():
			continue
		case err := <-s.f.Err():
			issueErr = fmt.Errorf("publish outbox change %d (%s): %w", cs[s.change].Seq, cs[s.change].Kind, err)
		case <-timeout.C:
			issueErr = fmt.Errorf("publish outbox change %d (%s): no acknowledgement in %v", cs[s.change].Seq, cs[s.change].Kind, publishTimeout)
		case <-ctx.Done():
			issueErr = ctx.Err()
		}
		ok = s.change
		break
	}
	return ok, issueErr
}

// publishTimeout bounds the wait for a batch's acknowledgements.
const publishTimeout = 5 * time.Second

type outMsg struct {
	msg *nats.Msg
	id  string
}

// messages is one change as messages: in parts when it is too large for
// one, each with a message ID the stream deduplicates on.
func (r *Relay) messages(c Change) []outMsg {
	parts := split(c.Payload, maxPublishBytes)
	out := make([]outMsg, len(parts))
	for i, p := range parts {
		id := strconv.FormatInt(c.Seq, 10)
		if len(parts) > 1 {
			id += "." + strconv.Itoa(i)
		}
		m := nats.NewMsg(r.b.cfg.Stream + "." + c.Kind)
		m.Data = p
		m.Header.Set(headerSeq, strconv.FormatInt(c.Seq, 10))
		m.Header.Set(headerAt, c.At.UTC().Format(time.RFC3339Nano))
		if len(parts) > 1 {
			m.Header.Set(headerPart, strconv.Itoa(i)+"/"+strconv.Itoa(len(parts)))
		}
		out[i] = outMsg{m, id}
	}
	return out
}

// split cuts a payload over max bytes into several that mean the same
// change: a JSON array into shorter arrays, an object's "keys" array into
// objects with fewer keys. Anything else stays whole.
func split(payload []byte, max int) [][]byte {
	if len(payload) <= max {
		return [][]byte{payload}
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var items []json.RawMessage
		if json.Unmarshal(trimmed, &items) == nil {
			return chunk(items, max, func(part []json.RawMessage) []byte { b, _ := json.Marshal(part); return b })
		}
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(trimmed, &obj) == nil {
		var keys []json.RawMessage
		if json.Unmarshal(obj["keys"], &keys) == nil && len(keys) > 1 {
			return chunk(keys, max, func(part []json.RawMessage) []byte {
				o := make(map[string]json.RawMessage, len(obj))
				for k, v := range obj {
					o[k] = v
				}
				o["keys"], _ = json.Marshal(part)
				b, _ := json.Marshal(o)
				return b
			})
		}
	}
	return [][]byte{payload}
}

func chunk(items []json.RawMessage, max int, encode func([]json.RawMessage) []byte) [][]byte {
	var out [][]byte
	start, size := 0, 0
	for i, it := range items {
		if i > start && size+len(it)+1 > max-256 {
			out = append(out, encode(items[start:i]))
			start, size = i, 0
		}
		size += len(it) + 1
	}
	return append(out, encode(items[start:]))
}
