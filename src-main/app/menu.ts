/**
 * The application menu as plain data: a template Electron turns into a Menu
 * (`Menu.buildFromTemplate` in main.ts). Pure, so the accelerators and the
 * macOS conventions are unit-tested: on macOS the app menu comes first and
 * holds About, Settings… (⌘,), Services, Hide and Quit, File ends with Close
 * and Window is the standard window menu; elsewhere Settings… (Ctrl+,) and
 * Quit sit in File and About in Help.
 * Menu items either use an Electron role or send a contract `app.command`
 * event to the page, which carries it out like the matching button.
 */
import { accelerator } from '../../src-shared/shortcuts.ts';
import type { AppCommand } from '../../src-shared/shortcuts.ts';

export type { AppCommand };

export interface MenuItem {
  label?: string;
  role?: string;
  type?: 'separator';
  accelerator?: string;
  enabled?: boolean;
  submenu?: MenuItem[];
  click?: () => void;
}

export function menuTemplate(platform: string, appName: string, send: (command: AppCommand) => void): MenuItem[] {
  const mac = platform === 'darwin';
  const item = (label: string, command: AppCommand): MenuItem => ({ label, accelerator: accelerator(command), click: () => send(command) });
  const sep: MenuItem = { type: 'separator' };
  const settings = item(mac ? 'Settings…' : 'Settings', 'settings');
  const appMenu: MenuItem[] = mac
    ? [
        {
          label: appName,
          submenu: [{ role: 'about' }, sep, settings, sep, { role: 'services' }, sep, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, sep, { role: 'quit' }],
        },
      ]
    : [];
  return [
    ...appMenu,
    {
      label: 'File',
      submenu: [item('Add Folder…', 'add-folder'), sep, item('Lock Vault', 'lock'), ...(mac ? [sep, { role: 'close' }] : [sep, settings, sep, { role: 'quit' }])],
    },
    {
      label: 'Edit',
      submenu: [{ role: 'undo' }, { role: 'redo' }, sep, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, ...(mac ? [{ role: 'pasteAndMatchStyle' }, { role: 'delete' }] : [{ role: 'delete' }]), sep, { role: 'selectAll' }],
    },
    {
      label: 'View',
      submenu: [
        item('Projects', 'projects'),
        item('Search', 'search'),
        item('Statistics', 'statistics'),
        item('Activity', 'activity'),
        item('Health', 'health'),
        sep,
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        sep,
        { role: 'togglefullscreen' },
      ],
    },
    mac ? { role: 'windowMenu' } : { label: 'Window', submenu: [{ role: 'minimize' }, { role: 'close' }] },
    mac ? { role: 'help', submenu: [] } : { label: 'Help', submenu: [{ role: 'about' }] },
  ];
}
