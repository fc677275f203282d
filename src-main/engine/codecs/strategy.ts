/**
 * The per-file-type learning rule: which strategy to start with, given what
 * earlier blobs of the same file type key gained.
 *
 * Each blob's `encode` result is recorded under the strategy that produced
 * its payload ('store' when compression did not pay), so the records count
 * how often each strategy won and what it saved. The rule:
 * 1. fewer than MIN_SAMPLES records, or every EXPLORE_EVERY-th record → undefined
 *    (let `encode` try everything, so a choice can be revisited);
 * 2. all blobs of this type together saved under MIN_SAVING → 'store';
 * 3. otherwise the compressing strategy that won most often (ties: better ratio).
 * Whether one blob's bytes look already compressed is `encode`'s check, in
 * the workers, made whatever this rule picks.
 * `nanos` is not used yet; it is kept so the UI can show the cost and a later
 * rule can trade ratio for speed.
 */
import type { Strategy } from './codec.ts';
import { MIN_SAVING } from './codec.ts';

export type StrategyStats = {
  strategy: Strategy;
  samples: number;
  bytesIn: number;
  bytesOut: number;
  nanos: number;
};

export const MIN_SAMPLES = 8;
export const EXPLORE_EVERY = 64;

export function chooseStrategy(history: StrategyStats[] | undefined): Strategy | undefined {
  if (history === undefined) return undefined;
  let samples = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  for (const h of history) {
    samples += h.samples;
    bytesIn += h.bytesIn;
    bytesOut += h.bytesOut;
  }
  if (samples < MIN_SAMPLES || samples % EXPLORE_EVERY === 0) return undefined;
  if (bytesOut > bytesIn * (1 - MIN_SAVING)) return 'store';
  return mostWinning(history);
}

function mostWinning(history: StrategyStats[]): Strategy | undefined {
  let best: StrategyStats | undefined;
  for (const h of history) {
    if (h.strategy === 'store' || h.samples === 0) continue;
    if (best === undefined || h.samples > best.samples || (h.samples === best.samples && ratio(h) < ratio(best))) best = h;
  }
  return best?.strategy;
}

function ratio(h: StrategyStats): number {
  return h.bytesIn === 0 ? 1 : h.bytesOut / h.bytesIn;
}

/**
 * Returns `history` with one more result added to its strategy's totals (a
 * new array; the input is not changed). A bundle's result counts one sample
 * per chunk in it, so a type is judged after as many files either way.
 */
export function recordResult(history: readonly StrategyStats[] | undefined, strategy: Strategy, bytesIn: number, bytesOut: number, nanos: number, samples = 1): StrategyStats[] {
  const out = (history ?? []).map((h) => ({ ...h }));
  let row = out.find((h) => h.strategy === strategy);
  if (row === undefined) {
    row = { strategy, samples: 0, bytesIn: 0, bytesOut: 0, nanos: 0 };
    out.push(row);
  }
  row.samples += samples;
  row.bytesIn += bytesIn;
  row.bytesOut += bytesOut;
  row.nanos += nanos;
  return out;
}
