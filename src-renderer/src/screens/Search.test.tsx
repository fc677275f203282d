// @vitest-environment happy-dom
/**
 * The Search screen while the first search after unlock waits for the index:
 * it shows how far the engine has got (search.status), then the results.
 */
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import type { CallResult } from '../../../src-shared/contract.ts';
import { ContractClient } from '../client.ts';
import { Search } from './Search.tsx';
import { renderWithServices } from '../test-render.tsx';

async function until(test: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (test()) return;
    await act(() => new Promise((r) => setTimeout(r, 10)));
  }
  throw new Error('never appeared');
}

describe('the Search screen', () => {
  it('shows the index being built while the first search waits for it, then the results', async () => {
    let answer: (value: CallResult<'search.paths'>) => void = () => undefined;
    const paths = new Promise<CallResult<'search.paths'>>((resolve) => (answer = resolve));
    let building: CallResult<'search.status'>['building'] = { indexed: 2, snapshots: 9, folders: 1200, paths: 230_000 };
    const client = new ContractClient({
      call: async (name) => {
        if (name === 'search.status') return { ok: true, value: { building } };
        if (name === 'search.paths') return { ok: true, value: await paths };
        throw new Error(`unexpected call ${name}`);
      },
      on: () => () => undefined,
    });
    renderWithServices(<Search query="readme" setQuery={() => undefined} go={() => undefined} />, { client });
    const text = () => document.body.textContent ?? '';
    await until(() => text().includes('Building the search index: 2 of 9 snapshots read (1,200 folders, 230,000 paths so far)'));
    expect(document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow')).toBe('2');
    building = { indexed: 7, snapshots: 9, folders: 5000, paths: 800_000 };
    await until(() => text().includes('7 of 9 snapshots'));

    building = null;
    const hit = { project: 'site', path: 'docs/readme.md', type: 'file' as const, size: 10, snapshotId: 'a'.repeat(64), createdAt: 1, versions: 1 };
    answer({ results: [hit], total: 1, more: false, tookMs: 3 });
    await until(() => document.querySelector('[role=status]')?.textContent === '1 match · 3.0 ms');
    expect(text()).not.toContain('Building the search index');
    expect(document.querySelector('[role=progressbar]')).toBeNull();
  });
});
