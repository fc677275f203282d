import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { VaultError } from '../errors.ts';
import { KEY_SLOT_BYTES, writeKeySlot } from './protocol.ts';
import type { CheckResult, HashItem, HashResult, OpenItem, ParityTask, Reply, SealItem, SealResult, Task, WireError, WorkerKeys, WriteFileItem } from './protocol.ts';
import { makeContext, runTask, type TaskContext } from './tasks.ts';

/** How a pool runs, apart from its keys. */
export interface PoolShape {
  /** Threads at most; default: the cores (`os.availableParallelism()`). */
  threads?: number;
  /** The worker entry; default `./worker.ts` beside this file. The Electron bundle passes its built .js. */
  workerFile?: string | URL;
  /** Milliseconds an idle thread lives before it exits (default 30 s). */
  idleTimeoutMs?: number;
}

export interface WorkerPoolOptions extends WorkerKeys, PoolShape {}

export interface CallOptions {
  /** Aborting rejects with VaultError('cancelled'); a running task's thread is stopped and replaced. */
  signal?: AbortSignal;
}

/** The worker entry beside this module: worker.ts among the sources, worker.js in a bundle (the CLI's out/cli). */
const DEFAULT_WORKER = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
/**
 * A worker's short-lived objects are task messages and buffers that leave at
 * once; V8's default young generation (48 MiB) only holds garbage longer.
 * Measured on the 244 MB corpus: peak RSS of a backup 430–470 → 370–400 MB at the
 * same speed.
 */
const WORKER_YOUNG_GENERATION_MB = 6;
/**
 * A task over at most this many bytes runs on the calling thread while the
 * pool has no thread: loading the engine into a new thread costs 50-100 ms
 * of CPU, while sealing the 300-byte manifest of an unchanged re-backup, or
 * folding its one tiny pack into parity, takes microseconds (on two cores,
 * starting both threads beside the listing made an unchanged re-backup
 * wait for them). Once a thread runs, every task goes to the pool; and once
 * INLINE_TOTAL_BYTES have run inline, the threads start, so a long run of
 * small tasks (the search index loading a vault's listings) never holds the
 * calling thread, Electron's main process in the app, for more than a few
 * milliseconds in all.
 */
export const INLINE_TASK_BYTES = 64 * 1024;
export const INLINE_TOTAL_BYTES = 1024 * 1024;

/**
 * The main side of the worker pool. One call is one task on one thread:
 * submit several batches at once to keep every thread busy.
 */
export class WorkerPool {
  readonly #options: PoolShape;
  readonly #size: number;
  /** The keys travel to the threads in shared memory (see protocol.ts), so threads can start before them. */
  readonly #keys = new SharedArrayBuffer(KEY_SLOT_BYTES);
  #hasKeys = false;
  /** The calling thread's own context, for small tasks before any thread runs (INLINE_TASK_BYTES). */
  #inline: TaskContext | undefined;
  #inlineBytes = 0;
  #piscina: Piscina | undefined;
  #closed = false;

