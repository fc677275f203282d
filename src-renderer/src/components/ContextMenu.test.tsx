// @vitest-environment happy-dom
/**
 * The context menu's two paths, rendered with React in happy-dom: the page's
 * own Radix menu where there is no desktop bridge, and the native menu
 * (through the contract's app.context-menu call) where there is one.
 */
import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallOutcome, MmryBridge } from '../../../src-shared/contract.ts';
import { ContractClient } from '../client.ts';
import { WithContextMenu } from './ContextMenu.tsx';
import type { MenuAction } from './ContextMenu.tsx';
import { flush, renderWithServices } from '../test-render.tsx';

afterEach(() => {
  delete window.mmry;
});

function mount(actions: MenuAction[], answer: (name: string, args: unknown) => CallOutcome) {
  const calls: { name: string; args: unknown }[] = [];
  const client = new ContractClient({
    call: async (name, args) => (calls.push({ name, args }), answer(name, args)),
    on: () => () => undefined,
  });
  renderWithServices(
    <WithContextMenu actions={actions}>
      <button type="button">Snapshot of Monday</button>
    </WithContextMenu>,
    { client },
  );
  const target = document.body.querySelector('button')!;
  return { calls, target };
}

function rightClick(el: Element) {
  act(() => {
    el.dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, cancelable: true, clientX: 40, clientY: 30 }));
  });
}


describe('WithContextMenu', () => {
  it("shows the page's own menu in a browser, and runs the item picked there", async () => {
    const ran: string[] = [];
    const { calls, target } = mount(
      [{ id: 'browse', label: 'Browse', run: () => ran.push('browse') }, 'separator', { id: 'restore', label: 'Restore snapshot…', run: () => ran.push('restore') }],
      () => ({ ok: false, error: { kind: 'invalid-argument', message: 'no native menus' } }),
    );
    rightClick(target);
    const items = [...document.querySelectorAll('[role="menuitem"]')];
    expect(items.map((i) => i.textContent)).toEqual(['Browse', 'Restore snapshot…']);
    expect(document.querySelectorAll('[role="separator"]')).toHaveLength(1);
    act(() => (items[1] as HTMLElement).click());
    await flush();
    expect(ran).toEqual(['restore']);
    expect(calls).toEqual([]);
  });

  it('asks main for a native menu in the desktop app and runs the chosen item, showing no page menu', async () => {
    window.mmry = { call: async () => ({ ok: true, value: null }), on: () => () => undefined } as unknown as MmryBridge;
    const ran: string[] = [];
    const { calls, target } = mount(
      [{ id: 'browse', label: 'Browse', run: () => ran.push('browse') }, 'separator', { id: 'export', label: 'Export zip…', run: () => ran.push('export'), disabled: true }, { id: 'restore', label: 'Restore…', run: () => ran.push('restore') }],
      () => ({ ok: true, value: { chosen: 'restore' } }),
    );
    rightClick(target);
    await flush();
    expect(calls).toEqual([
      { name: 'app.context-menu', args: { items: [{ id: 'browse', label: 'Browse' }, { separator: true }, { id: 'export', label: 'Export zip…', enabled: false }, { id: 'restore', label: 'Restore…' }] } },
    ]);
    expect(ran).toEqual(['restore']);
    expect(document.querySelectorAll('[role="menuitem"]')).toHaveLength(0);
  });
});
