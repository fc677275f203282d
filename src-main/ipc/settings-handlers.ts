/**
 * The contract's settings, keychain and locking calls: preferences, where
 * the vault lives, the password remembered through the OS keychain, and the
 * native context menu. Spread into the handlers of `handlers.ts`.
 *
 * What only the desktop app has (the keychain, native menus) arrives as
 * optional parts of the context; without them the calls answer plainly that
 * the feature is not available here, never with a crash.
 */
import { resolve } from 'node:path';
import { VaultError } from '../engine/errors.ts';
import { readHeaderInfo, unlockHeader } from '../engine/keys/index.ts';
import type { ContextMenuEntry } from '../app/context-menu.ts';
import { NO_KEYCHAIN_HERE } from '../app/keychain.ts';
import type { PasswordMemory } from '../app/keychain.ts';
import { SettingsStore } from '../app/settings.ts';
import type { Handlers } from './dispatch.ts';
import type { Operations } from './operations.ts';
import type { VaultSession } from './session.ts';

export interface SettingsContext {
  operations: Operations;
  session: VaultSession;
  /** The settings file; handlers built without one keep settings in memory. */
  settings?: SettingsStore;
  /** Where the vault is when none was chosen (the app's data folder). */
  defaultVaultPath?: string;
  /** The OS keychain (Electron only). */
  keychain?: PasswordMemory;
  /** Shows a native context menu and answers the chosen id (Electron only). */
  showContextMenu?: (items: ContextMenuEntry[]) => Promise<string | null>;
}

type SettingsCalls =
  | 'settings.get'
  | 'settings.set'
  | 'vault.location'
  | 'vault.choose'
  | 'keychain.status'
  | 'keychain.remember'
  | 'keychain.unlock'
  | 'keychain.forget'
  | 'app.context-menu';

export function createSettingsHandlers(ctx: SettingsContext): Pick<Handlers, SettingsCalls> {
  const settings = ctx.settings ?? SettingsStore.inMemory();
  const defaultPath = resolve(ctx.defaultVaultPath ?? ctx.session.path);
  // The saved password opens the vault by itself once per run, at start; after any lock the person asks for it.
  let startUnlockPending = true;
  ctx.session.onLock(() => (startUnlockPending = false));

  const status = () => ({ path: ctx.session.path, exists: ctx.session.exists, unlocked: ctx.session.unlocked });
  const vaultId = async (): Promise<string | null> => {
    if (!ctx.session.exists) return null;
    try {
      return (await readHeaderInfo(ctx.session.path)).vaultId;
    } catch {
      return null;
    }
  };
  const logUnlock = (detail: string) => {
    try {
      ctx.session.vault.catalog.addActivity({ at: Date.now(), kind: 'unlock', outcome: 'done', project: null, detail });
    } catch {
      // The log is a convenience.
    }
  };

  return {
    'settings.get': () => settings.preferences,
    'settings.set': (patch) => settings.setPreferences(patch),
    'vault.location': () => ({ path: ctx.session.path, defaultPath, isDefault: ctx.session.path === defaultPath }),
    'vault.choose': async ({ path }) => {
      if (ctx.operations.runningCount > 0) throw new VaultError('vault-in-use', 'Wait for the running jobs to finish before switching to another vault.');
      await ctx.session.use(path ?? defaultPath);
      settings.setVaultPath(ctx.session.path === defaultPath ? null : ctx.session.path);
      startUnlockPending = false;
      return status();
    },
    'keychain.status': async () => {
      if (!ctx.keychain) return { available: false, reason: NO_KEYCHAIN_HERE, remembered: false, unlockOnStart: false };
      const { available, reason } = await ctx.keychain.availability();
      const id = await vaultId();
      const remembered = id !== null && ctx.keychain.isRemembered(id);
      return { available, reason, remembered, unlockOnStart: remembered && startUnlockPending && !ctx.session.unlocked };
    },
    'keychain.remember': async ({ password }) => {
      if (!ctx.keychain) throw new VaultError('invalid-argument', NO_KEYCHAIN_HERE);
      const id = await vaultId();
      if (!id) throw new VaultError('not-a-vault', 'There is no vault here yet whose password could be saved.');
      // Only a password that opens this vault is worth saving.
      const { keys } = await unlockHeader(ctx.session.path, password);
      for (const key of [keys.catalogKey, keys.blobKey, keys.idKey, keys.gearSeed]) key.fill(0);
      await ctx.keychain.remember(id, password);
      return { remembered: true as const };
    },
    'keychain.unlock': async () => {
      startUnlockPending = false;
      if (!ctx.keychain) return { unlocked: false, problem: NO_KEYCHAIN_HERE };
      if (ctx.session.unlocked) return { unlocked: true, problem: null };
      const id = await vaultId();
      if (!id) return { unlocked: false, problem: 'No password is saved on this computer for this vault.' };
      const recalled = await ctx.keychain.recall(id);
      if ('problem' in recalled) return { unlocked: false, problem: recalled.problem };
      try {
        await ctx.session.unlock(recalled.password);
      } catch (err) {
        if (err instanceof VaultError && err.kind === 'wrong-password') {
          ctx.keychain.forget(id);
          return { unlocked: false, problem: 'The password saved on this computer no longer opens this vault (was it changed?), so it was forgotten. Type the password to unlock.' };
        }
        if (err instanceof VaultError) return { unlocked: false, problem: err.message };
        throw err;
      }
      logUnlock('Unlocked the vault with the password saved on this computer.');
      return { unlocked: true, problem: null };
    },
    'keychain.forget': async () => {
      const id = await vaultId();
      return { forgotten: ctx.keychain !== undefined && id !== null && ctx.keychain.forget(id) };
    },
    'app.context-menu': async ({ items }) => {
      if (!ctx.showContextMenu) throw new VaultError('invalid-argument', 'Native context menus exist only in the desktop app; the page shows its own menu.');
      return { chosen: await ctx.showContextMenu(items) };
    },
  };
}
