/**
 * Vault: an unlocked vault directory and the operations on it.
 *
 * Opening a vault unlocks its header (Argon2id), opens the encrypted catalog
 * and nothing else: worker threads start on the first task that needs them,
 * packs are opened on first read. Reading needs no lock (SQLite in WAL mode
 * lets readers and one writer share the catalog); every operation that
 * writes takes the vault's lock for its duration (`withWriteLock`), so the
 * desktop app and the CLI can both have the vault open.
 */
import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CATALOG_FILE, loadCatalogDriver, openCatalog, openVaultCatalog } from '../catalog/index.ts';
import type { BlobLocation, Catalog, Project, SnapshotRow } from '../catalog/index.ts';
import { DEFAULT_CHUNKER_PARAMS } from '../chunking/index.ts';
import type { ChunkerParams } from '../chunking/index.ts';
import { decode } from '../codecs/index.ts';
import { VaultError, fromSystemError } from '../errors.ts';
import { blobIdHasher, changePassword, createHeader, DEFAULT_KDF, HEADER_COPIES, unlockHeader } from '../keys/index.ts';
import type { KdfParams, VaultKeys } from '../keys/index.ts';
import { DEFAULT_REDUNDANCY, assertRedundancy } from '../heal/layout.ts';
import { writeSettings } from '../heal/parity-store.ts';
import { healRange } from '../heal/on-read.ts';
import { healTargetFor } from '../heal/target.ts';
import type { HealTarget } from '../heal/target.ts';
import { acquireLock } from '../lock/index.ts';
import { coalesceReads, PackReader } from '../packs/reader.ts';
import type { BlobPlace } from '../packs/reader.ts';
import { memberBytes } from '../packs/bundle.ts';
import { BlobKind, openBlob } from '../packs/seal.ts';
import { salvageMembers } from '../packs/salvage.ts';
import { decodeManifest, decodeTree } from '../snapshot/index.ts';
import type { SnapshotManifest, TreeEntry } from '../snapshot/index.ts';
import { WorkerPool } from '../workers/index.ts';
import type { OpenItem, PoolShape, WorkerKeys } from '../workers/index.ts';

export const PACKS_DIR = 'packs';

export interface VaultOptions {
  /** Key-derivation cost for `create` and `changePassword` (tests pass a cheap one). */
  kdf?: KdfParams;
  /** Worker threads; default: the cores. */
  threads?: number;
  /** The worker entry, for bundles that cannot load the .ts source. */
  workerFile?: string | URL;
  /** Pack size target in bytes. */
  packTargetBytes?: number;
  /** Content-defined chunk sizes (tests use small ones). */
  chunker?: ChunkerParams;
  /** Wall clock, for snapshot times. */
  now?: () => number;
  /** For `create`: parity bytes per data byte (default 0.1); 0 turns self-healing parity off. */
  redundancy?: number;
  /**
   * For `open`: start the worker threads now, while the password is being
   * checked (see `WorkerPool.warm`), for a caller that is about to use them
   * (a restore from the CLI). Default: the pool starts with its first task
   * too large to run inline (INLINE_TASK_BYTES), or when `backup` knows it
   * is a first one.
   */
  warmPool?: boolean;
}

export interface ProjectInfo extends Project {
  snapshotCount: number;
  lastSnapshotAt: number | null;
  totalBytes: number;
}

export class Vault {
  readonly dir: string;
  readonly catalog: Catalog;
  readonly options: VaultOptions;
  readonly #keys: VaultKeys;
  #pool: WorkerPool | undefined;
  #reader: PackReader | undefined;
  #blobIdHasher: ((bytes: Uint8Array) => Buffer) | undefined;
  #closed = false;
  /** Decoded trees by id; trees are immutable, so this never goes stale. */
  readonly #treeCache = new Map<string, TreeEntry[]>();
  #treeCacheEntries = 0;

  private constructor(dir: string, keys: VaultKeys, catalog: Catalog, options: VaultOptions) {
    this.dir = dir;
    this.#keys = keys;
    this.catalog = catalog;
    this.options = options;
  }

