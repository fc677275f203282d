/**
 * Where inspection's checks run: in the worker pool and, when the target
 * allows it (the CLI; never the desktop app's main process, whose event loop
 * must stay free), on the main thread too.
 *
 * A check is one stripe-CRC pass over a file or one batch of blobs to
 * authenticate. Checks wait in one queue; the pool is kept POOL_DEPTH tasks
 * deep per thread, so a thread always has work queued while the main thread
 * is busy, and the main thread takes the next waiting batch of blobs whenever
 * its event loop is free (one per turn, so file reads and the pool's answers
 * are handled in between). CRC passes over whole files (~4 ms for a full
 * pack) go to the pool only: a long turn here would leave the threads idle
 * with nobody to hand them their next task.
 * On a machine with few cores that replaces a worker thread: one fewer
 * thread to start (~70 ms of CPU while Argon2id runs) and fewer messages,
 * the same checks done by the same functions.
 */
import { VaultError } from '../errors.ts';
import { checkItems } from '../workers/tasks.ts';
import type { TaskContext } from '../workers/tasks.ts';
import type { CheckResult, OpenItem } from '../workers/protocol.ts';
import type { WorkerPool } from '../workers/index.ts';

/** Tasks handed to the pool per thread before the rest wait here. */
const POOL_DEPTH = 3;

interface Waiting {
  inPool: () => Promise<unknown>;
  /** Undefined: the pool only. */
  here: (() => unknown) | undefined;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class CheckQueue {
  readonly #pool: WorkerPool;
  readonly #mainThread: TaskContext | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #waiting: Waiting[] = [];
  #inPool = 0;
  #turnScheduled = false;

  constructor(pool: WorkerPool, mainThread: TaskContext | undefined, signal: AbortSignal | undefined) {
    this.#pool = pool;
    this.#mainThread = mainThread;
    this.#signal = signal;
  }

  /** CRC-32 of every stripe of the first `length` bytes of `sab`. */
  crc(sab: SharedArrayBuffer, length: number, stripeBytes: number): Promise<Uint32Array> {
    return this.#enqueue(() => this.#pool.crc(sab, length, stripeBytes, this.#callOptions()), undefined);
  }

  /** Per blob: null when it authenticates, else why not. */
  check(items: OpenItem[]): Promise<CheckResult[]> {
    const ctx = this.#mainThread;
    return this.#enqueue(
      () => this.#pool.check(items, this.#callOptions()),
      () => checkItems(ctx!, items),
    );
  }

  #enqueue<T>(inPool: () => Promise<T>, here: (() => T) | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ inPool, here, resolve: resolve as (value: unknown) => void, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inPool < POOL_DEPTH * this.#pool.size && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      this.#inPool++;
      job
        .inPool()
        .then(job.resolve, job.reject)
        .finally(() => {
          this.#inPool--;
          this.#pump();
        });
    }
    if (this.#mainThread && this.#waiting.some((job) => job.here) && !this.#turnScheduled) {
      this.#turnScheduled = true;
      setImmediate(() => this.#mainThreadTurn());
    }
  }

  /** Runs one waiting check here, then lets the event loop turn before the next. */
  #mainThreadTurn(): void {
    this.#turnScheduled = false;
    const at = this.#waiting.findIndex((job) => job.here);
    const job = at < 0 ? undefined : this.#waiting.splice(at, 1)[0];
    if (job?.here) {
      try {
        if (this.#signal?.aborted) throw new VaultError('cancelled', 'The check was cancelled.');
        job.resolve(job.here());
      } catch (err) {
        job.reject(err);
      }
    }
    this.#pump();
  }

  #callOptions(): { signal?: AbortSignal } {
    return this.#signal ? { signal: this.#signal } : {};
  }
}
