/**
 * BlobWriter: turns file bytes into stored blobs, once.
 *
 * Data flow for one backup run:
 *   bytes → arena (a SharedArrayBuffer the workers read without copying)
 *         → `hash` task (FastCDC cuts + keyed ids, in a worker)
 *         → dedup against the catalog's known ids and the ids in flight
 *         → `seal` task for new blobs only (compress + encrypt, in a worker)
 *         → PackSink (append to the open pack; a full pack is sealed,
 *           fsynced, renamed and entered in the catalog).
 *
 * New chunks under BUNDLE_MEMBER_MAX (small files, the tails of large ones)
 * are not sealed one by one: they are copied into an open bundle of their
 * file type (packs/bundle.ts), and a bundle of up to BUNDLE_BYTES is
 * compressed and sealed as one blob. A chunk counts as stored once it is in
 * a bundle; `drain` seals the bundles still open, so nothing a snapshot
 * refers to is left out of the packs it waits for. New small folder
 * listings get their ids on this thread and wait in a listing batch the same
 * way (each stays a blob of its own): a parent folder need not wait for its
 * children's listings to come back from a worker.
 *
 * Small files are packed many to an arena so one task serves many files; a
 * worker reads them straight into the arena (`putSmallFile`, see
 * workers/read-files.ts), so their bytes and system calls never touch the
 * main thread. A large file is read in segments, carrying the bytes after the last cut into
 * the next segment so the cuts equal those of chunking the file whole.
 *
 * Memory stays bounded whatever the project size: every arena and segment
 * holds a share of a fixed byte budget until its blobs are sealed into the
 * pack writer.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Catalog, BlobIdSet } from '../catalog/index.ts';
import { chooseStrategy, fileTypeKey, isFloatLike, recordResult } from '../codecs/index.ts';
import type { StrategyStats } from '../codecs/index.ts';
import { VaultError, fromSystemError } from '../errors.ts';
import { bundleTableBytes, writeBundleTable } from '../packs/bundle.ts';
import { BlobKind } from '../packs/seal.ts';
import type { WorkerPool } from '../workers/index.ts';
import type { HashResult, ReadOutcome, ReadSpec, SealResult } from '../workers/protocol.ts';
import { ByteBudget } from './budget.ts';
import { SharedBuffers } from './shared-buffers.ts';
import type { PackSink } from './pack-sink.ts';

/** Bytes per arena of small blobs. */
const ARENA_BYTES = 4 * 1024 * 1024;
/** Most blobs in one arena: bounds one task's latency and message size. */
const ARENA_ITEMS = 256;
/** Trees up to this size get their id on the calling thread first. */
const MAIN_THREAD_ID_BYTES = 64 * 1024;
/** Bytes read from a large file per segment (plus the carried tail). */
const SEGMENT_BYTES = 8 * 1024 * 1024;
/**
 * File data in flight at most, by default: a 16 MiB segment plus arenas keep
 * both workers of a two-core machine busy; every such byte is also resident
 * memory, and peak RSS is compared with restic's.
 */
const DEFAULT_BUDGET_BYTES = 32 * 1024 * 1024;
/**
 * Bundles (packs/bundle.ts). Measured on the bench corpus's 9,829 distinct
 * contents under 512 KiB (71 MB), zstd level 3: one by one 28.4 MB; in
 * bundles by file type, unbounded: of 1 MiB 23.0 MB, of 2 MiB 22.4 MB. With
 * at most 8 types open, the least recently used sealed early to make room:
 * 23.2 MB in 157 bundles (6 open: 23.3 MB, 218 bundles; 16 open: 23.4 MB;
 * sealing the fullest instead thrashed: 413 bundles). 1 MiB, because a
 * bundle is also the unit lost to damage that its parity cannot rebuild.
 */
export const BUNDLE_MEMBER_MAX = 512 * 1024;
/** Members' bytes in one bundle at most: a member that does not fit starts the next bundle. */
export const BUNDLE_BYTES = 1024 * 1024;
const BUNDLE_MAX_MEMBERS = 1024;
const OPEN_BUNDLES = 8;
const BUNDLE_CAPACITY = BUNDLE_BYTES + bundleTableBytes(BUNDLE_MAX_MEMBERS);
/** Bundles (and listing batches) being sealed at once; more would only queue for the workers. Each holds its buffer, as does each open one. */
const BUNDLES_SEALING = 2;
/** New small folder listings sealed per worker task, at most (bytes, listings). */
const LISTING_BATCH_BYTES = 1024 * 1024;
const LISTING_BATCH_ITEMS = 512;

