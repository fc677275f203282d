/**
 * Parity encode throughput of the engine itself, run as a child process by
 * the heal section:
 *
 *   node bench/lib/parity-encode.ts '{"root":…,"packsDir":…,"outDir":…,"repeats":3,"redundancy":0.1}'
 *
 * It drives the code a backup runs as each pack seals: ParityProtector.add
 * for every pack file in `packsDir` (read back from the page cache, folded
 * into the open group's parity by the worker pool), then finish() (stripe
 * CRCs of the parity in the workers, groups written atomically with fsync).
 * The pool is started and warmed first, as it is mid-backup. Parity goes to
 * `outDir/parity/`; the pack files are only read. Prints one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ChunkingModule from '../../src-main/engine/chunking/index.ts';
import type * as ParityStoreModule from '../../src-main/engine/heal/parity-store.ts';
import type * as ProtectModule from '../../src-main/engine/heal/protect.ts';
import type * as WorkersModule from '../../src-main/engine/workers/index.ts';

interface Args {
  /** The mmry source tree whose engine is measured. */
  root: string;
  packsDir: string;
  outDir: string;
  repeats: number;
  redundancy: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const engine = (rel: string) => import(pathToFileURL(join(args.root, 'src-main', 'engine', rel)).href);
// The engine of `root` (the work tree or a MMRY_BENCH_MMRY_REV checkout); typed from the work tree's.
const { ParityProtector } = (await engine('heal/protect.ts')) as typeof ProtectModule;
const { writeSettings } = (await engine('heal/parity-store.ts')) as typeof ParityStoreModule;
const { WorkerPool } = (await engine('workers/index.ts')) as typeof WorkersModule;
const { DEFAULT_CHUNKER_PARAMS } = (await engine('chunking/index.ts')) as typeof ChunkingModule;

const names = (await readdir(args.packsDir)).filter((n) => /^[0-9a-f]{32}\.pack$/.test(n)).sort();
const packs = await Promise.all(names.map(async (n) => ({ packId: n.slice(0, 32), size: (await stat(join(args.packsDir, n))).size })));
const bytes = packs.reduce((a, p) => a + p.size, 0);

// Random keys: parity never looks at them, the pool just needs valid ones.
const pool = WorkerPool.create({ blobKey: randomBytes(32), idKey: randomBytes(32), gearSeed: randomBytes(32), chunker: DEFAULT_CHUNKER_PARAMS });
// Over the engine's INLINE_TASK_BYTES (64 KiB), so these run on the threads and start them.
const warm = new SharedArrayBuffer(1024 * 1024);
await Promise.all(Array.from({ length: pool.size * 2 }, () => pool.crc(warm, warm.byteLength, 1024)));

await writeSettings(args.outDir, { redundancy: args.redundancy });
const parityDir = join(args.outDir, 'parity');
/** seconds: the whole step; foldSeconds: until every pack is folded in (read, copy, multiply-add, CRC), before finish() writes. */
const runs: { seconds: number; foldSeconds: number; parityBytes: number }[] = [];
for (let rep = 0; rep < args.repeats; rep++) {
  for (const n of await readdir(parityDir)) if (n.endsWith('.parity') || n.endsWith('.group')) await rm(join(parityDir, n));
  const started = performance.now();
  const protector = await ParityProtector.open(args.outDir, args.packsDir, pool);
  await Promise.all(packs.map((p) => protector.add(p.packId, p.size)));
  const foldSeconds = (performance.now() - started) / 1000;
  await protector.finish();
  const seconds = (performance.now() - started) / 1000;
  let parityBytes = 0;
  for (const n of await readdir(parityDir)) if (n.endsWith('.parity')) parityBytes += (await stat(join(parityDir, n))).size;
  runs.push({ seconds, foldSeconds, parityBytes });
}
await pool.close();
console.log(JSON.stringify({ packs: packs.length, bytes, threads: pool.size, runs }));
