/**
 * Settings shared by the integration tests and their child-process fixtures.
 * Plain Node (no vitest import), so a fixture run by `node` can load it too.
 *
 * The vault options are the cheap ones STYLE.md asks tests to pass: a tiny
 * Argon2id cost and a small chunker, so a few hundred KiB already make
 * multi-chunk files. Every other part of the engine runs for real.
 */
import type { VaultOptions } from '../../src-main/engine/vault/index.ts';

export const PASSWORD = 'integration password';
export const OTHER_PASSWORD = 'a different password';

export const FAST_KDF = { memoryKiB: 8, passes: 1, parallelism: 1 } as const;
export const SMALL_CHUNKER = { min: 4096, avg: 16384, max: 65536 } as const;

export const FAST_OPTIONS: VaultOptions = { kdf: { ...FAST_KDF }, chunker: { ...SMALL_CHUNKER }, threads: 2 };

/** Options for a run that should seal several packs. */
export function withPackTarget(bytes: number): VaultOptions {
  return { ...FAST_OPTIONS, packTargetBytes: bytes };
}
