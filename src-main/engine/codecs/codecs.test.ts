import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  Codec, chooseStrategy, decode, encode, fileTypeKey, isFloatLike, looksIncompressible, recordResult,
  MIN_SAMPLES, EXPLORE_EVERY, type Strategy, type StrategyStats,
} from './index.ts';
import { shuffle2, shuffle4, unshuffle2, unshuffle4 } from './shuffle.ts';
import { isVaultError } from '../errors.ts';

const STRATEGIES: Strategy[] = ['store', 'zstd', 'shuffle4-zstd', 'shuffle2-zstd'];

const jsText = Buffer.from(
  Array.from({ length: 400 }, (_, i) => `export function handler${i}(req, res) {\n  return res.status(${200 + (i % 7)}).json({ ok: true, id: ${i} });\n}\n`).join(''),
);

function sineFloats(n: number): Uint8Array {
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = Math.sin(i / 100) * 3 + Math.sin(i / 7) * 0.1;
  return new Uint8Array(f.buffer);
}

function expectKind(fn: () => unknown, kind: string): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(isVaultError(err)).toBe(true);
  expect((err as { kind: string }).kind).toBe(kind);
}

describe('shuffle', () => {
  it('is undone by unshuffle for any length', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      expect(unshuffle4(shuffle4(b))).toEqual(b);
      expect(unshuffle2(shuffle2(b))).toEqual(b);
    }));
  });

  it('groups byte lanes', () => {
    expect([...shuffle4(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9))]).toEqual([1, 5, 2, 6, 3, 7, 4, 8, 9]);
  });
});

describe('encode / decode', () => {
  it('round-trips any bytes with any strategy', () => {
    const data = fc.oneof(fc.uint8Array({ maxLength: 5000 }), fc.string({ maxLength: 3000 }).map((s) => new TextEncoder().encode(s.repeat(3))));
    fc.assert(fc.property(data, fc.constantFrom<Strategy | undefined>(undefined, ...STRATEGIES), fc.constantFrom(undefined, '.js|none', '.npy|npy'), (bytes, strategy, typeKey) => {
      const e = encode(bytes, strategy, typeKey);
      expect(e.payload.length).toBeLessThanOrEqual(bytes.length);
      expect(decode(e.codec, e.payload, bytes.length)).toEqual(Buffer.from(bytes));
    }), { numRuns: 200 });
  });

  it('compresses text with zstd', () => {
    const e = encode(jsText, undefined);
    expect(e.strategy).toBe('zstd');
    expect(e.codec).toBe(Codec.zstd);
    expect(e.payload.length).toBeLessThan(jsText.length / 5);
  });

  it('stores random bytes raw, even when asked for zstd or typed as floats', () => {
    const data = randomBytes(64 * 1024);
    for (const [s, typeKey] of [[undefined, undefined], ['zstd', undefined], [undefined, '.bin|none']] as const) {
      const e = encode(data, s, typeKey);
      expect(e).toMatchObject({ codec: Codec.raw, strategy: 'store' });
      expect(e.payload).toBe(data);
    }
  });

  it('picks the byte shuffle for a float32 array', () => {
    const data = sineFloats(64 * 1024);
    const plain = encode(data, 'zstd');
    const e = encode(data, undefined, fileTypeKey('wave.f32', data));
    expect(e.strategy).toBe('shuffle4-zstd');
    expect(e.payload.length).toBeLessThan(plain.payload.length * 0.8);
    expect(decode(e.codec, e.payload, data.length)).toEqual(Buffer.from(data));
  });

  it('rejects an unknown codec, garbage and a wrong length as damaged data', () => {
    const e = encode(jsText, 'zstd');
    expectKind(() => decode(9, e.payload, jsText.length), 'damaged-data');
    expectKind(() => decode(Codec.zstd, randomBytes(100), 1000), 'damaged-data');
    expectKind(() => decode(Codec.zstd, e.payload, jsText.length - 1), 'damaged-data');
    expectKind(() => decode(Codec.zstd, e.payload, jsText.length + 1), 'damaged-data');
    expectKind(() => decode(Codec.raw, jsText, jsText.length + 1), 'damaged-data');
    expectKind(() => decode(Codec.shuffle4Zstd, e.payload.subarray(0, e.payload.length - 5), jsText.length), 'damaged-data');
  });
});

