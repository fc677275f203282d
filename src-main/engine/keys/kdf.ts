/**
 * Password → key-encryption key (Argon2id), and wrapping of the master key
 * under it (ChaCha20-Poly1305).
 */
import { argon2, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { VaultError } from '../errors.ts';
import { MASTER_KEY_BYTES, WRAP_NONCE_BYTES, WRAP_TAG_BYTES } from './header-format.ts';
import type { KdfParams } from './header-format.ts';

/** Interactive-unlock cost: about 150 ms on the reference 2-core machine. */
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
  const parameters = { message, nonce: salt, parallelism: kdf.parallelism, tagLength: 32, memory: kdf.memoryKiB, passes: kdf.passes };
  return new Promise((resolve, reject) => {
    argon2('argon2id', parameters, (err, key) => {
      message.fill(0);
      if (err) reject(new VaultError('internal', `Key derivation failed: ${err.message}`, { cause: err }));
      else resolve(key);
    });
  });
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
