/**
 * Opening a vault with its worker threads warmed, and loading folder
 * listings in a batch (small ones on this thread, large ones in the pool),
 * against a real vault on disk.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVaultError } from '../errors.ts';
import { backup, Vault } from './index.ts';
import type { TreeEntry } from '../snapshot/index.ts';

const KDF = { memoryKiB: 8, passes: 1, parallelism: 1 };
const PASSWORD = 'correct horse';

describe('Vault.open and loadTrees', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmry-vault-'));
  const source = join(root, 'proj');
  const vaultDir = join(root, 'vault');

  beforeAll(async () => {
    // One folder whose sealed listing is far above 64 KiB (it goes to the pool), many small ones.
    mkdirSync(join(source, 'wide'), { recursive: true });
    for (let i = 0; i < 3000; i++) writeFileSync(join(source, 'wide', `a-rather-long-file-name-to-make-the-listing-big-${i}.txt`), String(i));
    for (let d = 0; d < 20; d++) {
      mkdirSync(join(source, `small-${d}`, 'inner'), { recursive: true });
      writeFileSync(join(source, `small-${d}`, 'inner', 'f.txt'), `folder ${d}`);
    }
    const v = await Vault.create(vaultDir, PASSWORD, { kdf: KDF, threads: 1 });
    await backup(v, source);
    await v.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('starts the worker threads during the unlock when asked, and not otherwise', async () => {
    const warm = await Vault.open(vaultDir, PASSWORD, { threads: 1, warmPool: true });
    try {
      expect(warm.pool.liveThreads).toBe(1);
    } finally {
      await warm.close();
    }
    const lazy = await Vault.open(vaultDir, PASSWORD, { threads: 1 });
    try {
      expect(lazy.pool.liveThreads).toBe(0);
    } finally {
      await lazy.close();
    }
  });

  it('reports a wrong password as such with a warmed pool too', async () => {
    const err = await Vault.open(vaultDir, 'wrong password', { threads: 1, warmPool: true }).catch((e: unknown) => e);
    expect(isVaultError(err) && err.kind).toBe('wrong-password');
  });

  it('gives the same listings in a batch as one by one, small and large alike', async () => {
    const vault = await Vault.open(vaultDir, PASSWORD, { threads: 1 });
    try {
      const rootTree = await vault.loadTree(vault.catalog.latestSnapshot()!.treeId);
      const dirs = rootTree.filter((e): e is TreeEntry & { subtree: Uint8Array } => e.type === 'dir' && e.subtree !== undefined);
      expect(dirs).toHaveLength(21);
      const wideId = dirs.find((e) => e.name === 'wide')!.subtree;
      expect(vault.catalog.getBlob(wideId)!.length).toBeGreaterThan(64 * 1024);

      const fresh = await Vault.open(vaultDir, PASSWORD, { threads: 1 }); // an empty tree cache
      try {
        const batch = await fresh.loadTrees(dirs.map((e) => e.subtree));
        expect(fresh.pool.liveThreads).toBe(1); // the wide listing went through the pool
        for (const [n, e] of dirs.entries()) expect(batch[n]).toEqual(await vault.loadTree(e.subtree));
        expect(batch[dirs.findIndex((e) => e.name === 'wide')]).toHaveLength(3000);
      } finally {
        await fresh.close();
      }
    } finally {
      await vault.close();
    }
  });
});
