import { describe, expect, it } from 'vitest';
import { menuTemplate } from './menu.ts';
import type { AppCommand, MenuItem } from './menu.ts';

const flat = (items: MenuItem[]): MenuItem[] => items.flatMap((i) => [i, ...flat(i.submenu ?? [])]);

describe('menuTemplate', () => {
  it('puts the app menu first on macOS only, and Quit in the right place', () => {
    const mac = menuTemplate('darwin', 'MMRY Vault', () => undefined);
    const linux = menuTemplate('linux', 'MMRY Vault', () => undefined);
    expect(mac[0]!.label).toBe('MMRY Vault');
    expect(mac[0]!.submenu!.some((i) => i.role === 'quit')).toBe(true);
    expect(linux[0]!.label).toBe('File');
    expect(linux[0]!.submenu!.some((i) => i.role === 'quit')).toBe(true);
  });

  it('gives the usual accelerators, each used once, and sends the matching command', () => {
    const sent: AppCommand[] = [];
    const items = flat(menuTemplate('linux', 'MMRY Vault', (c) => sent.push(c)));
    const accelerators = items.map((i) => i.accelerator).filter(Boolean);
    expect(new Set(accelerators).size).toBe(accelerators.length);
    const byLabel = new Map(items.filter((i) => i.label).map((i) => [i.label!, i]));
    expect(byLabel.get('Lock Vault')!.accelerator).toBe('CmdOrCtrl+L');
    expect(byLabel.get('Search')!.accelerator).toBe('CmdOrCtrl+F');
    byLabel.get('Lock Vault')!.click!();
    byLabel.get('Add Folder…')!.click!();
    expect(sent).toEqual(['lock', 'add-folder']);
  });
});
