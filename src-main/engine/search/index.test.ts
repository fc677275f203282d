import { describe, expect, it } from 'vitest';
import type { TreeEntry } from '../snapshot/index.ts';
import { indexSnapshot, PathIndex } from './index.ts';

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
    const id = (n: number) => new Uint8Array(32).fill(n);
    const file = (name: string, size: number): TreeEntry => ({ name, type: 'file', mode: 0o644, mtimeNs: 0n, size, content: [] });
    const dir = (name: string, subtree: Uint8Array): TreeEntry => ({ name, type: 'dir', mode: 0o755, mtimeNs: 0n, size: 0, subtree });
    const trees = new Map<string, TreeEntry[]>([
      [Buffer.from(id(1)).toString('hex'), [dir('src', id(2)), file('a.txt', 1)]],
      [Buffer.from(id(2)).toString('hex'), [file('main.ts', 100)]],
      [Buffer.from(id(3)).toString('hex'), [dir('src', id(2)), file('a.txt', 2), file('b.txt', 3)]],
    ]);
    let loads = 0;
    const source = {
      loadTree: async (t: Uint8Array) => {
        loads++;
        return trees.get(Buffer.from(t).toString('hex'))!;
      },
    };
    const ix = new PathIndex();
    const memo = new Map<string, number[]>();
    await indexSnapshot(ix, source, 'p', { id: 's1', createdAt: 1, treeId: Buffer.from(id(1)) }, memo);
    await indexSnapshot(ix, source, 'p', { id: 's2', createdAt: 2, treeId: Buffer.from(id(3)) }, memo);
    await indexSnapshot(ix, source, 'p', { id: 's2', createdAt: 2, treeId: Buffer.from(id(3)) }, memo);
    expect(loads).toBe(3);
    const byPath = new Map(ix.records.map((r) => [r.path, r]));
    expect(byPath.get('src/main.ts')).toMatchObject({ versions: 2, snapshotId: 's2' });
    expect(byPath.get('a.txt')).toMatchObject({ versions: 2, size: 2 });
    expect(byPath.get('b.txt')).toMatchObject({ versions: 1, snapshotId: 's2' });
  });
});
