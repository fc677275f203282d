import { describe, expect, it } from 'vitest';
import { askContextMenu, contextMenuTemplate } from './context-menu.ts';
import type { MenuItem } from './menu.ts';

describe('contextMenuTemplate', () => {
  it('keeps the order and enabled state, and drops stray separators', () => {
    const picked: string[] = [];
    const template = contextMenuTemplate(
      [{ separator: true }, { id: 'open', label: 'Open' }, { separator: true }, { separator: true }, { id: 'restore', label: 'Restore…', enabled: false }, { separator: true }],
      (id) => picked.push(id),
    );
    expect(template.map((i) => i.type ?? i.label)).toEqual(['Open', 'separator', 'Restore…']);
    expect(template[0]!.enabled).toBe(true);
    expect(template[2]!.enabled).toBe(false);
    template[0]!.click!();
    expect(picked).toEqual(['open']);
  });
});

describe('askContextMenu', () => {
  const items = [
    { id: 'open', label: 'Open' },
    { id: 'export', label: 'Export…' },
  ];

  it('answers the clicked id, also when the click arrives just after the close', async () => {
    const clickThenClose = (t: MenuItem[], closed: () => void) => {
      t[1]!.click!();
      closed();
    };
    await expect(askContextMenu(items, clickThenClose)).resolves.toBe('export');
    const closeThenClick = (t: MenuItem[], closed: () => void) => {
      closed();
      t[0]!.click!();
    };
    await expect(askContextMenu(items, closeThenClick)).resolves.toBe('open');
  });

  it('answers null when dismissed, or when there is nothing to show', async () => {
    await expect(askContextMenu(items, (_t, closed) => closed())).resolves.toBeNull();
    let shown = false;
    await expect(askContextMenu([{ separator: true }], () => (shown = true))).resolves.toBeNull();
    expect(shown).toBe(false);
  });
});
