/**
 * 0001 — the first catalog schema. Shipped migrations are never edited; a
 * change is a new numbered file appended to `migrations/index.ts`.
 *
 * Every table is an index over the packs and can be rebuilt from them, except
 * `filetype_stats`, which is only a cache of compression measurements.
 */
export const sql = `
CREATE TABLE packs (
  seq         INTEGER PRIMARY KEY,       -- compact handle for blobs.pack_seq
  id          TEXT    NOT NULL UNIQUE,   -- 32 hex chars; the file is packs/<id>.pack
  size        INTEGER NOT NULL,
  blob_count  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL           -- ms since the epoch
) STRICT;

CREATE TABLE blobs (
  id           BLOB    PRIMARY KEY,      -- 32-byte blob id
  kind         INTEGER NOT NULL,         -- BlobKind
  pack_seq     INTEGER NOT NULL REFERENCES packs(seq),
  pack_offset  INTEGER NOT NULL,         -- where the sealed bytes start in the pack
  length       INTEGER NOT NULL,         -- sealed length
  raw_length   INTEGER NOT NULL          -- plaintext length before compression
) STRICT, WITHOUT ROWID;

-- Which blobs live in a pack: needed to heal or prune one pack without reading its header.
CREATE INDEX blobs_by_pack ON blobs(pack_seq);

CREATE TABLE projects (
  id           INTEGER PRIMARY KEY,
  name         TEXT    NOT NULL UNIQUE,
  source_path  TEXT    NOT NULL,
  created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE snapshots (
  id                TEXT    PRIMARY KEY, -- hex of the manifest blob id
  project_id        INTEGER NOT NULL REFERENCES projects(id),
  created_at        INTEGER NOT NULL,    -- ms since the epoch
  tree_id           BLOB    NOT NULL,    -- root tree blob id
  parent_id         TEXT,                -- previous snapshot of the project, if any
  file_count        INTEGER NOT NULL,
  dir_count         INTEGER NOT NULL,
  total_bytes       INTEGER NOT NULL,
  new_bytes         INTEGER NOT NULL,
  stored_bytes      INTEGER NOT NULL,    -- bytes this snapshot added to packs
  files_new         INTEGER NOT NULL,
  files_changed     INTEGER NOT NULL,
  files_unmodified  INTEGER NOT NULL,
  duration_ms       INTEGER NOT NULL,
  warnings_json     TEXT    NOT NULL DEFAULT '[]',
  note              TEXT
) STRICT;

CREATE INDEX snapshots_by_project ON snapshots(project_id, created_at);
CREATE INDEX snapshots_by_time ON snapshots(created_at);

CREATE TABLE filetype_stats (
  type_key   TEXT    NOT NULL,           -- e.g. an extension or a sniffed type
  strategy   TEXT    NOT NULL,           -- codec and level, e.g. "zstd-3"
  samples    INTEGER NOT NULL,
  bytes_in   INTEGER NOT NULL,
  bytes_out  INTEGER NOT NULL,
  nanos      INTEGER NOT NULL,
  PRIMARY KEY (type_key, strategy)
) STRICT, WITHOUT ROWID;
`;
