/**
 * The file-system side of a restore: directories, files and symlinks put in
 * place below one restore folder, each through the TargetGuard.
 *
 * A file is written to `.<name>.mmry-partial-<random>` beside its
 * destination (created exclusively, so never through an existing link), its
 * length checked against the tree, its mode and mtime set, and only then
 * moved to its name. A destination therefore holds either what was there
 * before or the complete restored file, never a torn one.
 *
 * Not fsynced per file, like restic and borg: a restore can be repeated, and
 * Node offers no syncfs. A crash may leave partial files, which
 * `removeStalePartials` clears.
 *
 * Times: the tree keeps nanoseconds, but Node sets times from a double of
 * seconds, so restored mtimes are exact to about a quarter of a microsecond
 * (for present-day dates; milliseconds before 1970). Access times are set
 * to the time of restore.
 * Ownership is not restored.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, fchmodSync, futimesSync, mkdirSync, openSync, utimesSync } from 'node:fs';
import { chmod, link, lutimes, mkdir, open, readdir, realpath, rename, stat, symlink, unlink, utimes } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isUtf8 } from 'node:buffer';
import { VaultError, fromSystemError } from '../errors.ts';
import { makeFolders, QuickCalls } from '../fsutil/index.ts';
import { mapLimited } from '../limited.ts';
import { toFsName } from '../snapshot/names.ts';
import { TargetGuard, displayRel, joinSegment, lstatOrUndefined, relKey, safeJoin, segmentProblem, unsafe } from './safe-path.ts';
import type { PathSegment } from './safe-path.ts';

/** What to do when the destination already exists. Existing folders are always merged into. */
export type ConflictPolicy = 'refuse' | 'overwrite' | 'skip' | 'keep-both';

export interface FileMeta {
  /** st_mode & 0o7777 */
  mode: number;
  mtimeNs: bigint;
  /** The exact number of bytes the chunks must add up to. */
  size: number;
}

export interface RestoreOutcome {
  /**
   * written: created where nothing was. replaced: an existing entry was
   * overwritten. merged: an existing folder was reused. renamed: kept both,
   * this one under `path`. skipped: the existing entry at `path` was left alone.
   */
  action: 'written' | 'replaced' | 'merged' | 'renamed' | 'skipped';
  path: string | Buffer;
}

export interface RestorerOptions {
  /** Checked between operations and between chunks; aborting throws VaultError('cancelled'). */
  signal?: AbortSignal;
  /** Milliseconds, for timing the synchronous folder calls (tests make calls look slow); default performance.now. */
  clock?: () => number;
}

const PARTIAL_MARK = '.mmry-partial-';
const PARTIAL_NAME = /^\..*\.mmry-partial-[0-9a-f]{12}$/s;
const MAX_NAME_BYTES = 255;
/** Leaves room for "." + mark + 12 hex digits within 255 bytes. */
const MAX_PARTIAL_STEM = 200;
const MAX_KEEP_BOTH = 10_000;
/** Codes by which link() says the file system has no hard links. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV']);
const NO_LINK_TIMES = new Set(['ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'EPERM']);
/** Folder calls of one level in flight at once, when they are made asynchronously (the restore's folder creation uses it too). */
export const DIR_CALLS_IN_FLIGHT = 16;

interface PendingDir {
  path: string | Buffer;
  mode: number;
  mtimeNs: bigint;
  /** False for a folder that was already there, unless the policy is 'overwrite'. */
  apply: boolean;
}

interface Location {
  parent: string | Buffer;
  dest: string | Buffer;
  name: PathSegment;
}

export class FileRestorer {
  /** The restore folder, symlinks resolved. */
  readonly root: string;
  private readonly guard: TargetGuard;
  private readonly signal: AbortSignal | undefined;
  /** Folder calls, synchronous while they answer fast (see "fast calls" below). */
  private readonly calls: QuickCalls;
  private readonly rootCreated: boolean;
  private readonly pendingDirs = new Map<string, PendingDir>();
  /** Keys of folders skipped by policy: everything below them is skipped too. */
  private readonly skippedDirs = new Set<string>();
  private readonly partials = new Set<string | Buffer>();
  /** Folders this restorer created (keys of `rel`), with their paths: new, owner-only, holding only what we put there. */
  private readonly freshDirs = new Map<string, string | Buffer>();

