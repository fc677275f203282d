/**
 * Password → key-encryption key (Argon2id), and wrapping of the master key
 * under it (ChaCha20-Poly1305).
 */
import { argon2, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { VaultError } from '../errors.ts';
import { MASTER_KEY_BYTES, WRAP_NONCE_BYTES, WRAP_TAG_BYTES } from './header-format.ts';
import type { KdfParams } from './header-format.ts';

/** Interactive-unlock cost: about 50–120 ms on the reference 2-core machine (see `argon2id`). */
export const DEFAULT_KDF: Readonly<KdfParams> = { memoryKiB: 65536, passes: 3, parallelism: 4 };

/**
 * Upper bounds guard against a crafted header that would make unlocking
 * allocate gigabytes or spin for minutes before the password is even checked.
 */
const MAX_MEMORY_KIB = 4 * 1024 * 1024;
const MAX_PASSES = 64;
const MAX_PARALLELISM = 64;

export function kdfParamsProblem(kdf: KdfParams): string | undefined {
  const { memoryKiB, passes, parallelism } = kdf;
  if (![memoryKiB, passes, parallelism].every(Number.isInteger)) return 'KDF parameters must be integers';
  if (parallelism < 1 || parallelism > MAX_PARALLELISM) return `parallelism must be 1..${MAX_PARALLELISM}`;
  if (passes < 1 || passes > MAX_PASSES) return `passes must be 1..${MAX_PASSES}`;
  if (memoryKiB < 8 * parallelism || memoryKiB > MAX_MEMORY_KIB) return `memory must be ${8 * parallelism}..${MAX_MEMORY_KIB} KiB`;
  return undefined;
}

/**
 * The password is NFC-normalised so the same typed password gives the same key
 * whatever the keyboard or OS produced (macOS input may arrive decomposed).
 */
export function deriveWrappingKey(password: string, salt: Uint8Array, kdf: KdfParams): Promise<Buffer> {
  const message = Buffer.from(password.normalize('NFC'), 'utf8');
  return argon2id(message, salt, kdf)
    .catch((err: unknown) => {
      throw new VaultError('internal', `Key derivation failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    })
    .finally(() => message.fill(0));
}

/**
 * Argon2id (version 0x13), 32-byte tag. Every command that opens a vault
 * waits for it, so it runs where it is fastest: @node-rs/argon2 (Rust, a
 * prebuilt binary per platform, lanes on threads), else Node's own
 * `crypto.argon2` (OpenSSL's portable code), which gives the same bytes
 * (kdf.test.ts). Measured on the reference 2-core machine at the default
 * cost (64 MiB, t=3, p=4), twelve runs each of a fresh process: node:crypto
 * 185–259 ms and 265–366 ms of CPU, @node-rs/argon2 52–117 ms and 101–231 ms
 * of CPU. The CPU matters as much as the time: an unchanged re-backup lists
 * its source on the other core meanwhile.
 */
export async function argon2id(message: Uint8Array, salt: Uint8Array, kdf: KdfParams, backend: Argon2Backend = defaultBackend()): Promise<Buffer> {
  if (backend === 'node-rs') {
    const native = nodeRsArgon2();
    if (!native) throw new Error('@node-rs/argon2 has no binary for this platform');
    return native.hashRaw(Buffer.from(message.buffer, message.byteOffset, message.byteLength), {
      algorithm: ARGON2ID,
      version: ARGON2_V13,
      memoryCost: kdf.memoryKiB,
      timeCost: kdf.passes,
      parallelism: kdf.parallelism,
      outputLen: 32,
      salt: Buffer.from(salt.buffer, salt.byteOffset, salt.byteLength),
    });
  }
  const parameters = { message, nonce: salt, parallelism: kdf.parallelism, tagLength: 32, memory: kdf.memoryKiB, passes: kdf.passes };
  return new Promise((resolve, reject) => argon2('argon2id', parameters, (err, key) => (err ? reject(err) : resolve(key))));
}

export type Argon2Backend = 'node-rs' | 'node-crypto';

/** @node-rs/argon2's `Algorithm.Argon2id` and `Version.V0x13` (const enums, so not importable as values). */
const ARGON2ID = 2;
const ARGON2_V13 = 1;

interface NodeRsArgon2 {
  hashRaw(password: Buffer, options: { algorithm: number; version: number; memoryCost: number; timeCost: number; parallelism: number; outputLen: number; salt: Buffer }): Promise<Buffer>;
}

let nodeRs: NodeRsArgon2 | null | undefined;

/** The native module, or null where it has no binary for this platform (or failed to load). */
function nodeRsArgon2(): NodeRsArgon2 | null {
  if (nodeRs === undefined) {
    try {
      nodeRs = createRequire(import.meta.url)('@node-rs/argon2') as NodeRsArgon2;
    } catch {
      nodeRs = null;
    }
  }
  return nodeRs;
}

/** Which implementation derives keys here: the native one when it loads. */
export function defaultBackend(): Argon2Backend {
  return nodeRsArgon2() ? 'node-rs' : 'node-crypto';
}

export function wrapMasterKey(wrappingKey: Uint8Array, masterKey: Uint8Array, associatedData: Uint8Array): { nonce: Buffer; wrapped: Buffer } {
  const nonce = randomBytes(WRAP_NONCE_BYTES);
  const cipher = createCipheriv('chacha20-poly1305', wrappingKey, nonce, { authTagLength: WRAP_TAG_BYTES });
  cipher.setAAD(associatedData, { plaintextLength: masterKey.length });
  const wrapped = Buffer.concat([cipher.update(masterKey), cipher.final(), cipher.getAuthTag()]);
  return { nonce, wrapped };
}

/** The master key, or undefined when authentication fails (wrong password, or a header edited behind its checksum). */
export function unwrapMasterKey(wrappingKey: Uint8Array, nonce: Uint8Array, wrapped: Uint8Array, associatedData: Uint8Array): Buffer | undefined {
  if (wrapped.length !== MASTER_KEY_BYTES + WRAP_TAG_BYTES) return undefined;
  const decipher = createDecipheriv('chacha20-poly1305', wrappingKey, nonce, { authTagLength: WRAP_TAG_BYTES });
  decipher.setAAD(associatedData, { plaintextLength: MASTER_KEY_BYTES });
  decipher.setAuthTag(wrapped.subarray(MASTER_KEY_BYTES));
  try {
    return Buffer.concat([decipher.update(wrapped.subarray(0, MASTER_KEY_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