  /** Creates a new vault in `dir`, which must be missing or empty. */
  static async create(dir: string, password: string, options: VaultOptions = {}): Promise<Vault> {
    const root = resolve(dir);
    await ensureEmptyDir(root);
    if (options.redundancy !== undefined) assertRedundancy(options.redundancy);
    const keys = await createHeader(root, password, options.kdf ?? DEFAULT_KDF);
    try {
      await mkdir(join(root, PACKS_DIR), { recursive: true });
    } catch (err) {
      throw fromSystemError(err, `the vault folder ${root}`);
    }
    await writeSettings(root, { redundancy: options.redundancy ?? DEFAULT_REDUNDANCY });
    const catalog = openCatalog(join(root, CATALOG_FILE), keys.catalogKey);
    return new Vault(root, keys, catalog, options);
  }

  /** Unlocks an existing vault. Wrong password, damaged header and "not a vault" are told apart. */
  static async open(dir: string, password: string, options: VaultOptions = {}): Promise<Vault> {
    const root = resolve(dir);
    await assertVaultDir(root);
    // Loading the threads takes about as long as Argon2id: the two overlap. The SQLite driver
    // loads first: its first use asks for a process report, which waits for every live thread.
    if (options.warmPool) loadCatalogDriver();
    const unlocking = Vault.#unlock(root, password, options);
    unlocking.catch(() => undefined); // awaited below
    const pool = options.warmPool ? WorkerPool.warm(poolShape(options)) : undefined;
    try {
      const vault = await unlocking;
      if (pool) {
        try {
          pool.setKeys(vault.#workerKeys());
        } catch (err) {
          await vault.close();
          throw err;
        }
        vault.#pool = pool;
      }
      return vault;
    } catch (err) {
      await pool?.close();
      throw err;
    }
  }

  static async #unlock(root: string, password: string, options: VaultOptions): Promise<Vault> {
    const { keys } = await unlockHeader(root, password);
    if (!existsSync(join(root, CATALOG_FILE))) {
      throw new VaultError('damaged-data', `The vault's catalog is missing; run 'mmry repair ${root}' to rebuild it from the packs.`);
    }
    let catalog: Catalog;
    try {
      // A vault this process may not write (a write-protected drive) is read through a copy of its catalog.
      catalog = openVaultCatalog(join(root, CATALOG_FILE), keys.catalogKey);
    } catch (err) {
      if (err instanceof VaultError && err.kind === 'damaged-data') {
        throw new VaultError('damaged-data', `${err.message} Run 'mmry repair ${root}' to rebuild it from the packs.`, { cause: err });
      }
      throw err;
    }
    // Without `warmPool` the pool starts on first use: listing and browsing need none.
    return new Vault(root, keys, catalog, options);
  }

  /** Rewraps the master key under a new password; nothing else is re-encrypted. */
  static async changePassword(dir: string, oldPassword: string, newPassword: string, options: VaultOptions = {}): Promise<void> {
    const root = resolve(dir);
    await assertVaultDir(root);
    const lock = acquireLock(root, 'changing the password');
    try {
      await changePassword(root, oldPassword, newPassword, options.kdf ?? DEFAULT_KDF);
    } finally {
      lock.release();
    }
  }

  get packsDir(): string {
    return join(this.dir, PACKS_DIR);
  }

  get blobKey(): Buffer {
    return this.#keys.blobKey;
  }

  get chunker(): ChunkerParams {
    return this.options.chunker ?? DEFAULT_CHUNKER_PARAMS;
  }

  /** The worker pool, started on first use. */
  get pool(): WorkerPool {
    this.#assertOpen();
    this.#pool ??= WorkerPool.create({ ...this.#workerKeys(), ...poolShape(this.options) });
    return this.#pool;
  }

  #workerKeys(): WorkerKeys {
    return { blobKey: this.#keys.blobKey, idKey: this.#keys.idKey, gearSeed: this.#keys.gearSeed, chunker: this.chunker };
  }

  get reader(): PackReader {
    this.#assertOpen();
    this.#reader ??= new PackReader(this.packsDir);
    return this.#reader;
  }

