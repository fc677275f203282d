import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTree, indexTree } from '../snapshot/index.ts';
import type { TreeEntry } from '../snapshot/index.ts';
import { indexSnapshot, PathIndex } from './index.ts';
import type { Listings, SubtreeMemo } from './index.ts';

const id = (n: number) => new Uint8Array(32).fill(n);
const hex = (t: Uint8Array) => Buffer.from(t).toString('hex');
const file = (name: string, size: number): TreeEntry => ({ name, type: 'file', mode: 0o644, mtimeNs: 0n, size, content: size > 0 ? [id(9)] : [] });
const dir = (name: string, subtree: Uint8Array): TreeEntry => ({ name, type: 'dir', mode: 0o755, mtimeNs: 0n, size: 0, subtree });

/** Trees by id, located as the vault locates them; counts the trees asked for. */
function treeSource(trees: Map<string, TreeEntry[]>): { loads: string[]; loadTreeIndexes: (ids: readonly Uint8Array[]) => Promise<ReturnType<typeof indexTree>[]> } {
  const loads: string[] = [];
  return {
    loads,
    loadTreeIndexes: async (ids) => {
      loads.push(...ids.map(hex));
      return ids.map((t) => indexTree(encodeTree(trees.get(hex(t))!)));
    },
  };
}

