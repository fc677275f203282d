/**
 * Preview ranges, zip export, the search index and the activity log against
 * a real vault (cheap key derivation, small chunks so files span many).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultPathIndex } from '../search/vault-index.ts';
import { backup, exportZip, readFileRange, Vault } from './index.ts';

describe('preview, export and search over a real vault', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmry-preview-'));
  const source = join(root, 'site');
  const big = randomBytes(300_000);
  let vault: Vault;

  beforeAll(async () => {
    mkdirSync(join(source, 'src'), { recursive: true });
    writeFileSync(join(source, 'big.bin'), big);
    writeFileSync(join(source, 'src', 'main.ts'), 'export const x = 1;\n');
    writeFileSync(join(source, 'empty.txt'), '');
    vault = await Vault.create(join(root, 'vault'), 'correct horse', { kdf: { memoryKiB: 8, passes: 1, parallelism: 1 }, threads: 1, chunker: { min: 4096, avg: 16384, max: 65536 } });
    await backup(vault, source);
  });
  afterAll(async () => {
    await vault.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads any byte range of a many-chunk file, and clamps at the end', async () => {
    const s = vault.catalog.latestSnapshot()!;
    for (const [offset, length] of [[0, 10], [16_000, 70_000], [299_990, 100], [123_457, 1]] as const) {
      const r = await readFileRange(vault, s, 'big.bin', offset, length);
      expect(r.size).toBe(300_000);
      expect(Buffer.from(r.bytes).equals(big.subarray(offset, Math.min(300_000, offset + length)))).toBe(true);
    }
    expect((await readFileRange(vault, s, 'empty.txt', 0, 100)).bytes.length).toBe(0);
    await expect(readFileRange(vault, s, 'src', 0, 1)).rejects.toMatchObject({ kind: 'invalid-argument' });
  });

  it('exports a snapshot or a folder as a zip with the same bytes, and never overwrites', async () => {
    const s = vault.catalog.latestSnapshot()!;
    const zipPath = join(root, 'all.zip');
    const summary = await exportZip(vault, s, zipPath);
    expect(summary).toMatchObject({ files: 3, dirs: 1, problems: [] });
    const files = unzipSync(readFileSync(zipPath));
    expect(Buffer.from(files['big.bin']!).equals(big)).toBe(true);
    expect(Buffer.from(files['src/main.ts']!).toString()).toBe('export const x = 1;\n');
    await expect(exportZip(vault, s, zipPath)).rejects.toMatchObject({ kind: 'target-exists' });
    await exportZip(vault, s, join(root, 'src.zip'), { paths: ['src'] });
    expect(Object.keys(unzipSync(readFileSync(join(root, 'src.zip')))).sort()).toEqual(['src/', 'src/main.ts']);
  });

  it('indexes every snapshot for search and picks up new ones', async () => {
    const ix = new VaultPathIndex(vault);
    await ix.refresh();
    expect(ix.index.search('main.ts').results).toMatchObject([{ project: 'site', path: 'src/main.ts', versions: 1 }]);
    writeFileSync(join(source, 'src', 'extra.ts'), 'more\n');
    await backup(vault, source);
    await ix.refresh();
    expect(ix.index.search('main.ts').results[0]!.versions).toBe(2);
    expect(ix.index.search('extra').results).toHaveLength(1);
  });

  it('keeps an activity log, newest first', () => {
    vault.catalog.addActivity({ at: 1, kind: 'backup', outcome: 'done', project: 'site', detail: 'first' });
    vault.catalog.addActivity({ at: 2, kind: 'restore', outcome: 'failed', project: null, detail: 'second' });
    expect(vault.catalog.listActivity(10).map((a) => a.detail)).toEqual(['second', 'first']);
  });
});
