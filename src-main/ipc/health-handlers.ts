/**
 * The contract's health, snapshot-label and file-history calls. Spread into
 * the handlers of `handlers.ts`.
 *
 * Terms: a *check* is one verify or repair run to its end, recorded in the
 * vault's catalog with its report (a repair's report is the check it makes
 * afterwards), so "last verified" and "what was found and fixed" survive
 * restarts. The `HealthService` runs checks as long operations under the
 * vault's write lock (nothing else writes while packs are being read) and is
 * shared with the app's verify schedule, which starts verifies on its own.
 */
import { checkHealth, repairHealth } from '../engine/heal/index.ts';
import type { HealthReport, ProjectHealth } from '../engine/heal/index.ts';
import { fileHistory } from '../engine/vault/index.ts';
import type { CallResult } from '../../src-shared/contract.ts';
import { HealthCheck } from '../../src-shared/contract.ts';
import { startLogged } from './activity.ts';
import type { ActivityContext } from './activity.ts';
import type { Handlers } from './dispatch.ts';
import type { JobProgress } from './operations.ts';

export type ProjectBadge = CallResult<'projects.list'>[number]['health'];
type Check = CallResult<'health.status'>['latest'] & {};

export interface HealthContext extends ActivityContext {
  /** Built by the app's glue when a verify schedule shares it; otherwise the handlers make their own. */
  health?: HealthService;
}

/** Checks kept in the status answer's history. */
const HISTORY = 20;

export class HealthService {
  readonly #ctx: ActivityContext;

  constructor(ctx: ActivityContext) {
    this.#ctx = ctx;
  }

  /** The recorded checks of the open vault, newest first. */
  checks(limit = HISTORY): Check[] {
    const out: Check[] = [];
    for (const row of this.#ctx.session.vault.catalog.listHealthChecks(limit)) {
      // A record this version cannot read (written by a newer one) is left out, not fatal.
      const parsed = HealthCheck.safeParse({ ...(row.report as object), id: row.id, at: row.at, kind: row.kind, readData: row.readData, healthy: row.healthy });
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }

  /** When the open vault's newest check ended; null when never, or while locked. */
  lastVerifiedAt(): number | null {
    return this.#ctx.session.unlocked ? (this.checks(1)[0]?.at ?? null) : null;
  }

  /** Per project, what the newest check says. */
  badges(): Map<string, ProjectBadge> {
    const out = new Map<string, ProjectBadge>();
    for (const p of this.checks(1)[0]?.report.projects ?? []) out.set(p.project, p.lost > 0 ? 'damaged' : p.atRisk > 0 ? 'at-risk' : 'healthy');
    return out;
  }

  startVerify(readData: boolean, title: string | null = null): { opId: string } {
    const vault = this.#ctx.session.vault;
    const mode = readData ? 'Full verify' : 'Quick verify';
    return startLogged(
      this.#ctx,
      'verify',
      null,
      (s) => `${mode}: ${verdict(s)}`,
      async ({ signal, progress }) => {
        const report = await vault.withWriteLock(readData ? 'verifying every blob' : 'verifying', async () => {
          const target = vault.healTarget();
          try {
            return await checkHealth(target, { readData, signal, onProgress: (p) => progress({ phase: p.phase, files: p.packs, filesTotal: p.packsTotal, bytes: p.bytes, bytesTotal: p.bytesTotal, current: p.current }) });
          } finally {
            await target.close();
          }
        }, { signal });
        this.#record('verify', report, [], []);
        return summaryOf(report, []);
      },
      title,
    );
  }

  /**
   * Repairs, then checks as deeply as the newest check did: after a full
   * verify found damage inside a blob, a quick check must not call it gone.
   */
  startRepair(): { opId: string } {
    const session = this.#ctx.session;
    const vault = session.vault;
    const deep = this.checks(1)[0]?.readData === true;
    return startLogged(
      this.#ctx,
      'repair',
      null,
      (s) => `Repair: ${(s['actions'] as string[]).join('; ') || 'nothing to do'}. ${verdict(s)}`,
      async ({ signal, progress }) => {
        const result = await vault.withWriteLock('repairing', async () => {
          const target = vault.healTarget();
          try {
            return await repairHealth(target, { readData: deep, signal, onProgress: (p) => progress(repairProgress(p)) });
          } finally {
            await target.close();
          }
        }, { signal });
        // The rebuilt catalog replaced the file under the session's connection.
        if (result.catalogRebuilt) await session.reopen();
        this.#record('repair', result.after, result.actions, result.before);
        return summaryOf(result.after, result.actions);
      },
    );
  }

  #record(kind: 'verify' | 'repair', report: HealthReport, actions: string[], before: ProjectHealth[]): void {
    if (!this.#ctx.session.unlocked) return;
    this.#ctx.session.vault.catalog.addHealthCheck({ at: (this.#ctx.now ?? Date.now)(), kind, readData: report.readData, healthy: report.healthy, report: { report, actions, before } });
  }
}

function repairProgress(p: { phase: string; done: number; total: number; current: string | null }): JobProgress {
  return { phase: p.phase, files: p.done, filesTotal: p.total, bytes: 0, bytesTotal: null, current: p.current };
}

/** What op.finished carries for a check, for the operations panel. */
function summaryOf(r: HealthReport, actions: string[]): Record<string, unknown> {
  return {
    healthy: r.healthy,
    readData: r.readData,
    problems: r.damage.length,
    repairable: r.damage.filter((d) => d.repairable).length,
    lostFiles: r.projects.reduce((n, p) => n + p.lost, 0),
    packs: r.packsChecked,
    actions,
  };
}

function verdict(s: Record<string, unknown>): string {
  if (s['healthy']) return `the vault is healthy (${String(s['packs'])} packs checked).`;
  const problems = Number(s['problems']);
  const lost = Number(s['lostFiles']);
  const all = Number(s['repairable']) === problems;
  return `${problems} problem${problems === 1 ? '' : 's'} found${all ? ', all repairable' : ''}${lost > 0 ? `; ${lost} file${lost === 1 ? '' : 's'} cannot be recovered` : ''}.`;
}

type HealthCalls = 'health.status' | 'health.verify' | 'health.repair' | 'snapshot.set-labels' | 'file.history';

export function createHealthHandlers(ctx: HealthContext): Pick<Handlers, HealthCalls> {
  const health = ctx.health ?? new HealthService(ctx);
  return {
    'health.status': () => {
      const checks = health.checks();
      return { lastVerifiedAt: checks[0]?.at ?? null, latest: checks[0] ?? null, history: checks.map(({ report: _r, before: _b, ...rest }) => rest) };
    },
    'health.verify': ({ readData }) => health.startVerify(readData),
    'health.repair': () => health.startRepair(),
    'snapshot.set-labels': ({ snapshotId, note, tags }) => {
      const vault = ctx.session.vault;
      const s = vault.resolveSnapshot(snapshotId);
      const text = note?.trim() ? note.trim() : null;
      vault.catalog.setSnapshotLabels(s.id, text, [...new Set(tags)]);
      return { note: text, tags: vault.catalog.snapshotTags().get(s.id) ?? [] };
    },
    'file.history': ({ project, path }) => fileHistory(ctx.session.vault, project, path),
  };
}
