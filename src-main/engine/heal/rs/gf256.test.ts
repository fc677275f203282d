import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVaultError } from '../../errors.ts';
import { gfDiv, gfExp, gfInv, gfMul, mulXor, mulXorRuns, xorInto } from './gf256.ts';
import { naiveMul } from './naive.ts';
import { mulberry32 } from '../../../../test/prng.ts';

describe('GF(256) arithmetic', () => {
  it('matches hand-worked values for the polynomial 0x11d', () => {
    expect(gfMul(2, 0x80)).toBe(0x1d); // x · x^7 = x^8 ≡ x^4 + x^3 + x^2 + 1
    expect(gfMul(3, 3)).toBe(5); // (x + 1)^2 = x^2 + 1
    expect(gfInv(2)).toBe(0x8e); // 2 · 0x8e = 0x11c ≡ 1
    expect(gfInv(3)).toBe(0xf4);
    expect(gfInv(4)).toBe(0x47); // 4 · 0x47 = 0x11c ≡ 1
    expect(gfExp(8)).toBe(0x1d);
    expect(gfExp(255)).toBe(1);
  });

  it('multiplies like shift-and-add for every pair', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        if (gfMul(a, b) !== naiveMul(a, b)) expect.fail(`${a} · ${b}`);
      }
    }
  });

  it('inverts and divides', () => {
    for (let a = 1; a < 256; a++) {
      expect(gfMul(a, gfInv(a))).toBe(1);
      for (let b = 1; b < 256; b += 17) expect(gfMul(gfDiv(a, b), b)).toBe(a);
    }
    expect(gfDiv(0, 7)).toBe(0);
    expect(() => gfInv(0)).toThrow();
    expect(() => gfDiv(1, 0)).toThrow();
  });
});

/** dst and src as views at the given byte offsets into fresh buffers. */
function at(offset: number, bytes: Uint8Array): Uint8Array {
  const view = new Uint8Array(bytes.length + offset).subarray(offset);
  view.set(bytes);
  return view;
}

function expectedMulXor(dst: Uint8Array, src: Uint8Array, c: number): Uint8Array {
  return dst.map((d, i) => d ^ naiveMul(c, src[i]!));
}

describe('mulXor', () => {
  // Lengths around the kernel's thresholds (4 KiB word path, 32 KiB table build)
  // and every combination of byte offsets, so head, word and tail loops all run.
  const length = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 4090, max: 4200 }), fc.integer({ min: 32760, max: 33000 }));

  it('adds c times src into dst at any length and alignment', () => {
    fc.assert(
      fc.property(length, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 }), fc.integer(), (n, dstOff, srcOff, c, seed) => {
        const rand = mulberry32(seed);
        const src = at(srcOff, Uint8Array.from({ length: n }, () => Math.floor(rand() * 256)));
        const dst = at(dstOff, Uint8Array.from({ length: n }, () => Math.floor(rand() * 256)));
        const expected = expectedMulXor(dst, src, c);
        mulXor(dst, src, c);
        expect(Buffer.from(dst).equals(Buffer.from(expected))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('uses the cached wide table on repeated short spans the same way', () => {
    const src = at(0, Uint8Array.from({ length: 70000 }, (_, i) => (i * 31) & 0xff));
    const dst = new Uint8Array(70000);
    mulXor(dst, src, 0x53); // builds the wide table for 0x53
    const small = src.subarray(4, 8004);
    const target = new Uint8Array(8000);
    mulXor(target, small, 0x53);
    expect(Buffer.from(target).equals(Buffer.from(expectedMulXor(new Uint8Array(8000), small, 0x53)))).toBe(true);
  });

  it('xorInto is mulXor by one', () => {
    const src = at(1, Uint8Array.from({ length: 9000 }, (_, i) => i & 0xff));
    const dst = at(1, Uint8Array.from({ length: 9000 }, (_, i) => (i * 7) & 0xff));
    const expected = dst.map((d, i) => d ^ src[i]!);
    xorInto(dst, src);
    expect(Buffer.from(dst).equals(Buffer.from(expected))).toBe(true);
  });

  it('rejects arrays of different lengths', () => {
    let caught: unknown;
    try {
      mulXor(new Uint8Array(4), new Uint8Array(5), 3);
    } catch (err) {
      caught = err;
    }
    expect(isVaultError(caught, 'internal')).toBe(true);
  });
});


describe('mulXorRuns', () => {
  it('equals mulXor run by run, on the word path (long, aligned) and the byte path (short or unaligned)', () => {
    for (const [run, stride, count, dstAt, srcAt, shift] of [
      [512, 1024, 80, 512, 0, 0],
      [512, 1024, 3, 0, 512, 0],
      [12, 40, 7, 4, 8, 0],
      [512, 1024, 80, 0, 0, 1],
    ] as const) {
      const size = (count - 1) * stride + run + 1024;
      const src = new Uint8Array(size + shift).subarray(shift).map((_, i) => (i * 37 + 11) & 0xff);
      const dst = new Uint8Array(size).map((_, i) => (i * 91 + 5) & 0xff);
      const want = new Uint8Array(dst);
      for (let k = 0; k < count; k++) mulXor(want.subarray(dstAt + k * stride, dstAt + k * stride + run), src.subarray(srcAt + k * stride, srcAt + k * stride + run), 0x53);
      mulXorRuns(dst, dstAt, src, srcAt, run, stride, count, 0x53);
      expect(Buffer.from(dst).equals(Buffer.from(want))).toBe(true);
    }
  });

  it('refuses runs past the end of either array', () => {
    expect(() => mulXorRuns(new Uint8Array(1000), 0, new Uint8Array(2000), 0, 512, 1024, 2, 7)).toThrow(/past the end/);
  });
});
