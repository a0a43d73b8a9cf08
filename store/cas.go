package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// BlobSwapper is the part of a Store that UpdateBlob needs.
type BlobSwapper interface {
	GetBlobVersion(ctx context.Context, namespace, k string) ([]byte, int64, error)
	PutBlobIf(ctx context.Context, namespace, k string, v []byte, version int64, with ...Blob) (bool, error)
}

// ErrContended is returned by UpdateBlob when other writers kept changing
// the blob through every attempt.
var ErrContended = errors.New("store: the blob kept changing under concurrent writers")

// ErrKeep, returned by UpdateBlob's fn, leaves the blob as it is:
// UpdateBlob then returns nil without writing.
var ErrKeep = errors.New("store: keep the blob")

// MaxSwapAttempts bounds UpdateBlob's read-modify-write rounds.
const MaxSwapAttempts = 100

// UpdateBlob is a read-modify-write of one blob that loses no concurrent
// update, whichever replica makes it: it reads the blob (exists=false
// when there is none), asks fn for the new value, and writes it with
// PutBlobIf; when another writer came first it starts again from what that
// writer stored. fn may run several times, so it must do nothing but
// compute; an error from it (ErrKeep included) ends UpdateBlob without a
// write.
func UpdateBlob(ctx context.Context, s BlobSwapper, namespace, k string, fn func(cur []byte, exists bool) ([]byte, error)) error {
	for attempt := range MaxSwapAttempts {
		cur, version, err := s.GetBlobVersion(ctx, namespace, k)
		if err != nil {
			return err
		}
		v, err := fn(cur, version != 0)
		if errors.Is(err, ErrKeep) {
			return nil
		}
		if err != nil {
			return err
		}
		ok, err := s.PutBlobIf(ctx, namespace, k, v, version)
		if err != nil || ok {
			return err
		}
		if err := SwapBackoff(ctx, attempt); err != nil {
			return err
		}
	}
	return fmt.Errorf("update blob %s/%s: %w", namespace, k, ErrContended)
}

// SwapBackoff waits a little, more after each lost attempt and at random
// so that the writers who lost a round do not collide again in step. It
// returns ctx's error when ctx ends first.
func SwapBackoff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(min(attempt+1, 20)) * int64(time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
