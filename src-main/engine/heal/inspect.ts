/**
 * Inspection: reads every pack and parity shard once and says, stripe by
 * stripe, what is damaged and whether the parity can rebuild it.
 *
 * - Pack files in a parity group: CRC-32 of every stripe against the group
 *   descriptor (in the workers). Missing, truncated and over-long files are
 *   damage in the rows they cover.
 * - Parity shards: the same; a missing or stale shard is erased in every row.
 * - Packs in no group ("unprotected"): their sealed header must authenticate.
 * - With `readData`, every blob is also decrypted and authenticated (in the
 *   workers; its AEAD tag binds its id and kind), which finds damage that
 *   predates the parity or lies in an unprotected pack.
 * A row is repairable when at most p · cells of its stripes are erased, or
 * when its damage, though in more stripes, is scattered enough to be placed
 * byte by byte (rs/locate.ts): such a row is tried at once, and its repaired
 * stripes kept in `rowFixes` for repair to write.
 *
 * Timeline: files are read one after another on the main thread into a few
 * reused shared buffers; each is checked by the workers while the next ones
 * are read, across groups and parity shards alike, so the threads are never
 * left waiting for one file's last batch (CheckRun). Rows are judged once
 * every check has settled.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { NewBlob } from '../catalog/index.ts';
import { VaultError } from '../errors.ts';
import { errnoCode } from '../fsutil/index.ts';
import { BLOB_ID_BYTES, listPacks, readPackIndex } from '../packs/index.ts';
import type { PackEntry } from '../packs/index.ts';
import { parityFileName, rowOf, stripeCount } from './layout.ts';
import type { GroupDescriptor } from './layout.ts';
import { loadGroups, parityDir, unreadableGroupIds } from './parity-store.ts';
import type { StoredGroup } from './parity-store.ts';
import { CheckQueue } from './check-queue.ts';
import { correctRow } from './on-read.ts';
import { ReedSolomon } from './rs/index.ts';
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
  /** Rows (layout.ts) with more erased stripes than parity symbols: beyond repair. */
  lostRows: number[];
  /** Rows with at least one erasure. */
  damagedRows: number;
  /** Rows with more erased stripes than parity symbols that scattered-damage correction rebuilt: row → symbol → bytes. */
  rowFixes: Map<number, Map<number, Uint8Array>>;
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
  const catalogIds = new Set(catalogPacks.map((p) => p.id));
  const result: Inspection = {
    groups: [],
    unreadableGroups: await unreadableGroupIds(target.dir, new Set(stored.keys())),
    unprotectedPacks: onDisk.filter((p) => !protectedIds.has(p.packId)).map((p) => p.packId),
    damagedUnprotectedPacks: [],
    missingPacks: catalogPacks.filter((p) => !diskIds.has(p.id) && !protectedIds.has(p.id)).map((p) => p.id),
    orphanPacks: target.catalog ? onDisk.filter((p) => !catalogIds.has(p.packId)).map((p) => p.packId) : [],
    blobProblems: [],
    packsChecked: 0,
    bytesChecked: 0,
    blobsChecked: 0,
  };
  const bytesTotal = onDisk.reduce((n, p) => n + p.size, 0);
  const progress: Progress = (phase, current) =>
    options.onProgress?.({ phase, packs: result.packsChecked, packsTotal: onDisk.length, bytes: result.bytesChecked, bytesTotal, current });

  // Files are read one after another and checked while the next ones are read,
  // across groups and parity shards alike; rows are judged once all is checked.
  const run = new CheckRun(new CheckQueue(target.pool, target.mainThread, options.signal), options.signal);
  for (const group of stored.values()) result.groups.push(await submitGroup(target, group, result, options, run, progress));
  for (const packId of result.unprotectedPacks) await submitUnprotected(target, packId, result, options, run, progress);
  await run.finished();
  for (const g of result.groups) {
    Object.assign(g, rowsBeyondRepair(g.stored.desc, g.shards));
    if (g.lostRows.length > 0) await correctScatteredRows(target, g);
  }
  progress('done', null);
  return result;
}

