/**
 * Restore: a snapshot, or chosen paths of it, into a target folder.
 *
 * 1. Plan: walk the snapshot's trees and list every entry to restore, with
 *    its path inside the target. Names the target cannot hold (case clashes
 *    on a case-insensitive disk, reserved names, over-long paths) are
 *    reported and left out, never merged or dropped silently.
 * 2. Write: folders first (private until finished), then files. A file in
 *    a folder this restore created goes to a worker in a batch, which writes
 *    it with plain system calls (workers/write-files.ts); any other file
 *    (an existing folder, a conflict to resolve, a blob that failed in the
 *    worker) is streamed chunk by chunk through the FileRestorer on this
 *    thread. Both write a temporary name, check the size, then rename, and
 *    both authenticate every chunk and re-check its keyed id before a byte of
 *    it is written, so a damaged blob fails that file loudly instead of
 *    producing wrong bytes.
 * 3. Finish folders deepest first, so their modes and mtimes stick.
 *
 * Names from the vault are untrusted: FileRestorer re-validates every
 * segment and refuses any path that would leave the target.
 */
import { resolve } from 'node:path';
import type { BlobLocation, SnapshotRow } from '../catalog/index.ts';
import { VaultError } from '../errors.ts';
import { mapLimited } from '../limited.ts';
import { BlobKind } from '../packs/seal.ts';
import { DIR_CALLS_IN_FLIGHT, FileRestorer, nsToSeconds, portabilityProblems, probeTarget, removeStalePartials } from '../restore/index.ts';
import type { ConflictPolicy, PathSegment } from '../restore/index.ts';
import type { TreeEntry } from '../snapshot/index.ts';
import type { WriteFileItem } from '../workers/index.ts';
import type { Vault } from './vault.ts';

export interface RestoreOptions {
  /** Paths inside the snapshot ('a/b'); default: everything. They keep their place under the target. */
  paths?: string[];
  /** What to do with entries that already exist in the target; default 'refuse'. */
  policy?: ConflictPolicy;
  signal?: AbortSignal;
  onProgress?: (p: RestoreProgress) => void;
}

export interface RestoreProgress {
  files: number;
  filesTotal: number;
  bytes: number;
  bytesTotal: number;
  current: string | null;
}

export interface RestoreSummary {
  snapshotId: string;
  target: string;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  skipped: number;
  renamed: number;
  /** Entries that were not restored, with why. */
  problems: { path: string; message: string }[];
}

interface PlannedEntry {
  segments: PathSegment[];
  display: string;
  entry: TreeEntry;
}

const FILES_IN_FLIGHT = 16;
/** A worker batch of direct writes: enough files to amortise the message, few enough to keep progress and cancel prompt. */
const DIRECT_BATCH_FILES = 128;
const DIRECT_BATCH_BYTES = 8 * 1024 * 1024;
/** Direct files ordered by where their data lies, at most this many at a time (bounds what is held). */
const DIRECT_WINDOW_FILES = 4096;
const FIRST_DIRECT_WINDOW_FILES = 256;
/** Planned entries whose chunks are looked up in the catalog at once. */
const PLACES_AHEAD = 512;
/** Blobs opened per worker task. */
const OPEN_BATCH = 64;

