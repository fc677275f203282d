/**
 * Repair: puts back, bit for bit, everything the parity can rebuild.
 *
 * For each parity group with damage, rows are rebuilt in windows (bounded
 * memory however large the loss), grouped by erasure pattern so a deleted
 * pack is decoded in long runs and scattered flips one row at a time. Each
 * repaired file is assembled in memory, its stripe CRCs must all equal the
 * descriptor's before it replaces anything, and it is written atomically
 * (temporary name, fsync, rename). A `kill -9` at any moment therefore
 * leaves every file either as it was or repaired.
 *
 * Rows are independent codewords, so damage beyond the parity in one row
 * does not stop the others: a file with stripes in such rows is rewritten
 * with every other stripe rebuilt, and only the stripes of the lost rows keep
 * the bytes they had. They stay damaged, and
 * their CRCs still say so to every later check; the blobs that touch them
 * are what is lost, nothing more. Rebuilding the rest at once matters: what
 * parity can still rebuild today may be beyond it after the next damage. A
 * missing file is the exception: it is written back only whole.
 *
 * Then: a damaged catalog is rebuilt (checkpoint, then packs), orphan packs
 * are entered in the catalog, unprotected packs are added to parity groups.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { VaultError } from '../errors.ts';
import { errnoCode, writeFileAtomic } from '../fsutil/index.ts';
import { adoptPacks } from './adopt.ts';
import { catalogProblems, rebuildCatalog, writeCheckpoint } from './catalog-heal.ts';
import type { RebuildReport } from './catalog-heal.ts';
import { inspect } from './inspect.ts';
import type { GroupState, Inspection, ShardState } from './inspect.ts';
import { gatherCell, rowBytes, rowOf, stripeCrcs, symbolOf } from './layout.ts';
import { readParityShard, removeGroup, writeGroup } from './parity-store.ts';
import { ParityProtector, sameCrcs } from './protect.ts';
import { assessDamage, groupDissolvable, packsBeyondRepair } from './report.ts';
import { ReedSolomon } from './rs/index.ts';
import type { HealTarget } from './target.ts';

/** Rows decoded at once: (K + p) × WINDOW_ROWS × row bytes of memory (twice that while cells are gathered). */
const WINDOW_ROWS = 1024;

export interface RepairReport {
  /** Files rewritten with repaired bytes. */
  repairedFiles: string[];
  /** Bytes rebuilt from parity. */
  repairedBytes: number;
  /** Parity group files rewritten (damaged, stale or missing copies). */
  rewrittenGroups: string[];
  catalog: RebuildReport | null;
  packsAdopted: number;
  packsProtected: number;
  /** What the first inspection found, before anything was repaired. */
  found: Inspection;
  /** What is still wrong afterwards (damage beyond the parity budget). */
  remaining: Inspection;
  /**
   * Blobs newly recorded as lost (bundles with their members): the next
   * backup of a project that holds one stores its content again from the
   * source (catalog migration 0008).
   */
  lostBlobs: number;
  /** Missing or damaged packs dropped: nothing in them was needed any more. */
  packsForgotten: number;
  /** Parity groups dropped with such packs (their other members are protected anew). */
  groupsDropped: string[];
}

export interface RepairOptions {
  signal?: AbortSignal;
  onProgress?: (p: { phase: string; done: number; total: number; current: string | null }) => void;
}

