/**
 * Re-backups that reuse folders by scan digest (snapshot/scan-digest.ts):
 * an unchanged folder costs neither its previous listing nor anything below
 * it, a change anywhere below a folder is still found, and what the digest
 * cannot vouch for (warnings, another exclude list, a rebuilt catalog) is
 * walked as before. Real vaults, real folders, real worker threads.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openForHealing, verify } from '../../src-main/engine/heal/index.ts';
import { backup, restore, Vault } from '../../src-main/engine/vault/index.ts';
import type { BackupSummary } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { expectSameTree, prose, readTree, runCli, useScratch } from './helpers.ts';

const scratch = useScratch('scan-digest');

/** Folders a/b/c, d/e and f, each with a few files; a symlink and an empty folder. */
async function writeProject(src: string): Promise<void> {
  for (const d of ['a/b/c', 'd/e', 'f', 'empty']) await mkdir(join(src, d), { recursive: true });
  let n = 0;
  for (const d of ['', 'a', 'a/b', 'a/b/c', 'd', 'd/e', 'f']) {
    for (let i = 0; i < 3; i++) await writeFile(join(src, d, `file${i}.txt`), prose(++n, 2_000 + 500 * i));
  }
  await symlink('a/b/c/file0.txt', join(src, 'link'));
}

let vault: Vault;
let src: string;
let loads: { trees: number };

beforeEach(async () => {
  const dir = await scratch();
  vault = await Vault.create(join(dir, 'vault'), PASSWORD, FAST_OPTIONS);
  src = join(dir, 'src');
  await writeProject(src);
  spyOnLoads(vault);
});

/** Counts the previous listings a backup reads. */
function spyOnLoads(v: Vault): void {
  loads = { trees: 0 };
  const loadTree = v.loadTree.bind(v);
  const loadTrees = v.loadTrees.bind(v);
  vi.spyOn(v, 'loadTree').mockImplementation((...args) => (loads.trees++, loadTree(...args)));
  vi.spyOn(v, 'loadTrees').mockImplementation((...args) => ((loads.trees += args[0].length), loadTrees(...args)));
}

afterEach(async () => {
  await vault.close();
});

const rootOf = (s: BackupSummary) => Buffer.from(vault.catalog.findSnapshots(s.snapshotId)[0]!.treeId).toString('hex');
const counts = (s: BackupSummary) => ({ files: s.files, dirs: s.dirs, symlinks: s.symlinks, bytes: s.bytes });

