/**
 * 0004 — the vault's health record: one row per verify or repair run to its
 * end, with the report as JSON (what was found, what was fixed, which
 * projects it touches), so the app can say when the vault was last verified
 * and what it found. Kept in the vault, encrypted, because reports name
 * projects and paths. Not rebuildable from the packs; losing it loses
 * history, not data.
 */
export const sql = `
CREATE TABLE health_checks (
  id           INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,        -- ms since the epoch, when the run ended
  kind         TEXT    NOT NULL,        -- 'verify' or 'repair'
  read_data    INTEGER NOT NULL,        -- 1 when every blob was read and authenticated
  healthy      INTEGER NOT NULL,        -- 1 when nothing at all was wrong afterwards
  report_json  TEXT    NOT NULL
) STRICT;

CREATE INDEX health_checks_by_time ON health_checks(at);
`;
