/**
 * PackWriter: appends sealed blobs to a temporary file and turns it into a
 * durable, named pack.
 *
 * Blobs are not written one syscall each: `add` keeps references and a batch
 * goes out in one positioned writev once it reaches `flushBytes` (or too many
 * pieces). Batches are chained, so overlapping `add` calls still land in
 * order, and a failed write poisons the writer instead of leaving a hole.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError, VaultError } from '../errors.ts';
import { fsyncDir, randomSuffix } from '../fsutil/index.ts';
import { encodePreamble, encodeTrailer, PACK_ID_BYTES, sealPackHeader } from './format.ts';
import type { PackEntry } from './format.ts';
import { BLOB_ID_BYTES, SEAL_OVERHEAD } from './seal.ts';
import type { BlobKind } from './seal.ts';
import { packFileName, PARTIAL_PREFIX, PARTIAL_SUFFIX } from './files.ts';

/**
 * 8 MiB: a whole lost pack costs one parity shard of this size per group, so
 * a small vault (a few packs, one group) pays about half what 16 MiB packs
 * cost in parity; and each pack folded into parity is held in memory once.
 */
export const DEFAULT_PACK_TARGET_BYTES = 8 * 1024 * 1024;
const DEFAULT_FLUSH_BYTES = 4 * 1024 * 1024;
/** Stays well under IOV_MAX (1024 on Linux and macOS). */
const MAX_BATCH_PIECES = 512;
const U32_MAX = 0xffff_ffff;

export interface PackWriterOptions {
  /** A pack is "full" once it reaches this size; one larger blob still goes in a pack of its own. */
  targetBytes?: number;
  /** Buffered bytes that trigger a write. */
  flushBytes?: number;
}

export interface SealedPack {
  packId: string;
  path: string;
  /** File size in bytes. */
  size: number;
  entries: PackEntry[];
}

export class PackWriter {
  readonly packId: string;
  readonly targetBytes: number;
  readonly #packsDir: string;
  readonly #tempPath: string;
  readonly #handle: FileHandle;
  readonly #blobKey: Buffer;
  readonly #rawId: Buffer;
  readonly #flushBytes: number;
  readonly #entries: PackEntry[] = [];
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes handed to the file so far, i.e. where the next batch starts. */
  #scheduledBytes = 0;
  #writing: Promise<void> = Promise.resolve();
  #state: 'open' | 'sealed' | 'aborted' | 'failed' = 'open';

  /** Starts a pack in `packsDir` (created if missing) under a `tmp-<random>.partial` name. */
  static async create(packsDir: string, blobKey: Buffer, options: PackWriterOptions = {}): Promise<PackWriter> {
    const tempPath = join(packsDir, `${PARTIAL_PREFIX}${randomSuffix()}${PARTIAL_SUFFIX}`);
    try {
      await mkdir(packsDir, { recursive: true });
      const handle = await open(tempPath, 'wx');
      return new PackWriter(packsDir, tempPath, handle, blobKey, options);
    } catch (err) {
      throw fromSystemError(err, `the packs folder ${packsDir}`);
    }
  }

  private constructor(packsDir: string, tempPath: string, handle: FileHandle, blobKey: Buffer, options: PackWriterOptions) {
    this.#packsDir = packsDir;
    this.#tempPath = tempPath;
    this.#handle = handle;
    this.#blobKey = blobKey;
    this.#rawId = randomBytes(PACK_ID_BYTES);
    this.packId = this.#rawId.toString('hex');
    this.targetBytes = options.targetBytes ?? DEFAULT_PACK_TARGET_BYTES;
    this.#flushBytes = options.flushBytes ?? DEFAULT_FLUSH_BYTES;
    this.#push(encodePreamble(this.#rawId));
  }

  /** File size so far, buffered bytes included (the header and trailer are not). */
  get bytes(): number {
    return this.#scheduledBytes + this.#pendingBytes;
  }

  get count(): number {
    return this.#entries.length;
  }

