/**
 * Backup: scan → chunk → compress → seal → commit, for one source folder.
 *
 * The walk is depth-first and sequential (bounded memory: only the listings
 * along the current path and of folders with files in flight are held), while
 * file content is stored concurrently up to a fixed number of open files. A
 * folder's tree blob is written once all its entries are stored, without
 * holding up the walk, so the pipeline never drains at folder boundaries.
 *
 * A file whose size, mtime, ctime and inode equal those in the project's
 * previous snapshot, and whose blobs the vault still has, is not read at all:
 * its entry is reused. That is what makes an unchanged re-backup cheap.
 *
 * Durability: the manifest is the last blob; then every pack is sealed
 * (fsync, rename, folder fsync) and only then does the catalog transaction
 * that adds the snapshot commit. A crash before that commit leaves no
 * snapshot; packs already sealed are kept and reused by the next run.
 */
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import type { BlobIdSet, TreeDigestRow } from '../catalog/index.ts';
import { VaultError, fromSystemError } from '../errors.ts';
import { cleanupPartials } from '../packs/index.ts';
import { adoptPackFiles, unrebuildablePacks } from '../heal/adopt.ts';
import { BlobKind } from '../packs/seal.ts';
import { countSource, createScanContext, dropListings, encodeManifest, encodeTree, fileChangedWhileReading, folderDigest, isInside, listedDigest, pathKey, prescan, PRESCAN_ENTRIES, scanDir, treeEntryOf } from '../snapshot/index.ts';
import type { ScanContext, ScannedEntry, SnapshotWarning, TreeEntry } from '../snapshot/index.ts';
import { checkpointDue, writeCheckpoint } from '../heal/catalog-heal.ts';
import { ParityProtector } from '../heal/protect.ts';
import { BlobWriter } from './blob-writer.ts';
import { PackSink } from './pack-sink.ts';
import type { Vault } from './vault.ts';

export interface BackupOptions {
  /** Project name; default: the project already using this source folder, else the folder's name. */
  project?: string;
  /** gitignore-syntax patterns, relative to the source folder. */
  exclude?: string[];
  signal?: AbortSignal;
  onProgress?: (p: BackupProgress) => void;
  /** From `prepareSource`; used when it was made for this vault, source and exclude list. */
  prepared?: PreparedSource;
  /**
   * Entries a re-backup lists ahead of its walk at most (default
   * PRESCAN_ENTRIES): folders whose whole subtree is listed can be reused by
   * scan digest; a larger subtree is listed, and compared, in parts.
   */
  listAhead?: number;
}

/**
 * A source folder being listed ahead of its backup (`prepareSource`), for a
 * caller with time to spare before the vault is open: the CLI starts it
 * before the password goes through Argon2id.
 */
export interface PreparedSource {
  readonly ctx: ScanContext;
  /** Whether it was prepared for this vault folder, source folder and exclude list. */
  matches(vaultDir: string, source: string, exclude: readonly string[]): boolean;
  /** Ends the listing ahead; what it listed stays for the walk to take. */
  stop(): void;
}

/** Starts listing `sourcePath` for a backup into the vault at `vaultDir` (not opened yet). */
export async function prepareSource(vaultDir: string, sourcePath: string, exclude: readonly string[] = []): Promise<PreparedSource> {
  const vault = resolve(vaultDir);
  const source = resolve(sourcePath);
  const ctx = await createScanContext(source, { exclude, excludeAbsolute: [vault] });
  const signal = { cancelled: false };
  void prescan(ctx, signal).catch(() => undefined); // the walk meets any problem again and reports it
  return {
    ctx,
    matches: (v, s, e) => v === vault && s === source && e.length === exclude.length && e.every((p, i) => p === exclude[i]),
    stop: () => void (signal.cancelled = true),
  };
}

export interface BackupProgress {
  phase: 'storing' | 'committing';
  files: number;
  bytes: number;
  /**
   * Estimates: from the project's previous snapshot, or for a first backup
   * from a count of the source made beside it (null until that is done).
   */
  filesTotal: number | null;
  bytesTotal: number | null;
  current: string | null;
}

export interface BackupSummary {
  snapshotId: string;
  project: string;
  createdAt: number;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /** Plaintext bytes that were new to the vault. */
  newBytes: number;
  /** Bytes this snapshot added to packs. */
  storedBytes: number;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  warnings: SnapshotWarning[];
  durationMs: number;
}