export async function restore(vault: Vault, snapshot: SnapshotRow, targetPath: string, options: RestoreOptions = {}): Promise<RestoreSummary> {
  const target = resolve(targetPath);
  const policy = options.policy ?? 'refuse';
  const plan = await planRestore(vault, snapshot, options.paths ?? []);
  // Opening creates the folder when missing; then nothing but this restore has been in it.
  const restorer = await FileRestorer.open(target, options.signal ? { signal: options.signal } : {});
  if (!restorer.createdRoot) await removeStalePartials(target);

  const summary: RestoreSummary = { snapshotId: snapshot.id, target, files: 0, dirs: 0, symlinks: 0, bytes: 0, skipped: 0, renamed: 0, problems: [] };
  const traits = await probeTarget(target);
  const problems = portabilityProblems(plan.map((p) => p.display), { ...traits, root: target });
  const refused = new Set(problems.map((p) => p.path));
  summary.problems.push(...problems.map((p) => ({ path: p.path, message: p.detail })));
  // Leave out what cannot exist here, and everything below it.
  const doable = plan.filter((p) => ![...refused].some((r) => p.display === r || p.display.startsWith(`${r}/`)));

  const fetcher = new BlobFetcher(vault, options.signal);
  const totals = { files: 0, bytes: 0 };
  for (const p of doable) {
    if (p.entry.type !== 'file') continue;
    totals.files++;
    totals.bytes += p.entry.size;
  }
  const report = throttled((current: string | null) => options.onProgress?.({ files: summary.files, filesTotal: totals.files, bytes: summary.bytes, bytesTotal: totals.bytes, current }));

  const dirsToFinish: PathSegment[][] = [];
  const skippedDirs: string[] = [];
  const count = (action: string) => {
    if (action === 'skipped') summary.skipped++;
    if (action === 'renamed') summary.renamed++;
  };
  const restored = (p: PlannedEntry) => {
    summary.files++;
    summary.bytes += p.entry.size;
    report(p.display);
  };
  /** One file through the FileRestorer on this thread: conflicts, existing folders, healing reads. */
  const writeThroughRestorer = async (p: PlannedEntry) => {
    let out;
    try {
      out = await restorer.writeFile(p.segments, fetcher.content(p.entry.content ?? []), { mode: p.entry.mode, mtimeNs: p.entry.mtimeNs, size: p.entry.size }, policy);
    } catch (err) {
      // A damaged file fails alone and loudly; the others are still restored.
      if (err instanceof VaultError && err.kind === 'damaged-data') {
        summary.problems.push({ path: p.display, message: `Not restored: ${err.message}` });
        return;
      }
      throw err;
    }
    count(out.action);
    if (out.action !== 'skipped') restored(p);
    else report(p.display);
  };
  /** Files in folders this restore created go to the workers in batches (see workers/write-files.ts). */
  const writeInWorkers = async (batch: DirectFile[]) => {
    const results = await vault.pool.writeFiles(
      vault.packsDir,
      batch.map((d) => d.item),
      options.signal ? { signal: options.signal } : {},
    );
    for (let i = 0; i < batch.length; i++) {
      const d = batch[i]!;
      const r = results[i]!;
      restorer.settleDirect(d.item.temp as string | Buffer);
      if (r === null) restored(d.planned);
      // Damaged on disk: the slow path reads through the vault, which heals from parity where it can.
      else if (r.kind === 'damaged-data') await writeThroughRestorer(d.planned);
      else throw new VaultError(r.kind, r.message);
    }
  };
  /** Files being written on this thread (`slots`) and batches in the workers (`sending`). */
  const slots = new Set<Promise<void>>();
  const sending = new Set<Promise<void>>();
  try {
    // Folders a level at a time, parents first; the folders of one level are independent of
    // each other, so their system calls overlap (one after another cost ~150 µs each).
    for (const level of byDepth(doable.filter((p) => p.entry.type === 'dir'), (p) => p.segments.length)) {
      await mapLimited(level, DIR_CALLS_IN_FLIGHT, async (p) => {
        if (underSkipped(p.display, skippedDirs)) return;
        const out = await restorer.createDir(p.segments, p.entry.mode, p.entry.mtimeNs, policy);
        count(out.action);
        if (out.action === 'skipped') skippedDirs.push(p.display);
        else {
          summary.dirs++;
          dirsToFinish.push(p.segments);
        }
      });
    }
    /** The first failure of a file written here or of a worker batch; the restore stops at it. */
    let failure: { err: unknown } | undefined;
    const track = async (job: Promise<void>, limit: number) => {
      // A failure is kept, not left to reject unobserved while this thread waits for something
      // else (a window of direct files to go out, a link to be made).
      const tracked: Promise<void> = job
        .catch((err: unknown) => {
          failure ??= { err };
        })
        .finally(() => slots.delete(tracked));
      slots.add(tracked);
      if (slots.size >= limit) await Promise.race(slots);
      if (failure) throw failure.err;
    };
    // Direct files are gathered a window at a time and sent in the order their data lies in the
    // packs: the files of one bundle then share a batch (one worker decompresses the bundle once,
    // not once per file), and packs are read front to back. A window's batches wait in `queued`
    // and go to the workers as they free up, while this thread plans the next window; the first
    // windows are small so the workers start early.
    let window: DirectFile[] = [];
    let windowFiles = FIRST_DIRECT_WINDOW_FILES;
    const queued: DirectFile[][] = [];
    let drained: (() => void) | undefined;
    const pump = () => {
      while (sending.size <= vault.pool.size && queued.length > 0 && !failure) {
        const job: Promise<void> = writeInWorkers(queued.shift()!).then(
          () => {
            sending.delete(job);
            pump();
          },
          (err: unknown) => {
            sending.delete(job);
            failure ??= { err };
            drained?.();
          },
        );
        sending.add(job);
      }
      if (queued.length === 0 || failure) drained?.();
    };
    /** Resolves once every queued batch has gone to a worker; rethrows a batch's failure. */
    const dispatched = async () => {
      while (queued.length > 0 && !failure) await new Promise<void>((r) => (drained = r));
      drained = undefined;
      if (failure) throw failure.err;
    };
    const flushWindow = async () => {
      await dispatched();
      const files = window.sort(byPlace);
      window = [];
      windowFiles = Math.min(windowFiles * 2, DIRECT_WINDOW_FILES);
      let batch: DirectFile[] = [];
      let batchBytes = 0;
      for (const d of files) {
        batch.push(d);
        batchBytes += d.planned.entry.size;
        if (batch.length >= DIRECT_BATCH_FILES || batchBytes >= DIRECT_BATCH_BYTES) {
          queued.push(batch);
          batch = [];
          batchBytes = 0;
        }
      }
      if (batch.length > 0) queued.push(batch);
      pump();
    };
    const placesOf = placesAhead(vault, doable);
    for (const [index, p] of doable.entries()) {
      if (p.entry.type === 'dir' || underSkipped(p.display, skippedDirs)) continue;
      if (failure) throw failure.err;
      if (options.signal?.aborted) throw new VaultError('cancelled', 'The restore was cancelled.');
      if (p.entry.type === 'symlink') {
        const out = await restorer.createSymlink(p.segments, p.entry.targetBytes ?? p.entry.target ?? '', policy, p.entry.mtimeNs);
        count(out.action);
        if (out.action !== 'skipped') summary.symlinks++;
        continue;
      }
      const direct = directFile(restorer, p, placesOf(index));
      if (direct) {
        window.push(direct);
        if (window.length >= windowFiles) await flushWindow();
        continue;
      }
      await track(writeThroughRestorer(p), FILES_IN_FLIGHT);
    }
    await flushWindow();
    await dispatched();
    await Promise.all(slots);
    while (sending.size > 0) await Promise.all([...sending]);
    if (failure) throw failure.err;
    // Deepest level first, so a folder's mode and mtime are set after everything inside it.
    await restorer.finishDirs(byDepth(dirsToFinish, (segments) => segments.length).reverse());
    report.flush(null);
    return summary;
  } catch (err) {
    // Let what is still writing finish (or see the cancel) before its temporary files are removed.
    await Promise.allSettled([...slots, ...sending]);
    await restorer.removePartials().catch(() => undefined);
    throw err;
  }
}

