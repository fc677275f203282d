/**
 * The health, label and history calls through the real dispatcher, handlers,
 * operations and session, over a real vault on disk (cheap key derivation).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallName, EventName, EventPayload } from '../../src-shared/contract.ts';
import { packPath } from '../engine/packs/index.ts';
import { createDispatcher } from './dispatch.ts';
import { createHandlers } from './handlers.ts';
import { Operations } from './operations.ts';
import { VaultSession } from './session.ts';
import { flipByteAt } from '../../test/flip.ts';

const root = mkdtempSync(join(tmpdir(), 'mmry-health-calls-'));
const source = join(root, 'site');
const events: { event: EventName; payload: unknown }[] = [];
const waiting = new Map<string, (f: EventPayload<'op.finished'>) => void>();
const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
  events.push({ event, payload });
  if (event === 'op.finished') {
    const f = payload as EventPayload<'op.finished'>;
    waiting.get(f.opId)?.(f);
  }
};
const operations = new Operations({ emit, throttleMs: 0, log: () => {} });
const session = new VaultSession(join(root, 'vault'), emit, { kdf: { memoryKiB: 8, passes: 1, parallelism: 1 }, threads: 1 });
const dispatch = createDispatcher(createHandlers({ transport: 'serve', appVersion: 'test', operations, session }), { log: () => {} });

async function call(name: CallName, args: unknown = {}): Promise<unknown> {
  const out = await dispatch(name, args);
  if (!out.ok) throw new Error(`${out.error.kind}: ${out.error.message}`);
  return out.value;
}

/** Starts a long operation and waits for its op.finished. */
async function run(name: CallName, args: unknown = {}): Promise<EventPayload<'op.finished'>> {
  let resolve!: (f: EventPayload<'op.finished'>) => void;
  const done = new Promise<EventPayload<'op.finished'>>((r) => (resolve = r));
  const { opId } = (await call(name, args)) as { opId: string };
  waiting.set(opId, resolve);
  // The job runs on a later tick than the answer, so its end cannot have been missed.
  return done;
}

beforeAll(async () => {
  mkdirSync(join(source, 'src'), { recursive: true });
  writeFileSync(join(source, 'src', 'a.txt'), 'first\n');
  // Incompressible, so the flipped byte's 512-byte stripe lies wholly inside its sealed blob (a tiny blob would share it with neighbours, which count as at risk too).
  writeFileSync(join(source, 'big.bin'), randomBytes(50_000));
  await call('vault.create', { password: 'long enough password' });
  expect((await run('backup.start', { sourcePath: source })).outcome).toBe('done');
  writeFileSync(join(source, 'src', 'a.txt'), 'second\n');
  expect((await run('backup.start', { sourcePath: source })).outcome).toBe('done');
});
afterAll(async () => {
  await session.lock('user', false);
  rmSync(root, { recursive: true, force: true });
});

