package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/review"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// Copy review use cases (issue 18 part 1). Reads (the queue, the audit log)
// go to App.Review directly; decisions and batch jobs come through here.

// ApproveCopy approves variants as actor. revisions (nil: none given) are
// the revisions of the words the reviewer read, one per ID; a variant whose
// words changed since is a CONFLICT and nothing is approved.
func (a *App) ApproveCopy(ctx context.Context, actor string, ids, revisions []string) ([]copywriter.Variant, []shop.UserError, error) {
	return a.Review.Approve(ctx, actor, ids, revisions)
}

// RejectCopy rejects variants as actor, with a reason; revisions as for
// ApproveCopy.
func (a *App) RejectCopy(ctx context.Context, actor string, ids, revisions []string, reason string) ([]copywriter.Variant, []shop.UserError, error) {
	return a.Review.Reject(ctx, actor, ids, revisions, reason)
}

// EditCopy replaces a variant's words and re-checks them against the
// product as it is now, with its approved image facts. revision, when
// given, is the revision of the words the editor started from.
func (a *App) EditCopy(ctx context.Context, actor, id string, revision, headline *string, text string) ([]copywriter.Variant, []shop.UserError, error) {
	return a.Review.Edit(ctx, actor, id, revision, headline, text, func(ctx context.Context, r *review.Record, v copywriter.Variant) ([]copywriter.Check, error) {
		p, err := a.Store.Product(ctx, r.ProductID)
		if err != nil {
			return nil, err
		}
		if p == nil {
			// The product is gone: nothing substantiates a claim, so
			// check against its ID alone (numbers and brands fail).
			p = &shop.Product{ID: r.ProductID, Language: r.Language}
		}
		// The persona contributes nothing a claim may rest on but an age,
		// and records keep only the segment: check without one.
		return a.Copy.Check(ctx, p, persona.Persona{}, r.Channel, r.Language, v)
	})
}

// Batch limits: one job runs at a time, over at most MaxBatchProducts
// products, on up to every channel, for at most MaxBatchPersonas personas.
const (
	MaxBatchProducts = 500
	MaxBatchPersonas = 5
	keptBatchJobs    = 20
	batchNamespace   = "copybatch"
)

// Batch job states.
const (
	BatchRunning   = "RUNNING"
	BatchCompleted = "COMPLETED"
	BatchFailed    = "FAILED"
	BatchCancelled = "CANCELLED"
)

