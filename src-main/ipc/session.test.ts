import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../src-shared/contract.ts';
import { FAST_OPTIONS, PASSWORD } from '../../test/integration/config.ts';
import { inspectVaultFolder, VaultSession } from './session.ts';
import type { LockReason } from './session.ts';

const root = mkdtempSync(join(tmpdir(), 'mmry-session-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('inspectVaultFolder', () => {
  it('accepts an existing vault, an empty folder, or a new folder in an existing one', async () => {
    const session = new VaultSession(join(root, 'a-vault'), () => undefined, FAST_OPTIONS);
    await session.create(PASSWORD);
    await session.lock('user', false);
    mkdirSync(join(root, 'empty'));
    expect(inspectVaultFolder(join(root, 'a-vault'))).toBe('vault');
    expect(inspectVaultFolder(join(root, 'empty'))).toBe('empty');
    expect(inspectVaultFolder(join(root, 'not-yet'))).toBe('new');
  });

  it('refuses, in plain words, a relative path, a file, a folder of other things and a missing drive', () => {
    mkdirSync(join(root, 'documents'));
    writeFileSync(join(root, 'documents', 'thesis.txt'), 'mine');
    writeFileSync(join(root, 'a-file'), 'x');
    expect(() => inspectVaultFolder('vault')).toThrow('Give the full path of the vault folder, for example /media/usb/vault.');
    expect(() => inspectVaultFolder(join(root, 'a-file'))).toThrow(/is a file, not a folder/);
    expect(() => inspectVaultFolder(join(root, 'documents'))).toThrow(expect.objectContaining({ kind: 'not-a-vault', message: expect.stringMatching(/is not empty and holds no MMRY vault/) }));
    expect(() => inspectVaultFolder(join(root, 'unplugged', 'vault'))).toThrow(/does not exist; if the vault goes on an external drive, connect the drive first/);
  });
});

describe('VaultSession', () => {
  it('switches vaults while locking the open one, and logs automatic locks', async () => {
    const events: { event: EventName; payload: unknown }[] = [];
    const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void events.push({ event, payload });
    const session = new VaultSession(join(root, 'first'), emit, FAST_OPTIONS);
    const locks: LockReason[] = [];
    session.onLock((r) => locks.push(r));
    await session.create(PASSWORD);
    expect(await session.use(join(root, 'a-vault'))).toBe('vault');
    expect(session.unlocked).toBe(false);
    expect(session.path).toBe(join(root, 'a-vault'));
    expect(locks).toEqual(['user']);
    // A refused folder leaves the session where it was.
    await expect(session.use(join(root, 'documents'))).rejects.toMatchObject({ kind: 'not-a-vault' });
    expect(session.path).toBe(join(root, 'a-vault'));

    await session.unlock(PASSWORD);
    await session.lock('idle');
    expect(events).toEqual([
      { event: 'vault.locked', payload: { reason: 'user' } },
      { event: 'vault.locked', payload: { reason: 'idle' } },
    ]);
    await session.unlock(PASSWORD);
    const log = session.vault.catalog.listActivity(10);
    expect(log[0]).toMatchObject({ kind: 'lock', outcome: 'done', detail: 'Locked the vault after a time without use.' });
    await session.lock('user', false);
  });
});
