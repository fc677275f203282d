/**
 * Shared pieces of the integration suite: scratch folders, reading a folder
 * tree byte-exactly, deterministic test data, and running `mmry` as a real
 * process.
 *
 * Paths are compared as bytes (readdir with `encoding: 'buffer'`), so NFC and
 * NFD spellings of a name, or a name that is not UTF-8, stay distinct.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';
import { backup, Vault } from '../../src-main/engine/vault/index.ts';
import type { VaultOptions } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { mulberry32 } from '../prng.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const mmryBin = join(repoRoot, 'bin/mmry.js');
export const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url));

// ------------------------------------------------------------ scratch folders

/** Opens the vault at `dir`, runs `fn` on it, and closes it whatever happens. */
export async function withOpenVault<T>(dir: string, options: VaultOptions, fn: (v: Vault) => Promise<T>): Promise<T> {
  const v = await Vault.open(dir, PASSWORD, options);
  try {
    return await fn(v);
  } finally {
    await v.close();
  }
}

/**
 * A factory of fresh temporary folders, all removed after the test file.
 * Read-only folders made by a test are made writable first, so cleanup also
 * works when the suite does not run as root.
 */
export function useScratch(prefix: string): (name?: string) => Promise<string> {
  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made.splice(0)) await forceRemove(dir);
  });
  return async (name = 'x') => {
    const dir = await mkdtemp(join(tmpdir(), `mmry-it-${prefix}-${name}-`));
    made.push(dir);
    return dir;
  };
}

export async function forceRemove(dir: string): Promise<void> {
  const open = async (p: string | Buffer): Promise<void> => {
    let st;
    try {
      st = await lstat(p);
    } catch {
      return;
    }
    if (!st.isDirectory()) return;
    await chmod(p, 0o700).catch(() => undefined);
    for (const name of await readdir(p, { encoding: 'buffer' }).catch(() => [] as Buffer[])) await open(joinBytes(p, name));
  };
  await open(dir);
  await rm(dir, { recursive: true, force: true });
}

export function joinBytes(parent: string | Buffer, name: Buffer): Buffer {
  return Buffer.concat([typeof parent === 'string' ? Buffer.from(parent) : parent, Buffer.from('/'), name]);
}

// ------------------------------------------------------------ reading a tree

export interface FsEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  mtimeNs: bigint;
  size: number;
  /** Files: SHA-256 of the content. */
  sha256?: string;
  /** Symlinks: the raw target, hex. */
  target?: string;
}

/** A relative path's bytes as a readable map key; names that are not UTF-8 show as hex. */
export function pathLabel(bytes: Buffer): string {
  return isUtf8(bytes) ? bytes.toString('utf8') : `<bytes ${bytes.toString('hex')}>`;
}

/** Every entry below `root` (not `root` itself), keyed by relative path, never following links. */
export async function readTree(root: string): Promise<Map<string, FsEntry>> {
  const out = new Map<string, FsEntry>();
  const visit = async (abs: Buffer, rel: Buffer | null): Promise<void> => {
    const names = await readdir(abs, { encoding: 'buffer' });
    for (const name of names) {
      const childAbs = joinBytes(abs, name);
      const childRel = rel ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
      const st = await lstat(childAbs, { bigint: true });
      const base = { mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs };
      if (st.isFile()) {
        const content = await readFile(childAbs);
        out.set(pathLabel(childRel), { ...base, type: 'file', size: content.length, sha256: sha256(content) });
      } else if (st.isDirectory()) {
        out.set(pathLabel(childRel), { ...base, type: 'dir', size: 0 });
        await visit(childAbs, childRel);
      } else if (st.isSymbolicLink()) {
        const target = await readlink(childAbs, { encoding: 'buffer' });
        // A link's own permission bits mean nothing on Linux; compare them as 0.
        out.set(pathLabel(childRel), { ...base, mode: 0, type: 'symlink', size: target.length, target: target.toString('hex') });
      } else {
        out.set(pathLabel(childRel), { ...base, type: 'other', size: 0 });
      }
    }
  };
  await visit(Buffer.from(root), null);
  return out;
}

/**
 * Asserts that `actual` holds exactly the entries of `expected`: same paths,
 * types, modes, sizes, content hashes and link targets, and mtimes equal to
 * the millisecond (restore sets times from a double of seconds, so the last
 * nanoseconds may differ).
 */
export function expectSameTree(actual: Map<string, FsEntry>, expected: Map<string, FsEntry>, options: { mtimes?: boolean } = {}): void {
  const strip = (m: Map<string, FsEntry>) => Object.fromEntries([...m].map(([k, { mtimeNs: _t, ...rest }]) => [k, rest]));
  expect(strip(actual)).toEqual(strip(expected));
  if (options.mtimes === false) return;
  const off: string[] = [];
  for (const [k, e] of expected) {
    const a = actual.get(k)!;
    const delta = a.mtimeNs > e.mtimeNs ? a.mtimeNs - e.mtimeNs : e.mtimeNs - a.mtimeNs;
    if (delta >= 1_000_000n) off.push(`${k}: ${a.mtimeNs} vs ${e.mtimeNs}`);
  }
  expect(off).toEqual([]);
}

/** Only content: path → SHA-256 of files, link targets, and folders. */
export function contentOf(tree: Map<string, FsEntry>): Record<string, string> {
  return Object.fromEntries([...tree].map(([k, e]) => [k, e.type === 'file' ? `file:${e.sha256}` : e.type === 'symlink' ? `link:${e.target}` : e.type]));
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every regular file below `dir`, recursively. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...(await filesUnder(p)));
    else if (d.isFile()) out.push(p);
  }
  return out;
}

