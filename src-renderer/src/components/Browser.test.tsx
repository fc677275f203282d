// @vitest-environment happy-dom
/**
 * The browse list with a folder of 100,000 entries, rendered with React in
 * happy-dom over a contract client that answers the listing: only the rows
 * near the view exist in the page (TanStack Virtual), sorting reorders all
 * of them, and the keyboard selects both ends.
 */
import { act, useState } from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallArgs, CallResult } from '../../../src-shared/contract.ts';
import { sortEntries } from '../../../src-shared/listing.ts';
import { ContractClient } from '../client.ts';
import type { Entry } from '../lib/tree-model.ts';
import { Browser } from './Browser.tsx';
import { flush, renderWithServices, until } from '../test-render.tsx';

const COUNT = 100_000;
const SNAPSHOT = 'cd'.repeat(32);
type Listed = CallResult<'snapshot.list-dir'>['entries'][number];
const entries: Listed[] = Array.from({ length: COUNT }, (_, i) => ({
  name: `file-${i}.txt`,
  path: `big/file-${i}.txt`,
  type: 'file' as const,
  size: (i * 7919) % 100_003,
  mtimeMs: 1_700_000_000_000 + ((i * 104_729) % COUNT) * 1000,
}));

/** What the engine answers (src-main/engine/vault/browse.ts listPage): the folder sorted once per order, then sliced. */
const sorted = new Map<string, Listed[]>();
function engineListing(args: CallArgs<'snapshot.list-dir'>, folder: readonly Listed[]): CallResult<'snapshot.list-dir'> {
  const key = `${folder.length}:${args.sort ?? 'name'}:${args.dir ?? 'asc'}`;
  let all = sorted.get(key);
  if (!all) sorted.set(key, (all = sortEntries(folder, args.sort ?? 'name', args.dir ?? 'asc')));
  const offset = Math.min(args.offset ?? 0, all.length);
  const end = args.limit === undefined ? all.length : Math.min(all.length, offset + args.limit);
  return { path: args.path, entries: all.slice(offset, end), total: all.length, offset };
}

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

/** The listing calls the Browser made, in order, and the entry it last selected. */
let asked: CallArgs<'snapshot.list-dir'>[] = [];
let chosen: string | null = null;

/** What the engine answers a type-ahead (browse.ts findInFolder): the next row after `from` in the whole sorted folder. */
function engineFind(args: CallArgs<'snapshot.find-in-dir'>, folder: readonly Listed[]): CallResult<'snapshot.find-in-dir'> {
  const all = engineListing({ snapshotId: args.snapshotId, path: args.path, sort: args.sort, dir: args.dir }, folder).entries;
  for (let k = 1; k <= all.length; k++) {
    const row = (args.from + k + all.length) % all.length;
    if (all[row]!.name.toLowerCase().startsWith(args.prefix.toLowerCase())) return { row };
  }
  return { row: null };
}

/** The type-ahead calls the Browser made. */
let finds: CallArgs<'snapshot.find-in-dir'>[] = [];

function mount(folder: readonly Listed[] = entries) {
  asked = [];
  finds = [];
  chosen = null;
  const client = new ContractClient({
    call: async (name, args) => {
      if (name === 'snapshot.find-in-dir') {
        finds.push(args as CallArgs<'snapshot.find-in-dir'>);
        return { ok: true, value: engineFind(args as CallArgs<'snapshot.find-in-dir'>, folder) };
      }
      asked.push(args as CallArgs<'snapshot.list-dir'>);
      return { ok: true, value: engineListing(args as CallArgs<'snapshot.list-dir'>, folder) };
    },
    on: () => () => undefined,
  });
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
        onSelect={(e: Entry | null) => {
          chosen = e?.name ?? null;
          setSelected(e?.path ?? null);
        }}
        onOpenFile={noop}
        onRestore={noop}
        onExport={noop}
      />
    );
  }
  renderWithServices(<Harness />, { client });
}

const listbox = () => document.querySelector<HTMLElement>('[role="listbox"]');
const options = () => [...document.querySelectorAll('[role="option"]')];
const label = (el: Element | undefined) => el?.querySelector('.label')?.textContent;
const press = (key: string) => act(() => void listbox()!.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true })));
const click = (name: string) => act(() => [...document.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === name)!.click());

const scroller = () => document.querySelector<HTMLElement>('.list-scroll')!;
const scrollTo = (top: number) =>
  act(() => {
    scroller().scrollTop = top;
    scroller().dispatchEvent(new Event('scroll'));
  });
// The entry the Browser told its parent; the row itself is in the page only if it is in view, which needs a real layout for a jump (the e2e suite scrolls in Chromium).
const selectedLabel = () => chosen;
const pagesAsked = () => asked.map((a) => `${a.sort}/${a.dir}@${a.offset}+${a.limit}`);

