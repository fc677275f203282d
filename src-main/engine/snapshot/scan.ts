/**
 * Walking a source folder, one directory at a time.
 *
 * `scanDir` lists one directory and lstats its entries; the backup pipeline
 * recurses into the `dir` entries itself, depth-first, and encodes a
 * directory's tree once its children are stored. Memory is therefore bounded
 * by the depth times the width of one listing, and the order is deterministic
 * (entries sorted by name bytes, like the tree).
 *
 * Nothing here aborts a snapshot except an unreadable source root: entries
 * that cannot be read, special files and directories that cannot be listed
 * become warnings and are left out. Symlinks are recorded, never followed.
 *
 * lstat is the one call made for every entry, so it (and readdir) is made
 * synchronously while it is fast (fsutil/quick-calls.ts): a local disk
 * answers from its inode cache in a few microseconds, where the promise
 * version costs ten times that in this thread (an unchanged re-backup is
 * mostly lstat). Slow answers (a network share, a waking disk) turn the rest
 * of the scan asynchronous, so the event loop (Electron's main process in the
 * app) is never held up for long.
 */
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import type { BigIntStats, Dirent } from 'node:fs';
import path from 'node:path';
import ignore from 'ignore';
import type { Ignore } from 'ignore';
import { VaultError, fromSystemError } from '../errors.ts';
import { QuickCalls } from '../fsutil/index.ts';
import { mapLimited } from '../limited.ts';
import type { SnapshotWarning } from './manifest.ts';
import { compareNameBytes, nameFromBytes } from './names.ts';
import type { EntryName } from './names.ts';
import type { TreeEntry } from './tree.ts';

export interface ScanOptions {
  /** gitignore-syntax patterns, relative to the source root; `name/` matches directories only. */
  exclude?: readonly string[];
  /** Absolute paths never entered or recorded, e.g. the vault when it lies inside the source. */
  excludeAbsolute?: readonly string[];
  /** Match `exclude` ignoring case. Default: true on macOS and Windows. */
  excludeIgnoreCase?: boolean;
  /** How many lstat calls run at once within one directory (asynchronous mode). */
  statConcurrency?: number;
  /** Start with synchronous lstat (default true; slow answers switch it off). */
  syncStat?: boolean;
  /** Milliseconds, for timing the synchronous calls and slicing; tests pass a slow one. */
  clock?: () => number;
}

export interface ScanContext {
  /** The source folder, symlinks resolved: every scanned path starts with it. */
  readonly root: string;
  /** Null without exclude patterns: matching every path against nothing still costs a few microseconds each. */
  readonly matcher: Ignore | null;
  /** Byte-exact keys (see pathKey) of excluded absolute paths, as given and resolved. */
  readonly excludedPaths: ReadonlySet<string>;
  /** Keys of the folders those paths lie in: only their entries need the comparison. */
  readonly excludedParents: ReadonlySet<string>;
  /** `dev:ino` of excluded directories that existed when the context was made. */
  readonly excludedIds: ReadonlySet<string>;
  readonly statConcurrency: number;
  /** readdir and lstat are made through it, synchronously while they answer fast. */
  calls: QuickCalls;
  /** Folders listed ahead of the walk by `prescan`, by pathKey; `scanDir` takes each once. */
  prescanned?: Map<string, ScannedDir>;
}

/** One entry of a listing: the tree fields known before content is read, plus where to find it. */
export interface ScannedEntry extends EntryName {
  type: TreeEntry['type'];
  mode: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  /** File: st_size at scan time. Dir: 0. Symlink: target byte length. */
  size: number;
  target?: string;
  targetBytes?: Uint8Array;
  /** Absolute path for fs calls; a Buffer when some component is not valid UTF-8. */
  path: string | Buffer;
  /** Relative to the source root, '/'-separated; for messages and exclude matching (lossy for non-UTF-8 names). */
  relPath: string;
}

