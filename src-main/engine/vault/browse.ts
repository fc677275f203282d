/**
 * Read-only views of a vault: listing a snapshot's folder, the difference
 * between two snapshots, and the vault's statistics. None of these take the
 * write lock.
 */
import { timingSafeEqual } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PARITY_DIR } from '../heal/layout.ts';
import type { SnapshotRow } from '../catalog/index.ts';
import { ENTRY_TYPE_CODE, indexTree } from '../snapshot/index.ts';
import type { TreeEntry, TreeIndex } from '../snapshot/index.ts';
import { BlobKind } from '../packs/index.ts';
import { orderOf } from '../../../src-shared/listing.ts';
import type { SortDir, SortKey } from '../../../src-shared/listing.ts';
import { splitPath } from './vault.ts';
import type { Vault } from './vault.ts';
import { VaultError } from '../errors.ts';

export interface ListedEntry {
  name: string;
  path: string;
  type: TreeEntry['type'];
  size: number;
  mode: number;
  mtimeMs: number;
  target?: string;
}

/** The entries of one folder of a snapshot (or the single entry, for a file path). */
export async function listPath(vault: Vault, snapshot: SnapshotRow, path = ''): Promise<ListedEntry[]> {
  const { entry, segments } = await vault.entryAt(snapshot, path);
  const prefix = segments.join('/');
  if (entry && entry.type !== 'dir') return [listed(entry, prefix.split('/').slice(0, -1).join('/'))];
  const treeId = entry ? entry.subtree! : snapshot.treeId;
  return (await vault.loadTree(treeId)).map((e) => listed(e, prefix));
}

export interface ListPageOptions {
  sort?: SortKey;
  dir?: SortDir;
  offset?: number;
  /** Entries at most; default all. */
  limit?: number;
}

export interface ListPage {
  /** The folder listed ('' for the root), or the file's folder for a file path. */
  entries: ListedEntry[];
  /** Entries in the whole folder. */
  total: number;
  offset: number;
}

/**
 * The folders browsed last, per vault, as located trees (`TreeIndex`) with
 * the orders asked of them so far: a 100,000-entry folder is read and
 * indexed once, sorted once per order, and every page after that builds only
 * its own entries. Most recently used last.
 */
const folderCache = new WeakMap<Vault, Map<string, Folder>>();
/** Enough for the parents of a deep folder (every page finds its folder from the root) and a few huge folders. */
const CACHED_FOLDERS = 64;
const CACHED_ENTRIES = 400_000;

interface Folder {
  index: TreeIndex;
  /** `${sort}:${dir}` → positions in the tree, in that order. */
  orders: Map<string, number[]>;
}

/**
 * One page of a folder of a snapshot, in the order the UI shows
 * (src-shared/listing.ts): the first rows of a huge folder travel, not all
 * of them. The folder's tree is indexed (`indexTree`), not decoded: the sort
 * reads names, types, sizes and times from flat arrays, and only the page's
 * entries are built from the tree's bytes.
 */
export async function listPage(vault: Vault, snapshot: SnapshotRow, path = '', options: ListPageOptions = {}): Promise<ListPage> {
  const segments = splitPath(path);
  const prefix = segments.join('/');
  const at = await folderAt(vault, snapshot, segments);
  if ('entry' in at) return { entries: [listed(at.entry, segments.slice(0, -1).join('/'))], total: 1, offset: 0 };
  const { folder } = at;
  const order = orderIn(folder, options.sort ?? 'name', options.dir ?? 'asc');
  const total = order.length;
  const offset = Math.min(Math.max(0, options.offset ?? 0), total);
  const end = options.limit === undefined ? total : Math.min(total, offset + Math.max(0, options.limit));
  const entries: ListedEntry[] = [];
  for (let i = offset; i < end; i++) entries.push(listed(folder.index.entry(order[i]!), prefix));
  return { entries, total, offset };
}

