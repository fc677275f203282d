/**
 * Codecs: how a blob's bytes are compressed before sealing, chosen per blob.
 *
 * Terms
 * - **Codec**: a one-byte id stored inside the sealed blob (so it is
 *   authenticated): 0 raw, 1 zstd, 2 byte-shuffle(4) + zstd (float32 arrays),
 *   3 byte-shuffle(2) + zstd (float16 / bfloat16 arrays). Ids are part of
 *   the vault format: never renumber, only add.
 * - **Strategy**: the name the chooser and the statistics use for a codec
 *   ('store', 'zstd', 'shuffle4-zstd', 'shuffle2-zstd').
 * - **File type key**: `<lowercased extension>|<magic class>`, e.g.
 *   ".gz|gzip", ".js|none"; compression statistics are kept per key.
 * - **Strategy stats**: totals of bytes in/out and time per strategy for one
 *   file type key; `chooseStrategy` turns them into the next blob's strategy,
 *   `undefined` meaning "try and see" (`encode` then decides from the bytes).
 *
 * Invariants
 * - A payload is never longer than the raw bytes: if compression does not
 *   save at least 3 %, the blob is stored raw (codec 0).
 * - `decode` returns exactly `rawLength` bytes or throws
 *   VaultError('damaged-data'); an unknown codec is damage, not a crash.
 * - Strategy choice affects only size and speed, never content: any blob
 *   decodes by its codec byte alone.
 */
export { Codec, ZSTD_LEVEL, MIN_SAVING, encode, decode } from './codec.ts';
export type { Strategy, Encoded } from './codec.ts';
export { fileTypeKey, magicClass, looksIncompressible, looksRandom, byteEntropy, isFloatLike } from './filetype.ts';
export { chooseStrategy, recordResult, MIN_SAMPLES, EXPLORE_EVERY } from './strategy.ts';
export type { StrategyStats } from './strategy.ts';
