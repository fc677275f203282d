/**
 * The app's keyboard shortcuts, one list for both places that need them: the
 * native menu's accelerators (src-main/app/menu.ts) and, in a browser where
 * there is no native menu, the page's own key handler. Every shortcut is
 * Ctrl (⌘ on macOS) plus one key. Runtime-neutral.
 */
import type { EventPayload } from './contract.ts';

export type AppCommand = EventPayload<'app.command'>['command'];

export const SHORTCUT_KEYS: Readonly<Record<AppCommand, string>> = {
  'add-folder': 'O',
  lock: 'L',
  search: 'F',
  projects: '1',
  statistics: '2',
  activity: '3',
  health: '4',
  settings: ',',
};

/** The Electron accelerator of a command, e.g. 'CmdOrCtrl+L'. */
export function accelerator(command: AppCommand): string {
  return `CmdOrCtrl+${SHORTCUT_KEYS[command]}`;
}

/** The command a key press means (Ctrl or ⌘ held, Alt not), or null. */
export function commandForKey(key: string, modifiers: { ctrl: boolean; meta: boolean; alt: boolean; shift: boolean }): AppCommand | null {
  if (!(modifiers.ctrl || modifiers.meta) || modifiers.alt || modifiers.shift) return null;
  const k = key.toUpperCase();
  for (const [command, shortcut] of Object.entries(SHORTCUT_KEYS) as [AppCommand, string][]) if (shortcut === k) return command;
  return null;
}
