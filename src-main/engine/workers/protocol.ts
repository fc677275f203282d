/**
 * The messages between the main thread and the workers. Everything here is
 * plain data that survives structured cloning; errors travel as values.
 */
import type { ChunkerParams } from '../chunking/index.ts';
import type { Strategy } from '../codecs/index.ts';
import type { VaultErrorKind } from '../errors.ts';
import type { BlobKind } from '../packs/seal.ts';

/** What every worker is started with (`workerData`). */
export interface WorkerKeys {
  /** AEAD key for sealing blobs (32 bytes). */
  blobKey: Uint8Array;
  /** HMAC key for blob ids (32 bytes). */
  idKey: Uint8Array;
  /** Seed of the chunker's gear table (32 bytes). */
  gearSeed: Uint8Array;
  chunker: ChunkerParams;
}

/**
 * The keys in shared memory (`workerData.keySlot`), so threads can be started
 * before the password is turned into keys. Layout: a ready flag (Int32, set
 * last with Atomics so a thread that sees it sees the keys), then blobKey,
 * idKey, gearSeed (32 bytes each) and the chunker's min, avg, max (u32).
 */
export const KEY_SLOT_BYTES = 4 + 3 * 32 + 3 * 4;

export function writeKeySlot(slot: SharedArrayBuffer, keys: WorkerKeys): void {
  const bytes = new Uint8Array(slot);
  bytes.set(keys.blobKey, 4);
  bytes.set(keys.idKey, 36);
  bytes.set(keys.gearSeed, 68);
  const chunker = new DataView(slot, 100, 12);
  chunker.setUint32(0, keys.chunker.min, true);
  chunker.setUint32(4, keys.chunker.avg, true);
  chunker.setUint32(8, keys.chunker.max, true);
  Atomics.store(new Int32Array(slot, 0, 1), 0, 1);
}

/** The keys, or undefined while they are not written yet. */
export function readKeySlot(slot: SharedArrayBuffer): WorkerKeys | undefined {
  if (Atomics.load(new Int32Array(slot, 0, 1), 0) !== 1) return undefined;
  const bytes = new Uint8Array(slot);
  const chunker = new DataView(slot, 100, 12);
  return {
    blobKey: bytes.slice(4, 36),
    idKey: bytes.slice(36, 68),
    gearSeed: bytes.slice(68, 100),
    chunker: { min: chunker.getUint32(0, true), avg: chunker.getUint32(4, true), max: chunker.getUint32(8, true) },
  };
}

export interface HashItem {
  offset: number;
  length: number;
  /** false: the item is one blob (a small file, a tree); true: cut it with FastCDC. */
  chunked: boolean;
  /** Whether the item ends its file; if not, bytes after the last cut are left for the next batch. */
  final: boolean;
  /** Read this file into the item's range first (see read-files.ts); the range is its scanned size. */
  read?: ReadSpec;
}

/** A small file for the worker to read into its reserved arena range. */
export interface ReadSpec {
  /** A string, or bytes for a name that is not UTF-8. */
  path: string | Uint8Array;
  /** What the scan saw, to tell a file that changed while it was read. */
  scan: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint };
}

/**
 * read: the bytes are in place (changed: the file moved while being read).
 * retry: its size is not the scanned one; read it the usual way.
 * left-out: it could not be read or is no longer a regular file (message says which).
 */
export type ReadOutcome = { status: 'read'; changed: boolean } | { status: 'retry' } | { status: 'left-out'; message: string };

export interface HashResult {
  /** Exclusive chunk ends relative to the item's offset; `[length]` when not chunked. */
  cuts: number[];
  /** HMAC-SHA-256(idKey, chunk) per cut, 32 bytes each. */
  ids: Uint8Array[];
  /** For an item with `read`: how reading went (no cuts or ids unless 'read'). */
  read?: ReadOutcome;
}

export interface SealItem {
  offset: number;
  length: number;
  /**
   * The blob id from `hash`; seal trusts it (open re-checks it). Empty for a
   * bundle: the worker computes its id from the bytes and returns it.
   */
  id: Uint8Array;
  kind: BlobKind;
  /** From `chooseStrategy`; undefined lets `encode` try and decide. */
  strategy: Strategy | undefined;
  /** The file type key, so `encode` knows when float shuffles are worth trying. */
  typeKey?: string;
}

export interface SealResult {
  sealed: Uint8Array;
  strategy: Strategy;
  codec: number;
  rawLength: number;
  /** Time spent compressing (not sealing), for the strategy statistics. */
  nanos: number;
  /** The id the worker computed, for an item sent without one (a bundle). */
  id?: Uint8Array;
}

export interface OpenItem {
  /** Pass a view over a SharedArrayBuffer to avoid copying it into the worker. */
  sealed: Uint8Array;
  id: Uint8Array;
  kind: BlobKind;
  rawLength: number;
  /**
   * For a chunk inside a bundle: `id`/`kind`/`rawLength` above are the
   * bundle's, and the answer is only this slice of its plaintext, checked
   * against the member's own id.
   */
  member?: MemberSlice;
}

export interface MemberSlice {
  id: Uint8Array;
  offset: number;
  length: number;
}

/**
 * Adds the data to every parity shard and returns the data's stripe CRCs.
 * Rows of `cells` stripes (heal/layout.ts; 1 when absent): coefs[(j·cells + e)·cells + c]
 * multiplies cell c of each row of the data into cell e of that row of parity shard j.
 */
export interface ParityTask {
  kind: 'parity';
  buffer: SharedArrayBuffer;
  length: number;
  parity: SharedArrayBuffer[];
  coefs: number[];
  stripeBytes: number;
  cells?: number;
}

/** One file for the `write-files` task: where it goes and where its blobs are. */
export interface WriteFileItem {
  /** Temporary path, created exclusively; a string, or bytes for a name that is not UTF-8. */
  temp: string | Uint8Array;
  /** Final path, inside a folder this restore created. */
  dest: string | Uint8Array;
  /** The file's path in the snapshot, for messages. */
  display: string;
  mode: number;
  mtimeSeconds: number;
  size: number;
  /** `id`, `rawLength` and the place of the sealed blob; with `member`, the place is a bundle's (see OpenItem). */
  chunks: { packId: string; offset: number; length: number; rawLength: number; id: Uint8Array; member?: MemberSlice }[];
}

/** Per-item outcome of `check`: null when the blob is sound, else the reason. */
export type CheckResult = string | null;

export type Task =
  | { kind: 'hash'; buffer: SharedArrayBuffer; items: HashItem[] }
  | { kind: 'seal'; buffer: SharedArrayBuffer; items: SealItem[] }
  | { kind: 'open'; items: OpenItem[] }
  | { kind: 'check'; items: OpenItem[] }
  | { kind: 'crc'; buffer: SharedArrayBuffer; length: number; stripeBytes: number }
  | { kind: 'write-files'; packsDir: string; items: WriteFileItem[]; nowSeconds: number }
  /** Does nothing: starts a thread ahead of its first task. */
  | { kind: 'ping' }
  | ParityTask;

export type WireError = { kind: VaultErrorKind; message: string };

export type Reply = { ok: true; value: unknown } | { ok: false; error: WireError };
