/**
 * The scheduled verify: every `verifyEveryDays` days (a setting; 0 = never)
 * the vault's stripe checksums are checked, so silent damage on the disk is
 * found while parity can still repair it.
 *
 * `verifyDue` is the rule, pure: a verify is due once the vault's data has
 * gone unverified for that many days, counted from its last verify or, for a
 * vault never verified, from its oldest snapshot (an empty vault has nothing
 * to verify, and a new one is not checked the minute it is made). The
 * `VerifySchedule` applies it while the vault is unlocked: it looks when the
 * vault is unlocked and then every `checkEveryMs` (an hour by default), and
 * starts a verify only when no job is busy, so it never competes with a
 * backup; one it started that was cancelled or failed is not retried for a
 * day. Clock and timers are injected.
 */
import type { IdleClock } from './auto-lock.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface VerifyDue {
  due: boolean;
  /** When the next verify falls due; null when scheduling is off. */
  nextAt: number | null;
}

/** `unverifiedSince`: the last verify, else the oldest snapshot; null when the vault holds nothing. */
export function verifyDue(unverifiedSince: number | null, everyDays: number, now: number): VerifyDue {
  if (everyDays <= 0 || unverifiedSince === null) return { due: false, nextAt: null };
  // A time "in the future" (the clock was moved back) counts as now, not as years of safety.
  if (unverifiedSince > now) return { due: false, nextAt: now + everyDays * DAY_MS };
  const nextAt = unverifiedSince + everyDays * DAY_MS;
  return { due: now >= nextAt, nextAt };
}

export interface VerifyScheduleOptions {
  everyDays: () => number;
  isUnlocked: () => boolean;
  /** True while any long job runs (a verify among them). */
  isBusy: () => boolean;
  /** The open vault's last verify, else its oldest snapshot; null when it holds nothing. */
  unverifiedSince: () => number | null;
  /** Starts a verify as a long operation. */
  startVerify: () => void;
  clock: IdleClock;
  checkEveryMs?: number;
}

export class VerifySchedule {
  readonly #o: VerifyScheduleOptions;
  #timer: unknown = null;
  /** When this schedule last started a verify: a cancelled or failed one is not retried within a day. */
  #startedAt = -Infinity;

  constructor(options: VerifyScheduleOptions) {
    this.#o = options;
  }

  /** Looks now (call it after an unlock or a settings change) and keeps looking periodically. */
  check(): void {
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#o.isUnlocked() || this.#o.everyDays() <= 0) return;
    const now = this.#o.clock.now();
    if (!this.#o.isBusy() && now - this.#startedAt >= DAY_MS && verifyDue(this.#o.unverifiedSince(), this.#o.everyDays(), now).due) {
      this.#startedAt = now;
      this.#o.startVerify();
    }
    this.#timer = this.#o.clock.setTimeout(() => this.check(), this.#o.checkEveryMs ?? 60 * 60 * 1000);
  }

  dispose(): void {
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