/** What `fileChangedWhileReading` compares: an lstat/fstat result, or a scanned entry's own fields. */
export interface FileIdentity {
  size: bigint | number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

export interface ScannedDir {
  path: string | Buffer;
  relPath: string;
  /** Sorted by name bytes. */
  entries: ScannedEntry[];
  /** Children left out, and this directory itself when it could not be listed. */
  warnings: SnapshotWarning[];
  /**
   * False when the directory could not be listed. The caller leaves it out of
   * its parent's tree (its warning is in `warnings`) rather than recording it
   * as empty, which would claim something untrue.
   */
  readable: boolean;
  /** Entries skipped by exclude rules (not warnings: the user asked for it). */
  excluded: number;
}

export async function createScanContext(sourceRoot: string, options: ScanOptions = {}): Promise<ScanContext> {
  const what = `the source folder ${sourceRoot}`;
  let root: string;
  try {
    root = await realpath(path.resolve(sourceRoot));
    if (!(await stat(root)).isDirectory()) throw new VaultError('invalid-argument', `${sourceRoot} is not a folder.`);
  } catch (err) {
    throw fromSystemError(err, what);
  }
  const excludedPaths = new Set<string>();
  const excludedParents = new Set<string>();
  const excludedIds = new Set<string>();
  const excludePath = (p: string) => {
    excludedPaths.add(pathKey(p));
    excludedParents.add(pathKey(path.dirname(p)));
  };
  for (const p of options.excludeAbsolute ?? []) {
    const resolved = path.resolve(p);
    excludePath(resolved);
    try {
      excludePath(await realpath(resolved));
      const st = await stat(resolved, { bigint: true });
      excludedIds.add(`${st.dev}:${st.ino}`);
    } catch {
      // Not there (yet): the path comparison alone applies.
    }
  }
  const ignoreCase = options.excludeIgnoreCase ?? (process.platform === 'darwin' || process.platform === 'win32');
  const patterns = options.exclude ?? [];
  return {
    root,
    matcher: patterns.length > 0 ? ignore({ ignorecase: ignoreCase }).add([...patterns]) : null,
    excludedPaths,
    excludedParents,
    excludedIds,
    statConcurrency: Math.max(1, options.statConcurrency ?? 16),
    calls: new QuickCalls({ fast: options.syncStat ?? true, ...(options.clock ? { clock: options.clock } : {}) }),
  };
}

/**
 * Lists one directory. `dirPath` is `ctx.root` with `relPath` '' for the
 * source root, or a `dir` entry's `path` and `relPath` below it.
 * Throws only when the source root itself cannot be listed.
 */
export async function scanDir(dirPath: string | Buffer, relPath: string, ctx: ScanContext): Promise<ScannedDir> {
  if (ctx.prescanned && ctx.prescanned.size > 0) {
    const key = pathKey(dirPath);
    const ahead = ctx.prescanned.get(key);
    if (ahead) {
      ctx.prescanned.delete(key);
      return ahead;
    }
  }
  const result: ScannedDir = { path: dirPath, relPath, entries: [], warnings: [], readable: true, excluded: 0 };
  let dirents: Dirent<Buffer>[];
  try {
    dirents = ctx.calls.fast ? ctx.calls.run(() => readdirSync(dirPath, { withFileTypes: true, encoding: 'buffer' })) : await readdir(dirPath, { withFileTypes: true, encoding: 'buffer' });
  } catch (err) {
    if (relPath === '') throw fromSystemError(err, `the source folder ${ctx.root}`);
    result.readable = false;
    result.warnings.push({ path: relPath, message: `Left out: this folder could not be listed (${reason(err)}).` });
    return result;
  }
  dirents.sort((a, b) => compareNameBytes(a.name, b.name));

  const nearExcluded = ctx.excludedParents.has(pathKey(dirPath));
  const add = (o: EntryOutcome) => {
    if (o === 'excluded') result.excluded++;
    else if (o === 'vanished') return;
    else if ('message' in o) result.warnings.push(o);
    else result.entries.push(o);
  };
  // While the calls answer fast, one synchronous loop: a promise per entry cost more than its
  // lstat (an unchanged re-backup is mostly this loop). The rest goes asynchronous once they do not.
  let next = 0;
  for (; next < dirents.length && ctx.calls.fast; next++) add(scanEntrySync(dirents[next]!, dirPath, relPath, ctx, nearExcluded));
  if (next < dirents.length) {
    for (const o of await mapLimited(dirents.slice(next), ctx.statConcurrency, (d) => scanEntry(d, dirPath, relPath, ctx, nearExcluded))) add(o);
  }
  return result;
}

type EntryOutcome = ScannedEntry | SnapshotWarning | 'excluded' | 'vanished';

/** An entry's name and paths, before any call is made for it. */
interface Named {
  name: EntryName;
  childPath: string | Buffer;
  relPath: string;
}

/** The entry's name and paths; 'excluded' when its path or, where the listing knows the type, a pattern rules it out. */
function named(d: Dirent<Buffer>, dirPath: string | Buffer, dirRel: string, ctx: ScanContext, nearExcluded: boolean): Named | 'excluded' {
  const name = nameFromBytes(d.name);
  const childPath = childOf(dirPath, d.name, name);
  const relPath = dirRel === '' ? name.name : `${dirRel}/${name.name}`;
  if (nearExcluded && ctx.excludedPaths.has(pathKey(childPath))) return 'excluded';
  const matcher = ctx.matcher;
  // When the listing knows the type, excluded entries cost no lstat. A
  // symlink counts as a file even if it points at a directory, as in git.
  if (matcher && knowsType(d) && matcher.ignores(d.isDirectory() ? `${relPath}/` : relPath)) return 'excluded';
  return { name, childPath, relPath };
}

/** The entry its lstat describes; 'link' for a symlink, whose target is read next (`linkEntry`). */
function fromStats(n: Named, stats: BigIntStats, ctx: ScanContext): EntryOutcome | 'link' {
  if (ctx.matcher?.ignores(stats.isDirectory() ? `${n.relPath}/` : n.relPath)) return 'excluded';
  if (stats.isDirectory() && ctx.excludedIds.has(`${stats.dev}:${stats.ino}`)) return 'excluded';
  const type = stats.isFile() ? 'file' : stats.isDirectory() ? 'dir' : stats.isSymbolicLink() ? 'symlink' : undefined;
  if (type === undefined) return { path: n.relPath, message: `Skipped: ${specialKind(stats)} cannot be backed up.` };
  if (type === 'symlink') return 'link';
  return entry(n, stats, type, type === 'file' ? Number(stats.size) : 0);
}

/** One literal of one shape for every entry: spreading the name into it cost more than the rest. */
function entry(n: Named, stats: BigIntStats, type: TreeEntry['type'], size: number): ScannedEntry {
  const e: ScannedEntry = { name: n.name.name, type, mode: Number(stats.mode & 0o7777n), mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs, ino: stats.ino, size, path: n.childPath, relPath: n.relPath };
  if (n.name.nameBytes) e.nameBytes = n.name.nameBytes;
  return e;
}

function linkEntry(n: Named, stats: BigIntStats, raw: Buffer): ScannedEntry {
  const e = entry(n, stats, 'symlink', raw.length);
  const t = nameFromBytes(raw);
  e.target = t.name;
  if (t.nameBytes) e.targetBytes = t.nameBytes;
  return e;
}

function statProblem(err: unknown, relPath: string): EntryOutcome {
  // Deleted between readdir and lstat: it simply was not there to back up.
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'vanished';
  return { path: relPath, message: `Skipped: could not read its details (${reason(err)}).` };
}

function linkProblem(err: unknown, relPath: string): EntryOutcome {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'vanished';
  return { path: relPath, message: `Skipped: could not read the link (${reason(err)}).` };
}

/** `scanEntry` with synchronous calls (through `ctx.calls`, which times them). */
function scanEntrySync(d: Dirent<Buffer>, dirPath: string | Buffer, dirRel: string, ctx: ScanContext, nearExcluded: boolean): EntryOutcome {
  const n = named(d, dirPath, dirRel, ctx, nearExcluded);
  if (n === 'excluded') return n;
  let stats: BigIntStats;
  try {
    stats = ctx.calls.run(() => lstatSync(n.childPath, { bigint: true }));
  } catch (err) {
    return statProblem(err, n.relPath);
  }
  const o = fromStats(n, stats, ctx);
  if (o !== 'link') return o;
  try {
    return linkEntry(n, stats, ctx.calls.run(() => readlinkSync(n.childPath, { encoding: 'buffer' })));
  } catch (err) {
    return linkProblem(err, n.relPath);
  }
}

async function scanEntry(d: Dirent<Buffer>, dirPath: string | Buffer, dirRel: string, ctx: ScanContext, nearExcluded: boolean): Promise<EntryOutcome> {
  const n = named(d, dirPath, dirRel, ctx, nearExcluded);
  if (n === 'excluded') return n;
  let stats: BigIntStats;
  try {
    stats = await lstat(n.childPath, { bigint: true });
  } catch (err) {
    return statProblem(err, n.relPath);
  }
  const o = fromStats(n, stats, ctx);
  if (o !== 'link') return o;
  try {
    return linkEntry(n, stats, await readlink(n.childPath, { encoding: 'buffer' }));
  } catch (err) {
    return linkProblem(err, n.relPath);
  }
}

/**
 * Lists folders below the scan root (or `from`) ahead of the walk, depth-first in the
 * walk's own order, into `ctx.prescanned`, in slices of a few milliseconds:
 * the CLI runs it while Argon2id checks the password on the thread pool, and
 * a re-backup finishes it before its walk, so folders whose whole subtree is
 * listed can be reused by scan digest (scan-digest.ts). Folders listed
 * already are taken as they are; call it again to go on. Stops when
 * `signal.cancelled` or after `maxEntries` entries (they are held in memory
 * until the walk takes them). The listings are what `scanDir` would give a
 * moment later; a file that changes in between is seen as changed by the
 * next backup, as with any scan.
 */
export async function prescan(ctx: ScanContext, signal: { readonly cancelled: boolean }, maxEntries = PRESCAN_ENTRIES, from: { path: string | Buffer; rel: string } = { path: ctx.root, rel: '' }): Promise<void> {
  const cache = (ctx.prescanned ??= new Map());
  const stack: { path: string | Buffer; rel: string }[] = [from];
  let entries = 0;
  while (stack.length > 0 && entries < maxEntries) {
    await ctx.calls.yieldSometimes();
    if (signal.cancelled) return;
    const dir = stack.pop()!;
    const listing = await scanDir(dir.path, dir.rel, ctx);
    cache.set(pathKey(dir.path), listing);
    entries += listing.entries.length;
    const subdirs = listing.entries.filter((e) => e.type === 'dir');
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push({ path: subdirs[i]!.path, rel: subdirs[i]!.relPath });
  }
}

/** Entries `prescan` holds at most by default (about 10 MB of listings). */
export const PRESCAN_ENTRIES = 20_000;

/** What a source folder holds, as far as a backup would store it. */
export interface SourceTotals {
  files: number;
  bytes: number;
}

/**
 * Counts the regular files and their bytes below the scan root, with the
 * same exclusions as the scan, so a first backup (no previous snapshot to
 * estimate from) can show how much is left. It runs beside the backup on the
 * same thread in slices of a few milliseconds (readdir and lstat, about 6 µs
 * an entry from the inode cache: ~60 ms for the bench's 11,000 entries, while
 * the backup's own lstat of the same entries then hits a warm cache; folders
 * `prescan` has listed are counted from those listings). It
 * gives up, with null, when cancelled or on a slow file system (by the rule
 * of fsutil/quick-calls.ts, timed apart from the scan's own calls): an
 * estimate is not worth holding the thread up.
 * Folders it cannot list count as empty.
 */
export async function countSource(ctx: ScanContext, signal: { readonly cancelled: boolean }): Promise<SourceTotals | null> {
  const totals: SourceTotals = { files: 0, bytes: 0 };
  const stack: { path: string | Buffer; rel: string }[] = [{ path: ctx.root, rel: '' }];
  const calls = new QuickCalls({ clock: ctx.calls.clock });
  while (stack.length > 0) {
    await calls.yieldSometimes();
    if (signal.cancelled) return null;
    const dir = stack.pop()!;
    // A folder `prescan` listed already costs nothing more to count.
    const ahead = ctx.prescanned?.get(pathKey(dir.path));
    if (ahead) {
      for (const e of ahead.entries) {
        if (e.type === 'dir') stack.push({ path: e.path, rel: e.relPath });
        else if (e.type === 'file') {
          totals.files++;
          totals.bytes += e.size;
        }
      }
      continue;
    }
    let dirents: Dirent<Buffer>[];
    try {
      dirents = calls.run(() => readdirSync(dir.path, { withFileTypes: true, encoding: 'buffer' }));
    } catch {
      if (!calls.fast) return null;
      continue;
    }
    if (!calls.fast) return null;
    const nearExcluded = ctx.excludedParents.has(pathKey(dir.path));
    for (const d of dirents) {
      const name = nameFromBytes(d.name);
      const childPath = childOf(dir.path, d.name, name);
      if (nearExcluded && ctx.excludedPaths.has(pathKey(childPath))) continue;
      const rel = dir.rel === '' ? name.name : `${dir.rel}/${name.name}`;
      const st = calls.run(() => lstatSync(childPath, { bigint: true, throwIfNoEntry: false }));
      if (!calls.fast) return null;
      if (!st || ctx.matcher?.ignores(st.isDirectory() ? `${rel}/` : rel)) continue;
      if (st.isDirectory()) {
        if (!ctx.excludedIds.has(`${st.dev}:${st.ino}`)) stack.push({ path: childPath, rel });
      } else if (st.isFile()) {
        totals.files++;
        totals.bytes += Number(st.size);
      }
    }
  }
  return totals;
}

/**
 * The tree entry for a scanned entry once its content or subtree is stored.
 * For files pass the byte count actually stored, which is what restore checks.
 */
export function treeEntryOf(e: ScannedEntry, body: { content: Uint8Array[]; size: number } | { subtree: Uint8Array } | Record<string, never>): TreeEntry {
  const entry: TreeEntry = { name: e.name, type: e.type, mode: e.mode, mtimeNs: e.mtimeNs, size: e.size, ino: e.ino, ctimeNs: e.ctimeNs };
  if (e.nameBytes) entry.nameBytes = e.nameBytes;
  if (e.type === 'symlink') {
    entry.target = e.target;
    if (e.targetBytes) entry.targetBytes = e.targetBytes;
  }
  if ('content' in body) {
    entry.content = body.content;
    entry.size = body.size;
  }
  if ('subtree' in body) entry.subtree = body.subtree;
  return entry;
}

/**
 * True when a file's identity or content may have changed between two stats
 * (taken before and after reading it): the bytes read may then be a mix of
 * two versions, and the file deserves a warning or a second attempt.
 * A changed inode number means the path now names a different file.
 */
export function fileChangedWhileReading(before: FileIdentity, after: FileIdentity): boolean {
  // Sizes compare as numbers: a scanned entry holds a number, a BigIntStats a bigint.
  return Number(before.size) !== Number(after.size) || before.mtimeNs !== after.mtimeNs || before.ctimeNs !== after.ctimeNs || before.ino !== after.ino;
}

/**
 * True when `child` is `parent` or lies below it, after resolving symlinks
 * (for the parts that exist). When `parent` exists, directories are also
 * compared by device and inode, which sees through bind mounts and
 * case-insensitive spellings that string comparison would miss.
 */
export async function isInside(child: string, parent: string): Promise<boolean> {
  const realChild = await realpathLenient(path.resolve(child));
  const realParent = await realpathLenient(path.resolve(parent));
  if (realChild === realParent || realChild.startsWith(withTrailingSep(realParent))) return true;
  let parentId: string;
  try {
    const st = await stat(realParent, { bigint: true });
    parentId = `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
  for (let p = realChild; ; p = path.dirname(p)) {
    try {
      const st = await stat(p, { bigint: true });
      if (`${st.dev}:${st.ino}` === parentId) return true;
    } catch {
      // Part of the child that does not exist yet.
    }
    if (path.dirname(p) === p) return false;
  }
}

/** realpath of the longest existing prefix, with the rest appended unchanged. */
async function realpathLenient(p: string): Promise<string> {
  const rest: string[] = [];
  for (let cur = p; ; cur = path.dirname(cur)) {
    try {
      return path.join(await realpath(cur), ...rest.reverse());
    } catch {
      if (path.dirname(cur) === cur) return p;
      rest.push(path.basename(cur));
    }
  }
}

function withTrailingSep(p: string): string {
  return p.endsWith(path.sep) ? p : p + path.sep;
}

/** A key that compares paths byte-exactly whether they are strings or Buffers. */
export function pathKey(p: string | Uint8Array): string {
  return (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength)).toString('latin1');
}

/** Joins without normalising; stays a string unless a component is not UTF-8. */
function childOf(dir: string | Buffer, name: Buffer, named: EntryName): string | Buffer {
  if (typeof dir === 'string' && named.nameBytes === undefined) {
    return dir.endsWith(path.sep) ? dir + named.name : dir + path.sep + named.name;
  }
  const d = typeof dir === 'string' ? Buffer.from(dir, 'utf8') : dir;
  const sep = d.at(-1) === path.sep.charCodeAt(0) ? Buffer.alloc(0) : Buffer.from(path.sep);
  return Buffer.concat([d, sep, name]);
}

function knowsType(d: Dirent<Buffer>): boolean {
  return d.isFile() || d.isDirectory() || d.isSymbolicLink() || d.isFIFO() || d.isSocket() || d.isCharacterDevice() || d.isBlockDevice();
}

function specialKind(st: BigIntStats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'a special file';
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'it is no longer a folder';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return code ?? (err instanceof Error ? err.message : String(err));
  }
}

