package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// Replicas. With Config.Bus set, several replicas share one store (one
// with an outbox: PostgreSQL) and keep their in-memory state (recommender,
// search index, embedded vectors) current from the bus:
//
//   - every write commits its outbox row in its own transaction; the
//     replica that wrote it relays the outbox right away, and the replica
//     holding the "outbox-sweep" lease relays leftovers every second;
//   - every replica consumes the stream from the position it read before
//     replaying the store at Open, and applies each change (applyChange);
//   - the replica holding the "trainer" lease trains in the background and
//     saves the snapshot to the store, and every replica loads it when its
//     "blob" change arrives;
//   - each campaign runs under its own lease (engage.Config.Lease).
//
// Applying is idempotent rather than skipping this replica's own changes,
// since a change may also arrive twice (a re-publish after the stream's
// duplicate window, the overlap between the replay and the stream) and an
// outbox row does not say which replica wrote it:
//
//   - interactions go through recommend.AddInteractionsOnce, which skips an
//     event the user already holds (same product, kind, second, value), and
//     the local write path uses it too, so whichever of the write and its
//     echo comes first counts it;
//   - products and users are re-read from the store and upserted, so the
//     last change applied leaves the store's current state;
//   - deletions and erasures remove what may already be gone;
//   - a model is loaded only when its version differs from the one served.

// ModelInfo says which trained model a replica serves.
type ModelInfo struct {
	// Version identifies the snapshot (a hash of its bytes): replicas
	// serving the same model show the same version. "" before any training.
	Version   string
	TrainedAt *time.Time
	// TrainedBy is the replica that trained it.
	TrainedBy string
	// Replica is the replica answering.
	Replica string
}

// The model blobs in a shared store: the snapshot, and what ModelInfo shows
// of it, written together in one transaction and one change (PutBlobs;
// with a bus a PutBlobIf of the info with the snapshot, see modelFence).
const (
	modelsSnapshotKey = "snapshot"
	modelsInfoKey     = "info"
)

type modelInfoBlob struct {
	Version   string    `json:"version"`
	TrainedAt time.Time `json:"trainedAt"`
	TrainedBy string    `json:"trainedBy"`
	// Generation counts the trainings saved (with a bus): a training saves
	// one more than the generation stored when it started (modelFence);
	// other saves of a model (after an erasure) keep its generation.
	Generation int64 `json:"generation,omitempty"`
}

// Leases the replicas share.
const (
	leaseTrainer = "trainer"
	leaseSweep   = "outbox-sweep"
)

// sweepEvery is how often the sweep relays what writers left pending.
const sweepEvery = time.Second

// replicaState is the App's part for replicas; zero without a bus.
type replicaState struct {
	bus      *bus.Bus
	relay    *bus.Relay
	consumer *bus.Consumer
	// model is what ModelInfo reports; modelReady says the replica serves
	// what it can (a model, or the end of its first training attempt).
	model      atomic.Pointer[modelInfoBlob]
	modelReady atomic.Bool
	// trainer is the trainer lease's context while this replica's
	// background trainer holds it: an explicit Train here trains under it.
	trainer atomic.Pointer[context.Context]
	// explicit is the trainer lease explicit Trains took here while
	// the background trainer did not hold it (explicitTrainerLease).
	explicitMu sync.Mutex
	explicit   *explicitLease
	// reloadMu serialises model loads from the bus.
	reloadMu sync.Mutex
	// reloads are the entries that re-read state another replica changed,
	// by blob namespace (ReloadOn).
	reloadsMu sync.Mutex
	reloads   map[string][]func(ctx context.Context, keys []string) error
	// resave asks resaveLoop to save the snapshot again if this replica
	// trained the one stored (an erasure arrived after its save).
	resave chan struct{}
	// trainMu makes this process's trainings (background and trainModels)
	// take turns from reading their fence to their save.
	trainMu sync.Mutex
	// saveMu makes this process's snapshot saves take turns, each taking
	// its snapshot under the lock: the last write is of the newest models
	// (an erasure's save cannot be overtaken by an older snapshot's).
	saveMu sync.Mutex
	// onApply, when set, learns each change applied and when (tests
	// measure freshness with it).
	onApply atomic.Pointer[func(c bus.Change, applied time.Time)]
}

