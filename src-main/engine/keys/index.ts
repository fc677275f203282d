/**
 * The vault header and the key hierarchy.
 *
 * Terms
 * - **Master key**: 32 random bytes made once per vault, never written in
 *   clear. Everything else is keyed by subkeys derived from it, so changing
 *   the password rewraps these 32 bytes and re-encrypts nothing else.
 * - **Wrapping key**: Argon2id(password, salt, cost). It encrypts the master
 *   key (ChaCha20-Poly1305); the associated data binds the vault id, the
 *   format version and the KDF cost (see `header-format.ts` for the bytes).
 * - **Header copy**: `header` and `header.bak`, two byte-identical files. Each
 *   ends with a SHA-256 checksum over the rest, so a damaged copy is told apart
 *   from a wrong password.
 * - **Subkeys** (`VaultKeys`): HKDF-SHA-256 of the master key, one per use:
 *   catalog cipher, blob AEAD, blob-id HMAC, chunker gear seed.
 * - **Blob id**: HMAC-SHA-256 of a blob's plaintext under the id subkey
 *   (`blobIdHasher`), so ids say nothing about content to anyone without it.
 *
 * Invariants
 * - Copies are written one after the other, each atomically and durably
 *   (`header` first, then `header.bak`). A crash at any point leaves at least
 *   one intact copy that opens with either the old or the new password.
 * - Unlocking trusts a copy only if its checksum holds; the first copy that
 *   the password opens wins and the other copy is rewritten from it when it
 *   differs (damaged, missing, or stale from an interrupted password change).
 *   A failed repair (read-only disk) does not stop the unlock.
 * - A copy from a newer format version stops everything: it is never
 *   "repaired" back to an older format.
 * - Key material in Buffers this module owns is zeroed once no longer needed;
 *   the returned subkeys belong to the caller.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VaultError, fromSystemError } from '../errors.ts';
import { errnoCode, makeFolders, writeFileAtomic } from '../fsutil/index.ts';
import { decodeHeader, encodeAssociatedData, encodeHeader, HEADER_FORMAT_VERSION, MASTER_KEY_BYTES, SALT_BYTES, VAULT_ID_BYTES } from './header-format.ts';
import type { DecodedHeader, HeaderFields, KdfParams } from './header-format.ts';
import { DEFAULT_KDF, deriveWrappingKey, kdfParamsProblem, unwrapMasterKey, wrapMasterKey } from './kdf.ts';
import { deriveSubkeys } from './subkeys.ts';
import type { VaultKeys } from './subkeys.ts';

export { blobIdHasher } from './blob-id.ts';
export { DEFAULT_KDF } from './kdf.ts';
export type { KdfParams } from './header-format.ts';
export type { VaultKeys } from './subkeys.ts';

export type HeaderCopyName = 'header' | 'header.bak';
export const HEADER_COPIES: readonly HeaderCopyName[] = ['header', 'header.bak'];

export interface UnlockResult {
  keys: VaultKeys;
  /** Set when one copy was damaged or stale and has been rewritten from the other. */
  repairedCopy?: HeaderCopyName;
}

export interface HeaderInfo {
  vaultId: string;
  formatVersion: number;
  kdf: KdfParams;
}

/** Makes a new master key and writes both header copies. Fails with 'vault-exists' if either copy exists. */
export async function createHeader(vaultDir: string, password: string, kdf: KdfParams = DEFAULT_KDF): Promise<VaultKeys> {
  checkPassword(password);
  checkKdf(kdf);
  const copies = await readCopies(vaultDir);
  if (copies.some((c) => c.bytes !== undefined)) {
    throw new VaultError('vault-exists', `${vaultDir} already holds an MMRY vault.`);
  }
  await makeFolders(vaultDir).catch((err: unknown) => {
    throw fromSystemError(err, `the vault folder ${vaultDir}`);
  });
  const vaultId = randomBytes(VAULT_ID_BYTES);
  const masterKey = randomBytes(MASTER_KEY_BYTES);
  await writeBothCopies(vaultDir, await sealHeader(masterKey, vaultId, password, kdf));
  return subkeysThenWipe(masterKey, vaultId);
}

export async function unlockHeader(vaultDir: string, password: string): Promise<UnlockResult> {
  const unlocked = await (takeAhead(vaultDir, password) ?? unlockMasterKey(vaultDir, password));
  const keys = subkeysThenWipe(unlocked.masterKey, unlocked.header.vaultId);
  return unlocked.repairedCopy ? { keys, repairedCopy: unlocked.repairedCopy } : { keys };
}

