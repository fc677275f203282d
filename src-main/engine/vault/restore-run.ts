/**
 * Restore: a snapshot, or chosen paths of it, into a target folder.
 *
 * 1. Plan: walk the snapshot's trees depth first (`planStream`), folder
 *    listings opened ahead of the walk, and list every entry to restore with
 *    its path inside the target. Names the target cannot hold (case clashes
 *    on a case-insensitive disk, reserved names, over-long paths) are
 *    reported and left out, never merged or dropped silently.
 * 2. Write, while the plan goes on: each folder as the walk reaches it
 *    (private until finished), before anything in it. A file in
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
 * A whole snapshot is planned as it is written, so the workers start on the
 * first files while the main thread still opens and walks the listings (on
 * the bench corpus the plan alone took ~300 ms of a 2 s restore), and what
 * the plan holds is bounded by the listings opened ahead (ListingsAhead),
 * not by the size of the snapshot. Its totals for progress come from the
 * snapshot's own counts, less what turns out to be refused; chosen paths are
 * planned first and counted exactly. A folder whose listing is damaged
 * beyond what parity rebuilds fails alone, as a damaged file does: it is
 * made (empty) and reported, and everything beside it is restored. (Chosen
 * paths below it fail while they are planned, before anything is written.)
 *
 * Names from the vault are untrusted: FileRestorer re-validates every
 * segment and refuses any path that would leave the target.
 */
import { resolve } from 'node:path';
import type { BlobLocation, SnapshotRow } from '../catalog/index.ts';
import { VaultError } from '../errors.ts';
import { BlobKind } from '../packs/seal.ts';
import { FileRestorer, nsToSeconds, PortabilityCheck, probeTarget, removeStalePartials } from '../restore/index.ts';
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
/**
 * Batches left queued for the workers while this thread gathers the next
 * window (~100 ms for a full one): waiting for the queue to empty first let
 * the workers run dry in between.
 */
const BATCHES_QUEUED_WHILE_PLANNING = 16;
/** Longest run of this thread's own work before it reads the workers' replies (`letInReplies`). */
const SLICE_MS = 2;
/**
 * Folder listings opened ahead of the plan's walk and not yet reached, at
 * most (a few MB for typical listings; the vault's tree cache bounds the
 * decoded entries kept besides).
 */
const LISTINGS_AHEAD = 2048;
/** Blobs opened per worker task. */
const OPEN_BATCH = 64;