/** Queues the checks of one group's members and parity shards; its rows are judged later. */
async function submitGroup(target: HealTarget, group: StoredGroup, result: Inspection, options: InspectOptions, run: CheckRun, progress: Progress): Promise<GroupState> {
  const d = group.desc;
  const shards: ShardState[] = [];
  for (const [i, m] of d.members.entries()) {
    const shard: ShardState = { role: 'pack', name: m.packId, index: i, length: m.length, missing: false, fileSize: null, badStripes: [] };
    shards.push(shard);
    const path = join(target.packsDir, `${m.packId}.pack`);
    const file = await run.read(path);
    if (!file) {
      shard.missing = true;
      shard.badStripes = allStripes(m.length, d.stripeBytes);
      result.packsChecked++;
      progress('checking', m.packId);
      continue;
    }
    shard.fileSize = file.length;
    const checks: Promise<unknown>[] = [badStripes(run.checks, file, m.length, d.memberCrcs[i]!, d.stripeBytes).then((bad) => (shard.badStripes = bad))];
    if (options.readData || options.readDataOf?.has(m.packId)) checks.push(checkBlobs(run.checks, m.packId, file, catalogEntries(target, m.packId) ?? (await indexEntries(target, path)), result));
    run.add(file, checks, () => {
      result.bytesChecked += file.length;
      result.packsChecked++;
      progress('checking', m.packId);
    });
  }
  for (let j = 0; j < d.parityCount; j++) {
    const shard: ShardState = { role: 'parity', name: `${d.groupId}.${j}`, index: d.capacity + j, length: d.shardLength, missing: false, fileSize: null, badStripes: [] };
    shards.push(shard);
    // A stale shard (its file does not hold the winning descriptor) is erased whole; so is an unreadable one.
    const path = join(parityDir(target.dir), parityFileName(d.groupId, j));
    const file = group.shardCurrent[j] ? await run.read(path, { afterDescriptor: true, limit: d.shardLength }).catch(() => undefined) : undefined;
    if (!file) {
      shard.missing = true;
      shard.badStripes = allStripes(d.shardLength, d.stripeBytes);
      continue;
    }
    shard.fileSize = file.length;
    run.add(file, [badStripes(run.checks, file, d.shardLength, d.parityCrcs[j]!, d.stripeBytes).then((bad) => (shard.badStripes = bad))]);
  }
  return { stored: group, shards, lostRows: [], damagedRows: 0, rowFixes: new Map() };
}

/** A pack no readable group protects: its sealed header must authenticate, and with readData its blobs. */
async function submitUnprotected(target: HealTarget, packId: string, result: Inspection, options: InspectOptions, run: CheckRun, progress: Progress): Promise<void> {
  run.throwIfCancelled();
  const path = join(target.packsDir, `${packId}.pack`);
  let entries: PackEntry[] | undefined;
  try {
    entries = (await readPackIndex(path, target.keys.blobKey)).entries;
  } catch {
    result.damagedUnprotectedPacks.push(packId);
  }
  const done = () => {
    result.packsChecked++;
    progress('checking', packId);
  };
  const file = options.readData || options.readDataOf?.has(packId) ? await run.read(path).catch(() => undefined) : undefined;
  if (file) run.add(file, [checkBlobs(run.checks, packId, file, entries ?? catalogEntries(target, packId), result)], done);
  else done();
}

/**
 * Most rows of one group that scattered-damage correction is tried on: each
 * costs a read of the row in every shard. Scattered flips leave a few such
 * rows; thousands mean lost or overwritten stretches, which it cannot place.
 */
const CORRECTABLE_ROWS_TRIED = 1024;

/**
 * Tries each lost row whose damaged stripes can all be read (not in a
 * missing file or past a file's end, where nothing is left to correct);
 * rows it rebuilds leave `lostRows` for `rowFixes`.
 */
