/**
 * Keeping every restore write inside the restore folder.
 *
 * Names come from the vault and are treated as untrusted even after
 * authentication. Two defences, both needed:
 * - `safeJoin` / `joinSegment`: every component is one plain name (not "",
 *   ".", "..", nothing with a separator or NUL) and the joined path starts
 *   with the root plus a separator.
 * - `TargetGuard`: no directory between the root and a destination is a
 *   symlink, checked with lstat the first time each is entered, so neither a
 *   symlink already in the target nor one restored a moment ago can redirect
 *   a write elsewhere.
 *
 * Limit: Node has no openat/O_NOFOLLOW for directories, so a local attacker
 * who swaps a checked directory for a symlink between the check and the
 * write is not stopped. Directories the restorer creates start as 0o700,
 * which keeps other users from planting anything in them meanwhile.
 */
import { lstat, mkdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { VaultError, fromSystemError } from '../errors.ts';
import { displayPath, isWellFormedName, nameProblem, stringNameProblem, toFsName } from '../snapshot/names.ts';
import { win32NameProblem } from './portability.ts';

/** One path component as the vault holds it: a string, or raw bytes for a non-UTF-8 name. */
export type PathSegment = string | Uint8Array;

/** Why `segment` cannot be a single component on `platform`, or undefined. */
export function segmentProblem(segment: PathSegment, platform: NodeJS.Platform = process.platform): string | undefined {
  if (typeof segment === 'string' && !isWellFormedName(segment)) return 'the name is not valid Unicode';
  const problem = typeof segment === 'string' ? stringNameProblem(segment) : nameProblem(segment);
  if (problem !== undefined) return problem;
  if (platform === 'win32') {
    // On Windows "\" separates components and ":" opens alternate streams or
    // names a drive; device names open the device; trailing dots vanish.
    const bad = win32NameProblem(displayPath(segment));
    if (bad) return bad.detail;
  }
  return undefined;
}

/** `parent` joined with one validated component, without normalising. */
export function joinSegment(parent: string | Buffer, segment: PathSegment, relForMessage: readonly PathSegment[] = [segment]): string | Buffer {
  const problem = segmentProblem(segment);
  if (problem !== undefined) throw unsafe(relForMessage, problem);
  const name = typeof segment === 'string' ? segment : toFsName(segment);
  if (typeof parent === 'string' && typeof name === 'string') {
    return parent.endsWith(path.sep) ? parent + name : parent + path.sep + name;
  }
  const p = typeof parent === 'string' ? Buffer.from(parent, 'utf8') : parent;
  const n = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
  const sep = p.at(-1) === path.sep.charCodeAt(0) ? Buffer.alloc(0) : Buffer.from(path.sep);
  return Buffer.concat([p, sep, n]);
}

/**
 * The absolute path of `relSegments` below `targetRoot`. Throws
 * VaultError('unsafe-path') for any component that is not a plain name, and
 * (belt and braces) when the result does not start with the root and a
 * separator. A Buffer comes back only when some name is not UTF-8.
 */
export function safeJoin(targetRoot: string, relSegments: readonly PathSegment[]): string | Buffer {
  const root = path.resolve(targetRoot);
  let joined: string | Buffer = root;
  for (const segment of relSegments) joined = joinSegment(joined, segment, relSegments);
  if (relSegments.length === 0) return root;
  const prefix = Buffer.from(root.endsWith(path.sep) ? root : root + path.sep, 'utf8');
  const bytes = typeof joined === 'string' ? Buffer.from(joined, 'utf8') : joined;
  if (!bytes.subarray(0, prefix.length).equals(prefix) || (typeof joined === 'string' && path.resolve(joined) !== joined)) {
    throw unsafe(relSegments, 'it would land outside the restore folder');
  }
  return joined;
}

/** A byte-exact map key for a relative path: each name's bytes as latin1 characters. */
export function relKey(rel: readonly PathSegment[]): string {
  let key = '';
  for (let i = 0; i < rel.length; i++) {
    const s = rel[i]!;
    // An ASCII name's UTF-8 bytes, read as latin1, are the name itself.
    const part = typeof s === 'string' && ASCII.test(s) ? s : (typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s.buffer, s.byteOffset, s.byteLength)).toString('latin1');
    key = i === 0 ? part : `${key}/${part}`;
  }
  return key;
}

const ASCII = /^[\x00-\x7f]*$/;

export function displayRel(rel: readonly PathSegment[]): string {
  return rel.map((s) => displayPath(s)).join('/');
}

export function unsafe(rel: readonly PathSegment[], why: string): VaultError {
  return new VaultError('unsafe-path', `Refused to restore "${displayRel(rel)}": ${why}.`);
}

/**
 * Hands out directories below the root that are verified real directories
 * (lstat: not a symlink), creating missing ones on request. A verified
 * directory is cached under its snapshot path, which may point elsewhere
 * when the restorer had to pick another name for it (`remember`).
 */
export class TargetGuard {
  /** The restore folder, resolved; the caller has checked it is a directory. */
  readonly root: string;
  private readonly verified = new Map<string, string | Buffer>();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /**
   * The on-disk path of directory `rel`, every component checked. With
   * `create`, missing directories are made (mode 0o777 less the umask).
   * Throws 'unsafe-path' at a symlink and 'target-exists' at a non-directory.
   */
  async dir(rel: readonly PathSegment[], create: boolean): Promise<string | Buffer> {
    let current: string | Buffer = this.root;
    for (let i = 0; i < rel.length; i++) {
      const prefix = rel.slice(0, i + 1);
      const key = relKey(prefix);
      const cached = this.verified.get(key);
      if (cached !== undefined) {
        current = cached;
        continue;
      }
      current = joinSegment(current, rel[i]!, prefix);
      await this.verify(current, prefix, create);
      this.verified.set(key, current);
    }
    return current;
  }

  /** Records that directory `rel` is `actual` (just created by the caller, or renamed). */
  remember(rel: readonly PathSegment[], actual: string | Buffer): void {
    this.verified.set(relKey(rel), actual);
  }

  /** Drops `rel` and everything below it, after it was replaced on disk. */
  forget(rel: readonly PathSegment[]): void {
    const key = relKey(rel);
    for (const k of this.verified.keys()) {
      if (k === key || k.startsWith(`${key}/`)) this.verified.delete(k);
    }
  }

  private async verify(p: string | Buffer, rel: readonly PathSegment[], create: boolean): Promise<void> {
    const what = `"${displayRel(rel)}" in the restore folder`;
    try {
      let st = await lstatOrUndefined(p);
      if (st === undefined && create) {
        await mkdir(p).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        st = await lstat(p);
      }
      if (st === undefined) throw new VaultError('not-found', `The folder ${what} does not exist.`);
      if (st.isSymbolicLink()) throw unsafe(rel, 'a symbolic link stands where a folder should be, and restoring through it could write outside the restore folder');
      if (!st.isDirectory()) throw new VaultError('target-exists', `Cannot restore into ${what}: something that is not a folder is already there.`);
    } catch (err) {
      throw fromSystemError(err, what);
    }
  }
}

export async function lstatOrUndefined(p: string | Buffer): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
