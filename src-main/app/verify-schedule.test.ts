import { describe, expect, it } from 'vitest';
import { ManualClock } from './testing/manual-clock.ts';
import { DAY_MS, verifyDue, VerifySchedule } from './verify-schedule.ts';

const NOW = 1_700_000_000_000;

describe('verifyDue', () => {
  it('is due once the data has gone unverified for that many days', () => {
    expect(verifyDue(NOW - 29 * DAY_MS, 30, NOW)).toEqual({ due: false, nextAt: NOW + DAY_MS });
    expect(verifyDue(NOW - 30 * DAY_MS, 30, NOW)).toEqual({ due: true, nextAt: NOW });
    expect(verifyDue(NOW - 400 * DAY_MS, 7, NOW).due).toBe(true);
  });

  it('is never due when scheduling is off, or when the vault holds nothing yet', () => {
    expect(verifyDue(NOW - 400 * DAY_MS, 0, NOW)).toEqual({ due: false, nextAt: null });
    expect(verifyDue(null, 30, NOW)).toEqual({ due: false, nextAt: null });
  });

  it('does not trust a last verify in the future (a clock moved back)', () => {
    expect(verifyDue(NOW + 365 * DAY_MS, 30, NOW)).toEqual({ due: false, nextAt: NOW + 30 * DAY_MS });
  });
});

describe('VerifySchedule', () => {
  function setup() {
    const clock = new ManualClock(NOW);
    const state = { unlocked: true, busy: false, everyDays: 7, last: null as number | null, started: [] as number[] };
    const schedule = new VerifySchedule({
      everyDays: () => state.everyDays,
      isUnlocked: () => state.unlocked,
      isBusy: () => state.busy,
      unverifiedSince: () => state.last,
      startVerify: () => state.started.push(clock.now()),
      clock,
      checkEveryMs: 60 * 60 * 1000,
    });
    return { clock, state, schedule };
  }

  it('starts a verify when due, then again once the interval has passed since it', () => {
    const { clock, state, schedule } = setup();
    state.last = NOW - 8 * DAY_MS;
    schedule.check();
    expect(state.started).toEqual([NOW]);
    state.last = NOW + 1000; // the verify ran and finished
    clock.advance(6 * DAY_MS);
    expect(state.started).toHaveLength(1);
    clock.advance(DAY_MS + 60 * 60 * 1000);
    expect(state.started).toHaveLength(2);
  });

  it('waits for running jobs, and does not retry a verify that did not finish within a day', () => {
    const { clock, state, schedule } = setup();
    state.last = NOW - 30 * DAY_MS;
    state.busy = true;
    schedule.check();
    clock.advance(3 * 60 * 60 * 1000);
    expect(state.started).toEqual([]);
    state.busy = false;
    clock.advance(60 * 60 * 1000);
    expect(state.started).toHaveLength(1);
    // Cancelled: the last verify time did not move. No new attempt for a day.
    clock.advance(23 * 60 * 60 * 1000);
    expect(state.started).toHaveLength(1);
    clock.advance(60 * 60 * 1000);
    expect(state.started).toHaveLength(2);
  });

  it('does nothing while locked or when turned off, and stops on dispose', () => {
    const { clock, state, schedule } = setup();
    state.unlocked = false;
    schedule.check();
    expect(clock.pendingCount).toBe(0);
    state.unlocked = true;
    state.everyDays = 0;
    schedule.check();
    expect(state.started).toEqual([]);
    state.everyDays = 1;
    state.last = NOW;
    schedule.check();
    expect(clock.pendingCount).toBe(1);
    schedule.dispose();
    clock.advance(10 * DAY_MS);
    expect(state.started).toEqual([]);
  });
});