/**
 * Type-ahead over a whole folder, loaded pages or not: the row (in the UI's
 * order) of the first entry after row `from` whose name starts with
 * `prefix`, case aside, wrapping round; null when none does. `from` -1
 * searches from the top. The renderer holds only the pages it has asked for,
 * so in a 100,000-entry folder its own search would miss most names.
 */
export async function findInFolder(vault: Vault, snapshot: SnapshotRow, path: string, options: { sort?: SortKey; dir?: SortDir; from: number; prefix: string }): Promise<number | null> {
  const at = await folderAt(vault, snapshot, splitPath(path));
  if ('entry' in at) throw new VaultError('invalid-argument', `'${path}' is a file, not a folder.`);
  const { folder } = at;
  const order = orderIn(folder, options.sort ?? 'name', options.dir ?? 'asc');
  const prefix = options.prefix.toLowerCase();
  const names = folder.index.names;
  const n = order.length;
  const from = Math.min(Math.max(-1, Math.trunc(options.from)), n - 1);
  for (let k = 1; k <= n; k++) {
    const row = (from + k + n) % n;
    if (names[order[row]!]!.toLowerCase().startsWith(prefix)) return row;
  }
  return null;
}

/**
 * The entry at `segments` below the tree `treeId`, or null when some part of
 * the path is not there: through the folder cache, so walking one path
 * through many snapshots of a huge folder indexes each listing, never
 * decodes it whole (file history).
 */
export async function entryBelow(vault: Vault, treeId: Uint8Array, segments: readonly string[]): Promise<TreeEntry | null> {
  let folder = await cachedFolder(vault, treeId);
  for (const [i, name] of segments.entries()) {
    const at = folder.index.names.indexOf(name);
    if (at < 0) return null;
    if (i === segments.length - 1) return folder.index.entry(at);
    const subtree = folder.index.subtree(at);
    if (!subtree) return null;
    folder = await cachedFolder(vault, subtree);
  }
  return null;
}

/** The folder's positions in one order, sorted once and kept with the folder. */
function orderIn(folder: Folder, sort: SortKey, dir: SortDir): number[] {
  const key = `${sort}:${dir}`;
  let order = folder.orders.get(key);
  if (!order) folder.orders.set(key, (order = sortedPositions(folder.index, sort, dir)));
  return order;
}

/**
 * The file or link at `path` of a snapshot, or null when a folder is there;
 * found as `Vault.entryAt` finds it (same errors), through the folder cache,
 * so previewing a file of a 100,000-entry folder just listed decodes nothing
 * but that one entry.
 */
export async function nonFolderAt(vault: Vault, snapshot: SnapshotRow, path: string): Promise<TreeEntry | null> {
  const at = await folderAt(vault, snapshot, splitPath(path));
  return 'entry' in at ? at.entry : null;
}

/**
 * The folder at `segments` (or the file or link there), as `Vault.entryAt`
 * finds it, but through the folder cache: the parents of a folder inside a
 * huge one are located, not decoded, and only the entry on the path is built.
 */
async function folderAt(vault: Vault, snapshot: SnapshotRow, segments: readonly string[]): Promise<{ folder: Folder } | { entry: TreeEntry }> {
  let folder = await cachedFolder(vault, snapshot.treeId);
  for (const [i, name] of segments.entries()) {
    const where = `'${segments.slice(0, i + 1).join('/')}'`;
    const at = folder.index.names.indexOf(name);
    if (at < 0) throw new VaultError('not-found', `${where} is not in snapshot ${snapshot.id.slice(0, 8)}.`);
    const subtree = folder.index.subtree(at);
    if (!subtree) {
      if (i === segments.length - 1) return { entry: folder.index.entry(at) };
      throw new VaultError('not-found', `${where} is not a folder in snapshot ${snapshot.id.slice(0, 8)}.`);
    }
    folder = await cachedFolder(vault, subtree);
  }
  return { folder };
}

