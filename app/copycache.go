package app

import (
	"context"
	"time"

	"github.com/shopmuse/shopmuse/store"
)

// copyCacheTTL bounds how long written copy is kept. Entries are keyed by
// product version, so an update orphans old ones; the TTL clears them out.
const copyCacheTTL = 7 * 24 * time.Hour

// copyCache is copywriter.Cache on Badger blobs.
type copyCache struct{ st store.Store }

func (c copyCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return c.st.GetBlob(ctx, "copy", key)
}

func (c copyCache) Put(ctx context.Context, key string, val []byte) error {
	return c.st.PutBlobTTL(ctx, "copy", key, val, copyCacheTTL)
}
