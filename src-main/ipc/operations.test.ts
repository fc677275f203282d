import { describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../src-shared/contract.ts';
import { VaultError } from '../engine/errors.ts';
import { Operations } from './operations.ts';

type Seen = { event: EventName; payload: EventPayload<EventName> };

function harness(throttleMs = 0) {
  const seen: Seen[] = [];
  let resolveFinished: (p: EventPayload<'op.finished'>) => void = () => {};
  const finished = new Promise<EventPayload<'op.finished'>>((r) => (resolveFinished = r));
  const ops = new Operations({
    throttleMs,
    log: () => {},
    emit: (event, payload) => {
      seen.push({ event, payload });
      if (event === 'op.finished') resolveFinished(payload as EventPayload<'op.finished'>);
    },
  });
  return { ops, seen, finished };
}

describe('long operations', () => {
  it('returns an id at once, reports progress with a rate, then finishes once', async () => {
    const { ops, seen, finished } = harness();
    const { opId } = ops.start('backup', async ({ progress }) => {
      progress({ phase: 'reading', files: 1, bytes: 100, bytesTotal: 1000 });
      await new Promise((r) => setTimeout(r, 20));
      progress({ phase: 'reading', files: 2, bytes: 600, bytesTotal: 1000 });
      return { files: 2 };
    });
    expect(seen).toEqual([{ event: 'op.started', payload: { opId, kind: 'backup', title: null } }]);
    const end = await finished;
    expect(end).toEqual({ opId, kind: 'backup', outcome: 'done', error: null, summary: { files: 2 } });
    const progress = seen.filter((s) => s.event === 'op.progress').map((s) => s.payload as EventPayload<'op.progress'>);
    expect(progress).toHaveLength(2);
    expect(progress[1]!.rate).toBeGreaterThan(0);
    expect(progress[1]!.etaSeconds).not.toBeNull();
    expect(seen.filter((s) => s.event === 'op.finished')).toHaveLength(1);
    expect(ops.runningCount).toBe(0);
  });

  it('cancels through the AbortSignal and reports cancelled', async () => {
    const { ops, finished } = harness();
    const { opId } = ops.start('restore', ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
    await new Promise((r) => setImmediate(r));
    expect(ops.cancel(opId)).toBe(true);
    expect(ops.cancel('unknown')).toBe(false);
    await expect(finished).resolves.toMatchObject({ opId, outcome: 'cancelled', error: null });
  });

  it('announces a titled job before any of its events', async () => {
    const { ops, seen, finished } = harness();
    const { opId } = ops.start('verify', async () => null, 'Scheduled verify');
    await finished;
    expect(seen.map((s) => s.event)).toEqual(['op.started', 'op.finished']);
    expect(seen[0]!.payload).toEqual({ opId, kind: 'verify', title: 'Scheduled verify' });
  });

  it('reports a typed failure', async () => {
    const { ops, finished } = harness();
    ops.start('verify', async () => { throw new VaultError('damaged-data', 'Pack 3f2a is damaged.'); });
    await expect(finished).resolves.toMatchObject({ outcome: 'failed', error: { kind: 'damaged-data', message: 'Pack 3f2a is damaged.' } });
  });

  it('throttles progress events', async () => {
    const { ops, seen, finished } = harness(10_000);
    ops.start('backup', async ({ progress }) => {
      for (let i = 0; i < 100; i++) progress({ phase: 'reading', files: i, bytes: i });
      return null;
    });
    await finished;
    expect(seen.filter((s) => s.event === 'op.progress')).toHaveLength(1);
  });
});
