/**
 * SharedBuffers: a free list of SharedArrayBuffers of a few fixed sizes.
 *
 * File data travels to the workers in SharedArrayBuffers, which V8 frees
 * only when every isolate that saw one has collected it; the workers' small
 * heaps collect rarely, so a fresh buffer per arena or segment piles up
 * gigabytes of dead memory and pays a zero-filled page fault per page. A
 * buffer is therefore handed back once its last task has finished and reused
 * for the next arena or segment of the same size.
 *
 * Invariant: a buffer is released only after every worker task that reads
 * it has settled (the workers copy what they return), so reuse never races
 * a reader. Idle buffers are all kept, never dropped: a dropped one would
 * linger in the workers just the same. What is in flight is bounded by the
 * caller's ByteBudget, so what is ever allocated is bounded by the peak in
 * flight of each size, whatever the number of bytes that pass through.
 */
export class SharedBuffers {
  readonly #free = new Map<number, SharedArrayBuffer[]>();
  #idleBytes = 0;

  /** A buffer of exactly `size` bytes; its contents are whatever the last user left. */
  take(size: number): SharedArrayBuffer {
    const list = this.#free.get(size);
    const reused = list?.pop();
    if (reused) {
      this.#idleBytes -= size;
      return reused;
    }
    return new SharedArrayBuffer(size);
  }

  /** Hands a buffer back for reuse. */
  give(buffer: SharedArrayBuffer): void {
    const size = buffer.byteLength;
    let list = this.#free.get(size);
    if (!list) this.#free.set(size, (list = []));
    list.push(buffer);
    this.#idleBytes += size;
  }

  /** Bytes held idle right now. */
  get idleBytes(): number {
    return this.#idleBytes;
  }
}
