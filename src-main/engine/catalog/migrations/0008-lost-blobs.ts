/**
 * 0008 — blobs that repair found damaged beyond what the parity can rebuild
 * (heal/repair.ts), bundles together with their members. Their rows in
 * `blobs` and `bundle_members` stay (a read may still salvage part of a
 * bundle, and verify keeps reporting the damage), but a backup no longer
 * counts them as stored: a file whose content is lost is read and stored
 * again from the source, even when its metadata has not changed, and the
 * new copy takes the row over (Catalog.addPack). A row leaves this table
 * once its blob is stored again.
 */
export const sql = `
CREATE TABLE lost_blobs (
  id        BLOB    PRIMARY KEY,   -- 32-byte blob id (blobs.id or bundle_members.id)
  found_at  INTEGER NOT NULL       -- ms since the epoch
) STRICT, WITHOUT ROWID;
`;
