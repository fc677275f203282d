/**
 * Healing on read: a blob whose sealed bytes fail to authenticate, or whose
 * pack cannot be read (missing, truncated, EIO), is rebuilt in memory from
 * its pack's parity group, without writing anything; `repair` puts the pack
 * itself back.
 *
 * Only the rows covering the blob are read, from every other member and
 * parity shard of the group, in windows of WINDOW_ROWS (memory is rows, not
 * packs). A stripe is trusted only when its CRC-32 matches the descriptor;
 * the others are erasures. A row with at most p · cells erasures is decoded
 * (with more, scattered damage may still be placed: rs/locate.ts), and
 * every rebuilt stripe must match its recorded CRC before a byte of it is
 * returned. The caller authenticates the result with the blob's AEAD
 * again: that is the final guard, so wrong bytes are never returned.
 *
 * The descriptors are loaded once per source and reloaded only when the
 * parity folder changes (every group write renames a file into it). A view
 * gone stale can only heal less, never wrongly: every stripe is still
 * checked against the CRCs of the descriptor it was loaded with.
 */
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { VaultError } from '../errors.ts';
import { packPath } from '../packs/files.ts';
import { gatherCell, parityFileName, rowBytes, stripeCount } from './layout.ts';
import type { GroupDescriptor } from './layout.ts';
import { loadGroups, parityDir } from './parity-store.ts';
import type { StoredGroup } from './parity-store.ts';
import { ReedSolomon } from './rs/index.ts';
import { correctScattered } from './rs/locate.ts';
import type { HealTarget } from './target.ts';

/** What healing on read needs of a vault: where its packs and parity are. A Vault is one. */
export type HealSource = Pick<HealTarget, 'dir' | 'packsDir'>;

/** Rows decoded at once: (K + p) × WINDOW_ROWS × row bytes, ~0.7 MiB for K = 10, p = 1 (1.4 MiB for version 1's 20 + 2). */
const WINDOW_ROWS = 64;

/** A pack's place in one parity group. */
interface Membership {
  desc: GroupDescriptor;
  /** The pack's shard index in the code (its member position). */
  index: number;
  rs: ReedSolomon;
}

interface GroupIndex {
  /** The parity folder's change stamp when the index was loaded. */
  stamp: string;
  byPack: Map<string, Membership[]>;
}

/** One shard's bytes over a window of rows, and which of its stripes (cells per row) match their CRCs. */
interface ShardRows {
  bytes: Uint8Array;
  good: boolean[];
}

const indexes = new WeakMap<HealSource, Promise<GroupIndex>>();
/** Heals run one at a time per source, so memory stays one window's worth. */
const queues = new WeakMap<HealSource, Promise<unknown>>();

/**
 * The sealed bytes [offset, offset + length) of pack `packId`, rebuilt from
 * parity and checked stripe by stripe against the group's CRCs; undefined
 * when the pack is in no readable group, the range lies outside what the
 * group protects, or the damage in those rows exceeds the parity. When
 * nothing in those rows is damaged the bytes come back as they are on disk
 * (a transient read error; or damage older than the parity, which the
 * caller's authentication then reports). Writes nothing.
 */
export function healRange(source: HealSource, packId: string, offset: number, length: number): Promise<Uint8Array | undefined> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    return Promise.reject(new VaultError('internal', `Cannot heal ${length} bytes at ${offset} of pack ${packId.slice(0, 8)}.`));
  }
  const run = (queues.get(source) ?? Promise.resolve()).then(() => healNow(source, packId, offset, length));
  queues.set(source, run.catch(() => undefined));
  return run;
}

async function healNow(source: HealSource, packId: string, offset: number, length: number): Promise<Uint8Array | undefined> {
  for (const m of (await groupIndex(source)).byPack.get(packId) ?? []) {
    if (offset + length > m.desc.members[m.index]!.length) continue;
    const healed = await rebuildRange(source, m, offset, length);
    if (healed) return healed;
  }
  return undefined;
}

async function groupIndex(source: HealSource): Promise<GroupIndex> {
  const stamp = await parityStamp(source.dir);
  const cached = indexes.get(source);
  if (cached && (await cached).stamp === stamp) return cached;
  const loading = loadIndex(source.dir, stamp);
  indexes.set(source, loading);
  return loading;
}

