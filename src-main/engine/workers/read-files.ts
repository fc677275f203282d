/**
 * Reading small files inside a worker, for the `hash` task.
 *
 * A project is mostly small files, and storing one is bound by its system
 * calls (open, fstat, read, fstat, close), not by hashing. Done here,
 * synchronously, they cost a few microseconds each and stay off the main
 * thread's event loop (Electron's main process in the desktop app). The
 * main thread has reserved room for the file in the arena at the size the
 * scan saw; the file is read straight into it, so its bytes are never copied
 * through the main thread.
 *
 * The checks are those of the main thread's path: never follow a link,
 * never block on a FIFO swapped in after the scan, leave out what is no
 * longer a regular file, and flag a file whose size, times or inode moved
 * while it was read. A file whose size is no longer the scanned one is
 * handed back ('retry'), and the main thread reads it the usual way.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { fromSystemError } from '../errors.ts';
import type { ReadOutcome, ReadSpec } from './protocol.ts';

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Reads the file of `spec` into `into` (exactly its scanned size) and says how it went. */
export function readFileInto(spec: ReadSpec, into: Uint8Array): ReadOutcome {
  const path = typeof spec.path === 'string' ? spec.path : Buffer.from(spec.path.buffer, spec.path.byteOffset, spec.path.byteLength);
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    return { status: 'left-out', message: `Left out: the file could not be opened (${fromSystemError(err, 'it').message}).` };
  }
  try {
    const opened = fstatSync(fd, { bigint: true });
    if (!opened.isFile()) return { status: 'left-out', message: 'Left out: it is no longer a regular file.' };
    if (opened.size !== BigInt(into.length)) return { status: 'retry' };
    let done = 0;
    while (done < into.length) {
      const n = readSync(fd, into, done, into.length - done, done);
      if (n === 0) return { status: 'retry' };
      done += n;
    }
    return { status: 'read', changed: moved(spec.scan, fstatSync(fd, { bigint: true })) };
  } catch (err) {
    return { status: 'left-out', message: `Left out: the file could not be read (${fromSystemError(err, 'a file being backed up').message}).` };
  } finally {
    closeSync(fd);
  }
}

function moved(scan: ReadSpec['scan'], after: BigIntStats): boolean {
  return scan.size !== after.size || scan.mtimeNs !== after.mtimeNs || scan.ctimeNs !== after.ctimeNs || scan.ino !== after.ino;
}
