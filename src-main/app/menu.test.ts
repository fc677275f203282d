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
    expect(byLabel.get('Add Folder…')!.accelerator).toBe('CmdOrCtrl+O');
    expect(byLabel.get('Health')!.accelerator).toBe('CmdOrCtrl+4');
    byLabel.get('Lock Vault')!.click!();
    byLabel.get('Add Folder…')!.click!();
    byLabel.get('Health')!.click!();
    expect(sent).toEqual(['lock', 'add-folder', 'health']);
    // Every command the page understands has its menu item.
    const commands = new Set<AppCommand>();
    for (const i of items) i.click?.();
    for (const c of sent) commands.add(c);
    expect([...commands].sort()).toEqual(['activity', 'add-folder', 'health', 'lock', 'projects', 'search', 'settings', 'statistics']);
  });
  it('follows the macOS conventions there, and the Windows/Linux ones elsewhere', () => {
    const sent: AppCommand[] = [];
    const mac = menuTemplate('darwin', 'MMRY Vault', (c) => sent.push(c));
    const appMenu = mac[0]!.submenu!;
    expect(appMenu.map((i) => i.role ?? i.label ?? i.type)).toEqual(['about', 'separator', 'Settings…', 'separator', 'services', 'separator', 'hide', 'hideOthers', 'unhide', 'separator', 'quit']);
    const settings = appMenu.find((i) => i.label === 'Settings…')!;
    expect(settings.accelerator).toBe('CmdOrCtrl+,');
    settings.click!();
    expect(sent).toEqual(['settings']);
    const file = mac.find((m) => m.label === 'File')!.submenu!;
    expect(file.at(-1)!.role).toBe('close');
    expect(flat(mac).some((i) => i.role === 'quit' && !appMenu.includes(i))).toBe(false);
    expect(mac.map((m) => m.label ?? m.role)).toEqual(['MMRY Vault', 'File', 'Edit', 'View', 'windowMenu', 'help']);

    const linux = menuTemplate('linux', 'MMRY Vault', () => undefined);
    const linuxFile = linux[0]!.submenu!;
    expect(linuxFile.find((i) => i.label === 'Settings')!.accelerator).toBe('CmdOrCtrl+,');
    expect(linuxFile.at(-1)!.role).toBe('quit');
    expect(linux.at(-1)!).toMatchObject({ label: 'Help', submenu: [{ role: 'about' }] });
    expect(flat(linux).some((i) => i.role === 'services' || i.role === 'hide')).toBe(false);
  });
});