describe('health calls', () => {
  it('records a verify, answers it as the last one, and badges the projects', async () => {
    expect(await call('health.status')).toEqual({ lastVerifiedAt: null, latest: null, history: [] });
    expect(await call('projects.list')).toMatchObject([{ name: 'site', health: 'unchecked' }]);

    const finished = await run('health.verify', { readData: false });
    expect(finished).toMatchObject({ kind: 'verify', outcome: 'done', summary: { healthy: true, readData: false, problems: 0 } });
    expect(events.find((e) => e.event === 'op.started' && (e.payload as { opId: string }).opId === finished.opId)).toBeDefined();

    const status = (await call('health.status')) as { lastVerifiedAt: number; latest: { kind: string; healthy: boolean; report: { projects: { project: string }[] } }; history: unknown[] };
    expect(status.lastVerifiedAt).toBeGreaterThan(0);
    expect(status.latest).toMatchObject({ kind: 'verify', healthy: true, readData: false, actions: [], before: [] });
    expect(status.latest.report.projects).toMatchObject([{ project: 'site', atRisk: 0, lost: 0 }]);
    expect(status.history).toHaveLength(1);
    expect(await call('projects.list')).toMatchObject([{ name: 'site', health: 'healthy' }]);
    const log = (await call('activity.list', {})) as { kind: string; detail: string }[];
    expect(log[0]).toMatchObject({ kind: 'verify', detail: expect.stringMatching(/^Quick verify: the vault is healthy/) });
  });

  it('cancels a verify: it ends cancelled, is logged as such and records no check', async () => {
    const before = ((await call('health.status')) as { history: unknown[] }).history.length;
    let resolve!: (f: EventPayload<'op.finished'>) => void;
    const done = new Promise<EventPayload<'op.finished'>>((r) => (resolve = r));
    const { opId } = (await call('health.verify', { readData: true })) as { opId: string };
    waiting.set(opId, resolve);
    // The job starts on a later tick than the answer: this cancel reaches it before it reads anything.
    expect(await call('op.cancel', { opId })).toEqual({ cancelled: true });
    expect(await done).toMatchObject({ opId, kind: 'verify', outcome: 'cancelled', error: null });
    expect(((await call('health.status')) as { history: unknown[] }).history).toHaveLength(before);
    expect(((await call('activity.list', {})) as { kind: string; outcome: string }[])[0]).toMatchObject({ kind: 'verify', outcome: 'cancelled' });
  });

  it('finds damage with a full verify, repairs it, and records what was fixed', async () => {
    // One flipped byte inside the stored blob of big.bin.
    const vault = session.vault;
    const snap = vault.resolveSnapshot('latest');
    const place = vault.catalog.getBlob((await vault.entryAt(snap, 'big.bin')).entry!.content![0]!)!;
    await flipByteAt(packPath(vault.packsDir, place.packId), place.offset + Math.floor(place.length / 2), 1);

    const found = await run('health.verify', { readData: true });
    expect(found.summary).toMatchObject({ healthy: false, readData: true, problems: 1, repairable: 1, lostFiles: 0 });
    expect(await call('projects.list')).toMatchObject([{ name: 'site', health: 'at-risk' }]);

    const repaired = await run('health.repair');
    expect(repaired).toMatchObject({ kind: 'repair', outcome: 'done', summary: { healthy: true, readData: true } });
    const status = (await call('health.status')) as { latest: { kind: string; actions: string[]; before: { project: string; atRisk: number }[] }; history: { kind: string; healthy: boolean }[] };
    expect(status.latest.kind).toBe('repair');
    expect(status.latest.actions[0]).toMatch(/^repaired 1 pack file/);
    // big.bin is the same content in both snapshots: one blob, two files at risk.
    expect(status.latest.before).toMatchObject([{ project: 'site', snapshots: 2, atRisk: 2, lost: 0 }]);
    expect(status.history.map((h) => [h.kind, h.healthy])).toEqual([
      ['repair', true],
      ['verify', false],
      ['verify', true],
    ]);
    expect(await call('projects.list')).toMatchObject([{ name: 'site', health: 'healthy' }]);
  });
});

describe('snapshot labels and file history calls', () => {
  it('sets a note and tags, lists them with the snapshots, and clears them', async () => {
    const [newest] = (await call('snapshots.list', { project: 'site' })) as { id: string }[];
    expect(await call('snapshot.set-labels', { snapshotId: newest!.id, note: '  before the release  ', tags: ['v1', ' release ', 'v1'] })).toEqual({ note: 'before the release', tags: ['release', 'v1'] });
    expect(((await call('snapshots.list', { project: 'site' })) as unknown[])[0]).toMatchObject({ note: 'before the release', tags: ['release', 'v1'] });
    expect(await call('snapshot.set-labels', { snapshotId: newest!.id, note: '   ', tags: [] })).toEqual({ note: null, tags: [] });

    const bad = await dispatch('snapshot.set-labels', { snapshotId: newest!.id, note: null, tags: ['a,b'] });
    expect(bad).toMatchObject({ ok: false, error: { kind: 'invalid-request', message: expect.stringContaining('cannot contain a comma') } });
    const unknown = await dispatch('snapshot.set-labels', { snapshotId: 'f'.repeat(64), note: 'x', tags: [] });
    expect(unknown).toMatchObject({ ok: false, error: { kind: 'not-found' } });
  });

  it('answers the versions of a file across the snapshots', async () => {
    const h = (await call('file.history', { project: 'site', path: 'src/a.txt' })) as { versions: { change: string; size: number }[]; inLatest: boolean };
    expect(h.versions.map((v) => [v.change, v.size])).toEqual([
      ['added', 6],
      ['changed', 7],
    ]);
    expect(h.inLatest).toBe(true);
    expect(await dispatch('file.history', { project: 'nope', path: 'a' })).toMatchObject({ ok: false, error: { kind: 'not-found' } });
  });
});
