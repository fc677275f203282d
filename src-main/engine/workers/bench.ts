/**
 * Pool throughput for hash, seal and open over ~64 MiB of JavaScript from
 * node_modules and 64 MiB of random bytes, default chunker, every core.
 * Run: npx node src-main/engine/workers/bench.ts [MiB]
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CHUNKER_PARAMS } from '../chunking/index.ts';
import { BlobKind } from '../packs/seal.ts';
import { WorkerPool, type HashItem, type SealItem } from './index.ts';
import { INLINE_TASK_BYTES } from './pool.ts';

const MIB = 1024 * 1024;
const FILE_BYTES = 4 * MIB;
const BATCH_BYTES = 8 * MIB;
const size = Number(process.argv[2] ?? 64) * MIB;

function jsText(limit: number): Uint8Array {
  const out = new Uint8Array(limit);
  let at = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (at >= limit) return;
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.(js|mjs|cjs|ts)$/.test(e.name)) {
        const b = readFileSync(path).subarray(0, limit - at);
        out.set(b, at);
        at += b.length;
      }
    }
  };
  walk(new URL('../../../node_modules', import.meta.url).pathname);
  return out.subarray(0, at);
}

function randomData(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) randomFillSync(out, o, Math.min(65536, n - o));
  return out;
}

/** Splits items into batches of about BATCH_BYTES, so every thread has work. */
function batches<T>(items: T[], bytesOf: (item: T) => number): T[][] {
  const out: T[][] = [[]];
  let bytes = 0;
  for (const item of items) {
    if (bytes >= BATCH_BYTES) {
      out.push([]);
      bytes = 0;
    }
    out[out.length - 1]!.push(item);
    bytes += bytesOf(item);
  }
  return out;
}

async function timed<T>(label: string, bytes: number, fn: () => Promise<T>): Promise<T> {
  let result: T | undefined;
  let best = 0;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    result = await fn();
    best = Math.max(best, bytes / 1e3 / (performance.now() - t0));
  }
  console.log(`  ${label.padEnd(6)} ${best.toFixed(0).padStart(5)} MB/s`);
  return result!;
}

async function bench(pool: WorkerPool, name: string, data: Uint8Array, typeKey: string): Promise<void> {
  const buffer = new SharedArrayBuffer(data.length);
  new Uint8Array(buffer).set(data);
  console.log(`${name}: ${(data.length / MIB).toFixed(0)} MiB in ${FILE_BYTES / MIB} MiB files, ${pool.size} threads`);

  const files: HashItem[] = [];
  for (let o = 0; o < data.length; o += FILE_BYTES) files.push({ offset: o, length: Math.min(FILE_BYTES, data.length - o), chunked: true, final: true });
  const hashed = await timed('hash', data.length, () => Promise.all(batches(files, (f) => f.length).map((b) => pool.hash(buffer, b))));

  const chunks: SealItem[] = [];
  hashed.flat().forEach((r, k) => {
    let start = files[k]!.offset;
    r.cuts.forEach((end, i) => {
      const offset = start;
      start = files[k]!.offset + end;
      chunks.push({ offset, length: start - offset, id: r.ids[i]!, kind: BlobKind.chunk, strategy: undefined, typeKey });
    });
  });
  const sealed = (await timed('seal', data.length, () => Promise.all(batches(chunks, (c) => c.length).map((b) => pool.seal(buffer, b))))).flat();
  const stored = sealed.reduce((n, s) => n + s.sealed.length, 0);

  const toOpen = sealed.map((s, k) => ({ sealed: s.sealed, id: chunks[k]!.id, kind: BlobKind.chunk, rawLength: s.rawLength }));
  await timed('open', data.length, () => Promise.all(batches(toOpen, (o) => o.rawLength).map((b) => pool.open(b))));
  console.log(`  ${chunks.length} chunks, stored ${(stored / data.length).toFixed(3)} of raw, strategies: ${[...new Set(sealed.map((s) => s.strategy))].join(', ')}`);
}

const pool = WorkerPool.create({ blobKey: randomBytes(32), idKey: randomBytes(32), gearSeed: randomBytes(32), chunker: DEFAULT_CHUNKER_PARAMS });
// Over INLINE_TASK_BYTES, so these start the threads rather than run on this one.
const warm = new SharedArrayBuffer(INLINE_TASK_BYTES + 1);
await Promise.all(Array.from({ length: pool.size }, () => pool.hash(warm, [{ offset: 0, length: warm.byteLength, chunked: false, final: true }])));
await bench(pool, 'JavaScript', jsText(size), '.js|none');
await bench(pool, 'random', randomData(size), '.bin|none');
await pool.close();
