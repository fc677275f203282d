/**
 * Bundles: many small file contents compressed and sealed together as one
 * blob (kind `bundle`), so zstd sees them side by side.
 *
 * Why: a project folder is mostly small files (the bench corpus: 9,829
 * distinct contents under 512 KiB, 71 MB), and they share a great deal (the
 * same identifiers, licence texts, near-identical builds of one library).
 * Compressed one by one they came to 28.4 MB; in bundles of about 1 MiB by
 * file type, 23.2 MB, with one zstd call per bundle instead of one per
 * file. restic and borg compress blob by blob.
 *
 * The price: a bundle fails authentication as a whole, so damage that
 * parity cannot rebuild puts every file in it at risk, where it used to
 * touch one file. Reads then salvage what they can (salvage.ts:
 * the bundle decrypted without its tag check, decompressed up to the
 * damage, and each member taken only if its bytes match its own keyed id),
 * which usually saves the members before the damaged spot; verify reports
 * as lost only what that leaves out. Hence also
 * 1 MiB, not larger (2 MiB would save only another 0.2 MB on that corpus).
 *
 * Identity does not change: each member keeps its own keyed id (HMAC of its
 * bytes), is deduplicated by it, and is re-checked against it whenever it is
 * read. The bundle is an ordinary blob around them: its id is the keyed hash
 * of its whole plaintext, its AEAD binds that id, and it lives in a pack like
 * any blob. The catalog maps a member id to (bundle id, offset, length).
 *
 * Plaintext layout (self-describing, so a catalog rebuilt from the packs
 * alone learns the members from the bundle itself):
 *
 *   member bytes, back to back
 *   count × { member id (32) ‖ length (u32 LE) }     the member table
 *   count (u32 LE) ‖ "mmry-bnd1" (9 bytes)           the trailer
 *
 * The table sits at the end so members can be appended as they arrive;
 * member offsets are the running sum of the lengths before them.
 */
import { VaultError } from '../errors.ts';
import { BLOB_ID_BYTES } from './seal.ts';

const MAGIC = Buffer.from('mmry-bnd1');
const ROW_BYTES = BLOB_ID_BYTES + 4;
export const BUNDLE_TRAILER_BYTES = 4 + MAGIC.length;

export interface BundleMember {
  id: Uint8Array;
  /** Where the member's bytes start in the bundle's plaintext. */
  offset: number;
  length: number;
}

/** Bytes the member table and trailer take for `count` members. */
export function bundleTableBytes(count: number): number {
  return count * ROW_BYTES + BUNDLE_TRAILER_BYTES;
}

/**
 * Writes the member table and trailer at `at` (just after the members'
 * bytes, which must already be in `into` back to back from 0) and returns
 * the bundle's total length.
 */
export function writeBundleTable(into: Uint8Array, at: number, members: readonly { id: Uint8Array; length: number }[]): number {
  const end = at + bundleTableBytes(members.length);
  if (end > into.length) throw new VaultError('internal', 'A bundle does not fit its buffer.');
  const view = new DataView(into.buffer, into.byteOffset, into.byteLength);
  let sum = 0;
  let p = at;
  for (const m of members) {
    if (m.id.length !== BLOB_ID_BYTES) throw new VaultError('internal', `A bundle member id must be ${BLOB_ID_BYTES} bytes.`);
    into.set(m.id, p);
    view.setUint32(p + BLOB_ID_BYTES, m.length, true);
    p += ROW_BYTES;
    sum += m.length;
  }
  if (sum !== at) throw new VaultError('internal', 'A bundle table does not match the bytes before it.');
  view.setUint32(p, members.length, true);
  into.set(MAGIC, p + 4);
  return end;
}

/** The members of a bundle's plaintext; throws VaultError('damaged-data') on anything malformed. */
export function readBundleTable(plain: Uint8Array, what = 'a bundle'): BundleMember[] {
  const bad = (why: string) => new VaultError('damaged-data', `The member table of ${what} is damaged (${why}).`);
  if (plain.length < BUNDLE_TRAILER_BYTES) throw bad('too short');
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const trailer = plain.length - BUNDLE_TRAILER_BYTES;
  if (!Buffer.from(plain.buffer, plain.byteOffset + trailer + 4, MAGIC.length).equals(MAGIC)) throw bad('no trailer');
  const count = view.getUint32(trailer, true);
  const tableStart = trailer - count * ROW_BYTES;
  if (count === 0 || tableStart < 0) throw bad('bad member count');
  const members: BundleMember[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const row = tableStart + i * ROW_BYTES;
    const length = view.getUint32(row + BLOB_ID_BYTES, true);
    members.push({ id: plain.slice(row, row + BLOB_ID_BYTES), offset, length });
    offset += length;
  }
  if (offset !== tableStart) throw bad('lengths do not add up');
  return members;
}

/**
 * A copy of one member's bytes from its bundle's plaintext, where the
 * catalog says they lie; a place outside the plaintext is damage (a crafted
 * or damaged catalog), never a short read. The caller checks the id.
 */
export function memberBytes(plain: Uint8Array, offset: number, length: number, memberId: Uint8Array): Buffer {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > plain.length) {
    throw new VaultError('damaged-data', `Blob ${Buffer.from(memberId).toString('hex').slice(0, 12)} lies outside its bundle.`);
  }
  return Buffer.from(plain.subarray(offset, offset + length));
}
