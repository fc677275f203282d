/**
 * Words for the vault's health: what a check found, what a repair did, how a
 * running check is doing, and what a project's badge means. Pure, so the
 * sentences are tested without a page.
 */
import type { CallResult, EventPayload } from '../../../src-shared/contract.ts';
import { formatBytes, formatEta, formatRate, plural } from './format.ts';

type Check = NonNullable<CallResult<'health.status'>['latest']>;
type Report = Check['report'];
export type Badge = CallResult<'projects.list'>[number]['health'];

export const BADGE_TEXT: Record<Badge, string> = {
  unchecked: 'Not verified yet',
  healthy: 'Healthy',
  'at-risk': 'Damage found, repairable',
  damaged: 'Damaged beyond repair',
};

/** One line on a report: healthy, or what was found and whether repair can fix it. */
export function verdict(r: Report): string {
  if (r.healthy) return 'The vault is healthy.';
  const lost = r.projects.reduce((n, p) => n + p.lost, 0);
  const repairable = r.damage.filter((d) => d.repairable).length;
  const found = `${plural(r.damage.length, 'problem')} found`;
  if (repairable === r.damage.length) return `${found}; all can be repaired. Run Repair to put them back.`;
  if (lost > 0) return `${found}; ${plural(lost, 'file')} cannot be recovered from parity. Everything else stays usable.`;
  return `${found}; ${plural(r.damage.length - repairable, 'problem')} cannot be repaired from parity.`;
}

/** What was checked: "12 packs, 180 MB checksummed" or "… 4,102 blobs read and authenticated". */
export function scope(r: Report): string {
  return r.readData ? `${plural(r.packsChecked, 'pack')}, ${plural(r.blobsChecked, 'blob')} read and authenticated` : `${plural(r.packsChecked, 'pack')}, ${formatBytes(r.bytesChecked)} checksummed`;
}

/** A project's line in a report: "2 files in 1 snapshot at risk, all repairable". */
export function projectLine(p: Report['projects'][number]): string {
  if (p.atRisk === 0) return 'No damaged data.';
  const where = `${plural(p.atRisk, 'file')} in ${plural(p.snapshots, 'snapshot')}`;
  const need = p.atRisk === 1 ? 'needs' : 'need';
  if (p.lost === 0) return `${where} ${need} damaged data; repair can rebuild it.`;
  if (p.lost === p.atRisk) return `${where} cannot be recovered.`;
  return `${where} ${need} damaged data; ${plural(p.lost, 'file')} cannot be recovered.`;
}

/** A running verify or repair, for the operations panel. */
export function checkProgressText(p: EventPayload<'op.progress'>): string {
  const packs = p.filesTotal ? `${p.phase} · pack ${Math.min(p.files + 1, p.filesTotal)} of ${p.filesTotal}` : p.phase;
  if (p.kind === 'repair' || !p.bytesTotal) return packs;
  return `${packs} · ${formatBytes(p.bytes)} of ${formatBytes(p.bytesTotal)} · ${formatRate(p.rate)} ${formatEta(p.etaSeconds)}`.trim();
}

/** A finished verify or repair, from its op.finished summary. */
export function checkOutcomeText(kind: string, summary: Record<string, unknown> | null): string {
  const s = summary ?? {};
  const actions = Array.isArray(s['actions']) ? (s['actions'] as string[]) : [];
  const did = kind === 'repair' ? `${actions.length > 0 ? `Repaired: ${actions.join('; ')}` : 'Nothing to repair'}. ` : '';
  if (s['healthy'] === true) return `${did}The vault is healthy.`;
  const problems = Number(s['problems'] ?? 0);
  const repairable = Number(s['repairable'] ?? 0);
  const lost = Number(s['lostFiles'] ?? 0);
  const rest = repairable === problems ? ', all repairable' : lost > 0 ? `; ${plural(lost, 'file')} cannot be recovered` : `; ${problems - repairable} not repairable`;
  return `${did}${plural(problems, 'problem')} found${rest}.`;
}

/**
 * When the next scheduled verify falls due, in words; null when scheduling is
 * off. The same rule as main's schedule: counted from `unverifiedSince`, the
 * last verify or else the oldest snapshot (null: nothing to verify yet).
 */
export function nextVerifyText(unverifiedSince: number | null, everyDays: number, now: number): string | null {
  if (everyDays <= 0) return null;
  if (unverifiedSince === null) return 'The first verify is scheduled once the vault holds a snapshot.';
  const due = Math.min(unverifiedSince, now) + everyDays * 86_400_000;
  if (due <= now) return 'A verify is due now; it starts when no other job is running.';
  const days = Math.ceil((due - now) / 86_400_000);
  return `The next verify is due in ${plural(days, 'day')}.`;
}
