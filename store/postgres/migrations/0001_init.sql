-- shopmuse schema, version 1.
--
-- IDs are text COLLATE "C" so that keyset pagination orders them by bytes,
-- exactly as the Badger backend does. Blob and counter namespaces and keys
-- are bytea: other packages may use any bytes in them, NUL included.

CREATE TABLE products (
    id  text COLLATE "C" PRIMARY KEY,
    doc bytea NOT NULL -- shop.Product as JSON
);

CREATE TABLE users (
    id  text COLLATE "C" PRIMARY KEY,
    doc bytea NOT NULL -- shop.User as JSON
);

-- The interaction log. A fact is (user, product, kind, time): the unique
-- index is the dedup check and the per-user listing, newest first.
CREATE TABLE events (
    seq             bigserial PRIMARY KEY,
    user_id         text COLLATE "C" NOT NULL,
    product_id      text COLLATE "C" NOT NULL,
    kind            smallint NOT NULL, -- shop.InteractionKind.Code()
    occurred_ns     bigint NOT NULL,   -- Unix nanoseconds
    value           double precision,
    copy_variant_id text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX events_by_user ON events (user_id, occurred_ns DESC, kind, product_id);
CREATE INDEX events_by_product ON events (product_id, occurred_ns DESC, kind, user_id);

CREATE TABLE product_counts (
    product_id text COLLATE "C" NOT NULL,
    kind       smallint NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (product_id, kind)
);

CREATE TABLE variant_counts (
    variant_id text COLLATE "C" NOT NULL,
    field      text NOT NULL, -- i impressions, c clicks, a carts, p purchases
    n          bigint NOT NULL,
    PRIMARY KEY (variant_id, field)
);

CREATE TABLE variants_seen (
    product_id text COLLATE "C" NOT NULL,
    channel    text COLLATE "C" NOT NULL,
    variant_id text COLLATE "C" NOT NULL,
    segment    text NOT NULL,
    PRIMARY KEY (product_id, channel, variant_id)
);

CREATE TABLE blobs (
    namespace  bytea NOT NULL,
    key        bytea NOT NULL,
    value      bytea NOT NULL,
    expires_at timestamptz, -- PutBlobTTL; NULL = kept
    PRIMARY KEY (namespace, key)
);
-- CollectGarbage finds expired cache blobs without reading the others.
CREATE INDEX blobs_expiry ON blobs (expires_at) WHERE expires_at IS NOT NULL;

-- Blobs built from one user's data (WithSubject), erased with the user.
CREATE TABLE blob_subjects (
    user_id    text COLLATE "C" NOT NULL,
    namespace  bytea NOT NULL,
    key        bytea NOT NULL,
    expires_at timestamptz,
    PRIMARY KEY (user_id, namespace, key)
);

CREATE TABLE counters (
    namespace bytea NOT NULL,
    key       bytea NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (namespace, key)
);

-- The outbox: every write's change, in the write's transaction. outbox_head
-- numbers them; its row lock is held from numbering to commit, so changes
-- become visible in Seq order and a reader never skips one that commits late.
CREATE TABLE outbox (
    seq     bigint PRIMARY KEY,
    kind    text NOT NULL,
    payload bytea NOT NULL,
    at      timestamptz NOT NULL
);
-- Payloads are read once and deleted: compressing them costs more than it saves.
ALTER TABLE outbox ALTER COLUMN payload SET STORAGE EXTERNAL;
CREATE TABLE outbox_head (
    id  int PRIMARY KEY,
    seq bigint NOT NULL
);
INSERT INTO outbox_head (id, seq) VALUES (1, 0);
