import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { findCuts, makeGearTable, checkChunkerParams, DEFAULT_CHUNKER_PARAMS, type ChunkerParams } from './index.ts';
import { isVaultError } from '../errors.ts';

const SMALL: ChunkerParams = { min: 2 * 1024, avg: 8 * 1024, max: 32 * 1024 };
const gear = makeGearTable(new Uint8Array(32).fill(1));

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function lengths(cuts: number[]): number[] {
  return cuts.map((c, i) => c - (i === 0 ? 0 : cuts[i - 1]!));
}

/** Feeds `data` in segments of the given sizes, carrying tails, and returns absolute cuts. */
function streamCuts(data: Uint8Array, segmentSizes: number[], params: ChunkerParams): number[] {
  const cuts: number[] = [];
  let chunkStart = 0;
  let fed = 0;
  for (let k = 0; fed < data.length; k++) {
    fed = Math.min(data.length, fed + (segmentSizes[k % segmentSizes.length] ?? 1));
    const final = fed === data.length;
    for (const c of findCuts(data.subarray(chunkStart, fed), gear, params, final)) cuts.push(chunkStart + c);
    chunkStart = cuts.length > 0 ? cuts[cuts.length - 1]! : 0;
  }
  return cuts;
}

describe('makeGearTable', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = makeGearTable(new Uint8Array(32).fill(9));
    expect(makeGearTable(new Uint8Array(32).fill(9))).toEqual(a);
    expect(makeGearTable(new Uint8Array(32).fill(10))).not.toEqual(a);
    expect(a.length).toBe(256);
    expect(new Set(a).size).toBe(256);
  });

  it('rejects a seed of the wrong size', () => {
    expect(() => makeGearTable(new Uint8Array(16))).toThrow(/32 bytes/);
  });
});

describe('findCuts', () => {
  const data = pseudoRandom(1024 * 1024, 42);

  it('is deterministic, covers the input and ends at its length when final', () => {
    const cuts = findCuts(data, gear, SMALL, true);
    expect(findCuts(data, gear, SMALL, true)).toEqual(cuts);
    expect(cuts[cuts.length - 1]).toBe(data.length);
    expect([...cuts].sort((a, b) => a - b)).toEqual(cuts);
  });

  it('keeps chunks within (min, max], except a short last chunk', () => {
    const sizes = lengths(findCuts(data, gear, SMALL, true));
    for (const s of sizes.slice(0, -1)) {
      expect(s).toBeGreaterThan(SMALL.min);
      expect(s).toBeLessThanOrEqual(SMALL.max);
    }
    expect(sizes[sizes.length - 1]!).toBeLessThanOrEqual(SMALL.max);
  });

  it('cuts uniform data at max', () => {
    const sizes = lengths(findCuts(new Uint8Array(200 * 1024), gear, SMALL, true));
    expect(sizes.slice(0, -1).every((s) => s === SMALL.max)).toBe(true);
  });

  it('averages near the target on random data', () => {
    const n = findCuts(data, gear, SMALL, true).length;
    const mean = data.length / n;
    // Level-2 normalization with min = avg / 4 gives a mean a little above avg.
    expect(mean).toBeGreaterThan(SMALL.avg * 0.8);
    expect(mean).toBeLessThan(SMALL.avg * 1.4);
  });

  it('gives different boundaries for a different seed', () => {
    const other = makeGearTable(new Uint8Array(32).fill(2));
    expect(findCuts(data, other, SMALL, true)).not.toEqual(findCuts(data, gear, SMALL, true));
  });

  it('returns one chunk for input no longer than min, and none for empty input', () => {
    expect(findCuts(data.subarray(0, SMALL.min), gear, SMALL, true)).toEqual([SMALL.min]);
    expect(findCuts(data.subarray(0, 100), gear, DEFAULT_CHUNKER_PARAMS, true)).toEqual([100]);
    expect(findCuts(new Uint8Array(0), gear, SMALL, true)).toEqual([]);
  });

  it('leaves the tail out when not final', () => {
    const whole = findCuts(data, gear, SMALL, true);
    const partial = findCuts(data, gear, SMALL, false);
    expect(partial).toEqual(whole.slice(0, partial.length));
    expect(partial.length).toBeGreaterThanOrEqual(whole.length - 2);
    expect(data.length - partial[partial.length - 1]!).toBeLessThan(SMALL.max);
    expect(findCuts(data.subarray(0, SMALL.min), gear, SMALL, false)).toEqual([]);
  });

  it('moves only the first few cuts when bytes are inserted at the front', () => {
    const original = findCuts(data, gear, SMALL, true);
    const shifted = new Uint8Array(data.length + 100);
    shifted.set(pseudoRandom(100, 7));
    shifted.set(data, 100);
    const moved = new Set(findCuts(shifted, gear, SMALL, true).map((c) => c - 100));
    const kept = original.filter((c) => moved.has(c)).length;
    expect(kept).toBeGreaterThanOrEqual(original.length - 3);
  });

  it('gives the same cuts when streamed in segments as when chunked whole', () => {
    const input = pseudoRandom(300 * 1024, 99);
    const whole = findCuts(input, gear, SMALL, true);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 80 * 1024 }), { minLength: 1, maxLength: 6 }), (segments) => {
        expect(streamCuts(input, segments, SMALL)).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects invalid params', () => {
    for (const p of [{ min: 8192, avg: 8192, max: 32768 }, { min: 2048, avg: 6000, max: 32768 }, { min: 2048, avg: 8192, max: 8192 }]) {
      let err: unknown;
      try { checkChunkerParams(p); } catch (e) { err = e; }
      expect(isVaultError(err, 'invalid-argument')).toBe(true);
    }
    expect(() => checkChunkerParams(DEFAULT_CHUNKER_PARAMS)).not.toThrow();
  });
});
