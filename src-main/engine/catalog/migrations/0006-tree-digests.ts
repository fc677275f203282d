/**
 * 0006 — what each folder listing was made from (snapshot/scan-digest.ts):
 * a digest of the scanned metadata of everything below the folder, and the
 * counts of what that holds. A re-backup that scans a folder to the same
 * digest as its previous listing's reuses the listing, and everything below
 * it, without reading either. Only an accelerator: a missing row costs the
 * slow comparison, never a wrong snapshot, and a catalog rebuild empties the
 * table.
 */
export const sql = `
CREATE TABLE tree_digests (
  tree_id   BLOB    PRIMARY KEY,     -- the listing (blobs.id, kind tree)
  digest    BLOB    NOT NULL,        -- scan digest of the folder and all below it
  files     INTEGER NOT NULL,        -- regular files below it, at any depth
  dirs      INTEGER NOT NULL,        -- folders below it, not counting itself
  symlinks  INTEGER NOT NULL,
  bytes     INTEGER NOT NULL         -- bytes of those files
) STRICT, WITHOUT ROWID;
`;
