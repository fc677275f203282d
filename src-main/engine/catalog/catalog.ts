/**
 * The Catalog class: typed access to catalog.db. Statements are prepared once;
 * every SQLite failure leaves as a VaultError.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { VaultError } from '../errors.ts';
import { BlobKind } from '../packs/seal.ts';
import { BlobIdSet } from './blob-id-set.ts';
import { sqliteError } from './sqlite-errors.ts';

export interface BlobLocation {
  packId: string;
  offset: number;
  /** Sealed length in the pack. */
  length: number;
  /** Plaintext length before compression. */
  rawLength: number;
  kind: BlobKind;
  /**
   * Set for a chunk stored inside a bundle (packs/bundle.ts): the location
   * above is then the bundle's, and the chunk is the slice
   * [innerOffset, innerOffset + length) of the bundle's plaintext. The
   * bundle is opened under `bundleId` (its AEAD binds that id, so a caller
   * that ignores this field gets an authentication failure, never wrong bytes).
   */
  member?: { bundleId: Buffer; innerOffset: number; length: number };
}

export interface NewMember {
  id: Uint8Array;
  bundleId: Uint8Array;
  innerOffset: number;
  length: number;
}

/** What a folder listing was made from (migration 0006, snapshot/scan-digest.ts). */
export interface TreeDigestRow {
  treeId: Uint8Array;
  digest: Uint8Array;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
}

export interface NewPack {
  /** 32 lowercase hex chars. */
  id: string;
  size: number;
  createdAt?: number;
}

export interface NewBlob {
  id: Uint8Array;
  kind: BlobKind;
  offset: number;
  length: number;
  rawLength: number;
}

export interface PackRow {
  id: string;
  size: number;
  blobCount: number;
  createdAt: number;
}

export interface Project {
  id: number;
  name: string;
  sourcePath: string;
  createdAt: number;
}

export interface SnapshotRow {
  /** Hex of the manifest blob id. */
  id: string;
  projectId: number;
  /** ms since the epoch. */
  createdAt: number;
  treeId: Buffer;
  parentId: string | null;
  fileCount: number;
  dirCount: number;
  totalBytes: number;
  newBytes: number;
  /** Bytes this snapshot added to packs. */
  storedBytes: number;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  durationMs: number;
  /** Stored as JSON; the snapshot module owns their shape. */
  warnings: unknown[];
  note: string | null;
}

/** The newest pack, the snapshot count and the label edits ever made: what a checkpoint is measured by. */
export interface CheckpointMark {
  packSeq: number;
  snapshots: number;
  labelEdits: number;
}

export interface StrategyStats {
  strategy: string;
  samples: number;
  bytesIn: number;
  bytesOut: number;
  nanos: number;
}

export interface ActivityRow {
  id: number;
  /** ms since the epoch. */
  at: number;
  kind: string;
  outcome: 'done' | 'failed' | 'cancelled';
  project: string | null;
  detail: string;
}

/** One verify or repair run, as recorded when it ended. */
export interface HealthCheckRow {
  id: number;
  /** ms since the epoch. */
  at: number;
  kind: 'verify' | 'repair';
  readData: boolean;
  healthy: boolean;
  /** Stored as JSON; the heal module owns its shape. */
  report: unknown;
}

export interface CatalogStats {
  projects: number;
  snapshots: number;
  packs: number;
  packBytes: number;
  /** Sealed blobs in the packs; a bundle counts once, however many chunks it holds. */
  blobs: number;
  /** Unique chunks of file content, stored alone or inside a bundle. */
  chunks: number;
  /** Sum of sealed blob lengths. */
  blobBytes: number;
  /** Sum of plaintext blob lengths. */
  rawBytes: number;
}

interface SnapshotDbRow {
  id: string;
  project_id: number;
  created_at: number;
  tree_id: Buffer;
  parent_id: string | null;
  file_count: number;
  dir_count: number;
  total_bytes: number;
  new_bytes: number;
  stored_bytes: number;
  files_new: number;
  files_changed: number;
  files_unmodified: number;
  duration_ms: number;
  warnings_json: string;
  note: string | null;
}

interface ProjectDbRow {
  id: number;
  name: string;
  source_path: string;
  created_at: number;
}

interface BlobDbRow {
  pack_id: string;
  pack_offset: number;
  length: number;
  raw_length: number;
  kind: number;
}

interface PackDbRow {
  id: string;
  size: number;
  blob_count: number;
  created_at: number;
}