async function cachedFolder(vault: Vault, treeId: Uint8Array): Promise<Folder> {
  const key = Buffer.from(treeId).toString('hex');
  let cache = folderCache.get(vault);
  if (!cache) folderCache.set(vault, (cache = new Map()));
  let folder = cache.get(key);
  if (folder) cache.delete(key);
  else folder = { index: indexTree(await vault.readBlob(treeId, BlobKind.tree), `tree ${key.slice(0, 12)}`, { adopt: true }), orders: new Map() };
  cache.set(key, folder);
  let entries = 0;
  for (const f of cache.values()) entries += f.index.count;
  // The oldest go first; the folder just asked for stays, however large.
  for (const [k, f] of cache) {
    if (cache.size <= 1 || (cache.size <= CACHED_FOLDERS && entries <= CACHED_ENTRIES)) break;
    cache.delete(k);
    entries -= f.index.count;
  }
  return folder;
}

const DIR_CODE = ENTRY_TYPE_CODE.dir;

function sortedPositions(index: TreeIndex, sort: SortKey, dir: SortDir): number[] {
  const { names, types, sizes, mtimeMs } = index;
  // A plain array: V8 sorts it far faster with a comparator than a typed array.
  const order = Array.from(names, (_, i) => i);
  order.sort(orderOf<number>(sort, dir, { name: (i) => names[i]!, isDir: (i) => types[i] === DIR_CODE, size: (i) => sizes[i]!, time: (i) => mtimeMs[i]! }));
  return order;
}

function listed(e: TreeEntry, parent: string): ListedEntry {
  return {
    name: e.name,
    path: parent ? `${parent}/${e.name}` : e.name,
    type: e.type,
    size: e.size,
    mode: e.mode,
    mtimeMs: Number(e.mtimeNs / 1_000_000n),
    ...(e.type === 'symlink' ? { target: e.target ?? '' } : {}),
  };
}

export interface DiffEntry {
  path: string;
  change: 'added' | 'removed' | 'changed' | 'type-changed';
  type: TreeEntry['type'];
  sizeBefore: number | null;
  sizeAfter: number | null;
}

export interface SnapshotDiff {
  from: string;
  to: string;
  entries: DiffEntry[];
  added: number;
  removed: number;
  changed: number;
  /** Total size after minus total size before, in bytes. */
  sizeDelta: number;
}

/**
 * What changed from snapshot `a` to snapshot `b`. Identical subtrees have the
 * same tree id and are skipped without being read, so the cost follows the
 * size of the change, not of the snapshot.
 */
export async function diffSnapshots(vault: Vault, a: SnapshotRow, b: SnapshotRow): Promise<SnapshotDiff> {
  const entries: DiffEntry[] = [];
  await diffTrees(vault, a.treeId, b.treeId, '', entries);
  let sizeDelta = 0;
  const tally = { added: 0, removed: 0, changed: 0 };
  for (const e of entries) {
    if (e.type !== 'dir') sizeDelta += (e.sizeAfter ?? 0) - (e.sizeBefore ?? 0);
    if (e.change === 'added') tally.added++;
    else if (e.change === 'removed') tally.removed++;
    else tally.changed++;
  }
  return { from: a.id, to: b.id, entries, ...tally, sizeDelta };
}

