/**
 * Backup progress moves while one large file is read, not only when it is
 * stored: the desktop app's progress bar must not sit at 0 B for a big file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, Vault } from '../../src-main/engine/vault/index.ts';
import type { BackupProgress } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { useScratch } from './helpers.ts';

const scratch = useScratch('progress');

/** A first backup of `src` into a fresh vault, with every progress report it made. */
async function firstBackup(src: string): Promise<BackupProgress[]> {
  const vault = await Vault.create(join(await scratch('vault'), 'v'), PASSWORD, FAST_OPTIONS);
  const seen: BackupProgress[] = [];
  try {
    await backup(vault, src, { onProgress: (p) => seen.push(p) });
  } finally {
    await vault.close();
  }
  return seen;
}

describe('backup progress', () => {
  it('counts a large file’s bytes as they are read, and ends at its size', async () => {
    const src = join(await scratch('src'), 'project');
    await mkdir(src);
    const size = 40 * 1024 * 1024;
    await writeFile(join(src, 'big.bin'), randomBytes(size));
    const seen = await firstBackup(src);
    const storing = seen.filter((p) => p.phase === 'storing');
    // While the file is being read: bytes above zero and below its size, with no file done yet.
    expect(storing.some((p) => p.files === 0 && p.bytes > 0 && p.bytes < size)).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytes).toBeGreaterThanOrEqual(seen[i - 1]!.bytes);
    expect(seen.at(-1)!.bytes).toBe(size);
  });

  it('gives a first backup totals from a count of the source, so it can show time left', async () => {
    const src = join(await scratch('src'), 'first');
    await mkdir(join(src, 'sub'), { recursive: true });
    let bytes = 0;
    for (let i = 0; i < 200; i++) {
      const data = Buffer.alloc(100 + i, 'x');
      await writeFile(join(src, i % 2 ? 'sub' : '', `f${i}.txt`), data);
      bytes += data.length;
    }
    const big = randomBytes(24 * 1024 * 1024);
    await writeFile(join(src, 'big.bin'), big);
    bytes += big.length;
    const seen = await firstBackup(src);
    expect(seen.some((p) => p.filesTotal === 201 && p.bytesTotal === bytes)).toBe(true);
  });
});
