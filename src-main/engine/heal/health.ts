/**
 * Health: verify and repair as a person follows them in the app.
 *
 * Damage lives in vault files (packs, parity, the catalog), but a person
 * thinks in projects: "is my thesis safe?". So besides what `verify`
 * reports, a *health report* says per project how many files of how many
 * snapshots need damaged data (*at risk*), and how many of those the parity
 * cannot rebuild (*lost*). Packs are shared across projects by dedup, so one
 * damaged pack can touch several projects; damage to parity, descriptors or
 * the catalog touches no file and shows only in the vault-level list.
 *
 * A repair's report adds what it did, in sentences, and the per-project
 * picture before and after.
 */
import { affectedFiles, buildReport } from './report.ts';
import type { AffectedFile, Damage } from './report.ts';
import { catalogProblems } from './catalog-heal.ts';
import { inspect } from './inspect.ts';
import type { InspectOptions, Inspection } from './inspect.ts';
import { readSettings } from './parity-store.ts';
import { repair } from './repair.ts';
import type { RepairOptions, RepairReport } from './repair.ts';
import type { HealTarget } from './target.ts';

/** How many affected paths a report names per project; the counts are always whole. */
export const EXAMPLES_PER_PROJECT = 20;

export interface ProjectHealth {
  project: string;
  /** Snapshots with at least one file at risk. */
  snapshots: number;
  /** Files (or folder listings) that need damaged data. */
  atRisk: number;
  /** Of those, the ones damage beyond repair has made unrecoverable. */
  lost: number;
  /** The first affected paths, lost ones first. */
  examples: { snapshot: string; path: string; lost: boolean }[];
}

export interface HealthReport {
  healthy: boolean;
  readData: boolean;
  /** Every problem found, vault file by vault file. */
  damage: Damage[];
  /** Every project of the catalog, affected or not (empty when the catalog could not be read). */
  projects: ProjectHealth[];
  unprotectedPacks: number;
  /** Redundancy is 0: nothing can be repaired from parity. */
  parityOff: boolean;
  headerRepaired: string | null;
  packsChecked: number;
  bytesChecked: number;
  blobsChecked: number;
}

export interface HealthRepair {
  /** What the repair did, one sentence each; empty when there was nothing to do. */
  actions: string[];
  repairedFiles: string[];
  repairedBytes: number;
  catalogRebuilt: boolean;
  /** Per project, what was at risk when the repair started. */
  before: ProjectHealth[];
  after: HealthReport;
}

/** Verify (quick, or with `readData` every blob), reported per project. */
export async function checkHealth(target: HealTarget, options: InspectOptions = {}): Promise<HealthReport> {
  const ins = await inspect(target, options);
  return describeInspection(target, ins, options.readData === true, target.catalogError ? [target.catalogError] : []);
}

/**
 * Repair everything the parity can rebuild, then report what was done and
 * what remains. With `readData` the check afterwards reads every blob, so
 * damage only a full verify can see (inside a blob of an unprotected pack)
 * is not reported as gone.
 */
export async function repairHealth(target: HealTarget, options: RepairOptions & { readData?: boolean } = {}): Promise<HealthRepair> {
  const result = await repair(target, options);
  const before = await projectHealth(target, result.found, new Set());
  // repair() re-reads the blobs of the packs it rewrote only; a deep repair re-reads them all.
  const remaining = options.readData ? await inspect(target, { readData: true, ...(options.signal ? { signal: options.signal } : {}) }) : result.remaining;
  const after = await describeInspection(target, remaining, options.readData === true, catalogProblems(target.dir, target.keys));
  return {
    actions: repairActions(result, target.headerRepaired),
    repairedFiles: result.repairedFiles,
    repairedBytes: result.repairedBytes,
    catalogRebuilt: result.catalog !== null,
    before,
    after,
  };
}

