/**
 * 0003 — tags on snapshots. A snapshot's note lives in `snapshots.note`
 * (since 0001); its tags are rows here, one per tag, so "every snapshot
 * tagged 'release'" is an index lookup. Both are the user's words about a
 * snapshot, not data: they ride in the encrypted checkpoint, and a catalog
 * rebuilt from the packs alone comes back without them.
 */
export const sql = `
CREATE TABLE snapshot_tags (
  snapshot_id  TEXT NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  tag          TEXT NOT NULL,
  PRIMARY KEY (snapshot_id, tag)
) STRICT, WITHOUT ROWID;

CREATE INDEX snapshot_tags_by_tag ON snapshot_tags(tag);
`;
