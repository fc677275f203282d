/**
 * Locking the vault after a time without use, decided on the main side so it
 * works the same for the desktop window and for a browser over `mmry serve`.
 *
 * Idle means: no contract call has arrived from any page and no long
 * operation (backup, restore, verify...) has been running, for the whole
 * auto-lock time. A job that runs for an hour never gets its vault locked
 * under it; the idle time starts again when it ends.
 *
 * The clock and timers are injected (`IdleClock`), so the tests drive time by
 * hand. Only one timer is armed at a time, and a call does not re-arm it: the
 * timer wakes up, looks at the time of the last activity and sleeps again for
 * what remains, so a busy page costs nothing per call.
 */
import type { Dispatch } from '../ipc/dispatch.ts';

export interface IdleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: IdleClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending auto-lock must not keep `mmry serve` or a test process alive.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface IdleLockOptions {
  /** The auto-lock time in milliseconds; 0 means never. Read at every check, so a settings change applies at once. */
  idleMs: () => number;
  isUnlocked: () => boolean;
  /** True while a long operation runs. */
  isBusy: () => boolean;
  lock: () => Promise<void> | void;
  clock?: IdleClock;
}

export class IdleLock {
  readonly #options: IdleLockOptions;
  readonly #clock: IdleClock;
  #lastActivity: number;
  #timer: unknown = null;

  constructor(options: IdleLockOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#lastActivity = this.#clock.now();
  }

  /** Something happened (a call, a job ended): the idle time starts again. */
  touch(): void {
    this.#lastActivity = this.#clock.now();
    const idleMs = this.#options.idleMs();
    if (this.#timer === null && idleMs > 0) this.#arm(idleMs);
  }

  /** The auto-lock time changed: check again with the new value. */
  reconfigure(): void {
    this.#disarm();
    this.#check();
  }

  dispose(): void {
    this.#disarm();
  }

  /** When the vault will lock if nothing else happens, or null when no lock is pending. For tests and diagnostics. */
  get deadline(): number | null {
    const idleMs = this.#options.idleMs();
    if (this.#timer === null || idleMs <= 0) return null;
    return this.#lastActivity + idleMs;
  }

  #check(): void {
    this.#timer = null;
    const idleMs = this.#options.idleMs();
    if (idleMs <= 0 || !this.#options.isUnlocked()) return;
    const now = this.#clock.now();
    if (this.#options.isBusy()) {
      this.#lastActivity = now;
      return this.#arm(idleMs);
    }
    const left = this.#lastActivity + idleMs - now;
    if (left > 0) return this.#arm(left);
    void Promise.resolve(this.#options.lock()).catch(() => undefined);
  }

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#check(), Math.max(0, ms));
  }

  #disarm(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }
}

/** The dispatcher, with every incoming call counted as activity. */
export function countingActivity(dispatch: Dispatch, idle: IdleLock): Dispatch {
  return (name, args) => {
    idle.touch();
    return dispatch(name, args);
  };
}
