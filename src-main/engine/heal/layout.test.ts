import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeDescriptor, encodeDescriptor, parityShardsFor, parseParityName, sizeClassOf, stripeCrcs } from './layout.ts';
import type { GroupDescriptor } from './layout.ts';

function sample(): GroupDescriptor {
  const a = randomBytes(5000);
  const b = randomBytes(1500);
  return {
    groupId: randomBytes(16).toString('hex'),
    sizeClass: 'small',
    capacity: 20,
    parityCount: 2,
    stripeBytes: 1024,
    shardLength: 5000,
    members: [
      { packId: randomBytes(16).toString('hex'), length: a.length },
      { packId: randomBytes(16).toString('hex'), length: b.length },
    ],
    memberCrcs: [stripeCrcs(a), stripeCrcs(b)],
    parityCrcs: [stripeCrcs(randomBytes(5000)), stripeCrcs(randomBytes(5000))],
  };
}

describe('parity layout', () => {
  it('round-trips a descriptor exactly', () => {
    const d = sample();
    const decoded = decodeDescriptor(encodeDescriptor(d))!;
    expect(decoded).toEqual(d);
    expect(decoded.memberCrcs[0]).toHaveLength(5);
    expect(decoded.memberCrcs[1]).toHaveLength(2);
  });

  it('rejects a descriptor with any byte changed, truncated or extended', () => {
    const bytes = encodeDescriptor(sample());
    for (let i = 0; i < bytes.length; i += 7) {
      const damaged = Buffer.from(bytes);
      damaged[i]! ^= 0x01;
      expect(decodeDescriptor(damaged)).toBeUndefined();
    }
    expect(decodeDescriptor(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    expect(decodeDescriptor(Buffer.concat([bytes, Buffer.of(0)]))).toBeUndefined();
  });

  it('chooses parity shards from the redundancy and size classes from the pack size', () => {
    expect(parityShardsFor(0)).toBe(0);
    expect(parityShardsFor(0.05)).toBe(1);
    expect(parityShardsFor(0.1)).toBe(2);
    expect(parityShardsFor(0.25)).toBe(5);
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
