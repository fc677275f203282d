/**
 * The byte layout of a pack file (version 1).
 *
 *   preamble  "MMRYPACK" (8) | version u8 (= 1) | pack id (16)          25 bytes
 *   blobs     sealed blobs back to back (packs/seal.ts)
 *   header    nonce (12) | ChaCha20-Poly1305(index) | tag (16)
 *             associated data = "mmry-pack-header-v1" || pack id
 *   trailer   sealed header length u32 LE | "MMRYEND1"                   12 bytes
 *
 *   index     count u32 LE, then per blob (49 bytes):
 *             id (32) | kind u8 | offset u64 LE | length u32 LE | raw length u32 LE
 *
 * The header sits at the end so a pack is written in one forward pass; the
 * trailer finds it. Binding the pack id into the header's associated data
 * means a header moved into another pack fails authentication.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BLOB_ID_BYTES, SEAL_OVERHEAD } from './seal.ts';
import type { BlobKind } from './seal.ts';

export const PACK_MAGIC = Buffer.from('MMRYPACK', 'latin1');
export const PACK_END_MAGIC = Buffer.from('MMRYEND1', 'latin1');
export const PACK_VERSION = 1;
export const PACK_ID_BYTES = 16;
export const PREAMBLE_BYTES = PACK_MAGIC.length + 1 + PACK_ID_BYTES;
export const TRAILER_BYTES = 4 + PACK_END_MAGIC.length;
export const ENTRY_BYTES = BLOB_ID_BYTES + 1 + 8 + 4 + 4;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const MIN_SEALED_HEADER_BYTES = NONCE_BYTES + 4 + TAG_BYTES;
const HEADER_AD_PREFIX = Buffer.from('mmry-pack-header-v1', 'latin1');

/** One blob's place in a pack. */
export interface PackEntry {
  id: Buffer;
  kind: BlobKind;
  /** Where the sealed bytes start, from the beginning of the file. */
  offset: number;
  /** Sealed length. */
  length: number;
  /** Plaintext length before compression. */
  rawLength: number;
}

export function encodePreamble(packId: Buffer): Buffer {
  return Buffer.concat([PACK_MAGIC, Buffer.of(PACK_VERSION), packId]);
}

/** The pack id, or undefined when the bytes are not a version-1 preamble. */
export function decodePreamble(bytes: Buffer): Buffer | undefined {
  if (bytes.length < PREAMBLE_BYTES) return undefined;
  if (!bytes.subarray(0, PACK_MAGIC.length).equals(PACK_MAGIC) || bytes[PACK_MAGIC.length] !== PACK_VERSION) return undefined;
  return Buffer.from(bytes.subarray(PACK_MAGIC.length + 1, PREAMBLE_BYTES));
}

export function encodeTrailer(sealedHeaderLength: number): Buffer {
  const trailer = Buffer.alloc(TRAILER_BYTES);
  trailer.writeUInt32LE(sealedHeaderLength, 0);
  PACK_END_MAGIC.copy(trailer, 4);
  return trailer;
}

/** The sealed header's length, or undefined when the trailer is not intact. */
export function decodeTrailer(bytes: Buffer): number | undefined {
  if (bytes.length !== TRAILER_BYTES || !bytes.subarray(4).equals(PACK_END_MAGIC)) return undefined;
  return bytes.readUInt32LE(0);
}

export function sealPackHeader(blobKey: Uint8Array, packId: Buffer, entries: readonly PackEntry[]): Buffer {
  const index = Buffer.alloc(4 + entries.length * ENTRY_BYTES);
  index.writeUInt32LE(entries.length, 0);
  entries.forEach((e, i) => encodeEntry(e, index, 4 + i * ENTRY_BYTES));
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('chacha20-poly1305', blobKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.concat([HEADER_AD_PREFIX, packId]), { plaintextLength: index.length });
  return Buffer.concat([nonce, cipher.update(index), cipher.final(), cipher.getAuthTag()]);
}

/**
 * The entries, or undefined when the header fails authentication or lists a
 * blob outside `[PREAMBLE_BYTES, blobsEnd)`.
 */
export function openPackHeader(blobKey: Uint8Array, packId: Buffer, sealed: Buffer, blobsEnd: number): PackEntry[] | undefined {
  if (sealed.length < MIN_SEALED_HEADER_BYTES) return undefined;
  const decipher = createDecipheriv('chacha20-poly1305', blobKey, sealed.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  decipher.setAAD(Buffer.concat([HEADER_AD_PREFIX, packId]), { plaintextLength: body.length });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  let index: Buffer;
  try {
    index = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
  const count = index.readUInt32LE(0);
  if (index.length !== 4 + count * ENTRY_BYTES) return undefined;
  const entries: PackEntry[] = [];
  for (let i = 0; i < count; i++) {
    const e = decodeEntry(index, 4 + i * ENTRY_BYTES);
    if (e.offset < PREAMBLE_BYTES || e.length < SEAL_OVERHEAD || e.offset + e.length > blobsEnd) return undefined;
    entries.push(e);
  }
  return entries;
}

function encodeEntry(e: PackEntry, out: Buffer, at: number): void {
  e.id.copy(out, at);
  out.writeUInt8(e.kind, at + 32);
  out.writeBigUInt64LE(BigInt(e.offset), at + 33);
  out.writeUInt32LE(e.length, at + 41);
  out.writeUInt32LE(e.rawLength, at + 45);
}

function decodeEntry(index: Buffer, at: number): PackEntry {
  return {
    id: Buffer.from(index.subarray(at, at + 32)),
    kind: index.readUInt8(at + 32) as BlobKind,
    offset: Number(index.readBigUInt64LE(at + 33)),
    length: index.readUInt32LE(at + 41),
    rawLength: index.readUInt32LE(at + 45),
  };
}
