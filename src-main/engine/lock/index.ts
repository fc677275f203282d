/**
 * The vault lock: one writer at a time.
 *
 * Terms
 * - **Lock file**: `<vault>/lock`, created with O_EXCL, holding JSON
 *   {pid, hostname, startedAt, purpose, token, bootId?}. Whoever created it
 *   holds the vault until `release()`.
 * - **Token**: random bytes that make every lock file's content unique, so a
 *   holder (or a clearer) can tell "my lock" from "a lock that looks alike".
 * - **Stale lock**: one whose holder cannot be running: same host and either
 *   the pid no longer exists (ESRCH), the machine has rebooted since (boot id
 *   differs, Linux), or the pid is this very process but the token is not one
 *   this process holds (pid reused). A lock file with unreadable content is
 *   stale once it is older than STARTING_GRACE_MS (its writer died between
 *   creating and filling it).
 *
 * Invariants
 * - Taking the lock is the O_EXCL create, nothing else: of any number of
 *   racers exactly one create succeeds.
 * - A lock from another host is never judged stale: its pid means nothing
 *   here (a vault on a shared or removable disk may be open elsewhere).
 * - A stale lock is cleared by renaming it aside and checking that what was
 *   moved is byte for byte the stale lock that was judged; if a racer had
 *   already replaced it with a live lock, that lock is put back. Two clearers
 *   therefore never both win. (Three or more racers meeting on one stale lock
 *   within microseconds could still interleave badly; not worth a second lock.)
 * - `release()` deletes the file only if it still holds this lock's token.
 * - The lock file is not fsynced: after a crash its holder is gone anyway and
 *   the lock reads as stale.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { fromSystemError, VaultError } from '../errors.ts';
import { errnoCode, processExists, randomSuffix } from '../fsutil/index.ts';

export const LOCK_FILE = 'lock';
/** How long a lock file may stay empty or half-written before it counts as abandoned. */
export const STARTING_GRACE_MS = 10_000;
const MAX_ATTEMPTS = 5;

export interface LockInfo {
  pid: number;
  hostname: string;
  /** ms since the epoch. */
  startedAt: number;
  /** What the holder is doing, in words for a person: "backup", "restore"… */
  purpose: string;
  token: string;
  bootId?: string;
}

export interface Lock {
  readonly path: string;
  readonly info: LockInfo;
  /** Idempotent. */
  release(): void;
}

/** Tokens of locks this process holds right now. */
const heldTokens = new Set<string>();

/** Takes the vault's lock or throws VaultError('vault-in-use') naming the holder. */
export function acquireLock(vaultDir: string, purpose: string): Lock {
  const path = join(vaultDir, LOCK_FILE);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const info = newLockInfo(purpose);
    const bytes = Buffer.from(JSON.stringify(info));
    if (tryCreate(path, bytes, vaultDir)) return heldLock(path, info, bytes);
    const seen = readIfExists(path);
    if (seen === undefined) continue; // released between our create and our read
    const verdict = judge(path, seen);
    if (verdict.live) throw inUse(verdict.info);
    clearStale(path, seen);
  }
  throw new VaultError('vault-in-use', 'The vault lock keeps changing hands; try again in a moment.');
}

/** Who holds the vault, if anyone (for display; may be stale). */
export function readLock(vaultDir: string): LockInfo | undefined {
  const bytes = readIfExists(join(vaultDir, LOCK_FILE));
  return bytes && parseLockInfo(bytes);
}

function newLockInfo(purpose: string): LockInfo {
  const info: LockInfo = { pid: process.pid, hostname: osHostname(), startedAt: Date.now(), purpose, token: randomBytes(16).toString('hex') };
  const bootId = currentBootId();
  return bootId ? { ...info, bootId } : info;
}

function heldLock(path: string, info: LockInfo, bytes: Buffer): Lock {
  heldTokens.add(info.token);
  let released = false;
  return {
    path,
    info,
    release(): void {
      if (released) return;
      released = true;
      heldTokens.delete(info.token);
      const now = readIfExists(path);
      if (now === undefined || !now.equals(bytes)) return;
      try {
        unlinkSync(path);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw fromSystemError(err, `the vault lock ${path}`);
      }
    },
  };
}

/** True when we created the lock file; false when it already exists. */
function tryCreate(path: string, bytes: Buffer, vaultDir: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    if (errnoCode(err) === 'EROFS') {
      throw new VaultError('permission-denied', `The vault ${vaultDir} is on a read-only disk: its snapshots can be listed and restored, but nothing can change it.`, { cause: err });
    }
    throw fromSystemError(err, errnoCode(err) === 'ENOENT' ? `the vault folder ${vaultDir}` : `the vault lock ${path}`);
  }
  try {
    writeSync(fd, bytes);
  } catch (err) {
    closeSync(fd);
    unlinkSync(path);
    throw fromSystemError(err, `the vault lock ${path}`);
  }
  closeSync(fd);
  return true;
}

type Verdict = { live: true; info: LockInfo | undefined } | { live: false };

function judge(path: string, bytes: Buffer): Verdict {
  const info = parseLockInfo(bytes);
  if (!info) return ageMs(path) > STARTING_GRACE_MS ? { live: false } : { live: true, info: undefined };
  if (info.hostname !== osHostname()) return { live: true, info };
  const bootId = currentBootId();
  if (info.bootId && bootId && info.bootId !== bootId) return { live: false };
  if (info.pid === process.pid) return heldTokens.has(info.token) ? { live: true, info } : { live: false };
  return processExists(info.pid) ? { live: true, info } : { live: false };
}

/** Moves the judged stale lock out of the way; puts back anything else it moved by mistake. */
export function clearStale(path: string, judged: Buffer): void {
  const aside = `${path}.stale-${randomSuffix()}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return; // another clearer got there first
    throw fromSystemError(err, `the vault lock ${path}`);
  }
  let moved: Buffer | undefined;
  try {
    moved = readFileSync(aside);
  } catch {
    moved = undefined;
  }
  try {
    if (moved?.equals(judged)) unlinkSync(aside);
    else renameSync(aside, path); // a racer's live lock: it goes back, and the next attempt sees it
  } catch (err) {
    throw fromSystemError(err, `the vault lock ${path}`);
  }
}

function parseLockInfo(bytes: Buffer): LockInfo | undefined {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as Partial<LockInfo> | null;
    if (!v || !Number.isInteger(v.pid) || typeof v.hostname !== 'string' || typeof v.purpose !== 'string' || typeof v.token !== 'string') return undefined;
    return v as LockInfo;
  } catch {
    return undefined;
  }
}

function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw fromSystemError(err, `the vault lock ${path}`);
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

let bootIdCache: string | null | undefined;

/** Linux's per-boot random id; lets a lock left before a reboot be told stale even if its pid is reused. */
function currentBootId(): string | undefined {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootIdCache = null;
    }
  }
  return bootIdCache ?? undefined;
}

function inUse(info: LockInfo | undefined): VaultError {
  if (!info) return new VaultError('vault-in-use', 'The vault is being opened by another process.');
  const where = info.hostname === osHostname() ? '' : ` on ${info.hostname}`;
  return new VaultError('vault-in-use', `The vault is in use by process ${info.pid}${where} (${info.purpose}).`);
}
