/**
 * Blob sealing: the one place where a blob's bytes are encrypted and
 * authenticated.
 *
 * sealed = nonce(12) || ChaCha20-Poly1305(codec(1) || payload) || tag(16)
 * associated data = "mmry-blob-v1" || kind(1) || blob id(32)
 *
 * The codec byte travels inside the ciphertext, so it is authenticated and a
 * pack header need not be trusted for it. Binding kind and id in the
 * associated data means a blob copied to another place, or answered for a
 * different id, fails authentication instead of returning wrong bytes.
 * ChaCha20-Poly1305 is chosen over AES-256-GCM because it is about twice as
 * fast in Node 24 on these machines (see shared/ANCHORS.md).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { VaultError } from '../errors.ts';

export const BLOB_ID_BYTES = 32;
export const SEAL_OVERHEAD = 12 + 1 + 16;

/**
 * What a blob holds. Stored in the pack header and bound into the AEAD.
 * A bundle holds many small chunks compressed together (see bundle.ts).
 */
export const BlobKind = { chunk: 0, tree: 1, snapshot: 2, meta: 3, bundle: 4 } as const;
export type BlobKind = (typeof BlobKind)[keyof typeof BlobKind];

const AD_PREFIX = Buffer.from('mmry-blob-v1');

/** AD_PREFIX ‖ kind ‖ id, built in one small (pooled) allocation: it is made for every blob sealed, opened or checked. */
function associatedData(kind: BlobKind, id: Uint8Array): Buffer {
  if (id.length !== BLOB_ID_BYTES) throw new VaultError('internal', `Blob id must be ${BLOB_ID_BYTES} bytes.`);
  const ad = Buffer.allocUnsafe(AD_PREFIX.length + 1 + BLOB_ID_BYTES);
  AD_PREFIX.copy(ad, 0);
  ad[AD_PREFIX.length] = kind;
  ad.set(id, AD_PREFIX.length + 1);
  return ad;
}

/**
 * Nonces come from CSPRNG bytes drawn 4 KiB at a time: one randomBytes(12)
 * per blob cost ~8 µs, nearly all call overhead (~80 ms of worker time in a
 * backup of the bench corpus). Each nonce is still fresh CSPRNG output, used
 * once; a refill allocates a new buffer, so a nonce already handed out is
 * never overwritten. Each thread has its own (module state).
 */
const NONCES_PER_DRAW = 341;
let nonces = Buffer.alloc(0);
let nextNonce = 0;

function freshNonce(): Buffer {
  if (nextNonce + 12 > nonces.length) {
    nonces = randomBytes(12 * NONCES_PER_DRAW);
    nextNonce = 0;
  }
  const nonce = nonces.subarray(nextNonce, nextNonce + 12);
  nextNonce += 12;
  return nonce;
}

export function sealBlob(key: Uint8Array | KeyObject, kind: BlobKind, id: Uint8Array, codec: number, payload: Uint8Array): Buffer {
  const nonce = freshNonce();
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  cipher.setAAD(associatedData(kind, id), { plaintextLength: payload.length + 1 });
  const head = cipher.update(Buffer.of(codec));
  const body = cipher.update(payload);
  const tail = cipher.final();
  return Buffer.concat([nonce, head, body, tail, cipher.getAuthTag()]);
}

export interface OpenedBlob {
  codec: number;
  payload: Buffer;
}

/** Throws VaultError('damaged-data') when the bytes are not exactly what was sealed for this kind and id. */
export function openBlob(key: Uint8Array | KeyObject, kind: BlobKind, id: Uint8Array, sealed: Uint8Array): OpenedBlob {
  if (sealed.length < SEAL_OVERHEAD) throw damaged(id);
  const nonce = sealed.subarray(0, 12);
  const tag = sealed.subarray(sealed.length - 16);
  const body = sealed.subarray(12, sealed.length - 16);
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  decipher.setAAD(associatedData(kind, id), { plaintextLength: body.length });
  decipher.setAuthTag(tag);
  let plain: Buffer;
  try {
    const first = decipher.update(body);
    // ChaCha20-Poly1305's final() checks the tag and adds no bytes: joining would copy every blob once more.
    const last = decipher.final();
    plain = last.length === 0 ? first : Buffer.concat([first, last]);
  } catch {
    throw damaged(id);
  }
  return { codec: plain[0]!, payload: plain.subarray(1) };
}

/**
 * Throws like `openBlob` but keeps nothing (verify --read-data): the same
 * decryption and tag check, without joining the plaintext into a buffer of
 * its own (ChaCha20-Poly1305's final() adds no bytes; its tag check is what counts).
 */
export function authenticateBlob(key: Uint8Array | KeyObject, kind: BlobKind, id: Uint8Array, sealed: Uint8Array): void {
  if (sealed.length < SEAL_OVERHEAD) throw damaged(id);
  const decipher = createDecipheriv('chacha20-poly1305', key, sealed.subarray(0, 12), { authTagLength: 16 });
  const body = sealed.subarray(12, sealed.length - 16);
  decipher.setAAD(associatedData(kind, id), { plaintextLength: body.length });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    decipher.update(body);
    decipher.final();
  } catch {
    throw damaged(id);
  }
}

/**
 * The plaintext of sealed bytes that failed authentication, decrypted
 * without the tag check, for salvage only (salvage.ts):
 * nothing here is trusted. A caller may use a part of it only after checking
 * that part against a keyed id of its own, which wrong bytes cannot match.
 */
export function decryptUnverified(key: Uint8Array | KeyObject, kind: BlobKind, id: Uint8Array, sealed: Uint8Array): OpenedBlob | undefined {
  if (sealed.length < SEAL_OVERHEAD) return undefined;
  const decipher = createDecipheriv('chacha20-poly1305', key, sealed.subarray(0, 12), { authTagLength: 16 });
  const body = sealed.subarray(12, sealed.length - 16);
  decipher.setAAD(associatedData(kind, id), { plaintextLength: body.length });
  const plain = decipher.update(body);
  return { codec: plain[0]!, payload: plain.subarray(1) };
}

function damaged(id: Uint8Array): VaultError {
  return new VaultError('damaged-data', `Blob ${Buffer.from(id).toString('hex').slice(0, 12)} is damaged: its bytes failed authentication.`);
}