describe('reuse by scan digest', () => {
  it('an unchanged re-backup reads no listing, and gives the same tree and counts', async () => {
    const first = await backup(vault, src);
    expect(loads.trees).toBe(0); // a first backup has nothing to read
    const again = await backup(vault, src);
    expect(loads.trees).toBe(0);
    expect(rootOf(again)).toBe(rootOf(first));
    expect(counts(again)).toEqual(counts(first));
    expect(counts(first)).toEqual({ files: 21, dirs: 7, symlinks: 1, bytes: counts(first).bytes });
    expect([again.filesUnmodified, again.filesNew, again.filesChanged, again.warnings]).toEqual([21, 0, 0, []]);
  });

  it('an unchanged re-backup loads no worker thread, and its pack is protected; a first backup and a changed file load them', async () => {
    await backup(vault, src);
    expect(vault.pool.liveThreads).toBe(2); // a first backup starts them itself
    await vault.close();
    vault = await Vault.open(vault.dir, PASSWORD, FAST_OPTIONS);
    const again = await backup(vault, src);
    expect([again.filesUnmodified, vault.pool.liveThreads]).toEqual([21, 0]);
    await vault.close();
    // Its manifest was sealed, and its pack folded into parity, on the calling thread.
    const target = await openForHealing(vault.dir, PASSWORD, { threads: 1 });
    try {
      const report = await verify(target, { readData: true });
      expect([report.healthy, report.unprotectedPacks, report.damage]).toEqual([true, 0, []]);
    } finally {
      await target.close();
    }
    vault = await Vault.open(vault.dir, PASSWORD, FAST_OPTIONS);
    await writeFile(join(src, 'd/e/file0.txt'), prose(99, 200_000));
    const changed = await backup(vault, src);
    expect(changed.filesChanged).toBe(1);
    expect(vault.pool.liveThreads).toBeGreaterThan(0); // its 200 KB go to the threads
    const out = join(await scratch(), 'out');
    await restore(vault, vault.resolveSnapshot(changed.snapshotId), out);
    expectSameTree(await readTree(out), await readTree(src));
  });

  it('with a small limit on what is listed ahead, lists and compares in parts, and still gives the same tree', async () => {
    const first = await backup(vault, src);
    const again = await backup(vault, src, { listAhead: 5 });
    expect([rootOf(again), counts(again), again.filesUnmodified]).toEqual([rootOf(first), counts(first), 21]);
    // Only the root, a and a/b are read: each holds more below it than the limit. Every folder
    // whose subtree fits (a/b/c, d, f, empty) is listed when the walk gets there, and reused unread.
    expect(loads.trees).toBe(3);
  });

  it('finds a change deep down even with its mtime put back, reads only the listings on its path, and restores it', async () => {
    await backup(vault, src);
    const deep = join(src, 'a/b/c/file1.txt');
    const before = await stat(deep);
    await writeFile(deep, Buffer.from((await readFile(deep, 'utf8')).toUpperCase()));
    await utimes(deep, before.atime, before.mtime); // same size and mtime; only ctime tells
    const changed = await backup(vault, src);
    expect([changed.filesChanged, changed.filesUnmodified]).toEqual([1, 20]);
    // The root, a, a/b and a/b/c are walked; d, f, empty and a/b's other child are not read.
    expect(loads.trees).toBe(4);
    loads.trees = 0;
    const out = join(await scratch(), 'out');
    await restore(vault, vault.resolveSnapshot(changed.snapshotId), out);
    expectSameTree(await readTree(out), await readTree(src));
    expect(await readFile(join(out, 'a/b/c/file1.txt'), 'utf8')).toMatch(/^[^a-z]+$/);

    loads.trees = 0;
    const settled = await backup(vault, src); // the new listings were recorded in turn
    expect([loads.trees, rootOf(settled)]).toEqual([0, rootOf(changed)]);
  });

  it('walks a folder with a warning every time, repeating the warning, and still reuses its siblings', async () => {
    execFileSync('mkfifo', [join(src, 'd/e/pipe')]);
    const first = await backup(vault, src);
    expect(first.warnings.map((w) => w.path)).toEqual(['d/e/pipe']);
    const again = await backup(vault, src);
    expect(again.warnings.map((w) => w.path)).toEqual(['d/e/pipe']);
    expect(rootOf(again)).toBe(rootOf(first));
    expect(loads.trees).toBe(3); // the root, d and d/e; a and f are reused unread
  });

  it('replaces a recorded digest that no longer matches an unchanged listing (an older digest format)', async () => {
    const first = await backup(vault, src);
    const root = vault.catalog.findSnapshots(first.snapshotId)[0]!.treeId;
    vault.catalog.addTreeDigests([{ ...vault.catalog.treeDigest(root)!, digest: Buffer.alloc(32, 7) }]);
    const again = await backup(vault, src);
    expect([rootOf(again), loads.trees]).toEqual([rootOf(first), 1]); // the root is walked; its subfolders still match
    loads.trees = 0;
    await backup(vault, src);
    expect(loads.trees).toBe(0);
  });

  it('walks everything again under another exclude list', async () => {
    await backup(vault, src);
    const excluded = await backup(vault, src, { exclude: ['file2.txt'] });
    expect(excluded.files).toBe(14);
    expect(loads.trees).toBe(7); // every folder but the empty one, whose digest the exclude list leaves as it was
  });

  it('forgets the digests when the catalog is rebuilt (the blobs below a listing may be gone)', async () => {
    await backup(vault, src);
    const dir = vault.dir;
    await vault.close();
    await rm(join(dir, 'catalog.db'));
    const res = await runCli(['repair', dir], { password: PASSWORD });
    expect([res.code, res.stderr]).toEqual([0, '']);
    vault = await Vault.open(dir, PASSWORD, FAST_OPTIONS);
    spyOnLoads(vault);
    await backup(vault, src);
    expect(loads.trees).toBe(8);
    loads.trees = 0;
    await backup(vault, src);
    expect(loads.trees).toBe(0);
  });
});
