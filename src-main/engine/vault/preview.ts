/**
 * Reading part of a file in a snapshot, for previews: the UI asks for a
 * bounded byte range and gets exactly those bytes, however large the file.
 *
 * A file's tree entry lists its content chunks in order; the catalog knows
 * each chunk's plaintext length, so the range is located by adding lengths
 * up, without reading a byte. Only the chunks that overlap the range are
 * read, opened (authenticated, decompressed, id re-checked) in the worker
 * pool, and sliced.
 */
import type { SnapshotRow } from '../catalog/index.ts';
import { VaultError } from '../errors.ts';
import { BlobKind } from '../packs/seal.ts';
import { nonFolderAt } from './browse.ts';
import type { Vault } from './vault.ts';

/** The most one call returns; previews ask for more as the user scrolls. */
export const MAX_RANGE_BYTES = 4 << 20;

export interface FileRange {
  /** The whole file's size. */
  size: number;
  offset: number;
  bytes: Uint8Array;
}

export async function readFileRange(vault: Vault, snapshot: SnapshotRow, path: string, offset: number, length: number, signal?: AbortSignal): Promise<FileRange> {
  const entry = await nonFolderAt(vault, snapshot, path);
  if (!entry || entry.type !== 'file') throw new VaultError('invalid-argument', `'${path}' is not a file in snapshot ${snapshot.id.slice(0, 8)}.`);
  const size = entry.size;
  const start = Math.min(Math.max(0, offset), size);
  const end = Math.min(size, start + Math.min(Math.max(0, length), MAX_RANGE_BYTES));
  const out = new Uint8Array(end - start);
  if (end === start) return { size, offset: start, bytes: out };

  const wanted: { id: Uint8Array; at: number; place: NonNullable<ReturnType<Vault['catalog']['getBlob']>> }[] = [];
  let at = 0;
  for (const id of entry.content ?? []) {
    if (at >= end) break;
    const place = vault.catalog.getBlob(id);
    if (!place || place.kind !== BlobKind.chunk) throw new VaultError('damaged-data', `Blob ${Buffer.from(id).toString('hex').slice(0, 12)} of '${path}' is missing from the vault.`);
    // A chunk inside a bundle is a slice of it: its own length, not the bundle's.
    const length = place.member?.length ?? place.rawLength;
    if (at + length > start) wanted.push({ id, at, place });
    at += length;
  }
  const plains = await vault.openBlobs(wanted, signal);
  for (const [i, w] of wanted.entries()) {
    const plain = plains[i]!;
    const from = Math.max(start, w.at);
    const to = Math.min(end, w.at + plain.length);
    if (to > from) out.set(plain.subarray(from - w.at, to - w.at), from - start);
  }
  return { size, offset: start, bytes: out };
}

/** Streams a whole file's content chunk by chunk (a few chunks opened ahead), for export. */
export async function* fileContent(vault: Vault, ids: readonly Uint8Array[], signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const AHEAD = 4;
  for (let i = 0; i < ids.length; i += AHEAD) {
    if (signal?.aborted) throw new VaultError('cancelled', 'The export was cancelled.');
    const batch = ids.slice(i, i + AHEAD).map((id) => {
      const place = vault.catalog.getBlob(id);
      if (!place || place.kind !== BlobKind.chunk) throw new VaultError('damaged-data', `Blob ${Buffer.from(id).toString('hex').slice(0, 12)} is missing from the vault.`);
      return { id, place };
    });
    yield* await vault.openBlobs(batch, signal);
  }
}
