import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReedSolomon } from './index.ts';
import { correctScattered } from './locate.ts';

const SIZE = 512;

/** A codeword of k data and m parity symbols, the CRC of each, and a copy to damage. */
function codeword(k: number, m: number) {
  const rs = new ReedSolomon(k, m);
  const data = Array.from({ length: k }, () => new Uint8Array(randomBytes(SIZE)));
  const symbols = [...data, ...rs.encode(data)];
  const crcs = symbols.map((s) => crc32(s));
  const intact = (i: number, bytes: Uint8Array) => crc32(bytes) === crcs[i];
  return { rs, symbols, damaged: symbols.map((s) => s.slice()), intact };
}

function expectRebuilt(fixed: Map<number, Uint8Array> | undefined, symbols: readonly Uint8Array[], suspects: readonly number[]): void {
  expect(fixed).toBeDefined();
  expect([...fixed!.keys()].sort((a, b) => a - b)).toEqual([...suspects].sort((a, b) => a - b));
  for (const i of suspects) expect(Buffer.from(fixed!.get(i)!).equals(Buffer.from(symbols[i]!))).toBe(true);
}

describe('correctScattered', () => {
  it('places and undoes one flipped byte in each of more damaged symbols than parity symbols (k = 20, m = 2)', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(Array.from({ length: 22 }, (_, i) => i), { minLength: 3, maxLength: 8 }),
        fc.uniqueArray(fc.integer({ min: 0, max: SIZE - 1 }), { minLength: 8, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 8, maxLength: 8 }),
        (suspects, offsets, masks) => {
          const { rs, symbols, damaged, intact } = codeword(20, 2);
          suspects.forEach((i, n) => (damaged[i]![offsets[n]!]! ^= masks[n]!));
          expectRebuilt(correctScattered(rs, damaged, suspects, intact), symbols, suspects);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('decodes as erasures the symbols that share a damaged offset, once the others are corrected', () => {
    const { rs, symbols, damaged, intact } = codeword(20, 2);
    // 3 and 7 are both wrong at offset 100: no single error to place there; 12 is wrong elsewhere.
    damaged[3]![100]! ^= 0x21;
    damaged[7]![100]! ^= 0x5a;
    damaged[12]![400]! ^= 0x01;
    expectRebuilt(correctScattered(rs, damaged, [3, 7, 12], intact), symbols, [3, 7, 12]);
  });

  it('gives nothing, never wrong bytes, when the damage is too dense to place', () => {
    const { rs, damaged, intact } = codeword(20, 2);
    // Three symbols wrong at the same offsets: more errors per byte than two parity symbols place.
    for (const i of [0, 5, 21]) for (const at of [10, 11, 300]) damaged[i]![at]! ^= 0x80 | i;
    expect(correctScattered(rs, damaged, [0, 5, 21], intact)).toBeUndefined();
    // A symbol garbled whole, with two others damaged.
    const garbled = codeword(20, 2);
    garbled.damaged[4] = new Uint8Array(randomBytes(SIZE));
    garbled.damaged[9]![7]! ^= 1;
    garbled.damaged[20]![8]! ^= 1;
    garbled.damaged[14]![7]! ^= 2;
    expect(correctScattered(garbled.rs, garbled.damaged, [4, 9, 14, 20], garbled.intact)).toBeUndefined();
  });

  it('does not try with one parity symbol, which can tell an error from none but not place it', () => {
    const { rs, damaged, intact } = codeword(10, 1);
    damaged[2]![5]! ^= 1;
    damaged[6]![9]! ^= 1;
    expect(correctScattered(rs, damaged, [2, 6], intact)).toBeUndefined();
  });

  it('corrects only suspects, and gives nothing when a wrong symbol that is not one shares an offset with one', () => {
    const { rs, symbols, damaged, intact } = codeword(20, 2);
    damaged[1]![50]! ^= 9;
    damaged[2]![60]! ^= 9;
    damaged[3]![70]! ^= 9;
    damaged[8]![80]! ^= 9; // wrong, but not reported as failing its CRC: not a suspect
    expectRebuilt(correctScattered(rs, damaged, [1, 2, 3], intact), symbols, [1, 2, 3]);
    damaged[8]![50]! ^= 4; // now also where suspect 1 is wrong
    expect(correctScattered(rs, damaged, [1, 2, 3], intact)).toBeUndefined();
  });
});
