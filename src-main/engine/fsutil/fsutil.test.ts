import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVaultError } from '../errors.ts';
import { fsyncDir, makeFolders, readFileIfExists, tempPathFor, unlinkIfExists, writeFileAtomic } from './index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmry-fsutil-'));
});
afterEach(() => {
  chmodSync(dir, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

async function kindOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => (isVaultError(err) ? err.kind : `not a VaultError: ${String(err)}`),
  );
}

describe('writeFileAtomic', () => {
  it('creates and then replaces a file, leaving no temporary behind', async () => {
    const path = join(dir, 'header');
    await writeFileAtomic(path, Buffer.from('one'));
    await writeFileAtomic(path, 'two');
    expect(readFileSync(path, 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['header']);
  });

  it('maps a missing folder to not-found and names the file in words', async () => {
    const err = await writeFileAtomic(join(dir, 'missing', 'header'), 'x', 'the vault header').catch((e: unknown) => e);
    expect(isVaultError(err, 'not-found')).toBe(true);
    expect((err as Error).message).toBe('The vault header does not exist.');
  });

  it('maps a folder it may not write to permission-denied and keeps the old content', async () => {
    const path = join(dir, 'header');
    await writeFileAtomic(path, 'old');
    // Root ignores mode bits, so as root the folder becomes a read-only mount instead.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) execFileSync('mount', ['--bind', '-o', 'ro', dir, dir]);
    else chmodSync(dir, 0o500);
    try {
      expect(await kindOf(writeFileAtomic(path, 'new'))).toBe('permission-denied');
    } finally {
      if (asRoot) execFileSync('umount', [dir]);
      else chmodSync(dir, 0o700);
    }
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['header']);
  });

  it('puts the temporary name in the same folder, hidden', () => {
    const temp = tempPathFor(join(dir, 'header'));
    expect(temp.startsWith(join(dir, '.header.'))).toBe(true);
    expect(temp).not.toBe(tempPathFor(join(dir, 'header')));
  });
});

describe('small helpers', () => {
  it('reads a file or nothing', async () => {
    writeFileSync(join(dir, 'a'), 'x');
    expect((await readFileIfExists(join(dir, 'a')))?.toString()).toBe('x');
    expect(await readFileIfExists(join(dir, 'b'))).toBeUndefined();
  });

  it('unlinks a file that may already be gone', async () => {
    writeFileSync(join(dir, 'a'), 'x');
    expect(await unlinkIfExists(join(dir, 'a'))).toBe(true);
    expect(await unlinkIfExists(join(dir, 'a'))).toBe(false);
  });

  it('fsyncs a folder, and says when it is missing', async () => {
    mkdirSync(join(dir, 'packs'));
    await fsyncDir(join(dir, 'packs'));
    expect(await kindOf(fsyncDir(join(dir, 'nope')))).toBe('not-found');
  });
});

describe('makeFolders', () => {
  it('makes every missing folder of a path, and is fine with one that exists', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mmry-mkdirs-'));
    try {
      await makeFolders(join(root, 'a', 'b', 'c'));
      await makeFolders(join(root, 'a', 'b', 'c'));
      expect(readdirSync(join(root, 'a', 'b'))).toEqual(['c']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('fails with the real reason where a folder cannot be made, where Node says ENOENT on a read-only disk', async () => {
    // Root ignores mode bits, so as root the parent is a read-only tmpfs instead.
    const asRoot = process.getuid?.() === 0;
    const parent = mkdtempSync(join(tmpdir(), 'mmry-ro-'));
    if (asRoot) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', parent]);
    else chmodSync(parent, 0o500);
    try {
      const code = asRoot ? 'EROFS' : 'EACCES';
      if (asRoot) await expect(mkdir(join(parent, 'a', 'b'), { recursive: true })).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(makeFolders(join(parent, 'a', 'b'))).rejects.toMatchObject({ code });
      await expect(makeFolders(join(parent, 'a'))).rejects.toMatchObject({ code });
    } finally {
      if (asRoot) execFileSync('umount', [parent]);
      else chmodSync(parent, 0o700);
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
