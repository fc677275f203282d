// @vitest-environment happy-dom
/**
 * The browse list with a folder of 100,000 entries, rendered with React in
 * happy-dom over a contract client that answers the listing: only the rows
 * near the view exist in the page (TanStack Virtual), sorting reorders all
 * of them, and the keyboard selects both ends.
 */
import { act, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallResult } from '../../../src-shared/contract.ts';
import { createQueryClient, Providers } from '../api.tsx';
import { ContractClient } from '../client.ts';
import type { Entry } from '../lib/tree-model.ts';
import { OpsStore } from '../ops.ts';
import { Browser } from './Browser.tsx';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const COUNT = 100_000;
const SNAPSHOT = 'cd'.repeat(32);
const entries: CallResult<'snapshot.list-dir'>['entries'] = Array.from({ length: COUNT }, (_, i) => ({
  name: `file-${i}.txt`,
  path: `big/file-${i}.txt`,
  type: 'file' as const,
  size: (i * 7919) % 100_003,
  mtimeMs: 1_700_000_000_000 + ((i * 104_729) % COUNT) * 1000,
}));

// happy-dom lays nothing out: give the list's scroll box the size a window would (800 × 600 px, 20 rows).
const boxSizes = { clientWidth: 800, clientHeight: 600 };
const realSizes = Object.keys(boxSizes).map((k) => [k, Object.getOwnPropertyDescriptor(Element.prototype, k)] as const);
beforeAll(() => {
  for (const [key, real] of realSizes) {
    Object.defineProperty(HTMLElement.prototype, key, {
      configurable: true,
      get(this: HTMLElement) {
        return this.classList.contains('list-scroll') ? boxSizes[key as keyof typeof boxSizes] : (real?.get?.call(this) ?? 0);
      },
    });
  }
});
afterAll(() => {
  for (const [key] of realSizes) delete (HTMLElement.prototype as unknown as Record<string, unknown>)[key];
});

let root: Root | null = null;
afterEach(() => {
  act(() => root?.unmount());
  root = null;
  document.body.innerHTML = '';
});

const flush = () => act(async () => await new Promise((r) => setTimeout(r, 0)));
async function until<T>(find: () => T | null | undefined): Promise<T> {
  for (let i = 0; i < 50; i++) {
    const found = find();
    if (found) return found;
    await flush();
  }
  throw new Error('never appeared');
}

function mount() {
  const client = new ContractClient({ call: async () => ({ ok: true, value: { path: 'big', entries } }), on: () => () => undefined });
  function Harness() {
    const [selected, setSelected] = useState<string | null>(null);
    const noop = () => undefined;
    return (
      <Browser
        snapshotId={SNAPSHOT}
        rootLabel="site"
        path="big"
        selected={selected}
        onNavigate={noop}
        onSelect={(e: Entry | null) => setSelected(e?.path ?? null)}
        onOpenFile={noop}
        onRestore={noop}
        onExport={noop}
      />
    );
  }
  const host = document.createElement('div');
  document.body.append(host);
  root = createRoot(host);
  act(() =>
    root!.render(
      <Providers client={client} queryClient={createQueryClient()} ops={new OpsStore()}>
        <Harness />
      </Providers>,
    ),
  );
}

const listbox = () => document.querySelector<HTMLElement>('[role="listbox"]');
const options = () => [...document.querySelectorAll('[role="option"]')];
const label = (el: Element | undefined) => el?.querySelector('.label')?.textContent;
const press = (key: string) => act(() => void listbox()!.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true })));
const click = (name: string) => act(() => [...document.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === name)!.click());

describe('the browse list with 100,000 entries', () => {
  it('puts only the rows near the view in the page, over the height of all of them', async () => {
    mount();
    await until(() => options().length > 0);
    expect(document.body.textContent).toContain('100,000 items');
    expect(options().length).toBeGreaterThan(0);
    expect(options().length).toBeLessThan(100);
    expect(listbox()!.style.height).toBe(`${COUNT * 30}px`);
    expect(label(options()[0])).toBe('file-0.txt');
  });

  it('sorts all of them, and the keyboard selects the last and the first', async () => {
    mount();
    await until(() => options().length > 0);
    click('Sort by Name');
    await until(() => label(options()[0]) === 'file-99999.txt');
    click('Sort by Size');
    const largest = entries.reduce((a, b) => (b.size > a.size || (b.size === a.size && b.name < a.name) ? b : a));
    await until(() => label(options()[0]) === largest.name);

    act(() => listbox()!.focus());
    press('End');
    const smallest = [...entries].sort((a, b) => a.size - b.size || a.name.localeCompare(b.name, undefined, { numeric: true }))[0]!;
    // The selection moves to the last entry (scrolling it into view needs a real layout: the e2e suite does that in Chromium).
    await until(() => listbox()!.getAttribute('aria-activedescendant') === `row-${COUNT - 1}`);
    expect(smallest.size).toBe(0);
    expect(options().length).toBeLessThan(100);
    press('Home');
    await until(() => listbox()!.getAttribute('aria-activedescendant') === 'row-0');
    expect(label(document.querySelector('[role="option"][aria-selected="true"]')!)).toBe(largest.name);
  });
});
