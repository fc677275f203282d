/**
 * Packs: append-only files of sealed blobs, each ending in an encrypted index
 * of what it holds.
 *
 * Terms
 * - **Sealed blob**: a blob compressed and encrypted by `seal.ts`; its id and
 *   kind are bound into its AEAD, so bytes read from the wrong place, or
 *   answered for another id, fail to open.
 * - **Pack**: `packs/<pack id hex>.pack` = preamble, sealed blobs back to back,
 *   pack header, trailer (byte layout in `format.ts`). About 8 MiB; a blob
 *   larger than that gets a pack of its own.
 * - **Pack header**: the list of entries {id, kind, offset, length, raw
 *   length}, sealed under the blob key with the pack id as associated data.
 *   Packs describe themselves: the catalog can be rebuilt from them alone.
 * - **Bundle**: a blob of kind `bundle` holding many small file contents,
 *   compressed together, with a table of their ids (`bundle.ts`).
 * - **Partial**: `packs/tmp-<random>.partial`, a pack being written.
 *
 * Invariants
 * - A pack exists under its final name only once complete and durable: the
 *   writer fsyncs the file, renames it, then fsyncs the folder. A crash leaves
 *   at most a partial, which `cleanupPartials` removes under the vault lock.
 * - Pack files are never modified after sealing (append-only vault).
 * - Every byte read back is authenticated: the header by its AEAD before any
 *   entry is trusted, a blob by `openBlob` with the id the caller asked for.
 *   Damage reads as VaultError('damaged-data') naming the pack.
 */
export { bundleTableBytes, BUNDLE_TRAILER_BYTES, readBundleTable, writeBundleTable } from './bundle.ts';
export type { BundleMember } from './bundle.ts';
export { BLOB_ID_BYTES, BlobKind, openBlob, SEAL_OVERHEAD, sealBlob } from './seal.ts';
export type { OpenedBlob } from './seal.ts';
export { ENTRY_BYTES, PACK_VERSION, PREAMBLE_BYTES, TRAILER_BYTES } from './format.ts';
export type { PackEntry } from './format.ts';
export { DEFAULT_PACK_TARGET_BYTES, PackWriter } from './writer.ts';
export type { PackWriterOptions, SealedPack } from './writer.ts';
export { coalesceReads, PackReader, readBlobBytes, readPackIndex } from './reader.ts';
export type { BlobPlace, PackIndex, ReadSpan } from './reader.ts';
export { cleanupPartials, listPacks, packFileName, packIdFromFileName, packPath } from './files.ts';
export type { PackFile } from './files.ts';
