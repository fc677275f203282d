import { describe, expect, it } from 'vitest';
import { mapLimited } from './limited.ts';

describe('mapLimited', () => {
  it('keeps at most `limit` calls pending and returns results in input order', async () => {
    let pending = 0;
    let most = 0;
    const out = await mapLimited([5, 1, 4, 2, 3], 2, async (n) => {
      most = Math.max(most, ++pending);
      await new Promise((r) => setTimeout(r, n));
      pending--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('throws the first failure only after every started call has settled, and starts no more', async () => {
    const settled: number[] = [];
    const started: number[] = [];
    const err = await mapLimited([1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('one');
      await new Promise((r) => setTimeout(r, 20));
      settled.push(n);
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('one');
    expect(started).toEqual([1, 2]);
    expect(settled).toEqual([2]);
  });
});
