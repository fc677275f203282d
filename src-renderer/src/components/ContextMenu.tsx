/**
 * Context menus: native ones in the desktop app, the page's own in a browser.
 *
 * A screen lists its actions once (`MenuAction`). In Electron the list goes to
 * main through the contract's `app.context-menu` call, which shows an OS menu
 * and answers the chosen id; the page then runs that action. In a browser
 * (`mmry serve`) Radix's ContextMenu shows the same list at the pointer, and
 * opens from the keyboard too (the context-menu key, Shift+F10).
 */
import * as CM from '@radix-ui/react-context-menu';
import { useCallback } from 'react';
import type { MouseEvent, ReactElement } from 'react';
import type { CallArgs } from '../../../src-shared/contract.ts';
import { useClient } from '../api.tsx';
import './context-menu.css';

export type MenuAction = { id: string; label: string; run: () => void; disabled?: boolean } | 'separator';

type Items = CallArgs<'app.context-menu'>['items'];

function toItems(actions: MenuAction[]): Items {
  return actions.map((a) => (a === 'separator' ? { separator: true as const } : { id: a.id, label: a.label, ...(a.disabled ? { enabled: false } : {}) }));
}

/**
 * Returns `show(actions)`: in the desktop app it shows them as a native menu,
 * runs the chosen one and answers true; elsewhere it answers false and the
 * caller shows its own menu.
 */
export function useNativeMenu(): (actions: MenuAction[]) => boolean {
  const client = useClient();
  return useCallback(
    (actions: MenuAction[]) => {
      if (!window.mmry) return false;
      void client
        .call('app.context-menu', { items: toItems(actions) })
        .then(({ chosen }) => {
          const action = actions.find((a) => a !== 'separator' && a.id === chosen);
          if (action && action !== 'separator' && !action.disabled) action.run();
        })
        .catch((err: unknown) => console.warn('The context menu could not be shown:', err));
      return true;
    },
    [client],
  );
}

/** Gives `children` (one element that can hold a ref) a context menu of `actions`. */
export function WithContextMenu({ actions, children }: { actions: MenuAction[]; children: ReactElement }) {
  const native = useNativeMenu();
  return (
    <CM.Root modal={false}>
      <CM.Trigger
        asChild
        onContextMenu={(e: MouseEvent) => {
          // Handled natively: keep Radix's menu closed.
          if (native(actions)) e.preventDefault();
        }}
      >
        {children}
      </CM.Trigger>
      <CM.Portal>
        <CM.Content className="menu">
          {actions.map((a, i) =>
            a === 'separator' ? (
              <CM.Separator key={`sep-${i}`} className="menu-separator" />
            ) : (
              <CM.Item key={a.id} className="menu-item" disabled={a.disabled ?? false} onSelect={a.run}>
                {a.label}
              </CM.Item>
            ),
          )}
        </CM.Content>
      </CM.Portal>
    </CM.Root>
  );
}
