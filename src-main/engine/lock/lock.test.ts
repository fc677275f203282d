import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVaultError } from '../errors.ts';
import { acquireLock, clearStale, readLock } from './index.ts';
import type { LockInfo } from './index.ts';

const LOCK_MODULE = fileURLToPath(new URL('./index.ts', import.meta.url));

// Takes the lock, says so, holds it until stdin closes (then releases) or until killed.
const HOLDER = `
import { acquireLock } from ${JSON.stringify(LOCK_MODULE)};
let lock;
try {
  lock = acquireLock(process.argv[2], process.argv[3]);
  process.stdout.write('locked\\n');
} catch (err) {
  process.stdout.write('refused:' + err.kind + '\\n');
  process.exit(0);
}
process.stdin.on('end', () => { lock.release(); process.exit(0); });
process.stdin.resume();
setTimeout(() => process.exit(2), 30_000);
`;

let dir: string;
let holderScript: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmry-lock-'));
  holderScript = join(dir, 'holder.ts');
  writeFileSync(holderScript, HOLDER);
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const vault = (): string => join(dir, 'vault');
const lockPath = (): string => join(vault(), 'lock');

function startHolder(purpose: string): { child: ChildProcess; said: Promise<string>; exited: Promise<void> } {
  const child = spawn(process.execPath, [holderScript, vault(), purpose], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const said = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', () => reject(new Error(`holder exited early: ${out}`)));
  });
  said.catch(() => {});
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, said, exited };
}

function refusal(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(isVaultError(err, 'vault-in-use'), String(err)).toBe(true);
    return err as Error;
  }
  throw new Error('expected vault-in-use');
}

function writeLock(info: Partial<LockInfo>): void {
  const full = { pid: process.pid, hostname: hostname(), startedAt: Date.now(), purpose: 'old backup', token: 'x'.repeat(32), ...info };
  writeFileSync(lockPath(), JSON.stringify(full));
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('acquireLock between processes', () => {
  beforeEach(mkdirVault);

  it('refuses while another live process holds the lock, and succeeds after it releases', async () => {
    const holder = startHolder('backup');
    expect(await holder.said).toBe('locked');
    const err = refusal(() => acquireLock(vault(), 'restore'));
    expect(err.message).toBe(`The vault is in use by process ${holder.child.pid} (backup).`);
    expect(readLock(vault())?.pid).toBe(holder.child.pid);

    holder.child.stdin!.end();
    await holder.exited;
    expect(existsSync(lockPath())).toBe(false);
    const lock = acquireLock(vault(), 'restore');
    expect(lock.info.pid).toBe(process.pid);
    lock.release();
  });

  it('takes over the lock of a process that was killed', async () => {
    const holder = startHolder('backup');
    expect(await holder.said).toBe('locked');
    holder.child.kill('SIGKILL');
    await holder.exited;
    const lock = acquireLock(vault(), 'check');
    expect(JSON.parse(readFileSync(lockPath(), 'utf8'))).toMatchObject({ pid: process.pid, purpose: 'check' });
    lock.release();
  });

  it('lets exactly one of several racing processes take a stale lock', async () => {
    writeLock({ pid: await deadPid() });
    const racers = [startHolder('a'), startHolder('b'), startHolder('c')];
    const said = await Promise.all(racers.map((r) => r.said));
    expect(said.filter((s) => s === 'locked')).toHaveLength(1);
    expect(said.filter((s) => s === 'refused:vault-in-use')).toHaveLength(2);
    expect(readdirSync(vault())).toEqual(['lock']);
  });
});

describe('acquireLock within a process', () => {
  beforeEach(mkdirVault);

  it('writes who holds the vault and removes the file on release', () => {
    const lock = acquireLock(vault(), 'backup');
    expect(readLock(vault())).toEqual(lock.info);
    expect(lock.info).toMatchObject({ pid: process.pid, hostname: hostname(), purpose: 'backup' });
    refusal(() => acquireLock(vault(), 'second'));
    lock.release();
    lock.release();
    expect(existsSync(lockPath())).toBe(false);
    acquireLock(vault(), 'again').release();
  });

  it('clears a lock whose process is dead', async () => {
    writeLock({ pid: await deadPid() });
    const lock = acquireLock(vault(), 'backup');
    expect(readLock(vault())?.token).toBe(lock.info.token);
    lock.release();
    expect(readdirSync(vault())).toEqual([]);
  });

  it('clears a lock left by an earlier process that had this same pid', () => {
    writeLock({ pid: process.pid, token: 'left-over' });
    acquireLock(vault(), 'backup').release();
  });

  it.runIf(existsSync('/proc/sys/kernel/random/boot_id'))('clears a lock from before a reboot, even if its pid is alive now', () => {
    writeLock({ pid: 1, bootId: 'an-earlier-boot' });
    acquireLock(vault(), 'backup').release();
  });

  it('never judges a lock from another host stale', () => {
    writeLock({ pid: 999_999_999, hostname: 'other-machine' });
    const err = refusal(() => acquireLock(vault(), 'backup'));
    expect(err.message).toBe('The vault is in use by process 999999999 on other-machine (old backup).');
  });

  it('waits out a lock file that is still being written, then clears it when abandoned', () => {
    writeFileSync(lockPath(), '');
    expect(refusal(() => acquireLock(vault(), 'backup')).message).toBe('The vault is being opened by another process.');
    const past = new Date(Date.now() - 60_000);
    utimesSync(lockPath(), past, past);
    acquireLock(vault(), 'backup').release();
  });

  it('does not delete a lock that is no longer its own', () => {
    const lock = acquireLock(vault(), 'backup');
    writeLock({ pid: 4242, token: 'someone-else' });
    lock.release();
    expect(readLock(vault())?.token).toBe('someone-else');
  });

  it('says the folder is missing', () => {
    let err: unknown;
    try {
      acquireLock(join(dir, 'nowhere'), 'backup');
    } catch (e) {
      err = e;
    }
    expect(isVaultError(err, 'not-found')).toBe(true);
  });
});

describe('clearStale', () => {
  beforeEach(mkdirVault);

  it('puts back a live lock that replaced the one judged stale', () => {
    writeLock({ token: 'live' });
    const live = readFileSync(lockPath());
    clearStale(lockPath(), Buffer.from('the stale lock we saw earlier'));
    expect(readFileSync(lockPath()).equals(live)).toBe(true);
    expect(readdirSync(vault())).toEqual(['lock']);
  });

  it('removes exactly the lock it judged', () => {
    writeLock({ token: 'stale' });
    clearStale(lockPath(), readFileSync(lockPath()));
    expect(readdirSync(vault())).toEqual([]);
    clearStale(lockPath(), Buffer.from('gone already'));
  });
});

function mkdirVault(): void {
  mkdirSync(vault());
}
