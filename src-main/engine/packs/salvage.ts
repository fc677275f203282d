/**
 * Salvage: the members a damaged bundle still holds whole.
 *
 * A bundle fails authentication as a whole (bundle.ts), so when parity
 * cannot rebuild it, its sealed bytes are decrypted without the tag check,
 * decompressed as far as they go, and a member is taken if, and only if, its
 * bytes match its own keyed id, which wrong bytes cannot. The members before
 * the damaged spot are usually saved so.
 *
 * Reads (Vault.salvageMember) and verify's list of affected files (heal/
 * report.ts) both go through `salvageMembers`, so what verify calls lost is
 * exactly what a restore of the same bytes cannot recover.
 */
import { timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createZstdDecompress } from 'node:zlib';
import { Codec } from '../codecs/index.ts';
import { BlobKind, decryptUnverified } from './seal.ts';

export interface SalvageMember {
  id: Uint8Array;
  innerOffset: number;
  length: number;
}

/**
 * Per member, in the order given, its bytes when `sealed` (the bundle's
 * damaged sealed bytes) still holds them whole, else undefined. `idOf` is
 * the vault's keyed blob id.
 */
export async function salvageMembers(blobKey: Uint8Array | KeyObject, idOf: (bytes: Uint8Array) => Uint8Array, bundleId: Uint8Array, sealed: Uint8Array, members: readonly SalvageMember[]): Promise<(Buffer | undefined)[]> {
  const none = members.map(() => undefined);
  if (members.length === 0) return none;
  const opened = decryptUnverified(blobKey, BlobKind.bundle, bundleId, sealed);
  if (!opened) return none;
  const need = Math.max(...members.map((m) => m.innerOffset + m.length));
  let plain: Buffer;
  if (opened.codec === Codec.raw) plain = opened.payload;
  else if (opened.codec === Codec.zstd) plain = await zstdPrefix(opened.payload, need);
  else return none;
  return members.map((m) => {
    const end = m.innerOffset + m.length;
    if (plain.length < end) return undefined;
    const bytes = Buffer.from(plain.subarray(m.innerOffset, end));
    return timingSafeEqual(idOf(bytes), m.id) ? bytes : undefined;
  });
}

/** What zstd gives of `payload` before it fails or ends, stopping once `need` bytes are out (damage may come after). */
function zstdPrefix(payload: Uint8Array, need: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let got = 0;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(parts));
    };
    const z = createZstdDecompress();
    z.on('data', (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (got >= need) {
        done();
        z.destroy();
      }
    });
    z.on('error', done);
    z.on('end', done);
    z.on('close', done);
    z.end(payload);
  });
}