/** Files stored at once: enough to keep both cores and the disk busy. */
const FILES_IN_FLIGHT = 32;
/**
 * Small files in flight (their bytes are bounded by the writer's byte
 * budget): one arena's worth (ARENA_ITEMS in blob-writer.ts). Measured on
 * the bench corpus, six alternating initial backups each: 1024 in flight
 * peaked at a median 346 MB, 512 at 328, 256 at 302, 128 at 304, at the same
 * wall time (2.36-2.49 s medians) and less CPU from 256 down; the small
 * corpus and the ten releases were within noise either way.
 */
const SMALL_FILES_IN_FLIGHT = 256;

export async function backup(vault: Vault, sourcePath: string, options: BackupOptions = {}): Promise<BackupSummary> {
  // Stopped either way, first: its slices of the event loop would hold up every await below
  // (the check just after took 70-85 ms beside it). A re-backup finishes the listing itself.
  options.prepared?.stop();
  const source = resolve(sourcePath);
  if (await isInside(source, vault.dir)) throw new VaultError('source-inside-vault', `${source} is inside the vault; choose a folder outside it.`);
  const exclude = options.exclude ?? [];
  const prepared = options.prepared?.matches(resolve(vault.dir), source, exclude) ? options.prepared : undefined;
  const ctx = prepared?.ctx ?? (await createScanContext(source, { exclude, excludeAbsolute: [vault.dir] }));
  // The lock file is in clear: it names the job, never the folder.
  return vault.withWriteLock('a backup', () => new BackupRun(vault, source, ctx, options).run(), options.signal ? { signal: options.signal } : {});
}