interface DirectFile {
  planned: PlannedEntry;
  item: WriteFileItem;
}

/** Pack, then offset in the pack, then offset in the bundle, of a file's first chunk (empty files first). */
function byPlace(a: DirectFile, b: DirectFile): number {
  const x = a.item.chunks[0];
  const y = b.item.chunks[0];
  if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0);
  if (x.packId !== y.packId) return x.packId < y.packId ? -1 : 1;
  return x.offset - y.offset || (x.member?.offset ?? 0) - (y.member?.offset ?? 0);
}

/**
 * Where the chunks of each planned file are, by its index in `plan`: looked
 * up for PLACES_AHEAD entries at a time in one catalog read (getBlobs), as
 * the restore reaches them.
 */
function placesAhead(vault: Vault, plan: readonly PlannedEntry[]): (index: number) => readonly (BlobLocation | undefined)[] {
  let from = 0;
  let places: (BlobLocation | undefined)[][] = [];
  return (index) => {
    if (index < from || index >= from + places.length) {
      from = index;
      const block = plan.slice(index, index + PLACES_AHEAD).map((p) => (p.entry.type === 'file' ? (p.entry.content ?? []) : []));
      const found = vault.catalog.getBlobs(block.flat());
      let next = 0;
      places = block.map((ids) => found.slice(next, (next += ids.length)));
    }
    return places[index - from]!;
  };
}

