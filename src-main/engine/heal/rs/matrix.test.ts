import { describe, expect, it } from 'vitest';
import { isVaultError } from '../../errors.ts';
import type { Matrix } from './matrix.ts';
import { cauchyParityMatrix, identityMatrix, invert, multiply, selectRows, systematicGenerator } from './matrix.ts';
import { naiveParityRows, naiveRank, subsets } from './naive.ts';

function rowsOf(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
}

describe('Cauchy parity matrix', () => {
  it('is the normalised Cauchy matrix, worked by hand for k = m = 2', () => {
    // 1/(x+y) with x = {2, 3}, y = {0, 1}: [[1/2, 1/3], [1/3, 1/2]]. Making row 0
    // and column 0 ones leaves one free entry: (1/2 · 1/2) / (1/3 · 1/3) = 9/4 in
    // the integers, here (3·3)/(2·2) = 5/4 = 5 · 0x47 = 0x46.
    expect(rowsOf(cauchyParityMatrix(2, 2))).toEqual([
      [1, 1],
      [1, 0x46],
    ]);
  });

  it('equals the definition computed with independent arithmetic', () => {
    for (const [k, m] of [[1, 1], [3, 1], [4, 3], [10, 4], [20, 20], [200, 56]] as const) {
      expect(rowsOf(cauchyParityMatrix(k, m))).toEqual(naiveParityRows(k, m));
    }
  });

  it('has ones in row 0 and column 0, so parity 0 is the XOR of the data', () => {
    const p = rowsOf(cauchyParityMatrix(12, 5));
    expect(p[0]).toEqual(Array(12).fill(1));
    expect(p.map((r) => r[0])).toEqual(Array(5).fill(1));
  });

  it('refuses more than 256 shards', () => {
    expect(() => cauchyParityMatrix(250, 7)).toThrow();
  });
});

describe('MDS property: every k × k submatrix of [I; P] is invertible', () => {
  it('holds exhaustively for every group of up to 10 shards', () => {
    for (let n = 2; n <= 10; n++) {
      for (let k = 1; k < n; k++) {
        const rows = rowsOf(systematicGenerator(k, n - k));
        for (const pick of subsets(n, k)) {
          if (naiveRank(pick.map((i) => rows[i]!)) !== k) expect.fail(`k=${k} m=${n - k} rows ${pick.join(',')}`);
        }
      }
    }
  });

  it('holds exhaustively for k = 8, m = 8 (12870 choices)', () => {
    const g = systematicGenerator(8, 8);
    for (const pick of subsets(16, 8)) {
      const sub = selectRows(g, pick);
      const product = multiply(invert(sub), sub);
      if (!product.data.every((v, i) => v === identityMatrix(8).data[i])) expect.fail(`rows ${pick.join(',')}`);
    }
  });

  it('holds for the rows chosen when the first shards are lost in a 256-shard group', () => {
    const k = 200;
    const g = systematicGenerator(k, 56);
    const pick = Array.from({ length: k }, (_, i) => i + 56); // data 0…55 lost
    expect(naiveRank(rowsOf(selectRows(g, pick)))).toBe(k);
  });
});

describe('invert', () => {
  it('gives a matrix whose product with the original is the identity', () => {
    const g = systematicGenerator(6, 4);
    const sub = selectRows(g, [1, 3, 6, 7, 8, 9]);
    expect(multiply(sub, invert(sub))).toEqual(identityMatrix(6));
    expect(multiply(invert(sub), sub)).toEqual(identityMatrix(6));
  });

  it('rejects a singular matrix', () => {
    const singular: Matrix = { rows: 2, cols: 2, data: Uint8Array.of(3, 5, 3, 5) };
    let caught: unknown;
    try {
      invert(singular);
    } catch (err) {
      caught = err;
    }
    expect(isVaultError(caught, 'internal')).toBe(true);
  });
});
