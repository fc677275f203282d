/**
 * Rebuilding a row that has more damaged stripes than parity symbols, when
 * the damage is scattered: flipped bytes, not lost stripes.
 *
 * Erasure decoding (index.ts) treats a stripe whose CRC fails as wholly
 * unknown, so a row of the vault's codes (two parity symbols) with three
 * damaged stripes is beyond it. But the code works byte by byte: byte b of
 * every symbol of a row forms its own codeword, and a few flipped bytes in
 * three stripes of 512 bytes almost never share an offset. Per offset there
 * is then one wrong byte among the suspects, and two parity symbols can
 * place and undo a single error (the code's distance is m + 1 = 3):
 *
 *   syndrome s_q = parity_q ⊕ Σ_j P[q][j] · data_j   (all zero: no error here)
 *   one error e at symbol i gives s = e · h_i, h_i the column of [P | I] for i
 *
 * so the suspect i whose column is proportional to s is the one to correct,
 * by e = s_q / h_i[q]. Any two columns of [P | I] are independent (the
 * Cauchy matrix is MDS), so at most one suspect fits a single error; an
 * offset where none fits, or that two suspects share, is left alone.
 *
 * Nothing here is trusted on its own: a corrected stripe counts only when its
 * CRC (the caller's `intact`) then matches, and when at most m suspects are
 * still wrong they are erasure-decoded from the corrected rest and checked the
 * same way. A result comes back only if every suspect ends up intact; the
 * caller's AEAD on each blob is the last guard, as for any rebuilt bytes.
 * With m = 1 a single error cannot be placed, so nothing is attempted.
 */
import { gfDiv, gfMul, mulXor } from './gf256.ts';
import type { ReedSolomon } from './index.ts';

/**
 * `symbols`: one row of a codeword, data symbols then parity, each the same
 * length (zero-padded). `suspects`: the symbols whose CRC fails, their bytes
 * as read. Returns the repaired bytes of every suspect, or undefined when
 * the damage cannot be placed.
 */
export function correctScattered(rs: ReedSolomon, symbols: readonly Uint8Array[], suspects: readonly number[], intact: (symbol: number, bytes: Uint8Array) => boolean): Map<number, Uint8Array> | undefined {
  const k = rs.dataShards;
  const m = rs.parityShards;
  if (m < 2 || suspects.length === 0 || symbols.length !== k + m) return undefined;
  const size = symbols[0]!.length;
  const syndromes = Array.from({ length: m }, (_, q) => {
    const s = Uint8Array.from(symbols[k + q]!);
    for (let j = 0; j < k; j++) {
      const c = rs.coefficient(q, j);
      if (c !== 0) mulXor(s, symbols[j]!, c);
    }
    return s;
  });
  const column = (i: number, q: number) => (i < k ? rs.coefficient(q, i) : i - k === q ? 1 : 0);
  const columns = suspects.map((i) => Array.from({ length: m }, (_, q) => column(i, q)));

  const fixed = suspects.map((i) => Uint8Array.from(symbols[i]!));
  for (let b = 0; b < size; b++) {
    let clean = true;
    for (let q = 0; q < m; q++) if (syndromes[q]![b] !== 0) clean = false;
    if (clean) continue;
    let found = -1;
    let magnitude = 0;
    for (let n = 0; n < suspects.length; n++) {
      const h = columns[n]!;
      const q0 = h.findIndex((x) => x !== 0);
      const e = gfDiv(syndromes[q0]![b]!, h[q0]!);
      if (e === 0 || !h.every((x, q) => gfMul(e, x) === syndromes[q]![b])) continue;
      if (found >= 0) {
        found = -2; // two suspects fit: leave the byte alone
        break;
      }
      found = n;
      magnitude = e;
    }
    if (found >= 0) fixed[found]![b]! ^= magnitude;
  }

  const out = new Map<number, Uint8Array>();
  const still: number[] = [];
  suspects.forEach((i, n) => (intact(i, fixed[n]!) ? out.set(i, fixed[n]!) : still.push(i)));
  if (still.length === 0) return out;
  if (still.length > m) return undefined;
  // The rest as erasures, decoded from the symbols now known good.
  const codeword: (Uint8Array | null)[] = symbols.map((s, i) => (still.includes(i) ? null : (out.get(i) ?? s)));
  rs.reconstruct(codeword);
  for (const i of still) {
    if (!intact(i, codeword[i]!)) return undefined;
    out.set(i, codeword[i]!);
  }
  return out;
}