interface StrategyDbRow {
  type_key: string;
  strategy: string;
  samples: number;
  bytes_in: number;
  bytes_out: number;
  nanos: number;
}

const SNAPSHOT_COLUMNS = `id, project_id, created_at, tree_id, parent_id, file_count, dir_count, total_bytes, new_bytes,
  stored_bytes, files_new, files_changed, files_unmodified, duration_ms, warnings_json, note`;
const PACK_ID = /^[0-9a-f]{32}$/;
const SNAPSHOT_ID = /^[0-9a-f]{64}$/;
const HEX_PREFIX = /^[0-9a-f]{1,64}$/;

function prepareStatements(db: Database.Database) {
  return {
    hasBlob: db.prepare<[Buffer], number>('SELECT 1 FROM blobs WHERE id = ?').pluck(),
    treeDigest: db.prepare<[Buffer], { digest: Buffer; files: number; dirs: number; symlinks: number; bytes: number }>('SELECT digest, files, dirs, symlinks, bytes FROM tree_digests WHERE tree_id = ?'),
    addTreeDigest: db.prepare<[Buffer, Buffer, number, number, number, number]>('INSERT OR REPLACE INTO tree_digests (tree_id, digest, files, dirs, symlinks, bytes) VALUES (?, ?, ?, ?, ?, ?)'),
    clearTreeDigests: db.prepare('DELETE FROM tree_digests'),
    // A lost blob (0008) is not stored as far as a backup is concerned: it is stored again.
    isKnown: db.prepare<[Buffer, Buffer, Buffer], number>(
      'SELECT 1 WHERE (EXISTS (SELECT 1 FROM blobs WHERE id = ?) OR EXISTS (SELECT 1 FROM bundle_members WHERE id = ?)) AND NOT EXISTS (SELECT 1 FROM lost_blobs WHERE id = ?)',
    ).pluck(),
    markLost: db.prepare<[Buffer, number]>('INSERT OR IGNORE INTO lost_blobs (id, found_at) VALUES (?, ?)'),
    lostIds: db.prepare<[], Buffer>('SELECT id FROM lost_blobs').pluck(),
    anyLost: db.prepare<[], number>('SELECT 1 FROM lost_blobs LIMIT 1').pluck(),
    unmarkLost: db.prepare<[Buffer]>('DELETE FROM lost_blobs WHERE id = ?'),
    forgetLostOfPack: db.prepare<[string]>('DELETE FROM lost_blobs WHERE id IN (SELECT b.id FROM blobs b JOIN packs p ON p.seq = b.pack_seq WHERE p.id = ?)'),
    forgetBlobsOfPack: db.prepare<[string]>('DELETE FROM blobs WHERE pack_seq = (SELECT seq FROM packs WHERE id = ?)'),
    forgetPack: db.prepare<[string]>('DELETE FROM packs WHERE id = ?'),
    hasPack: db.prepare<[string], number>('SELECT 1 FROM packs WHERE id = ?').pluck(),
    // A lost blob stored again: its old places give way to the new one.
    dropBlobRow: db.prepare<[Buffer]>('DELETE FROM blobs WHERE id = ?'),
    dropMemberRow: db.prepare<[Buffer]>('DELETE FROM bundle_members WHERE id = ?'),
    // One step for both kinds of place: a blob of its own, else a member of a bundle (restore looks up every chunk).
    locate: db.prepare<[Buffer, Buffer], BlobDbRow & { bundle_id: Buffer | null; inner_offset: number | null; member_length: number | null }>(
      `SELECT p.id AS pack_id, b.pack_offset, b.length, b.raw_length, b.kind, NULL AS bundle_id, NULL AS inner_offset, NULL AS member_length
         FROM blobs b JOIN packs p ON p.seq = b.pack_seq WHERE b.id = ?
       UNION ALL
       SELECT p.id, b.pack_offset, b.length, b.raw_length, b.kind, m.bundle_id, m.inner_offset, m.length
         FROM bundle_members m JOIN blobs b ON b.id = m.bundle_id JOIN packs p ON p.seq = b.pack_seq WHERE m.id = ?
       LIMIT 1`,
    ),
    membersOf: db.prepare<[Buffer], { id: Buffer; inner_offset: number; length: number }>('SELECT id, inner_offset, length FROM bundle_members WHERE bundle_id = ? ORDER BY inner_offset'),
    insertMember: db.prepare<[Buffer, Buffer, number, number]>('INSERT OR IGNORE INTO bundle_members (id, bundle_id, inner_offset, length) VALUES (?, ?, ?, ?)'),
    // Members count as stored blobs for dedup; an id in both tables is counted once.
    countBlobs: db.prepare<[], number>('SELECT (SELECT count(*) FROM blobs) + (SELECT count(*) FROM bundle_members)').pluck(),
    blobIds: db.prepare<[], Buffer>('SELECT id FROM blobs UNION SELECT id FROM bundle_members EXCEPT SELECT id FROM lost_blobs ORDER BY id').pluck(),
    blobsInPack: db.prepare<[string], { id: Buffer; kind: number; pack_offset: number; length: number; raw_length: number }>(
      'SELECT b.id, b.kind, b.pack_offset, b.length, b.raw_length FROM blobs b JOIN packs p ON p.seq = b.pack_seq WHERE p.id = ? ORDER BY b.pack_offset',
    ),
    insertPack: db.prepare<[string, number, number, number]>('INSERT INTO packs (id, size, blob_count, created_at) VALUES (?, ?, ?, ?)'),
    // A blob already stored elsewhere keeps its first location; the new copy is just unreferenced bytes.
    insertBlob: db.prepare<[Buffer, number, number | bigint, number, number, number]>(
      'INSERT OR IGNORE INTO blobs (id, kind, pack_seq, pack_offset, length, raw_length) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    listPacks: db.prepare<[], PackDbRow>('SELECT id, size, blob_count, created_at FROM packs ORDER BY seq'),
    upsertProject: db.prepare<[string, string, number], ProjectDbRow>(
      `INSERT INTO projects (name, source_path, created_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET source_path = excluded.source_path
       RETURNING id, name, source_path, created_at`,
    ),
    getProject: db.prepare<[string], ProjectDbRow>('SELECT id, name, source_path, created_at FROM projects WHERE name = ?'),
    listProjects: db.prepare<[], ProjectDbRow>('SELECT id, name, source_path, created_at FROM projects ORDER BY name'),
    insertSnapshot: db.prepare<[SnapshotDbRow]>(
      `INSERT INTO snapshots (${SNAPSHOT_COLUMNS}) VALUES (@id, @project_id, @created_at, @tree_id, @parent_id, @file_count,
       @dir_count, @total_bytes, @new_bytes, @stored_bytes, @files_new, @files_changed, @files_unmodified, @duration_ms,
       @warnings_json, @note)`,
    ),
    allSnapshots: db.prepare<[], SnapshotDbRow>(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots ORDER BY created_at, rowid`),
    projectSnapshots: db.prepare<[number], SnapshotDbRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE project_id = ? ORDER BY created_at, rowid`,
    ),
    // Ids are lowercase hex, so every id starting with p lies in [p, p + 'g').
    snapshotsByPrefix: db.prepare<[string, string], SnapshotDbRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE id >= ? AND id < ? ORDER BY created_at, rowid`,
    ),
    latestSnapshot: db.prepare<[], SnapshotDbRow>(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots ORDER BY created_at DESC, rowid DESC LIMIT 1`),
    latestProjectSnapshot: db.prepare<[number], SnapshotDbRow>(
      `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE project_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`,
    ),
    addStrategy: db.prepare<[string, string, number, number, number, number]>(
      `INSERT INTO filetype_stats (type_key, strategy, samples, bytes_in, bytes_out, nanos) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (type_key, strategy) DO UPDATE SET samples = samples + excluded.samples,
         bytes_in = bytes_in + excluded.bytes_in, bytes_out = bytes_out + excluded.bytes_out, nanos = nanos + excluded.nanos`,
    ),
    strategies: db.prepare<[], StrategyDbRow>('SELECT type_key, strategy, samples, bytes_in, bytes_out, nanos FROM filetype_stats ORDER BY type_key, strategy'),
    addActivity: db.prepare<[number, string, string, string | null, string]>('INSERT INTO activity (at, kind, outcome, project, detail) VALUES (?, ?, ?, ?, ?)'),
    listActivity: db.prepare<[number], ActivityRow>('SELECT id, at, kind, outcome, project, detail FROM activity ORDER BY at DESC, id DESC LIMIT ?'),
    setNote: db.prepare<[string | null, string]>('UPDATE snapshots SET note = ? WHERE id = ?'),
    countLabelEdit: db.prepare('UPDATE checkpoint_state SET label_edits = label_edits + 1'),
    checkpointMark: db.prepare<[], { pack_seq: number; snapshots: number; label_edits: number }>(
      'SELECT (SELECT coalesce(max(seq), 0) FROM packs) AS pack_seq, (SELECT count(*) FROM snapshots) AS snapshots, label_edits FROM checkpoint_state',
    ),
    lastCheckpoint: db.prepare<[], { at_pack_seq: number | null; at_snapshots: number | null; at_label_edits: number | null }>(
      'SELECT at_pack_seq, at_snapshots, at_label_edits FROM checkpoint_state',
    ),
    recordCheckpoint: db.prepare<[number, number, number]>('UPDATE checkpoint_state SET at_pack_seq = ?, at_snapshots = ?, at_label_edits = ?'),
    clearTags: db.prepare<[string]>('DELETE FROM snapshot_tags WHERE snapshot_id = ?'),
    addTag: db.prepare<[string, string]>('INSERT OR IGNORE INTO snapshot_tags (snapshot_id, tag) VALUES (?, ?)'),
    allTags: db.prepare<[], { snapshot_id: string; tag: string }>('SELECT snapshot_id, tag FROM snapshot_tags ORDER BY snapshot_id, tag'),
    addHealthCheck: db.prepare<[number, string, number, number, string]>('INSERT INTO health_checks (at, kind, read_data, healthy, report_json) VALUES (?, ?, ?, ?, ?)'),
    listHealthChecks: db.prepare<[number], { id: number; at: number; kind: string; read_data: number; healthy: number; report_json: string }>(
      'SELECT id, at, kind, read_data, healthy, report_json FROM health_checks ORDER BY at DESC, id DESC LIMIT ?',
    ),
    stats: db.prepare<[], CatalogStats>(
      `SELECT (SELECT count(*) FROM projects) AS projects, (SELECT count(*) FROM snapshots) AS snapshots,
              (SELECT count(*) FROM packs) AS packs, (SELECT coalesce(sum(size), 0) FROM packs) AS packBytes,
              (SELECT count(*) FROM blobs) AS blobs,
              (SELECT count(*) FROM (SELECT id FROM blobs WHERE kind = ${BlobKind.chunk} UNION SELECT id FROM bundle_members)) AS chunks,
              (SELECT coalesce(sum(length), 0) FROM blobs) AS blobBytes,
              (SELECT coalesce(sum(raw_length), 0) FROM blobs) AS rawBytes`,
    ),
  };
}