  private constructor(root: string, rootCreated: boolean, options: RestorerOptions) {
    this.root = root;
    this.rootCreated = rootCreated;
    this.guard = new TargetGuard(root);
    this.signal = options.signal;
    this.calls = new QuickCalls(options.clock ? { clock: options.clock } : {});
    if (rootCreated) this.freshDirs.set(relKey([]), root);
  }

  /** Whether the restore folder did not exist before this restorer. */
  get createdRoot(): boolean {
    return this.rootCreated;
  }

  /** Opens (creating it when missing) the restore folder. */
  static async open(targetRoot: string, options: RestorerOptions = {}): Promise<FileRestorer> {
    const resolved = path.resolve(targetRoot);
    try {
      const created = (await lstatOrUndefined(resolved)) === undefined;
      if (created) await makeFolders(resolved);
      const real = await realpath(resolved);
      if (!(await stat(real)).isDirectory()) throw new VaultError('invalid-argument', `The restore folder ${targetRoot} is not a folder.`);
      return new FileRestorer(real, created, options);
    } catch (err) {
      throw fromSystemError(err, `the restore folder ${targetRoot}`);
    }
  }

  /**
   * Creates folder `rel` (owner-only until `finishDir`, so it stays writable
   * and private while its children are restored). `rel` = [] is the restore
   * folder itself, to give it the snapshot root's mode and time.
   */
  async createDir(rel: readonly PathSegment[], mode: number, mtimeNs: bigint, policy: ConflictPolicy): Promise<RestoreOutcome> {
    checkMode(rel, mode);
    if (rel.length === 0) {
      this.checkCancelled();
      this.pendingDirs.set(relKey(rel), { path: this.root, mode, mtimeNs, apply: this.rootCreated || policy === 'overwrite' });
      return { action: this.rootCreated ? 'written' : 'merged', path: this.root };
    }
    const loc = await this.locate(rel);
    if (loc === undefined) return this.skippedBelow(rel);
    try {
      const made = (dest: string | Buffer, action: RestoreOutcome['action']): RestoreOutcome => {
        this.guard.remember(rel, dest);
        this.freshDirs.set(relKey(rel), dest);
        this.pendingDirs.set(relKey(rel), { path: dest, mode, mtimeNs, apply: true });
        return { action, path: dest };
      };
      if (await this.mkdirNew(loc.dest)) return made(loc.dest, 'written');
      const existing = await lstatOrUndefined(loc.dest);
      if (existing?.isDirectory()) {
        this.guard.remember(rel, loc.dest);
        this.pendingDirs.set(relKey(rel), { path: loc.dest, mode, mtimeNs, apply: policy === 'overwrite' });
        return { action: 'merged', path: loc.dest };
      }
      switch (policy) {
        case 'refuse':
          throw exists(rel);
        case 'skip':
          this.skippedDirs.add(relKey(rel));
          return { action: 'skipped', path: loc.dest };
        case 'overwrite':
          await unlink(loc.dest);
          if (!(await this.mkdirNew(loc.dest))) throw exists(rel);
          return made(loc.dest, 'replaced');
        case 'keep-both':
          for (let n = 2; n <= MAX_KEEP_BOTH; n++) {
            const candidate = joinSegment(loc.parent, alternativeName(loc.name, n, false), rel);
            if (await this.mkdirNew(candidate)) return made(candidate, 'renamed');
          }
          throw noFreeName(rel);
      }
    } catch (err) {
      throw failure(err, rel);
    }
  }

  /** Gives folder `rel` its mode and mtime; call after everything inside it is written. */
  async finishDir(rel: readonly PathSegment[]): Promise<void> {
    const pending = this.takePending(rel);
    if (pending === undefined) return;
    try {
      await setDirMeta(pending);
    } catch (err) {
      throw failure(err, rel);
    }
  }

  /**
   * `finishDir` for every folder of `levels`, a level at a time in the order
   * given (deepest first), synchronously while the file system answers fast
   * (see "fast calls" below), else DIR_CALLS_IN_FLIGHT at a time.
   */
  async finishDirs(levels: readonly (readonly (readonly PathSegment[])[])[]): Promise<void> {
    for (const level of levels) {
      let next = 0;
      for (; this.calls.fast && next < level.length; next++) {
        const rel = level[next]!;
        const pending = this.takePending(rel);
        if (pending === undefined) continue;
        try {
          this.calls.run(() => setDirMetaSync(pending));
        } catch (err) {
          throw failure(err, rel);
        }
        await this.calls.yieldSometimes();
      }
      if (next < level.length) await mapLimited(level.slice(next), DIR_CALLS_IN_FLIGHT, (rel) => this.finishDir(rel));
    }
  }

