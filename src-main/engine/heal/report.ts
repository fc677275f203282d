/**
 * Turns an inspection into what a person needs: what is damaged, whether it
 * can be repaired, and which projects, snapshots and files are affected by
 * damage beyond repair.
 */
import { timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { decode } from '../codecs/index.ts';
import { blobIdHasher } from '../keys/index.ts';
import { readBlobBytes } from '../packs/index.ts';
import { salvageMembers } from '../packs/salvage.ts';
import { BlobKind, openBlob } from '../packs/seal.ts';
import { decodeTree } from '../snapshot/index.ts';
import type { TreeEntry } from '../snapshot/index.ts';
import type { Catalog } from '../catalog/index.ts';
import type { GroupState, Inspection } from './inspect.ts';
import { rowOf } from './layout.ts';
import { healRange } from './on-read.ts';
import type { HealTarget } from './target.ts';

export interface Damage {
  /** The file, relative to the vault folder. */
  where: string;
  what: string;
  repairable: boolean;
}

export interface AffectedFile {
  project: string;
  snapshot: string;
  path: string;
}

export interface VerifyReport {
  healthy: boolean;
  readData: boolean;
  headerRepaired: string | null;
  damage: Damage[];
  /** Packs no parity group protects yet (repair protects them). */
  unprotectedPacks: number;
  affected: AffectedFile[];
  /**
   * Blobs beyond repair that the catalog does not record as lost yet: until
   * `repair` records them, a backup takes them for stored and does not read
   * their files from the source again.
   */
  lossUnrecorded: number;
  packsChecked: number;
  bytesChecked: number;
  blobsChecked: number;
}

export async function buildReport(target: HealTarget, ins: Inspection, readData: boolean, catalogProblems: string[]): Promise<VerifyReport> {
  return (await assessDamage(target, ins, readData, catalogProblems)).report;
}

/** The report, and the hex ids of the sealed blobs it found beyond repair (bundles as bundles). */
export async function assessDamage(target: HealTarget, ins: Inspection, readData: boolean, catalogProblems: string[]): Promise<{ report: VerifyReport; lostBlobs: Set<string> }> {
  const damage: Damage[] = [];
  const lostBlobs = new Set<string>();
  /** Per pack with damaged stripes: those stripes. */
  const stripeDamage = new Map<string, { bad: Set<number>; stripeBytes: number }>();

  for (const g of ins.groups) {
    const d = g.stored.desc;
    const lost = new Set(g.lostRows);
    // Beyond repair only in packs nothing needs any more: repair drops the group and protects the rest anew.
    const dissolvable = target.catalog !== null && groupDissolvable(g, target.catalog);
    for (const s of g.shards) {
      const where = s.role === 'pack' ? `packs/${s.name}.pack` : `parity/${d.groupId}.${s.index - d.capacity}.parity`;
      const overlong = s.role === 'pack' && s.fileSize !== null && s.fileSize > s.length;
      if (s.badStripes.length === 0 && !overlong) continue;
      const lostHere = s.badStripes.filter((stripe) => lost.has(rowOf(d, stripe)));
      const what = s.missing ? 'missing' : s.fileSize !== null && s.fileSize < s.length ? `truncated to ${s.fileSize} of ${s.length} bytes` : overlong ? `${(s.fileSize ?? 0) - s.length} unexpected bytes at the end` : `${s.badStripes.length} damaged ${s.badStripes.length === 1 ? 'stripe' : 'stripes'} of ${d.stripeBytes} bytes`;
      if (dissolvable && lostHere.length > 0) {
        damage.push({ where, what: `${what}, beyond its parity; but no snapshot needs anything in the group's lost packs any more (stored again since): repair drops them and protects the rest of the group anew`, repairable: true });
        continue;
      }
      if (lostHere.length === 0) damage.push({ where, what, repairable: true });
      else if (lostHere.length === s.badStripes.length || s.missing) damage.push({ where, what: `${what}, beyond repair: more damage in the same rows of its group than the parity covers`, repairable: false });
      else damage.push({ where, what: `${what}; repair rebuilds all but ${lostHere.length} ${lostHere.length === 1 ? 'stripe' : 'stripes'} of them, in rows with more damage than the parity covers`, repairable: false });
      if (s.role !== 'pack') continue;
      stripeDamage.set(s.name, { bad: new Set(s.badStripes), stripeBytes: d.stripeBytes });
      if (lostHere.length === 0) continue;
      // Repair rebuilds every other stripe (repair.ts), so what is lost is the blobs that touch
      // these; of a missing pack, which comes back only whole, every blob.
      const lostStripes = new Set(s.missing ? s.badStripes : lostHere);
      for (const e of target.catalog?.blobsInPack(s.name) ?? []) {
        if (touches(e.offset, e.length, d.stripeBytes, (stripe) => lostStripes.has(stripe))) lostBlobs.add(Buffer.from(e.id).toString('hex'));
      }
    }
    for (const copy of g.stored.badCopies) {
      if (!damage.some((x) => x.where === `parity/${copy}`)) damage.push({ where: `parity/${copy}`, what: 'damaged, stale or missing copy of the group descriptor', repairable: true });
    }
  }
  for (const id of ins.unreadableGroups) damage.push({ where: `parity/${id}.*`, what: 'every copy of this parity group descriptor is damaged; its packs will be protected anew', repairable: true });
  for (const packId of ins.missingPacks) {
    if (target.catalog?.packUnneeded(packId)) {
      damage.push({ where: `packs/${packId}.pack`, what: 'missing, but no snapshot needs anything in it any more (stored again since); repair forgets it', repairable: true });
      continue;
    }
    damage.push({ where: `packs/${packId}.pack`, what: 'missing, and no parity protects it', repairable: false });
    for (const e of target.catalog?.blobsInPack(packId) ?? []) lostBlobs.add(Buffer.from(e.id).toString('hex'));
  }
  for (const packId of ins.damagedUnprotectedPacks) damage.push({ where: `packs/${packId}.pack`, what: 'its sealed header is damaged, and no parity protects it', repairable: false });
  for (const p of ins.blobProblems) {
    // Damage the stripe checksums also saw is reported with its stripes above (rebuilt by
    // repair, or lost with them); the rest predates the parity.
    const stripes = stripeDamage.get(p.packId);
    if (stripes && touches(p.offset, p.length, stripes.stripeBytes, (stripe) => stripes.bad.has(stripe))) continue;
    damage.push({ where: `packs/${p.packId}.pack`, what: `blob ${p.blobId.slice(0, 12)} at ${p.offset}: ${p.message}`, repairable: false });
    lostBlobs.add(p.blobId);
  }
  for (const message of catalogProblems) damage.push({ where: 'catalog.db', what: message, repairable: true });
  for (const packId of ins.orphanPacks) damage.push({ where: `packs/${packId}.pack`, what: 'not listed in the catalog (left by an interrupted backup)', repairable: true });

  const affected = lostBlobs.size > 0 && target.catalog ? await affectedFiles(target, lostBlobs) : [];
  const recorded = lostBlobs.size > 0 ? target.catalog?.lostBlobs() : undefined;
  const lossUnrecorded = recorded ? [...lostBlobs].filter((hex) => !recorded.has(hex)).length : 0;
  const report: VerifyReport = {
    healthy: damage.length === 0,
    readData,
    headerRepaired: target.headerRepaired,
    damage,
    unprotectedPacks: ins.unprotectedPacks.length,
    affected,
    lossUnrecorded,
    packsChecked: ins.packsChecked,
    bytesChecked: ins.bytesChecked,
    blobsChecked: ins.blobsChecked,
  };
  return { report, lostBlobs };
}

/** Whether bytes [offset, offset + length) of a shard overlap a stripe for which `hit` holds. */
function touches(offset: number, length: number, stripeBytes: number, hit: (stripe: number) => boolean): boolean {
  const last = Math.floor((offset + Math.max(1, length) - 1) / stripeBytes);
  for (let stripe = Math.floor(offset / stripeBytes); stripe <= last; stripe++) if (hit(stripe)) return true;
  return false;
}

/** The member packs of a group with damage in rows beyond repair. */
export function packsBeyondRepair(g: GroupState): string[] {
  const lost = new Set(g.lostRows);
  return g.shards.filter((s) => s.role === 'pack' && s.badStripes.some((stripe) => lost.has(rowOf(g.stored.desc, stripe)))).map((s) => s.name);
}

/**
 * Whether a group beyond repair has lost only what nothing needs: every
 * member with damage in its lost rows holds no blob a snapshot can still
 * need (Catalog.packUnneeded), its content having been stored again since.
 */
export function groupDissolvable(g: GroupState, catalog: Catalog): boolean {
  return g.lostRows.length > 0 && packsBeyondRepair(g).every((id) => catalog.packUnneeded(id));
}

/** Per member of a lost bundle, whether a read salvages it from the bundle's bytes as they are in its pack. */
async function salvageable(target: HealTarget, bundleId: Buffer, members: { id: Buffer; innerOffset: number; length: number }[], idOf: (bytes: Uint8Array) => Uint8Array): Promise<boolean[]> {
  const place = target.catalog!.getBlob(bundleId);
  let sealed: Buffer;
  try {
    if (!place) throw new Error('not in the catalog');
    sealed = await readBlobBytes(join(target.packsDir, `${place.packId}.pack`), place.offset, place.length);
  } catch {
    return members.map(() => false); // its pack is gone or cut short before it
  }
  return (await salvageMembers(target.keys.blobKey, idOf, bundleId, sealed, members)).map((b) => b !== undefined);
}

/** A tree's entries from the sealed bytes `read` gives, or null when they are missing or do not authenticate. */
async function readTree(target: HealTarget, idOf: (bytes: Uint8Array) => Uint8Array, id: Uint8Array, place: { rawLength: number }, read: () => Promise<Uint8Array | undefined>): Promise<TreeEntry[] | null> {
  try {
    const sealed = await read();
    if (!sealed) return null;
    const opened = openBlob(target.keys.blobKey, BlobKind.tree, id, sealed);
    const plain = decode(opened.codec, opened.payload, place.rawLength);
    return timingSafeEqual(idOf(plain), id) ? decodeTree(plain) : null;
  } catch {
    return null;
  }
}

/**
 * Every file (or folder listing) in every snapshot that needs one of `lost`
 * (hex ids of sealed blobs). A lost bundle loses the chunks inside it that
 * its damaged bytes do not still hold whole: reads salvage those (packs/
 * salvage.ts), so they are not reported.
 */
export async function affectedFiles(target: HealTarget, lostSealed: ReadonlySet<string>): Promise<AffectedFile[]> {
  const catalog = target.catalog!;
  const lost = new Set(lostSealed);
  const idOf = blobIdHasher(target.keys.idKey);
  for (const key of lostSealed) {
    const bundleId = Buffer.from(key, 'hex');
    const members = catalog.bundleMembers(bundleId);
    if (members.length === 0) continue;
    const saved = await salvageable(target, bundleId, members, idOf);
    members.forEach((m, n) => {
      if (!saved[n]) lost.add(m.id.toString('hex'));
    });
  }
  const projects = new Map(catalog.listProjects().map((p) => [p.id, p.name]));
  const out: AffectedFile[] = [];
  const cache = new Map<string, TreeEntry[] | null>();
  const loadTree = async (id: Uint8Array): Promise<TreeEntry[] | null> => {
    const key = Buffer.from(id).toString('hex');
    if (cache.has(key)) return cache.get(key)!;
    const place = lost.has(key) ? undefined : catalog.getBlob(id);
    let entries: TreeEntry[] | null = null;
    if (place) {
      entries = await readTree(target, idOf, id, place, () => readBlobBytes(join(target.packsDir, `${place.packId}.pack`), place.offset, place.length));
      // A listing the parity can rebuild is not affected: heal it on read, as a restore would.
      entries ??= await readTree(target, idOf, id, place, () => healRange(target, place.packId, place.offset, place.length));
    }
    cache.set(key, entries);
    return entries;
  };
  for (const snap of catalog.listSnapshots()) {
    const project = projects.get(snap.projectId) ?? '?';
    const walk = async (treeId: Uint8Array, prefix: string): Promise<void> => {
      const entries = await loadTree(treeId);
      if (!entries) {
        out.push({ project, snapshot: snap.id, path: prefix ? `${prefix}/ (listing)` : '/ (listing)' });
        return;
      }
      for (const e of entries) {
        const path = prefix ? `${prefix}/${e.name}` : e.name;
        if (e.type === 'dir' && e.subtree) await walk(e.subtree, path);
        else if (e.type === 'file' && (e.content ?? []).some((id) => lost.has(Buffer.from(id).toString('hex')))) out.push({ project, snapshot: snap.id, path });
      }
    };
    await walk(snap.treeId, '');
  }
  return out;
}