async function correctScatteredRows(target: HealTarget, g: GroupState): Promise<void> {
  const d = g.stored.desc;
  const readable = (s: ShardState, stripe: number) => !s.missing && s.fileSize !== null && Math.min(s.fileSize, s.length) >= Math.min((stripe + 1) * d.stripeBytes, s.length);
  const unreadable = new Set<number>();
  for (const s of g.shards) for (const stripe of s.badStripes) if (!readable(s, stripe)) unreadable.add(rowOf(d, stripe));
  const rs = new ReedSolomon(d.capacity * d.cells, d.parityCount * d.cells);
  const still: number[] = [];
  let tried = 0;
  for (const row of g.lostRows) {
    const fix = !unreadable.has(row) && tried++ < CORRECTABLE_ROWS_TRIED ? await correctRow(target, d, rs, row) : undefined;
    if (fix) g.rowFixes.set(row, fix);
    else still.push(row);
  }
  g.lostRows = still;
}

/** Rows with more erased stripes than the code has parity symbols (p · cells). */
export function rowsBeyondRepair(d: GroupDescriptor, shards: ShardState[]): { lostRows: number[]; damagedRows: number } {
  const erasures = new Map<number, number>();
  for (const s of shards) for (const stripe of s.badStripes) erasures.set(rowOf(d, stripe), (erasures.get(rowOf(d, stripe)) ?? 0) + 1);
  const lostRows = [...erasures].filter(([, n]) => n > d.parityCount * d.cells).map(([r]) => r).sort((a, b) => a - b);
  return { lostRows, damagedRows: erasures.size };
}

