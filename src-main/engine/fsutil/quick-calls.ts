/**
 * QuickCalls: synchronous file-system calls on the calling thread while the
 * file system answers them quickly, for the calls made once per entry (a
 * backup's readdir and lstat, a restore's mkdir and folder finishing).
 *
 * Why: an asynchronous call is a round trip through libuv's thread pool,
 * which for a local disk costs several times the call itself (an lstat from
 * the inode cache takes about 6 µs). On a slow file system (a network share,
 * a disk waking up) a synchronous call would hold the thread, the desktop
 * app's main process among them, so every call is timed and the caller goes
 * asynchronous for good once the answers are slow.
 *
 * The rule: a call slower than SLOW_CALL_MS is a slow answer; the calls turn
 * asynchronous after SLOW_ANSWERS_TOLERATED of them that are also at least
 * SLOW_ANSWER_SHARE of the calls made. A few alone, over thousands of calls,
 * are this thread being descheduled on a busy machine, not a slow disk: with
 * Argon2id and the module loading beside a backup's listing, a two-core
 * machine gave three of them in 11,000 calls often enough that "three and
 * out" left the listing undone.
 *
 * Callers also let the event loop in between calls (`yieldSometimes`), so a
 * run of fast calls holds the thread for at most SLICE_MS at a time.
 */
export const SLOW_CALL_MS = 5;
export const SLOW_ANSWERS_TOLERATED = 3;
export const SLOW_ANSWER_SHARE = 0.01;
/** Longest run of synchronous calls between two turns of the event loop. */
export const SLICE_MS = 4;

export interface QuickCallsOptions {
  /** Milliseconds; tests pass one that makes calls look slow. Default `performance.now`. */
  clock?: () => number;
  /** Start asynchronous (false), as for a file system known to be slow. Default true. */
  fast?: boolean;
}

export class QuickCalls {
  readonly clock: () => number;
  #fast: boolean;
  #calls = 0;
  #slowAnswers = 0;
  #sliceStart = Number.NEGATIVE_INFINITY;

  constructor(options: QuickCallsOptions = {}) {
    this.clock = options.clock ?? performance.now.bind(performance);
    this.#fast = options.fast ?? true;
  }

  /** Whether calls are still to be made synchronously (through `run`). */
  get fast(): boolean {
    return this.#fast;
  }

  /** Slow answers seen so far. */
  get slowAnswers(): number {
    return this.#slowAnswers;
  }

  /** Makes `call` now, synchronously, and times it (a throw is timed too, then passed on). */
  run<T>(call: () => T): T {
    const t0 = this.clock();
    try {
      return call();
    } finally {
      this.#calls++;
      if (this.clock() - t0 > SLOW_CALL_MS && ++this.#slowAnswers >= SLOW_ANSWERS_TOLERATED && this.#slowAnswers >= SLOW_ANSWER_SHARE * this.#calls) this.#fast = false;
    }
  }

  /** Lets the event loop run once SLICE_MS have passed since it last did (or since the first call). */
  async yieldSometimes(): Promise<void> {
    const now = this.clock();
    if (this.#sliceStart === Number.NEGATIVE_INFINITY) this.#sliceStart = now;
    if (now - this.#sliceStart <= SLICE_MS) return;
    await new Promise((r) => setImmediate(r));
    this.#sliceStart = this.clock();
  }
}