/** The worker job for a file, when its folder is this restore's own and every blob (`places`, in content order) is in the catalog. */
function directFile(restorer: FileRestorer, p: PlannedEntry, places: readonly (BlobLocation | undefined)[]): DirectFile | undefined {
  const chunks: WriteFileItem['chunks'] = [];
  for (const [n, id] of (p.entry.content ?? []).entries()) {
    const place = places[n];
    if (!place || place.kind !== BlobKind.chunk) return undefined;
    const { member } = place;
    chunks.push({
      packId: place.packId,
      offset: place.offset,
      length: place.length,
      rawLength: place.rawLength,
      // Ids are copied: a view into a decoded listing would carry the whole listing into the worker's message.
      ...(member ? { id: new Uint8Array(member.bundleId), member: { id: new Uint8Array(id), offset: member.innerOffset, length: member.length } } : { id: new Uint8Array(id) }),
    });
  }
  const mtime = nsToSeconds(p.entry.mtimeNs);
  if (typeof mtime !== 'number') return undefined;
  const paths = restorer.planDirect(p.segments, { mode: p.entry.mode, mtimeNs: p.entry.mtimeNs, size: p.entry.size });
  if (!paths) return undefined;
  return { planned: p, item: { temp: paths.temp, dest: paths.dest, display: p.display, mode: p.entry.mode, mtimeSeconds: mtime, size: p.entry.size, chunks } };
}

/** Lists what to restore: the whole snapshot, or the chosen paths with the folders leading to them. */
export async function planRestore(vault: Vault, snapshot: SnapshotRow, paths: string[]): Promise<PlannedEntry[]> {
  const plan: PlannedEntry[] = [];
  const seen = new Set<string>();
  const add = (segments: PathSegment[], display: string, entry: TreeEntry) => {
    // Chosen paths may overlap (a folder and a file in it); a whole snapshot lists each path once.
    if (paths.length > 0) {
      // Keyed by the exact bytes: two names may display alike (0xFF and a real U+FFFD).
      const key = segments.map((s) => Buffer.from(s).toString('hex')).join('/');
      if (seen.has(key)) return;
      seen.add(key);
    }
    plan.push({ segments, display, entry });
  };
  const walk = async (treeId: Uint8Array, segments: PathSegment[], display: string) => {
    // Listings are loaded a level at a time, each level in one batch, then listed depth first
    // (folders before what is in them).
    const trees = new Map<string, TreeEntry[]>();
    for (let level = [treeId]; level.length > 0; ) {
      const loaded = await vault.loadTrees(level);
      level.forEach((id, n) => trees.set(Buffer.from(id).toString('hex'), loaded[n]!));
      level = loaded.flat().flatMap((e) => (e.type === 'dir' && e.subtree && !trees.has(Buffer.from(e.subtree).toString('hex')) ? [e.subtree] : []));
    }
    const list = (id: Uint8Array, segs: PathSegment[], disp: string) => {
      for (const entry of trees.get(Buffer.from(id).toString('hex'))!) {
        const childSegs = [...segs, entry.nameBytes ?? entry.name];
        const childDisp = disp ? `${disp}/${entry.name}` : entry.name;
        add(childSegs, childDisp, entry);
        if (entry.type === 'dir' && entry.subtree) list(entry.subtree, childSegs, childDisp);
      }
    };
    list(treeId, segments, display);
  };
  if (paths.length === 0) {
    await walk(snapshot.treeId, [], '');
    return plan;
  }
  for (const path of paths) {
    const { entry, segments } = await vault.entryAt(snapshot, path);
    if (!entry) {
      await walk(snapshot.treeId, [], '');
      continue;
    }
    // The folders leading to the chosen path, with their own modes and times.
    let tree = snapshot.treeId as Uint8Array;
    for (let i = 0; i < segments.length - 1; i++) {
      const dir = (await vault.loadTree(tree)).find((e) => e.name === segments[i])!;
      add(segments.slice(0, i + 1), segments.slice(0, i + 1).join('/'), dir);
      tree = dir.subtree!;
    }
    add(segments, segments.join('/'), entry);
    if (entry.type === 'dir' && entry.subtree) await walk(entry.subtree, segments, segments.join('/'));
  }
  return plan;
}

