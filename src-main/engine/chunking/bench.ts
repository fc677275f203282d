/**
 * Chunker throughput on random bytes with the default params, one core.
 * Run: npx node src-main/engine/chunking/bench.ts [MiB]
 */
import { randomFillSync } from 'node:crypto';
import { DEFAULT_CHUNKER_PARAMS, findCuts, makeGearTable } from './index.ts';

const mib = Number(process.argv[2] ?? 64);
const data = new Uint8Array(mib * 1024 * 1024);
for (let off = 0; off < data.length; off += 65536) randomFillSync(data, off, Math.min(65536, data.length - off));
const gear = makeGearTable(new Uint8Array(32).fill(7));

findCuts(data.subarray(0, 16 * 1024 * 1024), gear, DEFAULT_CHUNKER_PARAMS, true); // warm up the JIT
let best = 0;
let chunks = 0;
for (let run = 0; run < 5; run++) {
  const t0 = process.hrtime.bigint();
  const cuts = findCuts(data, gear, DEFAULT_CHUNKER_PARAMS, true);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  chunks = cuts.length;
  best = Math.max(best, data.length / 1e6 / secs);
}
// Bytes below `min` of each chunk are skipped, not hashed; report the hashed rate too.
const hashedShare = 1 - (chunks * DEFAULT_CHUNKER_PARAMS.min) / data.length;
console.log(`findCuts: ${best.toFixed(0)} MB/s over ${mib} MiB (best of 5), ${chunks} chunks, mean ${(data.length / chunks / 1024).toFixed(0)} KiB; gear loop ${(best * hashedShare).toFixed(0)} MB/s of hashed bytes`);
