import { VaultError } from '../errors.ts';

export interface ChunkerParams {
  /** Every chunk but a file's last is longer than this. */
  min: number;
  /** Target size; must be a power of two. */
  avg: number;
  /** No chunk is longer than this. */
  max: number;
}

export const DEFAULT_CHUNKER_PARAMS: Readonly<ChunkerParams> = Object.freeze({
  min: 512 * 1024,
  avg: 1024 * 1024,
  max: 8 * 1024 * 1024,
});

/** Params plus the two cut masks, as signed 32-bit ints to keep V8 in small-integer arithmetic. */
interface Plan {
  min: number;
  avg: number;
  max: number;
  maskStrict: number;
  maskLoose: number;
}

/** Means "no cut can be decided in the bytes given"; only when `final` is false does that leave a tail. */
const NO_CUT = -1;

export function checkChunkerParams(p: ChunkerParams): void {
  const ok =
    Number.isSafeInteger(p.min) && Number.isSafeInteger(p.avg) && Number.isSafeInteger(p.max) &&
    p.min >= 64 && p.min < p.avg && p.avg < p.max &&
    p.avg >= 1024 && p.avg <= 2 ** 28 && (p.avg & (p.avg - 1)) === 0;
  if (!ok) {
    throw new VaultError('invalid-argument', `Chunker sizes ${p.min}/${p.avg}/${p.max} are invalid: need 64 <= min < avg < max and avg a power of two between 1 KiB and 256 MiB.`);
  }
}

function plan(p: ChunkerParams): Plan {
  checkChunkerParams(p);
  const bits = Math.log2(p.avg);
  return { min: p.min, avg: p.avg, max: p.max, maskStrict: topBits(bits + 2), maskLoose: topBits(bits - 2) };
}

/** A mask of the `n` most significant bits of a 32-bit word: those bits mix the most bytes. */
function topBits(n: number): number {
  return ~((1 << (32 - n)) - 1) | 0;
}

/**
 * Returns the exclusive end offsets of the chunks in `data`, which must start
 * at a chunk boundary. With `final` false, bytes after the last returned cut
 * are not a chunk: prepend them to the next segment.
 */
export function findCuts(data: Uint8Array, gear: Uint32Array, params: ChunkerParams, final: boolean): number[] {
  if (gear.length !== 256) throw new VaultError('internal', 'The gear table must have 256 entries.');
  const p = plan(params);
  // Same words read as int32: a Uint32Array element above 2^31 would be a heap double in the hot loop.
  const g = new Int32Array(gear.buffer, gear.byteOffset, 256);
  const carry = new Int32Array(1);
  const cuts: number[] = [];
  let start = 0;
  while (start < data.length) {
    const cut = nextCut(data, g, p, start, carry);
    if (cut === NO_CUT) {
      if (final) cuts.push(data.length);
      break;
    }
    cuts.push(cut);
    start = cut;
  }
  return cuts;
}

/**
 * FastCDC's cut search for one chunk starting at `start`: skip `min` bytes
 * (no cut can fall there), use the strict mask up to `avg`, the loose one up
 * to `max`, and cut at `max` if no boundary was found.
 */
function nextCut(data: Uint8Array, gear: Int32Array, p: Plan, start: number, carry: Int32Array): number {
  const limit = Math.min(data.length, start + p.max);
  const normal = Math.min(limit, start + p.avg);
  carry[0] = 0;
  let cut = scan(data, gear, start + p.min, normal, p.maskStrict, carry);
  if (cut === NO_CUT) cut = scan(data, gear, Math.max(normal, start + p.min), limit, p.maskLoose, carry);
  if (cut === NO_CUT && limit === start + p.max) cut = limit;
  return cut;
}

/**
 * The gear loop over [from, to): returns the cut after the first byte whose
 * hash has no `mask` bit set, or NO_CUT with the hash left in `carry[0]`.
 * One loop per function: V8 optimises it about 2.5x better than two loops in
 * one function (measured 360 vs 900 MB/s).
 */
function scan(data: Uint8Array, gear: Int32Array, from: number, to: number, mask: number, carry: Int32Array): number {
  let h = carry[0]!;
  for (let i = from; i < to; i++) {
    h = ((h << 1) + gear[data[i]!]!) | 0;
    if ((h & mask) === 0) return i + 1;
  }
  carry[0] = h;
  return NO_CUT;
}
