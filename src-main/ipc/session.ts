/**
 * The app's vault session: which vault the UI works on and whether it is
 * unlocked. Shared by both transports. Locking closes the vault (its keys
 * leave memory with it) and tells every page through `vault.locked`.
 *
 * The vault's folder can change while locked (`use`): the default one in the
 * app's data folder, or one on an external drive. A folder is accepted only
 * when it is a vault already, an empty folder, or a new folder whose parent
 * exists; anything else is refused with a sentence that says why, so a vault
 * is never mixed into a folder of other files, nor created where an unplugged
 * drive's folder used to be.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fromSystemError, VaultError } from '../engine/errors.ts';
import { Vault } from '../engine/vault/index.ts';
import type { VaultOptions } from '../engine/vault/index.ts';
import type { EmitEvent } from './operations.ts';

export type LockReason = 'user' | 'idle' | 'suspend' | 'screen-lock';

/** What a folder is, as a place for the vault. */
export type VaultFolderKind = 'vault' | 'empty' | 'new';

const AUTOMATIC_LOCKS: Record<Exclude<LockReason, 'user'>, string> = {
  idle: 'Locked the vault after a time without use.',
  suspend: 'Locked the vault as the computer went to sleep.',
  'screen-lock': 'Locked the vault as the screen was locked.',
};

/** Says whether `path` can hold the vault; throws a VaultError with the reason when it cannot. */
export function inspectVaultFolder(path: string): VaultFolderKind {
  if (!isAbsolute(path)) throw new VaultError('invalid-argument', 'Give the full path of the vault folder, for example /media/usb/vault.');
  let names: string[];
  try {
    if (!statSync(path).isDirectory()) throw new VaultError('invalid-argument', `${path} is a file, not a folder; choose a folder for the vault.`);
    names = readdirSync(path);
  } catch (err) {
    if (err instanceof VaultError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(err, `the folder ${path}`);
    if (!existsSync(dirname(path))) {
      throw new VaultError('not-found', `The folder ${dirname(path)} does not exist; if the vault goes on an external drive, connect the drive first.`);
    }
    return 'new';
  }
  if (names.includes('header') || names.includes('header.bak')) return 'vault';
  if (names.length === 0) return 'empty';
  throw new VaultError('not-a-vault', `${path} is not empty and holds no MMRY vault; choose an existing vault, an empty folder, or a new one.`);
}

export class VaultSession {
  #path: string;
  readonly #options: VaultOptions;
  readonly #emit: EmitEvent;
  readonly #lockListeners = new Set<(reason: LockReason) => void>();
  readonly #unlockListeners = new Set<() => void>();
  #vault: Vault | null = null;

  constructor(path: string, emit: EmitEvent, options: VaultOptions = {}) {
    this.#path = resolve(path);
    this.#emit = emit;
    this.#options = options;
  }

  get path(): string {
    return this.#path;
  }

  get exists(): boolean {
    return existsSync(join(this.#path, 'header')) || existsSync(join(this.#path, 'header.bak'));
  }

  get unlocked(): boolean {
    return this.#vault !== null;
  }

  /** The open vault, or a typed 'vault-locked' error the UI turns into the unlock screen. */
  get vault(): Vault {
    if (!this.#vault) throw new VaultError('vault-locked', 'The vault is locked; unlock it with its password.');
    return this.#vault;
  }

  /** Works on the vault in `path` from now on (locking the current one first). */
  async use(path: string): Promise<VaultFolderKind> {
    const kind = inspectVaultFolder(path);
    // Announced: another page still showing this vault goes to the unlock screen.
    await this.lock('user');
    this.#path = resolve(path);
    return kind;
  }

  async create(password: string): Promise<void> {
    if (password.length < 8) throw new VaultError('invalid-argument', 'Choose a password of at least 8 characters.');
    await this.lock('user', false);
    this.#vault = await Vault.create(this.#path, password, this.#options);
    this.#unlocked();
  }

  async unlock(password: string): Promise<void> {
    await this.lock('user', false);
    this.#vault = await Vault.open(this.#path, password, this.#options);
    this.#unlocked();
  }

  /**
   * Closes the vault. A lock the person did not ask for (idle, sleep, screen
   * lock) is written to the activity log first, while the catalog is open.
   */
  async lock(reason: LockReason, announce = true): Promise<void> {
    const vault = this.#vault;
    this.#vault = null;
    if (!vault) return;
    if (reason !== 'user') {
      try {
        vault.catalog.addActivity({ at: Date.now(), kind: 'lock', outcome: 'done', project: null, detail: AUTOMATIC_LOCKS[reason] });
      } catch {
        // The log is a convenience; the lock must happen regardless.
      }
    }
    await vault.close();
    for (const l of this.#lockListeners) l(reason);
    if (announce) this.#emit('vault.locked', { reason });
  }

  /**
   * Opens the unlocked vault afresh with its keys: after a repair replaced its
   * catalog file. If that fails the session is left locked.
   */
  async reopen(): Promise<void> {
    const vault = this.#vault;
    if (!vault) return;
    this.#vault = null;
    this.#vault = await vault.reopen();
  }

  /** Called after every lock of an open vault. */
  onLock(listener: (reason: LockReason) => void): () => void {
    this.#lockListeners.add(listener);
    return () => this.#lockListeners.delete(listener);
  }

  /** Called after every unlock (and create), once the vault is open. */
  onUnlock(listener: () => void): () => void {
    this.#unlockListeners.add(listener);
    return () => this.#unlockListeners.delete(listener);
  }

  #unlocked(): void {
    for (const l of this.#unlockListeners) l();
  }
}