// CopyBatchJob is a background job writing copy into the review queue.
type CopyBatchJob struct {
	ID         string     `json:"id"`
	State      string     `json:"state"`
	Total      int        `json:"total"`
	Done       int        `json:"done"`
	Failed     int        `json:"failed"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	Error      *string    `json:"error,omitempty"`
}

// batchJobs are this replica's jobs: the running one and the last few.
type batchJobs struct {
	mu      sync.Mutex
	running string
	jobs    map[string]*CopyBatchJob
	order   []string
	// changed is closed and replaced whenever a job changes.
	changed chan struct{}
}

func (b *batchJobs) init() {
	if b.jobs == nil {
		b.jobs, b.changed = map[string]*CopyBatchJob{}, make(chan struct{})
	}
}

func (b *batchJobs) update(id string, fn func(j *CopyBatchJob)) CopyBatchJob {
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.jobs[id]
	fn(j)
	close(b.changed)
	b.changed = make(chan struct{})
	return *j
}

// GenerateCopyBatch starts writing copy for every product passing filter
// (at most MaxBatchProducts), on each channel and for each persona (none:
// the generic reader), and registers every variant for review. Personas
// describe segments, so a user's persona (personal data) is refused.
func (a *App) GenerateCopyBatch(ctx context.Context, filter *shop.ProductFilter, channels []copywriter.Channel, personas []persona.Persona) (*CopyBatchJob, []shop.UserError, error) {
	var ues []shop.UserError
	seenCh := map[copywriter.Channel]bool{}
	var chs []copywriter.Channel
	for i, ch := range channels {
		if !ch.Valid() {
			ues = append(ues, shop.UserError{Field: []string{"channels", strconv.Itoa(i)}, Code: shop.CodeInvalid, Message: "not a copy channel"})
		} else if !seenCh[ch] {
			seenCh[ch] = true
			chs = append(chs, ch)
		}
	}
	if len(channels) == 0 {
		ues = append(ues, shop.UserError{Field: []string{"channels"}, Code: shop.CodeRequired, Message: "give at least one channel"})
	}
	if len(personas) > MaxBatchPersonas {
		ues = append(ues, shop.UserError{Field: []string{"personas"}, Code: shop.CodeTooLarge, Message: fmt.Sprintf("at most %d personas", MaxBatchPersonas)})
	}
	if len(ues) > 0 {
		return nil, ues, nil
	}
	if len(personas) == 0 {
		personas = []persona.Persona{{}}
	}
	page, err := a.Store.ListProducts(ctx, MaxBatchProducts, "", filter)
	if err != nil {
		return nil, nil, err
	}
	products := page.Items
	if page.HasNext {
		return nil, []shop.UserError{{Field: []string{"filter"}, Code: shop.CodeTooLarge,
			Message: fmt.Sprintf("more than %d products pass the filter; narrow it (a category, a brand)", MaxBatchProducts)}}, nil
	}
	if len(products) == 0 {
		return nil, []shop.UserError{{Field: []string{"filter"}, Code: shop.CodeNotFound, Message: "no product passes the filter"}}, nil
	}
	a.batches.mu.Lock()
	a.batches.init()
	if a.batches.running != "" {
		id := a.batches.running
		a.batches.mu.Unlock()
		return nil, []shop.UserError{{Code: shop.CodeDuplicate, Message: fmt.Sprintf("copy batch %s is still running; one runs at a time", id)}}, nil
	}
	dctx, done, err := a.detach(ctx)
	if err != nil {
		a.batches.mu.Unlock()
		return nil, nil, err
	}
	var rb [8]byte
	_, _ = rand.Read(rb[:])
	job := &CopyBatchJob{ID: "cb_" + hex.EncodeToString(rb[:]), State: BatchRunning, Total: len(products) * len(chs) * len(personas),
		StartedAt: a.cfg.Now().UTC()}
	a.batches.running = job.ID
	a.batches.jobs[job.ID] = job
	a.batches.order = append(a.batches.order, job.ID)
	for len(a.batches.order) > keptBatchJobs {
		delete(a.batches.jobs, a.batches.order[0])
		a.batches.order = a.batches.order[1:]
	}
	out := *job
	a.batches.mu.Unlock()
	go func() {
		defer done()
		a.runCopyBatch(dctx, job.ID, products, chs, personas)
	}()
	return &out, nil, nil
}

func (a *App) runCopyBatch(ctx context.Context, id string, products []shop.Product, chs []copywriter.Channel, personas []persona.Persona) {
	a.log.Info("copy batch started", "job", id, "products", len(products), "channels", len(chs), "personas", len(personas))
	var stopped error
loop:
	for i := range products {
		p := &products[i]
		for _, ch := range chs {
			for _, pe := range personas {
				if err := ctx.Err(); err != nil {
					stopped = err
					break loop
				}
				// As many variants as compete for a shopper, so these are
				// the variants shoppers of the segment will be served.
				res, err := a.Copy.Generate(ctx, copywriter.Request{Product: p, Persona: pe, Channel: ch, Variants: engage.DefaultVariants})
				if err == nil {
					err = a.Review.Register(ctx, &res, p)
				}
				if err != nil {
					a.log.Warn("copy batch item failed", "job", id, "product", p.ID, "channel", ch, "err", err)
				}
				a.batches.update(id, func(j *CopyBatchJob) {
					j.Done++
					if err != nil {
						j.Failed++
					}
				})
			}
		}
	}
	now := a.cfg.Now().UTC()
	final := a.batches.update(id, func(j *CopyBatchJob) {
		j.FinishedAt = &now
		switch {
		case stopped != nil:
			j.State = BatchCancelled
			msg := "stopped at shutdown"
			j.Error = &msg
		case j.Failed == j.Total:
			j.State = BatchFailed
			msg := "every item failed; see the log"
			j.Error = &msg
		default:
			j.State = BatchCompleted
		}
	})
	a.batches.mu.Lock()
	a.batches.running = ""
	a.batches.mu.Unlock()
	if b, err := json.Marshal(final); err == nil {
		// Kept so copyBatchJob answers after a restart or on another replica.
		if err := a.Store.PutBlobs(context.WithoutCancel(ctx), batchNamespace, []store.Blob{{Key: id, Value: b}}); err != nil {
			a.log.Warn("save copy batch job", "job", id, "err", err)
		}
	}
	a.log.Info("copy batch finished", "job", id, "state", final.State, "done", final.Done, "failed", final.Failed)
}

// CopyBatch returns a job, or nil.
func (a *App) CopyBatch(ctx context.Context, id string) (*CopyBatchJob, error) {
	a.batches.mu.Lock()
	if j, ok := a.batches.jobs[id]; ok {
		out := *j
		a.batches.mu.Unlock()
		return &out, nil
	}
	a.batches.mu.Unlock()
	b, ok, err := a.Store.GetBlob(ctx, batchNamespace, id)
	if err != nil || !ok {
		return nil, err
	}
	var j CopyBatchJob
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("copy batch job %s: %w", id, err)
	}
	return &j, nil
}

// WatchCopyBatch sends the job now and whenever it changes, until it
// finishes or ctx ends; nil when there is no such job.
func (a *App) WatchCopyBatch(ctx context.Context, id string) (<-chan CopyBatchJob, error) {
	j, err := a.CopyBatch(ctx, id)
	if err != nil || j == nil {
		return nil, err
	}
	out := make(chan CopyBatchJob, 1)
	go func() {
		defer close(out)
		last := -1
		for {
			a.batches.mu.Lock()
			a.batches.init()
			cur, live := a.batches.jobs[id]
			var snap CopyBatchJob
			if live {
				snap = *cur
			} else {
				snap = *j
			}
			changed := a.batches.changed
			a.batches.mu.Unlock()
			if snap.Done != last || snap.State != BatchRunning {
				last = snap.Done
				select {
				case out <- snap:
				case <-ctx.Done():
					return
				}
			}
			if snap.State != BatchRunning {
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// errNoVision is returned when image facts are asked for without a model.
var errNoVision = errors.New("no vision model is configured (SHOPMUSE_VISION_LLM or SHOPMUSE_LLM)")
