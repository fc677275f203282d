/**
 * Reed-Solomon erasure coding over GF(256): the arithmetic under the vault's
 * self-healing parity.
 *
 * Terms
 * - Shard: one byte array of a parity group. All shards of a group have the
 *   same size, the shard size; callers pad shorter content with zeros (the
 *   padding is never stored, only implied).
 * - Data shards (k): the shards holding the protected bytes, e.g. pack files.
 *   Indices 0 … k-1. The code is systematic: data shards are stored unchanged.
 * - Parity shards (m): computed from the data shards. Indices k … k+m-1.
 *   Parity byte i of parity shard p depends only on byte i of every data
 *   shard: Σ_j P[p][j] · data_j[i], so any byte range can be coded or repaired
 *   on its own (pass subarrays of the same range of every shard; ranges that
 *   start on a multiple of 4 keep the fast kernel).
 * - MDS property: any k of the k + m shards, data or parity, determine all the
 *   others, so a group survives the loss of any m whole shards. It holds
 *   because the parity matrix is Cauchy (see matrix.ts).
 * - Limits: k ≥ 1, m ≥ 0, k + m ≤ 256 (the field has 256 elements and the
 *   Cauchy construction needs k + m distinct ones).
 *
 * Erasure, not error, correction: the caller says which shards are missing or
 * damaged (the heal layer knows this from per-block hashes); this module never
 * guesses. The field polynomial (gf256.ts) and the matrix (matrix.ts) are part
 * of the on-disk format.
 *
 * Why our own code rather than an npm package: the fast, Cauchy-based one,
 * @ronomon/reed-solomon 6.0.0, is a C addon that node-gyp compiles at install,
 * which we avoid (Electron ABI rebuilds, no toolchain on users' machines); the
 * WebAssembly ones (@subspace/reed-solomon-erasure.wasm 0.2.5,
 * wasm-reed-solomon-erasure 0.2.2) are single-release wrappers of the Rust
 * reed-solomon-erasure crate (itself looking for maintainers), use its
 * Vandermonde-derived matrix rather than a Cauchy one, and need async
 * initialisation and copies through one flat buffer. Plain TypeScript with
 * 16-bit product tables does ~2 GB/s per multiply pass on one core, well past
 * the target, and keeps the on-disk matrix under our control.
 */
import { VaultError } from '../../errors.ts';
import { mulXor } from './gf256.ts';
import type { Matrix } from './matrix.ts';
import { at, cauchyParityMatrix, invert, row, selectRows, systematicGenerator } from './matrix.ts';

export { gfDiv, gfInv, gfMul, mulXor, xorInto } from './gf256.ts';

/**
 * Outputs are built one block at a time, every source added into the block
 * before moving on, so the block stays in cache. Small blocks lose: each pass
 * reloads a 128 KiB product table (k=20, m=2 encode, 1 MiB shards: 16 KiB
 * blocks 680 MB/s, 64 KiB 1280, 256 KiB 1240, 1 MiB 1460); with 8 MiB shards
 * 1 MiB blocks beat unblocked passes by ~5–15%.
 */
const BLOCK_BYTES = 1024 * 1024;

export interface ReconstructOptions {
  /** Only fill missing data shards; leave missing parity shards null. */
  dataOnly?: boolean;
}

export class ReedSolomon {
  readonly dataShards: number;
  readonly parityShards: number;
  readonly totalShards: number;
  readonly #generator: Matrix;
  readonly #parity: Matrix;

  constructor(dataShards: number, parityShards: number) {
    if (!Number.isInteger(dataShards) || dataShards < 1) {
      throw new VaultError('internal', `A parity group needs at least 1 data shard, got ${dataShards}.`);
    }
    if (!Number.isInteger(parityShards) || parityShards < 0) {
      throw new VaultError('internal', `The parity shard count must be a whole number ≥ 0, got ${parityShards}.`);
    }
    if (dataShards + parityShards > 256) {
      throw new VaultError('internal', `A parity group holds at most 256 shards, got ${dataShards} + ${parityShards}.`);
    }
    this.dataShards = dataShards;
    this.parityShards = parityShards;
    this.totalShards = dataShards + parityShards;
    this.#generator = systematicGenerator(dataShards, parityShards);
    this.#parity = cauchyParityMatrix(dataShards, parityShards);
  }