  private constructor(options: PoolShape) {
    this.#options = options;
    this.#size = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  }

  /** Starts no thread: the first task does. */
  static create(options: WorkerPoolOptions): WorkerPool {
    const pool = new WorkerPool(options);
    pool.setKeys(options);
    return pool;
  }

  /**
   * Starts every thread before the keys exist: loading a thread takes about
   * as long as deriving the key from the password, so the two overlap. Tasks
   * are refused until `setKeys`; `close` it if unlocking fails.
   */
  static warm(options: PoolShape): WorkerPool {
    const pool = new WorkerPool(options);
    pool.warmUp();
    return pool;
  }

  /**
   * Starts every thread now, for a caller that knows large tasks are coming
   * (a first backup); otherwise the first task over INLINE_TASK_BYTES does.
   * A closed or failed pool starts nothing; its next call reports why.
   */
  warmUp(): void {
    if (this.#closed || this.#poolFailure) return;
    const piscina = this.#start();
    for (let i = 0; i < this.#size; i++) void piscina.run({ kind: 'ping' } satisfies Task).catch(() => undefined);
  }

  /** Gives the threads their keys; once, before the first task. */
  setKeys(keys: WorkerKeys): void {
    if (this.#hasKeys) throw new VaultError('internal', 'The worker pool already has its keys.');
    this.#inline = makeContext(keys); // fails here, on the caller's stack, on a bad key or chunker setting
    writeKeySlot(this.#keys, keys);
    this.#hasKeys = true;
  }

  /** The most threads this pool runs at once. */
  get size(): number {
    return this.#size;
  }

  /** Threads alive right now (0 before the first task and after `close`). */
  get liveThreads(): number {
    return this.#piscina?.threads.length ?? 0;
  }

  /** Tasks the threads have finished, since they started (not those run inline). */
  get completedTasks(): number {
    return this.#piscina?.completed ?? 0;
  }

  /** Chunks (where `chunked`) and computes blob ids for byte ranges of `buffer`. */
  hash(buffer: SharedArrayBuffer, items: HashItem[], opts?: CallOptions): Promise<HashResult[]> {
    return this.#run({ kind: 'hash', buffer, items }, opts) as Promise<HashResult[]>;
  }

  /** Compresses and seals byte ranges of `buffer`; the sealed bytes come back transferred, not copied. */
  seal(buffer: SharedArrayBuffer, items: SealItem[], opts?: CallOptions): Promise<SealResult[]> {
    return this.#run({ kind: 'seal', buffer, items }, opts) as Promise<SealResult[]>;
  }

  /** Authenticates, decompresses and id-checks sealed blobs; one damaged blob fails the batch with 'damaged-data'. */
  open(items: OpenItem[], opts?: CallOptions): Promise<Uint8Array[]> {
    return this.#run({ kind: 'open', items }, opts) as Promise<Uint8Array[]>;
  }

  /** Per blob: null when it authenticates and matches its id, else why not. Never returns plaintext. */
  check(items: OpenItem[], opts?: CallOptions): Promise<CheckResult[]> {
    return this.#run({ kind: 'check', items }, opts) as Promise<CheckResult[]>;
  }

  /** CRC-32 of every stripe of the first `length` bytes of `buffer`. */
  crc(buffer: SharedArrayBuffer, length: number, stripeBytes: number, opts?: CallOptions): Promise<Uint32Array> {
    return this.#run({ kind: 'crc', buffer, length, stripeBytes }, opts) as Promise<Uint32Array>;
  }

  /** Adds coefs[j] · data into each shared parity shard j and returns the data's stripe CRCs. */
  parity(task: Omit<ParityTask, 'kind'>, opts?: CallOptions): Promise<Uint32Array> {
    return this.#run({ kind: 'parity', ...task }, opts) as Promise<Uint32Array>;
  }

  /**
   * Restores whole files in a worker (see write-files.ts); per item null when
   * it is in place, else the typed reason it is not (nothing of it is left).
   */
  writeFiles(packsDir: string, items: WriteFileItem[], opts?: CallOptions): Promise<(WireError | null)[]> {
    return this.#run({ kind: 'write-files', packsDir, items, nowSeconds: Date.now() / 1000 }, opts) as Promise<(WireError | null)[]>;
  }

  /** Lets submitted tasks finish, then ends every thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const piscina = this.#piscina;
    this.#piscina = undefined;
    if (piscina !== undefined) await piscina.close();
  }

  async #run(task: Task, opts: CallOptions | undefined): Promise<unknown> {
    const signal = opts?.signal;
    if (signal?.aborted) throw cancelled();
    if (!this.#hasKeys) throw new VaultError('internal', 'The worker pool has no keys yet.');
    if (this.#piscina === undefined && this.#inline !== undefined && !this.#closed) {
      const bytes = inlineBytes(task) ?? Infinity;
      if (bytes <= INLINE_TASK_BYTES && this.#inlineBytes + bytes <= INLINE_TOTAL_BYTES) {
        this.#inlineBytes += bytes;
        return runInline(this.#inline, task);
      }
    }
    let reply: Reply;
    try {
      reply = (await this.#start().run(task, signal === undefined ? {} : { signal })) as Reply;
    } catch (err) {
      if (signal?.aborted || (err as Error | undefined)?.name === 'AbortError') throw cancelled();
      throw err instanceof VaultError ? err : new VaultError('internal', `A worker thread failed: ${(err as Error | undefined)?.message ?? String(err)}`, { cause: err });
    }
    if (!reply.ok) throw new VaultError(reply.error.kind, reply.error.message);
    return reply.value;
  }

  #start(): Piscina {
    if (this.#closed) throw new VaultError('internal', 'The worker pool is closed.');
    if (this.#poolFailure) throw this.#poolFailure;
    const { workerFile = DEFAULT_WORKER, idleTimeoutMs = 30_000 } = this.#options;
    if (!this.#piscina) {
      this.#piscina = new Piscina({
        filename: workerFile instanceof URL ? fileURLToPath(workerFile) : workerFile,
        workerData: { keySlot: this.#keys },
        minThreads: 0,
        maxThreads: this.#size,
        idleTimeout: idleTimeoutMs,
        concurrentTasksPerWorker: 1,
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
      this.#piscina.on('error', (err: unknown) => this.#onPoolError(err));
    }
    return this.#piscina;
  }

  /** A failure of the pool itself, not of one task: every later call fails with it. */
  #poolFailure: VaultError | undefined;

  /**
   * Piscina reports on its 'error' event what belongs to no task; with no
   * listener the event throws, which in the app would take down Electron's
   * main process. One case is expected: a task cancelled while it runs has
   * its thread stopped, and that thread's answer may already be on its way
   * (piscina: "Unexpected message from Worker"); the caller already has its
   * 'cancelled', so the answer is dropped. Anything else makes the pool
   * unusable, and the next call says so.
   */
  #onPoolError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (message.startsWith('Unexpected message from Worker')) return;
    this.#poolFailure ??= new VaultError('internal', `The worker pool failed: ${message}`, { cause: err });
  }
}

/** The bytes a task works through, for the tasks that may run inline (never one that does file I/O). */
function inlineBytes(task: Task): number | undefined {
  switch (task.kind) {
    case 'hash':
      return task.items.some((i) => i.read !== undefined) ? undefined : task.items.reduce((n, i) => n + i.length, 0);
    case 'seal':
      return task.items.reduce((n, i) => n + i.length, 0);
    case 'open':
    case 'check':
      return task.items.reduce((n, i) => n + i.sealed.length, 0);
    case 'crc':
      return task.length;
    case 'parity':
      return task.length * Math.max(1, task.parity.length);
    default:
      return undefined;
  }
}

/** Runs a task on this thread, failing the way a worker's reply does (worker.ts). */
function runInline(context: TaskContext, task: Task): unknown {
  try {
    return runTask(context, task).value;
  } catch (err) {
    if (err instanceof VaultError) throw err;
    throw new VaultError('internal', `A worker task failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function cancelled(): VaultError {
  return new VaultError('cancelled', 'The operation was cancelled.');
}
