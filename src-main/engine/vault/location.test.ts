import { describe, expect, it } from 'vitest';
import { defaultVaultDir } from './location.ts';

describe('default vault location', () => {
  it('follows each OS convention for per-user app data', () => {
    expect(defaultVaultDir('linux', {}, '/home/ann')).toBe('/home/ann/.config/MMRY Vault/vault');
    expect(defaultVaultDir('linux', { XDG_CONFIG_HOME: '/cfg' }, '/home/ann')).toBe('/cfg/MMRY Vault/vault');
    expect(defaultVaultDir('darwin', {}, '/Users/ann')).toBe('/Users/ann/Library/Application Support/MMRY Vault/vault');
    expect(defaultVaultDir('win32', { APPDATA: 'C:/Users/ann/AppData/Roaming' }, 'C:/Users/ann')).toMatch(/AppData.Roaming.MMRY Vault.vault$/);
  });
});
