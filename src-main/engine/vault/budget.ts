/**
 * A byte budget: bounds the file data held in memory at once. `acquire`
 * waits until enough bytes are free; a request larger than the whole budget
 * is granted alone (when nothing else holds bytes) rather than never.
 */
export class ByteBudget {
  readonly capacity: number;
  #used = 0;
  readonly #waiters: { bytes: number; grant: () => void }[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get used(): number {
    return this.#used;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  acquire(bytes: number): Promise<void> {
    if (this.#waiters.length === 0 && this.#fits(bytes)) {
      this.#used += bytes;
      return Promise.resolve();
    }
    return new Promise((grant) => this.#waiters.push({ bytes, grant }));
  }

  release(bytes: number): void {
    this.#used -= bytes;
    // First come, first served: a large request is not starved by small ones.
    while (this.#waiters.length > 0 && this.#fits(this.#waiters[0]!.bytes)) {
      const next = this.#waiters.shift()!;
      this.#used += next.bytes;
      next.grant();
    }
  }

  #fits(bytes: number): boolean {
    return this.#used === 0 || this.#used + bytes <= this.capacity;
  }
}