describe('the browse list with 100,000 entries', () => {
  it('paints the first page only, over the height of all the rows', async () => {
    mount();
    await until(() => options().length > 0);
    expect(document.body.textContent).toContain('100,000 items');
    expect(options().length).toBeGreaterThan(0);
    expect(options().length).toBeLessThan(100);
    expect(listbox()!.style.height).toBe(`${COUNT * 30}px`);
    expect(label(options()[0])).toBe('file-0.txt');
    expect(pagesAsked()).toEqual(['name/asc@0+200']);
  });

  it('asks for the pages the view scrolls to, with placeholders until they arrive', async () => {
    mount();
    await until(() => options().length > 0);
    scrollTo(50_000 * 30);
    // The rows at 50,000 come from the page that holds them, in the engine's order.
    await until(() => options().some((o) => label(o) === 'file-50000.txt'));
    expect(pagesAsked()).toContain('name/asc@50000+200');
    expect(pagesAsked()).toContain('name/asc@49800+200');
    expect(pagesAsked().length).toBeLessThan(5);
    expect(options().length).toBeLessThan(100);
    expect(document.querySelector('[role="option"][aria-busy="true"]')).toBeNull();

    // Scrolled again before the answer comes: those rows hold their places as placeholders.
    scrollTo(80_000 * 30);
    const busy = document.querySelectorAll('[role="option"][aria-busy="true"]').length;
    await until(() => options().some((o) => label(o) === 'file-80000.txt'));
    expect(busy).toBeGreaterThan(0);
    expect(document.querySelector('[role="option"][aria-busy="true"]')).toBeNull();
  });

  it('jumps to the end with End, loading the last page, and back with Home', async () => {
    mount();
    await until(() => options().length > 0);
    act(() => listbox()!.focus());
    await until(() => selectedLabel() === 'file-0.txt');
    press('End');
    await until(() => listbox()!.getAttribute('aria-activedescendant') === `row-${COUNT - 1}`);
    await until(() => selectedLabel() === 'file-99999.txt');
    expect(pagesAsked()).toContain(`name/asc@${COUNT - 200}+200`);
    press('PageUp');
    await until(() => selectedLabel() === `file-${COUNT - 1 - 19}.txt`);
    press('Home');
    await until(() => listbox()!.getAttribute('aria-activedescendant') === 'row-0');
    expect(selectedLabel()).toBe('file-0.txt');
    // Type-ahead in a paged folder asks the engine, which holds every name.
    press('f');
    await until(() => selectedLabel() === 'file-1.txt');
    expect(finds).toEqual([{ snapshotId: SNAPSHOT, path: 'big', sort: 'name', dir: 'asc', from: 0, prefix: 'f' }]);
  });

  it('finds by its first letter a name in a page that has not arrived, and the next one after it', async () => {
    const zetas = Array.from({ length: 3 }, (_, i) => ({ ...entries[0]!, name: `zeta-${i}.txt`, path: `big/zeta-${i}.txt` }));
    mount([...entries, ...zetas]);
    await until(() => options().length > 0);
    act(() => listbox()!.focus());
    await until(() => selectedLabel() === 'file-0.txt');
    press('z');
    await until(() => selectedLabel() === 'zeta-0.txt');
    expect(listbox()!.getAttribute('aria-activedescendant')).toBe(`row-${COUNT}`);
    expect(pagesAsked()).toContain(`name/asc@${COUNT}+200`);
    press('Z');
    await until(() => selectedLabel() === 'zeta-1.txt');
    press('q'); // no name starts with it: the selection stays
    await flush();
    expect(selectedLabel()).toBe('zeta-1.txt');
  });

  it('sorts by asking the engine for the new order, never sorting a partial list', async () => {
    mount();
    await until(() => options().length > 0);
    click('Sort by Name');
    await until(() => label(options()[0]) === 'file-99999.txt');
    expect(pagesAsked()).toContain('name/desc@0+200');
    click('Sort by Size');
    const largest = entries.reduce((a, b) => (b.size > a.size || (b.size === a.size && b.name < a.name) ? b : a));
    await until(() => label(options()[0]) === largest.name);
    expect(pagesAsked()).toContain('size/desc@0+200');
    // The count stays while the new order arrives: the list never empties.
    expect(document.body.textContent).toContain('100,000 items');

    act(() => listbox()!.focus());
    press('End');
    const smallest = [...entries].sort((a, b) => a.size - b.size || a.name.localeCompare(b.name, undefined, { numeric: true }))[0]!;
    await until(() => selectedLabel() === smallest.name);
    expect(listbox()!.getAttribute('aria-activedescendant')).toBe(`row-${COUNT - 1}`);
    expect(pagesAsked()).toContain(`size/desc@${COUNT - 200}+200`);
    expect(options().length).toBeLessThan(100);
    press('Home');
    await until(() => selectedLabel() === largest.name);
    expect(asked.every((a) => a.limit === 200)).toBe(true);
  });
});

describe('a small folder', () => {
  it('is one call, with no placeholders', async () => {
    mount(entries.slice(0, 40));
    await until(() => options().length > 0);
    expect(document.body.textContent).toContain('40 items');
    expect(options().length).toBeLessThan(40);
    expect(options().every((o) => label(o)?.startsWith('file-'))).toBe(true);
    scrollTo(40 * 30);
    await until(() => options().some((o) => label(o) === 'file-39.txt'));
    expect(document.querySelector('[role="option"][aria-busy="true"]')).toBeNull();
    expect(pagesAsked()).toEqual(['name/asc@0+200']);
  });
});
