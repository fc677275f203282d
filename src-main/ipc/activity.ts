/**
 * The activity log as the handlers write it: single events (unlock, lock…)
 * and the end of every long job (backup, restore, verify, repair…), in the
 * open vault's catalog. A locked vault logs nothing, and failing to write
 * the log never fails the action it describes.
 */
import { VaultError } from '../engine/errors.ts';
import type { Job, Operations } from './operations.ts';
import type { VaultSession } from './session.ts';

export type Outcome = 'done' | 'failed' | 'cancelled';

export interface ActivityContext {
  operations: Operations;
  session: VaultSession;
  now?: () => number;
}

export function recordActivity(ctx: ActivityContext, kind: string, outcome: Outcome, project: string | null, detail: string): void {
  if (!ctx.session.unlocked) return;
  try {
    ctx.session.vault.catalog.addActivity({ at: (ctx.now ?? Date.now)(), kind, outcome, project, detail });
  } catch {
    // The log is a convenience; failing to write it must not fail the action.
  }
}

/**
 * Starts a long operation whose end is written to the activity log: `describe`
 * turns a finished job's summary into the log's sentence; the project is
 * `project`, or the summary's `project` when that is null.
 */
export function startLogged(
  ctx: ActivityContext,
  kind: string,
  project: string | null,
  describe: (summary: Record<string, unknown>) => string,
  job: Job,
  title: string | null = null,
): { opId: string } {
  return ctx.operations.start(
    kind,
    async (jobCtx) => {
      try {
        const summary = await job(jobCtx);
        recordActivity(ctx, kind, jobCtx.signal.aborted ? 'cancelled' : 'done', project ?? (summary?.['project'] as string | undefined) ?? null, summary ? describe(summary) : '');
        return summary;
      } catch (err) {
        const cancelled = jobCtx.signal.aborted || (err instanceof VaultError && err.kind === 'cancelled');
        recordActivity(ctx, kind, cancelled ? 'cancelled' : 'failed', project, cancelled ? `The ${kind} was cancelled.` : err instanceof VaultError ? err.message : `The ${kind} failed.`);
        throw err;
      }
    },
    title,
  );
}
