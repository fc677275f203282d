/**
 * The catalog is an index, never the only truth: packs list their blobs in
 * their own sealed headers, and every snapshot's manifest is a blob. So a
 * damaged or deleted catalog is rebuilt, never lost:
 *
 *   1. start from the encrypted checkpoint (`catalog.checkpoint.db`, a
 *      consistent copy written after a committed backup when due, see
 *      `checkpointDue`) when it passes SQLite's check, otherwise from an
 *      empty catalog;
 *   2. enter every pack on disk that the catalog does not know, from the
 *      pack's own header (and the members of its bundles, from each
 *      bundle's own table);
 *   3. add every snapshot whose manifest blob is in a pack but not in the
 *      catalog.
 * The new catalog is built under a temporary name and renamed into place;
 * the damaged one is kept aside as `catalog.db.damaged-<time>`, never deleted.
 */
import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CATALOG_FILE, openCatalog } from '../catalog/index.ts';
import type { Catalog } from '../catalog/index.ts';
import { decode } from '../codecs/index.ts';
import { VaultError, fromSystemError } from '../errors.ts';
import { errnoCode, fsyncDir, randomSuffix } from '../fsutil/index.ts';
import { blobIdHasher } from '../keys/index.ts';
import type { VaultKeys } from '../keys/index.ts';
import { listPacks, readBlobBytes, readPackIndex } from '../packs/index.ts';
import { bundleMembersIn } from './adopt.ts';
import type { PackEntry } from '../packs/index.ts';
import { BlobKind, openBlob } from '../packs/seal.ts';
import { decodeManifest } from '../snapshot/index.ts';

export const CHECKPOINT_FILE = 'catalog.checkpoint.db';
const PACKS_DIR = 'packs';
/**
 * Packs, or snapshots, the catalog may hold beyond its checkpoint before a
 * backup rewrites it: what a rebuild then reads from the packs (their
 * headers, and one manifest per snapshot) beyond the copy.
 */
export const CHECKPOINT_LAG = 32;

/**
 * Whether a backup that just committed should rewrite the checkpoint. Since
 * manifest version 2 a rebuild recovers every snapshot's figures from the
 * packs; what only the checkpoint keeps is the user's notes and tags (and
 * history: activity, health checks, compression statistics, which may be
 * lost). So it is due when none was recorded or the file is gone, when a
 * note or tag changed since, or after CHECKPOINT_LAG packs or snapshots.
 */
export function checkpointDue(vaultDir: string, catalog: Catalog): boolean {
  const last = catalog.lastCheckpoint();
  if (!last || !existsSync(join(vaultDir, CHECKPOINT_FILE))) return true;
  const now = catalog.checkpointMark();
  if (now.labelEdits !== last.labelEdits) return true;
  const packs = now.packSeq - last.packSeq;
  const snapshots = now.snapshots - last.snapshots;
  return packs < 0 || snapshots < 0 || packs >= CHECKPOINT_LAG || snapshots >= CHECKPOINT_LAG;
}

/** Writes the checkpoint atomically: a crash leaves the previous one. */
export async function writeCheckpoint(vaultDir: string, catalog: Catalog): Promise<void> {
  const temp = join(vaultDir, `.${CHECKPOINT_FILE}.${randomSuffix()}.tmp`);
  try {
    // Taken with the copy, on the same tick: what the copy holds, whatever changes after it.
    const mark = catalog.checkpointMark();
    catalog.copyTo(temp);
    const handle = await open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(vaultDir, CHECKPOINT_FILE));
    await fsyncDir(vaultDir);
    catalog.recordCheckpoint(mark);
  } catch (err) {
    await rm(temp, { force: true });
    throw fromSystemError(err, 'the catalog checkpoint');
  }
}

/** SQLite's verdict on the catalog: [] when healthy. Opening failures count as problems. */
export function catalogProblems(vaultDir: string, keys: VaultKeys): string[] {
  let catalog: Catalog | undefined;
  try {
    catalog = openCatalog(join(vaultDir, CATALOG_FILE), keys.catalogKey);
    return catalog.integrityProblems();
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  } finally {
    try {
      catalog?.close();
    } catch {
      // closing a damaged catalog may fail too; the problem is already reported
    }
  }
}

export interface RebuildReport {
  from: 'checkpoint' | 'packs';
  packsAdded: number;
  snapshotsAdded: number;
  /** Packs whose header could not be read: their blobs are unknown to the new catalog. */
  unreadablePacks: string[];
}

export async function rebuildCatalog(vaultDir: string, keys: VaultKeys, now: () => number = Date.now): Promise<RebuildReport> {
  const temp = join(vaultDir, `.catalog.rebuild-${randomSuffix()}.db`);
  let from: RebuildReport['from'] = 'packs';
  let catalog = await startFromCheckpoint(vaultDir, keys, temp);
  if (catalog) from = 'checkpoint';
  else {
    await rm(temp, { force: true });
    catalog = openCatalog(temp, keys.catalogKey);
  }
  let report: RebuildReport;
  try {
    report = { from, ...(await reconcile(vaultDir, keys, catalog)) };
    // A listing's digest vouches for the blobs below it; after a rebuild some may be gone.
    catalog.clearTreeDigests();
    catalog.checkpoint();
  } finally {
    catalog.close();
  }
  await swapIn(vaultDir, temp, now());
  return report;
}