type Unlocked = Awaited<ReturnType<typeof unlockMasterKey>>;

/** Unlocks started ahead (`unlockAhead`), by folder and password digest, until taken or dropped. */
const ahead = new Map<string, Promise<Unlocked>>();
/** An unlock started ahead and never taken is dropped, its master key zeroed, after this long. */
const AHEAD_TTL_MS = 10_000;

function aheadKey(vaultDir: string, password: string): string {
  return `${resolve(vaultDir)}\0${createHash('sha256').update(password).digest('hex')}`;
}

/**
 * Starts unlocking the vault at `vaultDir` now, for an `unlockHeader` of
 * the same folder and password soon after, which then takes the result
 * (a failure included, reported there). The CLI calls it before loading the
 * rest of the program: Argon2id runs on the thread pool while the modules
 * load, instead of after them (about 60 ms of every command). It reads and
 * may repair the header exactly as `unlockHeader` would.
 */
export function unlockAhead(vaultDir: string, password: string): void {
  const key = aheadKey(vaultDir, password);
  if (ahead.has(key)) return;
  const started = unlockMasterKey(vaultDir, password);
  started.catch(() => undefined); // reported to whoever takes it
  ahead.set(key, started);
  setTimeout(() => {
    if (ahead.get(key) !== started) return;
    ahead.delete(key);
    void started.then((u) => u.masterKey.fill(0), () => undefined);
  }, AHEAD_TTL_MS).unref();
}

function takeAhead(vaultDir: string, password: string): Promise<Unlocked> | undefined {
  const key = aheadKey(vaultDir, password);
  const started = ahead.get(key);
  ahead.delete(key);
  return started;
}

/** Rewraps the same master key under a new password and fresh salt; subkeys, catalog and packs are untouched. */
export async function changePassword(vaultDir: string, oldPassword: string, newPassword: string, kdf: KdfParams = DEFAULT_KDF): Promise<void> {
  checkPassword(newPassword);
  checkKdf(kdf);
  const { masterKey, header } = await unlockMasterKey(vaultDir, oldPassword);
  try {
    await writeBothCopies(vaultDir, await sealHeader(masterKey, header.vaultId, newPassword, kdf));
  } finally {
    masterKey.fill(0);
  }
}

/** What can be learnt without the password: the vault id and KDF cost. */
export async function readHeaderInfo(vaultDir: string): Promise<HeaderInfo> {
  const copy = firstUsableCopy(vaultDir, await readCopies(vaultDir));
  return { vaultId: copy.header.vaultId.toString('hex'), formatVersion: HEADER_FORMAT_VERSION, kdf: copy.header.kdf };
}

interface CopyState {
  name: HeaderCopyName;
  path: string;
  bytes: Buffer | undefined;
  decoded: DecodedHeader | undefined;
}

interface UsableCopy extends CopyState {
  bytes: Buffer;
  header: HeaderFields;
  associatedData: Buffer;
}

/**
 * Both copies, read synchronously: they are a few hundred bytes, and an
 * unlock's first wait is then Argon2id itself, which `unlockAhead` relies on
 * to start it before the CLI's modules load (the loading does not yield to
 * file reads' callbacks).
 */
async function readCopies(vaultDir: string): Promise<CopyState[]> {
  return HEADER_COPIES.map((name) => {
    const path = join(vaultDir, name);
    const bytes = readCopy(path);
    return { name, path, bytes, decoded: bytes && decodeHeader(bytes) };
  });
}

function readCopy(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    // The "vault folder" is a file, or the header name is a folder: not a vault, or a damaged copy.
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'EISDIR') return Buffer.alloc(0);
    throw fromSystemError(err, `the vault header ${path}`);
  }
}