  /**
   * Writes file `rel` from `chunks`. With 'skip' or 'refuse' and an existing
   * destination, `chunks` is never iterated, so no blob is read for nothing.
   * Throws 'damaged-data' (and writes nothing) when the chunks do not add up
   * to `meta.size`.
   */
  async writeFile(rel: readonly PathSegment[], chunks: AsyncIterable<Uint8Array>, meta: FileMeta, policy: ConflictPolicy): Promise<RestoreOutcome> {
    checkMode(rel, meta.mode);
    if (!Number.isSafeInteger(meta.size) || meta.size < 0) throw new VaultError('damaged-data', `"${displayRel(rel)}" has an impossible size in the snapshot.`);
    const loc = await this.locate(rel);
    if (loc === undefined) return this.skippedBelow(rel);
    const existing = await this.lstatAt(loc.dest, rel);
    if (existing) {
      if (policy === 'skip') return { action: 'skipped', path: loc.dest };
      if (policy === 'refuse') throw exists(rel);
      if (policy === 'overwrite' && existing.isDirectory()) throw folderInTheWay(rel);
    }
    const temp = await this.writeTemp(loc, rel, chunks, meta);
    try {
      if (policy === 'overwrite') {
        await rename(temp, loc.dest);
        this.partials.delete(temp);
        return { action: existing ? 'replaced' : 'written', path: loc.dest };
      }
      for (let n = existing && policy === 'keep-both' ? 2 : 1; n <= MAX_KEEP_BOTH; n++) {
        const candidate = n === 1 ? loc.dest : joinSegment(loc.parent, alternativeName(loc.name, n, true), rel);
        if (await linkNoClobber(temp, candidate)) {
          this.partials.delete(temp);
          return { action: n === 1 ? 'written' : 'renamed', path: candidate };
        }
        // Someone created the destination while we wrote.
        if (policy === 'refuse') throw exists(rel);
        if (policy === 'skip') {
          await this.discard(temp);
          return { action: 'skipped', path: loc.dest };
        }
      }
      throw noFreeName(rel);
    } catch (err) {
      await this.discard(temp);
      throw failure(err, rel);
    }
  }

  /**
   * Creates symlink `rel` pointing at `target`, verbatim: the target may be
   * absolute or lead anywhere, because nothing is ever written through it.
   */
  async createSymlink(rel: readonly PathSegment[], target: string | Uint8Array, policy: ConflictPolicy, mtimeNs?: bigint): Promise<RestoreOutcome> {
    const targetBytes = typeof target === 'string' ? Buffer.from(target, 'utf8') : target;
    if (targetBytes.length === 0 || targetBytes.includes(0)) {
      throw new VaultError('damaged-data', `The link "${displayRel(rel)}" has an impossible target in the snapshot.`);
    }
    const fsTarget = toFsName(targetBytes);
    const loc = await this.locate(rel);
    if (loc === undefined) return this.skippedBelow(rel);
    const existing = await this.lstatAt(loc.dest, rel);
    if (existing) {
      if (policy === 'skip') return { action: 'skipped', path: loc.dest };
      if (policy === 'refuse') throw exists(rel);
      if (policy === 'overwrite' && existing.isDirectory()) throw folderInTheWay(rel);
    }
    try {
      if (policy === 'overwrite' && existing) {
        const temp = joinSegment(loc.parent, partialName(loc.name), rel);
        this.partials.add(temp);
        try {
          await symlink(fsTarget, temp);
          await setLinkTime(temp, mtimeNs);
          await rename(temp, loc.dest);
          this.partials.delete(temp);
        } catch (err) {
          await this.discard(temp);
          throw err;
        }
        this.guard.forget(rel);
        return { action: 'replaced', path: loc.dest };
      }
      for (let n = existing ? 2 : 1; n <= MAX_KEEP_BOTH; n++) {
        const candidate = n === 1 ? loc.dest : joinSegment(loc.parent, alternativeName(loc.name, n, true), rel);
        try {
          await symlink(fsTarget, candidate);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          if (policy === 'refuse') throw exists(rel);
          if (policy === 'skip') return { action: 'skipped', path: loc.dest };
          if (policy === 'overwrite') return await this.createSymlink(rel, target, policy, mtimeNs);
          continue;
        }
        await setLinkTime(candidate, mtimeNs);
        this.guard.forget(rel);
        return { action: n === 1 ? 'written' : 'renamed', path: candidate };
      }
      throw noFreeName(rel);
    } catch (err) {
      throw failure(err, rel);
    }
  }

