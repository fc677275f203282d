/**
 * Subkeys: HKDF-SHA-256 of the master key, salted with the vault id, one
 * distinct info string per purpose, so a key leaked from one use (say the
 * catalog cipher) says nothing about another.
 */
import { hkdfSync } from 'node:crypto';

export interface VaultKeys {
  /** Hex of the 16-byte vault id. */
  vaultId: string;
  /** SQLite3MultipleCiphers key of catalog.db. */
  catalogKey: Buffer;
  /** AEAD key for blobs and pack headers. */
  blobKey: Buffer;
  /** HMAC-SHA-256 key that turns plaintext into blob ids. */
  idKey: Buffer;
  /** Seed of the content-defined chunker's gear table. */
  gearSeed: Buffer;
}

// Never change these strings: they are part of the vault format.
const INFO = {
  catalogKey: 'mmry-vault/v1/catalog',
  blobKey: 'mmry-vault/v1/blob',
  idKey: 'mmry-vault/v1/chunk-id',
  gearSeed: 'mmry-vault/v1/gear-seed',
} as const;

export function deriveSubkeys(masterKey: Uint8Array, vaultId: Uint8Array): VaultKeys {
  const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', masterKey, vaultId, info, 32));
  return {
    vaultId: Buffer.from(vaultId).toString('hex'),
    catalogKey: derive(INFO.catalogKey),
    blobKey: derive(INFO.blobKey),
    idKey: derive(INFO.idKey),
    gearSeed: derive(INFO.gearSeed),
  };
}