/** Changes whenever a file is renamed into, or removed from, the parity folder. */
async function parityStamp(vaultDir: string): Promise<string> {
  try {
    const st = await stat(parityDir(vaultDir), { bigint: true });
    return `${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return 'none';
  }
}

async function loadIndex(vaultDir: string, stamp: string): Promise<GroupIndex> {
  const byPack = new Map<string, Membership[]>();
  // Unreadable parity heals nothing; the caller's failure stands.
  const groups = await loadGroups(vaultDir).catch((): Map<string, StoredGroup> => new Map());
  const codes = new Map<string, ReedSolomon>();
  for (const { desc } of groups.values()) {
    if (desc.parityCount === 0 || desc.capacity === 0) continue;
    const shape = `${desc.capacity * desc.cells}+${desc.parityCount * desc.cells}`;
    const rs = codes.get(shape) ?? new ReedSolomon(desc.capacity * desc.cells, desc.parityCount * desc.cells);
    codes.set(shape, rs);
    desc.members.forEach((member, index) => byPack.set(member.packId, [...(byPack.get(member.packId) ?? []), { desc, index, rs }]));
  }
  return { stamp, byPack };
}

/** The range, window by window; undefined as soon as one window cannot be rebuilt. */
async function rebuildRange(source: HealSource, m: Membership, offset: number, length: number): Promise<Uint8Array | undefined> {
  const S = rowBytes(m.desc);
  const first = Math.floor(offset / S);
  const end = Math.ceil((offset + length) / S);
  const out = new Uint8Array(length);
  for (let w = first; w < end; w += WINDOW_ROWS) {
    const wEnd = Math.min(end, w + WINDOW_ROWS);
    const rows = await rebuildWindow(source, m, w, wEnd);
    if (!rows) return undefined;
    const from = Math.max(offset, w * S);
    const to = Math.min(offset + length, wEnd * S);
    out.set(rows.subarray(from - w * S, to - w * S), from - offset);
  }
  return out;
}

/**
 * The pack's stripes of rows [start, end), every one matching its CRC:
 * its own good stripes as read, its erased ones decoded from the other
 * shards of their rows.
 */
async function rebuildWindow(source: HealSource, m: Membership, start: number, end: number): Promise<Uint8Array | undefined> {
  const d = m.desc;
  const S = d.stripeBytes;
  const C = d.cells;
  const R = rowBytes(d);
  const own = await readShardRows(source, d, m.index, start, end);
  const erasedRows: number[] = [];
  for (let r = start; r < end; r++) if (own.good.slice((r - start) * C, (r - start + 1) * C).includes(false)) erasedRows.push(r);
  if (erasedRows.length === 0) return own.bytes;

  // The other shards, only over the rows that need them.
  const lo = erasedRows[0]!;
  const hi = erasedRows[erasedRows.length - 1]! + 1;
  const shards: ShardRows[] = await Promise.all(
    Array.from({ length: d.capacity + d.parityCount }, (_, index) =>
      index === m.index ? sliceRows(own, start, lo, hi, R, C) : readShardRows(source, d, index, lo, hi),
    ),
  );

  // Runs of rows with the same erasures decode together.
  for (let i = 0; i < erasedRows.length; ) {
    const runStart = erasedRows[i]!;
    const erased = erasures(shards, runStart - lo, C);
    let runEnd = runStart + 1;
    for (i++; i < erasedRows.length && erasedRows[i] === runEnd && sameList(erasures(shards, runEnd - lo, C), erased); i++) runEnd++;
    if (erased.length > d.parityCount * C) {
      // Beyond erasure decoding; scattered damage may still be placed, row by row.
      for (let r = runStart; r < runEnd; r++) {
        const fixed = correctShardRows(d, m.rs, shards, r - lo, r);
        if (!fixed) return undefined;
        for (let c = 0; c < C; c++) {
          const bytes = fixed.get(m.index * C + c);
          if (bytes) own.bytes.set(bytes, (r - start) * R + c * S);
        }
      }
      continue;
    }
    const codeword = shards.flatMap((s, index) =>
      Array.from({ length: C }, (_, c) => (erased.includes(index * C + c) ? null : gatherCell(s.bytes.subarray((runStart - lo) * R, (runEnd - lo) * R), c, C, S))),
    );
    m.rs.reconstruct(codeword, { dataOnly: true });
    for (let c = 0; c < C; c++) {
      const rebuilt = codeword[m.index * C + c];
      if (!erased.includes(m.index * C + c) || !rebuilt) continue;
      for (let r = runStart; r < runEnd; r++) {
        const at = (r - runStart) * S;
        const stripe = rebuilt.subarray(at, at + stripeLength(d, m.index, r * C + c));
        if (crc32(stripe) !== d.memberCrcs[m.index]![r * C + c]) return undefined;
        own.bytes.set(rebuilt.subarray(at, at + S), (r - start) * R + c * S);
      }
    }
  }
  return own.bytes;
}

/**
 * Row `row` of group `d` when it has more damaged stripes than parity
 * symbols: the repaired bytes of each damaged stripe, by codeword symbol,
 * if the damage is scattered enough to be placed (rs/locate.ts), every one
 * checked against its CRC; else undefined. Reads the row of every shard.
 */
export async function correctRow(source: HealSource, d: GroupDescriptor, rs: ReedSolomon, row: number): Promise<Map<number, Uint8Array> | undefined> {
  const shards = await Promise.all(Array.from({ length: d.capacity + d.parityCount }, (_, index) => readShardRows(source, d, index, row, row + 1)));
  return correctShardRows(d, rs, shards, 0, row);
}

/** correctRow over rows already read: `at` is the row's place in `shards`, `row` its number in the group. */
function correctShardRows(d: GroupDescriptor, rs: ReedSolomon, shards: readonly ShardRows[], at: number, row: number): Map<number, Uint8Array> | undefined {
  const S = d.stripeBytes;
  const C = d.cells;
  const R = rowBytes(d);
  const symbols = shards.flatMap((s) => Array.from({ length: C }, (_, c) => s.bytes.subarray(at * R + c * S, at * R + (c + 1) * S)));
  return correctScattered(rs, symbols, erasures(shards, at, C), (symbol, bytes) => {
    const index = Math.floor(symbol / C);
    const stripe = row * C + (symbol % C);
    return crc32(bytes.subarray(0, stripeLength(d, index, stripe))) === expectedCrcs(d, index)[stripe];
  });
}

/** Codeword symbols (shard index · cells + cell) whose stripe in this row is not to be trusted. */
function erasures(shards: readonly ShardRows[], row: number, cells: number): number[] {
  const out: number[] = [];
  shards.forEach((s, index) => {
    for (let c = 0; c < cells; c++) if (!s.good[row * cells + c]) out.push(index * cells + c);
  });
  return out;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sliceRows(rows: ShardRows, start: number, lo: number, hi: number, R: number, cells: number): ShardRows {
  return { bytes: rows.bytes.subarray((lo - start) * R, (hi - start) * R), good: rows.good.slice((lo - start) * cells, (hi - start) * cells) };
}

/** Bytes of shard `index` in stripe `stripe`: the stripe, shorter at the shard's end, 0 past it. */
function stripeLength(d: GroupDescriptor, index: number, stripe: number): number {
  const length = shardLength(d, index);
  return Math.max(0, Math.min(d.stripeBytes, length - stripe * d.stripeBytes));
}

function shardLength(d: GroupDescriptor, index: number): number {
  if (index < d.members.length) return d.members[index]!.length;
  if (index < d.capacity) return 0;
  return d.shardLength;
}

function expectedCrcs(d: GroupDescriptor, index: number): Uint32Array {
  return index < d.capacity ? d.memberCrcs[index]! : d.parityCrcs[index - d.capacity]!;
}

/**
 * Rows [start, end) of one shard, zero-padded to whole stripes. A slot
 * without a member is zeros, known good. A stripe is good only when it
 * could be read and matches its CRC; a missing, short or unreadable file
 * leaves its stripes erased (unless the lost bytes were zeros, which are
 * then the right bytes).
 */
async function readShardRows(source: HealSource, d: GroupDescriptor, index: number, start: number, end: number): Promise<ShardRows> {
  const S = d.stripeBytes;
  const R = rowBytes(d);
  const bytes = new Uint8Array((end - start) * R);
  const good = new Array<boolean>((end - start) * d.cells).fill(true);
  const length = shardLength(d, index);
  if (length === 0) return { bytes, good };
  const wanted = Math.max(0, Math.min(end * R, length) - start * R);
  if (wanted === 0) return { bytes, good };
  const readable = await readStripes(shardPath(source, d, index), index >= d.capacity, start * R, bytes.subarray(0, wanted), S);
  const crcs = expectedCrcs(d, index);
  const first = start * d.cells;
  for (let stripe = first; stripe < end * d.cells && stripe < stripeCount(length, S); stripe++) {
    const at = (stripe - first) * S;
    good[stripe - first] = readable[stripe - first] === true && crc32(bytes.subarray(at, at + stripeLength(d, index, stripe))) === crcs[stripe];
  }
  return { bytes, good };
}

function shardPath(source: HealSource, d: GroupDescriptor, index: number): string {
  if (index < d.capacity) return packPath(source.packsDir, d.members[index]!.packId);
  return join(parityDir(source.dir), parityFileName(d.groupId, index - d.capacity));
}

/**
 * Fills `into` from shard offset `from` (after the length-prefixed
 * descriptor of a parity file); per stripe, whether it could be read. A
 * read that fails is retried stripe by stripe, so a bad sector costs only
 * its own stripes.
 */
async function readStripes(path: string, prefixed: boolean, from: number, into: Uint8Array, S: number): Promise<boolean[]> {
  const stripes = Math.ceil(into.length / S);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return new Array<boolean>(stripes).fill(false);
  }
  try {
    let base = 0;
    if (prefixed) {
      const prefix = new Uint8Array(4);
      if ((await readFully(handle, prefix, 0)) < 4) return new Array<boolean>(stripes).fill(false);
      base = 4 + new DataView(prefix.buffer).getUint32(0, true);
    }
    try {
      await readFully(handle, into, base + from);
      return new Array<boolean>(stripes).fill(true);
    } catch {
      const readable: boolean[] = [];
      for (let i = 0; i < stripes; i++) {
        const stripe = into.subarray(i * S, (i + 1) * S);
        readable.push(await readFully(handle, stripe, base + from + i * S).then(() => true, () => (stripe.fill(0), false)));
      }
      return readable;
    }
  } catch {
    return new Array<boolean>(stripes).fill(false);
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Reads until `into` is full or the file ends; returns the bytes read. */
async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    const { bytesRead } = await handle.read(into, filled, into.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}