class BackupRun {
  readonly #vault: Vault;
  readonly #source: string;
  readonly #ctx: ScanContext;
  readonly #options: BackupOptions;
  readonly #started: number;
  readonly #warnings: SnapshotWarning[] = [];
  readonly #counts = { files: 0, dirs: 0, symlinks: 0, bytes: 0, filesNew: 0, filesChanged: 0, filesUnmodified: 0 };
  #known!: BlobIdSet;
  #writer!: BlobWriter;
  #slots: Slots = new Slots(FILES_IN_FLIGHT);
  #smallSlots: Slots = new Slots(SMALL_FILES_IN_FLIGHT);
  /** How many entries are listed ahead of the walk at most (BackupOptions.listAhead). */
  get #listAhead(): number {
    return this.#options.listAhead ?? PRESCAN_ENTRIES;
  }
  /** Listing ahead stops when the backup is cancelled. */
  readonly #listing: { readonly cancelled: boolean };
  /** Scan digests of folders listed ahead, by pathKey (see listedDigest). */
  readonly #listedDigests = new Map<string, Uint8Array | null>();
  /** What the catalog recorded for previous listings, by tree id (null: nothing). */
  readonly #recordedDigests = new Map<string, TreeDigestRow | null>();
  /** Digests of the listings this backup stored or kept, recorded with the snapshot. */
  readonly #digestRows: TreeDigestRow[] = [];
  /** Previous listings being loaded ahead of the walk (see #prefetchTrees), by tree id. */
  readonly #prefetched = new Map<string, Promise<TreeEntry[]>>();
  #failure: unknown;
  /**
   * Hex ids of blobs repair found beyond repair (usually none). The known
   * set leaves them out, so content that refers to one is stored again from
   * the source however unchanged the file looks (#unchanged); a previous
   * listing that is one is not read, and its folder is listed and stored
   * again (#previousEntries).
   */
  #lost: ReadonlySet<string> = new Set();
  #estimate: { files: number | null; bytes: number | null } = { files: null, bytes: null };
  #lastProgress = 0;
  /** Bytes of large files read so far but not yet counted as stored. */
  #readingBytes = 0;

  constructor(vault: Vault, source: string, ctx: ScanContext, options: BackupOptions) {
    this.#vault = vault;
    this.#source = source;
    this.#ctx = ctx;
    this.#options = options;
    this.#listing = {
      get cancelled() {
        return options.signal?.aborted ?? false;
      },
    };
    this.#started = performance.now();
  }

  async run(): Promise<BackupSummary> {
    const vault = this.#vault;
    await cleanupPartials(vault.packsDir);
    const { missing } = await adoptPackFiles(vault.packsDir, vault.blobKey, vault.catalog);
    // A pack that is gone and that no parity can rebuild: what it held is lost, so this backup
    // stores it again from the source rather than build on it (repair would record the same).
    if (missing.length > 0) await this.#recordLostPacks(missing);
    const projectName = this.#projectName();
    const project = vault.catalog.getProject(projectName);
    const parent = project ? vault.catalog.latestSnapshot(project.id) : undefined;
    if (parent) this.#estimate = { files: parent.fileCount, bytes: parent.totalBytes };
    else {
      // A first backup stores everything: its threads load while the parity store is read. A
      // re-backup leaves them to its first changed file; an unchanged one (a 300-byte manifest
      // and one tiny pack, run inline) never loads them, so they cannot slow its listing.
      vault.pool.warmUp();
      // Nor has it anything to estimate from: count the source beside the walk.
      if (this.#options.onProgress) void this.#countSource();
    }

    this.#known = vault.catalog.blobIdSet();
    this.#lost = vault.catalog.lostBlobs();
    const opening = ParityProtector.open(vault.dir, vault.packsDir, vault.pool);
    opening.catch(() => undefined); // awaited just below
    // A re-backup lists the source ahead (as far as prescan's limit), so folders scanned to their
    // recorded digest are reused without being walked; the walk takes the listings either way.
    // The parity store's files are read meanwhile.
    if (parent) await prescan(this.#ctx, this.#listing, this.#listAhead);
    const protector = await opening;
    const sink = new PackSink(vault.packsDir, vault.blobKey, vault.catalog, this.#known, {
      ...(vault.options.packTargetBytes ? { targetBytes: vault.options.packTargetBytes } : {}),
      // Parity grows as each pack is sealed, in the workers, overlapping the rest of the backup.
      onSealed: (pack) => protector.add(pack.packId, pack.size),
    });
    this.#writer = new BlobWriter({
      pool: vault.pool,
      catalog: vault.catalog,
      sink,
      known: this.#known,
      idOf: (bytes) => vault.blobId(bytes),
      ...(this.#options.signal ? { signal: this.#options.signal } : {}),
    });
    try {
      const root = await (await this.#walk(this.#ctx.root, '', parent?.treeId)).tree;
      const rootTree = root?.id;
      this.#counting.cancelled = true;
      if (!rootTree) throw new VaultError('permission-denied', `The source folder ${this.#source} could not be read.`);
      this.#report('committing', null, true);
      // Everything but the manifest is sealed first, so the manifest can carry the run's figures.
      await this.#writer.drain();
      const figures = {
        newBytes: this.#writer.stats.newBytes,
        storedBytes: this.#writer.stats.storedBytes,
        filesNew: this.#counts.filesNew,
        filesChanged: this.#counts.filesChanged,
        filesUnmodified: this.#counts.filesUnmodified,
        durationMs: Math.round(performance.now() - this.#started),
      };
      const createdAt = vault.now();
      const manifest = encodeManifest({
        v: 2,
        project: projectName,
        sourcePath: this.#source,
        hostname: hostname(),
        createdAt,
        tree: Buffer.from(rootTree).toString('hex'),
        ...(parent ? { parent: parent.id } : {}),
        counts: { files: this.#counts.files, dirs: this.#counts.dirs, symlinks: this.#counts.symlinks, bytes: this.#counts.bytes },
        warnings: this.#warnings,
        figures,
      });
      const { id: manifestId } = await this.#writer.putWhole(manifest, BlobKind.snapshot, 'snapshot');
      await this.#writer.drain();
      await sink.finish();
      // Parity before the commit: a visible snapshot is always a protected one.
      await protector.finish();
      this.#checkCancelled();
      const snapshotId = Buffer.from(manifestId).toString('hex');
      // The manifest's figure, so a catalog rebuilt from the packs gives the same row.
      const { durationMs } = figures;
      const stats = this.#writer.stats;
      vault.catalog.transaction(() => {
        const p = vault.catalog.upsertProject(projectName, this.#source);
        vault.catalog.addTreeDigests(this.#digestRows);
        vault.catalog.addSnapshot({
          id: snapshotId,
          projectId: p.id,
          createdAt,
          treeId: Buffer.from(rootTree),
          parentId: parent?.id ?? null,
          fileCount: this.#counts.files,
          dirCount: this.#counts.dirs,
          totalBytes: this.#counts.bytes,
          newBytes: stats.newBytes,
          storedBytes: stats.storedBytes,
          filesNew: this.#counts.filesNew,
          filesChanged: this.#counts.filesChanged,
          filesUnmodified: this.#counts.filesUnmodified,
          durationMs,
          warnings: this.#warnings,
          note: null,
        });
      });
      vault.catalog.flushStrategyStats();
      if (checkpointDue(vault.dir, vault.catalog)) await writeCheckpoint(vault.dir, vault.catalog);
      return { snapshotId, project: projectName, createdAt, ...this.#counts, newBytes: stats.newBytes, storedBytes: stats.storedBytes, warnings: this.#warnings, durationMs };
    } catch (err) {
      this.#counting.cancelled = true;
      await this.#writer.drain().catch(() => undefined);
      await sink.abort();
      throw this.#failure ?? err;
    }
  }

  async #recordLostPacks(missing: readonly string[]): Promise<void> {
    const catalog = this.#vault.catalog;
    const lost = await unrebuildablePacks(this.#vault.dir, missing);
    if (lost.length === 0) return;
    if (catalog.markLost(lost.flatMap((packId) => catalog.blobsInPack(packId).map((b) => b.id))) === 0) return;
    this.#warnings.push({
      path: '',
      message: `${lost.length} pack file(s) of the vault are missing and no parity can rebuild them; what this snapshot needed of them was stored again from the source (run 'mmry verify' to see what older snapshots lost).`,
    });
  }

  /** Set once the walk is over: the count's answer is then no use. */
  readonly #counting = { cancelled: false };

  async #countSource(): Promise<void> {
    const totals = await countSource(this.#ctx, this.#counting).catch(() => null);
    if (totals && !this.#counting.cancelled) this.#estimate = totals;
  }

  #projectName(): string {
    const requested = this.#options.project?.trim();
    if (requested) return requested;
    const projects = this.#vault.catalog.listProjects();
    const same = projects.find((p) => p.sourcePath === this.#source);
    if (same) return same.name;
    const base = basename(this.#source) || 'project';
    let name = base;
    for (let n = 2; projects.some((p) => p.name === name); n++) name = `${base} (${n})`;
    return name;
  }

  /**
   * Lists one folder and starts storing its entries; resolves (the outer
   * promise) once the walk may move on, and the inner promise gives the
   * folder once everything in it is stored (null when it could not be
   * listed). A folder whose subtree scans to the digest recorded for its
   * previous listing is that listing, at once (see scan-digest.ts).
   */
  async #walk(dirPath: string | Buffer, relPath: string, previousTree: Uint8Array | undefined): Promise<{ tree: Promise<StoredFolder | null> }> {
    this.#checkCancelled();
    if (previousTree) {
      // What the listing ahead left out (its limit bounds memory) is listed here a subtree at a
      // time, so the folders of a large source are reused by digest too; the walk takes the
      // listings either way.
      if (!this.#ctx.prescanned?.has(pathKey(dirPath))) await prescan(this.#ctx, this.#listing, this.#listAhead, { path: dirPath, rel: relPath });
      const reused = this.#reuseByDigest(dirPath, relPath, previousTree);
      if (reused) return { tree: Promise.resolve(reused) };
    }
    const scanned = await scanDir(dirPath, relPath, this.#ctx);
    this.#warnings.push(...scanned.warnings);
    if (!scanned.readable) return { tree: Promise.resolve(null) };
    const before = await this.#previousEntries(previousTree, relPath);
    const previous = before?.byName;
    if (previous) {
      // Subfolders reused by digest are never read: only the others are worth loading ahead, and
      // one not listed yet (beyond the limit of what is listed ahead) may turn out to be reused.
      this.#prefetchTrees(
        scanned.entries.flatMap((e) => {
          const b = e.type === 'dir' ? previous.get(nameKey(e)) : undefined;
          if (b?.type !== 'dir' || !b.subtree || !this.#ctx.prescanned?.has(pathKey(e.path))) return [];
          return this.#digestMatch(e.path, b.subtree) ? [] : [b.subtree];
        }),
      );
    }
    const state: FolderState = { clean: scanned.warnings.length === 0 };
    const subfolders = new Map<ScannedEntry, StoredFolder>();
    // Unchanged files and symlinks are entries at once; the rest are promises.
    const parts: (TreeEntry | null | Promise<TreeEntry | null>)[] = [];
    for (const e of scanned.entries) {
      this.#checkCancelled();
      const was = previous?.get(nameKey(e));
      if (e.type === 'symlink') {
        this.#counts.symlinks++;
        parts.push(treeEntryOf(e, {}));
        continue;
      }
      if (e.type === 'file' && was && this.#unchanged(e, was)) {
        parts.push(this.#reuseFile(e, was));
        continue;
      }
      let part: Promise<TreeEntry | null>;
      if (e.type === 'dir') {
        const { tree: subtree } = await this.#walk(e.path, e.relPath, was?.type === 'dir' ? was.subtree : undefined);
        part = subtree.then((sub) => {
          if (!sub) return null;
          this.#counts.dirs++;
          subfolders.set(e, sub);
          return treeEntryOf(e, { subtree: sub.id });
        });
      } else {
        // A small file holds no descriptor here (a worker reads it), only a place in an arena:
        // many of them in flight fill arenas, so each worker task carries a big batch.
        const slots = e.size > 0 && e.size < this.#vault.chunker.min ? this.#smallSlots : this.#slots;
        await slots.acquire();
        part = this.#file(e, was, state).finally(() => slots.release());
      }
      // Mark handled now (a failure is collected in #failure); Promise.all below still sees it.
      part.catch((err: unknown) => {
        this.#failure ??= err;
      });
      parts.push(part);
    }
    const tree = Promise.all(parts).then(async (done): Promise<StoredFolder> => {
      const entries = done.filter((x): x is TreeEntry => x !== null);
      const counts = folderCounts(entries, subfolders);
      // Nothing in this folder changed: its listing would encode to the previous one's bytes.
      const id = before && previousTree && sameEntries(entries, before.list) ? previousTree : (await this.#writer.putWhole(encodeTree(entries), BlobKind.tree, 'tree')).id;
      const whole = state.clean && entries.length === scanned.entries.length;
      const digest = whole ? folderDigest(scanned.entries, (e) => subfolders.get(e)?.digest ?? null) : null;
      if (digest) this.#digestRows.push({ treeId: id, digest, ...counts });
      return { id, digest, counts };
    });
    tree.catch(() => undefined);
    return { tree };
  }

  /**
   * The previous listing of a folder whose whole subtree is listed ahead and
   * scans to the digest recorded for that listing, counted as unchanged;
   * undefined otherwise.
   */
  #reuseByDigest(dirPath: string | Buffer, relPath: string, previousTree: Uint8Array): StoredFolder | undefined {
    const match = this.#digestMatch(dirPath, previousTree);
    if (!match) return undefined;
    dropListings(this.#ctx, dirPath);
    const { digest, recorded } = match;
    const { files, dirs, symlinks, bytes } = recorded;
    this.#counts.files += files;
    this.#counts.filesUnmodified += files;
    this.#counts.dirs += dirs;
    this.#counts.symlinks += symlinks;
    this.#counts.bytes += bytes;
    this.#report('storing', relPath);
    return { id: previousTree, digest, counts: { files, dirs, symlinks, bytes } };
  }

  /** The folder's digest from the listings held ahead, when it equals the one recorded for `previousTree`. */
  #digestMatch(dirPath: string | Buffer, previousTree: Uint8Array): { digest: Uint8Array; recorded: TreeDigestRow } | undefined {
    if (!this.#ctx.prescanned || this.#ctx.prescanned.size === 0) return undefined;
    const digest = listedDigest(this.#ctx, dirPath, this.#listedDigests);
    if (!digest) return undefined;
    // Asked twice per subfolder (loading ahead, then the walk): one catalog lookup serves both.
    const key = idHex(previousTree);
    let recorded = this.#recordedDigests.get(key);
    if (recorded === undefined) this.#recordedDigests.set(key, (recorded = this.#vault.catalog.treeDigest(previousTree) ?? null));
    return recorded && Buffer.from(recorded.digest).equals(digest) ? { digest, recorded } : undefined;
  }

  /**
   * Starts loading the previous listings of a folder's subfolders, in one
   * batch through the pool, while the walk is busy with the folder itself:
   * the walk then finds them ready instead of waiting for each in turn.
   */
  #prefetchTrees(ids: Uint8Array[]): void {
    // A lost listing is not asked for: one failure fails its whole batch (see #previousEntries).
    const wanted = ids.filter((id) => !this.#prefetched.has(idHex(id)) && !this.#lost.has(idHex(id)));
    if (wanted.length === 0) return;
    const loading = this.#vault.loadTrees(wanted);
    wanted.forEach((id, n) => {
      const one = loading.then((trees) => trees[n]!);
      one.catch(() => undefined); // a damaged listing is reported when the walk gets there
      this.#prefetched.set(idHex(id), one);
    });
  }

  async #previousEntries(treeId: Uint8Array | undefined, relPath: string): Promise<{ list: TreeEntry[]; byName: Map<string, TreeEntry> } | undefined> {
    if (!treeId) return undefined;
    if (this.#lost.has(idHex(treeId))) {
      this.#warnings.push({ path: relPath, message: "The previous snapshot's listing of this folder is damaged beyond repair; its files were read again." });
      return undefined;
    }
    try {
      const key = idHex(treeId);
      const prefetched = this.#prefetched.get(key);
      this.#prefetched.delete(key);
      const list = await (prefetched ?? this.#vault.loadTree(treeId));
      return { list, byName: new Map(list.map((e) => [nameKey(e), e])) };
    } catch (err) {
      // A damaged previous tree only costs speed: everything below is read again.
      this.#warnings.push({ path: relPath, message: `The previous snapshot's listing could not be read (${(err as Error).message}); files were read again.` });
      return undefined;
    }
  }

  /** An unchanged file: its previous entry's content, with this scan's metadata. */
  #reuseFile(e: ScannedEntry, before: TreeEntry): TreeEntry {
    this.#counts.files++;
    this.#counts.filesUnmodified++;
    this.#counts.bytes += before.size;
    this.#report('storing', e.relPath);
    return treeEntryOf(e, { content: before.content!, size: before.size });
  }

  /** A warning about something in the folder `dir`, whose listing then gets no scan digest. */
  #warn(dir: FolderState, w: SnapshotWarning): void {
    dir.clean = false;
    this.#warnings.push(w);
  }

  async #file(e: ScannedEntry, before: TreeEntry | undefined, dir: FolderState): Promise<TreeEntry | null> {
    if (this.#failure !== undefined) throw this.#failure;
    if (e.size > 0 && e.size < this.#vault.chunker.min) {
      // Most files: read, hashed and sealed by the workers, straight into an arena.
      const r = await this.#writer.putSmallFile(e.path, { size: BigInt(e.size), mtimeNs: e.mtimeNs, ctimeNs: e.ctimeNs, ino: e.ino }, e.name);
      if (r.status === 'left-out') {
        this.#warn(dir, { path: e.relPath, message: r.message });
        return null;
      }
      if (r.status === 'stored') {
        if (r.changed) this.#warn(dir, { path: e.relPath, message: CHANGED_WHILE_READING });
        return this.#stored(e, before, [r.id], e.size);
      }
      // 'retry': its size moved since the scan; read it below like a large file.
    }
    let handle: FileHandle;
    try {
      // O_NONBLOCK: a file swapped for a FIFO after the scan must not hang the backup.
      handle = await open(e.path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    } catch (err) {
      this.#warn(dir, { path: e.relPath, message: `Left out: the file could not be opened (${fromSystemError(err, 'it').message}).` });
      return null;
    }
    // A large file counts in the progress as it is read (`read` bytes so far), not only once stored.
    let read = 0;
    try {
      const opened = await handle.stat({ bigint: true });
      if (!opened.isFile()) {
        this.#warn(dir, { path: e.relPath, message: 'Left out: it is no longer a regular file.' });
        return null;
      }
      const stored = await this.#writer.putFile(handle, Number(opened.size), e.name, this.#vault.chunker, (n) => {
        read += n;
        this.#readingBytes += n;
        this.#report('storing', e.relPath);
      });
      const after = await handle.stat({ bigint: true });
      if (fileChangedWhileReading(e, after) || stored.size !== Number(opened.size)) {
        this.#warn(dir, { path: e.relPath, message: CHANGED_WHILE_READING });
      }
      this.#readingBytes -= read; // now counted as stored, in the same step
      read = 0;
      return this.#stored(e, before, stored.ids, stored.size);
    } catch (err) {
      this.#readingBytes -= read;
      if (err instanceof VaultError && (err.kind === 'permission-denied' || err.kind === 'io') && this.#failure === undefined) {
        this.#warn(dir, { path: e.relPath, message: `Left out: the file could not be read (${err.message}).` });
        return null;
      }
      throw err;
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  #stored(e: ScannedEntry, before: TreeEntry | undefined, content: Uint8Array[], size: number): TreeEntry {
    this.#counts.files++;
    this.#counts.bytes += size;
    if (before?.type === 'file') this.#counts.filesChanged++;
    else this.#counts.filesNew++;
    this.#report('storing', e.relPath);
    return treeEntryOf(e, { content, size });
  }

  #unchanged(e: ScannedEntry, before: TreeEntry): boolean {
    return (
      before.type === 'file' &&
      before.size === e.size &&
      before.mtimeNs === e.mtimeNs &&
      before.ctimeNs === e.ctimeNs &&
      before.ino === e.ino &&
      (before.content ?? []).every((id) => this.#known.has(id))
    );
  }

  #report(phase: BackupProgress['phase'], current: string | null, force = false): void {
    const onProgress = this.#options.onProgress;
    if (!onProgress) return;
    const now = performance.now();
    if (!force && now - this.#lastProgress < 50) return;
    this.#lastProgress = now;
    onProgress({ phase, files: this.#counts.files, bytes: this.#counts.bytes + this.#readingBytes, filesTotal: this.#estimate.files, bytesTotal: this.#estimate.bytes, current });
  }

  #checkCancelled(): void {
    if (this.#options.signal?.aborted) throw new VaultError('cancelled', 'The backup was cancelled.');
    if (this.#failure !== undefined) throw this.#failure;
  }
}

/** Whether anything in a folder was left out or warned about while it was stored. */
interface FolderState {
  clean: boolean;
}

/** What lies below a folder, at any depth. */
interface FolderCounts {
  files: number;
  /** Not counting the folder itself. */
  dirs: number;
  symlinks: number;
  bytes: number;
}

/** A folder once stored: its listing, its scan digest (null: not reusable by digest) and what lies below it. */
interface StoredFolder {
  id: Uint8Array;
  digest: Uint8Array | null;
  counts: FolderCounts;
}

function folderCounts(entries: readonly TreeEntry[], subfolders: ReadonlyMap<ScannedEntry, StoredFolder>): FolderCounts {
  const counts: FolderCounts = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  for (const e of entries) {
    if (e.type === 'file') {
      counts.files++;
      counts.bytes += e.size;
    } else if (e.type === 'symlink') counts.symlinks++;
  }
  for (const sub of subfolders.values()) {
    counts.files += sub.counts.files;
    counts.dirs += 1 + sub.counts.dirs;
    counts.symlinks += sub.counts.symlinks;
    counts.bytes += sub.counts.bytes;
  }
  return counts;
}

const CHANGED_WHILE_READING = 'The file changed while it was being read; the snapshot holds the bytes as they were read.';

function idHex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/**
 * Whether two listings (both in tree order) hold the same entries, field by
 * field, so the new one needs no encoding, hashing or storing: it is the
 * previous tree. Every field counts, ino and ctime included, and fields are
 * compared generically so one added to TreeEntry later is not overlooked.
 * When the previous tree was written by an older encoding, the snapshot keeps
 * pointing at it, which any reader still decodes.
 */
export function sameEntries(a: readonly TreeEntry[], b: readonly TreeEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameEntry(a[i]!, b[i]!)) return false;
  return true;
}

function sameEntry(a: TreeEntry, b: TreeEntry): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof TreeEntry)[]);
  for (const k of keys) if (!sameValue(a[k], b[k])) return false;
  return true;
}

function sameValue(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (x instanceof Uint8Array && y instanceof Uint8Array) return Buffer.compare(x, y) === 0;
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => sameValue(v, y[i]));
  return false;
}

function nameKey(e: { name: string; nameBytes?: Uint8Array }): string {
  return e.nameBytes ? `b:${Buffer.from(e.nameBytes).toString('hex')}` : `s:${e.name}`;
}

/** A counting semaphore for open files. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((r) => this.#waiting.push(r));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}