export class Catalog {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #sql: ReturnType<typeof prepareStatements>;
  /** Compression measurements waiting for `flushStrategyStats`, keyed by type key and strategy. */
  readonly #pendingStrategies = new Map<string, { typeKey: string; stats: StrategyStats }>();

  /** Drops from a fresh copy what an open rebuilds (see openCatalog). */
  readonly #compactCopy: ((path: string) => void) | undefined;
  /** Runs once the database is closed (a private copy removes itself: openCatalogCopy). */
  readonly #onClose: (() => void) | undefined;
  /**
   * A private copy of a catalog that cannot be written in place
   * (openCatalogCopy): what a person writes into it (notes, tags) would be
   * gone at close, so it is refused. The activity log and health checks
   * written meanwhile last for the session only, which is all they can.
   */
  #readOnlyCopy = false;

  constructor(db: Database.Database, path: string, compactCopy?: (path: string) => void, onClose?: () => void) {
    this.#db = db;
    this.path = path;
    this.#compactCopy = compactCopy;
    this.#onClose = onClose;
    this.#sql = guard(path, () => prepareStatements(db));
  }

  hasBlob(id: Uint8Array): boolean {
    return this.#guard(() => this.#sql.hasBlob.get(asBuffer(id)) !== undefined);
  }

  /** Where a blob is; for a chunk inside a bundle, the bundle's place plus `member` (see BlobLocation). */
  getBlob(id: Uint8Array): BlobLocation | undefined {
    const key = asBuffer(id);
    const row = this.#guard(() => this.#sql.locate.get(key, key));
    if (!row) return undefined;
    const place = { packId: row.pack_id, offset: row.pack_offset, length: row.length, rawLength: row.raw_length, kind: row.kind as BlobKind };
    if (row.bundle_id === null) return place;
    if (place.kind !== BlobKind.bundle) return undefined;
    return { ...place, kind: BlobKind.chunk, member: { bundleId: row.bundle_id, innerOffset: row.inner_offset!, length: row.member_length! } };
  }