  /**
   * Where file `rel` may be written directly, by a worker (see
   * workers/write-files.ts): its temporary and final paths, when its folder
   * was created by this restorer (so nothing else is there, whatever the
   * conflict policy) and its name is safe; undefined otherwise, and the file
   * goes through `writeFile`. The temporary path counts as this restorer's
   * partial file until `settleDirect`.
   */
  planDirect(rel: readonly PathSegment[], meta: FileMeta): { temp: string | Buffer; dest: string | Buffer } | undefined {
    const name = rel.at(-1);
    if (name === undefined || !Number.isInteger(meta.mode) || meta.mode < 0 || meta.mode > 0o7777 || meta.mtimeNs < 0n) return undefined;
    if (!Number.isSafeInteger(meta.size) || meta.size < 0) return undefined;
    for (const segment of rel) if (segmentProblem(segment) !== undefined) return undefined;
    const parent = this.freshDirs.get(relKey(rel.slice(0, -1)));
    if (parent === undefined) return undefined;
    const temp = joinSegment(parent, partialName(name), rel);
    this.partials.add(temp);
    return { temp, dest: joinSegment(parent, name, rel) };
  }

  // ---------------------------------------------------------- fast calls
  //
  // Making and finishing folders are a few system calls each, and for a
  // whole snapshot there are thousands of them. Asynchronously each call is
  // a round trip to the thread pool: for the bench corpus's 987 folders
  // about 65 ms to make them and 60–100 ms to finish them, while the workers
  // that write the files waited. So they are made synchronously while they
  // answer fast, with the event loop let in every few milliseconds (the
  // desktop app's main process runs this), and asynchronously for the rest
  // of the restore once they answer slowly (a network share, a waking disk),
  // by the rule of fsutil/quick-calls.ts.

  /** Makes a new, owner-only folder; false when something is there already. */
  private async mkdirNew(p: string | Buffer): Promise<boolean> {
    if (!this.calls.fast) return mkdirNew(p);
    try {
      this.calls.run(() => mkdirSync(p, { mode: 0o700 }));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await this.calls.yieldSometimes();
    }
  }

  /** Removes folder `rel`'s pending mode and mtime; returns them when they are to be applied. */
  private takePending(rel: readonly PathSegment[]): PendingDir | undefined {
    const key = relKey(rel);
    const pending = this.pendingDirs.get(key);
    if (pending === undefined) return undefined;
    this.pendingDirs.delete(key);
    return pending.apply ? pending : undefined;
  }

  /** The worker is done with a direct write's temporary file (renamed into place, or removed). */
  settleDirect(temp: string | Buffer): void {
    this.partials.delete(temp);
  }

  /** Removes the partial files of this restorer that are still on disk (after an error or a cancel). */
  async removePartials(): Promise<number> {
    let removed = 0;
    for (const p of [...this.partials]) {
      if (await unlinkIfPresent(p)) removed++;
      this.partials.delete(p);
    }
    return removed;
  }

  // ------------------------------------------------------------------ internals

  /** The checked parent folder and destination of `rel`; undefined when it lies in a skipped folder. */
  private async locate(rel: readonly PathSegment[]): Promise<Location | undefined> {
    this.checkCancelled();
    const name = rel.at(-1);
    if (name === undefined) throw unsafe(rel, 'it has no name');
    // Every component is checked before any folder is created on the way.
    for (const segment of rel) {
      const problem = segmentProblem(segment);
      if (problem !== undefined) throw unsafe(rel, problem);
    }
    for (let i = 1; i < rel.length; i++) if (this.skippedDirs.has(relKey(rel.slice(0, i)))) return undefined;
    const parent = await this.guard.dir(rel.slice(0, -1), true);
    return { parent, dest: joinSegment(parent, name, rel), name };
  }

