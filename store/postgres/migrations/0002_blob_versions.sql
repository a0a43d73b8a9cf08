-- shopmuse schema, version 2: blob versions for compare-and-swap
-- (GetBlobVersion, PutBlobIf). Every write of a blob takes the next number
-- of one sequence, so a version never comes back, also after a delete and a
-- new write of the same key.
CREATE SEQUENCE blob_versions;
ALTER TABLE blobs ADD COLUMN version bigint NOT NULL DEFAULT nextval('blob_versions');
