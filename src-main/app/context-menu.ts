/**
 * Native context menus for the page: the page sends the items (ids and
 * labels, from the contract's `app.context-menu` call), main shows them as an
 * OS menu at the pointer and answers the id of the item picked, or null when
 * the menu was dismissed. The page then carries out the action itself, so no
 * behaviour lives here; in a browser the page shows its own menu instead.
 *
 * The template is plain data (the same MenuItem shape as the app menu), and
 * `askContextMenu` turns Electron's callback style into one answer, so both
 * are tested without Electron.
 */
import type { z } from 'zod';
import type { ContextMenuItem } from '../../src-shared/contract.ts';
import type { MenuItem } from './menu.ts';

export type ContextMenuEntry = z.output<typeof ContextMenuItem>;

export function contextMenuTemplate(items: ContextMenuEntry[], choose: (id: string) => void): MenuItem[] {
  const out: MenuItem[] = [];
  for (const item of items) {
    if ('separator' in item) {
      // No separator first, last or twice in a row.
      if (out.length > 0 && out.at(-1)!.type !== 'separator') out.push({ type: 'separator' });
      continue;
    }
    out.push({ label: item.label, enabled: item.enabled ?? true, click: () => choose(item.id) });
  }
  while (out.at(-1)?.type === 'separator') out.pop();
  return out;
}

/**
 * Shows a menu through `popup` and resolves with the chosen id once it has
 * closed. `popup(template, onClosed)` must call `onClosed` when the menu goes
 * away, whether or not an item was clicked; the answer waits one turn after
 * that, because some platforms deliver the click just after the close.
 */
export function askContextMenu(items: ContextMenuEntry[], popup: (template: MenuItem[], onClosed: () => void) => void): Promise<string | null> {
  return new Promise((resolve) => {
    let chosen: string | null = null;
    const template = contextMenuTemplate(items, (id) => {
      chosen = id;
      resolve(id);
    });
    if (template.length === 0) return resolve(null);
    popup(template, () => setImmediate(() => resolve(chosen)));
  });
}
