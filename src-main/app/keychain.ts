/**
 * Remembering a vault password on this computer, through the OS keychain.
 *
 * Electron's `safeStorage` encrypts the password with a key the operating
 * system keeps for this user (macOS Keychain, Windows DPAPI, the Secret
 * Service or KWallet on Linux). Only that ciphertext is written to disk, in
 * `saved-passwords/<vault id>` inside the app's data folder, so it is tied
 * to one vault (by the id in its header, which survives moving the vault to
 * another drive letter or mount point) and useless on another computer or
 * user account.
 *
 * Invariants:
 * - nothing is saved unless the keychain is a real one: on Linux the
 *   `basic_text` backend encrypts with a key written in Chromium's source, so
 *   it is refused, with the reason in plain words;
 * - recalling never throws: a keychain that changed or cannot decrypt any
 *   more gives a `problem` sentence, and the caller falls back to the prompt;
 * - the password itself is never written anywhere in clear.
 *
 * `SafeStorage` is the narrow part of Electron's safeStorage this needs, so
 * the logic is tested under plain Node with a fake.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaultError } from '../engine/errors.ts';

export interface SafeStorage {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  /** Linux only: which password store Chromium picked. */
  getSelectedStorageBackend?(): string;
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
}

export interface Availability {
  available: boolean;
  /** Why not, for a person; null when available. */
  reason: string | null;
}

export type Recalled = { password: string } | { problem: string };

export const SAVED_PASSWORDS_DIR = 'saved-passwords';

/** Shown where there is no OS keychain to use at all (the browser version). */
export const NO_KEYCHAIN_HERE =
  'Remembering the password needs the system keychain, which only the desktop app can use; in the browser version, type the password to unlock.';

const LINUX_BASIC_TEXT =
  'This computer has no system keychain that MMRY Vault can use (no GNOME Keyring or KWallet was found), and saving the password without one would leave it readable by any program. Type the password to unlock instead.';

export class PasswordMemory {
  readonly #safe: SafeStorage;
  readonly #dir: string;
  readonly #platform: NodeJS.Platform;

  /** `dataDir` is the app's data folder; saved passwords go in a folder inside it. */
  constructor(safe: SafeStorage, dataDir: string, platform: NodeJS.Platform = process.platform) {
    this.#safe = safe;
    this.#dir = join(dataDir, SAVED_PASSWORDS_DIR);
    this.#platform = platform;
  }

  async availability(): Promise<Availability> {
    if (this.#platform === 'linux') {
      const backend = this.#safe.getSelectedStorageBackend?.() ?? 'unknown';
      if (backend === 'basic_text') return { available: false, reason: LINUX_BASIC_TEXT };
      if (backend === 'unknown') return { available: false, reason: 'The system keychain is not ready yet; type the password to unlock.' };
    }
    let available = false;
    try {
      available = await this.#safe.isAsyncEncryptionAvailable();
    } catch {
      available = false;
    }
    return available ? { available: true, reason: null } : { available: false, reason: 'The system keychain is not available right now, so the password cannot be saved on this computer.' };
  }

  isRemembered(vaultId: string): boolean {
    return this.#read(vaultId) !== null;
  }

  /** Encrypts and saves the password of the vault `vaultId`; throws 'invalid-argument' with the reason when the keychain cannot be used. */
  async remember(vaultId: string, password: string): Promise<void> {
    const { available, reason } = await this.availability();
    if (!available) throw new VaultError('invalid-argument', reason!);
    let sealed: Buffer;
    try {
      sealed = await this.#safe.encryptStringAsync(password);
    } catch {
      throw new VaultError('permission-denied', 'The system keychain refused to encrypt the password; it was not saved.');
    }
    const file = this.#file(vaultId);
    const tmp = `${file}.tmp`;
    try {
      mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
      writeFileSync(tmp, sealed, { mode: 0o600 });
      renameSync(tmp, file);
    } catch (err) {
      throw new VaultError('io', `The saved password could not be written to ${this.#dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The saved password, or why it cannot be had. Never throws. */
  async recall(vaultId: string): Promise<Recalled> {
    const sealed = this.#read(vaultId);
    if (!sealed) return { problem: 'No password is saved on this computer for this vault.' };
    const { available } = await this.availability();
    if (!available) return { problem: 'The system keychain is not available right now, so the saved password cannot be read; type the password to unlock.' };
    try {
      const { result, shouldReEncrypt } = await this.#safe.decryptStringAsync(sealed);
      if (shouldReEncrypt) await this.remember(vaultId, result).catch(() => undefined);
      return { password: result };
    } catch {
      return {
        problem:
          'The password saved on this computer could not be read, probably because the system keychain changed. Type the password to unlock; you can save it again afterwards.',
      };
    }
  }

  /** Deletes the saved password; true when there was one. */
  forget(vaultId: string): boolean {
    const had = this.#read(vaultId) !== null;
    rmSync(this.#file(vaultId), { force: true });
    return had;
  }

  #read(vaultId: string): Buffer | null {
    try {
      const bytes = readFileSync(this.#file(vaultId));
      return bytes.length > 0 ? bytes : null;
    } catch {
      return null;
    }
  }

  #file(vaultId: string): string {
    if (!/^[0-9a-f]{32}$/.test(vaultId)) throw new VaultError('invalid-argument', 'A vault id is 32 hex digits.');
    return join(this.#dir, vaultId);
  }
}
