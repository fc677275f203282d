/**
 * Paging a snapshot folder in the UI's order, against a real vault.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sortEntries } from '../../../src-shared/listing.ts';
import { treeIndexes, VaultPathIndex } from '../search/vault-index.ts';
import type { IndexProgress } from '../search/vault-index.ts';
import { VaultError } from '../errors.ts';
import { backup, findInFolder, listPage, listPath, restore, Vault } from './index.ts';
import { readFileRange } from './preview.ts';

const DEEP = Array.from({ length: 70 }, (_, i) => `level ${i}`).join('/');

describe('listPage', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmry-browse-'));
  const source = join(root, 'proj');
  let vault: Vault;

  beforeAll(async () => {
    mkdirSync(join(source, 'big', 'sub b'), { recursive: true });
    mkdirSync(join(source, 'big', 'Sub a'));
    for (let i = 0; i < 250; i++) {
      const p = join(source, 'big', `file ${i}.txt`);
      writeFileSync(p, 'x'.repeat((i * 37) % 101));
      utimesSync(p, 1_600_000_000, 1_600_000_000 + ((i * 7919) % 250));
    }
    // Names the index must read as decodeTree does: unicode, NFD, and bytes that are not UTF-8.
    for (const name of ['Ärger.txt', 'zebra', 'cafe\u0301', '\u{1F600} smile']) writeFileSync(join(source, 'big', name), 'u');
    writeFileSync(Buffer.concat([Buffer.from(join(source, 'big', 'raw-')), Buffer.of(0xff)]), 'b');
    symlinkSync('file 1.txt', join(source, 'big', 'link'));
    // Deeper than the folder cache holds folders: every page finds its folder from the root again.
    mkdirSync(join(source, DEEP), { recursive: true });
    writeFileSync(join(source, DEEP, 'bottom.txt'), 'deep');
    vault = await Vault.create(join(root, 'vault'), 'correct horse', { kdf: { memoryKiB: 8, passes: 1, parallelism: 1 }, threads: 1 });
    await backup(vault, source);
  });
  afterAll(async () => {
    await vault.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('gives pages that add up to the whole folder in the shared order, folders first', async () => {
    const s = vault.catalog.latestSnapshot()!;
    const all = await listPath(vault, s, 'big');
    for (const [sort, dir] of [['name', 'asc'], ['name', 'desc'], ['size', 'desc'], ['date', 'asc']] as const) {
      const pages = [];
      for (let offset = 0; offset < all.length; offset += 40) {
        const page = await listPage(vault, s, 'big', { sort, dir, offset, limit: 40 });
        expect(page.total).toBe(258);
        expect(page.offset).toBe(offset);
        pages.push(...page.entries);
      }
      expect(pages.map((e) => e.path)).toEqual(sortEntries(all, sort, dir).map((e) => e.path));
      expect(pages.slice(0, 2).map((e) => e.type)).toEqual(['dir', 'dir']);
    }
    // Natural order: "file 2" before "file 10".
    const names = (await listPage(vault, s, 'big', { limit: 20 })).entries.map((e) => e.name).filter((n) => n.startsWith('file '));
    expect(names.slice(0, 3)).toEqual(['file 0.txt', 'file 1.txt', 'file 2.txt']);
  });

  it('finds the next name with a prefix over the whole folder, in any order, wrapping round', async () => {
    const s = vault.catalog.latestSnapshot()!;
    const all = await listPath(vault, s, 'big');
    for (const [sort, dir] of [['name', 'asc'], ['size', 'desc']] as const) {
      const rows = sortEntries(all, sort, dir);
      const expected = (from: number, prefix: string) => {
        for (let k = 1; k <= rows.length; k++) {
          const row = (from + k + rows.length) % rows.length;
          if (rows[row]!.name.toLowerCase().startsWith(prefix.toLowerCase())) return row;
        }
        return null;
      };
      for (const [from, prefix] of [[-1, 'f'], [5, 'F'], [rows.length - 1, 's'], [100, 'file 24'], [0, 'x']] as const) {
        expect(await findInFolder(vault, s, 'big', { sort, dir, from, prefix })).toBe(expected(from, prefix));
      }
    }
    expect(await findInFolder(vault, s, 'big', { from: -1, prefix: 'zzz' })).toBeNull();
    await expect(findInFolder(vault, s, 'big/file 7.txt', { from: -1, prefix: 'f' })).rejects.toThrow(/is a file/);
  });

  it('finds folders, files and links along a path as Vault.entryAt does, and refuses the same paths', async () => {
    const s = vault.catalog.latestSnapshot()!;
    for (let round = 0; round < 2; round++) {
      const deep = await listPage(vault, s, DEEP);
      expect(deep.entries.map((e) => e.path)).toEqual([`${DEEP}/bottom.txt`]);
    }
    expect((await listPage(vault, s, `/${DEEP}/bottom.txt/`)).entries[0]).toMatchObject({ path: `${DEEP}/bottom.txt`, size: 4, type: 'file' });
    expect((await listPage(vault, s, 'big/link')).entries[0]).toMatchObject({ path: 'big/link', type: 'symlink', target: 'file 1.txt' });
    expect((await listPage(vault, s, 'big/raw-\uFFFD')).entries[0]).toMatchObject({ name: 'raw-\uFFFD', type: 'file', size: 1 });
    expect(await listPage(vault, s, 'big/sub b')).toEqual({ entries: [], total: 0, offset: 0 });
    for (const path of ['nope', 'big/nope', 'big/file 7.txt/x', 'big/link/x', 'big/../big']) {
      const theirs = await vault.entryAt(s, path).then(() => null, (err: unknown) => err);
      expect(theirs, path).toBeInstanceOf(VaultError);
      await expect(listPage(vault, s, path), path).rejects.toThrow(expect.objectContaining({ kind: (theirs as VaultError).kind, message: (theirs as VaultError).message }));
    }
  });

  it('previews a file of a listed folder from the folder cache, without decoding the folder', async () => {
    const s = vault.catalog.latestSnapshot()!;
    await listPage(vault, s, 'big', { limit: 10 });
    const decoded: string[] = [];
    const loadTree = vault.loadTree.bind(vault);
    vault.loadTree = (id) => (decoded.push(Buffer.from(id).toString('hex')), loadTree(id));
    try {
      const r = await readFileRange(vault, s, 'big/file 7.txt', 0, 100);
      expect(Buffer.from(r.bytes).toString()).toBe('x'.repeat((7 * 37) % 101));
      await expect(readFileRange(vault, s, 'big/sub b', 0, 10)).rejects.toThrow(expect.objectContaining({ kind: 'invalid-argument' }));
      expect(decoded).toEqual([]);
    } finally {
      vault.loadTree = loadTree;
    }
  });

  it('clamps an offset past the end, and lists a file path as its one entry', async () => {
    const s = vault.catalog.latestSnapshot()!;
    expect(await listPage(vault, s, 'big', { offset: 10_000, limit: 10 })).toEqual({ entries: [], total: 258, offset: 258 });
    const file = await listPage(vault, s, 'big/file 7.txt');
    expect(file.total).toBe(1);
    expect(file.entries[0]!.path).toBe('big/file 7.txt');
  });
});

describe('a snapshot with more folders than the tree cache holds', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmry-many-dirs-'));
  const source = join(root, 'proj');
  const DIRS = 4300;
  let vault: Vault;

  beforeAll(async () => {
    for (let i = 0; i < DIRS; i++) {
      mkdirSync(join(source, `d${i}`), { recursive: true });
      writeFileSync(join(source, `d${i}`, 'f.txt'), `file ${i}`);
    }
    vault = await Vault.create(join(root, 'vault'), 'correct horse', { kdf: { memoryKiB: 8, passes: 1, parallelism: 1 }, threads: 2 });
    await backup(vault, source);
  }, 120_000);
  afterAll(async () => {
    await vault.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('loads every listing in batches, cached or not, and restores and indexes all of them', async () => {
    const s = vault.catalog.latestSnapshot()!;
    const top = await vault.loadTree(s.treeId);
    const ids = top.map((e) => e.subtree!);
    // Some cached already, the rest fetched: more than the cache holds in one call.
    await vault.loadTrees(ids.slice(0, 100));
    const trees = await vault.loadTrees(ids);
    expect(trees).toHaveLength(DIRS);
    expect(trees.every((t) => t.length === 1 && t[0]!.name === 'f.txt')).toBe(true);
    const target = join(root, 'restored');
    const summary = await restore(vault, s, target);
    expect(summary.files).toBe(DIRS);
    expect(summary.problems).toEqual([]);
    // The search index's loader, opening a few listings at a time: all of them, in the order asked.
    let opened = 0;
    const located = await treeIndexes(vault, { openBytes: 1000, onLoaded: (n) => (opened += n) }).loadTreeIndexes(ids);
    expect(opened).toBe(DIRS);
    expect(located.map((t) => `${t.count}:${t.names[0]!}:${t.entry(0).size}`)).toEqual(trees.map((t) => `1:f.txt:${t[0]!.size}`));
    const index = new VaultPathIndex(vault);
    // What the Search screen polls while it waits: the folders read so far, then nothing once built.
    const seen: (IndexProgress | null)[] = [];
    const sampler = setInterval(() => seen.push(index.progress), 0);
    await index.refresh();
    clearInterval(sampler);
    expect(seen.some((p) => p !== null && p.snapshots === 1 && p.indexed === 0 && p.folders > 0)).toBe(true);
    expect(index.progress).toBeNull();
    expect(index.index.search('f.txt', 10_000).total).toBe(DIRS);
  });
});