async function startFromCheckpoint(vaultDir: string, keys: VaultKeys, temp: string): Promise<Catalog | undefined> {
  try {
    await copyFile(join(vaultDir, CHECKPOINT_FILE), temp);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    return undefined;
  }
  try {
    const catalog = openCatalog(temp, keys.catalogKey);
    if (catalog.integrityProblems().length === 0) return catalog;
    catalog.close();
  } catch {
    // a damaged checkpoint: fall back to the packs alone
  }
  await rm(temp, { force: true });
  for (const suffix of ['-wal', '-shm']) await rm(temp + suffix, { force: true });
  return undefined;
}

/** Adds what the packs hold and the catalog lacks. Also used after a checkpoint restore. */
export async function reconcile(vaultDir: string, keys: VaultKeys, catalog: Catalog): Promise<Omit<RebuildReport, 'from'>> {
  const packsDir = join(vaultDir, PACKS_DIR);
  const known = new Set(catalog.listPacks().map((p) => p.id));
  const manifests: { path: string; entry: PackEntry }[] = [];
  const unreadablePacks: string[] = [];
  let packsAdded = 0;
  for (const pack of await listPacks(packsDir)) {
    let entries: PackEntry[];
    try {
      entries = (await readPackIndex(pack.path, keys.blobKey)).entries;
    } catch {
      unreadablePacks.push(pack.packId);
      continue;
    }
    if (!known.has(pack.packId)) {
      const members = await bundleMembersIn(pack.path, keys.blobKey, entries);
      catalog.addPack({ id: pack.packId, size: pack.size }, entries.map((e) => ({ id: e.id, kind: e.kind, offset: e.offset, length: e.length, rawLength: e.rawLength })), members);
      packsAdded++;
    }
    for (const e of entries) if (e.kind === BlobKind.snapshot) manifests.push({ path: pack.path, entry: e });
  }
  let snapshotsAdded = 0;
  const sorted: { id: string; manifest: ReturnType<typeof decodeManifest>; entry: PackEntry }[] = [];
  const idOf = blobIdHasher(keys.idKey);
  for (const { path, entry } of manifests) {
    const id = entry.id.toString('hex');
    if (catalog.findSnapshots(id).length > 0) continue;
    try {
      sorted.push({ id, entry, manifest: decodeManifest(await readVerifiedBlob(keys, idOf, path, entry), `snapshot ${id.slice(0, 12)}`) });
    } catch {
      // a damaged manifest: its snapshot cannot be listed; verify reports the blob
    }
  }
  sorted.sort((a, b) => a.manifest.createdAt - b.manifest.createdAt);
  for (const { id, manifest: m, entry } of sorted) {
    // A version 1 manifest has no figures: they were only in the catalog. Version 2 has them as of
    // just before the manifest itself was stored; its own blob, new by definition, is added here.
    const f = m.figures;
    catalog.transaction(() => {
      const project = catalog.getProject(m.project) ?? catalog.upsertProject(m.project, m.sourcePath);
      catalog.addSnapshot({
        id,
        projectId: project.id,
        createdAt: m.createdAt,
        treeId: Buffer.from(m.tree, 'hex'),
        parentId: m.parent && catalog.findSnapshots(m.parent).length > 0 ? m.parent : null,
        fileCount: m.counts.files,
        dirCount: m.counts.dirs,
        totalBytes: m.counts.bytes,
        newBytes: f ? f.newBytes + entry.rawLength : 0,
        storedBytes: f ? f.storedBytes + entry.length : 0,
        filesNew: f?.filesNew ?? 0,
        filesChanged: f?.filesChanged ?? 0,
        filesUnmodified: f?.filesUnmodified ?? 0,
        durationMs: f?.durationMs ?? 0,
        warnings: m.warnings,
        note: null,
      });
    });
    snapshotsAdded++;
  }
  return { packsAdded, snapshotsAdded, unreadablePacks };
}

async function readVerifiedBlob(keys: VaultKeys, idOf: (bytes: Uint8Array) => Buffer, packPath: string, e: PackEntry): Promise<Buffer> {
  const sealed = await readBlobBytes(packPath, e.offset, e.length);
  const opened = openBlob(keys.blobKey, e.kind, e.id, sealed);
  const plain = decode(opened.codec, opened.payload, e.rawLength);
  if (!timingSafeEqual(idOf(plain), e.id)) {
    throw new VaultError('damaged-data', `Blob ${e.id.toString('hex').slice(0, 12)} does not match its id.`);
  }
  return plain;
}

/** Keeps the damaged catalog aside and renames the rebuilt one into place. */
async function swapIn(vaultDir: string, temp: string, time: number): Promise<void> {
  const live = join(vaultDir, CATALOG_FILE);
  try {
    await rename(live, `${live}.damaged-${time}`).catch((err: unknown) => {
      if (errnoCode(err) !== 'ENOENT') throw err;
    });
    for (const suffix of ['-wal', '-shm']) await rm(live + suffix, { force: true });
    for (const suffix of ['-wal', '-shm']) await rm(temp + suffix, { force: true });
    await rename(temp, live);
    await fsyncDir(vaultDir);
  } catch (err) {
    throw fromSystemError(err, 'the rebuilt catalog');
  }
}
