/**
 * Errors in plain words for the calls that name folders on this computer.
 *
 * Before a backup, restore or export starts, its folder is checked here, so a
 * mistyped path or a folder the user may not write to is answered at once, in
 * the form where the path was typed, with one sentence that says what is
 * wrong and what to do. A problem that only shows while the job runs (a file
 * the user may not write to half way through a restore) ends the job with the
 * engine's sentence, which `withAdvice` completes with what to do.
 */
import { accessSync, constants, lstatSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fromSystemError, VaultError } from '../engine/errors.ts';

type JobKind = 'backup' | 'restore' | 'export';

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

const DENIED = new Set(['EACCES', 'EPERM']);

/** The folder to back up must exist, be a folder, and be readable. */
export function checkSourceFolder(path: string): void {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new VaultError('not-found', `There is no folder at ${path}. Check the path for typos, or connect the disk it is on.`, { cause: err });
    if (code && DENIED.has(code)) throw cannotRead(path, err);
    throw fromSystemError(err, `the folder ${path}`);
  }
  if (!isFolder) throw new VaultError('invalid-argument', `${path} is a file, not a folder. To keep it safe, add the folder that holds it: ${dirname(path)}.`);
  try {
    accessSync(path, constants.R_OK | constants.X_OK);
  } catch (err) {
    throw cannotRead(path, err);
  }
}

/**
 * A restore writes into `path`, which may not exist yet: the nearest folder
 * that does exist must be one the user may write in.
 */
export function checkRestoreFolder(path: string): void {
  const target = resolve(path);
  const existing = nearestExisting(target);
  if (existing === target) {
    if (!statSync(target).isDirectory()) throw new VaultError('invalid-argument', `${target} is a file. Choose a folder to restore into.`);
  } else if (!statSync(existing).isDirectory()) {
    throw new VaultError('invalid-argument', `${existing} is a file, so nothing can be restored below it. Choose a folder to restore into.`);
  }
  checkWritable(existing, 'Choose a folder you can write to, or change the permissions of that one.');
}

/** An export writes one zip file: its folder must be one the user may write in. */
export function checkExportFile(path: string): void {
  const file = resolve(path);
  let isFolder = false;
  try {
    isFolder = statSync(file).isDirectory();
  } catch {
    // Not there yet: the usual case.
  }
  if (isFolder) throw new VaultError('invalid-argument', `${file} is a folder. Give the name of the zip file to write, ending in .zip.`);
  const existing = nearestExisting(dirname(file));
  if (!statSync(existing).isDirectory()) throw new VaultError('invalid-argument', `${existing} is a file, so no zip can be written below it. Choose another place for the zip.`);
  checkWritable(existing, 'Choose another place for the zip, or change the permissions of that folder.');
}

/** A job's error with what to do added, when the engine's sentence only says what happened. */
export function withAdvice(kind: JobKind, err: unknown): unknown {
  if (!(err instanceof VaultError)) return err;
  const advice = adviceFor(kind, err);
  return advice ? new VaultError(err.kind, `${err.message} ${advice}`, { cause: err }) : err;
}

function adviceFor(kind: JobKind, err: VaultError): string | null {
  // The engine's general sentences (see fromSystemError) say what happened; anything more specific already says what to do.
  const general = /^Permission denied for |is on a read-only disk\.$|does not exist\.$|could not be read\.$/.test(err.message);
  if (!general) return null;
  if (err.kind === 'permission-denied') {
    if (kind === 'backup') return 'Give your user account permission to read it, or back up a folder you can read.';
    if (kind === 'restore') return 'Choose a folder you can write to, or change the permissions of that one.';
    return 'Choose another place for the zip, or change the permissions of that folder.';
  }
  if (err.kind === 'not-found') {
    if (kind === 'backup') return 'Check that it was not moved or deleted, and that its disk is connected.';
    return 'Check that the folder was not moved or deleted while MMRY Vault worked, then try again.';
  }
  return null;
}

function cannotRead(path: string, err: unknown): VaultError {
  return new VaultError('permission-denied', `MMRY Vault may not read the folder ${path}. Give your user account permission to read it, or choose another folder.`, { cause: err });
}

/** `path` itself when it exists, else the closest folder (or file) above it that does. */
function nearestExisting(path: string): string {
  let at = path;
  for (;;) {
    try {
      lstatSync(at);
      return at;
    } catch (err) {
      const parent = dirname(at);
      // ENOTDIR: something above is a file; going up finds it.
      const missing = codeOf(err) === 'ENOENT' || codeOf(err) === 'ENOTDIR';
      if (!missing || parent === at) throw fromSystemError(err, `the folder ${at}`);
      at = parent;
    }
  }
}

function checkWritable(folder: string, whatToDo: string): void {
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = codeOf(err);
    if (code === 'EROFS') throw new VaultError('permission-denied', `${folder} is on a read-only disk. Choose a folder on another disk.`, { cause: err });
    if (code && DENIED.has(code)) throw new VaultError('permission-denied', `MMRY Vault may not write in ${folder}. ${whatToDo}`, { cause: err });
    throw fromSystemError(err, `the folder ${folder}`);
  }
}
