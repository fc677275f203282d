/**
 * A preload for diagnosing memory: `node --import ./bench/lib/memwatch.ts
 * bin/mmry.js ...` samples process.memoryUsage() every 50 ms and, at exit,
 * writes the timeline and the peaks as JSON to $MMRY_BENCH_MEMWATCH_OUT.
 * rss covers the whole process (worker threads included); heapUsed,
 * external and arrayBuffers are the main thread's isolate only.
 */
import { writeFileSync } from 'node:fs';

const out = process.env['MMRY_BENCH_MEMWATCH_OUT'];
if (out) {
  const started = performance.now();
  const samples: { ms: number; rss: number; heapUsed: number; external: number; arrayBuffers: number }[] = [];
  const take = () => {
    const m = process.memoryUsage();
    samples.push({ ms: Math.round(performance.now() - started), rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
  };
  take();
  setInterval(take, 50).unref();
  process.on('exit', () => {
    take();
    const peak = (k: 'rss' | 'heapUsed' | 'external' | 'arrayBuffers') => Math.max(...samples.map((s) => s[k]));
    writeFileSync(out, JSON.stringify({ peak: { rss: peak('rss'), heapUsed: peak('heapUsed'), external: peak('external'), arrayBuffers: peak('arrayBuffers') }, maxRssKiB: process.resourceUsage().maxRSS, samples }));
  });
}
