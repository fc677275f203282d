/**
 * The calls that name folders on this computer (backup, restore, export,
 * app.show-folder) and the statistics, through the real dispatcher, handlers,
 * operations and session over a real vault on disk (cheap key derivation).
 * Only the file manager itself is a recorder: it is the Electron boundary.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallName, CallResult, EventName, EventPayload } from '../../src-shared/contract.ts';
import { createDispatcher } from './dispatch.ts';
import type { Dispatch } from './dispatch.ts';
import { createHandlers } from './handlers.ts';
import { Operations } from './operations.ts';
import { VaultSession } from './session.ts';
import { makeUnwritable } from './testing/unwritable.ts';

const root = mkdtempSync(join(tmpdir(), 'mmry-folder-calls-'));
const source = join(root, 'site');
const waiting = new Map<string, (f: EventPayload<'op.finished'>) => void>();
const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
  if (event === 'op.finished') waiting.get((payload as EventPayload<'op.finished'>).opId)?.(payload as EventPayload<'op.finished'>);
};
const operations = new Operations({ emit, throttleMs: 0, log: () => {} });
const session = new VaultSession(join(root, 'vault'), emit, { kdf: { memoryKiB: 8, passes: 1, parallelism: 1 }, threads: 1 });
const shown: string[] = [];
const desktop = createDispatcher(createHandlers({ transport: 'electron', appVersion: 'test', operations, session, showFolder: async (f) => void shown.push(f) }), { log: () => {} });
const browser = createDispatcher(createHandlers({ transport: 'serve', appVersion: 'test', operations, session }), { log: () => {} });

async function call<N extends CallName>(name: N, args: unknown = {}, dispatch: Dispatch = desktop): Promise<CallResult<N>> {
  const out = await dispatch(name, args);
  if (!out.ok) throw new Error(`${out.error.kind}: ${out.error.message}`);
  return out.value as CallResult<N>;
}

async function failure(name: CallName, args: unknown, dispatch: Dispatch = desktop): Promise<{ kind: string; message: string }> {
  const out = await dispatch(name, args);
  if (out.ok) throw new Error(`${name} answered ${JSON.stringify(out.value)}`);
  return out.error;
}

async function run(name: CallName, args: unknown): Promise<EventPayload<'op.finished'>> {
  let resolve!: (f: EventPayload<'op.finished'>) => void;
  const done = new Promise<EventPayload<'op.finished'>>((r) => (resolve = r));
  const { opId } = (await call(name, args)) as { opId: string };
  waiting.set(opId, resolve);
  // The job runs on a later tick than the answer, so its end cannot have been missed.
  return done;
}

let snapshotId: string;
beforeAll(async () => {
  mkdirSync(join(source, 'src'), { recursive: true });
  writeFileSync(join(source, 'src', 'a.ts'), 'export const a = 1;\n'.repeat(200));
  writeFileSync(join(source, 'notes.txt'), 'notes\n');
  await call('vault.create', { password: 'long enough password' });
  const f = await run('backup.start', { sourcePath: source });
  expect(f.outcome).toBe('done');
  snapshotId = String(f.summary!['snapshotId']);
});
afterAll(async () => {
  await session.lock('user', false);
  rmSync(root, { recursive: true, force: true });
});

describe('folders the user names are answered in plain words before a job starts', () => {
  it('a backup of a folder that does not exist, or of a file', async () => {
    const missing = join(root, 'no-such-folder');
    expect(await failure('backup.start', { sourcePath: missing })).toEqual({ kind: 'not-found', message: `There is no folder at ${missing}. Check the path for typos, or connect the disk it is on.` });
    expect((await failure('backup.start', { sourcePath: join(source, 'notes.txt') })).message).toBe(`${join(source, 'notes.txt')} is a file, not a folder. To keep it safe, add the folder that holds it: ${source}.`);
    expect(operations.runningCount).toBe(0);
  });

  it('a restore into a folder the user may not write in, or into a file', async () => {
    const locked = join(root, 'locked');
    mkdirSync(locked);
    const unlock = makeUnwritable(locked);
    try {
      expect(await failure('restore.start', { snapshotId, target: join(locked, 'restored'), conflict: 'skip' })).toEqual({
        kind: 'permission-denied',
        message: `MMRY Vault may not write in ${locked}. Choose a folder you can write to, or change the permissions of that one.`,
      });
    } finally {
      unlock();
    }
    expect((await failure('restore.start', { snapshotId, target: join(source, 'notes.txt'), conflict: 'skip' })).message).toBe(`${join(source, 'notes.txt')} is a file. Choose a folder to restore into.`);
    expect((await failure('export.start', { snapshotId, target: join(source, 'notes.txt', 'x.zip') })).message).toMatch(/is a file, so no zip can be written below it/);
  });
});

describe('app.show-folder', () => {
  it('tells the page whether it can open folders at all', async () => {
    expect((await call('app.info')).openFolders).toBe(true);
    expect((await call('app.info', {}, browser)).openFolders).toBe(false);
    expect((await failure('app.show-folder', { path: source }, browser)).message).toBe('Opening a folder in the file manager works only in the desktop app; copy its path instead.');
  });

  it("opens a project's source folder and a folder just restored into, and nothing else", async () => {
    const target = join(root, 'restored');
    expect((await failure('app.show-folder', { path: target })).kind).toBe('invalid-argument');
    const f = await run('restore.start', { snapshotId, target, conflict: 'skip' });
    expect(f.outcome).toBe('done');
    expect(readFileSync(join(target, 'src', 'a.ts'), 'utf8')).toBe(readFileSync(join(source, 'src', 'a.ts'), 'utf8'));
    await call('app.show-folder', { path: target });
    await call('app.show-folder', { path: `${source}/` });
    expect(shown).toEqual([target, source]);

    for (const path of [root, join(target, 'src'), join(source, 'notes.txt'), 'https://example.com/', 'file:///etc', 'relative/folder']) {
      const e = await failure('app.show-folder', { path });
      expect(e.kind, path).toBe('invalid-argument');
    }
    expect((await failure('app.show-folder', { path: join(source, 'notes.txt') })).message).toContain("is neither a project's folder nor one MMRY Vault restored into");
    expect(shown).toHaveLength(2);
  });

  it('says so when an allowed folder has gone, or has become a file', async () => {
    const target = join(root, 'restored-then-moved');
    expect((await run('restore.start', { snapshotId, target, conflict: 'skip' })).outcome).toBe('done');
    rmSync(target, { recursive: true });
    expect(await failure('app.show-folder', { path: target })).toEqual({ kind: 'not-found', message: `The folder ${target} is not there any more; it may have been moved, deleted, or be on a disk that is not connected.` });
    writeFileSync(target, 'now a file');
    expect((await failure('app.show-folder', { path: target })).message).toBe(`${target} is not a folder any more, so it cannot be shown.`);
  });
});

describe('vault.stats', () => {
  it('reports the parity kept for healing and what the engine learned per file type', async () => {
    const s = await call('vault.stats');
    expect(s.parityBytes).toBeGreaterThan(0);
    const ts = s.learned.find((l) => l.typeKey.startsWith('.ts'));
    expect(ts).toMatchObject({ samples: 1, choice: null });
    expect(ts!.bytesOut).toBeLessThan(ts!.bytesIn);
    const sum = s.fileTypes.filter((t) => t.typeKey === ts!.typeKey).reduce((n, t) => n + t.bytesIn, 0);
    expect(ts!.bytesIn).toBe(sum);
  });
});