async function diffTrees(vault: Vault, treeA: Uint8Array | null, treeB: Uint8Array | null, prefix: string, out: DiffEntry[]): Promise<void> {
  if (treeA && treeB && sameId(treeA, treeB)) return;
  const before = treeA ? await vault.loadTree(treeA) : [];
  const after = treeB ? await vault.loadTree(treeB) : [];
  const byName = new Map(before.map((e) => [e.name, e]));
  const seen = new Set<string>();
  for (const e of after) {
    const path = prefix ? `${prefix}/${e.name}` : e.name;
    const old = byName.get(e.name);
    seen.add(e.name);
    if (!old) {
      out.push({ path, change: 'added', type: e.type, sizeBefore: null, sizeAfter: e.size });
      if (e.type === 'dir') await diffTrees(vault, null, e.subtree ?? null, path, out);
    } else if (old.type !== e.type) {
      out.push({ path, change: 'type-changed', type: e.type, sizeBefore: old.size, sizeAfter: e.size });
      if (old.type === 'dir') await diffTrees(vault, old.subtree ?? null, null, path, out);
      if (e.type === 'dir') await diffTrees(vault, null, e.subtree ?? null, path, out);
    } else if (e.type === 'dir') {
      await diffTrees(vault, old.subtree ?? null, e.subtree ?? null, path, out);
    } else if (!sameEntry(old, e)) {
      out.push({ path, change: 'changed', type: e.type, sizeBefore: old.size, sizeAfter: e.size });
    }
  }
  for (const e of before) {
    if (seen.has(e.name)) continue;
    const path = prefix ? `${prefix}/${e.name}` : e.name;
    out.push({ path, change: 'removed', type: e.type, sizeBefore: e.size, sizeAfter: null });
    if (e.type === 'dir') await diffTrees(vault, e.subtree ?? null, null, path, out);
  }
}

/** Same content (and link target, and mode): a touched-but-identical file is not a change. */
function sameEntry(a: TreeEntry, b: TreeEntry): boolean {
  if (a.mode !== b.mode || a.size !== b.size) return false;
  if (a.type === 'symlink') return (a.target ?? '') === (b.target ?? '');
  const ca = a.content ?? [];
  const cb = b.content ?? [];
  return ca.length === cb.length && ca.every((id, i) => sameId(id, cb[i]!));
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface VaultStats {
  projects: number;
  snapshots: number;
  packs: number;
  /** Sealed blobs in the packs (a bundle counts once). */
  blobs: number;
  /** Unique chunks of file content, alone or inside bundles. */
  chunks: number;
  /** Sum of every snapshot's file sizes: what the vault would take without dedup or compression. */
  originalBytes: number;
  /** Plaintext bytes of unique blobs: original minus dedup savings. */
  uniqueBytes: number;
  /** Bytes of pack files on disk. */
  storedBytes: number;
  dedupSavedBytes: number;
  compressionSavedBytes: number;
  /** Bytes of parity files: what self-healing costs, and that cost as a share of the packs. */
  parityBytes: number;
  parityShare: number;
  /** What the engine learned per file type: the strategy it uses and how it did. */
  fileTypes: { typeKey: string; strategy: string; samples: number; bytesIn: number; bytesOut: number; mbPerSecond: number | null }[];
}

export function vaultStats(vault: Vault): VaultStats {
  const cat = vault.catalog;
  const totals = cat.stats();
  const snapshots = cat.listSnapshots();
  const originalBytes = snapshots.reduce((n, s) => n + s.totalBytes, 0);
  const fileTypes: VaultStats['fileTypes'] = [];
  for (const [typeKey, rows] of cat.strategyHistory()) {
    for (const r of rows) {
      fileTypes.push({ typeKey, strategy: r.strategy, samples: r.samples, bytesIn: r.bytesIn, bytesOut: r.bytesOut, mbPerSecond: r.nanos > 0 ? r.bytesIn / 1e6 / (r.nanos / 1e9) : null });
    }
  }
  fileTypes.sort((x, y) => y.bytesIn - x.bytesIn);
  const parityBytes = folderBytes(join(vault.dir, PARITY_DIR));
  return {
    projects: totals.projects,
    snapshots: totals.snapshots,
    packs: totals.packs,
    blobs: totals.blobs,
    chunks: totals.chunks,
    originalBytes,
    uniqueBytes: totals.rawBytes,
    storedBytes: totals.packBytes,
    dedupSavedBytes: Math.max(0, originalBytes - totals.rawBytes),
    compressionSavedBytes: Math.max(0, totals.rawBytes - totals.packBytes),
    parityBytes,
    parityShare: totals.packBytes > 0 ? parityBytes / totals.packBytes : 0,
    fileTypes,
  };
}

function folderBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) total += statSync(join(dir, name)).size;
  } catch {
    // no parity folder yet
  }
  return total;
}
