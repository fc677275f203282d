/**
 * Matrices over GF(256) for the erasure code: the systematic generator and its
 * inversion.
 *
 * Generator G, (k + m) × k: the k × k identity on top (data shards are stored
 * as they are), then the m × k parity block P. Shard i = Σ_j G[i][j] · data_j.
 *
 * P is a Cauchy matrix, C[i][j] = 1 / (x_i + y_j) with y_j = j (0 ≤ j < k) and
 * x_i = k + i (0 ≤ i < m), so the two sets are disjoint and no denominator is
 * zero. Every square submatrix of a Cauchy matrix is itself Cauchy and so
 * nonsingular; that is exactly the condition for every k × k submatrix of
 * [I; P] to be invertible, i.e. for any k of the k + m shards to recover the
 * data (the MDS property). par2's Vandermonde-style matrix lacks this
 * guarantee and can be singular.
 *
 * P is then normalised: columns scaled so row 0 is all ones, then rows scaled
 * so column 0 is all ones. Scaling rows and columns by nonzero constants
 * multiplies every minor by a nonzero constant, so the guarantee survives, and
 * parity 0 becomes the plain XOR of the data, the cheapest kernel (m = 1 costs
 * no multiplications at all).
 *
 * This matrix is part of the vault's on-disk format: changing x, y or the
 * normalisation makes all existing parity undecodable.
 */
import { VaultError } from '../../errors.ts';
import { gfInv, gfMul } from './gf256.ts';

/** A dense row-major matrix: element (r, c) is data[r * cols + c]. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
}

export function zeroMatrix(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Uint8Array(rows * cols) };
}

export function identityMatrix(n: number): Matrix {
  const m = zeroMatrix(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function at(m: Matrix, r: number, c: number): number {
  return m.data[r * m.cols + c]!;
}

/** Row r as a view (no copy). */
export function row(m: Matrix, r: number): Uint8Array {
  return m.data.subarray(r * m.cols, (r + 1) * m.cols);
}

/** The normalised m × k Cauchy parity block described above. */
export function cauchyParityMatrix(k: number, m: number): Matrix {
  if (k + m > 256) throw new VaultError('internal', `A GF(256) Cauchy matrix allows at most 256 shards, got ${k + m}.`);
  const p = zeroMatrix(m, k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) p.data[i * k + j] = gfInv((k + i) ^ j);
  }
  if (m === 0) return p;
  for (let j = 0; j < k; j++) {
    const scale = gfInv(p.data[j]!);
    for (let i = 0; i < m; i++) p.data[i * k + j] = gfMul(p.data[i * k + j]!, scale);
  }
  for (let i = 1; i < m; i++) {
    const scale = gfInv(p.data[i * k]!);
    for (let j = 0; j < k; j++) p.data[i * k + j] = gfMul(p.data[i * k + j]!, scale);
  }
  return p;
}

/** [I_k; P]: (k + m) × k. */
export function systematicGenerator(k: number, m: number): Matrix {
  const parity = cauchyParityMatrix(k, m);
  const g = zeroMatrix(k + m, k);
  for (let i = 0; i < k; i++) g.data[i * k + i] = 1;
  g.data.set(parity.data, k * k);
  return g;
}

/** The matrix made of the listed rows of m, in that order. */
export function selectRows(m: Matrix, rows: readonly number[]): Matrix {
  const out = zeroMatrix(rows.length, m.cols);
  rows.forEach((r, i) => out.data.set(row(m, r), i * m.cols));
  return out;
}

export function multiply(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new VaultError('internal', `Cannot multiply ${a.rows}×${a.cols} by ${b.rows}×${b.cols}.`);
  const out = zeroMatrix(a.rows, b.cols);
  for (let r = 0; r < a.rows; r++) {
    for (let c = 0; c < b.cols; c++) {
      let sum = 0;
      for (let i = 0; i < a.cols; i++) sum ^= gfMul(at(a, r, i), at(b, i, c));
      out.data[r * b.cols + c] = sum;
    }
  }
  return out;
}

/**
 * Inverse by Gauss-Jordan elimination with row pivoting. Throws when the
 * matrix is singular, which for submatrices of the generator would mean a
 * broken invariant, not damaged data.
 */
export function invert(m: Matrix): Matrix {
  const n = m.rows;
  if (m.cols !== n) throw new VaultError('internal', `Cannot invert a non-square ${m.rows}×${m.cols} matrix.`);
  const work = m.data.slice();
  const inv = identityMatrix(n).data;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && work[pivot * n + col] === 0) pivot++;
    if (pivot === n) throw new VaultError('internal', 'The GF(256) matrix is singular.');
    if (pivot !== col) {
      swapRows(work, n, pivot, col);
      swapRows(inv, n, pivot, col);
    }
    const scale = gfInv(work[col * n + col]!);
    scaleRow(work, n, col, scale);
    scaleRow(inv, n, col, scale);
    for (let r = 0; r < n; r++) {
      const factor = work[r * n + col]!;
      if (r === col || factor === 0) continue;
      addScaledRow(work, n, r, col, factor);
      addScaledRow(inv, n, r, col, factor);
    }
  }
  return { rows: n, cols: n, data: inv };
}

function swapRows(data: Uint8Array, n: number, a: number, b: number): void {
  const tmp = data.slice(a * n, a * n + n);
  data.copyWithin(a * n, b * n, b * n + n);
  data.set(tmp, b * n);
}

function scaleRow(data: Uint8Array, n: number, r: number, scale: number): void {
  for (let c = 0; c < n; c++) data[r * n + c] = gfMul(data[r * n + c]!, scale);
}

/** row[target] += factor · row[source]. */
function addScaledRow(data: Uint8Array, n: number, target: number, source: number, factor: number): void {
  for (let c = 0; c < n; c++) data[target * n + c]! ^= gfMul(data[source * n + c]!, factor);
}
