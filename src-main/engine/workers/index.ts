/**
 * Workers: the thread pool that does the CPU-heavy per-blob work (chunking,
 * hashing, compressing, sealing, opening) off the main thread.
 *
 * Terms
 * - **Pool**: up to `os.availableParallelism()` worker threads (piscina),
 *   started by the first task, not at creation; idle threads exit and come
 *   back on demand; `close()` lets submitted tasks finish and ends them all.
 * - **Task**: one batch of items of one kind: `hash` (cut with FastCDC and
 *   compute blob ids), `seal` (compress + seal), `open` (authenticate +
 *   decompress + id check). Batches amortise the per-message cost; one task
 *   runs on one thread, so callers keep several batches in flight.
 * - **Shared buffer**: `hash` and `seal` read their input as ranges of a
 *   SharedArrayBuffer, so input bytes are never copied into a worker; results
 *   (ids, sealed blobs, plaintext) come back as transferred ArrayBuffers.
 * - **Worker keys**: `blobKey`, `idKey`, `gearSeed` and the chunker params are
 *   given once, as `workerData`; tasks never carry keys.
 *
 * Invariants
 * - Errors cross the thread boundary as values `{ kind, message }` and are
 *   re-thrown on the main side as VaultError; a crash is 'internal'.
 * - `open` returns bytes only after the AEAD check and after HMAC(idKey,
 *   plaintext) equals the requested id; otherwise 'damaged-data'.
 * - Aborting a call's signal rejects it with 'cancelled'; nothing a worker
 *   does is durable, so stopping it mid-task is safe.
 */
export { WorkerPool } from './pool.ts';
export type { CallOptions, PoolShape, WorkerPoolOptions } from './pool.ts';
export type { WorkerKeys, HashItem, HashResult, SealItem, SealResult, OpenItem, WriteFileItem, WireError } from './protocol.ts';
