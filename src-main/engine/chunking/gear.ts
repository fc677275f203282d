import { hkdfSync } from 'node:crypto';
import { VaultError } from '../errors.ts';

export const GEAR_SEED_BYTES = 32;

/**
 * Expands a 32-byte seed into the 256-word gear table with HKDF-SHA-256.
 * The info string separates this use of the `chunk-id` key from its use as
 * the blob-id HMAC key, so knowing the table says nothing about blob ids.
 */
export function makeGearTable(seed: Uint8Array): Uint32Array {
  if (seed.length !== GEAR_SEED_BYTES) {
    throw new VaultError('internal', `The gear seed must be ${GEAR_SEED_BYTES} bytes.`);
  }
  const bytes = new Uint8Array(hkdfSync('sha256', seed, new Uint8Array(0), 'mmry-gear-table-v1', 256 * 4));
  const view = new DataView(bytes.buffer);
  const table = new Uint32Array(256);
  // Explicit little-endian so the table (and every cut) is the same on any CPU.
  for (let i = 0; i < 256; i++) table[i] = view.getUint32(i * 4, true);
  return table;
}
