/**
 * The catalog: an encrypted SQLite index of the vault (catalog.db).
 *
 * Terms
 * - **Catalog**: projects, snapshots, blob → pack locations, packs and
 *   compression statistics. An index, never the only truth: everything but
 *   the statistics can be rebuilt from the packs.
 * - **Catalog key**: the `catalogKey` subkey (keys/). SQLite3MultipleCiphers
 *   encrypts and authenticates every page with it (ChaCha20-Poly1305, the
 *   library default), including the WAL.
 * - **Migration**: a numbered, append-only step in `migrations/`;
 *   `PRAGMA user_version` records the last one applied.
 *
 * Invariants
 * - The key is set before anything is read, and a read of sqlite_master
 *   proves it right at once: a wrong key or a damaged file fails at open
 *   with 'damaged-data', never later in the middle of a backup.
 * - WAL with synchronous=FULL: a commit is durable when it returns. The
 *   caller commits a snapshot only after its packs are durable.
 * - temp_store=MEMORY: sorts and temporary indexes never spill plaintext into
 *   unencrypted temp files.
 * - Each migration runs in its own transaction together with its
 *   user_version bump, so a crash leaves the schema at a whole version.
 * - A catalog from a newer app version (user_version above what we know) is
 *   refused, not written to.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { VaultError, fromSystemError } from '../errors.ts';
import { canWrite, processExists } from '../fsutil/index.ts';
import { Catalog } from './catalog.ts';
import { MIGRATIONS } from './migrations/index.ts';
import type { Migration } from './migrations/index.ts';
import { sqliteError } from './sqlite-errors.ts';

export { Catalog } from './catalog.ts';
export type { ActivityRow, BlobLocation, CatalogStats, CheckpointMark, HealthCheckRow, NewBlob, NewMember, NewPack, PackRow, Project, SnapshotRow, StrategyStats, TreeDigestRow } from './catalog.ts';
export { BlobIdSet } from './blob-id-set.ts';

export const CATALOG_FILE = 'catalog.db';

/** Opens (creating if needed) the catalog at `path` and brings its schema up to date. */
/**
 * Sets the cipher and key on a fresh connection, before anything else.
 * The catalog key is already a uniformly random 256-bit HKDF output, so
 * SQLite3MC's own PBKDF2 stretching (64,007 rounds, ~33 ms per open) adds no
 * security; one round keeps opening instant. This is part of the catalog
 * format: every open must set the same cipher parameters.
 */
export function applyCatalogKey(db: Database.Database, catalogKey: Buffer): void {
  db.pragma("cipher = 'chacha20'");
  db.pragma('kdf_iter = 1');
  db.pragma(`hexkey='${catalogKey.toString('hex')}'`);
}

/**
 * Loads SQLite's native binding now, if it is not loaded yet. On Linux the
 * driver first asks for a process report to tell glibc from musl, and a
 * report waits for every live worker thread to answer (10-20 ms while they
 * work): call this before starting worker threads that run beside the first
 * catalog open.
 */
export function loadCatalogDriver(): void {
  new Database(':memory:').close();
}

/**
 * Indexes a catalog can rebuild from its own tables. They are left out of
 * the checkpoint (`Catalog.copyTo`), where blobs_by_pack alone was 40% of
 * the file (0.44 of 1.07 MB for the bench corpus's 11,000 blobs), and every
 * open makes any that is missing, so a catalog rebuilt from a checkpoint has
 * them again. Keep in step with the migrations that created them (0001).
 */
const REBUILDABLE_INDEXES: readonly { name: string; sql: string }[] = [
  { name: 'blobs_by_pack', sql: 'CREATE INDEX IF NOT EXISTS blobs_by_pack ON blobs(pack_seq)' },
  { name: 'bundle_members_by_bundle', sql: 'CREATE INDEX IF NOT EXISTS bundle_members_by_bundle ON bundle_members(bundle_id)' },
];

/** Rewrites the catalog copy at `path` without the rebuildable indexes (see REBUILDABLE_INDEXES). */
function compactCopy(path: string, catalogKey: Buffer): void {
  const db = new Database(path);
  try {
    applyCatalogKey(db, catalogKey);
    for (const index of REBUILDABLE_INDEXES) db.exec(`DROP INDEX IF EXISTS ${index.name}`);
    db.exec('VACUUM');
  } finally {
    db.close();
  }
}

/**
 * The catalog of a vault it may not write (a read-only disk, a folder of
 * another user), for reading. In WAL mode SQLite must create its `-shm` file
 * beside the database even to read, and this SQLite build takes no
 * `immutable=1` URI, so the catalog (and its `-wal`, if any) is copied into a
 * private temporary folder and opened there. The copy is as encrypted as the
 * original; it is removed when the catalog closes. A process that dies first
 * leaves it behind, still encrypted; the folder's name carries the process
 * id, so the next copy made on this machine removes it. Nothing is ever
 * written back, and notes and tags, which would be lost at close, are refused
 * (Catalog.markReadOnlyCopy).
 */
export function openCatalogCopy(path: string, catalogKey: Buffer): Catalog {
  removeDeadCopies();
  let dir: string | undefined;
  const drop = () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    dir = mkdtempSync(join(tmpdir(), `${COPY_PREFIX}${process.pid}-`));
    const copy = join(dir, basename(path));
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
  } catch (err) {
    drop();
    throw fromSystemError(err, `the catalog ${path}`);
  }
  try {
    const catalog = openCatalog(join(dir, basename(path)), catalogKey, drop);
    catalog.markReadOnlyCopy();
    return catalog;
  } catch (err) {
    drop();
    throw err;
  }
}

const COPY_PREFIX = 'mmry-catalog-copy-';

/** Removes the catalog copies of processes that are gone; one that cannot be removed (another user's) stays. */
function removeDeadCopies(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(COPY_PREFIX)) continue;
    const pid = Number(name.slice(COPY_PREFIX.length).split('-', 1)[0]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || processExists(pid)) continue;
    try {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    } catch {
      // Not ours to remove; it holds nothing readable without the vault's key.
    }
  }
}

/** A vault's catalog: opened in place, or through `openCatalogCopy` where the vault folder cannot be written. */
export function openVaultCatalog(path: string, catalogKey: Buffer): Catalog {
  return canWrite(dirname(path)) ? openCatalog(path, catalogKey) : openCatalogCopy(path, catalogKey);
}

export function openCatalog(path: string, catalogKey: Buffer, onClose?: () => void): Catalog {
  if (catalogKey.length !== 32) throw new VaultError('internal', 'The catalog key must be 32 bytes.');
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (err) {
    throw sqliteError(err, path);
  }
  try {
    applyCatalogKey(db, catalogKey);
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('temp_store = MEMORY');
    migrate(db, path);
    for (const index of REBUILDABLE_INDEXES) db.exec(index.sql);
    return new Catalog(db, path, (copy) => compactCopy(copy, catalogKey), onClose);
  } catch (err) {
    db.close();
    throw sqliteError(err, path);
  }
}

/** Applies pending migrations; returns how many ran. */
export function migrate(db: Database.Database, path: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new VaultError('not-a-vault', `The catalog ${path} was written by a newer version of MMRY Vault (schema ${current}); update the app to open it.`);
  }
  const pending = migrations.filter((m) => m.version > current);
  for (const m of pending) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return pending.length;
}
