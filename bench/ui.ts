/**
 * UI benchmarks (not timed tests): `node bench/ui.ts`.
 * - search: PathIndex over 1,000,000 paths (goal: < 50 ms per query);
 * - tree: decoding and listing a 100,000-entry folder, the work behind the
 *   browse list's first paint (goal: < 200 ms; the list itself is virtual).
 */
import { randomBytes } from 'node:crypto';
import { PathIndex } from '../src-main/engine/search/index.ts';
import { decodeTree, encodeTree } from '../src-main/engine/snapshot/index.ts';
import type { TreeEntry } from '../src-main/engine/snapshot/index.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = (fn: () => unknown, runs = 9) => {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
};

const N = 1_000_000;
const words = ['src', 'lib', 'components', 'docs', 'assets', 'test', 'utils', 'vendor', 'build', 'images', 'notes', 'data'];
const index = new PathIndex();
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const depth = 1 + (i % 4);
  const dirs = Array.from({ length: depth }, (_, d) => words[(i * 7 + d * 13) % words.length]);
  index.add(`project-${i % 20}`, `${dirs.join('/')}/file-${i}.${['ts', 'md', 'png', 'json'][i % 4]}`, 'file', i, 's', 1);
}
console.log(`search: indexed ${N.toLocaleString('en')} paths in ${(performance.now() - t0).toFixed(0)} ms`);
index.search('warm-up');
for (const q of ['file-999999.json', 'components/utils', 'no such path anywhere', '.md', 'file-12345']) {
  const r = index.search(q);
  console.log(`search: ${JSON.stringify(q).padEnd(26)} ${String(r.total).padStart(7)}${r.more ? '+' : ' '} matches  median ${time(() => index.search(q)).toFixed(1)} ms`);
}

const entries: TreeEntry[] = Array.from({ length: 100_000 }, (_, i) => ({ name: `file-${i}.txt`, type: 'file', mode: 0o644, mtimeNs: BigInt(Date.now()) * 1_000_000n, size: i + 1, content: [randomBytes(32)] }));
const bytes = encodeTree(entries);
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
const listing = () => {
  const decoded = decodeTree(bytes, 'bench');
  const rows = decoded.map((e) => ({ name: e.name, path: e.name, type: e.type, size: e.size, mtimeMs: Number(e.mtimeNs / 1_000_000n) }));
  const json = JSON.stringify(rows);
  const parsed = JSON.parse(json) as typeof rows;
  return parsed.sort((a, b) => collator.compare(a.name, b.name));
};
console.log(`tree: 100,000-entry folder decoded, sent as JSON and sorted: median ${time(listing, 5).toFixed(0)} ms`);
