/**
 * `snapshot.list-dir` in pages, through the real dispatcher, handlers and
 * session over a real vault on disk (cheap key derivation): pages follow the
 * shared listing order for every sort, a call without `limit` still answers
 * the whole folder, and malformed paging arguments are refused with a typed
 * error before any handler runs.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallName, CallResult, EventName, EventPayload } from '../../src-shared/contract.ts';
import { MAX_LIST_PAGE } from '../../src-shared/contract.ts';
import { sortEntries } from '../../src-shared/listing.ts';
import type { SortDir, SortKey } from '../../src-shared/listing.ts';
import { createDispatcher } from './dispatch.ts';
import { createHandlers } from './handlers.ts';
import { Operations } from './operations.ts';
import { VaultSession } from './session.ts';

const root = mkdtempSync(join(tmpdir(), 'mmry-list-dir-'));
const source = join(root, 'site');
const FILES = 37;
const finished = new Map<string, (f: EventPayload<'op.finished'>) => void>();
const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
  if (event === 'op.finished') finished.get((payload as EventPayload<'op.finished'>).opId)?.(payload as EventPayload<'op.finished'>);
};
const operations = new Operations({ emit, throttleMs: 0, log: () => {} });
const session = new VaultSession(join(root, 'vault'), emit, { kdf: { memoryKiB: 8, passes: 1, parallelism: 1 }, threads: 1 });
const dispatch = createDispatcher(createHandlers({ transport: 'serve', appVersion: 'test', operations, session }), { log: () => {} });

async function call<N extends CallName>(name: N, args: unknown = {}): Promise<CallResult<N>> {
  const out = await dispatch(name, args);
  if (!out.ok) throw new Error(`${out.error.kind}: ${out.error.message}`);
  return out.value as CallResult<N>;
}

let snapshotId: string;
beforeAll(async () => {
  // Two folders and files of varied sizes and times, so each sort order differs from the others.
  mkdirSync(join(source, 'b-dir'), { recursive: true });
  mkdirSync(join(source, 'a-dir'), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const file = join(source, `file-${i}.txt`);
    writeFileSync(file, 'x'.repeat((i * 13) % 50));
    const at = 1_700_000_000 + ((i * 7) % FILES) * 60;
    utimesSync(file, at, at);
  }
  await call('vault.create', { password: 'long enough password' });
  const { opId } = await call('backup.start', { sourcePath: source });
  const done = await new Promise<EventPayload<'op.finished'>>((resolve) => finished.set(opId, resolve));
  expect(done.outcome).toBe('done');
  snapshotId = String(done.summary!['snapshotId']);
});

afterAll(async () => {
  await session.lock('user', false);
  rmSync(root, { recursive: true, force: true });
});

describe('snapshot.list-dir in pages', () => {
  it('answers the whole folder, sorted, when no limit is given', async () => {
    const all = await call('snapshot.list-dir', { snapshotId, path: '' });
    expect(all.total).toBe(FILES + 2);
    expect(all.offset).toBe(0);
    expect(all.entries.map((e) => e.name)).toEqual(sortEntries(all.entries, 'name', 'asc').map((e) => e.name));
    expect(all.entries.slice(0, 3).map((e) => e.name)).toEqual(['a-dir', 'b-dir', 'file-0.txt']);
  });

  it('pages every sort in the shared listing order', async () => {
    const all = (await call('snapshot.list-dir', { snapshotId, path: '' })).entries;
    for (const [sort, dir] of [['name', 'desc'], ['size', 'desc'], ['size', 'asc'], ['date', 'desc'], ['date', 'asc']] as [SortKey, SortDir][]) {
      const names: string[] = [];
      for (let offset = 0; offset < all.length; offset += 10) {
        const page = await call('snapshot.list-dir', { snapshotId, path: '', sort, dir, offset, limit: 10 });
        expect(page).toMatchObject({ total: all.length, offset });
        expect(page.entries.length).toBe(Math.min(10, all.length - offset));
        names.push(...page.entries.map((e) => e.name));
      }
      expect(names, `${sort} ${dir}`).toEqual(sortEntries(all, sort, dir).map((e) => e.name));
    }
  });

  it('answers an empty page past the end, with the total', async () => {
    const page = await call('snapshot.list-dir', { snapshotId, path: '', offset: 500, limit: 10 });
    expect(page).toMatchObject({ entries: [], total: FILES + 2 });
  });

  it('refuses malformed paging arguments with a typed error', async () => {
    const bad = [
      { sort: 'owner' },
      { dir: 'up' },
      { offset: -1, limit: 10 },
      { offset: 1.5, limit: 10 },
      { limit: 0 },
      { limit: MAX_LIST_PAGE + 1 },
      { limit: '10' },
    ];
    for (const args of bad) {
      const out = await dispatch('snapshot.list-dir', { snapshotId, path: '', ...args });
      expect(out.ok, JSON.stringify(args)).toBe(false);
      if (!out.ok) {
        expect(out.error.kind).toBe('invalid-request');
        expect(out.error.message).toMatch(/^Invalid arguments for snapshot\.list-dir \((sort|dir|offset|limit)\)/);
      }
    }
  });
});