export async function repair(target: HealTarget, options: RepairOptions = {}): Promise<RepairReport> {
  const first = await inspect(target, { ...(options.signal ? { signal: options.signal } : {}), onProgress: (p) => options.onProgress?.({ phase: 'checking', done: p.packs, total: p.packsTotal, current: p.current }) });
  const report: RepairReport = { repairedFiles: [], repairedBytes: 0, rewrittenGroups: [], catalog: null, packsAdopted: 0, packsProtected: 0, found: first, remaining: undefined as unknown as Inspection, lostBlobs: 0, packsForgotten: 0, groupsDropped: [] };
  for (const [n, group] of first.groups.entries()) {
    checkCancelled(options.signal);
    options.onProgress?.({ phase: 'repairing', done: n, total: first.groups.length, current: group.stored.desc.groupId.slice(0, 8) });
    await repairGroup(target, group, report);
  }

  const problems = target.catalogError ? [target.catalogError] : catalogProblems(target.dir, target.keys);
  if (problems.length > 0) {
    options.onProgress?.({ phase: 'rebuilding catalog', done: 0, total: 1, current: null });
    try {
      target.catalog?.close();
    } catch {
      // already unusable
    }
    report.catalog = await rebuildCatalog(target.dir, target.keys);
    const { openCatalog, CATALOG_FILE } = await import('../catalog/index.ts');
    target.catalog = openCatalog(join(target.dir, CATALOG_FILE), target.keys.catalogKey);
    target.catalogError = null;
    await writeCheckpoint(target.dir, target.catalog);
  } else if (target.catalog) {
    report.packsAdopted = await adoptPacks(target.packsDir, target.keys.blobKey, target.catalog);
  }
  // A lost pack whose content later backups stored again is needed by nothing: forget it. A group
  // beyond repair only in such packs is dropped with them; its other members are protected anew below.
  if (target.catalog) {
    const catalog = target.catalog;
    for (const packId of first.missingPacks) {
      if (!catalog.packUnneeded(packId)) continue;
      catalog.forgetPack(packId);
      report.packsForgotten++;
    }
    for (const g of first.groups) {
      if (!groupDissolvable(g, catalog)) continue;
      // The group first: after a crash here its dead packs are unprotected and missing or
      // unneeded, which the next repair forgets as above.
      await removeGroup(target.dir, g.stored.desc);
      report.groupsDropped.push(g.stored.desc.groupId);
      for (const packId of packsBeyondRepair(g)) {
        catalog.forgetPack(packId);
        await rm(join(target.packsDir, `${packId}.pack`), { force: true });
        report.packsForgotten++;
      }
    }
  }

  // Repair rewrites only protected packs, so which packs lack parity is known from the first
  // check, unless the catalog was rebuilt or packs were adopted.
  const afterGroups = report.catalog || report.packsAdopted > 0 || report.packsForgotten > 0 || report.groupsDropped.length > 0 ? await inspect(target) : first;
  const canProtect = afterGroups.unprotectedPacks.filter((id) => !afterGroups.damagedUnprotectedPacks.includes(id));
  if (canProtect.length > 0) {
    options.onProgress?.({ phase: 'protecting', done: 0, total: canProtect.length, current: null });
    const protector = await ParityProtector.open(target.dir, target.packsDir, target.pool);
    if (protector.enabled) {
      const sizes = await Promise.all(canProtect.map(async (id) => (await readFile(join(target.packsDir, `${id}.pack`))).length));
      for (const [i, id] of canProtect.entries()) await protector.add(id, sizes[i]!);
      await protector.finish();
      report.packsProtected = canProtect.length;
    }
  }
  // Every stripe again, and every blob of each rewritten pack: what repair wrote is checked
  // end to end, the rest was checked a moment ago.
  const rewritten = new Set(report.repairedFiles.flatMap((f) => (f.startsWith('packs/') && f.endsWith('.pack') ? [f.slice('packs/'.length, -'.pack'.length)] : [])));
  report.remaining = await inspect(target, { readDataOf: rewritten });
  report.lostBlobs = await recordLost(target, report.remaining);
  return report;
}

/**
 * Records in the catalog what is still beyond repair, so the next backup
 * does not take it for stored: a file whose content is lost is then read
 * from the source again, even with its metadata unchanged (a bundle with
 * all its members: a read may salvage some, a backup stores them all again;
 * see Catalog.markLost).
 */
async function recordLost(target: HealTarget, remaining: Inspection): Promise<number> {
  if (!target.catalog) return 0;
  const { lostBlobs } = await assessDamage(target, remaining, remaining.blobsChecked > 0, []);
  return target.catalog.markLost([...lostBlobs].map((hex) => Buffer.from(hex, 'hex')));
}

