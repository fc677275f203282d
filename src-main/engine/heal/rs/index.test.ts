import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVaultError } from '../../errors.ts';
import { ReedSolomon } from './index.ts';
import { naiveEncode } from './naive.ts';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const copies = (shards: readonly Uint8Array[]): Uint8Array[] => shards.map((s) => s.slice());

function expectSameShards(actual: readonly (Uint8Array | null)[], expected: readonly Uint8Array[]): void {
  expect(actual.map((s) => (s === null ? null : Array.from(s)))).toEqual(expected.map((s) => Array.from(s)));
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** k, m, shard size, then k data shards of that size and a set of at most `lost(m)` shard indices. */
function group(maxK: number, maxM: number, maxSize: number, lost: (m: number) => { min: number; max: number }) {
  return fc
    .record({ k: fc.integer({ min: 1, max: maxK }), m: fc.integer({ min: 1, max: maxM }), size: fc.integer({ min: 0, max: maxSize }) })
    .chain(({ k, m, size }) =>
      fc.record({
        k: fc.constant(k),
        m: fc.constant(m),
        data: fc.array(fc.uint8Array({ minLength: size, maxLength: size }), { minLength: k, maxLength: k }),
        lost: fc.shuffledSubarray(
          Array.from({ length: k + m }, (_, i) => i),
          { minLength: lost(m).min, maxLength: lost(m).max },
        ),
      }),
    );
}

describe('ReedSolomon.encode', () => {
  it('matches a hand-worked k = 2, m = 2 group', () => {
    // P = [[1, 1], [1, 0x46]] (see matrix.test.ts): p0 = d0 ^ d1, p1 = d0 ^ 0x46·d1.
    const parity = new ReedSolomon(2, 2).encode([bytes(0x01, 0x00, 0xff), bytes(0x01, 0x02, 0x00)]);
    expectSameShards(parity, [bytes(0x00, 0x02, 0xff), bytes(0x47, 0x8c, 0xff)]);
  });

  it('with one parity shard is the XOR of the data', () => {
    const parity = new ReedSolomon(3, 1).encode([bytes(1, 2), bytes(4, 8), bytes(16, 32)]);
    expectSameShards(parity, [bytes(21, 42)]);
  });

  it('equals a naive matrix multiply for any k, m ≤ 20', () => {
    fc.assert(
      fc.property(group(20, 20, 40, () => ({ min: 0, max: 0 })), ({ k, m, data }) => {
        expectSameShards(new ReedSolomon(k, m).encode(data), naiveEncode(k, m, data));
      }),
      { numRuns: 150 },
    );
  });

  it('takes the fast path on large, misaligned shards with the same result', () => {
    const size = 40_000;
    const rs = new ReedSolomon(3, 2);
    // Offsets chosen so that every kernel path runs: aligned XOR with a head
    // (parity 0 and data 0 share offset 1), the byte loop (data 1 against
    // parity 1) and the wide-table word loop (data 2 against parity 1).
    const data = [1, 2, 0].map((offset, j) => {
      const view = new Uint8Array(size + offset).subarray(offset);
      for (let i = 0; i < size; i++) view[i] = (i * (j + 3) + (i >>> 9)) & 0xff;
      return view;
    });
    const parity = [new Uint8Array(size + 1).subarray(1), new Uint8Array(size)];
    rs.encodeInto(data, parity);
    expectSameShards(parity, naiveEncode(3, 2, data));
  });

  it('rejects wrong shard counts and unequal sizes', () => {
    const rs = new ReedSolomon(2, 1);
    expect(isVaultError(thrown(() => rs.encode([bytes(1)])), 'internal')).toBe(true);
    expect(isVaultError(thrown(() => rs.encode([bytes(1), bytes(1, 2)])), 'internal')).toBe(true);
    expect(isVaultError(thrown(() => rs.encodeInto([bytes(1), bytes(2)], [bytes(0, 0)])), 'internal')).toBe(true);
  });

  it('rejects impossible group shapes', () => {
    expect(thrown(() => new ReedSolomon(0, 1))).toBeDefined();
    expect(thrown(() => new ReedSolomon(2, -1))).toBeDefined();
    expect(thrown(() => new ReedSolomon(200, 57))).toBeDefined();
    expect(new ReedSolomon(200, 56).totalShards).toBe(256);
  });
});

describe('ReedSolomon.reconstruct', () => {
  it('restores every shard from any k of them, for k, m ≤ 20', () => {
    fc.assert(
      fc.property(group(20, 20, 24, (m) => ({ min: 0, max: m })), ({ k, m, data, lost }) => {
        const rs = new ReedSolomon(k, m);
        const all = [...data, ...rs.encode(data)];
        const shards: (Uint8Array | null)[] = copies(all);
        for (const i of lost) shards[i] = null;
        rs.reconstruct(shards);
        expectSameShards(shards, all);
      }),
      { numRuns: 200 },
    );
  });

  it('restores from exactly k shards, whichever m are lost', () => {
    fc.assert(
      fc.property(group(12, 12, 8, (m) => ({ min: m, max: m })), ({ k, m, data, lost }) => {
        const rs = new ReedSolomon(k, m);
        const all = [...data, ...rs.encode(data)];
        const shards: (Uint8Array | null)[] = copies(all);
        for (const i of lost) shards[i] = null;
        rs.reconstruct(shards);
        expectSameShards(shards, all);
      }),
      { numRuns: 150 },
    );
  });

  it('rebuilds lost parity alone from intact data', () => {
    const rs = new ReedSolomon(4, 3);
    const data = [bytes(1, 2, 3), bytes(4, 5, 6), bytes(7, 8, 9), bytes(10, 11, 12)];
    const all = [...data, ...rs.encode(data)];
    const shards: (Uint8Array | null)[] = [...copies(data), null, all[5]!.slice(), null];
    rs.reconstruct(shards);
    expectSameShards(shards, all);
  });

  it('fills only data shards when asked to', () => {
    const rs = new ReedSolomon(3, 2);
    const data = [bytes(1, 2), bytes(3, 4), bytes(5, 6)];
    const [p0, p1] = rs.encode(data);
    const shards: (Uint8Array | null)[] = [null, data[1]!.slice(), data[2]!.slice(), p0!, null];
    rs.reconstruct(shards, { dataOnly: true });
    expectSameShards(shards.slice(0, 4), [...data, p0!]);
    expect(shards[4]).toBeNull();
    expect(p1).toBeDefined();
  });

  it('repairs large, misaligned shards through the fast kernel', () => {
    const size = 50_001;
    const rs = new ReedSolomon(5, 2);
    const data = Array.from({ length: 5 }, (_, j) => Uint8Array.from({ length: size }, (_, i) => (i * 131 + j * 17 + (i >>> 8)) & 0xff));
    const all = [...data, ...rs.encode(data)];
    const shards: (Uint8Array | null)[] = all.map((s, i) => {
      const view = new Uint8Array(size + (i % 4)).subarray(i % 4);
      view.set(s);
      return view;
    });
    shards[1] = null;
    shards[3] = null;
    rs.reconstruct(shards);
    expectSameShards(shards, all);
  });

  it('repairs a full 256-shard group that lost every parity-count shard', () => {
    const rs = new ReedSolomon(250, 6);
    const data = Array.from({ length: 250 }, (_, j) => Uint8Array.from({ length: 8 }, (_, i) => (j * 8 + i) & 0xff));
    const all = [...data, ...rs.encode(data)];
    const shards: (Uint8Array | null)[] = copies(all);
    for (const i of [0, 7, 100, 249, 250, 255]) shards[i] = null;
    rs.reconstruct(shards);
    expectSameShards(shards, all);
  });

  it('says the group cannot be repaired when fewer than k shards are intact, and changes nothing', () => {
    const rs = new ReedSolomon(3, 2);
    const data = [bytes(1), bytes(2), bytes(3)];
    const shards: (Uint8Array | null)[] = [null, data[1]!, null, null, rs.encode(data)[1]!];
    const before = shards.slice();
    const err = thrown(() => rs.reconstruct(shards));
    expect(isVaultError(err, 'damaged-data')).toBe(true);
    expect((err as Error).message).toMatch(/Only 2 of 5 shards .* 3 are needed/);
    expect(shards).toEqual(before);
  });

  it('rejects a wrong shard count or unequal sizes', () => {
    const rs = new ReedSolomon(2, 1);
    expect(isVaultError(thrown(() => rs.reconstruct([bytes(1), null])), 'internal')).toBe(true);
    expect(isVaultError(thrown(() => rs.reconstruct([bytes(1), bytes(1, 2), null])), 'internal')).toBe(true);
  });

  it('leaves a complete group alone', () => {
    const rs = new ReedSolomon(2, 1);
    const shards: (Uint8Array | null)[] = [bytes(1), bytes(2), bytes(3)];
    rs.reconstruct(shards);
    expectSameShards(shards, [bytes(1), bytes(2), bytes(3)]);
  });
});

describe('ReedSolomon.updateParity', () => {
  it('equals a full re-encode when a shard changes or joins empty, shorter ones zero-padded', () => {
    const change = group(12, 6, 32, () => ({ min: 0, max: 0 })).chain((g) =>
      fc.record({
        g: fc.constant(g),
        slot: fc.integer({ min: 0, max: g.k - 1 }),
        joinsEmpty: fc.boolean(),
        next: fc.uint8Array({ maxLength: g.data[0]!.length }),
      }),
    );
    fc.assert(
      fc.property(change, ({ g, slot, joinsEmpty, next }) => {
        const { k, m } = g;
        const rs = new ReedSolomon(k, m);
        const size = g.data[0]!.length;
        const before = copies(g.data);
        if (joinsEmpty) before[slot] = new Uint8Array(size);
        const parity = rs.encode(before);
        rs.updateParity(parity, slot, joinsEmpty ? null : before[slot]!, next);
        const after = copies(before);
        after[slot] = new Uint8Array(size);
        after[slot].set(next);
        expectSameShards(parity, rs.encode(after));
      }),
      { numRuns: 150 },
    );
  });

  it('rejects a parity index as the changed shard and oversized data', () => {
    const rs = new ReedSolomon(2, 1);
    const parity = [new Uint8Array(4)];
    expect(isVaultError(thrown(() => rs.updateParity(parity, 2, null, bytes(1))), 'internal')).toBe(true);
    expect(isVaultError(thrown(() => rs.updateParity(parity, 0, null, new Uint8Array(5))), 'internal')).toBe(true);
  });
});
