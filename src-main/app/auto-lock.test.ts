import { describe, expect, it } from 'vitest';
import { countingActivity, IdleLock } from './auto-lock.ts';
import { ManualClock } from './testing/manual-clock.ts';

const MIN = 60_000;

function setup(minutes = 5) {
  const clock = new ManualClock();
  const state = { unlocked: true, busy: false, idleMs: minutes * MIN, locks: 0 };
  const idle = new IdleLock({
    idleMs: () => state.idleMs,
    isUnlocked: () => state.unlocked,
    isBusy: () => state.busy,
    lock: () => {
      state.locks++;
      state.unlocked = false;
    },
    clock,
  });
  return { clock, state, idle };
}

describe('IdleLock', () => {
  it('locks once the auto-lock time passes with no activity, not a moment before', () => {
    const { clock, state, idle } = setup(5);
    idle.touch();
    clock.advance(5 * MIN - 1);
    expect(state.locks).toBe(0);
    clock.advance(1);
    expect(state.locks).toBe(1);
    clock.advance(60 * MIN);
    expect(state.locks).toBe(1);
    expect(clock.pendingCount).toBe(0);
  });

  it('counts every call as activity, and starts the idle time again from the last one', () => {
    const { clock, state, idle } = setup(5);
    const dispatch = countingActivity(async () => ({ ok: true, value: null }), idle);
    void dispatch('vault.status', {});
    clock.advance(4 * MIN);
    void dispatch('projects.list', {});
    clock.advance(4 * MIN);
    expect(state.locks).toBe(0);
    clock.advance(1 * MIN);
    expect(state.locks).toBe(1);
    // Many calls keep a single timer.
    state.unlocked = true;
    for (let i = 0; i < 100; i++) void dispatch('vault.status', {});
    expect(clock.pendingCount).toBe(1);
  });

  it('never locks while a long job runs; the idle time starts when it ends', () => {
    const { clock, state, idle } = setup(5);
    idle.touch();
    state.busy = true;
    clock.advance(60 * MIN);
    expect(state.locks).toBe(0);
    state.busy = false;
    // The job's end (its op.finished event) is activity too.
    idle.touch();
    clock.advance(5 * MIN - 1);
    expect(state.locks).toBe(0);
    clock.advance(1);
    expect(state.locks).toBe(1);
  });

  it('does nothing when auto-lock is off (0), and applies a new time at once', () => {
    const { clock, state, idle } = setup(0);
    idle.touch();
    expect(clock.pendingCount).toBe(0);
    clock.advance(24 * 60 * MIN);
    expect(state.locks).toBe(0);
    state.idleMs = 2 * MIN;
    idle.touch();
    expect(idle.deadline).toBe(clock.now() + 2 * MIN);
    clock.advance(2 * MIN);
    expect(state.locks).toBe(1);
    // Turned on long after the last activity, the new time has already passed: lock at once.
    state.unlocked = true;
    state.idleMs = 0;
    idle.reconfigure();
    clock.advance(60 * MIN);
    state.idleMs = 30 * MIN;
    idle.reconfigure();
    expect(state.locks).toBe(2);
  });

  it('shortening the time while waiting locks at the new deadline; lengthening postpones it', () => {
    const { clock, state, idle } = setup(10);
    idle.touch();
    clock.advance(3 * MIN);
    state.idleMs = 20 * MIN;
    idle.reconfigure();
    clock.advance(10 * MIN);
    expect(state.locks).toBe(0);
    state.idleMs = 14 * MIN;
    idle.reconfigure();
    clock.advance(1 * MIN - 1);
    expect(state.locks).toBe(0);
    clock.advance(1);
    expect(state.locks).toBe(1);
  });

  it('stops watching while locked and starts again with the next call', () => {
    const { clock, state, idle } = setup(5);
    state.unlocked = false;
    idle.touch();
    clock.advance(5 * MIN);
    expect(state.locks).toBe(0);
    expect(clock.pendingCount).toBe(0);
    state.unlocked = true;
    idle.touch();
    clock.advance(5 * MIN);
    expect(state.locks).toBe(1);
  });

  it('dispose cancels the pending lock', () => {
    const { clock, state, idle } = setup(5);
    idle.touch();
    idle.dispose();
    clock.advance(10 * MIN);
    expect(state.locks).toBe(0);
  });
});
