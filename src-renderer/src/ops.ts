/**
 * Long operations as the page sees them: started by a call that returned an
 * opId, fed by `op.progress` and `op.finished` events. A tiny external store
 * (for useSyncExternalStore), so every screen shows the same jobs.
 */
import type { EventPayload } from '../../src-shared/contract.ts';
import { formatBytes, formatEta, formatRate, plural } from './lib/format.ts';

export interface OpView {
  opId: string;
  kind: string;
  /** What the user started, e.g. "Backup of /home/me/site". */
  title: string;
  startedAt: number;
  progress: EventPayload<'op.progress'> | null;
  finished: EventPayload<'op.finished'> | null;
}

export interface Warning {
  path: string;
  message: string;
}

/**
 * Finished jobs shown at most; older ones leave the panel (the Activity log
 * keeps them all). Running jobs always stay. Without a bound, a day of
 * backups and verifies left the panel covering half the window.
 */
export const FINISHED_SHOWN = 5;

export class OpsStore {
  #ops: OpView[] = [];
  readonly #listeners = new Set<() => void>();
  /** Events for ids not started from this page yet (an event can beat the call's answer). */
  readonly #early = new Map<string, { progress?: EventPayload<'op.progress'>; finished?: EventPayload<'op.finished'> }>();

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  snapshot = (): OpView[] => this.#ops;

  /** This page started an op: show it under `title` (also when `op.started` already showed it). */
  started(opId: string, kind: string, title: string, now = Date.now()): void {
    if (this.#ops.some((o) => o.opId === opId)) {
      this.#set(this.#ops.map((o) => (o.opId === opId ? { ...o, title } : o)));
      return;
    }
    const early = this.#early.get(opId);
    this.#early.delete(opId);
    this.#set([{ opId, kind, title, startedAt: now, progress: early?.progress ?? null, finished: early?.finished ?? null }, ...this.#ops]);
  }

  /** `op.started`: an op from any page or from the app itself (a scheduled verify); a known one keeps its title. */
  announced(a: EventPayload<'op.started'>, now = Date.now()): void {
    if (this.#ops.some((o) => o.opId === a.opId)) return;
    this.started(a.opId, a.kind, a.title ?? defaultTitle(a.kind), now);
  }

  progress(p: EventPayload<'op.progress'>): void {
    if (!this.#ops.some((o) => o.opId === p.opId)) {
      this.#early.set(p.opId, { ...this.#early.get(p.opId), progress: p });
      return;
    }
    this.#set(this.#ops.map((o) => (o.opId === p.opId && !o.finished ? { ...o, progress: p } : o)));
  }

  finished(f: EventPayload<'op.finished'>): void {
    if (!this.#ops.some((o) => o.opId === f.opId)) {
      this.#early.set(f.opId, { ...this.#early.get(f.opId), finished: f });
      return;
    }
    this.#set(this.#ops.map((o) => (o.opId === f.opId ? { ...o, finished: f } : o)));
  }

  dismiss(opId: string): void {
    this.#set(this.#ops.filter((o) => o.opId !== opId));
  }

  clear(): void {
    this.#set([]);
  }

  #set(ops: OpView[]): void {
    // Newest first: the finished jobs past the bound are the oldest ones.
    let finished = 0;
    this.#ops = ops.filter((o) => o.finished === null || ++finished <= FINISHED_SHOWN);
    for (const l of this.#listeners) l();
  }
}

/** A title for an op this page did not start and whose starter gave none. */
export function defaultTitle(kind: string): string {
  return `${kind.charAt(0).toUpperCase()}${kind.slice(1)}`;
}

/** Warnings a finished job reported in its summary (unreadable files, names left out...). */
export function warningsOf(op: OpView): Warning[] {
  const w = op.finished?.summary?.['warnings'];
  return Array.isArray(w) ? (w as Warning[]).filter((x) => typeof x?.path === 'string') : [];
}

/** Fraction done (0..1) when it can be known (not once the job has gone past its estimate). */
export function fractionDone(op: OpView): number | null {
  if (op.finished) return 1;
  const p = op.progress;
  if (!p) return null;
  if (p.bytesTotal) return p.bytes <= p.bytesTotal ? p.bytes / p.bytesTotal : null;
  if (p.filesTotal) return p.files <= p.filesTotal ? p.files / p.filesTotal : null;
  return null;
}

/**
 * A running backup's, restore's or export's progress in words: files, bytes
 * (of the estimate, while the estimate holds), rate, and time left. An
 * estimate comes from the project's previous snapshot; once a job has gone
 * past it, it says nothing about what is left, so neither total nor ETA is shown.
 */
export function progressText(p: EventPayload<'op.progress'>): string {
  const estimateHolds = p.bytesTotal !== null && p.bytesTotal > 0 && p.bytes <= p.bytesTotal;
  const bytes = estimateHolds ? `${formatBytes(p.bytes)} of about ${formatBytes(p.bytesTotal!)}` : formatBytes(p.bytes);
  const eta = estimateHolds ? formatEta(p.etaSeconds) : '';
  return [plural(p.files, 'file'), bytes, `${formatRate(p.rate)}${eta ? ` · ${eta}` : ''}`].join(' · ');
}