/** Copies whose checksum holds, in preference order; throws the right error when there are none. */
function usableCopies(vaultDir: string, copies: CopyState[]): UsableCopy[] {
  if (copies.every((c) => c.bytes === undefined)) throw new VaultError('not-a-vault', `${vaultDir} is not an MMRY vault.`);
  const newer = copies.find((c) => c.decoded?.ok === false && c.decoded.reason === 'unsupported-version');
  if (newer?.decoded?.ok === false && newer.decoded.reason === 'unsupported-version') {
    throw new VaultError(
      'not-a-vault',
      `${vaultDir} was made by a newer version of MMRY Vault (header format ${newer.decoded.version}); update the app to open it.`,
    );
  }
  const usable: UsableCopy[] = [];
  for (const c of copies) {
    if (c.bytes && c.decoded?.ok && kdfParamsProblem(c.decoded.header.kdf) === undefined) {
      usable.push({ ...c, bytes: c.bytes, header: c.decoded.header, associatedData: c.decoded.associatedData });
    }
  }
  if (usable.length === 0) {
    throw new VaultError('damaged-header', `Both copies of the vault header in ${vaultDir} are damaged, so the vault cannot be unlocked.`);
  }
  return usable;
}

function firstUsableCopy(vaultDir: string, copies: CopyState[]): UsableCopy {
  return usableCopies(vaultDir, copies)[0]!;
}

async function unlockMasterKey(vaultDir: string, password: string): Promise<{ masterKey: Buffer; header: HeaderFields; repairedCopy?: HeaderCopyName }> {
  const copies = await readCopies(vaultDir);
  const usable = usableCopies(vaultDir, copies);
  let opened: { copy: UsableCopy; masterKey: Buffer } | undefined;
  for (const copy of usable) {
    // Identical copies (the normal case) cost one Argon2 run, not two.
    if (copy !== usable[0] && copy.bytes.equals(usable[0]!.bytes)) continue;
    const masterKey = await tryCopy(copy, password);
    if (masterKey) {
      opened = { copy, masterKey };
      break;
    }
  }
  if (!opened) throw new VaultError('wrong-password', 'The vault password is wrong.');
  const repairedCopy = await repairOtherCopy(copies, opened.copy);
  return repairedCopy ? { masterKey: opened.masterKey, header: opened.copy.header, repairedCopy } : { masterKey: opened.masterKey, header: opened.copy.header };
}

async function tryCopy(copy: UsableCopy, password: string): Promise<Buffer | undefined> {
  const { header, associatedData } = copy;
  const wrappingKey = await deriveWrappingKey(password, header.salt, header.kdf);
  try {
    return unwrapMasterKey(wrappingKey, header.nonce, header.wrapped, associatedData);
  } finally {
    wrappingKey.fill(0);
  }
}

async function repairOtherCopy(copies: CopyState[], good: UsableCopy): Promise<HeaderCopyName | undefined> {
  const other = copies.find((c) => c.name !== good.name);
  if (!other || (other.bytes && other.bytes.equals(good.bytes))) return undefined;
  try {
    await writeFileAtomic(other.path, good.bytes, `the vault header ${other.path}`);
    return other.name;
  } catch {
    // A read-only vault still unlocks; the copy is repaired on a later writable unlock.
    return undefined;
  }
}

async function sealHeader(masterKey: Buffer, vaultId: Buffer, password: string, kdf: KdfParams): Promise<Buffer> {
  const salt = randomBytes(SALT_BYTES);
  const fixedKdf = { memoryKiB: kdf.memoryKiB, passes: kdf.passes, parallelism: kdf.parallelism };
  const associatedData = encodeAssociatedData(vaultId, fixedKdf, salt);
  const wrappingKey = await deriveWrappingKey(password, salt, fixedKdf);
  try {
    const { nonce, wrapped } = wrapMasterKey(wrappingKey, masterKey, associatedData);
    return encodeHeader({ vaultId, kdf: fixedKdf, salt, nonce, wrapped });
  } finally {
    wrappingKey.fill(0);
  }
}

async function writeBothCopies(vaultDir: string, bytes: Buffer): Promise<void> {
  for (const name of HEADER_COPIES) {
    const path = join(vaultDir, name);
    await writeFileAtomic(path, bytes, `the vault header ${path}`);
  }
}

function subkeysThenWipe(masterKey: Buffer, vaultId: Buffer): VaultKeys {
  try {
    return deriveSubkeys(masterKey, vaultId);
  } finally {
    masterKey.fill(0);
  }
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length === 0) {
    throw new VaultError('invalid-argument', 'The vault password must not be empty.');
  }
}

function checkKdf(kdf: KdfParams): void {
  const problem = kdfParamsProblem(kdf);
  if (problem) throw new VaultError('invalid-argument', `Invalid key-derivation settings: ${problem}.`);
}