  private skippedBelow(rel: readonly PathSegment[]): RestoreOutcome {
    return { action: 'skipped', path: safeJoin(this.root, rel) };
  }

  private async lstatAt(p: string | Buffer, rel: readonly PathSegment[]): ReturnType<typeof lstatOrUndefined> {
    try {
      return await lstatOrUndefined(p);
    } catch (err) {
      throw failure(err, rel);
    }
  }

  private async writeTemp(loc: Location, rel: readonly PathSegment[], chunks: AsyncIterable<Uint8Array>, meta: FileMeta): Promise<string | Buffer> {
    const temp = joinSegment(loc.parent, partialName(loc.name), rel);
    this.partials.add(temp);
    let handle: FileHandle | undefined;
    try {
      handle = await open(temp, 'wx', 0o600);
      let written = 0;
      for await (const chunk of chunks) {
        this.checkCancelled();
        written += chunk.length;
        if (written > meta.size) throw sizeMismatch(rel, meta.size);
        await writeAll(handle, chunk);
      }
      this.checkCancelled();
      if (written !== meta.size) throw sizeMismatch(rel, meta.size);
      await handle.chmod(meta.mode);
      await handle.utimes(nowSeconds(), nsToSeconds(meta.mtimeNs));
      await handle.close();
      handle = undefined;
      return temp;
    } catch (err) {
      await handle?.close().catch(() => {});
      await this.discard(temp);
      throw failure(err, rel);
    }
  }

  private async discard(temp: string | Buffer): Promise<void> {
    await unlinkIfPresent(temp).catch(() => {});
    this.partials.delete(temp);
  }

  private checkCancelled(): void {
    if (this.signal?.aborted) throw new VaultError('cancelled', 'The restore was cancelled.');
  }
}

/**
 * Deletes `.<name>.mmry-partial-<random>` files left below `targetRoot` by an
 * interrupted restore. Does not follow symlinks; unreadable folders are
 * passed over. Returns how many were removed.
 */
export async function removeStalePartials(targetRoot: string): Promise<number> {
  let removed = 0;
  const visit = async (dir: string | Buffer): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = joinSegment(dir, e.name);
      if (e.isDirectory()) await visit(p);
      else if ((e.isFile() || e.isSymbolicLink()) && PARTIAL_NAME.test(e.name.toString('latin1'))) {
        if (await unlinkIfPresent(p).catch(() => false)) removed++;
      }
    }
  };
  await visit(path.resolve(targetRoot));
  return removed;
}

// -------------------------------------------------------------------- helpers

/**
 * Temporary names are unique by a random tag drawn once per process plus a
 * counter: one randomBytes call per file cost ~8 µs, 84 ms of the main
 * thread in a restore of 10,000 files. They are created exclusively anyway.
 */
const PARTIAL_TAG = randomBytes(6).toString('hex');
let partialCounter = 0;

function partialName(name: PathSegment): PathSegment {
  const bytes = segmentBytes(name);
  const stem = truncateBytes(bytes, MAX_PARTIAL_STEM);
  return fromBytes(Buffer.concat([Buffer.from('.'), stem, Buffer.from(`${PARTIAL_MARK}${PARTIAL_TAG}${(partialCounter++).toString(36)}`)]));
}

/**
 * "name (restored n).ext" for files, "name (restored n)" for folders; the
 * stem is shortened when the result would pass 255 bytes. A leading dot is
 * not an extension (".bashrc (restored 2)").
 */
export function alternativeName(name: PathSegment, n: number, splitExtension: boolean): PathSegment {
  const bytes = segmentBytes(name);
  const dot = splitExtension ? bytes.lastIndexOf(0x2e) : -1;
  const suffix = Buffer.from(` (restored ${n})`);
  let stem = dot > 0 ? bytes.subarray(0, dot) : bytes;
  let ext = dot > 0 ? bytes.subarray(dot) : Buffer.alloc(0);
  if (suffix.length + ext.length > MAX_NAME_BYTES / 2) {
    stem = bytes;
    ext = Buffer.alloc(0);
  }
  stem = truncateBytes(stem, MAX_NAME_BYTES - suffix.length - ext.length);
  return fromBytes(Buffer.concat([stem, suffix, ext]));
}

function segmentBytes(s: PathSegment): Buffer {
  return typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
}

