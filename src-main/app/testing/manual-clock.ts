/**
 * A clock for tests whose time moves only when the test says so: timers fire
 * in order of their due time as `advance` passes them. Implements IdleClock.
 */
import type { IdleClock } from '../auto-lock.ts';

interface Pending {
  id: number;
  due: number;
  fn: () => void;
}

export class ManualClock implements IdleClock {
  #now: number;
  #nextId = 1;
  #pending: Pending[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#pending.push({ id, due: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending = this.#pending.filter((p) => p.id !== handle);
  }

  /** How many timers are waiting. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way (and those they set). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const next = this.#pending.filter((p) => p.due <= end).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      this.#pending = this.#pending.filter((p) => p !== next);
      this.#now = next.due;
      next.fn();
    }
    this.#now = end;
  }
}