export async function restore(vault: Vault, snapshot: SnapshotRow, targetPath: string, options: RestoreOptions = {}): Promise<RestoreSummary> {
  const target = resolve(targetPath);
  const policy = options.policy ?? 'refuse';
  const paths = options.paths ?? [];
  // Chosen paths are planned whole first (a damaged listing fails before anything is written,
  // and the totals are exact); a whole snapshot is planned while it is written.
  const chosen = paths.length > 0 ? await planRestore(vault, snapshot, paths) : undefined;
  // Opening creates the folder when missing; then nothing but this restore has been in it.
  const restorer = await FileRestorer.open(target, options.signal ? { signal: options.signal } : {});
  if (!restorer.createdRoot) await removeStalePartials(target);

  const summary: RestoreSummary = { snapshotId: snapshot.id, target, files: 0, dirs: 0, symlinks: 0, bytes: 0, skipped: 0, renamed: 0, problems: [] };
  const traits = await probeTarget(target);
  const portability = new PortabilityCheck({ ...traits, root: target });
  /** Entries left out because the target cannot hold them; everything below them is left out too. */
  const refused = new Set<string>();
  const ahead = new ListingsAhead(vault, { hereOnly: true });
  // A folder whose listing is damaged beyond repair fails alone and loudly, as a damaged file
  // does: it is made (empty), reported, and everything beside it is still restored.
  const unlisted = (folder: PlannedEntry, err: VaultError) => summary.problems.push({ path: folder.display, message: `Its contents were not restored: ${err.message}` });
  const planned: AsyncIterable<PlannedEntry> | Iterable<PlannedEntry> = chosen ?? planStream(vault, ahead, snapshot, [], unlisted);

  const fetcher = new BlobFetcher(vault, options.signal);
  const totals = chosen ? fileTotals(chosen) : { files: snapshot.fileCount, bytes: snapshot.totalBytes };
  const report = throttled((current: string | null) => options.onProgress?.({ files: summary.files, filesTotal: totals.files, bytes: summary.bytes, bytesTotal: totals.bytes, current }));

  const dirsToFinish: PathSegment[][] = [];
  /** Folders skipped by the conflict policy: everything below them is skipped too. */
  const skippedDirs = new Set<string>();
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
  /**
   * The plan's walk and a window's gathering resolve promises only, which
   * never let the event loop in: a worker's finished batch would then wait
   * for its reply to be read (and the next batch to go out) until the whole
   * window was gathered, and the workers ran dry meanwhile. So they let it in
   * every couple of milliseconds.
   */
  let sliceStart = performance.now();
  const letInReplies = async () => {
    if (performance.now() - sliceStart < SLICE_MS) return;
    await new Promise((r) => setImmediate(r));
    sliceStart = performance.now();
  };
  /** Files being written on this thread (`slots`) and batches in the workers (`sending`). */
  const slots = new Set<Promise<void>>();
  const sending = new Set<Promise<void>>();
  try {
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
    // Files are gathered a window at a time; those the workers can write (direct files) are
    // sent in the order their data lies in the packs: the files of one bundle then share a batch
    // (one worker decompresses the bundle once, not once per file), and packs are read front to
    // back. A window's batches wait in `queued` and go to the workers as they free up, while
    // this thread plans the next window; the first windows are small so the workers start early.
    let window: PlannedEntry[] = [];
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
      drained?.();
    };
    /** Resolves once at most `left` queued batches have not gone to a worker yet; rethrows a batch's failure. */
    const dispatched = async (left: number) => {
      while (queued.length > left && !failure) await new Promise<void>((r) => (drained = r));
      drained = undefined;
      if (failure) throw failure.err;
    };
    const flushWindow = async () => {
      // The workers go on with what is still queued while this thread gathers the next window.
      await dispatched(BATCHES_QUEUED_WHILE_PLANNING);
      const files = window;
      window = [];
      windowFiles = Math.min(windowFiles * 2, DIRECT_WINDOW_FILES);
      // Where every chunk of the window's files is, in one catalog read.
      const contents = files.map((p) => p.entry.content ?? []);
      const found = vault.catalog.getBlobs(contents.flat());
      const direct: DirectFile[] = [];
      let next = 0;
      for (const [n, p] of files.entries()) {
        await letInReplies();
        const d = directFile(restorer, p, found.slice(next, (next += contents[n]!.length)));
        if (d) direct.push(d);
        else await track(writeThroughRestorer(p), FILES_IN_FLIGHT);
      }
      direct.sort(byPlace);
      let batch: DirectFile[] = [];
      let batchBytes = 0;
      for (const d of direct) {
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
    const doable = { files: 0, bytes: 0 };
    for await (const p of planned) {
      await letInReplies();
      if (failure) throw failure.err;
      if (options.signal?.aborted) throw new VaultError('cancelled', 'The restore was cancelled.');
      // Every entry is checked, those below a refused one too, so all the problems are told.
      const problems = portability.problemsOf(p.display);
      for (const problem of problems) summary.problems.push({ path: problem.path, message: problem.detail });
      if (problems.length > 0) refused.add(p.display);
      if (problems.length > 0 || isBelow(p.display, refused)) {
        if (p.entry.type === 'file') {
          totals.files--;
          totals.bytes -= p.entry.size;
        }
        continue;
      }
      if (p.entry.type === 'file') {
        doable.files++;
        doable.bytes += p.entry.size;
      }
      if (isBelow(p.display, skippedDirs)) continue;
      if (p.entry.type === 'dir') {
        const out = await restorer.createDir(p.segments, p.entry.mode, p.entry.mtimeNs, policy);
        count(out.action);
        if (out.action === 'skipped') skippedDirs.add(p.display);
        else {
          summary.dirs++;
          dirsToFinish.push(p.segments);
        }
        continue;
      }
      if (p.entry.type === 'symlink') {
        const out = await restorer.createSymlink(p.segments, p.entry.targetBytes ?? p.entry.target ?? '', policy, p.entry.mtimeNs);
        count(out.action);
        if (out.action !== 'skipped') summary.symlinks++;
        continue;
      }
      window.push(p);
      if (window.length >= windowFiles) await flushWindow();
    }
    // The plan is complete: its own counts stand (the snapshot's differ only if they were not
    // recorded from this very tree).
    Object.assign(totals, doable);
    await ahead.settled();
    await flushWindow();
    await dispatched(0);
    await Promise.all(slots);
    while (sending.size > 0) await Promise.all([...sending]);
    if (failure) throw failure.err;
    // Deepest level first, so a folder's mode and mtime are set after everything inside it.
    await restorer.finishDirs(byDepth(dirsToFinish, (segments) => segments.length).reverse());
    report.flush(null);
    return summary;
  } catch (err) {
    // Let what is still writing finish (or see the cancel) before its temporary files are removed.
    await Promise.allSettled([...slots, ...sending, ahead.settled()]);
    await restorer.removePartials().catch(() => undefined);
    throw err;
  }
}

/** Regular files of a plan and their bytes. */
function fileTotals(plan: readonly PlannedEntry[]): { files: number; bytes: number } {
  const totals = { files: 0, bytes: 0 };
  for (const p of plan) {
    if (p.entry.type !== 'file') continue;
    totals.files++;
    totals.bytes += p.entry.size;
  }
  return totals;
}

/** Whether `display` lies below one of `folders` (display paths), found by its own ancestors. */
function isBelow(display: string, folders: ReadonlySet<string>): boolean {
  if (folders.size === 0) return false;
  for (let i = display.indexOf('/'); i >= 0; i = display.indexOf('/', i + 1)) if (folders.has(display.slice(0, i))) return true;
  return false;
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
  const ahead = new ListingsAhead(vault);
  try {
    for await (const p of planStream(vault, ahead, snapshot, paths)) plan.push(p);
  } finally {
    await ahead.settled();
  }
  return plan;
}

/** `planRestore` entry by entry, in the same order: each folder before what is in it. */
async function* planStream(vault: Vault, ahead: ListingsAhead, snapshot: SnapshotRow, paths: string[], onUnlisted?: OnUnlisted): AsyncGenerator<PlannedEntry> {
  if (paths.length === 0) {
    yield* walkListings(ahead, snapshot.treeId, [], '', onUnlisted);
    return;
  }
  // Chosen paths may overlap (a folder and a file in it); each is listed once, keyed by its
  // exact bytes (two names may display alike: 0xFF and a real U+FFFD).
  const seen = new Set<string>();
  const once = (p: PlannedEntry) => {
    const key = p.segments.map((s) => Buffer.from(s).toString('hex')).join('/');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const path of paths) {
    const { entry, segments } = await vault.entryAt(snapshot, path);
    if (!entry) {
      for await (const p of walkListings(ahead, snapshot.treeId, [], '')) if (once(p)) yield p;
      continue;
    }
    // The folders leading to the chosen path, with their own modes and times.
    let tree = snapshot.treeId as Uint8Array;
    for (let i = 0; i < segments.length - 1; i++) {
      const dir = (await vault.loadTree(tree)).find((e) => e.name === segments[i])!;
      const p = { segments: segments.slice(0, i + 1), display: segments.slice(0, i + 1).join('/'), entry: dir };
      if (once(p)) yield p;
      tree = dir.subtree!;
    }
    const p = { segments, display: segments.join('/'), entry };
    if (once(p)) yield p;
    if (entry.type === 'dir' && entry.subtree) for await (const q of walkListings(ahead, entry.subtree, segments, segments.join('/'))) if (once(q)) yield q;
  }
}

/**
 * A subfolder whose listing cannot be read (damaged beyond what parity
 * rebuilds): the walk goes on without what is in it. Without this, the walk
 * throws.
 */
export type OnUnlisted = (folder: PlannedEntry, err: VaultError) => void;

/** The entries below folder listing `treeId`, depth first, each folder before what is in it. */
export async function* walkListings(ahead: ListingsAhead, treeId: Uint8Array, segments: PathSegment[], display: string, onUnlisted?: OnUnlisted): AsyncGenerator<PlannedEntry> {
  const stack: { entries: TreeEntry[]; next: number; segments: PathSegment[]; display: string }[] = [{ entries: await ahead.take(treeId), next: 0, segments, display }];
  while (stack.length > 0) {
    const at = stack[stack.length - 1]!;
    if (at.next >= at.entries.length) {
      stack.pop();
      continue;
    }
    const entry = at.entries[at.next++]!;
    const childSegments = [...at.segments, entry.nameBytes ?? entry.name];
    const childDisplay = at.display ? `${at.display}/${entry.name}` : entry.name;
    const planned = { segments: childSegments, display: childDisplay, entry };
    yield planned;
    if (entry.type !== 'dir' || !entry.subtree) continue;
    let entries: TreeEntry[];
    try {
      entries = await ahead.take(entry.subtree);
    } catch (err) {
      if (!onUnlisted || !(err instanceof VaultError) || err.kind !== 'damaged-data') throw err;
      onUnlisted(planned, err);
      continue;
    }
    stack.push({ entries, next: 0, segments: childSegments, display: childDisplay });
  }
}

/**
 * Folder listings opened ahead of a depth-first walk. Each batch of listings,
 * once open, asks at once for all their subfolders' listings in one batch
 * (a large batch opens in the worker pool, `Vault.loadTrees`), so the walk
 * seldom waits for the one it needs next; at most LISTINGS_AHEAD listings are
 * held that the walk has not reached. One it needs and nobody asked for (past
 * that bound, or a listing that appears twice) is asked for when needed.
 */
export class ListingsAhead {
  readonly #vault: Vault;
  /** Asked for and not yet taken, by id (hex). */
  readonly #ahead = new Map<string, Promise<TreeEntry[]>>();
  readonly #loading = new Set<Promise<void>>();
  readonly #hereOnly: boolean;
  readonly #limit: number;

  /**
   * `hereOnly`: open them on this thread (`Vault.loadTrees`), for a plan made
   * while the workers write files: in the pool the listings the walk waits
   * for would queue behind those batches, and the workers would then run dry.
   * `limit`: listings held at most (default LISTINGS_AHEAD).
   */
  constructor(vault: Vault, options: { hereOnly?: boolean; limit?: number } = {}) {
    this.#vault = vault;
    this.#hereOnly = options.hereOnly ?? false;
    this.#limit = options.limit ?? LISTINGS_AHEAD;
  }

  /** Listings asked for (opened or being opened) that the walk has not taken yet. */
  get held(): number {
    return this.#ahead.size;
  }

  /** The listing `id`, from those opened ahead or opened now; it is then no longer held here. */
  take(id: Uint8Array): Promise<TreeEntry[]> {
    const key = Buffer.from(id).toString('hex');
    if (!this.#ahead.has(key)) this.#load([id], true);
    const listing = this.#ahead.get(key)!;
    this.#ahead.delete(key);
    return listing;
  }

  /** Resolves once no listing is being opened (a restore that stops waits for it before it returns). */
  async settled(): Promise<void> {
    while (this.#loading.size > 0) await Promise.allSettled([...this.#loading]);
  }

  /** Opens the listings of `ids` not asked for yet, as one batch; past the limit only when `needed`. */
  #load(ids: readonly Uint8Array[], needed = false): void {
    const batch: { id: Uint8Array; resolve: (l: TreeEntry[]) => void; reject: (err: unknown) => void }[] = [];
    for (const id of ids) {
      if (!needed && this.#ahead.size >= this.#limit) break;
      const key = Buffer.from(id).toString('hex');
      if (this.#ahead.has(key)) continue;
      const listing = new Promise<TreeEntry[]>((resolve, reject) => batch.push({ id, resolve, reject }));
      listing.catch(() => undefined); // seen by whoever takes it; one never taken is dropped
      this.#ahead.set(key, listing);
    }
    if (batch.length === 0) return;
    this.#open(batch);
  }

  /** Opens a batch; when it fails, each of its listings alone, so one damaged listing fails only itself. */
  #open(batch: readonly { id: Uint8Array; resolve: (l: TreeEntry[]) => void; reject: (err: unknown) => void }[]): void {
    const loading: Promise<void> = this.#vault.loadTrees(batch.map((b) => b.id), { hereOnly: this.#hereOnly }).then(
      (listings) => {
        listings.forEach((l, n) => batch[n]!.resolve(l));
        this.#load(listings.flatMap((l) => l.flatMap((e) => (e.type === 'dir' && e.subtree ? [e.subtree] : []))));
      },
      (err: unknown) => {
        if (batch.length === 1) batch[0]!.reject(err);
        else for (const b of batch) this.#open([b]);
      },
    );
    this.#loading.add(loading);
    void loading.finally(() => this.#loading.delete(loading));
  }
}

/** Items grouped by depth, shallowest first, each group in its original order. */
function byDepth<T>(items: readonly T[], depth: (item: T) => number): T[][] {
  const levels: T[][] = [];
  for (const item of items) (levels[depth(item)] ??= []).push(item);
  return levels.filter((l) => l !== undefined);
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
