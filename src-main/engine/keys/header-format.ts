/**
 * The byte layout of one vault header copy (format version 1, 148 bytes).
 *
 *   off  len
 *     0    8  magic "MMRYVHDR"
 *     8    2  format version, u16 LE (= 1)
 *    10   16  vault id
 *    26    1  KDF algorithm (1 = Argon2id)
 *    27    4  memory in KiB, u32 LE
 *    31    4  passes, u32 LE
 *    35    4  parallelism, u32 LE
 *    39   16  salt
 *    55    1  wrap algorithm (1 = ChaCha20-Poly1305)
 *    56   12  nonce
 *    68   32  wrapped master key
 *   100   16  AEAD tag
 *   116   32  SHA-256 of bytes 0..115
 *
 * The associated data of the wrap is bytes 0..55, so the vault id, the format
 * version and every KDF parameter are authenticated by the password: editing
 * any of them (e.g. lowering the Argon2 cost) makes unlocking fail.
 * The checksum is unkeyed: it only tells accidental damage apart from a wrong
 * password, it proves nothing about who wrote the header.
 */
import { createHash } from 'node:crypto';

export const HEADER_MAGIC = Buffer.from('MMRYVHDR', 'latin1');
export const HEADER_FORMAT_VERSION = 1;
export const HEADER_BYTES = 148;
export const VAULT_ID_BYTES = 16;
export const SALT_BYTES = 16;
export const MASTER_KEY_BYTES = 32;
export const WRAP_NONCE_BYTES = 12;
export const WRAP_TAG_BYTES = 16;

const KDF_ARGON2ID = 1;
const WRAP_CHACHA20_POLY1305 = 1;
const AD_END = 56;
const CHECKSUM_AT = 116;

export interface KdfParams {
  /** Argon2 memory cost in KiB; at least 8 × parallelism. */
  memoryKiB: number;
  passes: number;
  parallelism: number;
}

export interface HeaderFields {
  vaultId: Buffer;
  kdf: KdfParams;
  salt: Buffer;
  nonce: Buffer;
  /** Encrypted master key followed by the AEAD tag (48 bytes). */
  wrapped: Buffer;
}

export type DecodedHeader =
  | { ok: true; header: HeaderFields; associatedData: Buffer }
  | { ok: false; reason: 'damaged' }
  | { ok: false; reason: 'unsupported-version'; version: number };

/** Bytes 0..55: everything the wrap's associated data covers. */
export function encodeAssociatedData(vaultId: Uint8Array, kdf: KdfParams, salt: Uint8Array): Buffer {
  const ad = Buffer.alloc(AD_END);
  HEADER_MAGIC.copy(ad, 0);
  ad.writeUInt16LE(HEADER_FORMAT_VERSION, 8);
  Buffer.from(vaultId).copy(ad, 10);
  ad.writeUInt8(KDF_ARGON2ID, 26);
  ad.writeUInt32LE(kdf.memoryKiB, 27);
  ad.writeUInt32LE(kdf.passes, 31);
  ad.writeUInt32LE(kdf.parallelism, 35);
  Buffer.from(salt).copy(ad, 39);
  ad.writeUInt8(WRAP_CHACHA20_POLY1305, 55);
  return ad;
}

export function encodeHeader(fields: HeaderFields): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  encodeAssociatedData(fields.vaultId, fields.kdf, fields.salt).copy(out, 0);
  fields.nonce.copy(out, AD_END);
  fields.wrapped.copy(out, AD_END + WRAP_NONCE_BYTES);
  checksum(out.subarray(0, CHECKSUM_AT)).copy(out, CHECKSUM_AT);
  return out;
}

/** Checks the checksum first, so any flipped byte reads as damage, never as a wrong password. */
export function decodeHeader(bytes: Buffer): DecodedHeader {
  if (bytes.length < HEADER_MAGIC.length + 2 + 32) return { ok: false, reason: 'damaged' };
  const body = bytes.subarray(0, bytes.length - 32);
  if (!checksum(body).equals(bytes.subarray(bytes.length - 32))) return { ok: false, reason: 'damaged' };
  if (!bytes.subarray(0, HEADER_MAGIC.length).equals(HEADER_MAGIC)) return { ok: false, reason: 'damaged' };
  const version = bytes.readUInt16LE(8);
  if (version !== HEADER_FORMAT_VERSION) return { ok: false, reason: 'unsupported-version', version };
  if (bytes.length !== HEADER_BYTES || bytes[26] !== KDF_ARGON2ID || bytes[55] !== WRAP_CHACHA20_POLY1305) {
    return { ok: false, reason: 'damaged' };
  }
  const header: HeaderFields = {
    vaultId: Buffer.from(bytes.subarray(10, 26)),
    kdf: { memoryKiB: bytes.readUInt32LE(27), passes: bytes.readUInt32LE(31), parallelism: bytes.readUInt32LE(35) },
    salt: Buffer.from(bytes.subarray(39, 55)),
    nonce: Buffer.from(bytes.subarray(AD_END, AD_END + WRAP_NONCE_BYTES)),
    wrapped: Buffer.from(bytes.subarray(AD_END + WRAP_NONCE_BYTES, CHECKSUM_AT)),
  };
  return { ok: true, header, associatedData: Buffer.from(bytes.subarray(0, AD_END)) };
}

function checksum(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest();
}
