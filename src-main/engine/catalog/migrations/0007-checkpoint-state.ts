/**
 * 0007 — when the catalog checkpoint is due (heal/catalog-heal.ts). The
 * checkpoint is a compacted copy of the whole catalog, so writing it after
 * every backup cost time and writes in proportion to the catalog (45-55 ms
 * for 11,000 files, seconds for millions). Since manifests carry their
 * snapshots' figures (manifest version 2), a rebuild loses nothing a
 * checkpoint holds but the user's own words (notes and tags), and reads
 * only the packs and manifests newer than the checkpoint. So a backup
 * rewrites it when the words changed since, or when enough packs or
 * snapshots came after it. One row: the count of label edits ever made, and
 * what the catalog held when the checkpoint on disk was written (NULL until
 * one is recorded: the next backup writes it).
 */
export const sql = `
CREATE TABLE checkpoint_state (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  label_edits     INTEGER NOT NULL,   -- notes and tags set, ever
  at_pack_seq     INTEGER,            -- the newest pack (packs.seq) in the checkpoint
  at_snapshots    INTEGER,            -- how many snapshots it holds
  at_label_edits  INTEGER             -- label_edits when it was written
) STRICT;

INSERT INTO checkpoint_state (id, label_edits) VALUES (1, 0);
`;
