import { zstdCompressSync, zstdDecompressSync, constants } from 'node:zlib';
import { VaultError } from '../errors.ts';
import { isFloatLike, looksIncompressible, looksRandom } from './filetype.ts';
import { shuffle2, shuffle4, unshuffle2, unshuffle4 } from './shuffle.ts';

/** Codec ids as stored in sealed blobs. Part of the vault format. */
export const Codec = { raw: 0, zstd: 1, shuffle4Zstd: 2, shuffle2Zstd: 3 } as const;
export type Codec = (typeof Codec)[keyof typeof Codec];

export type Strategy = 'store' | 'zstd' | 'shuffle4-zstd' | 'shuffle2-zstd';

const CODEC_OF: Readonly<Record<Strategy, Codec>> = {
  store: Codec.raw,
  zstd: Codec.zstd,
  'shuffle4-zstd': Codec.shuffle4Zstd,
  'shuffle2-zstd': Codec.shuffle2Zstd,
};

/**
 * Level 3, measured against 1 on 1 MiB pieces of npm-installed JavaScript
 * (Node 24, one core): level 1 ~330 MB/s at ratio 0.222, level 3 ~260 MB/s
 * at 0.196. Each unique chunk is compressed once but stored for every later
 * snapshot, so 12 % less data on disk is worth 20 % more time on the first
 * backup; level 3 also matches restic's default, which users compare sizes with.
 */
export const ZSTD_LEVEL = 3;

/** Compression must save at least this share of the raw size, else the blob is stored raw. */
export const MIN_SAVING = 0.03;

export interface Encoded {
  codec: number;
  payload: Uint8Array;
  /** The strategy that produced `payload`: 'store' when compression did not pay. */
  strategy: Strategy;
}

/**
 * Compresses one blob. `strategy` undefined means there is no history for
 * this kind of data: try zstd and, for float-like file types (`typeKey` from
 * `fileTypeKey`), also the byte shuffles, keeping the smallest. Whatever the
 * strategy, data the probes find random-looking is stored as it is (one
 * archive inside a folder of text is not worth a futile pass), so this check
 * runs here, in the workers, for every blob. The result never exceeds the
 * raw size.
 */
export function encode(data: Uint8Array, strategy: Strategy | undefined, typeKey?: string): Encoded {
  if (strategy === 'store') return stored(data);
  const floatLike = typeKey !== undefined && isFloatLike(typeKey);
  // Float-like types skip the magic-byte hint: a file that starts as a zip
  // (PyTorch's .pt) can still hold raw floats. Their entropy stays below the
  // limit (trained fp32 weights ~7.3 bits/byte), while random .bin data is
  // spared three futile compressions.
  if (floatLike ? looksRandom(data) : looksIncompressible(data)) return stored(data);
  const candidates: Strategy[] = strategy !== undefined ? [strategy] : floatLike ? ['zstd', 'shuffle4-zstd', 'shuffle2-zstd'] : ['zstd'];
  let best: Encoded = stored(data);
  for (const s of candidates) {
    if (s === 'store') continue;
    const payload = compress(s, data);
    if (payload.length < best.payload.length) best = { codec: CODEC_OF[s], payload, strategy: s };
  }
  return best.payload.length <= data.length * (1 - MIN_SAVING) ? best : stored(data);
}

function stored(data: Uint8Array): Encoded {
  return { codec: Codec.raw, payload: data, strategy: 'store' };
}

function compress(strategy: Exclude<Strategy, 'store'>, data: Uint8Array): Uint8Array {
  switch (strategy) {
    case 'zstd':
      return zstd(data);
    case 'shuffle4-zstd':
      return zstd(shuffle4(data));
    case 'shuffle2-zstd':
      return zstd(shuffle2(data));
  }
}

function zstd(data: Uint8Array): Buffer {
  return zstdCompressSync(data, { pledgedSrcSize: data.length, params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } });
}

/** Restores a blob's raw bytes; anything but exactly `rawLength` bytes by a known codec is damage. */
export function decode(codec: number, payload: Uint8Array, rawLength: number): Buffer {
  let out: Uint8Array;
  switch (codec) {
    case Codec.raw:
      out = payload;
      break;
    case Codec.zstd:
      out = unzstd(payload, rawLength);
      break;
    case Codec.shuffle4Zstd:
      out = unshuffle4(unzstd(payload, rawLength));
      break;
    case Codec.shuffle2Zstd:
      out = unshuffle2(unzstd(payload, rawLength));
      break;
    default:
      throw new VaultError('damaged-data', `Stored data is damaged: it names an unknown compression codec (${codec}).`);
  }
  if (out.length !== rawLength) throw lengthMismatch(out.length, rawLength);
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.length);
}

function unzstd(payload: Uint8Array, rawLength: number): Buffer {
  try {
    // One output chunk of the exact size: no concatenation, and a bomb stops at rawLength.
    const size = Math.max(64, rawLength);
    return zstdDecompressSync(payload, { chunkSize: size, maxOutputLength: size });
  } catch (err) {
    throw new VaultError('damaged-data', 'Stored data is damaged: its compressed bytes do not decompress.', { cause: err });
  }
}

function lengthMismatch(actual: number, expected: number): VaultError {
  return new VaultError('damaged-data', `Stored data is damaged: it decompressed to ${actual} bytes instead of ${expected}.`);
}