func (r *replicaState) resaveIfOurs() {
	select {
	case r.resave <- struct{}{}:
	default:
	}
}

// resaveLoop saves the snapshot again after erasures reached models that
// still held the user, when the stored snapshot is this replica's: requests
// coalesce (a bulk erasure costs one save, or two), and the consumer never
// waits for a save.
func (a *App) resaveLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.rep.resave:
		}
		info, ok, err := a.storedModelInfo(ctx)
		if err != nil {
			a.log.Warn("after an erasure: read the stored model info", "err", err)
			continue
		}
		if !ok || info.TrainedBy != a.cfg.Replica {
			continue // another replica's (or none): its trainer re-saves
		}
		if err := a.saveSnapshot(ctx, nil); err != nil && ctx.Err() == nil {
			a.log.Error("after an erasure: save the model snapshot again", "err", err)
		}
	}
}

// watchOutbox keeps shopmuse_outbox_pending current, when the store can
// say: the outbox grows without bound while NATS is away (every write is
// kept), and this is the number to alert on.
func (a *App) watchOutbox(ctx context.Context) {
	sz, ok := a.Store.(interface {
		PendingCount(context.Context) (int64, error)
	})
	if !ok {
		if ns, isNotify := a.Store.(notifyStore); isNotify {
			sz, ok = ns.Store.(interface {
				PendingCount(context.Context) (int64, error)
			})
		}
	}
	if !ok {
		return
	}
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		if n, err := sz.PendingCount(ctx); err == nil {
			a.Metrics.OutboxPending.Set(float64(n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DefaultReplica names this process: the host name and process ID.
func DefaultReplica() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "shopmuse"
	}
	return h + "-" + strconv.Itoa(os.Getpid())
}

// snapshotVersion identifies a snapshot by its bytes.
func snapshotVersion(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// ModelInfo reports the model this replica serves.
func (a *App) ModelInfo() ModelInfo {
	info := ModelInfo{Replica: a.cfg.Replica}
	if m := a.rep.model.Load(); m != nil {
		info.Version, info.TrainedBy = m.Version, m.TrainedBy
		if !m.TrainedAt.IsZero() {
			t := m.TrainedAt
			info.TrainedAt = &t
		}
	}
	return info
}

// Ready reports whether the replica should take traffic: a model loaded
// (or its first training attempt over) and, with a bus, the stream applied
// up to where it stood at start. The reason says what is missing.
func (a *App) Ready() (bool, string) {
	if !a.rep.modelReady.Load() {
		return false, "loading the recommendation model"
	}
	if a.rep.consumer != nil && !a.rep.consumer.CaughtUp() {
		return false, "catching up with the bus"
	}
	return true, ""
}

// servesModel records the model now served.
func (a *App) servesModel(m modelInfoBlob) {
	a.rep.model.Store(&m)
	a.rep.modelReady.Store(true)
}

// openBus connects to the bus and reads the stream position to consume
// from, before the store is replayed: whatever is committed after the
// replay read it is published after that position. The store must keep an
// outbox.
func (a *App) openBus(ctx context.Context) error {
	ob, ok := a.Store.(store.Outbox)
	if !ok {
		return errors.New("app: SHOPMUSE_BUS needs a store shared by the replicas, with an outbox (SHOPMUSE_STORE=postgres://…)")
	}
	c := *a.cfg.Bus
	c.Replica, c.Log = a.cfg.Replica, a.log
	b, err := bus.Connect(ctx, c)
	if err != nil {
		return err
	}
	a.rep.bus = b
	a.rep.resave = make(chan struct{}, 1)
	after, err := b.LastSeq(ctx)
	if err != nil {
		return err
	}
	a.rep.relay = b.NewRelay(outbox{ob})
	a.rep.consumer = b.NewConsumer(after, a.applyChange)
	a.rep.consumer.OnApply = func(ch bus.Change) {
		now := time.Now()
		if !ch.At.IsZero() {
			a.Metrics.BusFreshness.Observe(now.Sub(ch.At).Seconds())
		}
		if f := a.rep.onApply.Load(); f != nil {
			(*f)(ch, now)
		}
	}
	a.rep.consumer.OnSkip = a.Metrics.BusSkipped.Inc
	// Every write through the App reaches the relay at once.
	a.Store = notifyStore{Store: a.Store, notify: a.rep.relay.Notify}
	a.log.Info("replica on the bus", "replica", a.cfg.Replica, "stream", c.Stream, "from", after)
	return nil
}

// runReplica is Run's part with a bus: consume, relay after writes, and the
// once-only roles under their leases.
func (a *App) runReplica(ctx context.Context) {
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){
		func(c context.Context) {
			if err := a.rep.consumer.Run(c); err != nil {
				a.log.Error("bus consumer stopped", "err", err)
			}
		},
		a.rep.relay.Run,
		func(c context.Context) {
			a.rep.bus.Hold(c, leaseSweep, func(c context.Context) { a.rep.relay.Sweep(c, sweepEvery) })
		},
		func(c context.Context) {
			a.rep.bus.Hold(c, leaseTrainer, func(held context.Context) {
				a.rep.trainer.Store(&held)
				defer a.rep.trainer.Store(nil)
				a.trainWhenDue(held)
			})
		},
		a.resaveLoop,
		a.watchOutbox,
	} {
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx) }()
	}
	// A write made before Run (Open's demo shop) is relayed now.
	a.rep.relay.Notify()
	wg.Wait()
}

