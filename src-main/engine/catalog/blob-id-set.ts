/**
 * A compact in-memory set of blob ids for deduplication during a backup.
 *
 * The ids known when the set is built sit in one sorted Buffer (32 bytes
 * each, no per-id object: a million ids cost 32 MB instead of ~150 MB as hex
 * strings) and are found by binary search. Ids added afterwards go to a small
 * side set keyed by their latin1 string (32 one-byte characters).
 *
 * A set backed by the catalog (`BlobIdSet.backedBy`) loads that Buffer only
 * once it has answered a few thousand questions one query at a time: an
 * unchanged re-backup asks a handful, and loading every id (about 50 ms for
 * the bench's 20,000) would cost more than all of its questions.
 */
const ID_BYTES = 32;

/** Questions answered one query each before the whole set is loaded (a query costs ~3 µs). */
const POINT_LOOKUPS = 2_000;

/** Where a backed set gets its ids: one at a time, or all at once in byte order. */
export interface BlobIdSource {
  has(id: Uint8Array): boolean;
  /** Every id back to back, ascending. */
  loadSorted(): Buffer;
}

export class BlobIdSet {
  #sorted: Buffer | undefined;
  #count = 0;
  readonly #added = new Set<string>();
  #source: BlobIdSource | undefined;
  #lookupsLeft = 0;

  /** `sorted` holds ids back to back in ascending byte order. */
  constructor(sorted: Buffer = Buffer.alloc(0)) {
    this.#setSorted(sorted);
  }

  /** A set over what `source` holds now and later, loaded on demand (see the file comment). */
  static backedBy(source: BlobIdSource, pointLookups = POINT_LOOKUPS): BlobIdSet {
    const set = new BlobIdSet();
    set.#sorted = undefined;
    set.#source = source;
    set.#lookupsLeft = pointLookups;
    return set;
  }

  get size(): number {
    return this.#load().length / ID_BYTES + this.#added.size;
  }

  /** Whether the sorted ids are in memory yet (for tests). */
  get loaded(): boolean {
    return this.#sorted !== undefined;
  }

  has(id: Uint8Array): boolean {
    if (this.#added.has(key(id))) return true;
    if (this.#sorted === undefined) {
      if (this.#lookupsLeft > 0) {
        this.#lookupsLeft--;
        return this.#source!.has(id);
      }
      this.#load();
    }
    return this.#inSorted(id);
  }

  add(id: Uint8Array): void {
    if (this.#sorted === undefined || !this.#inSorted(id)) this.#added.add(key(id));
  }

  #load(): Buffer {
    if (this.#sorted === undefined) this.#setSorted(this.#source!.loadSorted());
    return this.#sorted!;
  }

  #setSorted(sorted: Buffer): void {
    if (sorted.length % ID_BYTES !== 0) throw new RangeError('BlobIdSet: buffer length is not a multiple of 32');
    this.#sorted = sorted;
    this.#count = sorted.length / ID_BYTES;
  }

  #inSorted(id: Uint8Array): boolean {
    const sorted = this.#sorted!;
    const probe = Buffer.isBuffer(id) ? id : Buffer.from(id.buffer, id.byteOffset, id.byteLength);
    let lo = 0;
    let hi = this.#count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const start = mid * ID_BYTES;
      const order = probe.compare(sorted, start, start + ID_BYTES);
      if (order === 0) return true;
      if (order > 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

function key(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}
