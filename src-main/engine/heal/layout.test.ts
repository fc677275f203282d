import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeDescriptor, encodeDescriptor, foldCell, gatherCell, grownShardLength, parityShardsFor, parseParityName, sizeClassOf, stripeCrcs } from './layout.ts';
import { ReedSolomon } from './rs/index.ts';
import type { GroupDescriptor } from './layout.ts';

/** Version 1 (20 members, 2 parity files, 1 KiB stripes, one per row) or version 2 (10, 1, 512 B, two per row). */
function sample(version: 1 | 2 = 2): GroupDescriptor {
  const a = randomBytes(5000);
  const b = randomBytes(1500);
  const [capacity, parityCount, stripeBytes, cells, shardLength] = version === 1 ? [20, 2, 1024, 1, 5000] : [10, 1, 512, 2, 5120];
  return {
    groupId: randomBytes(16).toString('hex'),
    sizeClass: 'small',
    capacity,
    parityCount,
    stripeBytes,
    cells,
    shardLength,
    members: [
      { packId: randomBytes(16).toString('hex'), length: a.length },
      { packId: randomBytes(16).toString('hex'), length: b.length },
    ],
    memberCrcs: [stripeCrcs(a, stripeBytes), stripeCrcs(b, stripeBytes)],
    parityCrcs: Array.from({ length: parityCount }, () => stripeCrcs(randomBytes(shardLength), stripeBytes)),
  };
}

describe('parity layout', () => {
  it('round-trips descriptors of both versions exactly, writing version 1 for one stripe per row', () => {
    const v1 = sample(1);
    const bytes1 = encodeDescriptor(v1);
    expect(bytes1[8]).toBe(1);
    const decoded1 = decodeDescriptor(bytes1)!;
    expect(decoded1).toEqual(v1);
    expect(decoded1.memberCrcs.map((c) => c.length)).toEqual([5, 2]);
    const v2 = sample(2);
    const bytes2 = encodeDescriptor(v2);
    expect(bytes2[8]).toBe(2);
    const decoded2 = decodeDescriptor(bytes2)!;
    expect(decoded2).toEqual(v2);
    expect(decoded2.memberCrcs.map((c) => c.length)).toEqual([10, 3]);
  });

  it('rejects a descriptor with any byte changed, truncated or extended', () => {
    for (const version of [1, 2] as const) {
      const bytes = encodeDescriptor(sample(version));
      for (let i = 0; i < bytes.length; i += 7) {
        const damaged = Buffer.from(bytes);
        damaged[i]! ^= 0x01;
        expect(decodeDescriptor(damaged)).toBeUndefined();
      }
      for (const cut of [1, 40, bytes.length - 20]) expect(decodeDescriptor(bytes.subarray(0, bytes.length - cut))).toBeUndefined();
      expect(decodeDescriptor(Buffer.concat([bytes, Buffer.of(0)]))).toBeUndefined();
    }
  });

  it('folds members cell by cell into the parity of rows of two stripes: any two lost stripes of a row come back', () => {
    const S = 512;
    const C = 2;
    const K = 10;
    const rs = new ReedSolomon(K * C, C);
    // Members of uneven lengths (one ends inside a row's first cell, one inside its second).
    const members = [5000, 1500, 3000, 700].map((n) => new Uint8Array(randomBytes(n)));
    let shardLength = 0;
    for (const m of members) shardLength = grownShardLength({ stripeBytes: S, cells: C, shardLength }, m.length);
    expect(shardLength).toBe(5120);
    const parity = new Uint8Array(shardLength);
    members.forEach((m, i) => {
      for (let e = 0; e < C; e++) for (let c = 0; c < C; c++) foldCell(parity, m, e, c, C, S, rs.coefficient(e, i * C + c));
    });
    // The same as encoding the symbols (cells gathered row by row) directly.
    const padded = members.map((m) => {
      const out = new Uint8Array(shardLength);
      out.set(m);
      return out;
    });
    const symbols = Array.from({ length: K * C }, (_, v) => (v < members.length * C ? gatherCell(padded[Math.floor(v / C)]!, v % C, C, S) : new Uint8Array(shardLength / C)));
    const expected = rs.encode(symbols);
    for (let e = 0; e < C; e++) expect(Buffer.from(gatherCell(parity, e, C, S)).equals(Buffer.from(expected[e]!))).toBe(true);
    // A whole lost member (both cells of every row), or one cell of two members, is rebuilt.
    for (const lost of [[0, 1], [1, 6], [2, K * C + 1]]) {
      const codeword: (Uint8Array | null)[] = [...symbols, gatherCell(parity, 0, C, S), gatherCell(parity, 1, C, S)];
      const want = lost.map((v) => codeword[v]!);
      for (const v of lost) codeword[v] = null;
      rs.reconstruct(codeword);
      lost.forEach((v, n) => expect(Buffer.from(codeword[v]!).equals(Buffer.from(want[n]!))).toBe(true));
    }
  });

  it('chooses parity shards from the redundancy and size classes from the pack size', () => {
    expect(parityShardsFor(0)).toBe(0);
    expect(parityShardsFor(0.05)).toBe(1);
    expect(parityShardsFor(0.1)).toBe(1);
    expect(parityShardsFor(0.25)).toBe(3);
    expect(parityShardsFor(2)).toBe(20);
    expect(parityShardsFor(0.1, 20, 1)).toBe(2);
    expect(sizeClassOf(1000)).toBe('small');
    expect(sizeClassOf(16 << 20)).toBe('large');
  });

  it('names parity files so a person can tell what they are', () => {
    const id = 'ab'.repeat(16);
    expect(parseParityName(`${id}.group`)).toEqual({ groupId: id, shard: null });
    expect(parseParityName(`${id}.1.parity`)).toEqual({ groupId: id, shard: 1 });
    expect(parseParityName('settings.json')).toBeUndefined();
  });
});
