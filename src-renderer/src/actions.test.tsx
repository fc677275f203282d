// @vitest-environment happy-dom
/**
 * Carrying out a drop: the plan is reported at once, and the backups run one
 * after another (a vault takes one writer at a time), through a contract
 * client that records the calls it is asked to make.
 */
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../src-shared/contract.ts';
import { opEnded, useDrop } from './actions.ts';
import type { DropReport } from './actions.ts';
import { ContractClient } from './client.ts';
import type { DroppedItem } from './lib/drop.ts';
import { OpsStore } from './ops.ts';
import { flush, renderWithServices } from './test-render.tsx';

const finished = (opId: string) => ({ opId, kind: 'backup', outcome: 'done' as const, error: null, summary: null });

function mountDrop(answer: (name: string, args: unknown) => CallOutcome) {
  const calls: { name: string; args: unknown }[] = [];
  const reports: DropReport[] = [];
  const ops = new OpsStore();
  const client = new ContractClient({ call: async (name, args) => (calls.push({ name, args }), answer(name, args)), on: () => () => undefined });
  let drop!: (items: DroppedItem[]) => Promise<void>;
  function Probe() {
    drop = useDrop((r) => reports.push(r));
    return null;
  }
  renderWithServices(<Probe />, { client, ops });
  return { calls, reports, ops, drop: (items: DroppedItem[]) => drop(items) };
}

describe('useDrop', () => {
  it('reports the plan, then backs the folders up one after another', async () => {
    let next = 0;
    const { calls, reports, ops, drop } = mountDrop((name) => {
      if (name === 'projects.list') return { ok: true, value: [{ name: 'site', sourcePath: '/home/me/site', snapshotCount: 1, lastSnapshotAt: 1, totalBytes: 1, health: 'healthy' }] };
      return { ok: true, value: { opId: `op-${++next}` } };
    });
    let done = false;
    const running = drop([
      { name: 'a.txt', path: '/home/me/site/a.txt', isFolder: false },
      { name: 'photos', path: '/home/me/photos', isFolder: true },
    ]).then(() => (done = true));
    await flush();
    expect(reports[0]!.notes).toEqual(['a.txt is a file, so the folder that holds it, /home/me/site (the project “site”), gets a new snapshot.', '/home/me/photos becomes a new project and is backed up.']);
    expect(calls.filter((c) => c.name === 'backup.start').map((c) => c.args)).toEqual([{ sourcePath: '/home/me/site', project: 'site' }]);
    // The second backup starts only once the first has ended.
    act(() => ops.finished(finished('op-1')));
    await flush();
    expect(calls.filter((c) => c.name === 'backup.start').map((c) => c.args)).toEqual([{ sourcePath: '/home/me/site', project: 'site' }, { sourcePath: '/home/me/photos' }]);
    expect(done).toBe(false);
    act(() => ops.finished(finished('op-2')));
    await running;
    expect(ops.snapshot().map((o) => o.title)).toEqual(['Backup of /home/me/photos', 'Backup of site']);
  });

  it('lists a backup that could not start and goes on with the next', async () => {
    const { reports, ops, drop } = mountDrop((name, args) => {
      if (name === 'projects.list') return { ok: true, value: [] };
      const { sourcePath } = args as { sourcePath: string };
      if (sourcePath === '/gone') return { ok: false, error: { kind: 'not-found', message: 'There is no folder at /gone. Check the path for typos, or connect the disk it is on.' } };
      return { ok: true, value: { opId: 'op-ok' } };
    });
    const running = drop([
      { name: 'gone', path: '/gone', isFolder: true },
      { name: 'here', path: '/here', isFolder: true },
    ]);
    await flush();
    act(() => ops.finished(finished('op-ok')));
    await running;
    expect(reports.at(-1)).toEqual({ notes: ['/gone becomes a new project and is backed up.', '/here becomes a new project and is backed up.'], problems: ['There is no folder at /gone. Check the path for typos, or connect the disk it is on.'] });
  });
});

describe('opEnded', () => {
  it('resolves when the op finishes, also when its end came before it was shown, or when it leaves the store', async () => {
    const ops = new OpsStore();
    ops.finished(finished('early'));
    ops.started('early', 'backup', 'Backup of x');
    await opEnded(ops, 'early');

    ops.started('later', 'backup', 'Backup of y');
    let ended = false;
    const waiting = opEnded(ops, 'later').then(() => (ended = true));
    await Promise.resolve();
    expect(ended).toBe(false);
    ops.progress({ opId: 'later', kind: 'backup', phase: 'scanning', files: 1, filesTotal: null, bytes: 1, bytesTotal: null, rate: 0, etaSeconds: null, current: null });
    await Promise.resolve();
    expect(ended).toBe(false);
    ops.clear();
    await waiting;
    expect(ended).toBe(true);
  });
});