  /**
   * `getBlob` for many ids, in their order, in one read transaction. A
   * statement outside a transaction opens one of its own, which in WAL mode
   * costs more than the lookup: the 10,500 chunk ids of a whole-snapshot
   * restore of the bench corpus took 105–125 ms one by one, 63–65 ms in one
   * transaction (queries of 128 ids each, with IN lists, gained less).
   */
  getBlobs(ids: readonly Uint8Array[]): (BlobLocation | undefined)[] {
    return this.#guard(() => this.#db.transaction(() => ids.map((id) => this.getBlob(id)))());
  }

  /** The members the catalog lists for a bundle, in offset order ([] for any other blob). */
  bundleMembers(bundleId: Uint8Array): { id: Buffer; innerOffset: number; length: number }[] {
    return this.#guard(() => this.#sql.membersOf.all(asBuffer(bundleId))).map((r) => ({ id: r.id, innerOffset: r.inner_offset, length: r.length }));
  }

  /**
   * Every stored blob id, bundle members included, as a set that asks the
   * catalog one id at a time at first and loads them all, sorted, once it
   * has been asked many (see BlobIdSet).
   */
  blobIdSet(): BlobIdSet {
    return BlobIdSet.backedBy({
      has: (id) => {
        const key = asBuffer(id);
        return this.#guard(() => this.#sql.isKnown.get(key, key, key) !== undefined);
      },
      loadSorted: () =>
        this.#guard(() =>
          this.transaction(() => {
            const count = this.#sql.countBlobs.get() ?? 0;
            const sorted = Buffer.allocUnsafe(count * 32);
            let at = 0;
            for (const id of this.#sql.blobIds.iterate()) {
              if (at >= sorted.length) break;
              at += id.copy(sorted, at);
            }
            return sorted.subarray(0, at);
          }),
        ),
    });
  }

  /** Streams blob ids in byte order. The connection is busy until the iteration ends. */
  *iterateBlobIds(): Generator<Buffer> {
    yield* this.#sql.blobIds.iterate();
  }

  /** Records a sealed, durable pack, its blobs and the members of its bundles in one transaction. */
  addPack(pack: NewPack, blobs: readonly NewBlob[], members: readonly NewMember[] = []): void {
    if (!PACK_ID.test(pack.id)) throw new VaultError('internal', `Not a pack id: ${pack.id}`);
    this.transaction(() => {
      const { lastInsertRowid: seq } = this.#sql.insertPack.run(pack.id, pack.size, blobs.length, pack.createdAt ?? Date.now());
      const restoring = this.#sql.anyLost.get() !== undefined;
      for (const b of blobs) {
        const id = asBuffer(b.id);
        if (restoring) this.#takeOverLost(id);
        this.#sql.insertBlob.run(id, b.kind, seq, b.offset, b.length, b.rawLength);
      }
      this.#insertMembers(members, restoring);
    });
  }

  /** Before a lost blob's new copy goes in: its old rows give way, and it is lost no more. */
  #takeOverLost(id: Buffer): void {
    if (this.#sql.unmarkLost.run(id).changes === 0) return;
    this.#sql.dropBlobRow.run(id);
    this.#sql.dropMemberRow.run(id);
  }

  /**
   * Records blobs found beyond repair, a bundle with every member the
   * catalog places in it, so the next backup stores their content again.
   * Scan digests are forgotten when any is new: a folder reused by digest
   * is not looked into, and may hold a file whose content is lost. Nothing
   * is written when every one is recorded already (a repair that can do no
   * more leaves the vault as it was). Returns how many were new.
   */
  markLost(ids: Iterable<Uint8Array>, now: number = Date.now()): number {
    const recorded = this.lostBlobs();
    const fresh: Buffer[] = [];
    const add = (id: Buffer) => {
      const key = id.toString('hex');
      if (recorded.has(key)) return;
      recorded.add(key);
      fresh.push(id);
    };
    for (const id of ids) {
      add(asBuffer(id));
      for (const m of this.bundleMembers(id)) add(m.id);
    }
    if (fresh.length === 0) return 0;
    return this.transaction(() => {
      for (const id of fresh) this.#sql.markLost.run(id, now);
      this.#sql.clearTreeDigests.run();
      return fresh.length;
    });
  }

  /**
   * Whether a pack the catalog lists holds nothing any snapshot can still
   * need: every blob the catalog places in it is a bundle whose members have
   * all been stored again elsewhere (a lost pack after the backups that
   * followed it). A pack the catalog does not list (its header could not be
   * read when the catalog was rebuilt) is never said to be unneeded.
   */
  packUnneeded(packId: string): boolean {
    if (this.#guard(() => this.#sql.hasPack.get(packId)) === undefined) return false;
    return this.blobsInPack(packId).every((b) => b.kind === BlobKind.bundle && this.bundleMembers(b.id).length === 0);
  }

  /** Drops a missing pack that `packUnneeded` says nothing needs, with its rows. */
  forgetPack(packId: string): void {
    this.transaction(() => {
      if (!this.packUnneeded(packId)) throw new VaultError('internal', `Pack ${packId} still holds blobs a snapshot may need.`);
      this.#sql.forgetLostOfPack.run(packId);
      this.#sql.forgetBlobsOfPack.run(packId);
      this.#sql.forgetPack.run(packId);
    });
  }

  /** Hex ids of the blobs recorded as lost (usually none). */
  lostBlobs(): Set<string> {
    return new Set(this.#guard(() => this.#sql.lostIds.all()).map((id) => id.toString('hex')));
  }

  /** Members of bundles already in the catalog (a rebuild that read them from their bundles). */
  addMembers(members: readonly NewMember[]): void {
    this.transaction(() => this.#insertMembers(members, this.#sql.anyLost.get() !== undefined));
  }

  #insertMembers(members: readonly NewMember[], restoring: boolean): void {
    // A member stored earlier in another bundle keeps that first place (OR IGNORE); one also
    // stored as a blob of its own is found there first (getBlob looks in `blobs` first). A lost
    // one gives its places up to the new copy.
    for (const m of members) {
      const id = asBuffer(m.id);
      if (restoring) this.#takeOverLost(id);
      this.#sql.insertMember.run(id, asBuffer(m.bundleId), m.innerOffset, m.length);
    }
  }

  listPacks(): PackRow[] {
    return this.#guard(() => this.#sql.listPacks.all()).map((r) => ({ id: r.id, size: r.size, blobCount: r.blob_count, createdAt: r.created_at }));
  }

  /** The catalog's copy of a pack's index, in offset order. */
  blobsInPack(packId: string): NewBlob[] {
    return this.#guard(() => this.#sql.blobsInPack.all(packId)).map((r) => ({
      id: r.id,
      kind: r.kind as BlobKind,
      offset: r.pack_offset,
      length: r.length,
      rawLength: r.raw_length,
    }));
  }

  /** Creates the project, or updates its source folder if the name exists. */
  upsertProject(name: string, sourcePath: string): Project {
    const row = this.#guard(() => this.#sql.upsertProject.get(name, sourcePath, Date.now()));
    if (!row) throw new VaultError('internal', `Project ${name} was not saved.`);
    return toProject(row);
  }

  getProject(name: string): Project | undefined {
    const row = this.#guard(() => this.#sql.getProject.get(name));
    return row && toProject(row);
  }

  listProjects(): Project[] {
    return this.#guard(() => this.#sql.listProjects.all()).map(toProject);
  }

  /** What the listing `treeId` was made from, when a backup recorded it. */
  treeDigest(treeId: Uint8Array): TreeDigestRow | undefined {
    const row = this.#guard(() => this.#sql.treeDigest.get(asBuffer(treeId)));
    return row && { treeId, ...row };
  }

  /**
   * Records listings' digests. The newest wins: a listing rescanned to another digest (an older
   * digest format, a vault moved to a machine of the other byte order) would otherwise never match again.
   */
  addTreeDigests(rows: readonly TreeDigestRow[]): void {
    this.#guard(() => this.transaction(() => {
      for (const r of rows) this.#sql.addTreeDigest.run(asBuffer(r.treeId), asBuffer(r.digest), r.files, r.dirs, r.symlinks, r.bytes);
    }));
  }

  /** Forgets every digest: after a rebuild, the blobs below a recorded listing may no longer all be there. */
  clearTreeDigests(): void {
    this.#guard(() => this.#sql.clearTreeDigests.run());
  }

  addSnapshot(row: SnapshotRow): void {
    if (!SNAPSHOT_ID.test(row.id)) throw new VaultError('internal', `Not a snapshot id: ${row.id}`);
    this.#guard(() => this.#sql.insertSnapshot.run(fromSnapshot(row)));
  }

  /** Oldest first; all projects when `projectId` is omitted. */
  listSnapshots(projectId?: number): SnapshotRow[] {
    const rows = this.#guard(() => (projectId === undefined ? this.#sql.allSnapshots.all() : this.#sql.projectSnapshots.all(projectId)));
    return rows.map(toSnapshot);
  }

  /** Snapshots whose id starts with `prefix` (hex, any case), oldest first. */
  findSnapshots(prefix: string): SnapshotRow[] {
    const p = prefix.toLowerCase();
    if (!HEX_PREFIX.test(p)) throw new VaultError('invalid-argument', `"${prefix}" is not a snapshot id.`);
    return this.#guard(() => this.#sql.snapshotsByPrefix.all(p, `${p}g`)).map(toSnapshot);
  }

  latestSnapshot(projectId?: number): SnapshotRow | undefined {
    const row = this.#guard(() => (projectId === undefined ? this.#sql.latestSnapshot.get() : this.#sql.latestProjectSnapshot.get(projectId)));
    return row && toSnapshot(row);
  }

  /**
   * Adds one measurement to the pending totals. Nothing is written until
   * `flushStrategyStats` (also run by `strategyHistory` and `close`), so the
   * compression hot path never waits for SQLite.
   */
  recordStrategy(typeKey: string, delta: StrategyStats): void {
    const k = `${typeKey}\u0000${delta.strategy}`;
    const pending = this.#pendingStrategies.get(k);
    if (!pending) {
      this.#pendingStrategies.set(k, { typeKey, stats: { ...delta } });
      return;
    }
    pending.stats.samples += delta.samples;
    pending.stats.bytesIn += delta.bytesIn;
    pending.stats.bytesOut += delta.bytesOut;
    pending.stats.nanos += delta.nanos;
  }

  flushStrategyStats(): void {
    if (this.#pendingStrategies.size === 0) return;
    this.transaction(() => {
      for (const { typeKey, stats: s } of this.#pendingStrategies.values()) {
        this.#sql.addStrategy.run(typeKey, s.strategy, s.samples, s.bytesIn, s.bytesOut, s.nanos);
      }
    });
    this.#pendingStrategies.clear();
  }

  /** Totals per type key, strategies in name order. */
  strategyHistory(): Map<string, StrategyStats[]> {
    this.flushStrategyStats();
    const history = new Map<string, StrategyStats[]>();
    for (const r of this.#guard(() => this.#sql.strategies.all())) {
      const list = history.get(r.type_key) ?? [];
      list.push({ strategy: r.strategy, samples: r.samples, bytesIn: r.bytes_in, bytesOut: r.bytes_out, nanos: r.nanos });
      history.set(r.type_key, list);
    }
    return history;
  }

  addActivity(a: Omit<ActivityRow, 'id'>): void {
    this.#guard(() => this.#sql.addActivity.run(a.at, a.kind, a.outcome, a.project, a.detail));
  }

  /** Newest first. */
  listActivity(limit = 500): ActivityRow[] {
    return this.#guard(() => this.#sql.listActivity.all(limit));
  }

  /**
   * Sets a snapshot's note (null clears it) and replaces its tags, in one
   * transaction. The caller has normalised both.
   */
  /** Marks this catalog as a private copy of one that cannot be written (see #readOnlyCopy). */
  markReadOnlyCopy(): void {
    this.#readOnlyCopy = true;
  }

  setSnapshotLabels(snapshotId: string, note: string | null, tags: readonly string[]): void {
    if (this.#readOnlyCopy) throw new VaultError('permission-denied', 'This vault cannot be written (a read-only disk, or a folder of another user), so its notes and tags cannot be changed.');
    this.transaction(() => {
      if (this.#sql.setNote.run(note, snapshotId).changes !== 1) throw new VaultError('not-found', `There is no snapshot ${snapshotId.slice(0, 8)} in this vault.`);
      this.#sql.clearTags.run(snapshotId);
      for (const tag of tags) this.#sql.addTag.run(snapshotId, tag);
      this.#sql.countLabelEdit.run();
    });
  }

  /** What the catalog holds now, as far as its checkpoint is concerned (heal/catalog-heal.ts `checkpointDue`). */
  checkpointMark(): CheckpointMark {
    const r = this.#guard(() => this.#sql.checkpointMark.get())!;
    return { packSeq: r.pack_seq, snapshots: r.snapshots, labelEdits: r.label_edits };
  }

  /** The mark recorded with the checkpoint on disk, if any. */
  lastCheckpoint(): CheckpointMark | undefined {
    const r = this.#guard(() => this.#sql.lastCheckpoint.get())!;
    if (r.at_pack_seq === null || r.at_snapshots === null || r.at_label_edits === null) return undefined;
    return { packSeq: r.at_pack_seq, snapshots: r.at_snapshots, labelEdits: r.at_label_edits };
  }

  /** Records `mark` (taken just before `copyTo`) once that copy is the checkpoint on disk. */
  recordCheckpoint(mark: CheckpointMark): void {
    this.#guard(() => this.#sql.recordCheckpoint.run(mark.packSeq, mark.snapshots, mark.labelEdits));
  }

  /** Every snapshot's tags, by snapshot id, in name order; untagged snapshots are absent. */
  snapshotTags(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.#guard(() => this.#sql.allTags.all())) {
      const list = out.get(r.snapshot_id);
      if (list) list.push(r.tag);
      else out.set(r.snapshot_id, [r.tag]);
    }
    return out;
  }

  addHealthCheck(c: Omit<HealthCheckRow, 'id'>): void {
    this.#guard(() => this.#sql.addHealthCheck.run(c.at, c.kind, c.readData ? 1 : 0, c.healthy ? 1 : 0, JSON.stringify(c.report)));
  }

  /** Newest first. */
  listHealthChecks(limit = 50): HealthCheckRow[] {
    return this.#guard(() => this.#sql.listHealthChecks.all(limit)).map((r) => ({
      id: r.id,
      at: r.at,
      kind: r.kind === 'repair' ? 'repair' : 'verify',
      readData: r.read_data === 1,
      healthy: r.healthy === 1,
      report: JSON.parse(r.report_json) as unknown,
    }));
  }

  stats(): CatalogStats {
    const row = this.#guard(() => this.#sql.stats.get());
    if (!row) throw new VaultError('internal', 'Catalog statistics are unavailable.');
    return row;
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). `fn` must be synchronous. */
  transaction<T>(fn: () => T): T {
    return this.#guard(() => this.#db.transaction(fn)());
  }

  /** Folds the WAL into the main file, e.g. after a large backup. */
  checkpoint(): void {
    this.#guard(() => this.#db.pragma('wal_checkpoint(TRUNCATE)'));
  }

  /**
   * Writes a consistent, encrypted copy of the catalog (same cipher and key)
   * to `path`, which must not exist: the checkpoint a damaged catalog is
   * rebuilt from. The copy leaves out the indexes an open makes again.
   */
  copyTo(path: string): void {
    this.flushStrategyStats();
    this.#guard(() => {
      this.#db.prepare('VACUUM INTO ?').run(path);
      this.#compactCopy?.(path);
    });
  }

  /** SQLite's own structural check of every page; a damaged page fails authentication. */
  integrityProblems(): string[] {
    const rows = this.#guard(() => this.#db.pragma('quick_check') as { quick_check: string }[]);
    return rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
  }

  get isOpen(): boolean {
    return this.#db.open;
  }

  close(): void {
    if (!this.#db.open) return;
    try {
      this.flushStrategyStats();
    } finally {
      this.#db.close();
      this.#onClose?.();
    }
  }

  #guard<T>(fn: () => T): T {
    return guard(this.path, fn);
  }
}