/** Items grouped by depth, shallowest first, each group in its original order. */
function byDepth<T>(items: readonly T[], depth: (item: T) => number): T[][] {
  const levels: T[][] = [];
  for (const item of items) (levels[depth(item)] ??= []).push(item);
  return levels.filter((l) => l !== undefined);
}

function underSkipped(display: string, skipped: string[]): boolean {
  return skipped.some((s) => display.startsWith(`${s}/`));
}

/**
 * Reads file content for restore. Requests from all files in flight are
 * gathered into batches so one worker task opens many small blobs; a file's
 * own chunks are fetched a few ahead of the one being written.
 */
class BlobFetcher {
  readonly #vault: Vault;
  readonly #signal: AbortSignal | undefined;
  #batch: { id: Uint8Array; place: BlobLocation; resolve: (b: Uint8Array) => void; reject: (e: unknown) => void }[] = [];
  #scheduled = false;

  constructor(vault: Vault, signal: AbortSignal | undefined) {
    this.#vault = vault;
    this.#signal = signal;
  }

  async *content(ids: Uint8Array[]): AsyncGenerator<Uint8Array> {
    const AHEAD = 3;
    const pending: Promise<Uint8Array>[] = [];
    let next = 0;
    while (next < ids.length || pending.length > 0) {
      while (next < ids.length && pending.length < AHEAD) {
        const p = this.get(ids[next++]!);
        p.catch(() => undefined);
        pending.push(p);
      }
      yield await pending.shift()!;
    }
  }

  async get(id: Uint8Array): Promise<Uint8Array> {
    const place = this.#vault.catalog.getBlob(id);
    if (!place || place.kind !== BlobKind.chunk) {
      throw new VaultError('damaged-data', `Blob ${Buffer.from(id).toString('hex').slice(0, 12)} is missing from the vault.`);
    }
    return new Promise((resolve, reject) => {
      this.#batch.push({ id, place, resolve, reject });
      if (this.#batch.length >= OPEN_BATCH) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    // Per blob: a damaged one (healed from parity where possible) fails only the file that needs it.
    this.#vault.openBlobsSettled(batch, this.#signal).then(
      (opened) => batch.forEach((b, i) => (opened[i] instanceof VaultError ? b.reject(opened[i]) : b.resolve(opened[i] as Uint8Array))),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }
}

function throttled(fn: (current: string | null) => void): ((current: string | null) => void) & { flush(current: string | null): void } {
  let last = 0;
  const call = (current: string | null) => {
    const now = performance.now();
    if (now - last < 50) return;
    last = now;
    fn(current);
  };
  return Object.assign(call, { flush: fn });
}
