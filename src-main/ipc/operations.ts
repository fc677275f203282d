/**
 * Long operations (backup, restore, verify, repair...).
 *
 * A call that starts one returns `{ opId }` at once. The operation then runs
 * in the background, reports progress as `op.progress` events (throttled, with
 * a rate and an ETA computed here so every job reports them the same way) and
 * ends with exactly one `op.finished` event: done, failed (with a typed error)
 * or cancelled. `cancel(opId)` aborts the operation's AbortSignal; the job is
 * expected to stop at its next check and leave the vault as it was.
 */
import { randomUUID } from 'node:crypto';
import type { EventName, EventPayload } from '../../src-shared/contract.ts';
import { VaultError } from '../engine/errors.ts';
import { toContractError } from './dispatch.ts';

export type EmitEvent = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/** What a job reports; rate and ETA are derived by the registry. */
export interface JobProgress {
  phase: string;
  files: number;
  filesTotal?: number | null;
  bytes: number;
  bytesTotal?: number | null;
  current?: string | null;
}

export interface JobContext {
  signal: AbortSignal;
  progress(p: JobProgress): void;
}

export type Job = (ctx: JobContext) => Promise<Record<string, unknown> | null>;

interface Running {
  kind: string;
  controller: AbortController;
}

export interface OperationsOptions {
  emit: EmitEvent;
  /** Minimum milliseconds between two progress events of one operation. */
  throttleMs?: number;
  now?: () => number;
  log?: (message: string, err: unknown) => void;
}

export class Operations {
  readonly #running = new Map<string, Running>();
  readonly #emit: EmitEvent;
  readonly #throttleMs: number;
  readonly #now: () => number;
  readonly #log: (message: string, err: unknown) => void;

  constructor(options: OperationsOptions) {
    this.#emit = options.emit;
    this.#throttleMs = options.throttleMs ?? 100;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? ((m, e) => console.error(m, e));
  }

  /**
   * Starts `job` in the background and returns its id at once, after telling
   * every page with `op.started` (so a job one page or the app itself started
   * shows everywhere); `title` says what it is, for a person.
   */
  start(kind: string, job: Job, title: string | null = null): { opId: string } {
    const opId = randomUUID();
    const controller = new AbortController();
    this.#running.set(opId, { kind, controller });
    const progress = this.#progressReporter(opId, kind);
    this.#emit('op.started', { opId, kind, title });
    // Run on a later tick so the caller receives the id before any event.
    setImmediate(() => void this.#run(opId, kind, job, { signal: controller.signal, progress }));
    return { opId };
  }

  cancel(opId: string): boolean {
    const op = this.#running.get(opId);
    if (!op) return false;
    op.controller.abort(new VaultError('cancelled', `The ${op.kind} was cancelled.`));
    return true;
  }

  get runningCount(): number {
    return this.#running.size;
  }

  async #run(opId: string, kind: string, job: Job, ctx: JobContext): Promise<void> {
    try {
      const summary = await job(ctx);
      this.#finish(opId, kind, ctx.signal.aborted ? 'cancelled' : 'done', null, summary);
    } catch (err) {
      const cancelled = ctx.signal.aborted || (err instanceof VaultError && err.kind === 'cancelled');
      const error = cancelled ? null : toContractError(err, kind, this.#log);
      this.#finish(opId, kind, cancelled ? 'cancelled' : 'failed', error, null);
    }
  }

  #finish(opId: string, kind: string, outcome: 'done' | 'failed' | 'cancelled', error: { kind: string; message: string } | null, summary: Record<string, unknown> | null): void {
    this.#running.delete(opId);
    this.#emit('op.finished', { opId, kind, outcome, error, summary });
  }

  #progressReporter(opId: string, kind: string): (p: JobProgress) => void {
    let lastSent = -Infinity;
    const window: { t: number; bytes: number }[] = [];
    return (p) => {
      const t = this.#now();
      window.push({ t, bytes: p.bytes });
      while (window.length > 2 && t - window[0]!.t > 5000) window.shift();
      if (t - lastSent < this.#throttleMs) return;
      lastSent = t;
      // Rate over a sliding window of the last ~5 s, so it follows changes in speed.
      const first = window[0]!;
      const elapsed = t - first.t;
      const rate = elapsed > 0 ? ((p.bytes - first.bytes) * 1000) / elapsed : 0;
      const total = p.bytesTotal ?? null;
      const etaSeconds = total !== null && rate > 0 ? Math.max(0, (total - p.bytes) / rate) : null;
      this.#emit('op.progress', {
        opId,
        kind,
        phase: p.phase,
        files: p.files,
        filesTotal: p.filesTotal ?? null,
        bytes: p.bytes,
        bytesTotal: total,
        rate: Math.max(0, rate),
        etaSeconds,
        current: p.current ?? null,
      });
    };
  }
}
