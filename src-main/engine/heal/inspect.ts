/**
 * Inspection: reads every pack and parity shard once and says, stripe by
 * stripe, what is damaged and whether the parity can rebuild it.
 *
 * - Pack files in a parity group: CRC-32 of every stripe against the group
 *   descriptor (in the workers). Missing, truncated and over-long files are
 *   damage in the rows they cover.
 * - Parity shards: the same; a missing or stale shard is erased in every row.
 * - Packs in no group ("unprotected"): their sealed header must authenticate.
 * - With `readData`, every blob is also authenticated, decompressed and its
 *   keyed id re-checked (in the workers), which finds damage that predates
 *   the parity or lies in an unprotected pack.
 * A row is repairable when at most m of its shards are erased.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { NewBlob } from '../catalog/index.ts';
import { VaultError } from '../errors.ts';
import { errnoCode } from '../fsutil/index.ts';
import { listPacks, readPackIndex } from '../packs/index.ts';
import type { PackEntry } from '../packs/index.ts';
import { stripeCount } from './layout.ts';
import type { GroupDescriptor } from './layout.ts';
import { loadGroups, readParityShard, unreadableGroupIds } from './parity-store.ts';
import type { StoredGroup } from './parity-store.ts';
import type { HealTarget } from './target.ts';

export interface ShardState {
  /** 'pack' for a member, 'parity' for a parity shard. */
  role: 'pack' | 'parity';
  /** Pack id (members) or `<group>.<j>` (parity). */
  name: string;
  /** Position in the code: members 0..K-1, parity K..K+m-1. */
  index: number;
  /** Bytes that belong to the shard (member length or shard length). */
  length: number;
  missing: boolean;
  /** Actual file size, when the file exists. */
  fileSize: number | null;
  /** Stripes whose CRC fails (or that the file no longer reaches). */
  badStripes: number[];
}

export interface GroupState {
  stored: StoredGroup;
  shards: ShardState[];
  /** Rows with more erasures than parity shards: beyond repair. */
  lostRows: number[];
  /** Rows with at least one erasure. */
  damagedRows: number;
}

export interface BlobProblem {
  packId: string;
  blobId: string;
  kind: number;
  offset: number;
  length: number;
  message: string;
}

export interface Inspection {
  groups: GroupState[];
  /** Groups none of whose descriptor copies could be read. */
  unreadableGroups: string[];
  /** Packs on disk that no readable group protects. */
  unprotectedPacks: string[];
  /** Unprotected packs whose header does not authenticate. */
  damagedUnprotectedPacks: string[];
  /** Packs the catalog lists that are gone and that no group can rebuild. */
  missingPacks: string[];
  /** Packs on disk the catalog does not list. */
  orphanPacks: string[];
  blobProblems: BlobProblem[];
  packsChecked: number;
  bytesChecked: number;
  blobsChecked: number;
}

export interface InspectOptions {
  /** Also authenticate every blob of every pack. */
  readData?: boolean;
  /** Authenticate the blobs of these packs only (repair's check of what it rewrote). */
  readDataOf?: ReadonlySet<string>;
  signal?: AbortSignal;
  onProgress?: (p: { phase: string; packs: number; packsTotal: number; bytes: number; bytesTotal: number; current: string | null }) => void;
}