// applyChange brings this replica's memory up to a change committed by any
// replica, itself included (see the top of this file).
func (a *App) applyChange(ctx context.Context, c bus.Change) error {
	switch c.Kind {
	case store.ChangeInteractions:
		var its []shop.Interaction
		if err := json.Unmarshal(c.Payload, &its); err != nil {
			return fmt.Errorf("decode interactions: %w: %w", bus.ErrMalformed, err)
		}
		return a.applyInteractions(ctx, its)
	case store.ChangeProducts:
		var ids []string
		if err := json.Unmarshal(c.Payload, &ids); err != nil {
			return fmt.Errorf("decode product IDs: %w: %w", bus.ErrMalformed, err)
		}
		return a.reloadProducts(ctx, ids)
	case store.ChangeProductsDeleted:
		var ids []string
		if err := json.Unmarshal(c.Payload, &ids); err != nil {
			return fmt.Errorf("decode product IDs: %w: %w", bus.ErrMalformed, err)
		}
		a.Store.ForgetProducts(ids)
		a.Recommend.DeleteProducts(ids)
		return a.Search.Delete(ctx, ids)
	case store.ChangeUsers:
		var ids []string
		if err := json.Unmarshal(c.Payload, &ids); err != nil {
			return fmt.Errorf("decode user IDs: %w: %w", bus.ErrMalformed, err)
		}
		us, err := a.Store.Users(ctx, ids)
		if err != nil {
			return err
		}
		var found []shop.User
		for _, u := range us {
			if u != nil {
				found = append(found, *u)
			}
		}
		return a.Recommend.UpsertUsers(found)
	case store.ChangeUserErased:
		var id string
		if err := json.Unmarshal(c.Payload, &id); err != nil {
			return fmt.Errorf("decode user ID: %w: %w", bus.ErrMalformed, err)
		}
		had := a.Recommend.DeleteUser(id)
		a.Engage.ForgetUser(id)
		if had {
			// The erasure was committed elsewhere while this replica's
			// models still held the user. If the snapshot in the store is
			// this replica's (it trained while the erasure committed, and
			// saved after the eraser did), it must be saved again without
			// them: the eraser's own save may have been overwritten.
			a.rep.resaveIfOurs()
		}
		return nil
	case store.ChangeBlob, store.ChangeBlobDeleted:
		var bc store.BlobChange
		if err := json.Unmarshal(c.Payload, &bc); err != nil {
			return fmt.Errorf("decode blob change: %w: %w", bus.ErrMalformed, err)
		}
		keys := bc.Keys
		if bc.Key != "" {
			keys = append(keys, bc.Key)
		}
		if bc.Prefix != nil {
			keys = append(keys, *bc.Prefix)
		}
		if c.Kind == store.ChangeBlobDeleted {
			return a.runReloads(ctx, bc.Namespace, keys)
		}
		if err := a.runReloads(ctx, bc.Namespace, keys); err != nil {
			return err
		}
		switch bc.Namespace {
		case modelsNS:
			for _, k := range keys {
				if k == modelsInfoKey {
					return a.reloadModel(ctx)
				}
			}
		case campaignNS:
			for _, k := range keys {
				if id, ok := strings.CutPrefix(k, campaignKeyPrefix); ok {
					if err := a.Engage.CampaignChanged(ctx, id); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	// counters: nothing here caches them. Copy-variant
	// counts are read from the store at each use (engage.Stats), so every
	// replica's impressions and outcomes add up there.
	return nil
}

// ReloadOn registers fn to run when another replica (or this one, through
// the bus) writes or deletes blobs of a namespace: the Reload entry of
// state kept in memory and derived from those blobs (rules, experiments,
// ...). keys are the keys written, or the key or prefix deleted. fn must
// be idempotent, like every apply. Without a bus it is never called.
func (a *App) ReloadOn(namespace string, fn func(ctx context.Context, keys []string) error) {
	a.rep.reloadsMu.Lock()
	defer a.rep.reloadsMu.Unlock()
	if a.rep.reloads == nil {
		a.rep.reloads = map[string][]func(context.Context, []string) error{}
	}
	a.rep.reloads[namespace] = append(a.rep.reloads[namespace], fn)
}

func (a *App) runReloads(ctx context.Context, namespace string, keys []string) error {
	a.rep.reloadsMu.Lock()
	fns := a.rep.reloads[namespace]
	a.rep.reloadsMu.Unlock()
	var errs []error
	for _, fn := range fns {
		if err := fn(ctx, keys); err != nil {
			errs = append(errs, fmt.Errorf("reload %s: %w", namespace, err))
		}
	}
	return errors.Join(errs...)
}

// The engage package's campaign blobs, whose changes reach watchers here.
const (
	campaignNS        = "campaign"
	campaignKeyPrefix = "c/"
)

// applyInteractions adds interactions another replica (or this one)
// recorded. Those of users erased since are dropped: the erasure may have
// overtaken them.
func (a *App) applyInteractions(ctx context.Context, its []shop.Interaction) error {
	if len(its) == 0 {
		return nil
	}
	var ids []string
	seen := map[string]bool{}
	for _, it := range its {
		if !seen[it.UserID] {
			seen[it.UserID] = true
			ids = append(ids, it.UserID)
		}
	}
	exist, err := a.Store.Exist(ctx, false, ids)
	if err != nil {
		return err
	}
	gone := map[string]bool{}
	for i, ok := range exist {
		if !ok {
			gone[ids[i]] = true
		}
	}
	if len(gone) > 0 {
		kept := its[:0:0]
		for _, it := range its {
			if !gone[it.UserID] {
				kept = append(kept, it)
			}
		}
		its = kept
	}
	_, err = a.Recommend.AddInteractionsOnce(its)
	return err
}

// reloadProducts re-reads changed products and updates the recommender's
// catalogue and the search index (and the embedded vectors); products
// deleted since are removed.
func (a *App) reloadProducts(ctx context.Context, ids []string) error {
	a.Store.ForgetProducts(ids)
	ps, err := a.Store.Products(ctx, ids)
	if err != nil {
		return err
	}
	var found []shop.Product
	var gone []string
	for i, p := range ps {
		if p == nil {
			gone = append(gone, ids[i])
		} else {
			found = append(found, *p)
		}
	}
	if len(gone) > 0 {
		a.Recommend.DeleteProducts(gone)
		if err := a.Search.Delete(ctx, gone); err != nil {
			return err
		}
	}
	if len(found) == 0 {
		return nil
	}
	if err := a.Recommend.UpsertProducts(found); err != nil {
		return err
	}
	if a.Images != nil {
		a.Images.Refresh(ctx, found) // the writing replica embeds
	}
	return a.Search.Upsert(ctx, found)
}

// reloadModel loads the snapshot the store holds when it is not the one
// served: another replica trained.
func (a *App) reloadModel(ctx context.Context) error { return a.loadStoredModel(ctx, false) }

// loadStoredModel loads the snapshot the store holds; unless force, only
// when it is not the one served. A training whose save was superseded
// forces it: its models replaced the engine's in memory, whatever the
// bus's change of the newer save loaded before.
func (a *App) loadStoredModel(ctx context.Context, force bool) error {
	a.rep.reloadMu.Lock()
	defer a.rep.reloadMu.Unlock()
	info, ok, err := a.storedModelInfo(ctx)
	if err != nil || !ok {
		return err
	}
	if cur := a.rep.model.Load(); !force && cur != nil && cur.Version == info.Version {
		return nil // our own training, or already loaded
	}
	snap, ok, err := a.Store.GetBlob(ctx, modelsNS, modelsSnapshotKey)
	if err != nil || !ok {
		return err
	}
	if v := snapshotVersion(snap); v != info.Version {
		// A newer save landed between the two reads; its change follows.
		return nil
	}
	if err := a.Recommend.Restore(ctx, snap); err != nil {
		return fmt.Errorf("load the model trained by %s: %w", info.TrainedBy, err)
	}
	a.servesModel(info)
	a.log.Info("recommendation model loaded from another replica", "version", info.Version, "trained_by", info.TrainedBy)
	return nil
}

func (a *App) storedModelInfo(ctx context.Context) (modelInfoBlob, bool, error) {
	b, ok, err := a.Store.GetBlob(ctx, modelsNS, modelsInfoKey)
	if err != nil || !ok {
		return modelInfoBlob{}, false, err
	}
	var m modelInfoBlob
	if err := json.Unmarshal(b, &m); err != nil {
		return modelInfoBlob{}, false, fmt.Errorf("decode model info: %w", err)
	}
	return m, true, nil
}

// sharedSnapshot reports whether the model snapshot lives in the store, as
// the blob models/snapshot where every replica finds it (PostgreSQL, or any
// store replicas share over a bus), rather than in a file under Data.
func (a *App) sharedSnapshot() bool { return a.rep.bus != nil || a.cfg.sharedStore() }

// readSnapshot returns the saved snapshot: the shared blob, or the file
// under the data directory (or a blob from before files).
func (a *App) readSnapshot(ctx context.Context) ([]byte, bool, error) {
	if a.sharedSnapshot() {
		return a.Store.GetBlob(ctx, modelsNS, modelsSnapshotKey)
	}
	snap, ok, err := readSnapshotFile(a.cfg.SnapshotPath())
	if err != nil || ok {
		return snap, ok, err
	}
	return a.Store.GetBlob(ctx, modelsNS, modelsKey)
}

// restoredModel records what a restored snapshot is: its info blob when
// that describes these bytes.
func (a *App) restoredModel(ctx context.Context, snap []byte) {
	m := modelInfoBlob{Version: snapshotVersion(snap)}
	if info, ok, err := a.storedModelInfo(ctx); err == nil && ok && info.Version == m.Version {
		m = info
	}
	a.servesModel(m)
}

// writeSnapshot saves a trained snapshot with its info: with a bus both as
// blobs in one transaction (its change makes the other replicas load it),
// fenced when fence is set; without one the file and then the info blob.
func (a *App) writeSnapshot(ctx context.Context, snap []byte, fence *modelFence, catchUp bool) error {
	info := modelInfoBlob{Version: snapshotVersion(snap), TrainedAt: time.Now().UTC(), TrainedBy: a.cfg.Replica}
	if cur := a.rep.model.Load(); cur != nil {
		info.Generation = cur.Generation
	}
	ib, err := json.Marshal(info)
	if err != nil {
		return err
	}
	shared := a.sharedSnapshot() && a.putSnapshot == nil
	switch {
	case a.putSnapshot != nil:
		err = a.putSnapshot(ctx, snap)
	case shared && a.rep.bus != nil:
		info, err = a.putModelSwapped(ctx, snap, info, fence, catchUp)
	case shared:
		err = a.Store.PutBlobs(ctx, modelsNS, []store.Blob{{Key: modelsSnapshotKey, Value: snap}, {Key: modelsInfoKey, Value: ib}})
	default:
		err = writeSnapshotFile(a.cfg.SnapshotPath(), snap)
	}
	if err != nil {
		return err
	}
	if !shared {
		// What ModelInfo shows after a restart; the file is the truth.
		if err := a.Store.PutBlob(ctx, modelsNS, modelsInfoKey, ib); err != nil {
			a.log.Warn("save model info", "err", err)
		}
	}
	a.servesModel(info)
	return nil
}

// modelFence is what a training read of the stored model when it started.
//
// A trainer that paused (GC, SIGSTOP) past the trainer lease's TTL can
// pass its last check of the lease and save afterwards, over the model the
// next lease holder trained and saved meanwhile. The store fences it: the
// snapshot and its info are two blobs of one namespace, written together
// by one PutBlobIf on the info blob's version (the snapshot rides in its
// with: one transaction), and the save goes through only if no training
// saved since this one started, that is if the stored generation is still
// the one read at the start. The snapshot is one blob (a bytea row in
// PostgreSQL), not chunks, so one swap covers all of it.
//
// The test is on the generation rather than on the info blob's version at
// the start: an erasure's re-save of the stored model (DeleteUser,
// resaveLoop) also changes the version, but not the generation, and must
// not cost a training in progress its save. The swap itself is on the
// version read just before it, so a save racing either kind of write reads
// again and decides again.
//
// Every save with a bus goes through the swap (putModelSwapped); only a
// training's is fenced. Without a bus (one process, no lease) there is no
// swap and no fence: the save always wins, as before.
type modelFence struct {
	generation int64
}

// readModelFence reads the generation of the stored model (0: none).
func (a *App) readModelFence(ctx context.Context) (modelFence, error) {
	b, version, err := a.Store.GetBlobVersion(ctx, modelsNS, modelsInfoKey)
	if err != nil {
		return modelFence{}, fmt.Errorf("read the stored model info: %w", err)
	}
	return modelFence{generation: infoGeneration(b, version)}, nil
}

// infoGeneration decodes a stored info blob's generation; an unreadable
// one counts as 0 (any training may replace it).
func infoGeneration(b []byte, version int64) int64 {
	if version == 0 {
		return 0
	}
	var m modelInfoBlob
	if json.Unmarshal(b, &m) != nil {
		return 0
	}
	return m.Generation
}

// SupersededError is Train's answer when its save was refused by the
// fence (modelFence): another trainer saved a newer model since this
// training started. That model is stored and served; nothing to retry.
type SupersededError struct {
	// Replica trained the model stored, Version is its modelInfo version.
	Replica, Version string
}

func (e *SupersededError) Error() string {
	return fmt.Sprintf("trained but not saved: replica %q saved a newer model (%s) while this one trained, and it is the one served", e.Replica, e.Version)
}

// errBehind is putModelSwapped's answer to an erasure's save (catchUp)
// from a replica serving an older generation than the one stored.
var errBehind = errors.New("a newer model is stored than the one served here")

// putModelSwapped writes the snapshot and its info in one compare-and-swap
// of the info blob, and returns the info written. A training's save
// (fence set) is refused with a *SupersededError when a training saved
// since fence was read, and saves the next generation. Any other save (an
// erasure's) goes through, keeping the higher of the stored and the served
// generation: it never lowers the stored one, which would let a stale
// trainer's save through. With catchUp, an erasure's save of a model
// older than the stored one writes nothing and returns errBehind: the
// caller loads the stored model (without the erased user) and saves that
// instead, rather than overwrite a newer training with an older model.
func (a *App) putModelSwapped(ctx context.Context, snap []byte, info modelInfoBlob, fence *modelFence, catchUp bool) (modelInfoBlob, error) {
	served := info.Generation
	for attempt := range store.MaxSwapAttempts {
		b, version, err := a.Store.GetBlobVersion(ctx, modelsNS, modelsInfoKey)
		if err != nil {
			return info, err
		}
		stored := infoGeneration(b, version)
		switch {
		case fence != nil && stored > fence.generation:
			var m modelInfoBlob
			_ = json.Unmarshal(b, &m)
			return info, &SupersededError{Replica: m.TrainedBy, Version: m.Version}
		case fence != nil:
			info.Generation = fence.generation + 1
		case catchUp && stored > served:
			return info, errBehind
		default:
			info.Generation = max(served, stored)
		}
		ib, err := json.Marshal(info)
		if err != nil {
			return info, err
		}
		ok, err := a.Store.PutBlobIf(ctx, modelsNS, modelsInfoKey, ib, version, store.Blob{Key: modelsSnapshotKey, Value: snap})
		if err != nil || ok {
			return info, err
		}
		if err := store.SwapBackoff(ctx, attempt); err != nil {
			return info, err
		}
	}
	return info, fmt.Errorf("save model snapshot: %w", store.ErrContended)
}

// removeSnapshot deletes the saved snapshot (nothing trained to save).
func (a *App) removeSnapshot(ctx context.Context) error {
	if a.sharedSnapshot() {
		return a.Store.DeleteBlob(ctx, modelsNS, modelsSnapshotKey)
	}
	return removeSnapshotFile(a.cfg.SnapshotPath())
}

// outbox adapts the store's outbox to the bus's.
type outbox struct{ ob store.Outbox }

func (o outbox) PendingChanges(ctx context.Context, after int64, limit int) ([]bus.Change, error) {
	cs, err := o.ob.PendingChanges(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]bus.Change, len(cs))
	for i, c := range cs {
		out[i] = bus.Change{Seq: c.Seq, Kind: c.Kind, Payload: c.Payload, At: c.At}
	}
	return out, nil
}

func (o outbox) MarkPublished(ctx context.Context, upTo int64) error {
	return o.ob.MarkPublished(ctx, upTo)
}

// notifyStore signals the relay after each write that succeeded, whoever
// made it (the use cases, engage, the copy cache).
type notifyStore struct {
	store.Store
	notify func()
}

func (s notifyStore) done(err error) error {
	if err == nil {
		s.notify()
	}
	return err
}

func (s notifyStore) UpsertProducts(ctx context.Context, ps []shop.Product) ([]shop.Product, error) {
	out, err := s.Store.UpsertProducts(ctx, ps)
	return out, s.done(err)
}

func (s notifyStore) DeleteProducts(ctx context.Context, ids []string) ([]string, error) {
	out, err := s.Store.DeleteProducts(ctx, ids)
	return out, s.done(err)
}

func (s notifyStore) UpsertUsers(ctx context.Context, us []shop.User) ([]shop.User, error) {
	out, err := s.Store.UpsertUsers(ctx, us)
	return out, s.done(err)
}

func (s notifyStore) DeleteUser(ctx context.Context, id string) (bool, error) {
	ok, err := s.Store.DeleteUser(ctx, id)
	return ok, s.done(err)
}

func (s notifyStore) RecordInteractions(ctx context.Context, its []shop.Interaction, field string) (store.RecordResult, []shop.UserError, error) {
	res, errs, err := s.Store.RecordInteractions(ctx, its, field)
	if errs == nil {
		err = s.done(err)
	}
	return res, errs, err
}

func (s notifyStore) AddImpressions(ctx context.Context, counts map[store.Served]int64) error {
	return s.done(s.Store.AddImpressions(ctx, counts))
}

func (s notifyStore) PutBlob(ctx context.Context, ns, k string, v []byte) error {
	return s.done(s.Store.PutBlob(ctx, ns, k, v))
}

func (s notifyStore) PutBlobs(ctx context.Context, ns string, blobs []store.Blob) error {
	return s.done(s.Store.PutBlobs(ctx, ns, blobs))
}

func (s notifyStore) PutBlobIf(ctx context.Context, ns, k string, v []byte, version int64, with ...store.Blob) (bool, error) {
	ok, err := s.Store.PutBlobIf(ctx, ns, k, v, version, with...)
	if ok {
		err = s.done(err)
	}
	return ok, err
}

func (s notifyStore) DeleteBlob(ctx context.Context, ns, k string) error {
	return s.done(s.Store.DeleteBlob(ctx, ns, k))
}

func (s notifyStore) DeleteBlobs(ctx context.Context, ns, prefix string) error {
	return s.done(s.Store.DeleteBlobs(ctx, ns, prefix))
}

func (s notifyStore) AddCounters(ctx context.Context, ns string, deltas map[string]int64) error {
	return s.done(s.Store.AddCounters(ctx, ns, deltas))
}

func (s notifyStore) AddCountersOnce(ctx context.Context, ns, onceKey string, deltas map[string]int64) (bool, error) {
	added, err := s.Store.AddCountersOnce(ctx, ns, onceKey, deltas)
	if added {
		err = s.done(err)
	}
	return added, err
}

func (s notifyStore) DeleteCounters(ctx context.Context, ns, prefix string) error {
	return s.done(s.Store.DeleteCounters(ctx, ns, prefix))
}

// engageConfig runs campaigns under leases when there are replicas.
func (a *App) engageConfig() engage.Config {
	c := engage.Config{Log: a.log, Review: a.Review}
	if a.rep.bus != nil {
		c.Lease = a.rep.bus.TryLease
		c.ResumeEvery = a.rep.bus.LeaseTTL()
	}
	return c
}