function guard<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw sqliteError(err, path);
  }
}

function asBuffer(id: Uint8Array): Buffer {
  return Buffer.isBuffer(id) ? id : Buffer.from(id.buffer, id.byteOffset, id.byteLength);
}

function toProject(r: ProjectDbRow): Project {
  return { id: r.id, name: r.name, sourcePath: r.source_path, createdAt: r.created_at };
}

function toSnapshot(r: SnapshotDbRow): SnapshotRow {
  return {
    id: r.id,
    projectId: r.project_id,
    createdAt: r.created_at,
    treeId: r.tree_id,
    parentId: r.parent_id,
    fileCount: r.file_count,
    dirCount: r.dir_count,
    totalBytes: r.total_bytes,
    newBytes: r.new_bytes,
    storedBytes: r.stored_bytes,
    filesNew: r.files_new,
    filesChanged: r.files_changed,
    filesUnmodified: r.files_unmodified,
    durationMs: r.duration_ms,
    warnings: JSON.parse(r.warnings_json) as unknown[],
    note: r.note,
  };
}

function fromSnapshot(s: SnapshotRow): SnapshotDbRow {
  return {
    id: s.id,
    project_id: s.projectId,
    created_at: s.createdAt,
    tree_id: asBuffer(s.treeId),
    parent_id: s.parentId,
    file_count: s.fileCount,
    dir_count: s.dirCount,
    total_bytes: s.totalBytes,
    new_bytes: s.newBytes,
    stored_bytes: s.storedBytes,
    files_new: s.filesNew,
    files_changed: s.filesChanged,
    files_unmodified: s.filesUnmodified,
    duration_ms: s.durationMs,
    warnings_json: JSON.stringify(s.warnings),
    note: s.note,
  };
}