export async function inspect(target: HealTarget, options: InspectOptions = {}): Promise<Inspection> {
  const stored = await loadGroups(target.dir);
  const onDisk = await listPacks(target.packsDir);
  const diskIds = new Set(onDisk.map((p) => p.packId));
  const protectedIds = new Set<string>();
  for (const g of stored.values()) for (const m of g.desc.members) protectedIds.add(m.packId);
  const catalogPacks = target.catalog ? target.catalog.listPacks() : [];
  const result: Inspection = {
    groups: [],
    unreadableGroups: await unreadableGroupIds(target.dir, new Set(stored.keys())),
    unprotectedPacks: onDisk.filter((p) => !protectedIds.has(p.packId)).map((p) => p.packId),
    damagedUnprotectedPacks: [],
    missingPacks: catalogPacks.filter((p) => !diskIds.has(p.id) && !protectedIds.has(p.id)).map((p) => p.id),
    orphanPacks: target.catalog ? onDisk.filter((p) => !catalogPacks.some((c) => c.id === p.packId)).map((p) => p.packId) : [],
    blobProblems: [],
    packsChecked: 0,
    bytesChecked: 0,
    blobsChecked: 0,
  };
  const bytesTotal = onDisk.reduce((n, p) => n + p.size, 0);
  const progress = (phase: string, current: string | null) =>
    options.onProgress?.({ phase, packs: result.packsChecked, packsTotal: onDisk.length, bytes: result.bytesChecked, bytesTotal, current });

  for (const group of stored.values()) {
    checkCancelled(options.signal);
    result.groups.push(await inspectGroup(target, group, result, options, progress));
  }
  const unprotected = new SharedReads();
  for (const packId of result.unprotectedPacks) {
    checkCancelled(options.signal);
    const path = join(target.packsDir, `${packId}.pack`);
    let entries: PackEntry[] | undefined;
    try {
      entries = (await readPackIndex(path, target.keys.blobKey)).entries;
    } catch {
      result.damagedUnprotectedPacks.push(packId);
    }
    if (options.readData || options.readDataOf?.has(packId)) {
      const file = await unprotected.read(path).catch(() => undefined);
      if (file) await checkBlobs(target, packId, file, entries ?? catalogEntries(target, packId), result, options.signal);
    }
    result.packsChecked++;
    progress('checking', packId);
  }
  progress('done', null);
  return result;
}

async function inspectGroup(target: HealTarget, group: StoredGroup, result: Inspection, options: InspectOptions, progress: (phase: string, current: string | null) => void): Promise<GroupState> {
  const d = group.desc;
  const shards: ShardState[] = [];
  // Each member is read once into shared memory, checked there by the workers (stripe CRCs and,
  // with readData, every blob) while the next member is being read.
  const reads = new SharedReads();
  const load = (i: number) => {
    const p = reads.read(join(target.packsDir, `${d.members[i]!.packId}.pack`));
    p.catch(() => undefined);
    return p;
  };
  let next = d.members.length > 0 ? load(0) : undefined;
  for (const [i, m] of d.members.entries()) {
    checkCancelled(options.signal);
    const path = join(target.packsDir, `${m.packId}.pack`);
    const shard: ShardState = { role: 'pack', name: m.packId, index: i, length: m.length, missing: false, fileSize: null, badStripes: [] };
    const file = await next!;
    next = i + 1 < d.members.length ? load(i + 1) : undefined;
    if (file) {
      shard.fileSize = file.length;
      const checks: Promise<unknown>[] = [badStripes(target, file, m.length, d.memberCrcs[i]!, d.stripeBytes, options.signal).then((bad) => (shard.badStripes = bad))];
      if (options.readData || options.readDataOf?.has(m.packId)) checks.push(checkBlobs(target, m.packId, file, catalogEntries(target, m.packId) ?? (await indexEntries(target, path)), result, options.signal));
      await Promise.all(checks);
      result.bytesChecked += file.length;
    } else {
      shard.missing = true;
      shard.badStripes = allStripes(m.length, d.stripeBytes);
    }
    shards.push(shard);
    result.packsChecked++;
    progress('checking', m.packId);
  }
  for (let j = 0; j < d.parityCount; j++) {
    const name = `${d.groupId}.${j}`;
    const shard: ShardState = { role: 'parity', name, index: d.capacity + j, length: d.shardLength, missing: false, fileSize: null, badStripes: [] };
    const bytes = await readParityShard(target.dir, group, j).catch(() => undefined);
    if (!bytes) {
      shard.missing = true;
      shard.badStripes = allStripes(d.shardLength, d.stripeBytes);
    } else {
      shard.fileSize = bytes.length;
      shard.badStripes = await badStripes(target, sharedCopy(bytes), d.shardLength, d.parityCrcs[j]!, d.stripeBytes, options.signal);
    }
    shards.push(shard);
  }
  const { lostRows, damagedRows } = rowsBeyondRepair(d, shards);
  return { stored: group, shards, lostRows, damagedRows };
}

/** Rows where more shards are erased than there are parity shards. */
export function rowsBeyondRepair(d: GroupDescriptor, shards: ShardState[]): { lostRows: number[]; damagedRows: number } {
  const erasures = new Map<number, number>();
  for (const s of shards) for (const r of s.badStripes) erasures.set(r, (erasures.get(r) ?? 0) + 1);
  const lostRows = [...erasures].filter(([, n]) => n > d.parityCount).map(([r]) => r).sort((a, b) => a - b);
  return { lostRows, damagedRows: erasures.size };
}