async function repairGroup(target: HealTarget, group: GroupState, report: RepairReport): Promise<void> {
  const d = group.stored.desc;
  const damaged = group.shards.filter((s) => s.badStripes.length > 0 || s.missing || (s.fileSize !== null && s.fileSize !== s.length && s.role === 'pack'));
  const staleCopies = group.stored.badCopies.length > 0;
  if (damaged.length === 0 && !staleCopies) return;
  const rs = new ReedSolomon(d.capacity * d.cells, d.parityCount * d.cells);
  const lost = new Set(group.lostRows);
  const isLost = (stripe: number) => lost.has(rowOf(d, stripe));
  /** Repaired stripes per shard index: stripe → bytes. */
  const patches = new Map<number, Map<number, Uint8Array>>();
  /** Per row, the erased codeword symbols (shard index · cells + cell), in order. */
  const erasedByRow = new Map<number, number[]>();
  for (const s of group.shards) {
    for (const stripe of s.badStripes) {
      const row = rowOf(d, stripe);
      if (!isLost(stripe) && !group.rowFixes.has(row)) erasedByRow.set(row, [...(erasedByRow.get(row) ?? []), symbolOf(d, s.index, stripe)]);
    }
  }
  // Rows the inspection already rebuilt from scattered damage (rs/locate.ts).
  for (const [row, fix] of group.rowFixes) {
    for (const [symbol, bytes] of fix) {
      const index = Math.floor(symbol / d.cells);
      const map = patches.get(index) ?? new Map<number, Uint8Array>();
      map.set(row * d.cells + (symbol % d.cells), bytes);
      patches.set(index, map);
    }
  }

  // Runs of consecutive rows with the same erasure pattern, cut into windows.
  const rows = [...erasedByRow.keys()].sort((a, b) => a - b);
  for (let i = 0; i < rows.length; ) {
    const start = rows[i]!;
    const pattern = erasedByRow.get(start)!.join(',');
    let end = start + 1;
    i++;
    while (i < rows.length && rows[i] === end && erasedByRow.get(end)!.join(',') === pattern && end - start < WINDOW_ROWS) {
      end++;
      i++;
    }
    await decodeRun(target, group, rs, start, end, erasedByRow.get(start)!, patches);
  }

  for (const shard of group.shards) {
    const shardPatches = patches.get(shard.index);
    if (shard.role !== 'pack') continue;
    // Bytes past the end are cut off; a pack with nothing rebuilt and nothing to cut (its damage all in lost rows) is left alone.
    const overlong = shard.fileSize !== null && shard.fileSize > shard.length;
    if (shardPatches === undefined && !overlong) continue;
    const lostHere = new Set(shard.badStripes.filter(isLost));
    // A missing pack comes back only whole. Written in part, it would keep blobs that later
    // backups reuse, so the group could never be dropped once the lost ones are stored again
    // (see groupDissolvable); whole or not at all, its blobs are all lost and all stored again.
    if (shard.missing && lostHere.size > 0) continue;
    const bytes = await assemble(target, group, shard, shardPatches);
    if (!sameCrcs(stripeCrcs(bytes, d.stripeBytes), d.memberCrcs[shard.index]!, lostHere)) {
      throw new VaultError('internal', `The rebuilt pack ${shard.name.slice(0, 8)} does not match its checksums; nothing was replaced.`);
    }
    await writeFileAtomic(join(target.packsDir, `${shard.name}.pack`), bytes, `pack ${shard.name.slice(0, 8)}`);
    report.repairedFiles.push(`packs/${shard.name}.pack`);
    report.repairedBytes += (shardPatches?.size ?? 0) * d.stripeBytes;
  }

  const parityShards = group.shards.filter((s) => s.role === 'parity');
  const parityDamaged = parityShards.some((s) => patches.has(s.index) || s.missing);
  if (parityDamaged || staleCopies) {
    const parity: Uint8Array[] = [];
    for (const s of parityShards) {
      const bytes = await assemble(target, group, s, patches.get(s.index));
      if (!sameCrcs(stripeCrcs(bytes, d.stripeBytes), d.parityCrcs[s.index - d.capacity]!, new Set(s.badStripes.filter(isLost)))) {
        throw new VaultError('internal', `The rebuilt parity of group ${d.groupId.slice(0, 8)} does not match its checksums; nothing was replaced.`);
      }
      parity.push(bytes);
      report.repairedBytes += (patches.get(s.index)?.size ?? 0) * d.stripeBytes;
    }
    await writeGroup(target.dir, d, parity);
    report.rewrittenGroups.push(d.groupId);
  }
}

