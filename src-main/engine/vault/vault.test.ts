/**
 * Opening a vault with its worker threads warmed, and loading folder
 * listings in a batch (small ones on this thread, large ones in the pool),
 * against a real vault on disk.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isVaultError } from '../errors.ts';
import { backup, prepareSource, restore, Vault } from './index.ts';
import { sameEntries } from './backup.ts';
import type { TreeEntry } from '../snapshot/index.ts';

const KDF = { memoryKiB: 8, passes: 1, parallelism: 1 };
const PASSWORD = 'correct horse';

const root = mkdtempSync(join(tmpdir(), 'mmry-vault-'));
const source = join(root, 'proj');
const vaultDir = join(root, 'vault');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Vault.open and loadTrees', () => {
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
      // Many at once (41 listings, small ones included) open in the pool, split over its threads:
      // one task per thread, the way a restore (whose pool runs) loads a level of listings.
      const inner = (await vault.loadTrees(dirs.map((e) => e.subtree))).flatMap((l) => l.filter((e) => e.type === 'dir').map((e) => e.subtree!));
      const many = [...dirs.map((e) => e.subtree), ...inner];
      expect(many).toHaveLength(41);
      const pooled = await Vault.open(vaultDir, PASSWORD, { threads: 2, warmPool: true });
      try {
        const open = vi.spyOn(pooled.pool, 'open');
        const batch = await pooled.loadTrees(many);
        expect(open.mock.calls.map(([items]) => items.length).sort()).toEqual([20, 21]); // the two parts, in either order
        expect(pooled.pool.liveThreads).toBe(2);
        for (const [n, id] of many.entries()) expect(batch[n]).toEqual(await vault.loadTree(id));
      } finally {
        await pooled.close();
      }
    } finally {
      await vault.close();
    }
  });
});

describe('sameEntries (an unchanged folder keeps its previous tree)', () => {
  const file = (over: Partial<TreeEntry> = {}): TreeEntry => ({
    name: 'a.txt', type: 'file', mode: 0o644, mtimeNs: 1n, size: 3, ino: 7n, ctimeNs: 2n, content: [Uint8Array.of(1, 2, 3)], ...over,
  });

  it('holds for equal listings, whatever objects carry them', () => {
    expect(sameEntries([file(), file({ name: 'b' })], [file(), file({ name: 'b' })])).toBe(true);
    expect(sameEntries([], [])).toBe(true);
  });

  it('fails on any difference: count, a field, a content id byte, a field only one side has', () => {
    expect(sameEntries([file()], [file(), file({ name: 'b' })])).toBe(false);
    expect(sameEntries([file()], [file({ ctimeNs: 3n })])).toBe(false);
    expect(sameEntries([file()], [file({ mode: 0o600 })])).toBe(false);
    expect(sameEntries([file()], [file({ content: [Uint8Array.of(1, 2, 4)] })])).toBe(false);
    expect(sameEntries([file()], [file({ content: [Uint8Array.of(1, 2, 3), Uint8Array.of(9)] })])).toBe(false);
    expect(sameEntries([file()], [file({ nameBytes: Uint8Array.of(0x61, 0xff) })])).toBe(false);
    expect(sameEntries([{ ...file(), type: 'dir', subtree: Uint8Array.of(1) }], [{ ...file(), type: 'dir', subtree: Uint8Array.of(2) }])).toBe(false);
  });

  it('lets an unchanged re-backup reuse every tree, and a change rewrite only its path', async () => {
    const vault = await Vault.open(vaultDir, PASSWORD, { threads: 1 });
    try {
      const first = vault.catalog.latestSnapshot()!;
      const again = await backup(vault, source);
      const second = vault.catalog.findSnapshots(again.snapshotId)[0]!;
      expect(Buffer.from(second.treeId).equals(Buffer.from(first.treeId))).toBe(true);
      writeFileSync(join(source, 'small-3', 'inner', 'f.txt'), 'changed');
      const changed = vault.catalog.findSnapshots((await backup(vault, source)).snapshotId)[0]!;
      expect(Buffer.from(changed.treeId).equals(Buffer.from(first.treeId))).toBe(false);
      const [before, after] = [await vault.loadTree(first.treeId), await vault.loadTree(changed.treeId)];
      const subtree = (t: TreeEntry[], name: string) => Buffer.from(t.find((e) => e.name === name)!.subtree!).toString('hex');
      expect(subtree(after, 'small-2')).toBe(subtree(before, 'small-2'));
      expect(subtree(after, 'small-3')).not.toBe(subtree(before, 'small-3'));
      const restored = join(root, 'restored');
      await restore(vault, changed, restored);
      expect(readFileSync(join(restored, 'small-3', 'inner', 'f.txt'), 'utf8')).toBe('changed');
    } finally {
      await vault.close();
    }
  });
});

describe('withWriteLock', () => {
  it('lets writers of one process take turns in order, and a cancelled waiter give up its turn', async () => {
    const vault = await Vault.open(vaultDir, PASSWORD, { threads: 1 });
    try {
      const order: string[] = [];
      let releaseFirst!: () => void;
      const first = vault.withWriteLock('first', async () => {
        order.push('first in');
        await new Promise<void>((r) => (releaseFirst = r));
        order.push('first out');
      });
      const controller = new AbortController();
      const cancelled = vault.withWriteLock('cancelled', async () => void order.push('cancelled ran'), { signal: controller.signal });
      const third = backup(vault, source).then(() => void order.push('backup done'));
      await new Promise((r) => setTimeout(r, 50));
      expect(order).toEqual(['first in']); // the others wait; the backup did not fail with 'vault-in-use'
      controller.abort();
      const err = await cancelled.catch((e: unknown) => e);
      expect(isVaultError(err) && err.kind).toBe('cancelled');
      releaseFirst();
      await Promise.all([first, third]);
      expect(order).toEqual(['first in', 'first out', 'backup done']);
    } finally {
      await vault.close();
    }
  });
});

describe('prepareSource (listing ahead of the unlock)', () => {
  it('gives the same snapshot as a plain backup, and is ignored when made for other exclusions', async () => {
    const src = join(root, 'prepared');
    mkdirSync(join(src, 'd', 'e'), { recursive: true });
    writeFileSync(join(src, 'd', 'e', 'keep.txt'), 'keep');
    writeFileSync(join(src, 'd', 'noise.log'), 'log');
    const vault = await Vault.open(vaultDir, PASSWORD, { threads: 1 });
    try {
      const plain = await backup(vault, src, { project: 'plain' });
      const ahead = await prepareSource(vaultDir, src);
      await new Promise((r) => setTimeout(r, 20)); // let it list everything
      expect(ahead.ctx.prescanned!.size).toBe(3);
      const viaPrepared = await backup(vault, src, { project: 'prepared', prepared: ahead });
      expect(ahead.ctx.prescanned!.size).toBe(0); // the walk took every listing
      const tree = (id: string) => Buffer.from(vault.catalog.findSnapshots(id)[0]!.treeId).toString('hex');
      expect(tree(viaPrepared.snapshotId)).toBe(tree(plain.snapshotId));

      const stale = await prepareSource(vaultDir, src); // made without the exclude below
      const excluded = await backup(vault, src, { project: 'excluded', exclude: ['*.log'], prepared: stale });
      const d = (await vault.loadTree(vault.catalog.findSnapshots(excluded.snapshotId)[0]!.treeId)).find((e) => e.name === 'd')!;
      expect((await vault.loadTree(d.subtree!)).map((e) => e.name)).toEqual(['e']);
    } finally {
      await vault.close();
    }
  });
});
