/**
 * 0002 — the activity log: one row per thing the user did or the app did for
 * them (backup, restore, export, unlock, lock...), with its outcome, shown in
 * the app's Activity screen. Kept in the encrypted catalog because its
 * details name projects and paths. Not rebuildable from the packs, and it
 * need not be: losing it loses history, not data.
 */
export const sql = `
CREATE TABLE activity (
  id        INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,           -- ms since the epoch
  kind      TEXT    NOT NULL,           -- 'backup', 'restore', 'export', 'unlock', 'lock', ...
  outcome   TEXT    NOT NULL,           -- 'done', 'failed', 'cancelled'
  project   TEXT,                       -- the project concerned, if any
  detail    TEXT    NOT NULL DEFAULT '' -- one sentence for a person
) STRICT;

CREATE INDEX activity_by_time ON activity(at);
`;
