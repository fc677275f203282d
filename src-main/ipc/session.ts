/**
 * The app's vault session: which vault the UI works on and whether it is
 * unlocked. Shared by both transports. Locking closes the vault (its keys
 * leave memory with it) and tells every page through `vault.locked`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VaultError } from '../engine/errors.ts';
import { Vault } from '../engine/vault/index.ts';
import type { VaultOptions } from '../engine/vault/index.ts';
import type { EmitEvent } from './operations.ts';

export type LockReason = 'user' | 'idle' | 'suspend' | 'screen-lock';

export class VaultSession {
  readonly path: string;
  readonly #options: VaultOptions;
  readonly #emit: EmitEvent;
  #vault: Vault | null = null;

  constructor(path: string, emit: EmitEvent, options: VaultOptions = {}) {
    this.path = path;
    this.#emit = emit;
    this.#options = options;
  }

  get exists(): boolean {
    return existsSync(join(this.path, 'header')) || existsSync(join(this.path, 'header.bak'));
  }

  get unlocked(): boolean {
    return this.#vault !== null;
  }

  /** The open vault, or a typed 'vault-locked' error the UI turns into the unlock screen. */
  get vault(): Vault {
    if (!this.#vault) throw new VaultError('vault-locked', 'The vault is locked; unlock it with its password.');
    return this.#vault;
  }

  async create(password: string): Promise<void> {
    if (password.length < 8) throw new VaultError('invalid-argument', 'Choose a password of at least 8 characters.');
    await this.lock('user', false);
    this.#vault = await Vault.create(this.path, password, this.#options);
  }

  async unlock(password: string): Promise<void> {
    await this.lock('user', false);
    this.#vault = await Vault.open(this.path, password, this.#options);
  }

  async lock(reason: LockReason, announce = true): Promise<void> {
    const vault = this.#vault;
    this.#vault = null;
    if (!vault) return;
    await vault.close();
    if (announce) this.#emit('vault.locked', { reason });
  }
}
