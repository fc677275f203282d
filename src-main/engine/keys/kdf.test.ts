/**
 * Argon2id runs through @node-rs/argon2 where its binary loads and through
 * node:crypto otherwise: both must give the same key for the same password,
 * salt and cost, or a vault made on one machine would not open on another.
 */
import { argon2Sync, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { argon2id, defaultBackend, deriveWrappingKey } from './kdf.ts';
import type { KdfParams } from './header-format.ts';

const COSTS: KdfParams[] = [
  { memoryKiB: 8, passes: 1, parallelism: 1 },
  { memoryKiB: 256, passes: 2, parallelism: 4 },
  { memoryKiB: 1024, passes: 3, parallelism: 3 },
  { memoryKiB: 65536, passes: 3, parallelism: 4 }, // the default
];

describe('argon2id', () => {
  it('takes the native implementation on this platform', () => {
    expect(defaultBackend()).toBe('node-rs');
  });

  it('gives the same bytes through @node-rs/argon2 as through node:crypto, for every cost', async () => {
    for (const [n, kdf] of COSTS.entries()) {
      const message = Buffer.from(`pässword ${n}`, 'utf8');
      const salt = createHash('sha256').update(`salt ${n}`).digest().subarray(0, 16);
      const native = await argon2id(message, salt, kdf, 'node-rs');
      const openssl = await argon2id(message, salt, kdf, 'node-crypto');
      expect(native.toString('hex'), JSON.stringify(kdf)).toBe(openssl.toString('hex'));
      expect(native.length).toBe(32);
    }
  });

  it('matches the RFC 9106 construction as Node computes it synchronously, password NFC-normalised', async () => {
    const kdf = COSTS[1]!;
    const salt = Buffer.alloc(16, 7);
    const decomposed = 'cafe\u0301'; // "café" as macOS input may give it
    const expected = argon2Sync('argon2id', { message: Buffer.from('caf\u00e9', 'utf8'), nonce: salt, parallelism: kdf.parallelism, tagLength: 32, memory: kdf.memoryKiB, passes: kdf.passes });
    expect((await deriveWrappingKey(decomposed, salt, kdf)).equals(expected)).toBe(true);
  });
});
