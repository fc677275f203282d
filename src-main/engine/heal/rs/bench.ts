/**
 * Throughput of the Reed-Solomon code on one core.
 *
 *   npx node src-main/engine/heal/rs/bench.ts [shard MiB, default 1]
 *
 * MB/s counts data bytes (k × shard size) per encode or repair, the figure to
 * set against par2 (shared/ANCHORS.md). Shared machines drift: compare lines
 * of one run, not runs.
 */
import { randomFillSync } from 'node:crypto';
import { mulXor, ReedSolomon } from './index.ts';

const MiB = 1024 * 1024;
const SHARD_BYTES = Math.round(Number(process.argv[2] ?? 1) * MiB);
const MIN_SECONDS = 0.6;

function shards(count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, () => randomFillSync(new Uint8Array(size)));
}

/** Calls `run` until MIN_SECONDS have passed (after a warm-up) and returns MB/s for `bytes` per call. */
function measure(bytes: number, run: () => void): { mbps: number; ms: number } {
  for (let i = 0; i < 3; i++) run();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_SECONDS * 1000) {
    run();
    calls++;
    elapsed = performance.now() - start;
  }
  return { mbps: (bytes * calls) / 1e6 / (elapsed / 1000), ms: elapsed / calls };
}

function report(label: string, result: { mbps: number; ms: number }): void {
  console.log(`${label.padEnd(44)} ${result.mbps.toFixed(0).padStart(6)} MB/s  ${result.ms.toFixed(2).padStart(7)} ms/op`);
}

function benchKernel(): void {
  const src = shards(1, SHARD_BYTES)[0]!;
  const dst = new Uint8Array(SHARD_BYTES);
  const odd = new Uint8Array(SHARD_BYTES + 1).subarray(1);
  report('mulXor, c=1 (XOR)', measure(SHARD_BYTES, () => mulXor(dst, src, 1)));
  report('mulXor, c=0x8e (16-bit table)', measure(SHARD_BYTES, () => mulXor(dst, src, 0x8e)));
  report('mulXor, c=0x8e, misaligned (byte loop)', measure(SHARD_BYTES, () => mulXor(odd, src, 0x8e)));
}

function benchEncode(k: number, m: number): void {
  const rs = new ReedSolomon(k, m);
  const data = shards(k, SHARD_BYTES);
  const parity = shards(m, SHARD_BYTES);
  report(`encode k=${k} m=${m}`, measure(k * SHARD_BYTES, () => rs.encodeInto(data, parity)));
}

function benchReconstruct(k: number, m: number, missing: readonly number[]): void {
  const rs = new ReedSolomon(k, m);
  const data = shards(k, SHARD_BYTES);
  const all = [...data, ...rs.encode(data)];
  const label = `reconstruct k=${k} m=${m}, lost [${missing.join(',')}]`;
  report(label, measure(k * SHARD_BYTES, () => {
    const group: (Uint8Array | null)[] = all.slice();
    for (const i of missing) group[i] = null;
    rs.reconstruct(group);
  }));
}

/**
 * par2's case in shared/ANCHORS.md: 100 MiB with 10% parity (five k=20, m=2
 * groups of 1 MiB shards), 200 random bytes flipped. Damage is located per
 * stripe (the heal layer's block hashes; hashing is not timed here) and each
 * damaged stripe is repaired on its own from the same range of the other
 * shards. A stripe hit in more than m shards is beyond repair: with 200 flips
 * in 100 MiB that happens about once a run at 4 KiB stripes, ~0.01 times at
 * 512 B.
 */
function benchScatteredRepair(stripe: number): void {
  const k = 20;
  const m = 2;
  const rs = new ReedSolomon(k, m);
  const groups = Array.from({ length: 5 }, () => {
    const data = shards(k, SHARD_BYTES);
    return [...data, ...rs.encode(data)];
  });
  const damaged = groups.map((g) => g.map((s) => s.slice()));
  const hits = new Map<string, Set<number>>();
  for (let f = 0; f < 200; f++) {
    const g = Math.floor(Math.random() * groups.length);
    const shard = Math.floor(Math.random() * (k + m));
    const offset = Math.floor(Math.random() * SHARD_BYTES);
    damaged[g]![shard]![offset]! ^= 1 + Math.floor(Math.random() * 255);
    const key = `${g}:${Math.floor(offset / stripe)}`;
    hits.set(key, (hits.get(key) ?? new Set()).add(shard));
  }
  const start = performance.now();
  let unrepairable = 0;
  for (const [key, lost] of hits) {
    if (lost.size > m) {
      unrepairable++;
      continue;
    }
    const [g, index] = key.split(':').map(Number) as [number, number];
    const from = index * stripe;
    const to = Math.min(SHARD_BYTES, from + stripe);
    const group = damaged[g]!;
    const range: (Uint8Array | null)[] = group.map((s, i) => (lost.has(i) ? null : s.subarray(from, to)));
    rs.reconstruct(range);
    for (const i of lost) group[i]!.set(range[i]!, from);
  }
  const ms = performance.now() - start;
  const exact = damaged.every((g, gi) => g.every((s, i) => Buffer.from(s).equals(Buffer.from(groups[gi]![i]!))));
  console.log(
    `repair 200 flipped bytes in ${groups.length * k * SHARD_BYTES / MiB} MiB (k=20 m=2, ${stripe} B stripes): ${ms.toFixed(1)} ms for ${hits.size} stripes,` +
      ` ${unrepairable} beyond parity, bit-exact: ${exact}; par2 5.4 s → ${(ms / 5400).toFixed(4)}×`,
  );
}

console.log(`Node ${process.version}, one core, shard ${SHARD_BYTES / MiB} MiB`);
benchKernel();
benchEncode(10, 1);
benchEncode(20, 2);
benchEncode(10, 4);
benchReconstruct(10, 1, [3]);
benchReconstruct(10, 1, [10]);
benchReconstruct(20, 2, [3]);
benchReconstruct(20, 2, [3, 17]);
benchReconstruct(20, 2, [3, 21]);
benchScatteredRepair(4096);
benchScatteredRepair(512);