  now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * Runs `fn` holding the vault's single-writer lock. Writers of this process
   * (the app's backup, verify and repair jobs) take turns in the order they
   * asked, so a backup started during a verify waits for it instead of
   * failing with "in use"; another process holding the lock still fails this
   * at once with 'vault-in-use'. `signal` gives up the turn while waiting.
   */
  async withWriteLock<T>(purpose: string, fn: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    this.#assertOpen();
    const before = this.#writers;
    let done!: () => void;
    const turn = new Promise<void>((resolve) => (done = resolve));
    this.#writers = before.then(() => turn);
    try {
      await waitUnlessAborted(before, options.signal);
      this.#assertOpen();
      const lock = acquireLock(this.dir, purpose);
      try {
        return await fn();
      } finally {
        lock.release();
      }
    } finally {
      done();
    }
  }

  /** Resolves once every in-process writer that asked so far has finished. */
  #writers: Promise<void> = Promise.resolve();

  /** The keyed id of some plaintext: HMAC-SHA-256 with the vault's chunk-id key. */
  blobId(plain: Uint8Array): Buffer {
    this.#blobIdHasher ??= blobIdHasher(this.#keys.idKey);
    return this.#blobIdHasher(plain);
  }

  /**
   * Reads, authenticates, decompresses and re-checks one blob on this thread.
   * For trees and manifests (small); file content goes through the pool.
   */
  async readBlob(id: Uint8Array, kind: BlobKind): Promise<Buffer> {
    const place = this.catalog.getBlob(id);
    const short = Buffer.from(id).toString('hex').slice(0, 12);
    if (!place) throw new VaultError('damaged-data', `Blob ${short} is missing from the vault.`);
    if (place.kind !== kind) throw new VaultError('damaged-data', `Blob ${short} is not of the expected kind.`);
    return this.#openHere(id, place);
  }

  /**
   * One blob opened on this thread: read, authenticated (rebuilt from parity
   * when the read or the authentication fails, see `healSealed`),
   * decompressed and id-checked. For small blobs a round trip through the
   * pool costs more than the work itself.
   */
  async #openHere(id: Uint8Array, place: BlobLocation): Promise<Buffer> {
    const sealedId = place.member?.bundleId ?? id;
    const sealedPlace = place.member ? { ...place, kind: BlobKind.bundle } : place;
    let opened: ReturnType<typeof openBlob>;
    try {
      opened = openBlob(this.#keys.blobKey, sealedPlace.kind, sealedId, await this.reader.read(place.packId, place.offset, place.length));
    } catch (err) {
      if (!isReadDamage(err)) throw err;
      opened = openBlob(this.#keys.blobKey, sealedPlace.kind, sealedId, await this.healSealed(sealedId, sealedPlace, err));
    }
    let plain = decode(opened.codec, opened.payload, place.rawLength);
    if (place.member) plain = memberBytes(plain, place.member.innerOffset, place.member.length, id);
    if (!timingSafeEqual(this.blobId(plain), id)) throw new VaultError('damaged-data', `Blob ${Buffer.from(id).toString('hex').slice(0, 12)} does not match its id.`);
    return plain;
  }

  /**
   * One blob's sealed bytes, authenticated (AEAD, bound to its id and kind)
   * before they are returned: as read from its pack or, when that read fails
   * or the bytes do not authenticate, rebuilt in memory from the pack's
   * parity (`healSealed`). Decompressing and re-checking the id stay with the
   * caller.
   */
  async readSealedHealing(id: Uint8Array, place: BlobPlace): Promise<Buffer> {
    try {
      const sealed = await this.reader.read(place.packId, place.offset, place.length);
      openBlob(this.#keys.blobKey, place.kind, id, sealed);
      return sealed;
    } catch (err) {
      if (!isReadDamage(err)) throw err;
      return this.healSealed(id, place, err);
    }
  }

  /**
   * The fallback alone, for callers that authenticate in the worker pool:
   * call it when reading the blob threw a damage error or the pool refused
   * its bytes. Rebuilds them from parity without writing anything and
   * authenticates them; throws VaultError('damaged-data') when the parity
   * cannot rebuild them (unprotected pack, damage beyond the parity).
   */
  async healSealed(id: Uint8Array, place: BlobPlace, cause?: unknown): Promise<Buffer> {
    this.#assertOpen();
    const healed = await healRange(this, place.packId, place.offset, place.length);
    const blob = `Blob ${Buffer.from(id).toString('hex').slice(0, 12)} in pack ${place.packId.slice(0, 8)}`;
    const options = cause === undefined ? {} : { cause };
    if (!healed) throw new VaultError('damaged-data', `${blob} is damaged and its parity cannot rebuild it; run 'mmry verify ${this.dir}' to see what is affected.`, options);
    const sealed = Buffer.from(healed.buffer, healed.byteOffset, healed.byteLength);
    try {
      openBlob(this.#keys.blobKey, place.kind, id, sealed);
    } catch (err) {
      throw new VaultError('damaged-data', `${blob} is damaged, and what its parity rebuilds does not authenticate either (the damage is older than the parity).`, { cause: err });
    }
    return sealed;
  }

  /**
   * The plaintext of file-content blobs, opened in the worker pool: read from
   * their packs, authenticated, decompressed and id-checked there. A blob
   * whose pack cannot give its bytes, or whose bytes the pool refuses, is
   * rebuilt from parity in memory (`healSealed`) and opened again; one that
   * cannot be rebuilt fails with 'damaged-data'. Wrong bytes never come back.
   */
  async openBlobs(blobs: readonly { id: Uint8Array; place: BlobLocation }[], signal?: AbortSignal): Promise<Uint8Array[]> {
    const opened = await this.openBlobsSettled(blobs, signal);
    for (const o of opened) if (o instanceof VaultError) throw o;
    return opened as Uint8Array[];
  }

  /** Like `openBlobs`, but a blob that cannot be had answers with its 'damaged-data' error in its place. */
  async openBlobsSettled(blobs: readonly { id: Uint8Array; place: BlobLocation }[], signal?: AbortSignal): Promise<(Uint8Array | VaultError)[]> {
    const opts = signal ? { signal } : {};
    // A chunk inside a bundle is opened as a slice of the bundle, under the bundle's id and kind.
    const sealedAs = blobs.map((b) =>
      b.place.member ? { id: b.place.member.bundleId as Uint8Array, place: { ...b.place, kind: BlobKind.bundle } } : { id: b.id, place: b.place },
    );
    const item = (n: number, sealed: Uint8Array): OpenItem => {
      const { member } = blobs[n]!.place;
      const s = sealedAs[n]!;
      return { sealed, id: s.id, kind: s.place.kind, rawLength: s.place.rawLength, ...(member ? { member: { id: blobs[n]!.id, offset: member.innerOffset, length: member.length } } : {}) };
    };
    const damaged = (err: unknown): err is VaultError => err instanceof VaultError && err.kind === 'damaged-data';
    // Members of one bundle share one read (and, cloned once, one copy in the worker), and so do
    // blobs lying close together in one pack, as a snapshot's listings do (coalesceReads).
    const keyOf = (place: BlobLocation) => `${place.packId}:${place.offset}`;
    const unique = new Map<string, { id: Uint8Array; place: BlobLocation }>();
    for (const s of sealedAs) if (!unique.has(keyOf(s.place))) unique.set(keyOf(s.place), s);
    const distinct = [...unique.values()];
    const readAlone = ({ id, place }: { id: Uint8Array; place: BlobLocation }): Promise<Buffer | VaultError> =>
      this.reader.read(place.packId, place.offset, place.length).then(
        (bytes): Buffer | VaultError => bytes,
        (err: unknown) => (isReadDamage(err) ? this.healSealed(id, place, err).catch((e: unknown) => (damaged(e) ? e : Promise.reject(e))) : Promise.reject(err)),
      );
    const reads = new Map<string, Promise<Buffer | VaultError>>();
    for (const span of coalesceReads(distinct.map((s) => s.place), READ_GAP_BYTES, READ_SPAN_BYTES)) {
      if (span.members.length === 1) {
        const s = distinct[span.members[0]!]!;
        reads.set(keyOf(s.place), readAlone(s));
        continue;
      }
      const whole = this.reader.read(span.packId, span.offset, span.length);
      for (const m of span.members) {
        const s = distinct[m]!;
        const from = s.place.offset - span.offset;
        // A span that cannot be read whole (damage, a pack cut short) is read blob by blob, which heals.
        reads.set(keyOf(s.place), whole.then((bytes) => bytes.subarray(from, from + s.place.length), () => readAlone(s)));
      }
    }
    const sealed = await Promise.all(sealedAs.map((s) => reads.get(keyOf(s.place))!));
    if (sealed.every((x) => !(x instanceof VaultError))) {
      try {
        return await this.pool.open(
          blobs.map((_b, i) => item(i, sealed[i] as Buffer)),
          opts,
        );
      } catch (err) {
        if (!damaged(err)) throw err;
      }
    }
    // Some blob of the batch is damaged: open each alone, healing the ones that fail.
    return Promise.all(
      blobs.map(async (_b, i): Promise<Uint8Array | VaultError> => {
        const bytes = sealed[i]!;
        if (bytes instanceof VaultError) return bytes;
        try {
          return (await this.pool.open([item(i, bytes)], opts))[0]!;
        } catch (err) {
          if (!damaged(err)) throw err;
          try {
            return (await this.pool.open([item(i, await this.healSealed(sealedAs[i]!.id, sealedAs[i]!.place, err))], opts))[0]!;
          } catch (e) {
            if (!damaged(e)) throw e;
            // A chunk inside a bundle the parity cannot rebuild may still be whole: see salvageMember.
            const member = blobs[i]!.place.member;
            return (member && (await this.salvageMember(blobs[i]!.id, blobs[i]!.place, bytes))) || e;
          }
        }
      }),
    );
  }

  /**
   * The last resort for a chunk inside a damaged bundle that parity cannot
   * rebuild: decrypt the bundle without its tag check, decompress what comes
   * before the damage, and take the chunk if, and only if, its bytes match
   * its own keyed id (which wrong bytes cannot). The members before the
   * damaged spot are usually saved so; without this, damage beyond the
   * parity would lose every file in the bundle. Undefined when it is not.
   */
  async salvageMember(id: Uint8Array, place: BlobLocation, sealed: Uint8Array): Promise<Buffer | undefined> {
    const member = place.member;
    if (!member) return undefined;
    const [bytes] = await salvageMembers(this.#keys.blobKey, (b) => this.blobId(b), member.bundleId, sealed, [{ id, innerOffset: member.innerOffset, length: member.length }]);
    return bytes;
  }

  async loadTree(id: Uint8Array): Promise<TreeEntry[]> {
    const key = Buffer.from(id).toString('hex');
    const cached = this.#treeCache.get(key);
    if (cached) return cached;
    const entries = decodeTree(await this.readBlob(id, BlobKind.tree), `tree ${key.slice(0, 12)}`);
    this.#cacheTree(key, entries);
    return entries;
  }

  #cacheTree(key: string, entries: TreeEntry[]): void {
    if (this.#treeCache.size >= TREE_CACHE_TREES || this.#treeCacheEntries + entries.length > TREE_CACHE_ENTRIES) {
      this.#treeCache.clear();
      this.#treeCacheEntries = 0;
    }
    this.#treeCache.set(key, entries);
    this.#treeCacheEntries += entries.length;
  }

  /**
   * Many folder listings at once: the ones not cached are opened in the
   * worker pool in one batch (healing from parity like `openBlobs`), so a
   * walk over a whole snapshot decrypts its trees on every core.
   * `hereOnly` opens them all on this thread instead, for a caller whose
   * workers are busy with other tasks that the listings would queue behind
   * (a restore's plan, made while its files are written).
   */
  async loadTrees(ids: readonly Uint8Array[], options: { hereOnly?: boolean } = {}): Promise<TreeEntry[][]> {
    const keys = ids.map((id) => Buffer.from(id).toString('hex'));
    // Taken from the cache now: storing what is fetched below may clear it.
    const fetched = new Map<string, TreeEntry[]>();
    for (const k of keys) {
      const cached = this.#treeCache.get(k);
      if (cached) fetched.set(k, cached);
    }
    const missing = [...new Set(keys.filter((k) => !fetched.has(k)))];
    for (let i = 0; i < missing.length; i += TREE_BATCH) {
      const ids = missing.slice(i, i + TREE_BATCH).map((key) => Buffer.from(key, 'hex'));
      const places = this.catalog.getBlobs(ids);
      const batch = ids.map((id, n) => {
        const key = missing[i + n]!;
        const place = places[n];
        if (!place) throw new VaultError('damaged-data', `Blob ${key.slice(0, 12)} is missing from the vault.`);
        if (place.kind !== BlobKind.tree) throw new VaultError('damaged-data', `Blob ${key.slice(0, 12)} is not of the expected kind.`);
        return { key, id, place };
      });
      // Small listings (most folders) open here, a few at a time: the pool's round trip would cost
      // more than the work. Many at once (listings opened ahead of a walk) share the round trips.
      const inPool = options.hereOnly ? () => false : batch.length >= POOL_TREE_BATCH ? () => true : (b: { place: BlobLocation }) => b.place.length > MAIN_THREAD_TREE_BYTES;
      const large = batch.filter(inPool);
      const [fromPool, here] = await Promise.all([
        large.length > 0 ? this.#openInParts(large) : Promise.resolve([]),
        Promise.all(batch.map((b) => (inPool(b) ? undefined : this.#openHere(b.id, b.place)))),
      ]);
      let nextLarge = 0;
      const plains = here.map((p) => p ?? fromPool[nextLarge++]!);
      batch.forEach((b, n) => {
        const entries = decodeTree(Buffer.from(plains[n]!), `tree ${b.key.slice(0, 12)}`);
        fetched.set(b.key, entries);
        this.#cacheTree(b.key, entries);
      });
    }
    return keys.map((k) => fetched.get(k)!);
  }

  /** `openBlobs` split over the pool's threads (one call is one task on one thread), in order. */
  async #openInParts(blobs: readonly { id: Uint8Array; place: BlobLocation }[]): Promise<Uint8Array[]> {
    const parts = Math.max(1, Math.min(this.pool.size, Math.floor(blobs.length / 16)));
    const size = Math.ceil(blobs.length / parts);
    const opened = await Promise.all(Array.from({ length: parts }, (_, n) => this.openBlobs(blobs.slice(n * size, (n + 1) * size))));
    return opened.flat();
  }

  async loadManifest(snapshotId: string): Promise<SnapshotManifest> {
    return decodeManifest(await this.readBlob(Buffer.from(snapshotId, 'hex'), BlobKind.snapshot), `snapshot ${snapshotId.slice(0, 12)}`);
  }

  /**
   * A snapshot by reference: a full id, a unique id prefix, or `latest`
   * (the newest in the vault, or of `project`).
   */
  resolveSnapshot(ref: string, project?: string): SnapshotRow {
    let projectId: number | undefined;
    if (project !== undefined) {
      const p = this.catalog.getProject(project);
      if (!p) throw new VaultError('not-found', `There is no project named '${project}' in this vault.`);
      projectId = p.id;
    }
    if (ref === 'latest') {
      const latest = this.catalog.latestSnapshot(projectId);
      if (!latest) throw new VaultError('not-found', project ? `Project '${project}' has no snapshots yet.` : 'The vault has no snapshots yet.');
      return latest;
    }
    if (!/^[0-9a-f]{4,64}$/i.test(ref)) throw new VaultError('invalid-argument', `'${ref}' is not a snapshot id: use an id, a unique prefix of at least 4 characters, or 'latest'.`);
    const found = this.catalog.findSnapshots(ref.toLowerCase()).filter((s) => projectId === undefined || s.projectId === projectId);
    if (found.length === 0) throw new VaultError('not-found', `No snapshot has an id starting with '${ref}'.`);
    if (found.length > 1) throw new VaultError('invalid-argument', `'${ref}' matches ${found.length} snapshots; give more characters of the id.`);
    return found[0]!;
  }

  projectName(projectId: number): string {
    return this.catalog.listProjects().find((p) => p.id === projectId)?.name ?? '?';
  }

  listProjects(): ProjectInfo[] {
    const snapshots = this.catalog.listSnapshots();
    return this.catalog.listProjects().map((p) => {
      const own = snapshots.filter((s) => s.projectId === p.id);
      const last = own.reduce<SnapshotRow | undefined>((a, s) => (!a || s.createdAt > a.createdAt ? s : a), undefined);
      return { ...p, snapshotCount: own.length, lastSnapshotAt: last?.createdAt ?? null, totalBytes: last?.totalBytes ?? 0 };
    });
  }

  /** Walks to the entry at `path` ('' or '/' is the root) of a snapshot. */
  async entryAt(snapshot: SnapshotRow, path: string): Promise<{ entry: TreeEntry | null; segments: string[] }> {
    const segments = splitPath(path);
    let tree = snapshot.treeId as Uint8Array;
    let entry: TreeEntry | null = null;
    for (const [i, name] of segments.entries()) {
      const entries = await this.loadTree(tree);
      const found = entries.find((e) => e.name === name);
      if (!found) throw new VaultError('not-found', `'${segments.slice(0, i + 1).join('/')}' is not in snapshot ${snapshot.id.slice(0, 8)}.`);
      entry = found;
      if (i < segments.length - 1) {
        if (found.type !== 'dir' || !found.subtree) throw new VaultError('not-found', `'${segments.slice(0, i + 1).join('/')}' is not a folder in snapshot ${snapshot.id.slice(0, 8)}.`);
        tree = found.subtree;
      }
    }
    return { entry, segments };
  }

  /**
   * What verify and repair work on, over this vault's keys and worker pool,
   * with a catalog connection of its own (closed by the target's `close`).
   * Run it under the write lock.
   */
  healTarget(): HealTarget & { close(): Promise<void> } {
    this.#assertOpen();
    return healTargetFor(this.dir, this.#keys, this.pool);
  }

  /**
   * Closes this vault and opens it again with the keys already unlocked: for
   * after a repair replaced the catalog file under this vault's connection.
   */
  async reopen(): Promise<Vault> {
    this.#assertOpen();
    await this.close();
    return new Vault(this.dir, this.#keys, openCatalog(join(this.dir, CATALOG_FILE), this.#keys.catalogKey), this.options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool?.close();
    await this.#reader?.close();
    this.catalog.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new VaultError('vault-locked', 'The vault is locked; unlock it first.');
  }
}

function waitUnlessAborted(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return p;
  const cancelled = () => new VaultError('cancelled', 'The operation was cancelled while it waited for the vault.');
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** Trees opened per worker task when many are loaded at once. */
const TREE_BATCH = 128;
/** Blobs of one pack at most this far apart are read in one call, up to READ_SPAN_BYTES (see coalesceReads). */
const READ_GAP_BYTES = 64 * 1024;
const READ_SPAN_BYTES = 1024 * 1024;
/**
 * Sealed trees up to this size open on the main thread in `loadTrees`: a
 * worker round trip costs ~0.1 ms of this thread's time in postMessage alone,
 * more than decrypting, decompressing and hashing 64 KiB. Measured on an
 * unchanged re-backup of the bench corpus (987 folders): ~300 ms of the walk
 * waited on the pool for listings.
 */
const MAIN_THREAD_TREE_BYTES = 64 * 1024;
/**
 * A batch of at least this many listings opens in the pool whatever their
 * size: a restore's plan of the bench corpus (988 listings, a level at a
 * time), made before any file was written, spent ~80 ms of this thread
 * decrypting and decompressing them while the warmed workers waited. A
 * whole-snapshot restore now plans while its workers write, and opens its
 * listings here (`hereOnly`).
 */
const POOL_TREE_BATCH = 32;
/** Decoded folder listings kept (cleared all at once when full). */
const TREE_CACHE_TREES = 4096;
/**
 * Decoded entries kept at most (~100 MB of them): a file's history across
 * many snapshots of a 100,000-entry folder decodes a new listing per
 * snapshot, and a bound on trees alone would keep them all.
 */
const TREE_CACHE_ENTRIES = 400_000;

function poolShape(options: VaultOptions): PoolShape {
  return { ...(options.threads ? { threads: options.threads } : {}), ...(options.workerFile ? { workerFile: options.workerFile } : {}) };
}

/** A read that parity may answer instead: damaged or missing bytes, an I/O error, an unreadable file. */
function isReadDamage(err: unknown): boolean {
  return err instanceof VaultError && (err.kind === 'damaged-data' || err.kind === 'io' || err.kind === 'permission-denied');
}

/** 'a/b/c', '/a/b/', '' → segments; '.' and '..' are refused. */
export function splitPath(path: string): string[] {
  const segments = path.split('/').filter((s) => s.length > 0);
  for (const s of segments) {
    if (s === '.' || s === '..') throw new VaultError('invalid-argument', `Paths inside a snapshot cannot contain '${s}'.`);
  }
  return segments;
}

async function ensureEmptyDir(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fromSystemError(err, `the folder ${dir}`);
  }
  if (names.some((n) => (HEADER_COPIES as readonly string[]).includes(n))) throw new VaultError('vault-exists', `${dir} already holds a vault.`);
  if (names.length > 0) throw new VaultError('invalid-argument', `${dir} is not empty; choose a new or empty folder for the vault.`);
}

async function assertVaultDir(dir: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new VaultError('not-a-vault', `${dir} is not an MMRY vault.`);
  } catch (err) {
    if (err instanceof VaultError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new VaultError('not-a-vault', `${dir} does not exist, so it is not an MMRY vault.`);
    throw fromSystemError(err, `the vault folder ${dir}`);
  }
}