function fromBytes(b: Buffer): PathSegment {
  return isUtf8(b) ? b.toString('utf8') : b;
}

/** At most `max` bytes, never cutting a UTF-8 sequence in two. */
function truncateBytes(b: Buffer, max: number): Buffer {
  if (b.length <= max) return b;
  let cut = max;
  while (cut > 0 && ((b[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return b.subarray(0, cut);
}

async function mkdirNew(p: string | Buffer): Promise<boolean> {
  try {
    await mkdir(p, { mode: 0o700 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Moves `temp` to `dest` unless `dest` exists, atomically where the file
 * system has hard links. Without them (FAT, exFAT, some shares) it checks
 * then renames, which a concurrent writer could race.
 */
async function linkNoClobber(temp: string | Buffer, dest: string | Buffer): Promise<boolean> {
  try {
    await link(temp, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw err;
    if ((await lstatOrUndefined(dest)) !== undefined) return false;
    await rename(temp, dest);
    return true;
  }
  await unlink(temp);
  return true;
}

/** `setDirMeta` with synchronous calls. */
function setDirMetaSync(dir: PendingDir): void {
  const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;
  if (O_DIRECTORY === undefined || O_NOFOLLOW === undefined) {
    chmodSync(dir.path, dir.mode);
    utimesSync(dir.path, nowSeconds(), nsToSeconds(dir.mtimeNs));
    return;
  }
  const fd = openSync(dir.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    fchmodSync(fd, dir.mode);
    futimesSync(fd, nowSeconds(), nsToSeconds(dir.mtimeNs));
  } finally {
    closeSync(fd);
  }
}

/** Mode and times through a handle opened without following links, so a swapped-in symlink is never changed. */
async function setDirMeta(dir: PendingDir): Promise<void> {
  const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;
  if (O_DIRECTORY === undefined || O_NOFOLLOW === undefined) {
    await chmod(dir.path, dir.mode);
    await utimes(dir.path, nowSeconds(), nsToSeconds(dir.mtimeNs));
    return;
  }
  const handle = await open(dir.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    await handle.chmod(dir.mode);
    await handle.utimes(nowSeconds(), nsToSeconds(dir.mtimeNs));
  } finally {
    await handle.close();
  }
}

async function setLinkTime(p: string | Buffer, mtimeNs: bigint | undefined): Promise<void> {
  if (mtimeNs === undefined) return;
  try {
    await lutimes(p, nowSeconds(), nsToSeconds(mtimeNs));
  } catch (err) {
    if (!NO_LINK_TIMES.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

async function unlinkIfPresent(p: string | Buffer): Promise<boolean> {
  try {
    await unlink(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * A time for fs.utimes: seconds as a double, whole and fractional parts
 * converted separately to keep what precision a double has. Node replaces a
 * negative number with the current time, so times before 1970 go as a Date
 * (millisecond precision).
 */
export function nsToSeconds(ns: bigint): number | Date {
  if (ns < 0n) return new Date(Number((ns - 500_000n) / 1_000_000n)); // nearest ms (bigint division truncates towards 0)
  const whole = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  return Number(whole) + Number(frac) / 1e9;
}

function nowSeconds(): number {
  return Date.now() / 1000;
}

function checkMode(rel: readonly PathSegment[], mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new VaultError('damaged-data', `"${displayRel(rel)}" has impossible permission bits in the snapshot.`);
  }
}

function exists(rel: readonly PathSegment[]): VaultError {
  return new VaultError('target-exists', `"${displayRel(rel)}" already exists in the restore folder; choose to overwrite, skip or keep both.`);
}

function folderInTheWay(rel: readonly PathSegment[]): VaultError {
  return new VaultError('target-exists', `"${displayRel(rel)}" is a folder in the restore folder; it is not replaced by a file.`);
}

function noFreeName(rel: readonly PathSegment[]): VaultError {
  return new VaultError('target-exists', `No free name was found to keep both copies of "${displayRel(rel)}".`);
}

function sizeMismatch(rel: readonly PathSegment[], size: number): VaultError {
  return new VaultError('damaged-data', `"${displayRel(rel)}" was not restored: its data in the vault does not add up to the ${size} bytes the snapshot records.`);
}

function failure(err: unknown, rel: readonly PathSegment[]): VaultError {
  return fromSystemError(err, `"${displayRel(rel)}" in the restore folder`);
}

