/**
 * Test-only reference: the same code written the slow, obvious way, sharing
 * nothing with gf256.ts or matrix.ts, so the tests compare two independent
 * derivations of the on-disk format.
 */

/** Carry-less shift-and-add multiplication, reduced by 0x11d bit by bit. */
export function naiveMul(a: number, b: number): number {
  let product = 0;
  for (let bit = 0; bit < 8; bit++) {
    if (b & (1 << bit)) product ^= a << bit;
  }
  for (let bit = 15; bit >= 8; bit--) {
    if (product & (1 << bit)) product ^= 0x11d << (bit - 8);
  }
  return product;
}

/** The b with a · b = 1, by search. */
export function naiveInv(a: number): number {
  for (let b = 1; b < 256; b++) if (naiveMul(a, b) === 1) return b;
  throw new Error(`no inverse of ${a}`);
}

/**
 * Parity rows straight from the definition: 1 / (x_i + y_j) with x_i = k + i,
 * y_j = j, divided by the row-0 entry of its column, then by the column-0
 * entry of its row.
 */
export function naiveParityRows(k: number, m: number): number[][] {
  const cauchy = (i: number, j: number): number => naiveInv((k + i) ^ j);
  const colScaled = (i: number, j: number): number => naiveMul(cauchy(i, j), naiveInv(cauchy(0, j)));
  return Array.from({ length: m }, (_, i) =>
    Array.from({ length: k }, (_, j) => naiveMul(colScaled(i, j), naiveInv(colScaled(i, 0)))),
  );
}

/** parity_p[b] = Σ_j P[p][j] · data_j[b], byte by byte. */
export function naiveEncode(k: number, m: number, data: readonly Uint8Array[]): Uint8Array[] {
  const rows = naiveParityRows(k, m);
  const size = data[0]?.length ?? 0;
  return rows.map((coefs) => {
    const out = new Uint8Array(size);
    for (let b = 0; b < size; b++) {
      let sum = 0;
      coefs.forEach((c, j) => (sum ^= naiveMul(c, data[j]![b]!)));
      out[b] = sum;
    }
    return out;
  });
}

/** Rank of a square matrix (array of rows) by elimination with naive arithmetic. */
export function naiveRank(rows: readonly (readonly number[])[]): number {
  const work = rows.map((r) => r.slice());
  const n = work.length;
  let rank = 0;
  for (let col = 0; col < n && rank < n; col++) {
    const pivot = work.findIndex((r, i) => i >= rank && r[col] !== 0);
    if (pivot < 0) continue;
    [work[rank], work[pivot]] = [work[pivot]!, work[rank]!];
    const top = work[rank]!;
    const scale = naiveInv(top[col]!);
    for (let i = 0; i < n; i++) {
      const r = work[i]!;
      if (i === rank || r[col] === 0) continue;
      const factor = naiveMul(r[col]!, scale);
      for (let c = 0; c < n; c++) r[c] = r[c]! ^ naiveMul(factor, top[c]!);
    }
    rank++;
  }
  return rank;
}

/** All size-r subsets of 0 … n-1, in lexicographic order. */
export function* subsets(n: number, r: number): Generator<number[]> {
  const pick = Array.from({ length: r }, (_, i) => i);
  while (true) {
    yield pick.slice();
    let i = r - 1;
    while (i >= 0 && pick[i] === n - r + i) i--;
    if (i < 0) return;
    pick[i]!++;
    for (let j = i + 1; j < r; j++) pick[j] = pick[j - 1]! + 1;
  }
}