export interface StoredContent {
  ids: Uint8Array[];
  /** Bytes actually read (the file's size as stored). */
  size: number;
  /** Plaintext bytes of blobs that were new to the vault. */
  newBytes: number;
}

export interface BlobWriterStats {
  newBlobs: number;
  newBytes: number;
  /** Bytes of sealed blobs added to packs. */
  storedBytes: number;
}

interface ArenaItem {
  offset: number;
  length: number;
  kind: BlobKind;
  typeKey: string;
  /** A small file the worker reads into this item's range; its type key is known once it is read. */
  read?: { spec: ReadSpec; name: string };
  resolve: (r: ArenaResult) => void;
  reject: (err: unknown) => void;
}

interface ArenaResult {
  id: Uint8Array;
  isNew: boolean;
  /** For an item the worker read: how that went. Without status 'read', `id` is empty. */
  read?: ReadOutcome;
}

/** How storing a small file read by a worker went (see `putSmallFile`). */
export type SmallFileOutcome =
  | { status: 'stored'; id: Uint8Array; isNew: boolean; changed: boolean }
  | { status: 'retry' }
  | { status: 'left-out'; message: string };

const NO_ID = new Uint8Array(0);

/** New folder listings waiting to be sealed, many to one worker task; their ids are computed on this thread. */
interface ListingBatch {
  buffer: SharedArrayBuffer;
  view: Uint8Array;
  used: number;
  items: { offset: number; length: number; id: Uint8Array; kind: BlobKind; typeKey: string }[];
}

/**
 * Chunks of one file type waiting to be sealed together, copied back to back
 * into a reused shared buffer that then goes to the worker as it is (a
 * buffer per chunk cost the main thread allocations and garbage collection).
 */
interface OpenBundle {
  typeKey: string;
  buffer: SharedArrayBuffer;
  view: Uint8Array;
  members: { id: Uint8Array; length: number }[];
  bytes: number;
}

interface Arena {
  buffer: SharedArrayBuffer;
  view: Uint8Array;
  used: number;
  items: ArenaItem[];
}

export interface BlobWriterDeps {
  pool: WorkerPool;
  catalog: Catalog;
  sink: PackSink;
  known: BlobIdSet;
  signal?: AbortSignal;
  /** Bytes of file data in flight at most. */
  budgetBytes?: number;
  /** The keyed blob id, computed on this thread: lets a known folder listing skip the pool. */
  idOf?: (bytes: Uint8Array) => Uint8Array;
}

export class BlobWriter {
  readonly stats: BlobWriterStats = { newBlobs: 0, newBytes: 0, storedBytes: 0 };
  readonly #deps: BlobWriterDeps;
  readonly #budget: ByteBudget;
  readonly #buffers: SharedBuffers;
  /** Ids sealed or being sealed in this run but not yet in a registered pack. */
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #history: Map<string, StrategyStats[]>;
  readonly #tasks = new Set<Promise<unknown>>();
  /** Open bundles by file type key, least recently added to first (see `#addToBundle`). */
  readonly #bundles = new Map<string, OpenBundle>();
  /** Ids of blobs queued in a bundle or in the listing batch, not in the pack sink yet. */
  readonly #queued = new Set<string>();
  /** Seal tasks of bundles and listing batches at once. */
  readonly #sealSlots = new ByteBudget(BUNDLES_SEALING);
  #listings: ListingBatch | undefined;
  #arena: Arena | undefined;
  #flushScheduled = false;
  #failure: unknown;

  constructor(deps: BlobWriterDeps) {
    this.#deps = deps;
    this.#budget = new ByteBudget(deps.budgetBytes ?? DEFAULT_BUDGET_BYTES);
    this.#buffers = new SharedBuffers();
    this.#history = deps.catalog.strategyHistory() as Map<string, StrategyStats[]>;
  }