  /** Whether a sealed blob of this length belongs in this pack rather than the next. */
  fits(sealedLength: number): boolean {
    return this.count === 0 || this.bytes + sealedLength <= this.targetBytes;
  }

  get full(): boolean {
    return this.bytes >= this.targetBytes;
  }

  /**
   * Appends one sealed blob. The writer keeps a reference to `sealed` until it
   * is written: do not reuse the buffer. Deduplication is the caller's job.
   * Await the result: it is where a full batch is written (backpressure).
   */
  async add(id: Uint8Array, kind: BlobKind, sealed: Buffer, rawLength: number): Promise<void> {
    this.#assertOpen();
    if (id.length !== BLOB_ID_BYTES) throw new VaultError('internal', `Blob id must be ${BLOB_ID_BYTES} bytes.`);
    if (sealed.length < SEAL_OVERHEAD || sealed.length > U32_MAX || rawLength < 0 || rawLength > U32_MAX) {
      throw new VaultError('internal', 'A sealed blob or its raw length is out of range.');
    }
    this.#entries.push({ id: Buffer.from(id), kind, offset: this.bytes, length: sealed.length, rawLength });
    this.#push(sealed);
    if (this.#pendingBytes >= this.#flushBytes || this.#pending.length >= MAX_BATCH_PIECES) await this.#flush();
  }

  /** Writes the header and trailer, fsyncs, renames to `<packId>.pack` and fsyncs the folder. */
  async seal(): Promise<SealedPack> {
    this.#assertOpen();
    if (this.count === 0) throw new VaultError('internal', 'An empty pack cannot be sealed.');
    const header = sealPackHeader(this.#blobKey, this.#rawId, this.#entries);
    this.#push(header);
    this.#push(encodeTrailer(header.length));
    const size = this.bytes;
    const path = join(this.#packsDir, packFileName(this.packId));
    try {
      await this.#flush();
      await this.#handle.sync();
      await this.#handle.close();
      await rename(this.#tempPath, path);
      await fsyncDir(this.#packsDir);
    } catch (err) {
      await this.#discard();
      throw fromSystemError(err, `pack ${this.packId}`);
    }
    this.#state = 'sealed';
    return { packId: this.packId, path, size, entries: this.#entries };
  }

  /** Drops the pack: closes and removes the temporary file. Safe to call in any state. */
  async abort(): Promise<void> {
    if (this.#state === 'sealed' || this.#state === 'aborted') return;
    await this.#discard();
  }

  #push(piece: Buffer): void {
    this.#pending.push(piece);
    this.#pendingBytes += piece.length;
  }

  #flush(): Promise<void> {
    const batch = this.#pending;
    const position = this.#scheduledBytes;
    this.#scheduledBytes += this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#writing = this.#writing.then(() => writeAll(this.#handle, batch, position));
    this.#writing.catch(() => {
      this.#state = 'failed';
    });
    return this.#writing.catch((err: unknown) => {
      throw fromSystemError(err, `pack ${this.packId}`);
    });
  }

  async #discard(): Promise<void> {
    this.#state = 'aborted';
    await this.#writing.catch(() => {});
    await this.#handle.close().catch(() => {});
    await rm(this.#tempPath, { force: true }).catch(() => {});
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new VaultError('internal', `Pack ${this.packId} is ${this.#state} and takes no more writes.`);
  }
}

/** writev until every byte is down: a short write must not leave a gap. */
async function writeAll(handle: FileHandle, pieces: Buffer[], position: number): Promise<void> {
  let rest = pieces;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    if (bytesWritten === 0) throw new VaultError('io', 'The disk accepted no bytes while writing a pack.');
    at += bytesWritten;
    rest = dropBytes(rest, bytesWritten);
  }
}

function dropBytes(pieces: Buffer[], n: number): Buffer[] {
  let skip = n;
  let i = 0;
  while (i < pieces.length && skip >= pieces[i]!.length) skip -= pieces[i++]!.length;
  if (i === pieces.length) return [];
  return [pieces[i]!.subarray(skip), ...pieces.slice(i + 1)];
}
