/**
 * The settings, keychain and locking calls through the real dispatcher, with
 * real vaults on disk, a real settings file and a fake OS keychain.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES } from '../../src-shared/contract.ts';
import { FAST_OPTIONS, OTHER_PASSWORD, PASSWORD } from '../../test/integration/config.ts';
import { Vault } from '../engine/vault/index.ts';
import { PasswordMemory } from '../app/keychain.ts';
import { SettingsStore } from '../app/settings.ts';
import { FakeSafeStorage } from '../app/testing/fake-safe-storage.ts';
import { createDispatcher } from './dispatch.ts';
import { createHandlers } from './handlers.ts';
import { Operations } from './operations.ts';
import { VaultSession } from './session.ts';

const root = mkdtempSync(join(tmpdir(), 'mmry-settings-calls-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function app(options: { keychain?: boolean; showContextMenu?: (ids: string[]) => string | null } = {}) {
  const dataDir = mkdtempSync(join(root, 'data-'));
  const defaultVaultPath = join(dataDir, 'vault');
  const settings = SettingsStore.open(join(dataDir, 'settings.json'));
  const session = new VaultSession(settings.vaultPath ?? defaultVaultPath, () => undefined, FAST_OPTIONS);
  const safe = new FakeSafeStorage();
  const keychain = options.keychain ? new PasswordMemory(safe, dataDir, 'linux') : undefined;
  const pick = options.showContextMenu;
  const dispatch = createDispatcher(
    createHandlers({
      transport: options.keychain ? 'electron' : 'serve',
      appVersion: '0.0.0',
      operations: new Operations({ emit: () => undefined }),
      session,
      settings,
      defaultVaultPath,
      ...(keychain ? { keychain } : {}),
      ...(pick ? { showContextMenu: async (items) => pick(items.flatMap((i) => ('id' in i ? [i.id] : []))) } : {}),
    }),
    { log: () => undefined },
  );
  const call = async (name: string, args: unknown = {}) => {
    const outcome = await dispatch(name, args);
    return outcome.ok ? outcome.value : Promise.reject(Object.assign(new Error(outcome.error.message), outcome.error));
  };
  return { call, dispatch, dataDir, defaultVaultPath, session, safe, settings };
}

describe('settings.get / settings.set', () => {
  it('answers the defaults, saves a change to the settings file, and refuses bad values as typed errors', async () => {
    const a = app();
    expect(await a.call('settings.get')).toEqual(DEFAULT_PREFERENCES);
    expect(await a.call('settings.set', { autoLockMinutes: 5, lockOnSuspend: false })).toEqual({ ...DEFAULT_PREFERENCES, autoLockMinutes: 5, lockOnSuspend: false });
    expect(JSON.parse(readFileSync(join(a.dataDir, 'settings.json'), 'utf8')).preferences.autoLockMinutes).toBe(5);
    for (const bad of [{ autoLockMinutes: -3 }, { autoLockMinutes: 2.5 }, { notifications: 'yes' }, { colour: 'red' }]) {
      expect(await a.dispatch('settings.set', bad)).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    }
    expect(await a.call('settings.get')).toMatchObject({ autoLockMinutes: 5 });
  });
});

describe('vault.location / vault.choose', () => {
  it('moves to a vault on another drive, remembers it, and goes back to the default', async () => {
    const a = app();
    const elsewhere = join(root, 'usb', 'vault');
    mkdirSync(join(root, 'usb'), { recursive: true });
    expect(await a.call('vault.location')).toEqual({ path: a.defaultVaultPath, defaultPath: a.defaultVaultPath, isDefault: true });
    expect(await a.call('vault.choose', { path: elsewhere })).toEqual({ path: elsewhere, exists: false, unlocked: false });
    expect(await a.call('vault.create', { password: PASSWORD })).toEqual({ path: elsewhere });
    expect(existsSync(join(elsewhere, 'header'))).toBe(true);
    expect(SettingsStore.open(join(a.dataDir, 'settings.json')).vaultPath).toBe(elsewhere);
    expect(await a.call('vault.location')).toMatchObject({ path: elsewhere, isDefault: false });
    expect(await a.call('vault.choose', { path: null })).toEqual({ path: a.defaultVaultPath, exists: false, unlocked: false });
    expect(SettingsStore.open(join(a.dataDir, 'settings.json')).vaultPath).toBeNull();
  });

  it('refuses a folder that holds other files, and a relative path, with a clear sentence', async () => {
    const a = app();
    const docs = join(root, 'docs');
    mkdirSync(docs, { recursive: true });
    writeFileSync(join(docs, 'notes.txt'), 'x');
    await expect(a.call('vault.choose', { path: docs })).rejects.toMatchObject({ kind: 'not-a-vault', message: `${docs} is not empty and holds no MMRY vault; choose an existing vault, an empty folder, or a new one.` });
    await expect(a.call('vault.choose', { path: 'relative/vault' })).rejects.toMatchObject({ kind: 'invalid-argument', message: expect.stringMatching(/full path/) });
    expect(await a.call('vault.location')).toMatchObject({ isDefault: true });
  });
});

describe('keychain calls', () => {
  it('in the browser version: unavailable, with the reason, and nothing is saved', async () => {
    const a = app();
    expect(await a.call('keychain.status')).toEqual({ available: false, reason: expect.stringMatching(/only the desktop app/), remembered: false, unlockOnStart: false });
    await expect(a.call('keychain.remember', { password: PASSWORD })).rejects.toMatchObject({ kind: 'invalid-argument' });
    expect(await a.call('keychain.unlock')).toMatchObject({ unlocked: false });
  });

  it('remembers only the right password, unlocks with it once at start, and forgets it', async () => {
    const a = app({ keychain: true });
    await a.call('vault.create', { password: PASSWORD });
    await expect(a.call('keychain.remember', { password: OTHER_PASSWORD })).rejects.toMatchObject({ kind: 'wrong-password' });
    expect(await a.call('keychain.status')).toMatchObject({ available: true, remembered: false });
    expect(await a.call('keychain.remember', { password: PASSWORD })).toEqual({ remembered: true });

    // A new run of the app: the saved password opens the vault by itself.
    const again = new VaultSession(a.session.path, () => undefined, FAST_OPTIONS);
    const dispatch = createDispatcher(
      createHandlers({ transport: 'electron', appVersion: '0', operations: new Operations({ emit: () => undefined }), session: again, keychain: new PasswordMemory(a.safe, a.dataDir, 'linux') }),
    );
    const call = async (name: string) => ((await dispatch(name, {})) as { value: unknown }).value;
    expect(await call('keychain.status')).toMatchObject({ remembered: true, unlockOnStart: true });
    expect(await call('keychain.unlock')).toEqual({ unlocked: true, problem: null });
    expect(again.unlocked).toBe(true);
    expect(again.vault.catalog.listActivity(1)[0]).toMatchObject({ kind: 'unlock', detail: expect.stringMatching(/saved on this computer/) });
    // After a lock it waits to be asked.
    await call('vault.lock');
    expect(await call('keychain.status')).toMatchObject({ remembered: true, unlockOnStart: false });
    expect(await call('keychain.unlock')).toEqual({ unlocked: true, problem: null });
    await call('vault.lock');

    expect(await call('keychain.forget')).toEqual({ forgotten: true });
    expect(await call('keychain.status')).toMatchObject({ remembered: false });
    expect(await call('keychain.unlock')).toMatchObject({ unlocked: false, problem: expect.stringMatching(/No password is saved/) });
  });

  it('falls back to the prompt with a clear message when the keychain changed, or the password did', async () => {
    const a = app({ keychain: true });
    await a.call('vault.create', { password: PASSWORD });
    await a.call('keychain.remember', { password: PASSWORD });
    await a.call('vault.lock');
    const key = a.safe.key;
    a.safe.key = randomBytes(32);
    expect(await a.call('keychain.unlock')).toEqual({ unlocked: false, problem: expect.stringMatching(/could not be read, probably because the system keychain changed/) });
    expect(a.session.unlocked).toBe(false);
    // The password was changed from the command line: the saved one is useless and is dropped.
    a.safe.key = key;
    await Vault.changePassword(a.session.path, PASSWORD, OTHER_PASSWORD, FAST_OPTIONS);
    expect(await a.call('keychain.unlock')).toEqual({ unlocked: false, problem: expect.stringMatching(/no longer opens this vault/) });
    expect(await a.call('keychain.status')).toMatchObject({ remembered: false });
    expect(await a.call('vault.unlock', { password: OTHER_PASSWORD })).toBeTruthy();
  });

  it("refuses Linux's basic_text keychain with the reason", async () => {
    const a = app({ keychain: true });
    await a.call('vault.create', { password: PASSWORD });
    a.safe.backend = 'basic_text';
    expect(await a.call('keychain.status')).toMatchObject({ available: false, reason: expect.stringMatching(/no system keychain/) });
    await expect(a.call('keychain.remember', { password: PASSWORD })).rejects.toMatchObject({ kind: 'invalid-argument', message: expect.stringMatching(/readable by any program/) });
  });
});

describe('app.context-menu', () => {
  it('answers the chosen item in the desktop app and explains the fallback elsewhere', async () => {
    const desktop = app({ showContextMenu: (ids) => ids[1] ?? null });
    const items = [{ id: 'open', label: 'Open' }, { separator: true }, { id: 'restore', label: 'Restore…' }];
    expect(await desktop.call('app.context-menu', { items })).toEqual({ chosen: 'restore' });
    expect(await desktop.dispatch('app.context-menu', { items: [] })).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    await expect(app().call('app.context-menu', { items })).rejects.toMatchObject({ kind: 'invalid-argument', message: expect.stringMatching(/desktop app/) });
  });
});