  /** Stores one whole blob (a small file or a tree) and returns its id. */
  async putWhole(data: Uint8Array, kind: BlobKind, typeKey: string): Promise<{ id: Uint8Array; isNew: boolean }> {
    this.#check();
    if (this.#deps.idOf && kind === BlobKind.tree && data.length <= MAIN_THREAD_ID_BYTES) {
      // A keyed hash of a few KiB here costs microseconds, a round trip through the pool far
      // more. An unchanged folder's listing is already stored (unchanged re-backups); a new one
      // joins the listing batch, sealed many to one task, and its parent need not wait for that.
      const id = this.#deps.idOf(data);
      const key = idKey(id);
      if (this.#deps.known.has(id) || this.#queued.has(key) || this.#inFlight.has(key)) return { id, isNew: false };
      await this.#queueListing(data, id, kind, typeKey);
      return { id, isNew: true };
    }
    if (data.length > ARENA_BYTES) return this.#putLarge(data, kind, typeKey);
    return this.#inArena(data.length, (arena, offset) => {
      arena.view.set(data, offset);
      return { offset, length: data.length, kind, typeKey };
    });
  }

  /**
   * Stores a small file (under the chunker's minimum, not empty) that a
   * worker reads straight into the arena at the size the scan saw
   * (workers/read-files.ts). 'retry' means its size moved since the scan:
   * store it with `putFile` instead.
   */
  async putSmallFile(path: string | Buffer, scan: ReadSpec['scan'], name: string): Promise<SmallFileOutcome> {
    this.#check();
    const length = Number(scan.size);
    if (length <= 0 || length > ARENA_BYTES) return { status: 'retry' };
    const r = await this.#inArena(length, (_arena, offset) => ({ offset, length, kind: BlobKind.chunk, typeKey: '', read: { spec: { path, scan }, name } }));
    if (!r.read || r.read.status === 'read') return { status: 'stored', id: r.id, isNew: r.isNew, changed: r.read?.changed ?? false };
    return r.read;
  }

  /** Places one item in the open arena, opening one (within the byte budget) when it is full. */
  async #inArena(length: number, fill: (arena: Arena, offset: number) => Omit<ArenaItem, 'resolve' | 'reject'>): Promise<ArenaResult> {
    for (;;) {
      const placed = this.#place(length, fill);
      if (placed) return placed;
      this.#flush();
      await this.#budget.acquire(ARENA_BYTES);
      this.#check();
      if (this.#arena) this.#budget.release(ARENA_BYTES); // another caller opened one meanwhile
      else this.#arena = this.#newArena();
    }
  }

  /**
   * Stores a regular file's content. Small files go to an arena, larger ones
   * are chunked segment by segment. Returns the ids in file order.
   */
  async putFile(handle: FileHandle, expectedSize: number, name: string, chunker: { min: number; max: number }, onRead?: (bytes: number) => void): Promise<StoredContent> {
    this.#check();
    if (expectedSize < chunker.min && expectedSize <= ARENA_BYTES) {
      const data = Buffer.allocUnsafe(expectedSize);
      const got = await readFully(handle, data, 0, expectedSize);
      const bytes = data.subarray(0, got);
      if (got === 0) return { ids: [], size: 0, newBytes: 0 }; // an empty file has no content blobs (tree invariant)
      const r = await this.putWhole(bytes, BlobKind.chunk, fileTypeKey(name, bytes.subarray(0, 16)));
      return { ids: [r.id], size: got, newBytes: r.isNew ? got : 0 };
    }
    return this.#putSegments(handle, name, chunker.max, onRead);
  }

  /** Waits for every pending blob, sealing the bundles still open; the caller then seals the last pack. */
  async drain(): Promise<void> {
    this.#flush();
    for (;;) {
      while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
      this.#check();
      const open = [...this.#bundles.values()];
      if (open.length === 0 && !this.#listings) break;
      for (const bundle of open) await this.#closeBundle(bundle);
      if (this.#listings) await this.#closeListings();
    }
    this.#check();
  }

  #check(): void {
    if (this.#deps.signal?.aborted) throw new VaultError('cancelled', 'The backup was cancelled.');
    if (this.#failure !== undefined) throw this.#failure;
  }

  /**
   * Reserves `length` bytes of the open arena, fills them (or describes the
   * file that will) and queues the item, synchronously, so no other caller
   * can flush the arena between placing and queueing.
   */
  #place(length: number, fill: (arena: Arena, offset: number) => Omit<ArenaItem, 'resolve' | 'reject'>): Promise<ArenaResult> | undefined {
    const arena = this.#arena;
    if (!arena || arena.used + length > arena.view.length || arena.items.length >= ARENA_ITEMS) return undefined;
    const item = fill(arena, arena.used);
    arena.used += length;
    const done = new Promise<ArenaResult>((resolve, reject) => {
      arena.items.push({ ...item, resolve, reject });
    });
    if (arena.items.length >= ARENA_ITEMS) this.#flush();
    else this.#flushIfIdle();
    return done;
  }

  /**
   * Batching policy: while every worker is busy, arenas keep filling (bigger
   * batches, less overhead); as soon as a worker is idle, what is gathered so
   * far goes out, so the pipeline never waits on a half-full arena.
   */
  #flushIfIdle(): void {
    if (this.#flushScheduled || this.#activeTasks >= this.#deps.pool.size) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#activeTasks < this.#deps.pool.size) this.#flush();
    });
  }

  #activeTasks = 0;

  async #pooled<T>(run: () => Promise<T>): Promise<T> {
    this.#activeTasks++;
    try {
      return await run();
    } finally {
      this.#activeTasks--;
      if (this.#arena && this.#arena.items.length > 0) this.#flushIfIdle();
    }
  }

  #flush(): void {
    const arena = this.#arena;
    if (!arena || arena.items.length === 0) return;
    this.#arena = undefined;
    this.#track(this.#processArena(arena));
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => {
      this.#failure ??= err;
    });
    this.#tasks.add(tracked);
    void tracked.finally(() => this.#tasks.delete(tracked));
  }

  async #processArena(arena: Arena): Promise<void> {
    const { items } = arena;
    try {
      const hashed = await this.#pooled(() =>
        this.#deps.pool.hash(
          arena.buffer,
          items.map((i) => ({ offset: i.offset, length: i.length, chunked: false, final: true, ...(i.read ? { read: i.read.spec } : {}) })),
          this.#callOpts(),
        ),
      );
      // Files the worker could not read as scanned carry no blob; the rest are sealed.
      const stored = items.flatMap((item, n) => (hashed[n]!.read && hashed[n]!.read.status !== 'read' ? [] : [n]));
      for (const n of stored) {
        const item = items[n]!;
        if (item.read) item.typeKey = fileTypeKey(item.read.name, arena.view.subarray(item.offset, item.offset + Math.min(16, item.length)));
      }
      const isNew = await this.#sealNew(
        arena.buffer,
        stored.map((n) => ({ offset: items[n]!.offset, length: items[n]!.length, id: hashed[n]!.ids[0]!, kind: items[n]!.kind, typeKey: items[n]!.typeKey })),
      );
      const isNewOf = new Map(stored.map((n, k) => [n, isNew[k]!]));
      items.forEach((item, n) => {
        const h = hashed[n]!;
        item.resolve({ id: h.ids[0] ?? NO_ID, isNew: isNewOf.get(n) ?? false, ...(h.read ? { read: h.read } : {}) });
      });
    } catch (err) {
      for (const item of items) item.reject(err);
      throw err;
    } finally {
      // Every task reading the arena has settled: it can carry the next batch.
      this.#buffers.give(arena.buffer);
      this.#budget.release(ARENA_BYTES);
    }
  }

  #newArena(): Arena {
    const buffer = this.#buffers.take(ARENA_BYTES);
    return { buffer, view: new Uint8Array(buffer), used: 0, items: [] };
  }

  /**
   * Seals the blobs whose ids the vault does not have yet; returns, per
   * blob, whether it was new. Duplicates within the batch or of blobs still in
   * flight are sealed once.
   */
  async #sealNew(buffer: SharedArrayBuffer, blobs: { offset: number; length: number; id: Uint8Array; kind: BlobKind; typeKey: string }[]): Promise<boolean[]> {
    const isNew: boolean[] = [];
    const toSeal: typeof blobs = [];
    const waits: Promise<void>[] = [];
    let resolveMine!: () => void;
    let rejectMine!: (e: unknown) => void;
    const mine = new Promise<void>((res, rej) => {
      resolveMine = res;
      rejectMine = rej;
    });
    mine.catch(() => undefined);
    for (const b of blobs) {
      const key = idKey(b.id);
      const pending = this.#inFlight.get(key);
      // In an open bundle: stored as far as this run is concerned (drain seals it before any commit).
      if (this.#deps.known.has(b.id) || pending || this.#queued.has(key)) {
        isNew.push(false);
        if (pending && pending !== mine) waits.push(pending);
        continue;
      }
      isNew.push(true);
      if (bundleable(b)) {
        const closed = this.#addToBundle(b.typeKey, b.id, new Uint8Array(buffer, b.offset, b.length));
        this.#queued.add(key);
        // Waiting for a sealing slot holds this batch back: back-pressure when bundles close faster
        // than they are sealed, and at most one closed bundle per batch waits with its buffer.
        if (closed) await this.#closeBundle(closed);
        continue;
      }
      this.#inFlight.set(key, mine);
      toSeal.push(b);
    }
    try {
      if (toSeal.length > 0) {
        const items = toSeal.map((b) => ({ offset: b.offset, length: b.length, id: b.id, kind: b.kind, typeKey: b.typeKey, strategy: chooseStrategy(this.#history.get(b.typeKey)) }));
        const results = await this.#pooled(() => this.#deps.pool.seal(buffer, items, this.#callOpts()));
        for (let n = 0; n < toSeal.length; n++) {
          const b = toSeal[n]!;
          const r = results[n]!;
          await this.#deps.sink.add(b.id, b.kind, sealedBuffer(r), r.rawLength);
          this.#learn(b.typeKey, b.kind, r.strategy, r.rawLength, r.sealed.byteLength, r.nanos);
          this.stats.newBlobs += 1;
          this.stats.newBytes += r.rawLength;
          this.stats.storedBytes += r.sealed.byteLength;
        }
      }
      resolveMine();
    } catch (err) {
      rejectMine(err);
      throw err;
    } finally {
      for (const b of toSeal) if (this.#inFlight.get(idKey(b.id)) === mine) this.#inFlight.delete(idKey(b.id));
    }
    // A blob another batch is sealing must be in the pack before this file counts as stored.
    if (waits.length > 0) await Promise.all(waits);
    return isNew;
  }

  /**
   * Copies a chunk into the open bundle of its type and returns the bundle
   * it closed to do so, if any: that type's own when the chunk does not fit
   * in it, or, when OPEN_BUNDLES types are open already, the one least
   * recently added to (the open bundles are kept in that order).
   */
  #addToBundle(typeKey: string, id: Uint8Array, bytes: Uint8Array): OpenBundle | undefined {
    let closed: OpenBundle | undefined;
    let bundle = this.#bundles.get(typeKey);
    if (bundle) this.#bundles.delete(typeKey);
    if (bundle && (bundle.bytes + bytes.length > BUNDLE_BYTES || bundle.members.length >= BUNDLE_MAX_MEMBERS)) {
      closed = bundle;
      bundle = undefined;
    }
    if (!bundle) {
      if (!closed && this.#bundles.size >= OPEN_BUNDLES) {
        closed = this.#bundles.values().next().value!;
        this.#bundles.delete(closed.typeKey);
      }
      const buffer = this.#buffers.take(BUNDLE_CAPACITY);
      bundle = { typeKey, buffer, view: new Uint8Array(buffer), members: [], bytes: 0 };
    }
    this.#bundles.set(typeKey, bundle);
    // A copy: the arena or segment is reused as soon as its batch is done.
    bundle.view.set(bytes, bundle.bytes);
    bundle.members.push({ id: new Uint8Array(id), length: bytes.length });
    bundle.bytes += bytes.length;
    return closed;
  }

  /** Takes a bundle out of the open ones (if still there) and starts sealing it once a slot is free. */
  async #closeBundle(bundle: OpenBundle): Promise<void> {
    if (this.#bundles.get(bundle.typeKey) === bundle) this.#bundles.delete(bundle.typeKey);
    await this.#sealSlots.acquire(1);
    this.#track(this.#sealBundle(bundle).finally(() => this.#sealSlots.release(1)));
  }

  async #sealBundle(bundle: OpenBundle): Promise<void> {
    const { buffer } = bundle;
    try {
      this.#check();
      const at = bundle.bytes;
      const length = writeBundleTable(bundle.view, at, bundle.members);
      const strategy = chooseStrategy(this.#history.get(bundle.typeKey));
      const [r] = await this.#pooled(() => this.#deps.pool.seal(buffer, [{ offset: 0, length, id: NO_ID, kind: BlobKind.bundle, typeKey: bundle.typeKey, strategy }], this.#callOpts()));
      const bundleId = r!.id;
      if (!bundleId) throw new VaultError('internal', 'The worker did not return the id of a bundle.');
      let inner = 0;
      const members = bundle.members.map((m) => {
        const member = { id: m.id, bundleId, innerOffset: inner, length: m.length };
        inner += m.length;
        return member;
      });
      await this.#deps.sink.add(bundleId, BlobKind.bundle, sealedBuffer(r!), r!.rawLength, members);
      // The statistics describe the file type: one sample per chunk, their bytes in, the sealed bundle out.
      this.#learn(bundle.typeKey, BlobKind.chunk, r!.strategy, at, r!.sealed.byteLength, r!.nanos, members.length);
      this.stats.newBlobs += members.length;
      this.stats.newBytes += at;
      this.stats.storedBytes += r!.sealed.byteLength;
    } finally {
      for (const m of bundle.members) this.#queued.delete(idKey(m.id));
      this.#buffers.give(buffer);
    }
  }

  /** Copies a new listing, whose id is known, into the listing batch; a full batch is sealed first. */
  async #queueListing(data: Uint8Array, id: Uint8Array, kind: BlobKind, typeKey: string): Promise<void> {
    const batch = this.#listings;
    if (batch && (batch.used + data.length > LISTING_BATCH_BYTES || batch.items.length >= LISTING_BATCH_ITEMS)) await this.#closeListings();
    let open = this.#listings;
    if (!open) {
      const buffer = this.#buffers.take(LISTING_BATCH_BYTES);
      open = this.#listings = { buffer, view: new Uint8Array(buffer), used: 0, items: [] };
    }
    const key = idKey(id);
    // Another caller may have queued the same listing while this one waited for a slot.
    if (this.#queued.has(key) || this.#deps.known.has(id)) return;
    open.view.set(data, open.used);
    open.items.push({ offset: open.used, length: data.length, id: new Uint8Array(id), kind, typeKey });
    open.used += data.length;
    this.#queued.add(key);
  }

  /** Seals the listing batch once a slot is free, in the background like a bundle. */
  async #closeListings(): Promise<void> {
    const batch = this.#listings;
    if (!batch) return;
    this.#listings = undefined;
    await this.#sealSlots.acquire(1);
    this.#track(this.#sealListings(batch).finally(() => this.#sealSlots.release(1)));
  }

  async #sealListings(batch: ListingBatch): Promise<void> {
    try {
      this.#check();
      const items = batch.items.map((b) => ({ ...b, strategy: chooseStrategy(this.#history.get(b.typeKey)) }));
      const results = await this.#pooled(() => this.#deps.pool.seal(batch.buffer, items, this.#callOpts()));
      for (let n = 0; n < items.length; n++) {
        const b = items[n]!;
        const r = results[n]!;
        await this.#deps.sink.add(b.id, b.kind, sealedBuffer(r), r.rawLength);
        this.stats.newBlobs += 1;
        this.stats.newBytes += r.rawLength;
        this.stats.storedBytes += r.sealed.byteLength;
      }
    } finally {
      for (const b of batch.items) this.#queued.delete(idKey(b.id));
      this.#buffers.give(batch.buffer);
    }
  }

  #learn(typeKey: string, kind: BlobKind, strategy: StrategyStats['strategy'], bytesIn: number, bytesOut: number, nanos: number, samples = 1): void {
    // Trees and manifests are our own JSON; only file content teaches the engine about file types.
    if (kind !== BlobKind.chunk) return;
    this.#history.set(typeKey, recordResult(this.#history.get(typeKey), strategy, bytesIn, bytesOut, nanos, samples));
    this.#deps.catalog.recordStrategy(typeKey, { strategy, samples, bytesIn, bytesOut, nanos });
  }

  async #putLarge(data: Uint8Array, kind: BlobKind, typeKey: string): Promise<{ id: Uint8Array; isNew: boolean }> {
    await this.#budget.acquire(data.length);
    try {
      const buffer = new SharedArrayBuffer(data.length);
      new Uint8Array(buffer).set(data);
      const [hashed] = await this.#pooled(() => this.#deps.pool.hash(buffer, [{ offset: 0, length: data.length, chunked: false, final: true }], this.#callOpts()));
      const id = hashed!.ids[0]!;
      const [isNew] = await this.#sealNew(buffer, [{ offset: 0, length: data.length, id, kind, typeKey }]);
      return { id, isNew: isNew! };
    } finally {
      this.#budget.release(data.length);
    }
  }

  /**
   * Chunks a large file. Hashing is sequential (each segment's tail depends
   * on the previous cut) but sealing a segment overlaps with reading and
   * hashing the next.
   */
  async #putSegments(handle: FileHandle, name: string, maxChunk: number, onRead: ((bytes: number) => void) | undefined): Promise<StoredContent> {
    const ids: Uint8Array[] = [];
    const sealing: Promise<boolean[]>[] = [];
    const lengths: number[][] = [];
    // Every segment buffer has room for the largest carry (a chunk not yet cut) plus a full read,
    // so all segments share one size and their buffers are reused.
    const capacity = maxChunk + SEGMENT_BYTES;
    let carry: Uint8Array = new Uint8Array(0);
    let position = 0;
    let typeKey: string | undefined;
    for (;;) {
      this.#check();
      await this.#budget.acquire(capacity);
      const buffer = this.#buffers.take(capacity);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.#buffers.give(buffer);
        this.#budget.release(capacity);
      };
      try {
        const view = new Uint8Array(buffer);
        view.set(carry, 0);
        const got = await readFully(handle, view, carry.length, SEGMENT_BYTES, position);
        position += got;
        if (got > 0) onRead?.(got);
        const length = carry.length + got;
        const final = got < SEGMENT_BYTES;
        typeKey ??= fileTypeKey(name, view.subarray(0, 16));
        if (length === 0) {
          release();
          break;
        }
        const [hashed] = (await this.#pooled(() => this.#deps.pool.hash(buffer, [{ offset: 0, length, chunked: true, final }], this.#callOpts()))) as HashResult[];
        const { cuts, ids: segmentIds } = hashed!;
        const blobs = segmentIds.map((id, n) => {
          const start = n === 0 ? 0 : cuts[n - 1]!;
          return { offset: start, length: cuts[n]! - start, id, kind: BlobKind.chunk, typeKey: typeKey! };
        });
        ids.push(...segmentIds);
        lengths.push(blobs.map((b) => b.length));
        const end = cuts.length > 0 ? cuts[cuts.length - 1]! : 0;
        carry = final ? new Uint8Array(0) : view.slice(end, length);
        const sealed = this.#sealNew(buffer, blobs);
        sealed.then(release, release);
        sealing.push(sealed);
        if (final) break;
      } catch (err) {
        release();
        throw err;
      }
    }
    const flags = await Promise.all(sealing);
    let newBytes = 0;
    flags.forEach((segment, s) => segment.forEach((isNew, n) => (newBytes += isNew ? lengths[s]![n]! : 0)));
    return { ids, size: position, newBytes };
  }

  #callOpts(): { signal?: AbortSignal } {
    return this.#deps.signal ? { signal: this.#deps.signal } : {};
  }
}

/** Whether a new blob goes into a bundle: file content under BUNDLE_MEMBER_MAX, except float arrays (their shuffle filter works per blob). */
function bundleable(b: { kind: BlobKind; length: number; typeKey: string }): boolean {
  return b.kind === BlobKind.chunk && b.length > 0 && b.length < BUNDLE_MEMBER_MAX && !isFloatLike(b.typeKey);
}

function sealedBuffer(r: SealResult): Buffer {
  return Buffer.from(r.sealed.buffer, r.sealed.byteOffset, r.sealed.byteLength);
}

function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

/** Reads up to `length` bytes at `position` (or the handle's current position); fewer only at end of file. */
export async function readFully(handle: FileHandle, into: Uint8Array | Buffer, offset: number, length: number, position: number | null = null): Promise<number> {
  let done = 0;
  try {
    while (done < length) {
      const { bytesRead } = await handle.read(into, offset + done, length - done, position === null ? null : position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } catch (err) {
    throw fromSystemError(err, 'a file being backed up');
  }
  return done;
}
