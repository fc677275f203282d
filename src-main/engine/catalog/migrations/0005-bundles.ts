/**
 * 0005 — members of bundles (packs/bundle.ts): small file contents stored
 * inside a bundle blob rather than as blobs of their own. A member is found
 * by its own id and read as a slice of its bundle's plaintext. An index over
 * the packs like `blobs`: every bundle lists its members in its own table,
 * so a rebuild from the packs refills this one.
 */
export const sql = `
CREATE TABLE bundle_members (
  id            BLOB    PRIMARY KEY,     -- 32-byte keyed id of the member's bytes
  bundle_id     BLOB    NOT NULL,        -- the bundle blob (blobs.id) that holds it
  inner_offset  INTEGER NOT NULL,        -- where its bytes start in the bundle's plaintext
  length        INTEGER NOT NULL         -- its length in bytes
) STRICT, WITHOUT ROWID;

CREATE INDEX bundle_members_by_bundle ON bundle_members(bundle_id);
`;