/** What a repair did, in sentences for a person (the CLI prints the same). */
export function repairActions(r: RepairReport, headerRepaired: string | null, bytes: (n: number) => string = (n) => `${n} bytes`): string[] {
  const did: string[] = [];
  if (r.repairedFiles.length > 0) did.push(`repaired ${r.repairedFiles.length} pack file(s) (${bytes(r.repairedBytes)} rebuilt from parity)`);
  if (r.rewrittenGroups.length > 0) did.push(`rewrote ${r.rewrittenGroups.length} parity group(s)`);
  if (r.catalog) did.push(`rebuilt the catalog from the ${r.catalog.from === 'checkpoint' ? 'checkpoint and the packs' : 'packs'} (${r.catalog.snapshotsAdded} snapshot(s) recovered)`);
  if (r.packsAdopted > 0) did.push(`entered ${r.packsAdopted} pack(s) left by an interrupted backup in the catalog`);
  if (r.packsProtected > 0) did.push(`protected ${r.packsProtected} pack(s) with parity`);
  if (headerRepaired) did.push(`rewrote the damaged ${headerRepaired} from the other copy`);
  if (r.packsForgotten > 0) did.push(`forgot ${r.packsForgotten} lost pack(s) that nothing needs any more${r.groupsDropped.length > 0 ? `, and dropped ${r.groupsDropped.length} parity group(s) with them` : ''}`);
  if (r.lostBlobs > 0) did.push(`recorded ${r.lostBlobs} blob(s) beyond repair: the next backup of each affected project stores those files again from its source`);
  return did;
}

async function describeInspection(target: HealTarget, ins: Inspection, readData: boolean, catalogTrouble: string[]): Promise<HealthReport> {
  const report = await buildReport(target, ins, readData, catalogTrouble);
  const lost = new Set(report.affected.map(fileKey));
  return {
    healthy: report.healthy,
    readData,
    damage: report.damage,
    projects: await projectHealth(target, ins, lost),
    unprotectedPacks: report.unprotectedPacks,
    parityOff: (await readSettings(target.dir)).redundancy === 0,
    headerRepaired: report.headerRepaired,
    packsChecked: report.packsChecked,
    bytesChecked: report.bytesChecked,
    blobsChecked: report.blobsChecked,
  };
}

/** Every project, with the files that need a blob the inspection found damaged. */
async function projectHealth(target: HealTarget, ins: Inspection, lost: ReadonlySet<string>): Promise<ProjectHealth[]> {
  const catalog = target.catalog;
  if (!catalog) return [];
  const atRisk = damagedBlobs(target, ins);
  const files = atRisk.size > 0 ? await affectedFiles(target, atRisk) : [];
  const byProject = new Map<string, ProjectHealth & { snapshotIds: Set<string> }>();
  for (const p of catalog.listProjects()) byProject.set(p.name, { project: p.name, snapshots: 0, atRisk: 0, lost: 0, examples: [], snapshotIds: new Set() });
  for (const f of files) {
    const entry = byProject.get(f.project);
    if (!entry) continue;
    const isLost = lost.has(fileKey(f));
    entry.atRisk++;
    if (isLost) entry.lost++;
    entry.snapshotIds.add(f.snapshot);
    entry.examples.push({ snapshot: f.snapshot, path: f.path, lost: isLost });
  }
  return [...byProject.values()].map(({ snapshotIds, examples, ...p }) => ({
    ...p,
    snapshots: snapshotIds.size,
    examples: examples.sort((a, b) => Number(b.lost) - Number(a.lost)).slice(0, EXAMPLES_PER_PROJECT),
  }));
}

/**
 * Hex ids of every blob that touches damage: blobs over a damaged stripe of
 * a protected pack, every blob of a missing pack or of an unprotected pack
 * whose header is damaged, and blobs that failed authentication.
 */
function damagedBlobs(target: HealTarget, ins: Inspection): Set<string> {
  const out = new Set<string>();
  const catalog = target.catalog!;
  const hex = (id: Uint8Array) => Buffer.from(id).toString('hex');
  for (const g of ins.groups) {
    const stripe = g.stored.desc.stripeBytes;
    for (const s of g.shards) {
      if (s.role !== 'pack' || s.badStripes.length === 0) continue;
      const bad = new Set(s.badStripes);
      for (const b of catalog.blobsInPack(s.name)) {
        for (let r = Math.floor(b.offset / stripe); r <= Math.floor((b.offset + b.length - 1) / stripe); r++) {
          if (bad.has(r)) {
            out.add(hex(b.id));
            break;
          }
        }
      }
    }
  }
  for (const packId of [...ins.missingPacks, ...ins.damagedUnprotectedPacks]) for (const b of catalog.blobsInPack(packId)) out.add(hex(b.id));
  for (const p of ins.blobProblems) out.add(p.blobId);
  return out;
}

function fileKey(f: AffectedFile): string {
  return `${f.project}\u0000${f.snapshot}\u0000${f.path}`;
}
