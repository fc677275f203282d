/**
 * The `write-files` task: restores whole files inside a worker thread.
 *
 * Restoring many small files is bound by per-file system calls, not by
 * decryption. Doing them here, synchronously, keeps them off the main
 * thread's event loop (which in the desktop app is Electron's main process)
 * and saves the promise and thread-pool round trips of fs/promises: per file
 * it is open, pread per blob, write, fchmod, futimes, close, rename.
 *
 * The main thread decides what may come here: only files whose folder this
 * restore created itself (new and owner-only until the restore finishes, so
 * nothing else is in it), with names it has already checked. Each file is
 * written to its temporary name, created exclusively and never through a
 * link; every blob is authenticated, decompressed and its keyed id re-checked
 * before a byte of it is written; the length is checked; only then is the
 * file renamed to its name. On any failure the temporary file is removed and
 * the item answers with a typed error instead of throwing, so one damaged
 * file does not fail its batch.
 */
import { closeSync, constants, fchmodSync, futimesSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { VaultError, fromSystemError } from '../errors.ts';
import { packPath } from '../packs/files.ts';
import { BlobKind } from '../packs/seal.ts';
import type { TaskContext, TaskOutput } from './tasks.ts';
import { cachedBundle, openOne } from './tasks.ts';
import type { WireError, WriteFileItem } from './protocol.ts';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** Per item: null when the file is in place, else why not (nothing of it is left on disk). */
export function writeFiles(ctx: TaskContext, packsDir: string, items: WriteFileItem[], nowSeconds: number): TaskOutput {
  const packs = new Map<string, number>();
  try {
    const results = items.map((item) => writeOne(ctx, item, nowSeconds, (packId) => packFd(packs, packsDir, packId)));
    return { value: results, transfer: [] };
  } finally {
    for (const fd of packs.values()) closeSync(fd);
  }
}

function writeOne(ctx: TaskContext, item: WriteFileItem, nowSeconds: number, pack: (id: string) => number): WireError | null {
  const temp = fsPath(item.temp);
  let fd: number | undefined;
  try {
    fd = openSync(temp, CREATE_FLAGS, 0o600);
    let written = 0;
    for (const c of item.chunks) {
      // A member of a bundle this thread has just opened needs no read.
      const sealed = c.member && cachedBundle(c.id) ? EMPTY : sealedScratch(c.length);
      if (sealed !== EMPTY) readExactly(pack(c.packId), sealed, c.offset, c.packId);
      const plain = openOne(ctx, { sealed, id: c.id, kind: c.member ? BlobKind.bundle : BlobKind.chunk, rawLength: c.rawLength, ...(c.member ? { member: c.member } : {}) });
      written += plain.length;
      if (written > item.size) break;
      writeExactly(fd, plain);
    }
    if (written !== item.size) {
      throw new VaultError('damaged-data', `"${item.display}" was not restored: its data in the vault does not add up to the ${item.size} bytes the snapshot records.`);
    }
    fchmodSync(fd, item.mode);
    futimesSync(fd, nowSeconds, item.mtimeSeconds);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, fsPath(item.dest));
    return null;
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // not created, or already gone
    }
    const e = err instanceof VaultError ? err : fromSystemError(err, `"${item.display}" in the restore folder`);
    return { kind: e.kind, message: e.message };
  }
}

/**
 * One buffer per thread for the sealed bytes read from packs: they are only
 * authenticated and decrypted into a new buffer, never kept, so the next blob
 * reuses it instead of allocating up to 8 MiB that lingers until the thread's
 * next garbage collection.
 */
let scratch = Buffer.alloc(0);
const EMPTY = Buffer.alloc(0);

function sealedScratch(length: number): Buffer {
  if (scratch.length < length) scratch = Buffer.allocUnsafe(length);
  return scratch.subarray(0, length);
}

function packFd(cache: Map<string, number>, packsDir: string, packId: string): number {
  let fd = cache.get(packId);
  if (fd === undefined) {
    try {
      fd = openSync(packPath(packsDir, packId), constants.O_RDONLY);
    } catch (err) {
      throw new VaultError('damaged-data', `Pack ${packId.slice(0, 8)} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`);
    }
    cache.set(packId, fd);
  }
  return fd;
}

function readExactly(fd: number, into: Buffer, position: number, packId: string): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new VaultError('damaged-data', `Pack ${packId.slice(0, 8)} ends before a blob it should hold (truncated?).`);
    done += n;
  }
}

function writeExactly(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Paths cross the thread boundary as strings or bytes (a Buffer arrives as a plain Uint8Array). */
function fsPath(p: string | Uint8Array): string | Buffer {
  return typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}