/** Decodes rows [start, end) where the codeword symbols in `erased` are lost. */
async function decodeRun(target: HealTarget, group: GroupState, rs: ReedSolomon, start: number, end: number, erased: number[], patches: Map<number, Map<number, Uint8Array>>): Promise<void> {
  const d = group.stored.desc;
  const S = d.stripeBytes;
  const C = d.cells;
  const from = start * rowBytes(d);
  const length = (end - start) * rowBytes(d);
  const symbols: (Uint8Array | null)[] = [];
  const byIndex = new Map(group.shards.map((s) => [s.index, s]));
  for (let index = 0; index < d.capacity + d.parityCount; index++) {
    const wanted = Array.from({ length: C }, (_, c) => !erased.includes(index * C + c));
    const s = byIndex.get(index);
    // Slots without a member are zero shards: known, never erased.
    const bytes = !wanted.some(Boolean) ? undefined : s ? await readRange(target, group, s, from, length) : new Uint8Array(length);
    for (let c = 0; c < C; c++) symbols.push(wanted[c] ? gatherCell(bytes!, c, C, S) : null);
  }
  rs.reconstruct(symbols);
  for (const symbol of erased) {
    const index = Math.floor(symbol / C);
    const cell = symbol % C;
    const bytes = symbols[symbol]!;
    const map = patches.get(index) ?? new Map<number, Uint8Array>();
    for (let r = start; r < end; r++) map.set(r * C + cell, bytes.subarray((r - start) * S, (r - start + 1) * S));
    patches.set(index, map);
  }
}

/** Parity shards are read once per group, not once per decoded window. */
const parityCache = new WeakMap<GroupState, Map<number, Promise<Buffer | undefined>>>();

function parityBytes(target: HealTarget, group: GroupState, j: number): Promise<Buffer | undefined> {
  let cache = parityCache.get(group);
  if (!cache) parityCache.set(group, (cache = new Map()));
  let bytes = cache.get(j);
  if (!bytes) cache.set(j, (bytes = readParityShard(target.dir, group.stored, j).catch(() => undefined)));
  return bytes;
}

/** A shard's bytes in [from, from+length), zero beyond its length or its file's end. */
async function readRange(target: HealTarget, group: GroupState, s: ShardState, from: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const wanted = Math.max(0, Math.min(length, s.length - from));
  if (wanted === 0) return out;
  if (s.role === 'parity') {
    const bytes = await parityBytes(target, group, s.index - group.stored.desc.capacity);
    if (bytes) out.set(bytes.subarray(from, from + wanted));
    return out;
  }
  let handle;
  try {
    handle = await open(join(target.packsDir, `${s.name}.pack`), 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return out;
    throw err;
  }
  try {
    await handle.read(out, 0, wanted, from);
  } finally {
    await handle.close();
  }
  return out;
}

/** The shard's full, repaired content: its current bytes (or zeros), patched, cut to its length. */
async function assemble(target: HealTarget, group: GroupState, s: ShardState, shardPatches: Map<number, Uint8Array> | undefined): Promise<Buffer> {
  const S = group.stored.desc.stripeBytes;
  const out = Buffer.alloc(s.length);
  if (!s.missing) {
    if (s.role === 'parity') {
      const bytes = await parityBytes(target, group, s.index - group.stored.desc.capacity);
      bytes?.copy(out, 0, 0, Math.min(bytes.length, s.length));
    } else {
      const bytes = await readFile(join(target.packsDir, `${s.name}.pack`)).catch(() => undefined);
      bytes?.copy(out, 0, 0, Math.min(bytes.length, s.length));
    }
  }
  for (const [stripe, bytes] of shardPatches ?? []) {
    const at = stripe * S;
    out.set(bytes.subarray(0, Math.max(0, Math.min(S, s.length - at))), at);
  }
  return out;
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new VaultError('cancelled', 'The repair was cancelled.');
}