/** Stripes of the first `length` bytes whose CRC differs, plus those the bytes no longer reach. */
async function badStripes(target: HealTarget, file: SharedFile, length: number, expected: Uint32Array, stripeBytes: number, signal: AbortSignal | undefined): Promise<number[]> {
  const usable = Math.min(file.length, length);
  const actual = await target.pool.crc(file.sab, usable, stripeBytes, signal ? { signal } : {});
  const bad: number[] = [];
  const total = stripeCount(length, stripeBytes);
  for (let r = 0; r < total; r++) {
    // A stripe cut short by truncation has another CRC, or none at all.
    const complete = (r + 1) * stripeBytes <= usable || usable === length;
    if (r >= actual.length || !complete || actual[r] !== expected[r]) bad.push(r);
  }
  // Extra bytes after the member's end are damage too, but in no stripe: repair trims them.
  return bad;
}

/** A file's bytes in shared memory: the first `length` bytes of `sab`. */
interface SharedFile {
  sab: SharedArrayBuffer;
  length: number;
}

function sharedCopy(bytes: Uint8Array): SharedFile {
  const sab = new SharedArrayBuffer(Math.max(bytes.length, 1));
  new Uint8Array(sab).set(bytes);
  return { sab, length: bytes.length };
}

/**
 * Reads whole files into one of two shared buffers, alternately, so one file
 * can be read while the workers check the other; a buffer is reused (a fresh
 * SharedArrayBuffer per pack would live until the workers' heaps collect it).
 * Reading a third file reuses the first buffer: finish with a file before
 * reading the one after next. Undefined for a file that does not exist.
 */
class SharedReads {
  readonly #buffers: (SharedArrayBuffer | undefined)[] = [undefined, undefined];
  #turn = 0;

  async read(path: string): Promise<SharedFile | undefined> {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const size = (await handle.stat()).size;
      let sab = this.#buffers[this.#turn];
      if (!sab || sab.byteLength < size) this.#buffers[this.#turn] = sab = new SharedArrayBuffer(Math.max(size, 1));
      this.#turn ^= 1;
      const view = new Uint8Array(sab, 0, size);
      let done = 0;
      while (done < size) {
        const { bytesRead } = await handle.read(view, done, size - done, done);
        if (bytesRead === 0) break; // cut short while we read: what is there is what is checked
        done += bytesRead;
      }
      return { sab, length: done };
    } finally {
      await handle.close();
    }
  }
}

function allStripes(length: number, stripeBytes: number): number[] {
  return Array.from({ length: stripeCount(length, stripeBytes) }, (_, i) => i);
}

function catalogEntries(target: HealTarget, packId: string): NewBlob[] | undefined {
  if (!target.catalog) return undefined;
  const blobs = target.catalog.blobsInPack(packId);
  return blobs.length > 0 ? blobs : undefined;
}

async function indexEntries(target: HealTarget, path: string): Promise<PackEntry[]> {
  try {
    return (await readPackIndex(path, target.keys.blobKey)).entries;
  } catch {
    return [];
  }
}

const CHECK_BATCH = 64;

async function checkBlobs(target: HealTarget, packId: string, file: SharedFile, entries: readonly NewBlob[] | undefined, result: Inspection, signal: AbortSignal | undefined): Promise<void> {
  if (!entries) return;
  const batches: Promise<void>[] = [];
  for (let i = 0; i < entries.length; i += CHECK_BATCH) {
    const batch = entries.slice(i, i + CHECK_BATCH);
    const items = batch.map((e) => {
      const inside = e.offset + e.length <= file.length;
      return { sealed: inside ? new Uint8Array(file.sab, e.offset, e.length) : new Uint8Array(0), id: e.id, kind: e.kind, rawLength: e.rawLength };
    });
    batches.push(
      target.pool.check(items, signal ? { signal } : {}).then((outcomes) => {
        outcomes.forEach((message, n) => {
          result.blobsChecked++;
          const e = batch[n]!;
          if (message !== null || e.offset + e.length > file.length) {
            result.blobProblems.push({ packId, blobId: Buffer.from(e.id).toString('hex'), kind: e.kind, offset: e.offset, length: e.length, message: message ?? 'the pack ends before this blob' });
          }
        });
      }),
    );
  }
  await Promise.all(batches);
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new VaultError('cancelled', 'The check was cancelled.');
}
