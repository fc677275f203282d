import { describe, expect, it } from 'vitest';
import { QuickCalls, SLICE_MS, SLOW_CALL_MS } from './quick-calls.ts';

/** A clock that moves only when told: `step` ms are added at each reading. */
function steppingClock(): { clock: () => number; step: number } {
  const c = { t: 0, step: 0, clock: () => (c.t += c.step) };
  return c;
}

describe('QuickCalls', () => {
  it('stays synchronous while calls answer within the limit', () => {
    const c = steppingClock();
    c.step = SLOW_CALL_MS / 2; // each call takes half the limit (two readings a call)
    const calls = new QuickCalls({ clock: c.clock });
    for (let i = 0; i < 100; i++) expect(calls.run(() => i)).toBe(i);
    expect([calls.fast, calls.slowAnswers]).toEqual([true, 0]);
  });

  it('turns asynchronous at the third slow answer when they are 1% of the calls or more', () => {
    const c = steppingClock();
    const calls = new QuickCalls({ clock: c.clock });
    for (let i = 0; i < 50; i++) calls.run(() => undefined);
    c.step = SLOW_CALL_MS + 1;
    calls.run(() => undefined);
    calls.run(() => undefined);
    expect(calls.fast).toBe(true);
    calls.run(() => undefined);
    expect([calls.fast, calls.slowAnswers]).toEqual([false, 3]);
  });

  it('stays synchronous for three slow answers among thousands of calls (a descheduled thread)', () => {
    const c = steppingClock();
    const calls = new QuickCalls({ clock: c.clock });
    for (let n = 0; n < 3; n++) {
      for (let i = 0; i < 1000; i++) calls.run(() => undefined);
      c.step = SLOW_CALL_MS + 1;
      calls.run(() => undefined);
      c.step = 0;
    }
    expect([calls.fast, calls.slowAnswers]).toEqual([true, 3]);
  });

  it('times a call that throws, and passes the error on', () => {
    const c = steppingClock();
    c.step = SLOW_CALL_MS + 1;
    const calls = new QuickCalls({ clock: c.clock });
    for (let i = 0; i < 3; i++) {
      expect(() =>
        calls.run(() => {
          throw new Error('EACCES');
        }),
      ).toThrow('EACCES');
    }
    expect(calls.fast).toBe(false);
  });

  it('can start asynchronous', () => {
    expect(new QuickCalls({ fast: false }).fast).toBe(false);
  });

  it('lets the event loop in only once a slice has passed', async () => {
    const c = steppingClock();
    const calls = new QuickCalls({ clock: c.clock });
    let turned = false;
    setImmediate(() => (turned = true));
    await calls.yieldSometimes(); // starts the slice
    c.step = SLICE_MS / 4;
    await calls.yieldSometimes();
    expect(turned).toBe(false);
    c.step = SLICE_MS + 1;
    await calls.yieldSometimes();
    expect(turned).toBe(true);
  });
});