describe('PathIndex', () => {
  it('finds paths by any part, case-insensitively, name matches first, each path once', () => {
    const ix = new PathIndex();
    ix.add('site', 'docs/readme.md', 'file', 10, 's1', 1);
    ix.add('site', 'readme', 'dir', 0, 's1', 1);
    ix.add('site', 'readme/notes.txt', 'file', 5, 's1', 1);
    ix.add('app', 'src/README.md', 'file', 7, 's2', 2);
    const r = ix.search('README');
    expect(r.total).toBe(4);
    expect(r.results.map((x) => x.path)).toEqual(['readme', 'src/README.md', 'docs/readme.md', 'readme/notes.txt']);
    expect(ix.search('notes.txt').results).toEqual([{ project: 'site', path: 'readme/notes.txt', type: 'file', size: 5, snapshotId: 's1', createdAt: 1, versions: 1 }]);
    expect(ix.search('nothing here').total).toBe(0);
    expect(ix.search('   ').results).toEqual([]);
  });

  it('limits results but counts matches up to the count limit', () => {
    const ix = new PathIndex();
    for (let i = 0; i < 1000; i++) ix.add('p', `dir/file-${i}.txt`, 'file', i, 's', 1);
    const r = ix.search('file-', 10, 500);
    expect(r.results).toHaveLength(10);
    expect(r.total).toBe(500);
    expect(r.more).toBe(true);
    ix.add('p', 'late-file-x', 'file', 1, 's', 1);
    expect(ix.search('late-file').results[0]!.path).toBe('late-file-x');
  });

  it('indexes snapshots through their trees, reusing unchanged subtrees, and counts versions', async () => {
    const trees = new Map<string, TreeEntry[]>([
      [hex(id(1)), [dir('src', id(2)), file('a.txt', 1)]],
      [hex(id(2)), [file('main.ts', 100)]],
      [hex(id(3)), [dir('src', id(2)), file('a.txt', 2), file('b.txt', 3)]],
    ]);
    const source = treeSource(trees);
    const ix = new PathIndex();
    const memo: SubtreeMemo = new Map();
    await indexSnapshot(ix, source, 'p', { id: 's1', createdAt: 1, treeId: Buffer.from(id(1)) }, memo);
    await indexSnapshot(ix, source, 'p', { id: 's2', createdAt: 2, treeId: Buffer.from(id(3)) }, memo);
    await indexSnapshot(ix, source, 'p', { id: 's2', createdAt: 2, treeId: Buffer.from(id(3)) }, memo);
    expect(source.loads).toEqual([hex(id(1)), hex(id(2)), hex(id(3))]);
    expect(ix.records.map((r) => r.path)).toEqual(['a.txt', 'src', 'src/main.ts', 'b.txt']);
    const byPath = new Map(ix.records.map((r) => [r.path, r]));
    expect(byPath.get('src/main.ts')).toMatchObject({ versions: 2, snapshotId: 's2' });
    expect(byPath.get('a.txt')).toMatchObject({ versions: 2, size: 2 });
    expect(byPath.get('b.txt')).toMatchObject({ versions: 1, snapshotId: 's2' });
    // The first snapshot's root again: every record it held is touched, without a read.
    await indexSnapshot(ix, source, 'p', { id: 's3', createdAt: 3, treeId: Buffer.from(id(1)) }, memo);
    expect(source.loads).toHaveLength(3);
    expect(ix.records.map((r) => `${r.path}:${r.versions}:${r.snapshotId}`)).toEqual(['a.txt:3:s3', 'src:3:s3', 'src/main.ts:3:s3', 'b.txt:1:s2']);
  });

  it('finds every path by its whole lowercased self, whatever its letters (final sigma, marks, dots)', async () => {
    const segment = fc.stringMatching(/^[AaΣσςΟΔ.'·\u0301İI-]{1,5}$/).filter((n) => n !== '.' && n !== '..');
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(segment, { minLength: 1, maxLength: 4 }), fc.uniqueArray(segment, { minLength: 1, maxLength: 4 }), async (top, inner) => {
        const trees = new Map<string, TreeEntry[]>([
          [hex(id(1)), top.map((n) => dir(n, id(2)))],
          [hex(id(2)), inner.map((n) => file(n, 1))],
        ]);
        const ix = new PathIndex();
        await indexSnapshot(ix, treeSource(trees), 'p', { id: 's1', createdAt: 1, treeId: Buffer.from(id(1)) }, new Map());
        for (const r of ix.records) expect(ix.search(r.path.toLowerCase(), 1000).results, r.path).toContain(r);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a tree shared by two projects once per pass, and gives each project its own records', async () => {
    const trees = new Map<string, TreeEntry[]>([
      [hex(id(1)), [dir('lib', id(2)), dir('vendor', id(2))]],
      [hex(id(2)), [file('x.js', 1), { name: 'to-x', type: 'symlink', mode: 0o777, mtimeNs: 0n, size: 4, target: 'x.js' }]],
      [hex(id(3)), [dir('lib', id(2))]],
    ]);
    const source = treeSource(trees);
    const ix = new PathIndex();
    const listings: Listings = new Map();
    await indexSnapshot(ix, source, 'one', { id: 's1', createdAt: 1, treeId: Buffer.from(id(1)) }, new Map(), listings);
    await indexSnapshot(ix, source, 'two', { id: 's2', createdAt: 2, treeId: Buffer.from(id(3)) }, new Map(), listings);
    expect(source.loads.sort()).toEqual([hex(id(1)), hex(id(2)), hex(id(3))]);
    expect(ix.search('x.js').results.map((r) => `${r.project}:${r.path}:${r.snapshotId}`)).toEqual(['one:lib/x.js:s1', 'two:lib/x.js:s2', 'one:vendor/x.js:s1']);
    expect(ix.records.map((r) => `${r.project}:${r.path}:${r.type}:${r.size}`)).toEqual([
      'one:lib:dir:0',
      'one:lib/to-x:symlink:4',
      'one:lib/x.js:file:1',
      'one:vendor:dir:0',
      'one:vendor/to-x:symlink:4',
      'one:vendor/x.js:file:1',
      'two:lib:dir:0',
      'two:lib/to-x:symlink:4',
      'two:lib/x.js:file:1',
    ]);
  });

  it('finds the paths a first snapshot added without a lookup when a later one adds them again', () => {
    const ix = new PathIndex();
    ix.addNew('p', 'a', 'file', 1, 's1', 1);
    ix.addNew('p', 'b', 'file', 2, 's1', 1);
    ix.addNew('q', 'a', 'file', 3, 's1', 1);
    expect(ix.search('a').total).toBe(2);
    expect(ix.add('p', 'a', 'file', 10, 's2', 2)).toBe(0);
    expect(ix.add('p', 'c', 'dir', 0, 's2', 2)).toBe(3);
    expect(ix.add('p', 'c', 'dir', 0, 's3', 3)).toBe(3);
    expect(ix.add('q', 'a', 'file', 4, 's2', 2)).toBe(2);
    expect(ix.records.map((r) => [r.project, r.path, r.size, r.versions])).toEqual([
      ['p', 'a', 10, 2],
      ['p', 'b', 2, 1],
      ['q', 'a', 4, 2],
      ['p', 'c', 0, 2],
    ]);
    // The haystack grows with the records added after a search.
    expect(ix.search('c').results.map((r) => r.path)).toEqual(['c']);
    expect(ix.search('a').total).toBe(2);
  });
});
