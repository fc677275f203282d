import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES } from '../../src-shared/contract.ts';
import { VaultError } from '../engine/errors.ts';
import { parseSettings, SettingsStore } from './settings.ts';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmry-settings-'));
  dirs.push(dir);
  return join(dir, 'nested', 'settings.json');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SettingsStore', () => {
  it('starts from the defaults when there is no file, and writes nothing until something changes', () => {
    const file = tempFile();
    const store = SettingsStore.open(file);
    expect(store.preferences).toEqual(DEFAULT_PREFERENCES);
    expect(store.vaultPath).toBeNull();
    expect(store.problem).toBeNull();
    expect(existsSync(file)).toBe(false);
  });

  it('keeps changes across a reopen, with no temporary file left behind', () => {
    const file = tempFile();
    const store = SettingsStore.open(file);
    expect(store.setPreferences({ autoLockMinutes: 3, notifications: false })).toMatchObject({ autoLockMinutes: 3, notifications: false, lockOnSuspend: true });
    store.setVaultPath('/media/usb/vault');
    store.setWindow({ bounds: { x: 10, y: 20, width: 900, height: 700 }, maximized: true });
    const again = SettingsStore.open(file);
    expect(again.preferences).toEqual({ ...DEFAULT_PREFERENCES, autoLockMinutes: 3, notifications: false });
    expect(again.vaultPath).toBe('/media/usb/vault');
    expect(again.window).toEqual({ bounds: { x: 10, y: 20, width: 900, height: 700 }, maximized: true });
    expect(readdirSync(join(file, '..'))).toEqual(['settings.json']);
  });

  it('refuses an invalid change with the reason and keeps the old value', () => {
    const store = SettingsStore.inMemory();
    const attempt = () => store.setPreferences({ autoLockMinutes: -1 });
    expect(attempt).toThrow(VaultError);
    expect(attempt).toThrow(/autoLockMinutes/);
    expect(() => store.setPreferences({ verifyEveryDays: 1.5 })).toThrow(/Whole days only/);
    expect(store.preferences.autoLockMinutes).toBe(DEFAULT_PREFERENCES.autoLockMinutes);
  });

  it('tells listeners about each change', () => {
    const store = SettingsStore.inMemory();
    const seen: number[] = [];
    const off = store.subscribe((s) => seen.push(s.preferences.autoLockMinutes));
    store.setPreferences({ autoLockMinutes: 7 });
    off();
    store.setPreferences({ autoLockMinutes: 8 });
    expect(seen).toEqual([7]);
  });

  it('survives a damaged file: not JSON, or not an object', () => {
    const file = tempFile();
    SettingsStore.open(file).setVaultPath('/x');
    writeFileSync(file, '{"preferences": {"autoLock');
    const store = SettingsStore.open(file);
    expect(store.preferences).toEqual(DEFAULT_PREFERENCES);
    expect(store.problem).toMatch(/not valid JSON/);
    // The next save replaces the damaged file with a good one.
    store.setPreferences({ autoLockMinutes: 9 });
    expect(JSON.parse(readFileSync(file, 'utf8')).preferences.autoLockMinutes).toBe(9);
    expect(parseSettings('[1,2]').problem).toMatch(/did not hold settings/);
  });
});

describe('parseSettings', () => {
  it('keeps every valid field of a hand-edited file and resets only the bad ones, saying which', () => {
    const { settings, problem } = parseSettings(
      JSON.stringify({ preferences: { autoLockMinutes: 'soon', lockOnSuspend: false, verifyEveryDays: 7, extra: 1 }, vaultPath: 42, window: { bounds: { x: 1 } } }),
    );
    expect(settings.preferences).toEqual({ ...DEFAULT_PREFERENCES, lockOnSuspend: false, verifyEveryDays: 7 });
    expect(settings.vaultPath).toBeNull();
    expect(settings.window).toBeNull();
    expect(problem).toBe('Some settings were not valid and went back to their defaults: autoLockMinutes, vaultPath, window.');
  });

  it('reads a file from an older version that lacks some fields, without complaint', () => {
    const { settings, problem } = parseSettings(JSON.stringify({ preferences: { autoLockMinutes: 2 } }));
    expect(settings.preferences).toEqual({ ...DEFAULT_PREFERENCES, autoLockMinutes: 2 });
    expect(problem).toBeNull();
  });
});
