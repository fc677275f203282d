import { describe, expect, it } from 'vitest';
import { FINISHED_SHOWN, fractionDone, OpsStore, progressText } from './ops.ts';
import type { OpView } from './ops.ts';

describe('the operations store', () => {
  it('shows an op announced by op.started, and the page that started it renames it', () => {
    const store = new OpsStore();
    store.announced({ opId: 'a', kind: 'verify', title: null }, 1);
    expect(store.snapshot().map((o) => [o.opId, o.title])).toEqual([['a', 'Verify']]);
    store.progress({ opId: 'a', kind: 'verify', phase: 'checking', files: 1, filesTotal: 2, bytes: 10, bytesTotal: 20, rate: 0, etaSeconds: null, current: null });
    store.started('a', 'verify', 'Full verify of the vault', 2);
    expect(store.snapshot()).toHaveLength(1);
    expect(store.snapshot()[0]).toMatchObject({ title: 'Full verify of the vault', startedAt: 1, progress: { files: 1 } });
  });

  it('keeps the title of an op it already shows when op.started arrives late', () => {
    const store = new OpsStore();
    store.started('b', 'backup', 'Backup of /home/me/site');
    store.announced({ opId: 'b', kind: 'backup', title: null });
    store.announced({ opId: 'c', kind: 'verify', title: 'Scheduled verify' });
    expect(store.snapshot().map((o) => o.title)).toEqual(['Scheduled verify', 'Backup of /home/me/site']);
  });

  it('keeps events that arrive before the op is known, and applies them when it is', () => {
    const store = new OpsStore();
    store.finished({ opId: 'd', kind: 'repair', outcome: 'done', error: null, summary: { healthy: true } });
    store.announced({ opId: 'd', kind: 'repair', title: 'Repair of the vault' });
    expect(store.snapshot()[0]).toMatchObject({ title: 'Repair of the vault', finished: { outcome: 'done' } });
  });
});

describe('the panel bound', () => {
  it(`keeps every running job and only the ${FINISHED_SHOWN} newest finished ones`, () => {
    const store = new OpsStore();
    store.started('run', 'backup', 'Long backup', 0);
    for (let i = 0; i < FINISHED_SHOWN + 3; i++) {
      store.started(`v${i}`, 'verify', `Verify ${i}`, i + 1);
      store.finished({ opId: `v${i}`, kind: 'verify', outcome: i === 0 ? 'failed' : 'done', error: null, summary: null });
    }
    const newest = Array.from({ length: FINISHED_SHOWN }, (_, k) => `v${FINISHED_SHOWN + 2 - k}`);
    expect(store.snapshot().map((o) => o.opId)).toEqual([...newest, 'run']);
    store.finished({ opId: 'run', kind: 'backup', outcome: 'done', error: null, summary: null });
    expect(store.snapshot().map((o) => o.opId)).toEqual(newest);
  });
});

describe('progress in words', () => {
  const p = { opId: 'a', kind: 'backup', phase: 'storing', files: 12, filesTotal: null, bytes: 250e6, bytesTotal: 1e9, rate: 50e6, etaSeconds: 15, current: null };
  const view = (progress: typeof p): OpView => ({ opId: 'a', kind: 'backup', title: 'Backup', startedAt: 0, progress, finished: null });

  it('says files, bytes of the estimate, rate and time left', () => {
    expect(progressText(p)).toBe('12 files · 250 MB of about 1.00 GB · 50.0 MB/s · 15 s left');
    expect(fractionDone(view(p))).toBe(0.25);
  });

  it('says only files, bytes and rate without an estimate, or once the job has gone past it', () => {
    expect(progressText({ ...p, bytesTotal: null, etaSeconds: null })).toBe('12 files · 250 MB · 50.0 MB/s');
    const past = { ...p, bytes: 1.5e9, etaSeconds: 0 };
    expect(progressText(past)).toBe('12 files · 1.50 GB · 50.0 MB/s');
    expect(fractionDone(view(past))).toBeNull();
  });
});