  /** The coefficient of data shard `dataIndex` in parity shard `parityIndex`. */
  coefficient(parityIndex: number, dataIndex: number): number {
    return at(this.#parity, parityIndex, dataIndex);
  }

  /** Returns m new parity shards for k equal-sized data shards. */
  encode(data: readonly Uint8Array[]): Uint8Array[] {
    const size = this.#checkData(data);
    const parity = Array.from({ length: this.parityShards }, () => new Uint8Array(size));
    this.#encodeParity(data, parity);
    return parity;
  }

  /** Like encode, into caller-owned parity shards of the same size (overwritten). */
  encodeInto(data: readonly Uint8Array[], parity: readonly Uint8Array[]): void {
    const size = this.#checkData(data);
    if (parity.length !== this.parityShards) {
      throw new VaultError('internal', `Expected ${this.parityShards} parity shards, got ${parity.length}.`);
    }
    for (const p of parity) checkSize(p, size);
    this.#encodeParity(data, parity);
  }

  /**
   * Fills every null entry of `shards` (length k + m, data first) with a new
   * array holding that shard's bytes, from any k present shards. Present
   * shards are trusted: pass null for any shard known to be damaged. Throws
   * VaultError('damaged-data') when fewer than k are present.
   */
  reconstruct(shards: (Uint8Array | null)[], options: ReconstructOptions = {}): void {
    if (shards.length !== this.totalShards) {
      throw new VaultError('internal', `Expected ${this.totalShards} shards (null for missing), got ${shards.length}.`);
    }
    const present: number[] = [];
    let size = -1;
    shards.forEach((shard, i) => {
      if (shard === null) return;
      if (size < 0) size = shard.length;
      checkSize(shard, size);
      present.push(i);
    });
    if (present.length === this.totalShards) return;
    if (present.length < this.dataShards) {
      throw new VaultError(
        'damaged-data',
        `Only ${present.length} of ${this.totalShards} shards of this parity group are intact and ${this.dataShards} are needed, so it cannot be repaired.`,
      );
    }
    const k = this.dataShards;
    const data = shards.slice(0, k);
    if (data.some((s) => s === null)) {
      const sources = present.slice(0, k);
      const decode = invert(selectRows(this.#generator, sources));
      const inputs = sources.map((i) => shards[i]!);
      for (let j = 0; j < k; j++) {
        if (data[j] !== null) continue;
        const out = new Uint8Array(size);
        combine(out, row(decode, j), inputs);
        data[j] = out;
      }
    }
    const full = data as Uint8Array[];
    full.forEach((shard, j) => (shards[j] = shard));
    if (options.dataOnly === true) return;
    for (let p = 0; p < this.parityShards; p++) {
      if (shards[k + p] !== null) continue;
      const out = new Uint8Array(size);
      combine(out, row(this.#parity, p), full);
      shards[k + p] = out;
    }
  }

  /**
   * Brings parity up to date after data shard `shardIndex` changed from
   * `oldData` (null: all zeros, e.g. a pack joining an empty slot) to
   * `newData`: parity_p ^= P[p][shardIndex] · (old ^ new). Both may be shorter
   * than the shard size; the rest is taken as zeros.
   */
  updateParity(parity: readonly Uint8Array[], shardIndex: number, oldData: Uint8Array | null, newData: Uint8Array): void {
    if (parity.length !== this.parityShards) {
      throw new VaultError('internal', `Expected ${this.parityShards} parity shards, got ${parity.length}.`);
    }
    if (!Number.isInteger(shardIndex) || shardIndex < 0 || shardIndex >= this.dataShards) {
      throw new VaultError('internal', `Data shard index ${shardIndex} is outside 0…${this.dataShards - 1}.`);
    }
    if (parity.length === 0) return;
    const size = parity[0]!.length;
    for (const p of parity) checkSize(p, size);
    for (const d of [oldData, newData]) {
      if (d !== null && d.length > size) {
        throw new VaultError('internal', `Data of ${d.length} bytes does not fit a ${size}-byte shard.`);
      }
    }
    parity.forEach((target, p) => {
      const c = at(this.#parity, p, shardIndex);
      if (oldData !== null) mulXor(target.subarray(0, oldData.length), oldData, c);
      mulXor(target.subarray(0, newData.length), newData, c);
    });
  }

  #checkData(data: readonly Uint8Array[]): number {
    if (data.length !== this.dataShards) {
      throw new VaultError('internal', `Expected ${this.dataShards} data shards, got ${data.length}.`);
    }
    const size = data[0]!.length;
    for (const d of data) checkSize(d, size);
    return size;
  }

  #encodeParity(data: readonly Uint8Array[], parity: readonly Uint8Array[]): void {
    parity.forEach((out, p) => combine(out, row(this.#parity, p), data));
  }
}

function checkSize(shard: Uint8Array, size: number): void {
  if (!(shard instanceof Uint8Array)) throw new VaultError('internal', 'A shard must be a Uint8Array.');
  if (shard.length !== size) {
    throw new VaultError('internal', `All shards of a parity group must have the same size (${size} bytes), got ${shard.length}.`);
  }
}

/** out = Σ_j coefs[j] · sources[j], one cache-sized block of out at a time. */
function combine(out: Uint8Array, coefs: Uint8Array, sources: readonly Uint8Array[]): void {
  const size = out.length;
  for (let start = 0; start < size; start += BLOCK_BYTES) {
    const end = Math.min(size, start + BLOCK_BYTES);
    const block = out.subarray(start, end);
    let first = true;
    sources.forEach((src, j) => {
      const c = coefs[j]!;
      if (c === 0) return;
      const part = src.subarray(start, end);
      if (first && c === 1) block.set(part);
      else {
        if (first) block.fill(0);
        mulXor(block, part, c);
      }
      first = false;
    });
    if (first) block.fill(0);
  }
}
