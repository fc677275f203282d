/**
 * PackSink: where sealed blobs of one writing run go. It keeps one pack open,
 * rotates to a new one when it is full, and seals the full one in the
 * background (fsync + rename). A sealed pack is entered in the catalog at
 * once: its blobs are durable, so a later run may reuse them even if this run
 * never commits a snapshot.
 *
 * `finish()` seals the last pack and waits for every seal: only after it
 * returns may a snapshot that refers to these blobs be committed.
 */
import type { BlobIdSet, Catalog, NewMember } from '../catalog/index.ts';
import { VaultError } from '../errors.ts';
import { PackWriter } from '../packs/writer.ts';
import type { SealedPack } from '../packs/writer.ts';
import type { BlobKind } from '../packs/seal.ts';

export interface PackSinkOptions {
  targetBytes?: number;
  /** Called with each pack once it is sealed and cataloged (parity hooks in here later). */
  onSealed?: (pack: SealedPack) => void | Promise<void>;
}

export class PackSink {
  readonly #packsDir: string;
  readonly #blobKey: Buffer;
  readonly #catalog: Catalog;
  readonly #known: BlobIdSet;
  readonly #options: PackSinkOptions;
  #writer: PackWriter | undefined;
  /** Members of the bundles in each open pack, cataloged with the pack. */
  readonly #members = new Map<PackWriter, NewMember[]>();
  #queue: Promise<void> = Promise.resolve();
  readonly #sealing = new Set<Promise<void>>();
  #failure: unknown;
  #closed = false;
  packsWritten = 0;

  constructor(packsDir: string, blobKey: Buffer, catalog: Catalog, known: BlobIdSet, options: PackSinkOptions = {}) {
    this.#packsDir = packsDir;
    this.#blobKey = blobKey;
    this.#catalog = catalog;
    this.#known = known;
    this.#options = options;
  }

  /**
   * Appends a sealed blob; calls are serialised so the pack's layout follows
   * call order. A bundle comes with its members, which become known (and
   * are cataloged with the pack) together with it.
   */
  add(id: Uint8Array, kind: BlobKind, sealed: Buffer, rawLength: number, members: readonly NewMember[] = []): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#failure !== undefined) throw this.#failure;
      // After abort() nothing may start a new pack behind the caller's back.
      if (this.#closed) throw new VaultError('internal', 'The pack sink is closed.');
      let writer = this.#writer;
      if (writer && !writer.fits(sealed.length)) {
        this.#sealInBackground(writer);
        writer = undefined;
      }
      writer ??= this.#writer = await PackWriter.create(this.#packsDir, this.#blobKey, this.#options.targetBytes ? { targetBytes: this.#options.targetBytes } : {});
      try {
        await writer.add(id, kind, sealed, rawLength);
      } catch (err) {
        // A failed write (disk full) poisons this pack: drop its temporary file now.
        this.#failure ??= err;
        this.#writer = undefined;
        await writer.abort();
        throw err;
      }
      // In the open pack now: it will be durable before any snapshot that uses it commits.
      this.#known.add(id);
      if (members.length > 0) {
        let list = this.#members.get(writer);
        if (!list) this.#members.set(writer, (list = []));
        for (const m of members) {
          list.push(m);
          this.#known.add(m.id);
        }
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Seals the open pack and waits for every pack of this run to be durable and cataloged. */
  async finish(): Promise<void> {
    await this.#queue;
    if (this.#writer) this.#sealInBackground(this.#writer);
    while (this.#sealing.size > 0) await Promise.allSettled([...this.#sealing]);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Drops the open pack (its temporary file is removed); sealed packs stay, cataloged. */
  async abort(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    const writer = this.#writer;
    this.#writer = undefined;
    await writer?.abort();
    while (this.#sealing.size > 0) await Promise.allSettled([...this.#sealing]);
  }

  #sealInBackground(writer: PackWriter): void {
    this.#writer = undefined;
    const members = this.#members.get(writer) ?? [];
    this.#members.delete(writer);
    const job = (async () => {
      const sealed = await writer.seal();
      this.#catalog.addPack(
        { id: sealed.packId, size: sealed.size },
        sealed.entries.map((e) => ({ id: e.id, kind: e.kind, offset: e.offset, length: e.length, rawLength: e.rawLength })),
        members,
      );
      this.packsWritten++;
      await this.#options.onSealed?.(sealed);
    })().catch(async (err: unknown) => {
      this.#failure ??= err;
      await writer.abort();
    });
    this.#sealing.add(job);
    void job.finally(() => this.#sealing.delete(job));
  }
}
