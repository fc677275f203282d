/**
 * File-system helpers for durable vault writes.
 *
 * Terms
 * - **Atomic write**: a file is written under a temporary name in the same
 *   directory, fsynced, then renamed over its final name, and the directory is
 *   fsynced. A reader sees either the old content or the new, never a mix,
 *   and after `writeFileAtomic` resolves the new content survives a power cut.
 * - **Temporary name**: `.<name>.<random>.tmp` beside the target, created with
 *   O_EXCL so two writers can never share one.
 *
 * Invariants
 * - A rename is durable only once its directory is fsynced; every helper that
 *   renames also fsyncs the directory.
 * - Failures surface as VaultError through `fromSystemError`; a temporary file
 *   left by a failed write is removed on a best-effort basis.
 * - Windows cannot open a directory for fsync; there `fsyncDir` is a no-op and
 *   NTFS metadata journalling stands in for it.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fromSystemError } from '../errors.ts';

/** The errno code of a Node system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether process `pid` is running on this machine (EPERM: it is, as another user's). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) !== 'ESRCH';
  }
}

export function randomSuffix(): string {
  return randomBytes(8).toString('hex');
}

/** A fresh temporary name beside `path`, in the same directory so rename stays atomic. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomSuffix()}.tmp`);
}

/** Flushes a directory's entries (renames, creations) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some file systems (certain FUSE and network mounts) refuse fsync on a directory.
    if (errnoCode(err) === 'EINVAL' || errnoCode(err) === 'ENOTSUP') return;
    throw fromSystemError(err, `the folder ${dir}`);
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces `path` with `data` atomically and durably (see the folder comment).
 * `what` names the file for error messages, e.g. "the vault header".
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, what = `the file ${path}`): Promise<void> {
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => {});
    throw fromSystemError(err, what);
  }
  await fsyncDir(dirname(path));
}

/** The file's bytes, or undefined when it does not exist. */
export async function readFileIfExists(path: string, what = `the file ${path}`): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw fromSystemError(err, what);
  }
}

/**
 * `mkdir -p`, failing with the real reason. Node's recursive mkdir reports
 * ENOENT for a folder it cannot make on a read-only disk, which would read as
 * "does not exist"; the first missing folder is then made alone, which fails
 * with the true code (EROFS).
 */
export async function makeFolders(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
    let first = path;
    while (dirname(first) !== first && !(await lstat(dirname(first)).then(() => true, () => false))) first = dirname(first);
    await mkdir(first);
    // It could be made after all (someone made a parent meanwhile): go on from there.
    await mkdir(path, { recursive: true });
  }
}

/**
 * False when `dir` is on a read-only disk or this process may not write it
 * (a write-protected drive, a folder of another user): a vault there is only
 * read (see openCatalogCopy).
 */
export function canWrite(dir: string): boolean {
  try {
    accessSync(dir, fsConstants.W_OK);
    return true;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return false;
    throw fromSystemError(err, `the folder ${dir}`);
  }
}

/** Removes a file; a file that is already gone is not an error. */
export async function unlinkIfExists(path: string, what = `the file ${path}`): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw fromSystemError(err, what);
  }
}

export { QuickCalls } from './quick-calls.ts';
export type { QuickCallsOptions } from './quick-calls.ts';