// ------------------------------------------------------------ deterministic data

/** A small seeded PRNG (mulberry32): the same seed gives the same run. */
export const prng = mulberry32;

/** `size` incompressible bytes that depend only on `seed` (a ChaCha20 keystream). */
export function noise(seed: string | number, size: number): Buffer {
  const key = createHash('sha256').update(`noise:${seed}`).digest();
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

const WORDS = 'vault snapshot chunk blob pack tree catalog project restore backup deduplicate compress encrypt parity header lock worker stream offset length'.split(' ');

/** `size` bytes of text that compresses well but is not one repeated block. */
export function prose(seed: number, size: number): Buffer {
  const rnd = prng(seed);
  const parts: string[] = [];
  let length = 0;
  let line = 0;
  while (length < size) {
    const words = Array.from({ length: 8 + Math.floor(rnd() * 8) }, () => WORDS[Math.floor(rnd() * WORDS.length)]!);
    const text = `${line++}: ${words.join(' ')}\n`;
    parts.push(text);
    length += text.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

// ------------------------------------------------------------ the mmry CLI

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** MMRY_PASSWORD; default the suite's password. */
  password?: string;
  env?: Record<string, string>;
  /** Run as this user (the suite drops root this way to make a file unreadable). */
  uid?: number;
  gid?: number;
  timeoutMs?: number;
}

/** Runs `mmry ARGS` through the bin launcher as a real process and waits for it. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, MMRY_PASSWORD: options.password ?? PASSWORD, ...options.env };
  delete env['MMRY_NEW_PASSWORD'];
  if (options.env?.['MMRY_NEW_PASSWORD']) env['MMRY_NEW_PASSWORD'] = options.env['MMRY_NEW_PASSWORD'];
  const spawnOptions: SpawnOptions = { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot };
  if (options.uid !== undefined) spawnOptions.uid = options.uid;
  if (options.gid !== undefined) spawnOptions.gid = options.gid;
  return collect(spawn(process.execPath, [mmryBin, ...args], spawnOptions), options.timeoutMs ?? 30_000);
}

export function collect(child: ChildProcess, timeoutMs = 30_000): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process timed out after ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The user's view of a failure: exactly one line, "mmry: ...", and no stack trace. Returns the line. */
export function expectOneErrorLine(result: CliResult, pattern?: RegExp): string {
  const lines = result.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines, `stderr was: ${result.stderr}`).toHaveLength(1);
  const line = lines[0]!;
  expect(line).toMatch(/^mmry: \S/);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/Error:|VaultError|node:internal/);
  if (pattern) expect(line).toMatch(pattern);
  return line;
}

/** Starts a TypeScript fixture from test/integration/fixtures under the same Node; its output is recorded from the start. */
export function startFixture(name: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [join(fixturesDir, name), ...args], {
    env: { ...process.env, MMRY_PASSWORD: PASSWORD, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  record(child);
  return child;
}

interface Recorded {
  out: string;
  err: string;
  exited: boolean;
  wake: Set<() => void>;
}

const recordings = new WeakMap<ChildProcess, Recorded>();

function record(child: ChildProcess): Recorded {
  let r = recordings.get(child);
  if (r) return r;
  const rec: Recorded = { out: '', err: '', exited: false, wake: new Set() };
  const wakeAll = () => rec.wake.forEach((w) => w());
  child.stdout?.on('data', (d: Buffer) => {
    rec.out += d.toString();
    wakeAll();
  });
  child.stderr?.on('data', (d: Buffer) => (rec.err += d.toString()));
  child.once('exit', () => {
    rec.exited = true;
    wakeAll();
  });
  recordings.set(child, rec);
  r = rec;
  return r;
}

/** Everything the child printed on stdout so far. */
export function outputOf(child: ChildProcess): string {
  return record(child).out;
}

/**
 * Resolves with the first stdout line (printed at any time since the child
 * started) that matches; rejects if the child exits without printing one.
 */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  const rec = record(child);
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      for (const line of rec.out.split('\n')) {
        const m = pattern.exec(line);
        if (m) {
          done();
          resolve(m);
          return true;
        }
      }
      if (rec.exited) {
        done();
        reject(new Error(`child exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}; stdout: ${rec.out}; stderr: ${rec.err}`));
        return true;
      }
      return false;
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout: ${rec.out}; stderr: ${rec.err}`));
    }, timeoutMs);
    const wake = () => void check();
    const done = () => {
      clearTimeout(timer);
      rec.wake.delete(wake);
    };
    if (!check()) rec.wake.add(wake);
  });
}

/** Sends SIGKILL and waits until the process is gone. */
export function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A new vault (FAST_OPTIONS) in `scratch` holding one snapshot of a small source: a text file and a 200 KB random one in a subfolder. */
export async function newVaultWithData(scratch: (name?: string) => Promise<string>): Promise<{ vaultDir: string; src: string; snapshotId: string }> {
  const vaultDir = join(await scratch('vault'), 'v');
  const src = join(await scratch('src'), 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'a.txt'), prose(1, 40_000));
  await writeFile(join(src, 'sub', 'b.bin'), noise('b', 200_000));
  const v = await Vault.create(vaultDir, PASSWORD, FAST_OPTIONS);
  try {
    return { vaultDir, src, snapshotId: (await backup(v, src)).snapshotId };
  } finally {
    await v.close();
  }
}