/** Stripes of the first `length` bytes whose CRC differs, plus those the bytes no longer reach. */
async function badStripes(checks: CheckQueue, file: SharedFile, length: number, expected: Uint32Array, stripeBytes: number): Promise<number[]> {
  const usable = Math.min(file.length, length);
  const actual = await checks.crc(file.sab, usable, stripeBytes);
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

type Progress = (phase: string, current: string | null) => void;

/**
 * Files being checked at once, while one more is read: the threads then
 * always have the next file's batches queued behind the current file's,
 * instead of idling while its last batch finishes.
 */
const FILES_IN_CHECK = 2;

/**
 * One inspection's reads and checks. Every file is read once, whole, into one
 * of FILES_IN_CHECK + 1 reused shared buffers (a fresh SharedArrayBuffer per
 * file would live until the workers' heaps happen to collect it); a buffer is
 * free again when the checks of its file have settled. The first check that
 * fails stops further reading, and `finished` throws it.
 */
class CheckRun {
  readonly checks: CheckQueue;
  readonly signal: AbortSignal | undefined;
  readonly #free: (SharedArrayBuffer | undefined)[] = Array.from({ length: FILES_IN_CHECK + 1 }, () => undefined);
  readonly #waiting: (() => void)[] = [];
  readonly #pending = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(checks: CheckQueue, signal: AbortSignal | undefined) {
    this.checks = checks;
    this.signal = signal;
  }

  /**
   * Reads a file into a free buffer, waiting for one; undefined when the file
   * does not exist. `afterDescriptor`: the bytes after a parity file's
   * length-prefixed descriptor; `limit`: read at most this many.
   */
  async read(path: string, how: { afterDescriptor?: boolean; limit?: number } = {}): Promise<SharedFile | undefined> {
    this.throwIfCancelled();
    while (this.#free.length === 0) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    const slot = this.#free.pop();
    let file: SharedFile | undefined;
    try {
      this.throwIfCancelled();
      file = await readShared(path, slot, how);
      return file;
    } finally {
      if (!file) this.#release(slot);
    }
  }

  /** Tracks a file's checks: once they have all settled its buffer is free again, and on success `done` runs. */
  add(file: SharedFile, checks: Promise<unknown>[], done?: () => void): void {
    const tracked: Promise<void> = Promise.all(checks)
      .then(
        () => done?.(),
        (err: unknown) => {
          this.#failure ??= { error: err };
        },
      )
      .finally(() => {
        this.#pending.delete(tracked);
        this.#release(file.sab);
      });
    this.#pending.add(tracked);
  }

  /** Waits for every check; throws the first failure. */
  async finished(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    this.throwIfCancelled();
  }

  throwIfCancelled(): void {
    if (this.#failure) throw this.#failure.error;
    checkCancelled(this.signal);
  }

  #release(sab: SharedArrayBuffer | undefined): void {
    this.#free.push(sab);
    this.#waiting.shift()?.();
  }
}

/** Reads a file into `reuse` when it is large enough, else into a new shared buffer. */
async function readShared(path: string, reuse: SharedArrayBuffer | undefined, how: { afterDescriptor?: boolean; limit?: number }): Promise<SharedFile | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const size = (await handle.stat()).size;
    let start = 0;
    if (how.afterDescriptor) {
      const prefix = Buffer.alloc(4);
      if ((await handle.read(prefix, 0, 4, 0)).bytesRead < 4) return undefined;
      start = Math.min(size, 4 + prefix.readUInt32LE(0));
    }
    const want = Math.min(size - start, how.limit ?? Infinity);
    const sab = reuse && reuse.byteLength >= want ? reuse : new SharedArrayBuffer(Math.max(want, 1));
    const view = new Uint8Array(sab, 0, want);
    let done = 0;
    while (done < want) {
      const { bytesRead } = await handle.read(view, done, want - done, start + done);
      if (bytesRead === 0) break; // cut short while we read: what is there is what is checked
      done += bytesRead;
    }
    return { sab, length: done };
  } finally {
    await handle.close();
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

/**
 * A batch of blobs for one check task closes at this many sealed bytes or
 * items: few enough tasks that posting and answering them costs little, yet
 * several per pack so both threads share every pack.
 */
const CHECK_BATCH_BYTES = 1024 * 1024;
const CHECK_BATCH_ITEMS = 256;

async function checkBlobs(checks: CheckQueue, packId: string, file: SharedFile, entries: readonly NewBlob[] | undefined, result: Inspection): Promise<void> {
  if (!entries) return;
  // The ids travel in shared memory too: one buffer per pack instead of a cloned one per blob.
  const ids = new Uint8Array(new SharedArrayBuffer(Math.max(1, entries.length * BLOB_ID_BYTES)));
  const batches: Promise<void>[] = [];
  let first = 0;
  let bytes = 0;
  for (let i = 0; i < entries.length; i++) {
    bytes += entries[i]!.length;
    if (bytes < CHECK_BATCH_BYTES && i + 1 - first < CHECK_BATCH_ITEMS && i + 1 < entries.length) continue;
    batches.push(checkBatch(checks, packId, file, entries.slice(first, i + 1), ids.subarray(first * BLOB_ID_BYTES), result));
    first = i + 1;
    bytes = 0;
  }
  await Promise.all(batches);
}

async function checkBatch(checks: CheckQueue, packId: string, file: SharedFile, batch: readonly NewBlob[], ids: Uint8Array, result: Inspection): Promise<void> {
  const items = batch.map((e, n) => {
    let id = e.id;
    if (id.length === BLOB_ID_BYTES) (id = ids.subarray(n * BLOB_ID_BYTES, (n + 1) * BLOB_ID_BYTES)).set(e.id);
    const inside = e.offset + e.length <= file.length;
    return { sealed: inside ? new Uint8Array(file.sab, e.offset, e.length) : new Uint8Array(0), id, kind: e.kind, rawLength: e.rawLength };
  });
  const outcomes = await checks.check(items);
  outcomes.forEach((message, n) => {
    result.blobsChecked++;
    const e = batch[n]!;
    if (message !== null || e.offset + e.length > file.length) {
      result.blobProblems.push({ packId, blobId: Buffer.from(e.id).toString('hex'), kind: e.kind, offset: e.offset, length: e.length, message: message ?? 'the pack ends before this blob' });
    }
  });
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new VaultError('cancelled', 'The check was cancelled.');
}