describe('fileTypeKey and looksIncompressible', () => {
  it('keys files by extension and magic bytes', () => {
    expect(fileTypeKey('src/App.JS', jsText)).toBe('.js|none');
    expect(fileTypeKey('a/b.tar.gz', gzipSync(jsText))).toBe('.gz|gzip');
    expect(fileTypeKey('Makefile', jsText)).toBe('|none');
    expect(fileTypeKey('.bashrc', jsText)).toBe('|none');
    expect(fileTypeKey('x.png', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0))).toBe('.png|png');
    expect(fileTypeKey('m.npy', Uint8Array.of(0x93, ...Buffer.from('NUMPY')))).toBe('.npy|npy');
    expect(fileTypeKey('v.mp4', Buffer.from('\0\0\0\x18ftypisom'))).toBe('.mp4|mp4');
    expect(fileTypeKey('i.webp', Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('.webp|webp');
    const header = Buffer.from('{"w":{"dtype":"F32"}}');
    const st = Buffer.alloc(8 + header.length);
    st.writeBigUInt64LE(BigInt(header.length));
    header.copy(st, 8);
    expect(fileTypeKey('model.safetensors', st)).toBe('.safetensors|safetensors');
    expect(isFloatLike('.safetensors|safetensors')).toBe(true);
    expect(isFloatLike('.js|none')).toBe(false);
  });

  it('flags random bytes and gzip, not text or floats', () => {
    expect(looksIncompressible(randomBytes(8192))).toBe(true);
    expect(looksIncompressible(gzipSync(jsText))).toBe(true);
    expect(looksIncompressible(jsText)).toBe(false);
    expect(looksIncompressible(sineFloats(2048))).toBe(false);
    expect(looksIncompressible(randomBytes(100))).toBe(false);
  });

  it('looks past a random-looking head: an executable with tables further in is compressible', () => {
    const binary = Buffer.concat([randomBytes(64 * 1024), Buffer.alloc(64 * 1024, jsText)]);
    expect(looksIncompressible(binary)).toBe(false);
    expect(encode(binary, undefined).strategy).toBe('zstd');
    expect(looksIncompressible(randomBytes(64 * 1024))).toBe(true);
  });

  it('trusts a compressed format only when its middle looks random too', () => {
    const pngMagic = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    const deflated = Buffer.concat([pngMagic, randomBytes(40 * 1024)]);
    const storedPixels = Buffer.concat([pngMagic, randomBytes(4096), Buffer.alloc(40 * 1024, jsText)]);
    expect(looksIncompressible(deflated)).toBe(true);
    expect(looksIncompressible(storedPixels)).toBe(false);
    expect(looksIncompressible(Buffer.concat([pngMagic, randomBytes(500)]))).toBe(true);
  });
});

describe('chooseStrategy', () => {
  function history(results: [Strategy, number, number][]): StrategyStats[] {
    let h: StrategyStats[] = [];
    for (const [s, i, o] of results) h = recordResult(h, s, i, o, 1000);
    return h;
  }
  const n = MIN_SAMPLES + 1;

  it('explores without enough history', () => {
    expect(chooseStrategy(undefined)).toBeUndefined();
    expect(chooseStrategy(history(Array(MIN_SAMPLES - 1).fill(['zstd', 100, 20])))).toBeUndefined();
  });

  it('goes straight to store when compression did not pay', () => {
    expect(chooseStrategy(history(Array(n).fill(['store', 100, 100])))).toBe('store');
    expect(chooseStrategy(history([...Array(n).fill(['store', 100, 100]), ['zstd', 100, 98]]))).toBe('store');
  });

  it('picks the strategy that won most often', () => {
    expect(chooseStrategy(history(Array(n).fill(['zstd', 100, 20])))).toBe('zstd');
    expect(chooseStrategy(history([...Array(n).fill(['shuffle4-zstd', 100, 50]), ['zstd', 100, 60]]))).toBe('shuffle4-zstd');
  });

  it('re-explores every EXPLORE_EVERY samples', () => {
    expect(chooseStrategy(history(Array(EXPLORE_EVERY).fill(['store', 100, 100])))).toBeUndefined();
  });

  it('records results without changing its input', () => {
    const h = history([['zstd', 10, 5]]);
    const h2 = recordResult(h, 'zstd', 10, 4, 7);
    expect(h[0]).toEqual({ strategy: 'zstd', samples: 1, bytesIn: 10, bytesOut: 5, nanos: 1000 });
    expect(h2[0]).toEqual({ strategy: 'zstd', samples: 2, bytesIn: 20, bytesOut: 9, nanos: 1007 });
  });

  it('counts a bundle as one sample per chunk in it, so one bundle of enough files decides', () => {
    const h = recordResult(undefined, 'zstd', 100_000, 20_000, 5000, 40);
    expect(h[0]!.samples).toBe(40);
    expect(chooseStrategy(h)).toBe('zstd');
    expect(chooseStrategy(recordResult(undefined, 'store', 100_000, 100_000, 5000, 40))).toBe('store');
  });
});
