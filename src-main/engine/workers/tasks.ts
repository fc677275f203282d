/**
 * The work itself, free of any thread machinery so it can also run (and be
 * tested) on the main thread. Each function returns its results plus the
 * ArrayBuffers that may be transferred back instead of copied.
 */
import { createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { blobIdHasher } from '../keys/blob-id.ts';
import { checkChunkerParams, findCuts, makeGearTable, type ChunkerParams } from '../chunking/index.ts';
import { decode, encode } from '../codecs/index.ts';
import { VaultError } from '../errors.ts';
import { memberBytes } from '../packs/bundle.ts';
import { authenticateBlob, BLOB_ID_BYTES, BlobKind, openBlob, sealBlob } from '../packs/seal.ts';
import { foldCell, stripeCrcs } from '../heal/layout.ts';
import { readFileInto } from './read-files.ts';
import { writeFiles } from './write-files.ts';
import type { CheckResult, HashItem, HashResult, OpenItem, ParityTask, SealItem, SealResult, Task, WorkerKeys } from './protocol.ts';

const KEY_BYTES = 32;

/** Keys and tables prepared once per thread. */
export interface TaskContext {
  /** A KeyObject, not raw bytes: each cipher made from raw bytes pays to import the key again (3× slower). */
  blobKey: KeyObject;
  /** HMAC-SHA-256 under the vault's id key (keys/blob-id.ts). */
  blobId: (bytes: Uint8Array) => Buffer;
  gear: Uint32Array;
  chunker: ChunkerParams;
}

export interface TaskOutput {
  value: unknown;
  transfer: ArrayBuffer[];
}

export function makeContext(keys: WorkerKeys): TaskContext {
  for (const name of ['blobKey', 'idKey', 'gearSeed'] as const) {
    if (!(keys[name] instanceof Uint8Array) || keys[name].length !== KEY_BYTES) {
      throw new VaultError('internal', `The worker pool needs a ${KEY_BYTES}-byte ${name}.`);
    }
  }
  checkChunkerParams(keys.chunker);
  return { blobKey: createSecretKey(keys.blobKey), blobId: blobIdHasher(keys.idKey), gear: makeGearTable(keys.gearSeed), chunker: keys.chunker };
}

export function runTask(ctx: TaskContext, task: Task): TaskOutput {
  switch (task.kind) {
    case 'hash':
      return hashItems(ctx, task.buffer, task.items);
    case 'seal':
      return sealItems(ctx, task.buffer, task.items);
    case 'open':
      return openItems(ctx, task.items);
    case 'check':
      return { value: checkItems(ctx, task.items), transfer: [] };
    case 'crc':
      return crcTask(task.buffer, task.length, task.stripeBytes);
    case 'parity':
      return parityTask(task);
    case 'write-files':
      return writeFiles(ctx, task.packsDir, task.items, task.nowSeconds);
    case 'ping':
      return { value: null, transfer: [] };
    default:
      throw new VaultError('internal', `Unknown worker task ${(task as { kind: unknown }).kind}.`);
  }
}

/** All ids of a batch share one buffer, so the reply transfers one ArrayBuffer instead of cloning many. */
export function hashItems(ctx: TaskContext, buffer: SharedArrayBuffer, items: HashItem[]): TaskOutput {
  const reads = items.map((item) => (item.read ? readFileInto(item.read, view(buffer, item.offset, item.length)) : undefined));
  const cutsPerItem = items.map((item, k) => {
    if (reads[k] && reads[k].status !== 'read') return [];
    const bytes = view(buffer, item.offset, item.length);
    return item.chunked ? findCuts(bytes, ctx.gear, ctx.chunker, item.final) : [item.length];
  });
  const idBytes = new Uint8Array(BLOB_ID_BYTES * cutsPerItem.reduce((n, cuts) => n + cuts.length, 0));
  let at = 0;
  const results: HashResult[] = items.map((item, k) => {
    const cuts = cutsPerItem[k]!;
    const ids: Uint8Array[] = [];
    let start = 0;
    for (const end of cuts) {
      idBytes.set(ctx.blobId(view(buffer, item.offset + start, end - start)), at);
      ids.push(idBytes.subarray(at, at + BLOB_ID_BYTES));
      at += BLOB_ID_BYTES;
      start = end;
    }
    const read = reads[k];
    return read ? { cuts, ids, read } : { cuts, ids };
  });
  return { value: results, transfer: [idBytes.buffer] };
}

export function sealItems(ctx: TaskContext, buffer: SharedArrayBuffer, items: SealItem[]): TaskOutput {
  const transfer = new Set<ArrayBuffer>();
  const results: SealResult[] = items.map((item) => {
    const raw = view(buffer, item.offset, item.length);
    // A bundle's id is the keyed hash of its whole plaintext, taken here rather than on the main thread.
    const computed = item.id.length === 0 && item.kind === BlobKind.bundle ? new Uint8Array(ctx.blobId(raw)) : undefined;
    const id = computed ?? item.id;
    checkBlobRef(id, item.kind);
    const t0 = process.hrtime.bigint();
    const encoded = encode(raw, item.strategy, item.typeKey);
    const nanos = Number(process.hrtime.bigint() - t0);
    const sealed = sealBlob(ctx.blobKey, item.kind, id, encoded.codec, encoded.payload);
    return { sealed: movable(sealed, transfer), strategy: encoded.strategy, codec: encoded.codec, rawLength: item.length, nanos, ...(computed ? { id: computed } : {}) };
  });
  return { value: results, transfer: [...transfer] };
}

/** Authenticates, decompresses and re-checks the id: wrong bytes never leave this function. */
export function openItems(ctx: TaskContext, items: OpenItem[]): TaskOutput {
  const transfer = new Set<ArrayBuffer>();
  const results = items.map((item) => movable(openOne(ctx, item), transfer));
  return { value: results, transfer: [...transfer] };
}

/**
 * One blob's plaintext, authenticated and id-checked; throws 'damaged-data'
 * otherwise. For a member of a bundle (`item.member`), the bundle is
 * authenticated and decompressed (or taken from this thread's cache of
 * recent bundles) and the member's slice is checked against its own id.
 */
export function openOne(ctx: TaskContext, item: OpenItem): Uint8Array {
  checkBlobRef(item.id, item.kind);
  if (item.member) return memberOf(ctx, item, item.member);
  const opened = openBlob(ctx.blobKey, item.kind, item.id, item.sealed);
  const plain = decode(opened.codec, opened.payload, item.rawLength);
  checkId(ctx, plain, item.id);
  return plain;
}

/**
 * Where a member's bytes come from when only the sealed bytes' place is
 * known yet (restore reads packs itself): a cached bundle spares the read.
 */
export function cachedBundle(id: Uint8Array): Buffer | undefined {
  return recentBundles.get(Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1'));
}

function memberOf(ctx: TaskContext, item: OpenItem, member: NonNullable<OpenItem['member']>): Uint8Array {
  if (item.kind !== BlobKind.bundle) throw new VaultError('internal', 'A member slice must come from a bundle.');
  checkBlobRef(member.id, BlobKind.chunk);
  let plain = cachedBundle(item.id);
  if (!plain) {
    const opened = openBlob(ctx.blobKey, item.kind, item.id, item.sealed);
    plain = decode(opened.codec, opened.payload, item.rawLength);
    rememberBundle(item.id, plain);
  }
  // A copy: the caller may keep or transfer it while the bundle stays cached.
  const bytes = memberBytes(plain, member.offset, member.length, member.id);
  checkId(ctx, bytes, member.id);
  return bytes;
}

function checkId(ctx: TaskContext, plain: Uint8Array, id: Uint8Array): void {
  if (!timingSafeEqual(ctx.blobId(plain), id)) {
    throw new VaultError('damaged-data', `Blob ${Buffer.from(id).toString('hex').slice(0, 12)} is damaged: its content does not match its id.`);
  }
}

/**
 * The last few bundles this thread decompressed, by id. A bundle's id is the
 * keyed hash of its plaintext, so an entry can never go stale; a restore
 * takes the files of one bundle one after another, and each would otherwise
 * decompress the whole bundle again. Two entries of at most a few MiB each.
 */
const RECENT_BUNDLES = 2;
const recentBundles = new Map<string, Buffer>();

function rememberBundle(id: Uint8Array, plain: Buffer): void {
  const key = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
  recentBundles.delete(key);
  recentBundles.set(key, plain);
  while (recentBundles.size > RECENT_BUNDLES) recentBundles.delete(recentBundles.keys().next().value!);
}

/**
 * Reports each blob's soundness instead of returning its bytes (verify
 * --read-data): decrypts and authenticates it. The Poly1305 tag covers every
 * stored byte and, through the associated data, the blob's id and kind, so
 * any damaged, truncated or swapped byte fails here. Decompressing and
 * re-hashing would find no damage more; every read (restore, browse) still
 * does both before a byte is used, so a blob that is sound on disk but wrong
 * inside could not slip through there either.
 */
export function checkItems(ctx: TaskContext, items: OpenItem[]): CheckResult[] {
  return items.map((item) => {
    try {
      checkBlobRef(item.id, item.kind);
      authenticateBlob(ctx.blobKey, item.kind, item.id, item.sealed);
      return null;
    } catch (err) {
      return err instanceof VaultError ? err.message : String(err);
    }
  });
}

function crcTask(buffer: SharedArrayBuffer, length: number, stripeBytes: number): TaskOutput {
  const crcs = stripeCrcs(view(buffer, 0, length), stripeBytes);
  return { value: crcs, transfer: [crcs.buffer as ArrayBuffer] };
}

function parityTask(task: ParityTask): TaskOutput {
  const data = view(task.buffer, 0, task.length);
  const cells = task.cells ?? 1;
  task.parity.forEach((shard, j) => {
    if (shard.byteLength < task.length) throw new VaultError('internal', 'A parity shard is shorter than the data added to it.');
    const parity = new Uint8Array(shard);
    for (let e = 0; e < cells; e++) for (let c = 0; c < cells; c++) foldCell(parity, data, e, c, cells, task.stripeBytes, task.coefs[(j * cells + e) * cells + c]!);
  });
  return crcTask(task.buffer, task.length, task.stripeBytes);
}

function view(buffer: SharedArrayBuffer, offset: number, length: number): Uint8Array {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > buffer.byteLength) {
    throw new VaultError('internal', `Range ${offset}+${length} is outside the shared buffer (${buffer.byteLength} bytes).`);
  }
  return new Uint8Array(buffer, offset, length);
}

const KINDS = new Set<number>(Object.values(BlobKind));

function checkBlobRef(id: Uint8Array, kind: number): void {
  if (!(id instanceof Uint8Array) || id.length !== BLOB_ID_BYTES) throw new VaultError('internal', `A blob id must be ${BLOB_ID_BYTES} bytes.`);
  if (!KINDS.has(kind)) throw new VaultError('internal', `Unknown blob kind ${kind}.`);
}

/**
 * Returns a view whose ArrayBuffer can be transferred, adding it to `transfer`.
 * Fresh results (sealed blobs, decompressed bytes) are transferred as they
 * are; small or partial views (Node's 8 KiB allocation pool, mostly unused
 * buffers) are copied, which is cheap at that size and never detaches memory
 * that something else still uses.
 */
function movable(bytes: Uint8Array, transfer: Set<ArrayBuffer>): Uint8Array {
  const buf = bytes.buffer;
  const whole = buf instanceof ArrayBuffer && bytes.byteLength >= 8192 && bytes.byteLength * 2 >= buf.byteLength;
  const out = whole ? bytes : new Uint8Array(bytes);
  transfer.add(out.buffer as ArrayBuffer);
  return out;
}
