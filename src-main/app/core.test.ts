import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventName } from '../../src-shared/contract.ts';
import { FAST_OPTIONS, PASSWORD } from '../../test/integration/config.ts';
import { createAppCore, minuteFromEnv } from './core.ts';
import { ManualClock } from './testing/manual-clock.ts';

const root = mkdtempSync(join(tmpdir(), 'mmry-core-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const DAY = 24 * 60 * 60 * 1000;

function core(snapshotAge = 0) {
  const dataDir = mkdtempSync(join(root, 'data-'));
  const clock = new ManualClock();
  const events: { event: EventName; payload: unknown }[] = [];
  const finished: string[] = [];
  const c = createAppCore({
    transport: 'serve',
    appVersion: '0',
    dataDir,
    vaultOptions: { ...FAST_OPTIONS, now: () => clock.now() - snapshotAge },
    emit: (event, payload) => void events.push({ event, payload }),
    clock,
    onJobFinished: (f) => finished.push(f.kind),
  });
  const call = async (name: string, args: unknown = {}) => {
    const o = await c.dispatch(name, args);
    if (!o.ok) throw new Error(o.error.message);
    return o.value;
  };
  return { c, call, clock, events, finished, dataDir };
}

describe('the app core', () => {
  it('puts the default vault in the data folder and locks it after the auto-lock time without calls', async () => {
    const { c, call, clock, events, dataDir } = core();
    expect(c.session.path).toBe(join(dataDir, 'vault'));
    await call('vault.create', { password: PASSWORD });
    await call('settings.set', { autoLockMinutes: 2 });
    clock.advance(2 * 60_000 - 1);
    expect(c.session.unlocked).toBe(true);
    await call('projects.list');
    clock.advance(2 * 60_000 - 1);
    expect(c.session.unlocked).toBe(true);
    clock.advance(1);
    await expect.poll(() => c.session.unlocked).toBe(false);
    expect(events.filter((e) => e.event === 'vault.locked')).toEqual([{ event: 'vault.locked', payload: { reason: 'idle' } }]);
    expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')).preferences.autoLockMinutes).toBe(2);
    await c.dispose();
  });

  it('does not lock under a running job, and counts its end as activity', async () => {
    const { c, call, clock, finished } = core();
    await call('vault.create', { password: PASSWORD });
    await call('settings.set', { autoLockMinutes: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    c.operations.start('backup', async () => (await gate, null));
    clock.advance(30 * 60_000);
    expect(c.session.unlocked).toBe(true);
    release();
    await expect.poll(() => finished).toEqual(['backup']);
    clock.advance(60_000 - 1);
    expect(c.session.unlocked).toBe(true);
    clock.advance(1);
    await expect.poll(() => c.session.unlocked).toBe(false);
    await c.dispose();
  });

  it('opens the remembered vault on the next start, unless one is given explicitly', async () => {
    const { c, call, dataDir } = core();
    const elsewhere = join(root, `other-${Date.now()}`);
    await call('vault.choose', { path: elsewhere });
    await c.dispose();
    const again = createAppCore({ transport: 'serve', appVersion: '0', dataDir, emit: () => undefined });
    expect(again.session.path).toBe(elsewhere);
    const explicit = createAppCore({ transport: 'serve', appVersion: '0', dataDir, vaultPath: join(root, 'given'), emit: () => undefined });
    expect(explicit.session.path).toBe(join(root, 'given'));
  });

  it('reads the test-only minute length, refusing nonsense', () => {
    expect(minuteFromEnv({})).toBeUndefined();
    expect(minuteFromEnv({ MMRY_TEST_MINUTE_MS: '1000' })).toBe(1000);
    expect(() => minuteFromEnv({ MMRY_TEST_MINUTE_MS: 'soon' })).toThrow(/whole number of milliseconds/);
    expect(() => minuteFromEnv({ MMRY_TEST_MINUTE_MS: '0' })).toThrow(/from 1 to 60000/);
  });
  it('starts a scheduled quick verify once the oldest unverified snapshot is old enough, and not before', async () => {
    const { c, call, clock, finished } = core(40 * DAY);
    await call('vault.create', { password: PASSWORD });
    await call('settings.set', { autoLockMinutes: 0, verifyEveryDays: 60 });
    const source = join(root, `source-${Date.now()}`);
    mkdirSync(source);
    writeFileSync(join(source, 'a.txt'), 'hello');
    await call('backup.start', { sourcePath: source });
    await expect.poll(() => finished).toEqual(['backup']);
    // The snapshot is 40 days old: not yet due at 60 days.
    clock.advance(60 * 60 * 1000);
    expect(c.operations.runningCount).toBe(0);
    // At 30 days it is due: changing the setting looks again at once.
    await call('settings.set', { verifyEveryDays: 30 });
    await expect.poll(() => finished).toEqual(['backup', 'verify']);
    expect(await call('health.status')).toMatchObject({ latest: { kind: 'verify', readData: false, healthy: true } });
    await c.dispose();
  });
});
