/**
 * Chunking: where a file's bytes are cut into content-defined chunks.
 *
 * Terms
 * - **Gear table**: 256 pseudo-random 32-bit words, one per byte value,
 *   derived from a per-vault 32-byte seed (the `chunk-id` key). The rolling
 *   hash is h = (h << 1) + gear[byte] (mod 2^32), so bit k of h depends on
 *   the last k + 1 bytes; the cut test therefore looks at the *top* bits.
 * - **Cut**: an exclusive end offset. A chunk is the bytes between two
 *   consecutive cuts (the first starts at 0).
 * - **Params** `{ min, avg, max }`: no chunk is longer than `max`; every
 *   chunk except the last of a file is longer than `min`. `avg` is a power
 *   of two and the point where normalized chunking (FastCDC level 2) switches
 *   from the strict mask (log2(avg) + 2 bits) to the loose one
 *   (log2(avg) - 2 bits), which pulls sizes towards `avg`. With min = avg / 2
 *   the real mean on random data is about 1.1–1.2 × avg.
 * - **Segment**: a piece of a stream passed to `findCuts` with `final = false`;
 *   bytes after its last cut are a *tail* that the caller carries into the
 *   next segment.
 *
 * Invariants
 * - Cuts depend only on the seed, the params and the bytes since the previous
 *   cut, so: the same input gives the same cuts; an insertion moves only the
 *   cuts near it; and streaming in segments (carrying tails) gives exactly
 *   the cuts of chunking the whole input at once.
 * - A different seed gives different boundaries, so chunk sizes stored in a
 *   vault do not reveal which well-known files it holds.
 * - An empty input with `final = true` has no chunks; an input no longer
 *   than `min` is one chunk.
 */
export { makeGearTable, GEAR_SEED_BYTES } from './gear.ts';
export { findCuts, checkChunkerParams, DEFAULT_CHUNKER_PARAMS } from './fastcdc.ts';
export type { ChunkerParams } from './fastcdc.ts';
